//! The sync message check and the session that applies what passes it: a responder that
//! has agreed on one journal receives arbitrary bytes as that journal's sync message (as
//! Haven's encoding of one, or as one change chunk in it). It must refuse or apply them and
//! never panic out, and whatever the check refuses must end the session.
#![no_main]

use std::collections::BTreeMap;
use std::sync::Once;

use automerge::ActorId;
use automerge::sync::State;
use haven_model::schema;
use haven_model::validate::Baseline;
use haven_sync::check::{Budget, CheckError, Limits, check_message};
use haven_sync::frame::{self, Frame, VERSION};
use haven_sync::message::SyncMessage;
use haven_sync::session::{JournalSync, SyncSession};
use libfuzzer_sys::fuzz_target;

const KEY: [u8; 16] = [7; 16];

static QUIET: Once = Once::new();

fuzz_target!(|data: &[u8]| {
    // Automerge panics on some crafted input and the code under test catches that; let
    // such a panic unwind to the catch instead of libFuzzer's abort-on-panic hook. A panic
    // that escapes the code under test still aborts, and is reported as a crash.
    QUIET.call_once(|| std::panic::set_hook(Box::new(|_| {})));

    let msg: SyncMessage = frame::decode_body(data).unwrap_or_else(|_| SyncMessage {
        changes: vec![serde_bytes::ByteBuf::from(data.to_vec())],
        ..SyncMessage::default()
    });
    let checked = check_message(&msg, &[0; 16], &Limits::default(), &mut Budget::default());

    let Ok(doc) = schema::new_document(ActorId::random()) else {
        return;
    };
    let baseline = Baseline::of(&doc, Default::default());
    let mut journals = BTreeMap::new();
    journals.insert(KEY, JournalSync::new(doc, State::new(), baseline));
    let mut session = SyncSession::responder(journals);
    let hello = Frame::Hello {
        version: VERSION,
        journals: vec![KEY],
    };
    if session.handle(hello).is_err() {
        return;
    }
    let round = Frame::Round {
        messages: vec![(KEY, msg)],
    };
    let applied = session.handle(round);
    if matches!(checked, Err(ref e) if !matches!(e, CheckError::Quota(_))) {
        assert!(applied.is_err(), "a message the check refuses must end the session");
    }
});
