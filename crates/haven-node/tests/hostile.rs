//! A member that speaks the real sync protocol against a running daemon and sends what no
//! honest device would: a change that breaks the journal's structure, an entry beyond the
//! limits, data for a journal it was not agreed on, a frame longer than any allowed. Each
//! session is refused and nothing from it is kept, on disk or in the copy the daemon keeps
//! in memory between sessions, and the same member syncing honestly afterwards still
//! converges. A stranger's flood of silent connections holds a bounded number of tasks
//! while members go on syncing.

#![allow(clippy::unwrap_used, missing_docs)]

mod common;

use std::time::Duration;

use automerge::ROOT;
use automerge::transaction::Transactable;
use common::Device;
use common::client::{
    STEP, crafted, endpoint_toward, note, nothing_was_kept, refused, session, shared_pair, sync_sam,
};
use haven_node::node::PeerOutcome;
use haven_sync::frame::Frame;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_member_that_breaks_the_structure_is_refused_and_nothing_is_kept() {
    let (robin, sam, key, daemon) = shared_pair().await;
    let msg = crafted(&sam, |doc| {
        doc.put(ROOT, "evil", 1).unwrap();
    });
    let refusal = refused(&sam, &robin, key, key, msg).await;
    assert!(
        refusal.contains("operation on the document root"),
        "{refusal}"
    );
    nothing_was_kept(&robin, &sam, 1, "evil").await;
    daemon.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_entry_beyond_the_limits_is_refused_and_nothing_is_kept() {
    let (robin, sam, key, daemon) = shared_pair().await;
    let huge = "x".repeat(haven_model::validate::limits::TEXT_BYTES + 1);
    let msg = crafted(&sam, |doc| {
        let entry = note(&sam, 99, "short at first");
        haven_model::schema::put_entry(doc, &entry).unwrap();
        // What no honest device writes: the text replaced, past the limit, by a raw put.
        let obj = haven_model::schema::entry_obj(doc, entry.id)
            .unwrap()
            .unwrap();
        doc.put(&obj, "text", huge.as_str()).unwrap();
    });
    let refusal = refused(&sam, &robin, key, key, msg).await;
    assert!(refusal.contains("over the limit"), "{refusal}");
    assert!(
        !robin
            .texts(&robin.journal("us"))
            .iter()
            .any(|t| t.len() > 1000)
    );
    nothing_was_kept(&robin, &sam, 2, "evil").await;
    assert!(!sam.texts(&sam.journal("us")).iter().any(|t| t.len() > 1000));
    daemon.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn data_for_an_unagreed_journal_and_an_oversized_frame_end_the_session() {
    let (robin, sam, key, daemon) = shared_pair().await;
    // Robin's personal journal, which Sam is no member of.
    let personal = robin.key_of(&robin.node.vault().personal());
    let msg = crafted(&sam, |doc| {
        doc.put(ROOT, "elsewhere", 1).unwrap();
    });
    let refusal = refused(&sam, &robin, key, personal, msg).await;
    assert!(refusal.contains("not a member"), "{refusal}");
    // A length prefix announcing 4 GiB: refused from the prefix, nothing allocated.
    let (endpoint, conn, mut send, mut recv) = session(&sam, &robin, key).await;
    send.write_all(&u32::MAX.to_be_bytes()).await.unwrap();
    send.write_all(&[0; 64]).await.unwrap();
    let mut ended = false;
    for _ in 0..4 {
        match haven_sync::net::recv::<Frame>(&mut recv, STEP).await {
            Ok(Frame::Refused { .. }) | Err(_) => {
                ended = true;
                break;
            }
            Ok(_) => {}
        }
    }
    assert!(ended, "the session went on after an oversized frame");
    conn.close(0u32.into(), b"");
    drop((send, recv, conn));
    endpoint.close().await;
    nothing_was_kept(&robin, &sam, 3, "elsewhere").await;
    daemon.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_flood_of_silent_connections_holds_few_tasks_and_members_still_sync() {
    use haven_node::courtesy::POLITE_AT_ONCE;
    let (robin, sam, _key, daemon) = shared_pair().await;
    // A stranger opens many connections on both protocols and never opens a stream: each
    // would be held until its refusal could be said.
    let eve = Device::new("unknown", "Eve");
    let (endpoint, addr) = endpoint_toward(&eve, &robin).await;
    const EACH: usize = 40;
    let mut flood = Vec::new();
    for alpn in [haven_sync::SYNC_ALPN, haven_sync::PAIR_ALPN] {
        for _ in 0..EACH {
            flood.push(endpoint.connect(addr.clone(), alpn).await.unwrap());
        }
    }
    // While the polite refusals wait on their peers, a member syncs as usual.
    sam.write(&sam.journal("us"), 50, "during the flood");
    let outcomes = sync_sam(&sam).await;
    assert!(
        matches!(outcomes.as_slice(), [PeerOutcome::Synced(..)]),
        "{outcomes:?}"
    );
    assert!(
        robin
            .texts(&robin.journal("us"))
            .contains(&"during the flood".to_string())
    );
    // Beyond the polite few per protocol, the daemon closed the connections at once (the
    // polite ones wait up to 5 s for a stream; one deadline for all tells them apart).
    let deadline = tokio::time::Instant::now() + Duration::from_millis(500);
    let mut closed = Vec::new();
    for conn in &flood {
        closed.push(
            tokio::time::timeout_at(deadline, conn.closed())
                .await
                .is_ok(),
        );
    }
    let closed_at_once = closed.iter().filter(|c| **c).count();
    assert!(
        closed_at_once >= 2 * (EACH - POLITE_AT_ONCE),
        "{closed_at_once} of {} closed at once",
        flood.len()
    );
    for conn in &flood {
        conn.close(0u32.into(), b"");
    }
    drop(flood);
    endpoint.close().await;
    daemon.stop().await;
}
