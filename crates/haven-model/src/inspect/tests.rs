use automerge::transaction::Transactable;
use automerge::{ActorId, AutoCommit, ObjType, ROOT, ReadDoc};

use super::*;
use crate::schema;

fn limits() -> ChangeLimits {
    ChangeLimits::default()
}

/// A journal document with every kind of operation a journal makes: nested maps, every
/// scalar type it writes, deletes, a legacy list, and a conflict (two predecessors).
fn busy_doc() -> AutoCommit {
    let mut a = schema::new_document(ActorId::random()).unwrap();
    let entries = match a.get(ROOT, "entries").unwrap() {
        Some((_, id)) => id,
        None => panic!("no entries"),
    };
    let e = a
        .put_object(&entries, "01J0000000000000000000000A", ObjType::Map)
        .unwrap();
    a.put(&e, "text", "hello ".repeat(80)).unwrap();
    a.put(&e, "created", 1_700_000_000_000i64).unwrap();
    a.put(&e, "starred", true).unwrap();
    a.put(&e, "count", 7u64).unwrap();
    a.put(&e, "ratio", 0.5f64).unwrap();
    a.put(&e, "at", automerge::ScalarValue::Timestamp(5))
        .unwrap();
    a.put(&e, "nothing", ()).unwrap();
    let list = a.put_object(&e, "tags", ObjType::List).unwrap();
    for (i, t) in ["a", "b", "c"].iter().enumerate() {
        a.insert(&list, i, *t).unwrap();
    }
    a.delete(&list, 1).unwrap();
    a.commit();
    let mut b = a.fork().with_actor(ActorId::random());
    a.put(&e, "text", "from a").unwrap();
    b.put(&e, "text", "from b").unwrap();
    a.commit();
    b.commit();
    a.merge(&mut b).unwrap();
    a.put(&e, "text", "resolved").unwrap();
    a.delete(&e, "nothing").unwrap();
    a.commit();
    a
}

#[test]
fn every_change_automerge_writes_passes_and_is_counted_as_automerge_counts_it() {
    let mut doc = busy_doc();
    let changes = doc.get_changes(&[]);
    assert!(changes.len() >= 4);
    for change in &changes {
        let bytes = change.raw_bytes();
        let info = inspect_change(bytes, &limits()).unwrap_or_else(|e| {
            panic!("{e} for a change of {} ops", change.len());
        });
        assert_eq!(info.hash, change.hash().0);
        assert_eq!(info.ops, change.len() as u64);
        assert_eq!(info.seq, change.seq());
        assert_eq!(info.start_op, u64::from(change.start_op()));
        assert_eq!(info.actor, change.actor_id().to_bytes());
        let deps: Vec<[u8; 32]> = change.deps().iter().map(|h| h.0).collect();
        assert_eq!(info.deps, deps);
        assert_eq!(info.bytes, bytes.len());
    }
}

#[test]
fn the_genesis_change_may_write_the_root_and_nothing_else_may() {
    let genesis = AutoCommit::load(schema::genesis_bytes())
        .unwrap()
        .get_changes(&[]);
    assert!(inspect_change(genesis[0].raw_bytes(), &limits()).is_ok());
    let mut doc = schema::new_document(ActorId::random()).unwrap();
    let base = doc.get_heads();
    doc.put(ROOT, "entries", 42).unwrap();
    doc.commit();
    let change = doc.get_changes(&base).remove(0);
    assert_eq!(
        inspect_change(change.raw_bytes(), &limits()),
        Err(InspectError::Forbidden("an operation on the document root"))
    );
}

#[test]
fn documents_compressed_changes_and_other_chunks_are_refused() {
    let mut doc = busy_doc();
    assert_eq!(
        inspect_change(&doc.save(), &limits()),
        Err(InspectError::NotAChange("document"))
    );
    let mut big = doc.get_changes(&[]).remove(1);
    let compressed = big.bytes().into_owned();
    assert_eq!(compressed[8], 2, "Automerge compressed this change");
    assert_eq!(
        inspect_change(&compressed, &limits()),
        Err(InspectError::NotAChange("compressed change"))
    );
    assert!(inspect_change(b"", &limits()).is_err());
    assert!(inspect_change(b"not automerge", &limits()).is_err());
}

#[test]
fn counters_text_and_marks_are_refused() {
    let mut doc = schema::new_document(ActorId::random()).unwrap();
    let meta = match doc.get(ROOT, "meta").unwrap() {
        Some((_, id)) => id,
        None => panic!("no meta"),
    };
    let base = doc.get_heads();
    doc.put(&meta, "n", automerge::ScalarValue::counter(1))
        .unwrap();
    doc.commit();
    let change = doc.get_changes(&base).remove(0);
    assert_eq!(
        inspect_change(change.raw_bytes(), &limits()),
        Err(InspectError::Columns(ColumnError::ValueType(8)))
    );
    let base = doc.get_heads();
    doc.put_object(&meta, "t", ObjType::Text).unwrap();
    doc.commit();
    let change = doc.get_changes(&base).remove(0);
    assert_eq!(
        inspect_change(change.raw_bytes(), &limits()),
        Err(InspectError::Columns(ColumnError::Action(4)))
    );
}

