//! Pairing, both halves: [`host`] shows a ticket and pairs with the first device that
//! presents it; [`join`] presents a ticket and adopts what the welcome offers, held to the
//! ticket's scope. The messages and the checks on them are in `haven_sync::pair`.

mod host;
mod join;

pub use host::{
    Invitation, Knocks, PairHandler, Paired, Showing, await_joiner, host_pairing,
    wait_for_own_relay,
};
pub use join::{Joined, join, join_on};
