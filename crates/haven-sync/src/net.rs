//! The iroh transport: binding an endpoint from the device's key, and moving frames over a
//! QUIC stream with a timeout on every step.

use std::net::SocketAddr;
use std::time::Duration;

use iroh::endpoint::{Connection, RecvStream, SendStream, presets};
use iroh::{Endpoint, EndpointAddr, RelayMode, SecretKey, TransportAddr};
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::frame::{self, Frame, FrameError};
use crate::session::{SessionError, SyncSession};
use crate::ticket::Ticket;
use crate::{PAIR_ALPN, SYNC_ALPN};

/// How an endpoint reaches peers behind NATs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Relay {
    /// No relay: direct addresses only (tests, LAN, offline).
    Disabled,
    /// iroh's public relays and address lookup.
    Default,
    /// A relay of your own.
    Url(String),
}

/// Network settings of an endpoint.
#[derive(Clone, Debug)]
pub struct NetConfig {
    /// Relay choice.
    pub relay: Relay,
    /// A specific address to bind (e.g. 127.0.0.1:0), else all interfaces.
    pub bind: Option<SocketAddr>,
    /// How long one step (a frame) may take.
    pub step_timeout: Duration,
    /// Find peers on the local network by multicast DNS, and announce this device there.
    pub local_discovery: bool,
}

impl Default for NetConfig {
    fn default() -> Self {
        NetConfig {
            relay: Relay::Default,
            bind: None,
            step_timeout: Duration::from_secs(20),
            local_discovery: true,
        }
    }
}

