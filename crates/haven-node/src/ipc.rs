//! The two local socket protocols of a device, both Unix sockets in the vault (mode 0600,
//! the peer's uid checked): [`control`], on which a running daemon answers the other
//! commands, and [`agent`], the unlock agent that holds the key for a while.

pub mod agent;
pub mod control;
