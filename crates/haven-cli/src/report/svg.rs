//! The drawing pieces the sections share: the opening of an accessible inline `<svg>`
//! chart, horizontal stacked bars, and the colour key under a chart.

use std::fmt::Write as _;

use super::page::esc;
use super::truncate;

pub(super) fn svg_open(o: &mut String, name: &str, w: f64, h: f64, label: &str) {
    let _ = writeln!(
        o,
        "<svg data-chart=\"{name}\" role=\"img\" aria-label=\"{0}\" viewBox=\"0 0 {w} {h}\" \
         width=\"{w}\" height=\"{h}\" xmlns=\"http://www.w3.org/2000/svg\"><title>{0}</title>",
        esc(label)
    );
}

pub(super) fn legend(o: &mut String, items: &[(&str, &str)]) {
    o.push_str("<ul class=\"legend\">");
    for (class, text) in items {
        let _ = write!(o, "<li><i class=\"{class}\"></i>{}</li>", esc(text));
    }
    o.push_str("</ul>\n");
}

/// One row of [`hbars`]: a label, stacked segments `(value, css class)` and a value label.
type BarRow<'a> = (String, Vec<(usize, &'a str)>, String);

/// Horizontal bars: one row per item, each with one or more segments `(value, class)`
/// stacked, scaled to the largest row total.
pub(super) fn hbars(o: &mut String, name: &str, aria: &str, rows: &[BarRow<'_>]) {
    let label_w = 170.0;
    let chart_w = 480.0;
    let row_h = 30.0;
    let w = label_w + chart_w + 170.0;
    let h = row_h * rows.len() as f64 + 10.0;
    let top = rows
        .iter()
        .map(|(_, segs, _)| segs.iter().map(|(v, _)| v).sum::<usize>())
        .max()
        .unwrap_or(0)
        .max(1) as f64;
    svg_open(o, name, w, h, aria);
    for (i, (label, segs, value)) in rows.iter().enumerate() {
        let y = 5.0 + i as f64 * row_h;
        let _ = write!(
            o,
            "<text x=\"{}\" y=\"{}\" text-anchor=\"end\">{}</text>",
            label_w - 10.0,
            y + 19.0,
            esc(&truncate(label, 22))
        );
        let mut x = label_w;
        for (v, class) in segs {
            if *v == 0 {
                continue;
            }
            let bw = (*v as f64 / top * chart_w).max(2.0);
            let _ = write!(
                o,
                "<rect class=\"{class}\" x=\"{x:.1}\" y=\"{:.1}\" width=\"{bw:.1}\" height=\"20\" rx=\"4\"></rect>",
                y + 4.0
            );
            x += bw;
        }
        let _ = writeln!(
            o,
            "<text x=\"{:.1}\" y=\"{}\" class=\"muted\">{}</text>",
            x + 8.0,
            y + 19.0,
            esc(value)
        );
    }
    o.push_str("</svg>\n");
}
