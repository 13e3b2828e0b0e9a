//! The iroh transport: binding an endpoint from the device's key, and moving frames over a
//! QUIC stream with a timeout on every step.

use std::net::SocketAddr;
use std::time::Duration;

use iroh::endpoint::{BindOpts, Connection, RecvStream, SendStream, presets};
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
    /// A specific address to bind (e.g. 127.0.0.1:0), else all interfaces on `home_port`.
    pub bind: Option<SocketAddr>,
    /// The port to listen on when no address is set (see [`home_port`]); if it is taken,
    /// the endpoint takes any free port instead. `None` takes any free port.
    pub home_port: Option<u16>,
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
            home_port: None,
            step_timeout: Duration::from_secs(20),
            local_discovery: true,
        }
    }
}

/// What can go wrong on the network.
#[derive(Debug, thiserror::Error)]
pub enum NetError {
    /// The endpoint could not be set up (a relay URL that does not parse, say).
    #[error("cannot start the network endpoint: {0}")]
    Bind(String),
    /// The endpoint could not listen on an address.
    #[error("cannot start the network endpoint: cannot listen on {addr}: {cause}")]
    Listen {
        /// The address (or "a free port").
        addr: String,
        /// Why.
        cause: ListenCause,
    },
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

/// Why an endpoint could not listen on an address.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ListenCause {
    /// Another socket holds the port.
    #[error("the port is in use")]
    PortInUse,
    /// The address belongs to no interface of this machine.
    #[error("the address is not one of this machine's")]
    NotLocal,
    /// The system refused (a privileged port, say).
    #[error("permission denied")]
    Denied,
    /// Anything else, as the system said it.
    #[error("{0}")]
    Other(String),
}

/// The mDNS service name Haven devices announce themselves under.
pub const MDNS_SERVICE: &str = "haven";

/// The port a device listens on unless told otherwise: derived from its id, so that it is
/// the same in every process of the device (a short-lived `invite` and the daemon after it)
/// and any peer that knows the id can work it out. It lies in 20000-29999, below the
/// ephemeral range Linux hands out.
pub fn home_port(device: &[u8; 32]) -> u16 {
    20_000 + u16::from_le_bytes([device[0], device[1]]) % 10_000
}

