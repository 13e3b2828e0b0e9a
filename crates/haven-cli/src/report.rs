//! Rendering [`Insights`]: charts for the terminal and a self-contained HTML report.
//!
//! [`terminal`] draws bar charts with Unicode block characters, weekly sparklines and small
//! tables; every user-supplied name passes through [`output::clean`](crate::output::clean).
//! [`html`] writes one HTML5 page with inline CSS and inline SVG charts that this module
//! draws itself: no scripts, fonts, images or links to fetch. Every user-supplied string is
//! HTML-escaped, and every chart is an `<svg role="img">` with an `aria-label`, a `<title>`
//! and a `data-chart` name (`feelings`, `needs`, `people`, `boundaries`, `repairs`,
//! `streak`).
//!
//! The terminal rendering is in `text`. The page is built by `page` (the document, its CSS
//! and the frame of each section) from the sections in `timelines` (feelings per week,
//! repairs per month, the gratitude calendar) and `rankings` (needs, people, boundaries by
//! person), which draw with the SVG pieces in `svg`. What both renderings share stays here.

mod page;
mod rankings;
mod svg;
#[cfg(test)]
mod tests;
mod text;
mod timelines;

use haven_model::insights::Insights;
use jiff::civil::Date;

pub use page::html;
pub use text::terminal;

/// `s` cut to at most `max` terminal columns, with `…` when cut.
fn truncate(s: &str, max: usize) -> String {
    haven_model::text::fit_width(s, max)
}

fn plural<'a>(n: usize, one: &'a str, many: &'a str) -> &'a str {
    if n == 1 { one } else { many }
}

fn range_label(from: Option<Date>, to: Option<Date>) -> String {
    match (from, to) {
        (None, None) => "the whole journal".to_string(),
        (Some(f), None) => format!("from {f}"),
        (None, Some(t)) => format!("up to {t}"),
        (Some(f), Some(t)) => format!("{f} to {t}"),
    }
}

/// The last `days` days up to the end of the range (or today), with gratitude counts.
fn streak_strip(ins: &Insights, days: usize) -> Vec<(Date, usize)> {
    let end = match ins.to {
        Some(t) if t < ins.today => t,
        _ => ins.today,
    };
    let mut out = Vec::with_capacity(days);
    let mut d = end;
    for _ in 0..days {
        out.push(d);
        match d.yesterday() {
            Ok(y) => d = y,
            Err(_) => break,
        }
        if ins.from.is_some_and(|f| d < f) {
            break;
        }
    }
    out.reverse();
    out.into_iter()
        .map(|d| {
            let n = ins
                .streak
                .days
                .binary_search_by(|x| x.date.cmp(&d))
                .map_or(0, |i| ins.streak.days[i].count);
            (d, n)
        })
        .collect()
}
