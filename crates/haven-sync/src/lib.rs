//! Haven's sync: devices and partners exchange journals directly over iroh.
//!
//! * [`frame`]: length-prefixed frames with a hard size limit (sans-IO).
//! * [`check`]: checks a sync message from the network before Automerge sees it.
//! * [`session`]: one sync session over any number of journals, as a state machine fed
//!   with frames: a hello that agrees on the journals both sides are members of, then
//!   rounds of Automerge sync messages until both are idle (sans-IO).
//! * [`ticket`]: pairing tickets (inviter address, one-time secret, scope, expiry).
//! * [`pair`]: the pairing exchange that a ticket opens (sans-IO).
//! * `net`: the iroh transport that moves frames between endpoints (feature `net`, on by
//!   default).

pub mod check;
pub mod frame;
pub mod message;
#[cfg(feature = "net")]
pub mod net;
pub mod pair;
pub mod session;
pub mod ticket;

/// The ALPN of the sync protocol.
pub const SYNC_ALPN: &[u8] = b"haven/sync/3";
/// The ALPN of pairing.
pub const PAIR_ALPN: &[u8] = b"haven/pair/3";
/// The ALPNs of the previous protocol: a device that still speaks it is told to upgrade.
pub const OLD_ALPNS: [&[u8]; 2] = [b"haven/sync/2", b"haven/pair/2"];

/// A journal's identity shared by every copy of it (16 random bytes).
pub type JournalKey = [u8; 16];
