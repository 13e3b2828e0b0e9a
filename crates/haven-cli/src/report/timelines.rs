//! The sections drawn along time: feelings over the weeks (check-ins as an area, the
//! average intensity as a line, the feelings named most often), repairs per month, and
//! the gratitude calendar.

use std::fmt::Write as _;

use haven_model::insights::Insights;

use super::page::{empty, esc, section_start};
use super::svg::{hbars, legend, svg_open};
use super::{plural, streak_strip};

pub(super) fn feelings_section(o: &mut String, ins: &Insights) {
    let f = &ins.feelings;
    section_start(
        o,
        "feelings",
        "Feelings over time",
        "Check-ins per week (shaded) and the week's average intensity (line, 0 to 10).",
    );
    if f.checkins == 0 {
        return empty(
            o,
            "feelings",
            "Nothing yet. Your check-ins will draw a picture here week by week.",
        );
    }
    let weeks = &f.weeks[f.weeks.len().saturating_sub(104)..];
    let (w, h) = (820.0, 260.0);
    let (left, right, top, bottom) = (40.0, 40.0, 16.0, 40.0);
    let pw = w - left - right;
    let ph = h - top - bottom;
    let n = weeks.len();
    let step = if n > 1 { pw / (n - 1) as f64 } else { 0.0 };
    let x_at = |i: usize| {
        if n > 1 {
            left + step * i as f64
        } else {
            left + pw / 2.0
        }
    };
    let max_count = weeks.iter().map(|w| w.checkins).max().unwrap_or(0).max(1) as f64;
    let y_count = |c: usize| top + ph - c as f64 / max_count * ph;
    let y_int = |v: f64| top + ph - v / 10.0 * ph;
    let first = weeks.first().map(|w| w.week.clone()).unwrap_or_default();
    let last = weeks.last().map(|w| w.week.clone()).unwrap_or_default();
    let aria = format!(
        "{} check-ins over {n} weeks from {first} to {last}; average intensity {}",
        f.checkins,
        f.average_intensity
            .map_or("not given".into(), |a| format!("{a:.1} of 10"))
    );
    svg_open(o, "feelings", w, h, &aria);
    for g in 0..=5 {
        let y = top + ph * g as f64 / 5.0;
        let _ = write!(
            o,
            "<line class=\"grid\" x1=\"{left}\" x2=\"{}\" y1=\"{y:.1}\" y2=\"{y:.1}\"></line>\
             <text class=\"muted\" x=\"{}\" y=\"{:.1}\">{}</text>",
            w - right,
            w - right + 6.0,
            y + 4.0,
            10 - g * 2
        );
    }
    let _ = write!(
        o,
        "<text class=\"muted\" x=\"{}\" y=\"{}\" text-anchor=\"end\">{}</text>",
        left - 6.0,
        top + 4.0,
        max_count as usize
    );
    let _ = write!(
        o,
        "<text class=\"muted\" x=\"{}\" y=\"{}\" text-anchor=\"end\">0</text>",
        left - 6.0,
        top + ph + 4.0
    );
    // Area of check-in counts.
    let mut area = format!("M{:.1},{:.1}", x_at(0), top + ph);
    for (i, wk) in weeks.iter().enumerate() {
        let _ = write!(area, " L{:.1},{:.1}", x_at(i), y_count(wk.checkins));
    }
    let _ = write!(area, " L{:.1},{:.1} Z", x_at(n - 1), top + ph);
    if n == 1 {
        let x = x_at(0);
        let _ = write!(
            o,
            "<rect class=\"area\" x=\"{:.1}\" y=\"{:.1}\" width=\"24\" height=\"{:.1}\"></rect>",
            x - 12.0,
            y_count(weeks[0].checkins),
            top + ph - y_count(weeks[0].checkins)
        );
    } else {
        let _ = write!(o, "<path class=\"area\" d=\"{area}\"></path>");
        let mut line = String::new();
        for (i, wk) in weeks.iter().enumerate() {
            let cmd = if i == 0 { 'M' } else { 'L' };
            let _ = write!(line, "{cmd}{:.1},{:.1} ", x_at(i), y_count(wk.checkins));
        }
        let _ = write!(
            o,
            "<path class=\"line-a\" d=\"{}\"></path>",
            line.trim_end()
        );
    }
    // Intensity line, broken over weeks without a value.
    let mut path = String::new();
    let mut pen_down = false;
    for (i, wk) in weeks.iter().enumerate() {
        match wk.average_intensity {
            Some(v) => {
                let cmd = if pen_down { 'L' } else { 'M' };
                let _ = write!(path, "{cmd}{:.1},{:.1} ", x_at(i), y_int(v));
                pen_down = true;
            }
            None => pen_down = false,
        }
    }
    if !path.is_empty() {
        let _ = write!(o, "<path class=\"line\" d=\"{}\"></path>", path.trim_end());
    }
    for (i, wk) in weeks.iter().enumerate() {
        if let Some(v) = wk.average_intensity {
            let _ = write!(
                o,
                "<circle class=\"dot\" cx=\"{:.1}\" cy=\"{:.1}\" r=\"3.5\"><title>{}: {} check-ins, intensity {v:.1}</title></circle>",
                x_at(i),
                y_int(v),
                esc(&wk.week),
                wk.checkins
            );
        }
    }
    // A handful of week labels along the bottom.
    let every = n.div_ceil(8).max(1);
    for (i, wk) in weeks.iter().enumerate() {
        if i % every == 0 || i == n - 1 {
            let _ = write!(
                o,
                "<text class=\"muted\" x=\"{:.1}\" y=\"{}\" text-anchor=\"middle\">{}</text>",
                x_at(i),
                h - 14.0,
                esc(&wk.week)
            );
        }
    }
    o.push_str("</svg>\n");
    legend(
        o,
        &[("ka", "check-ins per week"), ("kb", "average intensity")],
    );

    if !f.totals.is_empty() {
        o.push_str("<h3>Felt most often</h3>\n");
        let rows: Vec<_> = f
            .totals
            .iter()
            .take(10)
            .map(|c| (c.name.clone(), vec![(c.count, "fa")], c.count.to_string()))
            .collect();
        hbars(
            o,
            "feelings-top",
            "The feelings named most often in check-ins",
            &rows,
        );
    }
    o.push_str("</section>\n");
}

