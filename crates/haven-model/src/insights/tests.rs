//! Tests of the insights: each section on a small journal, the range and time zone rules,
//! and one pass over a hundred thousand entries.

#![allow(clippy::unwrap_used)]

use super::*;
use crate::entry::{EntryId, FieldValue, Timestamp};
use jiff::civil::date;

fn at(d: Date, hour: i8) -> Timestamp {
    let ts = d
        .at(hour, 0, 0, 0)
        .to_zoned(TimeZone::UTC)
        .unwrap()
        .timestamp();
    Timestamp {
        unix_ms: ts.as_millisecond(),
        offset_secs: 0,
    }
}

fn entry(kind: EntryKind, d: Date, hour: i8, n: u128) -> Entry {
    let created = at(d, hour);
    let id = EntryId::from_parts(created.unix_ms as u64, n);
    Entry::new(kind, id, created, "dev".into(), String::new())
}

fn list_of(items: &[&str]) -> FieldValue {
    FieldValue::List(items.iter().map(|s| s.to_string()).collect())
}

fn checkin(d: Date, feelings: &[&str], intensity: i64, needs: &[&str]) -> Entry {
    let mut e = entry(EntryKind::Checkin, d, 9, 1);
    e.fields.insert(key::FEELINGS.into(), list_of(feelings));
    e.fields
        .insert(key::INTENSITY.into(), FieldValue::Int(intensity));
    e.fields.insert(key::NEEDS.into(), list_of(needs));
    e
}

fn gratitude(d: Date, people: &[&str], ways: &[&str]) -> Entry {
    let mut e = entry(EntryKind::Gratitude, d, 21, 2);
    e.people = people.iter().map(|s| s.to_string()).collect();
    e.fields.insert(key::WAYS.into(), list_of(ways));
    e
}

fn boundary(d: Date, person: &str, event: &str) -> Entry {
    let mut e = entry(EntryKind::Boundary, d, 12, 3);
    if !person.is_empty() {
        e.people = vec![person.to_string()];
    }
    e.fields
        .insert(key::EVENT.into(), FieldValue::Text(event.into()));
    e
}

fn count(v: &[Count], name: &str) -> usize {
    v.iter().find(|c| c.name == name).map_or(0, |c| c.count)
}

const TODAY: Date = date(2026, 11, 27);

fn run(entries: &[Entry]) -> Insights {
    compute(entries, None, None, &TimeZone::UTC, TODAY)
}

#[test]
fn empty_journal_gives_empty_insights() {
    let ins = run(&[]);
    assert_eq!(ins.entries, 0);
    assert!(ins.feelings.weeks.is_empty());
    assert_eq!(ins.feelings.average_intensity, None);
    assert_eq!(ins.streak.current, 0);
    assert_eq!(ins.streak.longest, 0);
    assert_eq!(ins.repairs, Repairs::default());
}

#[test]
fn feelings_are_counted_per_iso_week_with_average_intensity() {
    // 2026-11-16 is a Monday (W47); 2026-11-23 starts W48; W46 is left empty between.
    let entries = vec![
        checkin(date(2026, 11, 2), &["calm"], 2, &[]), // W45
        checkin(date(2026, 11, 16), &["Anxious", "tired"], 8, &[]),
        checkin(date(2026, 11, 22), &["anxious"], 5, &[]), // Sunday, still W47
        checkin(date(2026, 11, 23), &["calm"], 3, &[]),
    ];
    let ins = run(&entries);
    let f = &ins.feelings;
    assert_eq!(f.checkins, 4);
    assert_eq!(f.average_intensity, Some(4.5));
    assert_eq!(count(&f.totals, "anxious"), 2);
    assert_eq!(count(&f.totals, "calm"), 2);
    assert_eq!(count(&f.totals, "tired"), 1);
    let labels: Vec<&str> = f.weeks.iter().map(|w| w.week.as_str()).collect();
    assert_eq!(labels, ["2026-W45", "2026-W46", "2026-W47", "2026-W48"]);
    assert_eq!(f.weeks[1].checkins, 0);
    assert_eq!(f.weeks[1].average_intensity, None);
    assert_eq!(f.weeks[2].start, date(2026, 11, 16));
    assert_eq!(f.weeks[2].checkins, 2);
    assert_eq!(f.weeks[2].average_intensity, Some(6.5));
    assert_eq!(count(&f.weeks[2].feelings, "anxious"), 2);
    assert_eq!(f.weeks[2].feelings[0].name, "anxious");
    assert_eq!(f.weeks[3].average_intensity, Some(3.0));
}

