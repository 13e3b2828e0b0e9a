//! Rendering [`Insights`]: charts for the terminal and a self-contained HTML report.
//!
//! [`terminal`] draws bar charts with Unicode block characters, weekly sparklines and small
//! tables; every user-supplied name passes through [`output::clean`]. [`html`] writes one
//! HTML5 page with inline CSS and inline SVG charts that this module draws itself: no
//! scripts, fonts, images or links to fetch. Every user-supplied string is HTML-escaped, and
//! every chart is an `<svg role="img">` with an `aria-label`, a `<title>` and a
//! `data-chart` name (`feelings`, `needs`, `people`, `boundaries`, `repairs`, `streak`).

use std::fmt::Write as _;

use haven_model::insights::{BoundaryCounts, Count, Insights};
use jiff::civil::Date;

use crate::output::{self, paint};

// ---------------------------------------------------------------------------------------
// Terminal
// ---------------------------------------------------------------------------------------

const SPARKS: [char; 8] = ['▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'];
const EIGHTHS: [char; 8] = [' ', '▏', '▎', '▍', '▌', '▋', '▊', '▉'];

/// The insights as text for a terminal `width` columns wide, coloured when `color`.
pub fn terminal(ins: &Insights, color: bool, width: usize) -> String {
    let width = width.clamp(40, 120);
    let mut out = String::new();
    let t = Term { color, width };

    let range = range_label(ins.from, ins.to);
    let _ = writeln!(
        out,
        "{}  {}",
        paint("Your insights", "1", color),
        paint(&range, "2", color)
    );
    if ins.entries == 0 {
        let _ = writeln!(
            out,
            "\nNothing to look at yet{}. Insights grow from check-ins, gratitude, boundaries\n\
             and repairs; try `haven checkin` or `haven gratitude` tonight.",
            if ins.from.is_some() || ins.to.is_some() {
                " in this range"
            } else {
                ""
            }
        );
        return out;
    }
    let kinds: Vec<String> = ins
        .kinds
        .iter()
        .map(|k| format!("{} {}", k.count, k.kind.as_str()))
        .collect();
    let _ = writeln!(
        out,
        "{} {}: {}",
        ins.entries,
        plural(ins.entries, "entry", "entries"),
        kinds.join(", ")
    );

    // Feelings.
    t.heading(&mut out, "Feelings over time");
    let f = &ins.feelings;
    if f.checkins == 0 {
        t.nothing(
            &mut out,
            "No check-ins yet. `haven checkin` records how you feel.",
        );
    } else {
        let weeks = &f.weeks[f.weeks.len().saturating_sub(t.width.saturating_sub(22))..];
        let counts: Vec<Option<f64>> = weeks.iter().map(|w| Some(w.checkins as f64)).collect();
        let intensity: Vec<Option<f64>> = weeks.iter().map(|w| w.average_intensity).collect();
        let _ = writeln!(
            out,
            "  check-ins  {}",
            paint(&sparkline(&counts, None), "36", color)
        );
        let _ = writeln!(
            out,
            "  intensity  {}",
            paint(&sparkline(&intensity, Some(10.0)), "35", color)
        );
        if let (Some(first), Some(last)) = (weeks.first(), weeks.last()) {
            let _ = writeln!(
                out,
                "  {}",
                paint(
                    &format!(
                        "{} {}, {} to {} (one mark per week)",
                        weeks.len(),
                        plural(weeks.len(), "week", "weeks"),
                        first.week,
                        last.week
                    ),
                    "2",
                    color
                )
            );
        }
        let avg = f
            .average_intensity
            .map_or("no intensity given".to_string(), |a| {
                format!("average intensity {a:.1} of 10")
            });
        let _ = writeln!(
            out,
            "  {} {}, {avg}",
            f.checkins,
            plural(f.checkins, "check-in", "check-ins")
        );
        t.sub(&mut out, "Felt most often");
        t.bars(&mut out, &f.totals, 8, "36");
    }

    // Needs.
    t.heading(&mut out, "Needs");
    if ins.needs.all.is_empty() {
        t.nothing(
            &mut out,
            "No needs named yet. Check-ins and co-regulation ask what you need.",
        );
    } else {
        t.sub(&mut out, "Named most often (check-ins and co-regulation)");
        t.bars(&mut out, &ins.needs.all, 8, "34");
        if !ins.needs.most_often_unmet.is_empty() {
            t.sub(&mut out, "Most often unmet (needs named in check-ins)");
            t.bars(&mut out, &ins.needs.most_often_unmet, 5, "33");
        }
    }

    // People.
    t.heading(&mut out, "Who shows up for you");
    let s = &ins.support;
    if s.people.is_empty() {
        t.nothing(
            &mut out,
            "No one thanked yet. `haven gratitude` is a good evening habit.",
        );
    } else {
        let rows: Vec<Count> = s
            .people
            .iter()
            .map(|p| Count {
                name: p.name.clone(),
                count: p.count,
            })
            .collect();
        t.bars(&mut out, &rows, 10, "32");
        let name_w = s
            .people
            .iter()
            .take(10)
            .map(|p| label(&p.name, 18).chars().count())
            .max()
            .unwrap_or(6)
            .max(6);
        let _ = writeln!(
            out,
            "  {}",
            paint(
                &format!("{:<name_w$}  how they showed up", "person"),
                "2",
                color
            )
        );
        for p in s.people.iter().take(10) {
            let ways: Vec<String> = p
                .ways
                .iter()
                .take(4)
                .map(|w| format!("{} ×{}", output::clean(&w.name, false), w.count))
                .collect();
            let ways = if ways.is_empty() {
                "-".to_string()
            } else {
                ways.join(", ")
            };
            let room = t.width.saturating_sub(name_w + 4);
            let _ = writeln!(
                out,
                "  {:<name_w$}  {}",
                label(&p.name, 18),
                truncate(&ways, room)
            );
        }
    }

    // Boundaries.
    t.heading(&mut out, "Boundaries by person");
    if ins.boundaries.is_empty() {
        t.nothing(
            &mut out,
            "No boundary events yet. `haven boundary` keeps them, so patterns can show.",
        );
    } else {
        let name_w = ins
            .boundaries
            .iter()
            .take(10)
            .map(|b| label(&b.person, 18).chars().count())
            .max()
            .unwrap_or(6)
            .max(6);
        let _ = writeln!(
            out,
            "  {}",
            paint(
                &format!(
                    "{:<name_w$} {:>7} {:>5} {:>9} {:>11}  by month",
                    "person", "crossed", "kept", "cancelled", "reflections"
                ),
                "2",
                color
            )
        );
        for b in ins.boundaries.iter().take(10) {
            let c = &b.counts;
            let crossed = format!("{:>7}", c.crossed);
            let months: Vec<Option<f64>> = b
                .months
                .iter()
                .map(|m| Some(m.counts.crossed as f64))
                .collect();
            let _ = writeln!(
                out,
                "  {:<name_w$} {} {:>5} {:>9} {:>11}  {}",
                label(&b.person, 18),
                if c.crossed > 0 {
                    paint(&crossed, "31", color)
                } else {
                    crossed
                },
                c.kept,
                c.cancelled,
                c.reflection,
                paint(&sparkline(&months, None), "31", color),
            );
        }
        let _ = writeln!(
            out,
            "  {}",
            paint("(the last column: crossings per month)", "2", color)
        );
    }

    // Repairs.
    t.heading(&mut out, "Repairs");
    let r = &ins.repairs;
    if r.opened == 0 {
        t.nothing(
            &mut out,
            "No repairs yet. After a conflict, `haven repair` walks you through one.",
        );
    } else {
        let rows = [
            Count {
                name: "opened".into(),
                count: r.opened,
            },
            Count {
                name: "answered".into(),
                count: r.answered,
            },
            Count {
                name: "repaired".into(),
                count: r.repaired,
            },
        ];
        t.bars(&mut out, &rows, 3, "35");
        if r.still_open > 0 {
            let _ = writeln!(out, "  {} still waiting for an answer", r.still_open);
        }
        if r.months.len() > 1 {
            let opened: Vec<Option<f64>> = r.months.iter().map(|m| Some(m.opened as f64)).collect();
            let repaired: Vec<Option<f64>> =
                r.months.iter().map(|m| Some(m.repaired as f64)).collect();
            let _ = writeln!(out, "  opened per month    {}", sparkline(&opened, None));
            let _ = writeln!(out, "  repaired per month  {}", sparkline(&repaired, None));
        }
    }

    // Streak.
    t.heading(&mut out, "Evening gratitude");
    let st = &ins.streak;
    if st.days.is_empty() {
        t.nothing(
            &mut out,
            "No gratitude yet; your streak starts with the first one.",
        );
    } else {
        let _ = writeln!(
            out,
            "  current streak {} {}, longest {} {}{}",
            paint(&st.current.to_string(), "1", color),
            plural(st.current, "day", "days"),
            st.longest,
            plural(st.longest, "day", "days"),
            st.longest_end
                .map(|d| format!(" (ending {d})"))
                .unwrap_or_default()
        );
        let days = (t.width.saturating_sub(4)).min(56);
        let strip = streak_strip(ins, days);
        let line: String = strip
            .iter()
            .map(|(_, n)| if *n > 0 { '■' } else { '·' })
            .collect();
        let _ = writeln!(out, "  {}", paint(&line, "32", color));
        if let (Some((a, _)), Some((b, _))) = (strip.first(), strip.last()) {
            let _ = writeln!(
                out,
                "  {}",
                paint(&format!("{a} to {b}, one mark per day"), "2", color)
            );
        }
    }
    out
}