#[test]
fn every_truncation_and_bit_flip_is_refused_without_panicking() {
    let mut doc = busy_doc();
    for change in doc.get_changes(&[]) {
        let bytes = change.raw_bytes();
        for len in 0..bytes.len() {
            assert!(inspect_change(&bytes[..len], &limits()).is_err());
        }
        for i in 0..bytes.len() {
            let mut flipped = bytes.to_vec();
            flipped[i] ^= 0x40;
            // The checksum catches most flips; none may panic.
            let _ = inspect_change(&flipped, &limits());
        }
    }
}

#[test]
fn limits_bite() {
    let mut doc = busy_doc();
    let change = doc.get_changes(&[]).remove(1);
    let tight = ChangeLimits {
        max_ops: 3,
        ..limits()
    };
    assert!(matches!(
        inspect_change(change.raw_bytes(), &tight),
        Err(InspectError::Columns(ColumnError::TooMany(_)))
    ));
    let small = ChangeLimits {
        max_bytes: 100,
        ..limits()
    };
    assert_eq!(
        inspect_change(change.raw_bytes(), &small),
        Err(InspectError::TooBig("size"))
    );
}

/// Builds a change chunk around `body` with a correct checksum.
fn chunk(body: &[u8]) -> Vec<u8> {
    let hash = super::hash(1, body);
    let mut out = MAGIC.to_vec();
    out.extend_from_slice(&hash[..4]);
    out.push(1);
    leb(&mut out, body.len() as u64);
    out.extend_from_slice(body);
    out
}

fn leb(out: &mut Vec<u8>, mut n: u64) {
    loop {
        let b = (n & 0x7f) as u8;
        n >>= 7;
        if n == 0 {
            out.push(b);
            return;
        }
        out.push(b | 0x80);
    }
}

fn sleb(out: &mut Vec<u8>, mut n: i64) {
    loop {
        let b = (n & 0x7f) as u8;
        n >>= 7;
        let done = (n == 0 && b & 0x40 == 0) || (n == -1 && b & 0x40 != 0);
        out.push(if done { b } else { b | 0x80 });
        if done {
            return;
        }
    }
}

/// A change body with no dependencies whose columns are `cols` (spec, data).
fn body_with(cols: &[(u32, Vec<u8>)]) -> Vec<u8> {
    let mut b = Vec::new();
    leb(&mut b, 0); // deps
    leb(&mut b, 16);
    b.extend_from_slice(&[7; 16]); // actor
    leb(&mut b, 1); // seq
    leb(&mut b, 1); // start op
    sleb(&mut b, 0); // time
    leb(&mut b, 0); // message
    leb(&mut b, 0); // other actors
    leb(&mut b, cols.len() as u64);
    for (spec, data) in cols {
        leb(&mut b, u64::from(*spec));
        leb(&mut b, data.len() as u64);
    }
    for (_, data) in cols {
        b.extend_from_slice(data);
    }
    b
}

fn run(count: i64, value: u64) -> Vec<u8> {
    let mut out = Vec::new();
    sleb(&mut out, count);
    leb(&mut out, value);
    out
}

#[test]
fn a_run_claiming_billions_of_operations_is_refused_at_once() {
    // Action column (id 4, integer): "put, 2^40 times" in six bytes.
    let body = body_with(&[(4 << 4 | 2, run(1 << 40, 1))]);
    let started = std::time::Instant::now();
    assert_eq!(
        inspect_change(&chunk(&body), &limits()),
        Err(InspectError::Columns(ColumnError::TooMany("operations")))
    );
    assert!(started.elapsed() < std::time::Duration::from_secs(1));
}

#[test]
fn a_short_key_repeated_many_times_is_bounded_and_columns_must_agree() {
    // Ten operations whose key column claims a million rows of one key.
    let mut key = Vec::new();
    sleb(&mut key, 1_000_000);
    leb(&mut key, 3);
    key.extend_from_slice(b"abc");
    let body = body_with(&[(1 << 4 | 5, key), (4 << 4 | 2, run(10, 1))]);
    assert!(matches!(
        inspect_change(&chunk(&body), &limits()),
        Err(InspectError::Columns(
            ColumnError::TooMany(_) | ColumnError::Mismatch(_)
        ))
    ));
    // An unknown column, and a compressed one.
    let body = body_with(&[(4 << 4 | 2, run(1, 1)), (12 << 4 | 2, run(1, 1))]);
    assert_eq!(
        inspect_change(&chunk(&body), &limits()),
        Err(InspectError::Columns(ColumnError::Unknown))
    );
    let body = body_with(&[(4 << 4 | 0b1010, run(1, 1))]);
    assert_eq!(
        inspect_change(&chunk(&body), &limits()),
        Err(InspectError::Columns(ColumnError::Unknown))
    );
}

#[test]
fn group_sizes_must_match_their_columns() {
    // One op whose predecessor group claims 2^30 predecessors.
    let body = body_with(&[(4 << 4 | 2, run(1, 1)), (7 << 4, run(1, 1 << 30))]);
    assert_eq!(
        inspect_change(&chunk(&body), &limits()),
        Err(InspectError::Columns(ColumnError::TooMany("predecessors")))
    );
}
