//! Haven's sync engine, between the libraries and a front end.
//!
//! A [`Node`] is one device's unlocked vault with its network settings: it knows who may
//! sync which journal ([`Node::journals_for`]), runs both sides of a session
//! ([`Node::sync_with`], [`Node::serve_sync`]) and keeps only what validates. [`pairing`]
//! holds both halves of pairing, [`daemon`] the long-running service with its scheduler,
//! and [`ipc`] the two local socket protocols (the daemon's control socket and the unlock
//! agent). Nothing here prints, prompts, reads the environment or the clock: a
//! [`NodeConfig`] carries what the caller decided.
//!
//! ```text
//! haven-model  <-  haven-store, haven-sync  <-  haven-node  <-  haven-cli
//! ```

pub mod config;
pub mod courtesy;
pub mod daemon;
pub mod error;
pub mod ipc;
pub mod node;
pub mod pairing;

pub use config::{Clock, NodeConfig, Overrides, Purpose};
pub use error::{ConfigError, DaemonError, NodeError, PairError, PairFailure};
pub use node::{Arrived, Node, PeerOutcome, Target, Traffic, fingerprint};