struct Term {
    color: bool,
    width: usize,
}

impl Term {
    fn heading(&self, out: &mut String, text: &str) {
        let _ = writeln!(out, "\n{}", paint(text, "1;4", self.color));
    }

    fn sub(&self, out: &mut String, text: &str) {
        let _ = writeln!(out, "  {}", paint(text, "2", self.color));
    }

    fn nothing(&self, out: &mut String, text: &str) {
        let _ = writeln!(out, "  {}", paint(text, "2", self.color));
    }

    /// Horizontal bars for the first `max` rows, scaled to the widest.
    fn bars(&self, out: &mut String, rows: &[Count], max: usize, style: &str) {
        let rows = &rows[..rows.len().min(max)];
        let label_w = rows
            .iter()
            .map(|r| label(&r.name, 18).chars().count())
            .max()
            .unwrap_or(0);
        let top = rows.iter().map(|r| r.count).max().unwrap_or(0).max(1);
        let num_w = top.to_string().len();
        let bar_w = self.width.saturating_sub(label_w + num_w + 6).clamp(4, 40);
        for r in rows {
            let bar = bar(r.count as f64 / top as f64, bar_w);
            let _ = writeln!(
                out,
                "  {:<label_w$} {} {:>num_w$}",
                label(&r.name, 18),
                paint(&bar, style, self.color),
                r.count
            );
        }
    }
}