pub(super) fn repairs_section(o: &mut String, ins: &Insights) {
    let r = &ins.repairs;
    section_start(
        o,
        "repairs",
        "Repairs",
        &format!(
            "{} opened, {} answered, {} repaired{}.",
            r.opened,
            r.answered,
            r.repaired,
            if r.still_open > 0 {
                format!(", {} still waiting for an answer", r.still_open)
            } else {
                String::new()
            }
        ),
    );
    if r.opened == 0 {
        return empty(
            o,
            "repairs",
            "Nothing yet. After a conflict, a repair (my part, your experience, a way \
             forward) starts here.",
        );
    }
    let months = &r.months[r.months.len().saturating_sub(18)..];
    let (left, top, bottom) = (40.0, 16.0, 36.0);
    let group = 42.0;
    let w = (left + group * months.len() as f64 + 20.0).max(360.0);
    let h = 220.0;
    let ph = h - top - bottom;
    let max = months
        .iter()
        .map(|m| m.opened.max(m.answered).max(m.repaired))
        .max()
        .unwrap_or(0)
        .max(1) as f64;
    svg_open(
        o,
        "repairs",
        w,
        h,
        &format!(
            "Repairs per month: {} opened, {} answered, {} repaired",
            r.opened, r.answered, r.repaired
        ),
    );
    let _ = write!(
        o,
        "<line class=\"grid\" x1=\"{left}\" x2=\"{}\" y1=\"{:.1}\" y2=\"{:.1}\"></line>\
         <text class=\"muted\" x=\"{}\" y=\"{}\" text-anchor=\"end\">{}</text>",
        w - 10.0,
        top + ph,
        top + ph,
        left - 6.0,
        top + 4.0,
        max as usize
    );
    for (i, m) in months.iter().enumerate() {
        let x0 = left + 6.0 + group * i as f64;
        for (j, (v, class, what)) in [
            (m.opened, "fa", "opened"),
            (m.answered, "fd", "answered"),
            (m.repaired, "fc", "repaired"),
        ]
        .into_iter()
        .enumerate()
        {
            let bh = v as f64 / max * ph;
            let _ = write!(
                o,
                "<rect class=\"{class}\" x=\"{:.1}\" y=\"{:.1}\" width=\"10\" height=\"{bh:.1}\" rx=\"2\"><title>{}: {v} {what}</title></rect>",
                x0 + j as f64 * 11.0,
                top + ph - bh,
                esc(&m.month)
            );
        }
        let _ = write!(
            o,
            "<text class=\"muted\" x=\"{:.1}\" y=\"{}\" text-anchor=\"middle\">{}</text>",
            x0 + 16.0,
            h - 14.0,
            esc(m.month.get(2..).unwrap_or(&m.month))
        );
    }
    o.push_str("</svg>\n");
    legend(
        o,
        &[("ka", "opened"), ("kd", "answered"), ("kc", "repaired")],
    );
    o.push_str("</section>\n");
}

