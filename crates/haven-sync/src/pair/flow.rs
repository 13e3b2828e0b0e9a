//! Both sides of pairing as state machines without I/O: the inviter's [`Invitation`]
//! decides what each connection's first message earns, the joiner's [`Joining`] what the
//! inviter's answer means. The engine moves the messages; every decision is here, where
//! tests drive it without sockets.

use std::net::SocketAddr;

use haven_model::JournalKind;

use super::{PairMsg, WelcomeError, check_welcome, clean_name, secrets_match};
use crate::JournalKey;
use crate::ticket::{Scope, Ticket};

/// The most addresses kept from a joiner.
pub const MAX_ADDRS: usize = 16;
/// The longest relay URL kept from a joiner.
pub const MAX_RELAY: usize = 256;
/// The longest refusal reason kept from an inviter.
pub const MAX_REASON: usize = 300;

/// A ticket being shown, from the inviter's side.
#[derive(Debug)]
pub struct Invitation {
    secret: [u8; 16],
    expires_at_ms: i64,
    used: bool,
}

/// A joiner that presented the ticket's secret in time: who it says it is (cleaned) and
/// where it says it can be reached (capped).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Knock {
    /// Its device name.
    pub device_name: String,
    /// Its person.
    pub person: String,
    /// Its direct addresses.
    pub addrs: Vec<SocketAddr>,
    /// Its home relay.
    pub relay: Option<String>,
}

/// Why the inviter turns a connection away.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    /// Its first message was not a join.
    #[error("expected a ticket")]
    NotAJoin,
    /// It presented another secret.
    #[error("this is not the ticket this device is showing")]
    WrongTicket,
    /// The ticket expired.
    #[error("the ticket has expired")]
    Expired,
    /// Another device joined with it already.
    #[error("the ticket was already used")]
    Used,
}

impl Invitation {
    /// An invitation with the ticket's `secret`, valid until `expires_at_ms`.
    pub fn new(secret: [u8; 16], expires_at_ms: i64) -> Invitation {
        Invitation {
            secret,
            expires_at_ms,
            used: false,
        }
    }

    /// The first message of a connection at `now_ms`: the joiner it admits (the ticket is
    /// used from then on), or why not.
    pub fn on_first_message(&mut self, msg: PairMsg, now_ms: i64) -> Result<Knock, Refusal> {
        let PairMsg::Join {
            secret,
            device_name,
            person,
            addrs,
            relay,
        } = msg
        else {
            return Err(Refusal::NotAJoin);
        };
        if !secrets_match(&secret, &self.secret) {
            return Err(Refusal::WrongTicket);
        }
        if now_ms >= self.expires_at_ms {
            return Err(Refusal::Expired);
        }
        if self.used {
            return Err(Refusal::Used);
        }
        self.used = true;
        Ok(Knock {
            device_name: clean_name(&device_name),
            person: clean_name(&person),
            addrs: addrs.into_iter().take(MAX_ADDRS).collect(),
            relay: relay.filter(|r| r.len() <= MAX_RELAY),
        })
    }
}

/// A join in progress, from the joiner's side.
#[derive(Debug)]
pub struct Joining {
    scope: Scope,
}

/// What the inviter's welcome, held to the ticket's scope, gives.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Welcomed {
    /// The inviter's device name (cleaned).
    pub device_name: String,
    /// The inviter's person (cleaned).
    pub person: String,
    /// The journals to adopt.
    pub journals: Vec<JournalKey>,
    /// For a devices ticket, the inviter's personal journal, which becomes this device's.
    pub personal: Option<JournalKey>,
}

/// Why a join ends without a welcome.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum JoinRefusal {
    /// The inviter refused, saying why (cleaned and capped).
    #[error("the other device refused: {0}")]
    Refused(String),
    /// The inviter sent a join of its own.
    #[error("the other device answered out of turn")]
    OutOfTurn,
    /// The welcome does not fit the ticket.
    #[error(transparent)]
    Welcome(#[from] WelcomeError),
}

/// A journal the session brought that is not what the ticket promised.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum KindError {
    /// A journal ticket's journal is not a shared journal.
    #[error("the journal this ticket offers is not a shared journal")]
    NotShared,
    /// The journal named as the inviter's personal one is not a personal journal.
    #[error("the journal the inviting device named as its personal one is not")]
    NotPersonal,
}

impl Joining {
    /// A join with `ticket`, presenting this device as `device_name` of `person`, reachable
    /// at `addrs` and `relay`: the state and the first message to send.
    pub fn start(
        ticket: &Ticket,
        device_name: &str,
        person: &str,
        addrs: Vec<SocketAddr>,
        relay: Option<String>,
    ) -> (Joining, PairMsg) {
        let join = PairMsg::Join {
            secret: ticket.secret,
            device_name: device_name.to_string(),
            person: person.to_string(),
            addrs,
            relay,
        };
        let joining = Joining {
            scope: ticket.scope.clone(),
        };
        (joining, join)
    }

