//! The sections that rank names: the needs named most often (and how often unmet), the
//! people who show up, and boundary events by person, each as bars and a table.

use std::fmt::Write as _;

use haven_model::insights::{BoundaryCounts, Insights};

use super::page::{empty, esc, section_start};
use super::plural;
use super::svg::{hbars, legend};

pub(super) fn needs_section(o: &mut String, ins: &Insights) {
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

pub(super) fn people_section(o: &mut String, ins: &Insights) {
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

pub(super) fn boundaries_section(o: &mut String, ins: &Insights) {
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
