//! Devices this one knew that are no longer in any journal with it: so that revoking one
//! twice says "already revoked" rather than "no device matches".

use haven_model::members::Member;

use super::Node;
use crate::error::NodeError;

impl Node {
    /// The device matching `prefix` among those that were members with this device but are
    /// active in none of its journals now, if exactly one matches. `None` when none does.
    pub fn find_ended_device(&self, prefix: &str) -> Result<Option<Member>, NodeError> {
        let wanted = prefix.to_lowercase().replace('-', "");
        if wanted.is_empty() {
            return Ok(None);
        }
        let known = self.known_devices()?;
        let mut found: Vec<Member> = Vec::new();
        for (_, _, members, _) in self.journals()? {
            for m in members {
                if m.device == self.me()
                    || m.is_active()
                    || known.contains_key(&m.device)
                    || !m.device.starts_with(&wanted)
                {
                    continue;
                }
                if !found.iter().any(|f| f.device == m.device) {
                    found.push(m);
                }
            }
        }
        match found.len() {
            0 => Ok(None),
            1 => Ok(found.pop()),
            count => Err(NodeError::AmbiguousDevice {
                prefix: prefix.to_string(),
                count,
            }),
        }
    }
}
