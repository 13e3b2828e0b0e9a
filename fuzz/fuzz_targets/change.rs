//! The incoming-change check that runs before Automerge: arbitrary change chunks, and real
//! ones built from the input and then corrupted. The check must never panic, must run in
//! time linear in the input, and what it passes must be within its limits; whatever passes
//! is then handed to Automerge (under `catch_unwind`, as the session does), which must not
//! abort the process.
#![no_main]

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Once;

use automerge::transaction::Transactable;
use automerge::{ActorId, AutoCommit, ObjType, ReadDoc, ROOT};
use haven_model::inspect::{ChangeLimits, inspect_change};
use haven_model::schema;
use libfuzzer_sys::fuzz_target;

static QUIET: Once = Once::new();

/// A real change chunk whose operations the input chooses: entries with texts, nested maps,
/// lists, deletes.
fn real_change(data: &[u8]) -> Option<Vec<u8>> {
    let mut doc = schema::new_document(ActorId::from(&[9u8; 16][..])).ok()?;
    let base = doc.get_heads();
    let (_, entries) = doc.get(ROOT, "entries").ok()??;
    let mut objs = vec![entries];
    for chunk in data.chunks(3) {
        let (op, a, b) = (chunk[0] % 5, *chunk.get(1)? as usize, *chunk.get(2)?);
        let obj = objs[a % objs.len()].clone();
        let key = format!("k{}", b % 16);
        match (op, doc.object_type(&obj).ok()?) {
            (0, ObjType::Map) => {
                let id = doc.put_object(&obj, key, ObjType::Map).ok()?;
                objs.push(id);
            }
            (1, ObjType::Map) => {
                doc.put(&obj, key, "x".repeat(b as usize)).ok()?;
            }
            (2, ObjType::Map) => {
                doc.put(&obj, key, i64::from(b) - 100).ok()?;
            }
            (3, ObjType::Map) => {
                let id = doc.put_object(&obj, key, ObjType::List).ok()?;
                objs.push(id);
            }
            (4, ObjType::Map) => {
                let _ = doc.delete(&obj, key);
            }
            (_, ObjType::List) => {
                let len = doc.length(&obj);
                doc.insert(&obj, a % (len + 1), b as i64).ok()?;
            }
            _ => {}
        }
    }
    doc.commit();
    doc.get_changes(&base).first().map(|c| c.raw_bytes().to_vec())
}

fuzz_target!(|data: &[u8]| {
    // Automerge panics on some crafted input and the code under test catches that; let
    // such a panic unwind to the catch instead of libFuzzer's abort-on-panic hook.
    QUIET.call_once(|| std::panic::set_hook(Box::new(|_| {})));
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    let chunk = if mode % 2 == 0 {
        rest.to_vec()
    } else {
        // A real change, then corrupted at the places the input names.
        let (ops, flips) = rest.split_at(rest.len() / 2);
        let Some(mut chunk) = real_change(ops) else {
            return;
        };
        for pair in flips.chunks(2) {
            if let [at, value] = pair {
                let i = usize::from(*at) * 7 % chunk.len().max(1);
                if let Some(b) = chunk.get_mut(i) {
                    *b ^= *value;
                }
            }
        }
        chunk
    };
    let limits = ChangeLimits::default();
    let Ok(info) = inspect_change(&chunk, &limits) else {
        return;
    };
    assert!(info.ops <= limits.max_ops && info.bytes == chunk.len());
    let Ok(mut doc) = AutoCommit::load(schema::genesis_bytes()) else {
        return;
    };
    let _ = catch_unwind(AssertUnwindSafe(|| doc.load_incremental(&chunk)));
});
