//! A hostile member: a test-only client that opens its own vault through the libraries,
//! writes whatever Automerge operations it likes into its copy of a journal, and delivers
//! them over the real protocol (iroh, frames, sessions), to real `haven` processes.
//!
//! It also crafts what no honest session would send (compressed chunks, run-length bombs,
//! welcomes outside a ticket's scope), and measures the victim from `/proc`.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::time::Duration;

use automerge::AutoCommit;
use automerge::sync::State;
use haven_model::validate::Baseline;
use haven_store::{Keys, Passphrase, Vault};
use haven_sync::JournalKey;
use haven_sync::frame::{Frame, VERSION};
use haven_sync::message::SyncMessage;
use haven_sync::net::{self, NetConfig, Relay};
use haven_sync::session::{JournalSync, SyncSession};
use iroh::endpoint::{Connection, RecvStream, SendStream};

use super::{Device, PASSPHRASE};

const STEP: Duration = Duration::from_secs(10);

/// A device a hostile member talks to.
#[derive(Clone, Copy)]
pub struct Victim {
    /// Its device id.
    pub id: [u8; 32],
    /// Its daemon's loopback port.
    pub port: u16,
}

impl Victim {
    /// The victim that `d` is (its daemon listens on its bind port).
    pub fn of(d: &Device) -> Victim {
        let vault = Vault::open(&d.h.home).expect("open the victim's vault");
        Victim {
            id: device_bytes(&vault.config().device_id),
            port: d.bind.port(),
        }
    }
}

fn device_bytes(hex_id: &str) -> [u8; 32] {
    hex::decode(hex_id)
        .expect("hex device id")
        .try_into()
        .expect("32 bytes")
}

/// A member's vault, opened with the libraries, and an endpoint with its device key.
pub struct Member {
    /// Its vault.
    pub vault: Vault,
    /// Its keys.
    pub keys: Keys,
    /// Its endpoint.
    pub endpoint: iroh::Endpoint,
}

impl Member {
    /// Opens `d`'s vault and binds an endpoint with its key on loopback (`at`, or any port).
    pub async fn open(d: &Device, at: Option<SocketAddr>) -> Member {
        let vault = Vault::open(&d.h.home).expect("open the member's vault");
        let keys = vault
            .unlock(&Passphrase::new(PASSPHRASE.into()).expect("passphrase"))
            .expect("unlock the member's vault");
        let secret = *keys.secrets.iroh_secret().expect("iroh secret");
        let config = NetConfig {
            relay: Relay::Disabled,
            bind: Some(at.unwrap_or_else(|| "127.0.0.1:0".parse().expect("address"))),
            home_port: None,
            step_timeout: STEP,
            local_discovery: false,
        };
        let endpoint = net::bind(&secret, &config).await.expect("bind");
        Member {
            vault,
            keys,
            endpoint,
        }
    }

    /// Its copy of the journal it calls `alias`: the key and the whole document.
    pub fn copy(&self, alias: &str) -> (JournalKey, AutoCommit) {
        let store = self
            .vault
            .find_journal(&self.keys, alias)
            .expect("the member's journal");
        let view = store.read_recent(&self.keys, 0).expect("read");
        let key = hex::decode(view.key.expect("key"))
            .expect("hex key")
            .try_into()
            .expect("16 bytes");
        let (doc, _) = store.load(&self.keys).expect("load");
        (key, doc)
    }

    /// Every entry text anywhere in its vault (to check what reached it).
    pub fn all_texts(&self) -> Vec<String> {
        let mut out = Vec::new();
        for info in self.vault.journals(&self.keys).expect("journals") {
            if let Ok(store_view) = info.store.read(&self.keys) {
                out.extend(store_view.entries.into_iter().map(|e| e.text));
            }
        }
        out
    }

    async fn open_stream(
        &self,
        to: Victim,
    ) -> Result<(Connection, SendStream, RecvStream), String> {
        let addr = net::peer_addr(&to.id, &[SocketAddr::from(([127, 0, 0, 1], to.port))], None)
            .map_err(|e| e.to_string())?;
        net::connect(&self.endpoint, addr, haven_sync::SYNC_ALPN, STEP)
            .await
            .map_err(|e| e.to_string())
    }