/// A bar `frac` of `width` cells long, in eighths.
fn bar(frac: f64, width: usize) -> String {
    let eighths = (frac.clamp(0.0, 1.0) * width as f64 * 8.0).round() as usize;
    let mut s = "█".repeat(eighths / 8);
    if !eighths.is_multiple_of(8) {
        s.push(EIGHTHS[eighths % 8]);
    }
    if s.is_empty() && frac > 0.0 {
        s.push('▏');
    }
    s
}

/// One character per value; gaps (`None`) are spaces. Scaled to `max` or the largest value.
fn sparkline(values: &[Option<f64>], max: Option<f64>) -> String {
    let top = max
        .unwrap_or_else(|| values.iter().flatten().copied().fold(0.0, f64::max))
        .max(f64::MIN_POSITIVE);
    values
        .iter()
        .map(|v| match v {
            None => ' ',
            Some(v) if *v <= 0.0 => '·',
            Some(v) => {
                let i = ((v / top) * 7.0).round() as usize;
                SPARKS[i.min(7)]
            }
        })
        .collect()
}

/// A user-supplied name made safe and cut to `max` characters.
fn label(name: &str, max: usize) -> String {
    truncate(&output::clean(name, false), max)
}

fn truncate(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        return s.to_string();
    }
    let mut t: String = s.chars().take(max.saturating_sub(1)).collect();
    t.push('…');
    t
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