pub(super) fn streak_section(o: &mut String, ins: &Insights) {
    let st = &ins.streak;
    section_start(
        o,
        "streak",
        "Evening gratitude",
        &format!(
            "Current streak: {} {}. Longest: {} {}.",
            st.current,
            plural(st.current, "day", "days"),
            st.longest,
            plural(st.longest, "day", "days")
        ),
    );
    if st.days.is_empty() {
        return empty(
            o,
            "streak",
            "Nothing yet. One gratitude entry tonight starts your streak.",
        );
    }
    // Whole weeks (Monday first) covering the last 26 weeks up to the end of the range.
    let strip = streak_strip(ins, 26 * 7);
    let Some(&(first, _)) = strip.first() else {
        return empty(o, "streak", "Nothing yet.");
    };
    let pad = usize::try_from(first.weekday().to_monday_zero_offset()).unwrap_or(0);
    let cols = (pad + strip.len()).div_ceil(7);
    let cell = 16.0;
    let (left, top) = (34.0, 20.0);
    let w = left + cols as f64 * cell + 10.0;
    let h = top + 7.0 * cell + 10.0;
    let days_with: usize = strip.iter().filter(|(_, n)| *n > 0).count();
    svg_open(
        o,
        "streak",
        w,
        h,
        &format!(
            "Gratitude calendar, {} to {}: {days_with} days with gratitude; current streak {}, longest {}",
            first,
            strip.last().map_or(first, |d| d.0),
            st.current,
            st.longest
        ),
    );
    for (row, name) in [(0, "Mon"), (2, "Wed"), (4, "Fri")] {
        let _ = write!(
            o,
            "<text class=\"muted\" x=\"0\" y=\"{:.1}\">{name}</text>",
            top + row as f64 * cell + 12.0
        );
    }
    let mut last_month = None;
    let mut last_label_x = f64::NEG_INFINITY;
    for (i, (d, n)) in strip.iter().enumerate() {
        let slot = pad + i;
        let (col, row) = (slot / 7, slot % 7);
        let x = left + col as f64 * cell;
        let y = top + row as f64 * cell;
        // Label a column (a week from Monday) when its month differs from the last label.
        if row == 0 && last_month != Some(d.month()) && x - last_label_x >= 36.0 {
            last_month = Some(d.month());
            last_label_x = x;
            let _ = write!(
                o,
                "<text class=\"muted\" x=\"{x:.1}\" y=\"12\">{}</text>",
                d.strftime("%b")
            );
        }
        let class = if *n > 0 { "fc" } else { "cell0" };
        let _ = write!(
            o,
            "<rect class=\"{class}\" x=\"{x:.1}\" y=\"{y:.1}\" width=\"13\" height=\"13\" rx=\"3\"><title>{d}: {n} gratitude</title></rect>"
        );
    }
    o.push_str("\n</svg>\n");
    legend(o, &[("kc", "a day with gratitude")]);
    o.push_str("</section>\n");
}