    /// Delivers its copy `doc` of journal `key` (changed as it likes) to the victim as an
    /// initiator speaking the real protocol, but with none of the checks an honest device
    /// makes on its own side; returns how the victim answered (its refusal, if any).
    pub async fn push(
        &self,
        to: Victim,
        key: JournalKey,
        mut doc: AutoCommit,
    ) -> Result<(), String> {
        use automerge::sync::SyncDoc;
        let (conn, mut send, mut recv) = self.open_stream(to).await?;
        let hello = Frame::Hello {
            version: VERSION,
            journals: vec![key],
        };
        net::send(&mut send, &hello, STEP)
            .await
            .map_err(|e| e.to_string())?;
        match net::recv::<Frame>(&mut recv, STEP)
            .await
            .map_err(|e| e.to_string())?
        {
            Frame::HelloAck { journals, .. } if journals == [key] => {}
            Frame::Refused { reason } => return Err(reason),
            other => return Err(format!("unexpected {other:?}")),
        }
        let mut state = State::new();
        let result = async {
            for _ in 0..64 {
                let messages = match doc.sync().generate_sync_message(&mut state) {
                    Some(m) => vec![(key, SyncMessage::whole(m))],
                    None => Vec::new(),
                };
                net::send(&mut send, &Frame::Round { messages }, STEP)
                    .await
                    .map_err(|e| e.to_string())?;
                match net::recv::<Frame>(&mut recv, STEP)
                    .await
                    .map_err(|e| e.to_string())?
                {
                    Frame::Round { messages } => {
                        for (_, m) in messages {
                            let m = m.into_automerge()?;
                            doc.sync()
                                .receive_sync_message(&mut state, m)
                                .map_err(|e| e.to_string())?;
                        }
                    }
                    Frame::Done => return Ok(()),
                    Frame::Refused { reason } => return Err(reason),
                    other => return Err(format!("unexpected {other:?}")),
                }
            }
            Err("the victim never finished".to_string())
        }
        .await;
        conn.close(0u32.into(), b"done");
        result
    }

    /// A hello for `journal`, then `messages` as rounds sent without waiting; returns the
    /// first refusal (or the error that ended the exchange).
    pub async fn rounds(
        &self,
        to: Victim,
        journal: JournalKey,
        messages: Vec<SyncMessage>,
    ) -> Result<String, String> {
        let (_conn, mut send, mut recv) = self.open_stream(to).await?;
        let hello = Frame::Hello {
            version: VERSION,
            journals: vec![journal],
        };
        net::send(&mut send, &hello, STEP)
            .await
            .map_err(|e| e.to_string())?;
        let ack: Frame = net::recv(&mut recv, STEP)
            .await
            .map_err(|e| e.to_string())?;
        if let Frame::Refused { reason } = ack {
            return Ok(reason);
        }
        for m in messages {
            let round = Frame::Round {
                messages: vec![(journal, m)],
            };
            if net::send(&mut send, &round, STEP).await.is_err() {
                break;
            }
        }
        loop {
            match net::recv::<Frame>(&mut recv, STEP).await {
                Ok(Frame::Refused { reason }) => return Ok(reason),
                Ok(_) => continue,
                Err(e) => return Err(e.to_string()),
            }
        }
    }

    /// Serves one incoming sync connection as the responder with `docs`, answering the
    /// victim's first round with `bomb` instead of an honest message when given.
    pub async fn serve_once(
        &self,
        docs: Vec<(JournalKey, AutoCommit)>,
        bomb: Option<SyncMessage>,
    ) -> Result<(), String> {
        let (_conn, mut send, mut recv) = accept_one(&self.endpoint).await?;
        let hello: Frame = net::recv(&mut recv, STEP)
            .await
            .map_err(|e| e.to_string())?;
        let Frame::Hello {
            journals: offered, ..
        } = hello
        else {
            return Err("expected a hello".into());
        };
        match bomb {
            Some(bomb) => answer_with(&mut send, &mut recv, offered, bomb).await,
            None => serve_session(&mut send, &mut recv, docs, offered).await,
        }
    }

    /// A pairing ticket from this member for `scope`, valid for five minutes.
    pub fn ticket(&self, scope: haven_sync::ticket::Scope) -> haven_sync::ticket::Ticket {
        let (addrs, _) = net::own_addrs(&self.endpoint);
        haven_sync::ticket::Ticket {
            inviter: device_bytes(&self.vault.config().device_id),
            addrs,
            relay: None,
            secret: rand::random(),
            scope,
            expires_at_ms: jiff::Timestamp::now().as_millisecond() + 300_000,
        }
    }

    /// Serves one joiner of `ticket` as a (hostile) inviter: welcomes it with `journals` and
    /// `personal`, whatever the ticket's scope, then serves `docs` (or `bomb`) to its sync.
    pub async fn serve_pairing(
        &self,
        ticket: &haven_sync::ticket::Ticket,
        journals: Vec<JournalKey>,
        personal: Option<JournalKey>,
        docs: Vec<(JournalKey, AutoCommit)>,
        bomb: Option<SyncMessage>,
    ) -> Result<(), String> {
        use haven_sync::pair::PairMsg;
        let (_conn, mut send, mut recv) = accept_one(&self.endpoint).await?;
        let join: PairMsg = net::recv(&mut recv, STEP)
            .await
            .map_err(|e| e.to_string())?;
        let PairMsg::Join { secret, .. } = join else {
            return Err("expected a join".into());
        };
        if secret != ticket.secret {
            return Err("wrong secret".into());
        }
        let welcome = PairMsg::Welcome {
            device_name: "phone".into(),
            person: "Sam".into(),
            journals,
            personal,
        };
        net::send(&mut send, &welcome, STEP)
            .await
            .map_err(|e| e.to_string())?;
        let hello: Frame = net::recv(&mut recv, STEP)
            .await
            .map_err(|e| format!("the joiner hung up: {e}"))?;
        let Frame::Hello {
            journals: offered, ..
        } = hello
        else {
            return Err("expected a hello".into());
        };
        match bomb {
            Some(bomb) => answer_with(&mut send, &mut recv, offered, bomb).await,
            None => serve_session(&mut send, &mut recv, docs, offered).await,
        }
    }
}

