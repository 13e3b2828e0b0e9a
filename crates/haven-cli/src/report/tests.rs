//! Tests of the report: escaping, the friendly empty sections, hostile names, and the bar
//! and sparkline characters.

#![allow(clippy::unwrap_used)]

use super::page::esc;
use super::text::{bar, sparkline};
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