/// What can go wrong on the network.
#[derive(Debug, thiserror::Error)]
pub enum NetError {
    /// The endpoint could not be bound.
    #[error("cannot start the network endpoint: {0}")]
    Bind(String),
    /// The peer could not be reached.
    #[error("cannot reach the peer: {0}")]
    Connect(String),
    /// A step took too long.
    #[error("the peer did not answer in time")]
    Timeout,
    /// The stream failed.
    #[error("connection lost: {0}")]
    Stream(String),
    /// A frame was malformed or too large.
    #[error(transparent)]
    Frame(#[from] FrameError),
    /// The session went wrong.
    #[error(transparent)]
    Session(#[from] SessionError),
}

/// The mDNS service name Haven devices announce themselves under.
pub const MDNS_SERVICE: &str = "haven";

/// Binds an endpoint with the device's iroh secret key. With `local_discovery`, it also
/// announces itself on the local network and looks peers up there; a network that does not
/// allow multicast only loses that, not the endpoint.
pub async fn bind(secret: &[u8; 32], config: &NetConfig) -> Result<Endpoint, NetError> {
    let key = SecretKey::from_bytes(secret);
    let mut builder = match &config.relay {
        Relay::Default => Endpoint::builder(presets::N0),
        Relay::Disabled => Endpoint::builder(presets::Minimal).relay_mode(RelayMode::Disabled),
        Relay::Url(url) => {
            let url: iroh::RelayUrl = url
                .parse()
                .map_err(|e| NetError::Bind(format!("relay URL: {e}")))?;
            Endpoint::builder(presets::Minimal).relay_mode(RelayMode::custom([url]))
        }
    };
    builder = builder.secret_key(key).alpns(
        [SYNC_ALPN, PAIR_ALPN]
            .into_iter()
            .chain(crate::OLD_ALPNS)
            .map(<[u8]>::to_vec)
            .collect(),
    );
    if let Some(addr) = config.bind {
        builder = builder
            .bind_addr(addr)
            .map_err(|e| NetError::Bind(e.to_string()))?;
    }
    let endpoint = builder
        .bind()
        .await
        .map_err(|e| NetError::Bind(e.to_string()))?;
    if config.local_discovery {
        let mdns = iroh_mdns_address_lookup::MdnsAddressLookup::builder()
            .service_name(MDNS_SERVICE)
            .build(endpoint.id());
        if let (Ok(mdns), Ok(services)) = (mdns, endpoint.address_lookup()) {
            services.add(mdns);
        }
    }
    Ok(endpoint)
}

/// The addresses to put in a ticket or tell a peer: direct ones and the home relay.
pub fn own_addrs(endpoint: &Endpoint) -> (Vec<SocketAddr>, Option<String>) {
    let addr = endpoint.addr();
    let mut direct: Vec<SocketAddr> = addr.ip_addrs().copied().collect();
    for bound in endpoint.bound_sockets() {
        if !bound.ip().is_unspecified() && !direct.contains(&bound) {
            direct.push(bound);
        }
    }
    let relay = addr.relay_urls().next().map(|u| u.to_string());
    (direct, relay)
}

/// The address of a peer, from its id and what we know of it.
pub fn peer_addr(
    id: &[u8; 32],
    addrs: &[SocketAddr],
    relay: Option<&str>,
) -> Result<EndpointAddr, NetError> {
    let key = iroh::PublicKey::from_bytes(id)
        .map_err(|e| NetError::Connect(format!("bad device id: {e}")))?;
    let mut transports: Vec<TransportAddr> = addrs.iter().map(|a| TransportAddr::Ip(*a)).collect();
    if let Some(url) = relay.and_then(|r| r.parse::<iroh::RelayUrl>().ok()) {
        transports.push(TransportAddr::Relay(url));
    }
    Ok(EndpointAddr::from_parts(key, transports))
}

/// The inviter's address in a ticket.
pub fn ticket_addr(ticket: &Ticket) -> Result<EndpointAddr, NetError> {
    peer_addr(&ticket.inviter, &ticket.addrs, ticket.relay.as_deref())
}

/// Connects to `addr` on `alpn` and opens the session's stream, within `timeout`.
pub async fn connect(
    endpoint: &Endpoint,
    addr: EndpointAddr,
    alpn: &[u8],
    timeout: Duration,
) -> Result<(Connection, SendStream, RecvStream), NetError> {
    let conn = tokio::time::timeout(timeout, endpoint.connect(addr, alpn))
        .await
        .map_err(|_| NetError::Timeout)?
        .map_err(|e| NetError::Connect(e.to_string()))?;
    let (send, recv) = tokio::time::timeout(timeout, conn.open_bi())
        .await
        .map_err(|_| NetError::Timeout)?
        .map_err(|e| NetError::Connect(e.to_string()))?;
    Ok((conn, send, recv))
}

/// Writes one frame.
pub async fn send<T: Serialize>(
    stream: &mut SendStream,
    msg: &T,
    timeout: Duration,
) -> Result<usize, NetError> {
    let bytes = frame::encode(msg);
    tokio::time::timeout(timeout, stream.write_all(&bytes))
        .await
        .map_err(|_| NetError::Timeout)?
        .map_err(|e| NetError::Stream(e.to_string()))?;
    Ok(bytes.len())
}

/// Reads one frame, checking its announced length before reading the body.
pub async fn recv<T: DeserializeOwned>(
    stream: &mut RecvStream,
    timeout: Duration,
) -> Result<T, NetError> {
    let read = async {
        let mut prefix = [0u8; 4];
        stream
            .read_exact(&mut prefix)
            .await
            .map_err(|e| NetError::Stream(e.to_string()))?;
        let len = frame::body_len(prefix)?;
        let mut body = vec![0u8; len];
        stream
            .read_exact(&mut body)
            .await
            .map_err(|e| NetError::Stream(e.to_string()))?;
        Ok::<_, NetError>(frame::decode_body(&body)?)
    };
    tokio::time::timeout(timeout, read)
        .await
        .map_err(|_| NetError::Timeout)?
}

/// How a session ended, for closing the connection in the right order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ending {
    /// This side sent the last frame: let the peer read it, then it closes.
    SentLast,
    /// This side received the last frame: it closes the connection.
    ReceivedLast,
}

/// Closes a connection after a session: the side that received last closes at once; the
/// other waits (bounded) for that close so that its last frame is not cut off.
pub async fn finish(conn: &Connection, ending: Ending) {
    if ending == Ending::SentLast {
        let _ = tokio::time::timeout(Duration::from_secs(5), conn.closed()).await;
    }
    conn.close(0u32.into(), b"done");
}

/// Drives a session over a stream until it finishes. `first` is the initiator's hello.
/// On an error the peer is told why (best effort) and the error is returned; the caller
/// keeps nothing from the session.
pub async fn drive(
    session: &mut SyncSession,
    send_stream: &mut SendStream,
    recv_stream: &mut RecvStream,
    first: Option<Frame>,
    timeout: Duration,
) -> Result<Ending, NetError> {
    if let Some(hello) = first {
        send(send_stream, &hello, timeout).await?;
    }
    loop {
        let frame: Frame = match recv(recv_stream, timeout).await {
            Ok(f) => f,
            Err(e) => return Err(e),
        };
        match session.handle(frame) {
            Ok(step) => {
                for f in &step.send {
                    send(send_stream, f, timeout).await?;
                }
                if step.finished {
                    let _ = send_stream.finish();
                    return Ok(if step.send.is_empty() {
                        Ending::ReceivedLast
                    } else {
                        Ending::SentLast
                    });
                }
            }
            Err(e) => {
                let _ = send(
                    send_stream,
                    &Frame::Refused {
                        reason: e.to_string(),
                    },
                    timeout,
                )
                .await;
                let _ = send_stream.finish();
                return Err(e.into());
            }
        }
    }
}