/// Says what failed when binding `addr`: the address and the cause.
fn bind_failure(addr: &str, error: &(dyn std::error::Error + 'static)) -> NetError {
    let mut source: Option<&(dyn std::error::Error + 'static)> = Some(error);
    let mut cause = ListenCause::Other(error.to_string());
    while let Some(e) = source {
        if let Some(io) = e.downcast_ref::<std::io::Error>() {
            cause = match io.kind() {
                std::io::ErrorKind::AddrInUse => ListenCause::PortInUse,
                std::io::ErrorKind::AddrNotAvailable => ListenCause::NotLocal,
                std::io::ErrorKind::PermissionDenied => ListenCause::Denied,
                _ => ListenCause::Other(io.to_string()),
            };
            break;
        }
        source = e.source();
    }
    NetError::Listen {
        addr: addr.to_string(),
        cause,
    }
}

/// Binds an endpoint with the device's iroh secret key. With `local_discovery`, it also
/// announces itself on the local network and looks peers up there; a network that does not
/// allow multicast only loses that, not the endpoint. Without a `bind` address it listens on
/// every interface on the home port, or on any free port while another process of the
/// device holds that.
pub async fn bind(secret: &[u8; 32], config: &NetConfig) -> Result<Endpoint, NetError> {
    let endpoint = match (config.bind, config.home_port) {
        (Some(addr), _) => bind_at(secret, config, Some(addr)).await?,
        (None, Some(port)) => {
            let home = SocketAddr::from(([0, 0, 0, 0], port));
            match bind_at(secret, config, Some(home)).await {
                Ok(endpoint) => endpoint,
                Err(NetError::Listen {
                    cause: ListenCause::PortInUse,
                    ..
                }) => {
                    tracing::warn!(port, "home port taken; listening on a free port");
                    bind_at(secret, config, None).await?
                }
                Err(e) => return Err(e),
            }
        }
        (None, None) => bind_at(secret, config, None).await?,
    };
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

/// Binds on `addr` (an unspecified IPv4 address also listens on IPv6 where it can), or on
/// any free port.
async fn bind_at(
    secret: &[u8; 32],
    config: &NetConfig,
    addr: Option<SocketAddr>,
) -> Result<Endpoint, NetError> {
    let key = SecretKey::from_bytes(secret);
    let mut builder = match &config.relay {
        Relay::Default => Endpoint::builder(presets::N0),
        Relay::Disabled => Endpoint::builder(presets::Minimal).relay_mode(RelayMode::Disabled),
        Relay::Url(url) => {
            let url: iroh::RelayUrl = url
                .parse()
                .map_err(|e| NetError::Bind(format!("the relay URL `{url}` is not valid: {e}")))?;
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
    let shown = addr.map_or_else(|| "a free port".to_string(), |a| a.to_string());
    if let Some(addr) = addr {
        builder = builder
            .bind_addr(addr)
            .map_err(|e| bind_failure(&shown, &e))?;
        if addr.ip().is_unspecified() && addr.is_ipv4() {
            let v6 = SocketAddr::from((std::net::Ipv6Addr::UNSPECIFIED, addr.port()));
            builder = builder
                .bind_addr_with_opts(v6, BindOpts::default().set_is_required(false))
                .map_err(|e| bind_failure(&v6.to_string(), &e))?;
        }
    }
    let endpoint = builder.bind().await.map_err(|e| bind_failure(&shown, &e))?;
    tracing::debug!(id = %endpoint.id(), sockets = ?endpoint.bound_sockets(), "endpoint bound");
    Ok(endpoint)
}

/// How a connection reaches the peer: straight to one of its addresses, or through a relay.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum PathKind {
    /// A direct UDP path between the two devices.
    Direct,
    /// Through a relay server (the devices could not reach each other directly).
    Relayed,
}

/// The path a connection sends its data on now (iroh's selected path), if it has one.
pub fn path_kind(conn: &Connection) -> Option<PathKind> {
    let paths = conn.paths();
    let selected = paths.iter().find(|p| p.is_selected())?;
    Some(if selected.is_relay() {
        PathKind::Relayed
    } else {
        PathKind::Direct
    })
}

/// How the endpoint stands with one of its home relays.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct RelayState {
    /// The relay's URL.
    pub url: String,
    /// Whether the endpoint is connected to it now.
    pub connected: bool,
    /// The last error connecting to it, while not connected (iroh's words).
    pub last_error: Option<String>,
}

/// The endpoint's home relays and whether each is connected (none with relays off).
pub fn relay_states(endpoint: &Endpoint) -> Vec<RelayState> {
    use iroh::Watcher;
    endpoint
        .home_relay_status()
        .get()
        .into_iter()
        .map(|status| RelayState {
            url: status.url().to_string(),
            connected: status.is_connected(),
            last_error: status.last_error().map(|e| e.to_string()),
        })
        .collect()
}

/// Closes `endpoint`, waiting at most `within`: iroh lingers on handshakes that were never
/// answered (a peer that is off), and a command should not wait on those to exit.
pub async fn close_within(endpoint: Endpoint, within: Duration) {
    let _ = tokio::time::timeout(within, endpoint.close()).await;
}

/// How long a device waits for a relay of its own before it hands out its addresses.
pub const OWN_RELAY_WAIT: Duration = Duration::from_secs(5);

/// Waits, at most `within`, until `endpoint` is connected to the relay of your own that
/// `config` names; `false` if it is not by then, or if `config` names none. An endpoint
/// takes its relay as its home only once it has probed it (about 3 s against a relay
/// without QUIC address discovery), and [`own_addrs`] names the relay only from then on; a
/// peer has no other way to learn it, so whatever hands out this device's addresses (a
/// ticket, a join) waits for this first. iroh's public relays need no wait: there, peers
/// look a device's relay up by its id.
pub async fn own_relay_ready(endpoint: &Endpoint, config: &NetConfig, within: Duration) -> bool {
    if !matches!(config.relay, Relay::Url(_)) {
        return false;
    }
    tokio::time::timeout(within, endpoint.online())
        .await
        .is_ok()
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
    // Where the peer last listened may have been a short-lived process on another port;
    // its daemon listens on the home port at the same addresses.
    let home = home_port(id);
    for a in addrs {
        let at_home = TransportAddr::Ip(SocketAddr::new(a.ip(), home));
        if !transports.contains(&at_home) {
            transports.push(at_home);
        }
    }
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

/// After a session this side ended by sending the last frame (`Done`): the peer's verdict
/// on what this side sent, which it checks once it has it all. An agreeing peer closes the
/// connection; a refusing one answers `Refused` first: its reason (text from the peer:
/// clean it before showing it). Waits at most 5 s, and returns at once for
/// [`Ending::ReceivedLast`], where this side gave the verdict itself. Call it after keeping
/// what was received: the verdict is on what this side sent, never on what it kept.
pub async fn hear_verdict(recv_stream: &mut RecvStream, ending: Ending) -> Option<String> {
    if ending != Ending::SentLast {
        return None;
    }
    match recv::<Frame>(recv_stream, Duration::from_secs(5)).await {
        Ok(Frame::Refused { reason }) => Some(reason),
        _ => None,
    }
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
/// When the session refuses what the peer sent, `refusing` hears why first (so that the
/// refusal is on record before the peer learns of it), then the peer is told (best
/// effort) and the error is returned; the caller keeps nothing from the session.
pub async fn drive(
    session: &mut SyncSession,
    send_stream: &mut SendStream,
    recv_stream: &mut RecvStream,
    first: Option<Frame>,
    timeout: Duration,
    refusing: impl FnOnce(&SessionError),
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
                refusing(&e);
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

#[cfg(test)]
mod tests {
    use super::*;

    fn loopback(bind: Option<SocketAddr>, home_port: Option<u16>) -> NetConfig {
        NetConfig {
            relay: Relay::Disabled,
            bind,
            home_port,
            local_discovery: false,
            ..NetConfig::default()
        }
    }

    #[test]
    fn the_home_port_is_stable_and_below_the_ephemeral_range() {
        let a = home_port(&[7; 32]);
        assert_eq!(a, home_port(&[7; 32]));
        assert_ne!(a, home_port(&[8; 32]));
        for id in [[0u8; 32], [255; 32], [1; 32]] {
            assert!((20_000..30_000).contains(&home_port(&id)));
        }
    }

    #[tokio::test]
    async fn a_taken_port_is_named_and_the_home_port_falls_back() {
        let first = bind(
            &[1; 32],
            &loopback(Some("127.0.0.1:0".parse().unwrap()), None),
        )
        .await
        .unwrap();
        let taken = first.bound_sockets()[0];
        let Err(e) = bind(&[2; 32], &loopback(Some(taken), None)).await else {
            panic!("bound a port that is in use");
        };
        assert_eq!(
            e.to_string(),
            format!(
                "cannot start the network endpoint: cannot listen on {taken}: the port is in use"
            )
        );
        assert!(
            matches!(
                e,
                NetError::Listen {
                    cause: ListenCause::PortInUse,
                    ..
                }
            ),
            "{e:?}"
        );
        // Without a bind address, a device whose home port is taken still starts.
        let home = home_port(&[3; 32]);
        let blocker = std::net::UdpSocket::bind(("0.0.0.0", home));
        let second = bind(&[3; 32], &loopback(None, Some(home))).await.unwrap();
        let port = second.bound_sockets()[0].port();
        if blocker.is_ok() {
            assert_ne!(port, home, "the home port was taken");
        }
        drop(blocker);
        second.close().await;
        let third = bind(&[3; 32], &loopback(None, Some(home))).await.unwrap();
        assert_eq!(
            third.bound_sockets()[0].port(),
            home,
            "the home port is free again"
        );
        third.close().await;
        first.close().await;
    }

    #[test]
    fn a_peer_is_also_tried_on_its_home_port() {
        let id = *SecretKey::from_bytes(&[4; 32]).public().as_bytes();
        let seen: SocketAddr = "10.0.0.2:40000".parse().unwrap();
        let addr = peer_addr(&id, &[seen], None).unwrap();
        let ips: Vec<SocketAddr> = addr.ip_addrs().copied().collect();
        assert!(ips.contains(&seen));
        assert!(ips.contains(&SocketAddr::new(seen.ip(), home_port(&id))));
    }
}