#[test]
fn needs_from_checkins_are_unmet_and_coreg_needs_only_count_overall() {
    let mut coreg = entry(EntryKind::Coreg, date(2026, 11, 20), 20, 4);
    coreg
        .fields
        .insert(key::NEEDS.into(), list_of(&["space", "Hug"]));
    let entries = vec![
        checkin(date(2026, 11, 18), &["sad"], 4, &["reassurance", "rest"]),
        checkin(date(2026, 11, 19), &["sad"], 4, &["Reassurance "]),
        coreg,
    ];
    let ins = run(&entries);
    assert_eq!(count(&ins.needs.all, "reassurance"), 2);
    assert_eq!(count(&ins.needs.all, "rest"), 1);
    assert_eq!(count(&ins.needs.all, "space"), 1);
    assert_eq!(count(&ins.needs.all, "hug"), 1);
    assert_eq!(ins.needs.most_often_unmet[0].name, "reassurance");
    assert_eq!(ins.needs.most_often_unmet[0].count, 2);
    assert_eq!(count(&ins.needs.most_often_unmet, "space"), 0);
    assert_eq!(ins.needs.most_often_unmet.len(), 2);
}

#[test]
fn who_shows_up_counts_people_and_ways() {
    let entries = vec![
        gratitude(date(2026, 11, 20), &["Sam", "Alex"], &["listened"]),
        gratitude(date(2026, 11, 21), &["sam"], &["showed up", "listened"]),
        gratitude(date(2026, 11, 22), &[], &["showed care"]),
    ];
    let s = run(&entries).support;
    assert_eq!(s.gratitude_entries, 3);
    assert_eq!(s.people.len(), 2);
    assert_eq!(s.people[0].name, "Sam");
    assert_eq!(s.people[0].count, 2);
    assert_eq!(count(&s.people[0].ways, "listened"), 2);
    assert_eq!(count(&s.people[0].ways, "showed up"), 1);
    assert_eq!(s.people[1].name, "Alex");
    assert_eq!(s.people[1].count, 1);
    assert_eq!(count(&s.ways, "listened"), 2);
    assert_eq!(count(&s.ways, "showed care"), 1);
}

#[test]
fn boundary_events_per_person_and_month() {
    let mut reflection = boundary(date(2026, 11, 3), "Jordan", "");
    reflection.fields.remove(key::EVENT);
    let entries = vec![
        boundary(date(2026, 10, 30), "Jordan", "crossed"),
        boundary(date(2026, 11, 2), "jordan", "crossed"),
        boundary(date(2026, 11, 4), "Jordan", "kept"),
        reflection,
        boundary(date(2026, 11, 5), "Mia", "cancelled"),
        boundary(date(2026, 11, 6), "", "kept"),
    ];
    let b = run(&entries).boundaries;
    assert_eq!(b.len(), 3);
    let j = &b[0];
    assert_eq!(j.person, "Jordan");
    assert_eq!(
        j.counts,
        BoundaryCounts {
            crossed: 2,
            kept: 1,
            cancelled: 0,
            reflection: 1,
            other: 0
        }
    );
    assert_eq!(j.months.len(), 2);
    assert_eq!(j.months[0].month, "2026-10");
    assert_eq!(j.months[0].counts.crossed, 1);
    assert_eq!(j.months[1].month, "2026-11");
    assert_eq!(j.months[1].counts.crossed, 1);
    assert_eq!(j.months[1].counts.kept, 1);
    assert_eq!(j.months[1].counts.reflection, 1);
    let mia = b.iter().find(|p| p.person == "Mia").unwrap();
    assert_eq!(mia.counts.cancelled, 1);
    let none = b.iter().find(|p| p.person == NO_ONE).unwrap();
    assert_eq!(none.counts.kept, 1);
}

