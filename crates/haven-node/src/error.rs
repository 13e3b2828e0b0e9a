//! The engine's errors, one type per kind of operation. Each says what happened; the front
//! end decides what to tell its user to do about it.

use std::path::PathBuf;

use haven_store::StoreError;
use haven_sync::net::NetError;
use haven_sync::pair::WelcomeError;

/// Settings that do not resolve to a network configuration.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The vault is in offline mode and the operation needs the network.
    #[error("this vault is set to offline mode; nothing was sent")]
    Offline,
    /// A bind address that does not parse.
    #[error("`{0}` is not a socket address")]
    Bind(String),
    /// A discovery setting other than `on` or `off`.
    #[error("local discovery is set to `{0}`; it takes `on` or `off`")]
    Discovery(String),
}

/// What can go wrong opening a node, syncing, or changing membership.
#[derive(Debug, thiserror::Error)]
pub enum NodeError {
    /// The vault failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The network failed.
    #[error(transparent)]
    Net(#[from] NetError),
    /// The device's iroh key does not read.
    #[error("the device secrets are damaged")]
    DamagedSecrets,
    /// This device's own id does not parse.
    #[error("this device's id is malformed")]
    MalformedId,
    /// No known peer matches what was asked for.
    #[error("no peer matches `{0}`")]
    NoPeerMatches(String),
    /// No known device's id starts with what was given.
    #[error("no device matches `{0}`")]
    NoDeviceMatches(String),
    /// Several known devices' ids start with what was given.
    #[error("`{prefix}` matches {count} devices")]
    AmbiguousDevice {
        /// What was given.
        prefix: String,
        /// How many match.
        count: usize,
    },
    /// The device meant is this one.
    #[error("this is the device you are on")]
    ThisDevice,
    /// The endpoint stopped accepting connections.
    #[error("the network endpoint closed")]
    EndpointClosed,
}

/// What can go wrong pairing, on either side.
#[derive(Debug, thiserror::Error)]
pub enum PairError {
    /// The node failed (vault or network).
    #[error(transparent)]
    Node(#[from] NodeError),
    /// The ticket expired before a device presented it.
    #[error("the ticket expired before anyone joined")]
    NobodyJoined,
    /// The ticket being joined with has expired.
    #[error("this ticket has expired")]
    Expired,
    /// The ticket was made by this very device.
    #[error("this ticket was made by this very device")]
    OwnTicket,
    /// The inviting device did not answer.
    #[error("cannot reach the inviting device at {at}: {source}")]
    Unreachable {
        /// The addresses tried.
        at: String,
        /// Why.
        source: NetError,
    },
    /// The inviting device refused, saying why (cleaned and capped).
    #[error("the other device refused: {0}")]
    Refused(String),
    /// The other device sent a message out of turn.
    #[error("the other device answered out of turn")]
    OutOfTurn,
    /// The welcome does not fit the ticket.
    #[error("{0}; nothing was joined")]
    Welcome(#[from] WelcomeError),
    /// A journal ticket offered a journal that is not a shared one.
    #[error("the journal this ticket offers is not a shared journal; nothing was joined")]
    NotShared,
    /// A devices ticket named a journal as the inviter's personal one that is not.
    #[error("the journal the inviting device named as its personal one is not; nothing was joined")]
    NotPersonal,
    /// The first sync on the pairing connection failed.
    #[error("pairing failed while syncing: {0}; nothing from it was kept")]
    Sync(NetError),
}

impl From<StoreError> for PairError {
    fn from(e: StoreError) -> Self {
        PairError::Node(NodeError::Store(e))
    }
}

impl From<haven_sync::pair::JoinRefusal> for PairError {
    fn from(e: haven_sync::pair::JoinRefusal) -> Self {
        use haven_sync::pair::JoinRefusal;
        match e {
            JoinRefusal::Refused(reason) => PairError::Refused(reason),
            JoinRefusal::OutOfTurn => PairError::OutOfTurn,
            JoinRefusal::Welcome(e) => PairError::Welcome(e),
        }
    }
}

impl From<haven_sync::pair::KindError> for PairError {
    fn from(e: haven_sync::pair::KindError) -> Self {
        match e {
            haven_sync::pair::KindError::NotShared => PairError::NotShared,
            haven_sync::pair::KindError::NotPersonal => PairError::NotPersonal,
        }
    }
}

impl From<NetError> for PairError {
    fn from(e: NetError) -> Self {
        PairError::Node(NodeError::Net(e))
    }
}

/// A [`PairError`] as a running daemon reports it to its client: which kind, without the
/// details that do not cross the socket.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PairFailure {
    /// The node failed (vault or network).
    Node,
    /// See [`PairError::NobodyJoined`].
    NobodyJoined,
    /// See [`PairError::Expired`].
    Expired,
    /// See [`PairError::OwnTicket`].
    OwnTicket,
    /// See [`PairError::Unreachable`].
    Unreachable,
    /// See [`PairError::Refused`].
    Refused,
    /// See [`PairError::OutOfTurn`].
    OutOfTurn,
    /// See [`PairError::Welcome`].
    Welcome,
    /// See [`PairError::NotShared`].
    NotShared,
    /// See [`PairError::NotPersonal`].
    NotPersonal,
    /// See [`PairError::Sync`].
    Sync,
    /// The daemon is showing another ticket already.
    Busy,
}

impl From<&PairError> for PairFailure {
    fn from(e: &PairError) -> Self {
        match e {
            PairError::Node(_) => PairFailure::Node,
            PairError::NobodyJoined => PairFailure::NobodyJoined,
            PairError::Expired => PairFailure::Expired,
            PairError::OwnTicket => PairFailure::OwnTicket,
            PairError::Unreachable { .. } => PairFailure::Unreachable,
            PairError::Refused(_) => PairFailure::Refused,
            PairError::OutOfTurn => PairFailure::OutOfTurn,
            PairError::Welcome(_) => PairFailure::Welcome,
            PairError::NotShared => PairFailure::NotShared,
            PairError::NotPersonal => PairFailure::NotPersonal,
            PairError::Sync(_) => PairFailure::Sync,
        }
    }
}

/// What can stop a daemon from starting.
#[derive(Debug, thiserror::Error)]
pub enum DaemonError {
    /// Another daemon holds this vault.
    #[error("a daemon is already running for this vault")]
    AlreadyRunning,
    /// A file or socket of the daemon cannot be opened.
    #[error("cannot open {}: {source}", path.display())]
    Open {
        /// The path.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// The node failed.
    #[error(transparent)]
    Node(#[from] NodeError),
}

impl From<NetError> for DaemonError {
    fn from(e: NetError) -> Self {
        DaemonError::Node(NodeError::Net(e))
    }
}