    /// The inviter's answer: a welcome held to the ticket's scope, or why not.
    pub fn on_reply(&self, reply: PairMsg) -> Result<Welcomed, JoinRefusal> {
        match reply {
            PairMsg::Welcome {
                device_name,
                person,
                journals,
                personal,
            } => {
                let (journals, personal) = check_welcome(&self.scope, &journals, personal)?;
                Ok(Welcomed {
                    device_name: clean_name(&device_name),
                    person: clean_name(&person),
                    journals,
                    personal,
                })
            }
            PairMsg::Refused { reason } => Err(JoinRefusal::Refused(
                haven_model::text::clean_capped(&reason, false, MAX_REASON),
            )),
            PairMsg::Join { .. } => Err(JoinRefusal::OutOfTurn),
        }
    }

    /// Checks, before anything is kept, that what the first session brought is what the
    /// ticket promised: a journal ticket's journal is shared, and the journal a devices
    /// ticket named as the inviter's personal one is personal. `kinds` has each journal's
    /// kind as the session left it.
    pub fn check_kinds(
        &self,
        welcomed: &Welcomed,
        kinds: impl IntoIterator<Item = (JournalKey, Option<JournalKind>)>,
    ) -> Result<(), KindError> {
        for (key, kind) in kinds {
            if matches!(self.scope, Scope::Journal(_)) && kind != Some(JournalKind::Shared) {
                return Err(KindError::NotShared);
            }
            if welcomed.personal == Some(key) && kind != Some(JournalKind::Personal) {
                return Err(KindError::NotPersonal);
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn join(secret: [u8; 16]) -> PairMsg {
        PairMsg::Join {
            secret,
            device_name: "phone\u{1b}[2J".into(),
            person: "Sam".into(),
            addrs: (0..40u16)
                .map(|p| SocketAddr::from(([127, 0, 0, 1], 1000 + p)))
                .collect(),
            relay: Some("x".repeat(300)),
        }
    }

    #[test]
    fn the_inviter_admits_one_joiner_with_the_secret_before_expiry() {
        let mut invitation = Invitation::new([7; 16], 1_000);
        let hello = PairMsg::Refused {
            reason: "hi".into(),
        };
        assert_eq!(
            invitation.on_first_message(hello, 0),
            Err(Refusal::NotAJoin)
        );
        assert_eq!(
            invitation.on_first_message(join([8; 16]), 0),
            Err(Refusal::WrongTicket)
        );
        assert_eq!(
            invitation.on_first_message(join([7; 16]), 1_000),
            Err(Refusal::Expired)
        );
        let knock = invitation.on_first_message(join([7; 16]), 999);
        let knock = knock.unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(knock.device_name, "phone");
        assert_eq!(knock.addrs.len(), MAX_ADDRS);
        assert_eq!(knock.relay, None, "an overlong relay URL is dropped");
        assert_eq!(
            invitation.on_first_message(join([7; 16]), 999),
            Err(Refusal::Used)
        );
    }

    fn ticket(scope: Scope) -> Ticket {
        Ticket {
            inviter: [1; 32],
            addrs: Vec::new(),
            relay: None,
            secret: [7; 16],
            scope,
            expires_at_ms: 1_000,
        }
    }

    #[test]
    fn the_joiner_holds_the_answer_to_the_ticket() {
        let (us, mine) = ([1; 16], [2; 16]);
        let (joining, first) = Joining::start(
            &ticket(Scope::Journal(us)),
            "laptop",
            "Robin",
            Vec::new(),
            None,
        );
        assert!(matches!(first, PairMsg::Join { secret, .. } if secret == [7; 16]));
        let refused = joining.on_reply(PairMsg::Refused {
            reason: "no\u{7}".repeat(200),
        });
        match refused {
            Err(JoinRefusal::Refused(why)) => {
                assert!(why.chars().count() <= MAX_REASON + 1 && !why.contains('\u{7}'))
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(joining.on_reply(join([0; 16])), Err(JoinRefusal::OutOfTurn));
        let greedy = PairMsg::Welcome {
            device_name: "laptop".into(),
            person: "Robin".into(),
            journals: vec![us, mine],
            personal: None,
        };
        assert_eq!(
            joining.on_reply(greedy),
            Err(JoinRefusal::Welcome(WelcomeError::OutOfScope))
        );
        let fair = PairMsg::Welcome {
            device_name: "laptop".into(),
            person: "Robin".into(),
            journals: vec![us],
            personal: None,
        };
        let welcomed = joining.on_reply(fair).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(welcomed.journals, [us]);
        assert_eq!(
            joining.check_kinds(&welcomed, [(us, Some(JournalKind::Personal))]),
            Err(KindError::NotShared)
        );
        assert_eq!(
            joining.check_kinds(&welcomed, [(us, Some(JournalKind::Shared))]),
            Ok(())
        );

        let (devices, _) =
            Joining::start(&ticket(Scope::Devices), "phone", "Robin", Vec::new(), None);
        let welcome = PairMsg::Welcome {
            device_name: "laptop".into(),
            person: "Robin".into(),
            journals: vec![us, mine],
            personal: Some(mine),
        };
        let welcomed = devices.on_reply(welcome).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(welcomed.personal, Some(mine));
        assert_eq!(
            devices.check_kinds(&welcomed, [(mine, Some(JournalKind::Shared))]),
            Err(KindError::NotPersonal)
        );
    }
}
