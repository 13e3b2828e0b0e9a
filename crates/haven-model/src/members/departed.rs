//! Who is no longer in a journal: people none of whose devices is active any more, and how
//! they went (they left, or an admin removed them). This is what the other side is told,
//! in `members`, `journal list`, `status` and `watch`: "Sam left", never a bare revoked
//! device.

use super::{Ending, Member};

/// A person no longer in a journal.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Departure {
    /// Their name, as their devices gave it.
    pub person: String,
    /// The person, as the journal knows them (the id of their first device in it).
    pub person_id: String,
    /// How the last of their devices ended.
    pub how: Ending,
}

impl Departure {
    /// Whether they left of their own accord.
    pub fn left(&self) -> bool {
        matches!(self.how, Ending::Left { .. })
    }
}

/// Everyone but `me` (a device id) none of whose devices is active in `members`, each once,
/// by the latest ending of their devices.
pub fn departed(members: &[Member], me: &str) -> Vec<Departure> {
    let my_person = members
        .iter()
        .find(|m| m.device == me)
        .map(|m| person_key(m).to_string());
    let mut out: Vec<Departure> = Vec::new();
    for m in members {
        let key = person_key(m);
        if Some(key) == my_person.as_deref() || m.device == me {
            continue;
        }
        if members
            .iter()
            .any(|o| person_key(o) == key && o.is_active())
        {
            continue;
        }
        let Some(how) = m.ending.clone() else {
            continue;
        };
        match out.iter_mut().find(|d| d.person_id == key) {
            Some(d) if how.at_ms() > d.how.at_ms() => d.how = how,
            Some(_) => {}
            None => out.push(Departure {
                person: m.person.clone(),
                person_id: key.to_string(),
                how,
            }),
        }
    }
    out
}

/// The person a member belongs to: their person id, or for records without one, the device.
fn person_key(m: &Member) -> &str {
    if m.person_id.is_empty() {
        &m.device
    } else {
        &m.person_id
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn member(device: &str, person: &str, person_id: &str, ending: Option<Ending>) -> Member {
        Member {
            device: device.into(),
            device_name: format!("{device}-laptop"),
            person: person.into(),
            person_id: person_id.into(),
            role: None,
            added_by: "a1".into(),
            added_at_ms: 1,
            revoked_at_ms: ending.as_ref().map(Ending::at_ms),
            ending,
            addrs: Vec::new(),
        }
    }

    #[test]
    fn a_person_whose_every_device_ended_has_departed_and_says_how() {
        let left = |at_ms| {
            Some(Ending::Left {
                by: "s1".into(),
                at_ms,
            })
        };
        let members = vec![
            member("a1", "Robin", "a1", None),
            member("s1", "Sam", "s1", left(5)),
            member("s2", "Sam", "s1", left(9)),
            member(
                "x1",
                "Alex",
                "x1",
                Some(Ending::Removed {
                    by: "a1".into(),
                    at_ms: 7,
                }),
            ),
            // One of Kim's devices retired, the other still in: Kim has not departed.
            member("k1", "Kim", "k1", left(3)),
            member("k2", "Kim", "k1", None),
            // My own retired device is not someone leaving.
            member("a2", "Robin", "a1", left(4)),
        ];
        let gone = departed(&members, "a1");
        assert_eq!(gone.len(), 2, "{gone:?}");
        assert_eq!(gone[0].person, "Sam");
        assert!(gone[0].left());
        assert_eq!(gone[0].how.at_ms(), 9, "the last of their devices");
        assert_eq!(gone[1].person, "Alex");
        assert!(!gone[1].left());
    }
}
