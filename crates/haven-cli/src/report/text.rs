//! The insights as terminal text: a heading per section, bar charts drawn with Unicode
//! block characters in eighths, weekly sparklines, small tables and a one-mark-per-day
//! gratitude strip, coloured with ANSI styles when asked.

use std::fmt::Write as _;

use haven_model::insights::{Count, Insights};

use super::{plural, range_label, streak_strip, truncate};
use crate::output::{self, paint};

const SPARKS: [char; 8] = ['▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'];
const EIGHTHS: [char; 8] = [' ', '▏', '▎', '▍', '▌', '▋', '▊', '▉'];

/// The insights as text for a terminal `width` columns wide, coloured when `color`.
pub fn terminal(ins: &Insights, color: bool, width: usize) -> String {
    let width = width.clamp(40, 200);
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
    let kinds: Vec<String> = ins.kinds.iter().map(|k| k.kind.count(k.count)).collect();
    let summary = format!(
        "{} {}: {}",
        ins.entries,
        plural(ins.entries, "entry", "entries"),
        kinds.join(", ")
    );
    let words: Vec<String> = summary.split_whitespace().map(str::to_string).collect();
    for line in output::wrap("", &words, t.width) {
        let _ = writeln!(out, "{}", line.trim_start());
    }

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
            .map(|p| output::display_width(&label(&p.name, 18)))
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
                "  {}  {}",
                pad(&label(&p.name, 18), name_w),
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
            .map(|b| output::display_width(&label(&b.person, 18)))
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
                "  {} {} {:>5} {:>9} {:>11}  {}",
                pad(&label(&b.person, 18), name_w),
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
        let words: Vec<String> = text.split_whitespace().map(str::to_string).collect();
        for line in output::wrap("", &words, self.width.saturating_sub(3)) {
            let _ = writeln!(out, "  {}", paint(line.trim_start(), "2", self.color));
        }
    }

    /// Horizontal bars for the first `max` rows, scaled to the widest.
    fn bars(&self, out: &mut String, rows: &[Count], max: usize, style: &str) {
        let rows = &rows[..rows.len().min(max)];
        let label_w = rows
            .iter()
            .map(|r| output::display_width(&label(&r.name, 18)))
            .max()
            .unwrap_or(0);
        let top = rows.iter().map(|r| r.count).max().unwrap_or(0).max(1);
        let num_w = top.to_string().len();
        let bar_w = self.width.saturating_sub(label_w + num_w + 6).clamp(4, 40);
        for r in rows {
            let bar = bar(r.count as f64 / top as f64, bar_w);
            let _ = writeln!(
                out,
                "  {} {} {:>num_w$}",
                pad(&label(&r.name, 18), label_w),
                paint(&bar, style, self.color),
                r.count
            );
        }
    }
}

/// A bar `frac` of `width` cells long, in eighths.
pub(super) fn bar(frac: f64, width: usize) -> String {
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
pub(super) fn sparkline(values: &[Option<f64>], max: Option<f64>) -> String {
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
/// `text` followed by spaces to `width` terminal columns (wide characters count two).
fn pad(text: &str, width: usize) -> String {
    let room = width.saturating_sub(output::display_width(text));
    format!("{text}{}", " ".repeat(room))
}

fn label(name: &str, max: usize) -> String {
    truncate(&output::clean(name, false), max)
}