/// Waits for one incoming connection and its stream.
async fn accept_one(
    endpoint: &iroh::Endpoint,
) -> Result<(Connection, SendStream, RecvStream), String> {
    let incoming = tokio::time::timeout(Duration::from_secs(30), endpoint.accept())
        .await
        .map_err(|_| "nobody connected".to_string())?
        .ok_or("endpoint closed")?;
    let conn = incoming
        .accept()
        .map_err(|e| e.to_string())?
        .await
        .map_err(|e| e.to_string())?;
    let (send, recv) = conn.accept_bi().await.map_err(|e| e.to_string())?;
    Ok((conn, send, recv))
}

/// Agrees on `offered`, waits for the peer's first round, answers it with `bomb`, and
/// returns the peer's refusal.
async fn answer_with(
    send: &mut SendStream,
    recv: &mut RecvStream,
    offered: Vec<JournalKey>,
    bomb: SyncMessage,
) -> Result<(), String> {
    let first = offered.first().copied().ok_or("nothing offered")?;
    let ack = Frame::HelloAck {
        journals: offered,
        also: Vec::new(),
    };
    net::send(send, &ack, STEP)
        .await
        .map_err(|e| e.to_string())?;
    let _first: Frame = net::recv(recv, STEP).await.map_err(|e| e.to_string())?;
    let round = Frame::Round {
        messages: vec![(first, bomb)],
    };
    net::send(send, &round, STEP)
        .await
        .map_err(|e| e.to_string())?;
    match net::recv::<Frame>(recv, STEP).await {
        Ok(Frame::Refused { reason }) => Err(reason),
        Ok(_) => Ok(()),
        Err(e) => Err(e.to_string()),
    }
}

/// Answers a hello for `offered` as an honest responder with `docs`.
async fn serve_session(
    send: &mut SendStream,
    recv: &mut RecvStream,
    docs: Vec<(JournalKey, AutoCommit)>,
    offered: Vec<JournalKey>,
) -> Result<(), String> {
    let journals: BTreeMap<JournalKey, JournalSync> = docs
        .into_iter()
        .map(|(k, doc)| {
            let baseline = Baseline::of(&doc, Default::default());
            (k, JournalSync::new(doc, State::new(), baseline))
        })
        .collect();
    let mut session = SyncSession::responder(journals);
    let step = session
        .handle(Frame::Hello {
            version: VERSION,
            journals: offered,
        })
        .map_err(|e| e.to_string())?;
    for f in &step.send {
        net::send(send, f, STEP).await.map_err(|e| e.to_string())?;
    }
    net::drive(&mut session, send, recv, None, STEP, |_| {})
        .await
        .map(|_| ())
        .map_err(|e| e.to_string())
}

/// Peak resident memory of process `pid` since it started or since [`reset_peak`], in MiB.
pub fn peak_mib(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
        .map(|kib| kib / 1024)
        .unwrap_or(0)
}

/// Resident memory of process `pid` now, in MiB.
pub fn rss_mib(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
        .map(|kib| kib / 1024)
        .unwrap_or(0)
}

/// Starts measuring a new peak for `pid` (Linux resets VmHWM on writing 5 to clear_refs).
pub fn reset_peak(pid: u32) {
    let _ = std::fs::write(format!("/proc/{pid}/clear_refs"), "5");
}

/// A deflate stream that inflates to `inflated` zero bytes (DEFLATE's best ratio is about
/// 1000:1, so a few kilobytes stand for megabytes).
pub fn zeros_deflated(inflated: usize) -> Vec<u8> {
    use std::io::Write;
    let mut enc = flate2::write::DeflateEncoder::new(Vec::new(), flate2::Compression::best());
    let block = vec![0u8; 1 << 20];
    let mut left = inflated;
    while left > 0 {
        let n = left.min(block.len());
        enc.write_all(&block[..n]).expect("deflate");
        left -= n;
    }
    enc.finish().expect("deflate")
}

/// An Automerge chunk of `chunk_type` around `body`, with Automerge's header.
pub fn chunk(chunk_type: u8, body: &[u8]) -> Vec<u8> {
    let mut out = haven_model::inspect::MAGIC.to_vec();
    out.extend_from_slice(&[0, 0, 0, 0]);
    out.push(chunk_type);
    let mut n = body.len() as u64;
    loop {
        let b = (n & 0x7f) as u8;
        n >>= 7;
        if n == 0 {
            out.push(b);
            break;
        }
        out.push(b | 0x80);
    }
    out.extend_from_slice(body);
    out
}
