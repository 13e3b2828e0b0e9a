//! The sync message check and the session that applies what passes it: a responder that
//! has agreed on one journal receives arbitrary bytes as that journal's Automerge sync
//! message. It must refuse or apply them and never panic out, and whatever the check
//! refuses must end the session.
#![no_main]

use std::collections::BTreeMap;
use std::sync::Once;

use automerge::sync::State;
use automerge::{AutoCommit, ROOT, transaction::Transactable};
use haven_sync::check::{Limits, check_message};
use haven_sync::frame::{Frame, VERSION};
use haven_sync::session::{JournalSync, SyncSession};
use libfuzzer_sys::fuzz_target;

const KEY: [u8; 16] = [7; 16];

static QUIET: Once = Once::new();

fuzz_target!(|data: &[u8]| {
    // Automerge panics on some crafted input and the code under test catches that; let
    // such a panic unwind to the catch instead of libFuzzer's abort-on-panic hook. A panic
    // that escapes the code under test still aborts, and is reported as a crash.
    QUIET.call_once(|| std::panic::set_hook(Box::new(|_| {})));

    let checked = check_message(data, &Limits::default());

    let mut doc = AutoCommit::new();
    if doc.put(ROOT, "entry", "kept").is_err() {
        return;
    }
    let mut journals = BTreeMap::new();
    journals.insert(KEY, JournalSync::new(doc, State::new()));
    let mut session = SyncSession::responder(journals);
    let hello = Frame::Hello {
        version: VERSION,
        journals: vec![KEY],
    };
    if session.handle(hello).is_err() {
        return;
    }
    let round = Frame::Round {
        messages: vec![(KEY, data.to_vec())],
    };
    let applied = session.handle(round);
    if checked.is_err() {
        assert!(applied.is_err(), "a message the check refuses must end the session");
    }
});