// ---------------------------------------------------------------------------------------
// HTML
// ---------------------------------------------------------------------------------------

/// Escapes text for HTML and SVG content and attribute values, after removing terminal
/// escape sequences, control characters and bidirectional overrides.
fn esc(s: &str) -> String {
    let s = output::clean(s, false);
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            '\n' | '\t' => out.push(' '),
            c if c.is_control() => {}
            '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}' => {}
            c => out.push(c),
        }
    }
    out
}

const CSS: &str = r#"
:root{--bg:#fbf8f4;--fg:#2d2a32;--muted:#6f6a75;--card:#fff;--line:#e6e0d8;
--a:#5b7fd6;--b:#d9805f;--c:#5aa37a;--d:#c9a23a;--e:#9a8fb0;--r:#cf4b4b;--grid:#eee8e0}
@media (prefers-color-scheme:dark){:root{--bg:#1f1d23;--fg:#eeeaf2;--muted:#a59fae;
--card:#2a2730;--line:#3b3742;--grid:#37333d}}
*{box-sizing:border-box}
body{margin:0;background:var(--bg);color:var(--fg);
font:16px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,Ubuntu,sans-serif}
main{max-width:960px;margin:0 auto;padding:32px 20px 48px}
header h1{margin:0 0 4px;font-size:28px;font-weight:650}
header p{margin:0;color:var(--muted)}
.summary{display:flex;flex-wrap:wrap;gap:12px;margin:20px 0 8px}
.stat{background:var(--card);border:1px solid var(--line);border-radius:12px;padding:10px 16px;min-width:130px}
.stat b{display:block;font-size:24px}
.stat span{color:var(--muted);font-size:14px}
section{background:var(--card);border:1px solid var(--line);border-radius:16px;padding:20px 24px;margin:20px 0}
section h2{margin:0 0 4px;font-size:20px}
section p.lead{margin:0 0 12px;color:var(--muted)}
p.empty{margin:8px 0;padding:14px 16px;border-radius:10px;background:var(--bg);color:var(--muted)}
svg{display:block;max-width:100%;height:auto;margin:8px 0}
svg text{fill:var(--fg);font:13px system-ui,-apple-system,"Segoe UI",Roboto,sans-serif}
svg .muted{fill:var(--muted);font-size:12px}
svg .grid{stroke:var(--grid);stroke-width:1}
.fr{fill:var(--r)}.fa{fill:var(--a)}.fb{fill:var(--b)}.fc{fill:var(--c)}.fd{fill:var(--d)}.fe{fill:var(--e)}
.area{fill:var(--a);opacity:.22}.line{fill:none;stroke:var(--b);stroke-width:2.5}
.line-a{fill:none;stroke:var(--a);stroke-width:2}
.dot{fill:var(--b)}.cell0{fill:var(--grid)}
.legend{display:flex;flex-wrap:wrap;gap:14px;margin:4px 0 0;padding:0;list-style:none;color:var(--muted);font-size:14px}
.legend i{display:inline-block;width:12px;height:12px;border-radius:3px;margin-right:6px;vertical-align:-1px}
.kr{background:var(--r)}.ka{background:var(--a)}.kb{background:var(--b)}.kc{background:var(--c)}.kd{background:var(--d)}.ke{background:var(--e)}
table{border-collapse:collapse;width:100%;margin-top:8px;font-size:15px}
th,td{text-align:left;padding:6px 8px;border-bottom:1px solid var(--line)}
th{color:var(--muted);font-weight:600}th.n,td.n{text-align:right;font-variant-numeric:tabular-nums}
footer{color:var(--muted);font-size:13px;text-align:center;margin-top:28px}
"#;

/// The insights as one self-contained HTML5 page titled `title`.
pub fn html(ins: &Insights, title: &str) -> String {
    let mut o = String::with_capacity(32 * 1024);
    let _ = write!(
        o,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <meta name=\"color-scheme\" content=\"light dark\">\n\
         <meta name=\"referrer\" content=\"no-referrer\">\n\
         <meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'\">\n\
         <title>{}</title>\n<style>{CSS}</style>\n</head>\n<body>\n<main>\n",
        esc(title)
    );
    let _ = writeln!(
        o,
        "<header><h1>{}</h1><p>{} · computed on {}</p></header>",
        esc(title),
        esc(&range_label(ins.from, ins.to)),
        ins.today
    );
    let avg = ins
        .feelings
        .average_intensity
        .map_or("–".to_string(), |a| format!("{a:.1}"));
    o.push_str("<div class=\"summary\">");
    for (n, what) in [
        (ins.entries.to_string(), "entries"),
        (ins.feelings.checkins.to_string(), "check-ins"),
        (avg, "average intensity"),
        (
            ins.support.gratitude_entries.to_string(),
            "gratitude entries",
        ),
        (ins.streak.current.to_string(), "day gratitude streak"),
    ] {
        let _ = write!(o, "<div class=\"stat\"><b>{n}</b><span>{what}</span></div>");
    }
    o.push_str("</div>\n");

    feelings_section(&mut o, ins);
    needs_section(&mut o, ins);
    people_section(&mut o, ins);
    boundaries_section(&mut o, ins);
    repairs_section(&mut o, ins);
    streak_section(&mut o, ins);

    o.push_str(
        "<footer>Written by <code>haven insights</code> from your journal. This page holds \
         journal content: keep it somewhere private.</footer>\n</main>\n</body>\n</html>\n",
    );
    o
}

fn section_start(o: &mut String, id: &str, heading: &str, lead: &str) {
    let _ = writeln!(
        o,
        "<section id=\"{id}\"><h2>{}</h2><p class=\"lead\">{}</p>",
        esc(heading),
        esc(lead)
    );
}

fn empty(o: &mut String, name: &str, text: &str) {
    let _ = write!(
        o,
        "<p class=\"empty\" data-empty=\"{name}\">{}</p>\n</section>\n",
        esc(text)
    );
}

fn svg_open(o: &mut String, name: &str, w: f64, h: f64, label: &str) {
    let _ = writeln!(
        o,
        "<svg data-chart=\"{name}\" role=\"img\" aria-label=\"{0}\" viewBox=\"0 0 {w} {h}\" \
         width=\"{w}\" height=\"{h}\" xmlns=\"http://www.w3.org/2000/svg\"><title>{0}</title>",
        esc(label)
    );
}

fn legend(o: &mut String, items: &[(&str, &str)]) {
    o.push_str("<ul class=\"legend\">");
    for (class, text) in items {
        let _ = write!(o, "<li><i class=\"{class}\"></i>{}</li>", esc(text));
    }
    o.push_str("</ul>\n");
}

/// Horizontal bars: one row per item, each with one or more segments `(value, class)`
/// stacked, scaled to the largest row total.
/// One row of [`hbars`]: a label, stacked segments `(value, css class)` and a value label.
type BarRow<'a> = (String, Vec<(usize, &'a str)>, String);

fn hbars(o: &mut String, name: &str, aria: &str, rows: &[BarRow<'_>]) {
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

fn feelings_section(o: &mut String, ins: &Insights) {
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

fn needs_section(o: &mut String, ins: &Insights) {
    section_start(
        o,
        "needs",
        "Needs",
        "How often each need was named. Each bar has two parts: needs named in a \
         check-in (a need named there is one that felt unmet at the time) and needs named \
         when asking for co-regulation.",
    );
    if ins.needs.all.is_empty() {
        return empty(
            o,
            "needs",
            "Nothing yet. When a check-in asks what you need, your answers gather here.",
        );
    }
    let unmet = |name: &str| {
        ins.needs
            .most_often_unmet
            .iter()
            .find(|c| c.name == name)
            .map_or(0, |c| c.count)
    };
    let rows: Vec<_> = ins
        .needs
        .all
        .iter()
        .take(12)
        .map(|c| {
            let u = unmet(&c.name).min(c.count);
            (
                c.name.clone(),
                vec![(u, "fb"), (c.count - u, "fd")],
                format!("{} ({} unmet)", c.count, u),
            )
        })
        .collect();
    let top: Vec<String> = ins
        .needs
        .most_often_unmet
        .iter()
        .take(3)
        .map(|c| c.name.clone())
        .collect();
    let aria = if top.is_empty() {
        "Needs named most often".to_string()
    } else {
        format!(
            "Needs named most often; most often unmet: {}",
            top.join(", ")
        )
    };
    hbars(o, "needs", &aria, &rows);
    legend(
        o,
        &[
            ("kb", "named in a check-in (unmet)"),
            ("kd", "named when asking for co-regulation"),
        ],
    );
    o.push_str("</section>\n");
}

fn people_section(o: &mut String, ins: &Insights) {
    let s = &ins.support;
    section_start(
        o,
        "people",
        "Who shows up for you",
        "The people you thanked in gratitude entries, and how they showed up.",
    );
    if s.people.is_empty() {
        return empty(
            o,
            "people",
            "Nothing yet. An evening gratitude entry about someone who was there for you \
             starts this picture.",
        );
    }
    let rows: Vec<_> = s
        .people
        .iter()
        .take(12)
        .map(|p| (p.name.clone(), vec![(p.count, "fc")], p.count.to_string()))
        .collect();
    hbars(
        o,
        "people",
        &format!(
            "Gratitude by person; {} {} thanked",
            s.people.len(),
            plural(s.people.len(), "person", "people")
        ),
        &rows,
    );
    o.push_str("<table><thead><tr><th>person</th><th class=\"n\">times</th><th>how they showed up</th></tr></thead><tbody>\n");
    for p in s.people.iter().take(30) {
        let ways: Vec<String> = p
            .ways
            .iter()
            .map(|w| format!("{} ×{}", esc(&w.name), w.count))
            .collect();
        let _ = writeln!(
            o,
            "<tr><td>{}</td><td class=\"n\">{}</td><td>{}</td></tr>",
            esc(&p.name),
            p.count,
            if ways.is_empty() {
                "–".to_string()
            } else {
                ways.join(", ")
            }
        );
    }
    o.push_str("</tbody></table>\n</section>\n");
}

fn boundaries_section(o: &mut String, ins: &Insights) {
    section_start(
        o,
        "boundaries",
        "Boundaries by person",
        "Boundary events per person. A long red part is a pattern worth noticing: someone \
         who keeps crossing your limits.",
    );
    if ins.boundaries.is_empty() {
        return empty(
            o,
            "boundaries",
            "Nothing yet. Boundary reflections and events (crossed, kept, a plan cancelled) \
             show up here by person.",
        );
    }
    let segs = |c: &BoundaryCounts| {
        vec![
            (c.crossed, "fr"),
            (c.kept, "fc"),
            (c.cancelled, "fd"),
            (c.reflection + c.other, "fe"),
        ]
    };
    let rows: Vec<_> = ins
        .boundaries
        .iter()
        .take(12)
        .map(|b| {
            (
                b.person.clone(),
                segs(&b.counts),
                boundary_summary(&b.counts),
            )
        })
        .collect();
    let crossed: usize = ins.boundaries.iter().map(|b| b.counts.crossed).sum();
    hbars(
        o,
        "boundaries",
        &format!(
            "Boundary events for {} {}; {crossed} crossed in all",
            ins.boundaries.len(),
            plural(ins.boundaries.len(), "person", "people")
        ),
        &rows,
    );
    legend(
        o,
        &[
            ("kr", "crossed"),
            ("kc", "kept"),
            ("kd", "plan cancelled"),
            ("ke", "reflection"),
        ],
    );
    o.push_str("<table><thead><tr><th>person</th><th>month</th><th class=\"n\">crossed</th><th class=\"n\">kept</th><th class=\"n\">cancelled</th><th class=\"n\">reflections</th></tr></thead><tbody>\n");
    for b in ins.boundaries.iter().take(12) {
        for m in b.months.iter().rev().take(6) {
            let _ = writeln!(
                o,
                "<tr><td>{}</td><td>{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td></tr>",
                esc(&b.person),
                esc(&m.month),
                m.counts.crossed,
                m.counts.kept,
                m.counts.cancelled,
                m.counts.reflection + m.counts.other
            );
        }
    }
    o.push_str("</tbody></table>\n</section>\n");
}

/// "2 crossed, 1 kept": the non-zero parts of a boundary count.
fn boundary_summary(c: &BoundaryCounts) -> String {
    let parts: Vec<String> = [
        (c.crossed, "crossed"),
        (c.kept, "kept"),
        (c.cancelled, "cancelled"),
        (c.reflection + c.other, "reflections"),
    ]
    .into_iter()
    .filter(|(n, _)| *n > 0)
    .map(|(n, what)| format!("{n} {what}"))
    .collect();
    parts.join(", ")
}

fn repairs_section(o: &mut String, ins: &Insights) {
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

fn streak_section(o: &mut String, ins: &Insights) {
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

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;
    use haven_model::insights::{Person, Support};

    #[test]
    fn escapes_user_text() {
        assert_eq!(
            esc("<b>\"Sam\" & 'Al'</b>\u{1b}"),
            "&lt;b&gt;&quot;Sam&quot; &amp; &#39;Al&#39;&lt;/b&gt;"
        );
    }

    #[test]
    fn empty_insights_render_friendly_sections() {
        let ins = Insights::default();
        let page = html(&ins, "Haven");
        assert!(!page.contains("<svg"));
        assert_eq!(page.matches("data-empty=").count(), 6);
        let text = terminal(&ins, false, 80);
        assert!(text.contains("Nothing to look at yet"));
    }

    #[test]
    fn hostile_names_are_escaped_and_cleaned() {
        let ins = Insights {
            entries: 1,
            support: Support {
                gratitude_entries: 1,
                people: vec![Person {
                    name: "<script>x</script>\u{1b}[2J".into(),
                    count: 1,
                    ways: vec![],
                }],
                ways: vec![],
            },
            ..Insights::default()
        };
        let page = html(&ins, "t");
        assert!(!page.contains("<script>"));
        assert!(page.contains("&lt;script&gt;"));
        let text = terminal(&ins, false, 80);
        assert!(!text.contains('\u{1b}'));
    }

    #[test]
    fn bars_and_sparklines() {
        assert_eq!(bar(1.0, 4), "████");
        assert_eq!(bar(0.5, 4), "██");
        assert_eq!(bar(0.0, 4), "");
        assert_eq!(
            sparkline(&[Some(0.0), Some(5.0), None, Some(10.0)], Some(10.0)),
            "·▅ █"
        );
    }
}