#[test]
fn repairs_opened_answered_repaired() {
    let r1 = entry(EntryKind::Repair, date(2026, 10, 10), 10, 10);
    let mut r2 = entry(EntryKind::Repair, date(2026, 11, 1), 10, 11);
    r2.fields
        .insert(key::STATE.into(), FieldValue::Text("repaired".into()));
    r2.edited = Some(at(date(2026, 11, 3), 10));
    let r3 = entry(EntryKind::Repair, date(2026, 11, 5), 10, 12);
    // r1 answered in November with "received"; r3 answered and closed by the answer.
    let mut a1 = entry(EntryKind::Repair, date(2026, 11, 2), 10, 13);
    a1.fields
        .insert(key::ANSWERS.into(), FieldValue::Text(r1.id.to_string()));
    a1.fields
        .insert(key::RECEIVED.into(), FieldValue::Bool(true));
    let mut a3 = entry(EntryKind::Repair, date(2026, 11, 6), 10, 14);
    a3.fields
        .insert(key::ANSWERS.into(), FieldValue::Text(r3.id.to_string()));
    a3.fields
        .insert(key::STATE.into(), FieldValue::Text("repaired".into()));
    // An answer to something that is not a repair in range is ignored.
    let mut stray = entry(EntryKind::Note, date(2026, 11, 7), 10, 15);
    stray.fields.insert(
        key::ANSWERS.into(),
        FieldValue::Text("01XXXXXXXXXXXXXXXXXXXXXXXX".into()),
    );
    // Answers may arrive before the repair they answer (sync order): a3 first.
    let entries = vec![a3, r1, r2, a1, r3, stray];
    let r = run(&entries).repairs;
    assert_eq!(r.opened, 3);
    assert_eq!(r.answered, 2);
    assert_eq!(r.repaired, 2);
    assert_eq!(r.still_open, 0);
    assert_eq!(
        r.months,
        vec![
            MonthRepairs {
                month: "2026-10".into(),
                opened: 1,
                answered: 0,
                repaired: 0
            },
            MonthRepairs {
                month: "2026-11".into(),
                opened: 2,
                answered: 2,
                repaired: 2
            },
        ]
    );
}

#[test]
fn gratitude_streaks_current_and_longest() {
    let days = [
        date(2026, 11, 1),
        date(2026, 11, 2),
        date(2026, 11, 3),
        date(2026, 11, 4),
        date(2026, 11, 10),
        date(2026, 11, 25),
        date(2026, 11, 26),
        date(2026, 11, 26), // two the same day count once
    ];
    let entries: Vec<Entry> = days.iter().map(|d| gratitude(*d, &["Sam"], &[])).collect();
    let s = run(&entries).streak;
    assert_eq!(s.longest, 4);
    assert_eq!(s.longest_end, Some(date(2026, 11, 4)));
    // Today (27th) has none yet, yesterday has: the streak is still alive.
    assert_eq!(s.current, 2);
    assert_eq!(s.days.len(), 7);
    assert_eq!(s.days[6].count, 2);
    let later = compute(&entries, None, None, &TimeZone::UTC, date(2026, 11, 28));
    assert_eq!(later.streak.current, 0);
    let mut with_today = entries.clone();
    with_today.push(gratitude(TODAY, &["Sam"], &[]));
    assert_eq!(run(&with_today).streak.current, 3);
}

#[test]
fn range_and_time_zone_decide_the_local_day() {
    // 23:30 UTC on the 9th is already the 10th in Berlin.
    let mut late = entry(EntryKind::Note, date(2026, 11, 9), 23, 20);
    late.created.unix_ms += 30 * 60 * 1000;
    let early = entry(EntryKind::Note, date(2026, 11, 12), 9, 21);
    let entries = vec![late, early];
    let utc = compute(
        &entries,
        Some(date(2026, 11, 10)),
        Some(date(2026, 11, 11)),
        &TimeZone::UTC,
        TODAY,
    );
    assert_eq!(utc.entries, 0);
    let berlin = TimeZone::get("Europe/Berlin").unwrap();
    let local = compute(
        &entries,
        Some(date(2026, 11, 10)),
        Some(date(2026, 11, 11)),
        &berlin,
        TODAY,
    );
    assert_eq!(local.entries, 1);
    assert_eq!(
        local.kinds,
        vec![KindCount {
            kind: EntryKind::Note,
            count: 1
        }]
    );
    let all = compute(&entries, None, None, &berlin, TODAY);
    assert_eq!(all.entries, 2);
}

#[test]
fn hundred_thousand_entries_in_one_pass() {
    let start = date(2024, 1, 1);
    let mut entries = Vec::with_capacity(100_000);
    for i in 0..100_000u32 {
        let d = start
            .checked_add(jiff::Span::new().days(i64::from(i / 40)))
            .unwrap();
        let e = match i % 5 {
            0 => checkin(d, &["calm", "hopeful"], i64::from(i % 11), &["rest"]),
            1 => gratitude(d, &["Sam", "Alex"], &["listened"]),
            2 => boundary(d, "Jordan", "kept"),
            3 => entry(EntryKind::Repair, d, 10, u128::from(i)),
            _ => entry(EntryKind::Note, d, 10, u128::from(i)),
        };
        entries.push(e);
    }
    // How fast is the benchmarks' business (`.bench/run`, "insights"), not a test's.
    let ins = compute(&entries, None, None, &TimeZone::UTC, TODAY);
    assert_eq!(ins.entries, 100_000);
    assert_eq!(ins.feelings.checkins, 20_000);
    assert_eq!(ins.support.people[0].count, 20_000);
    assert_eq!(ins.repairs.opened, 20_000);
    assert_eq!(ins.streak.longest, 2500);
}
