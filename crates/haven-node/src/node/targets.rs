//! Whom a sync talks to: the peers this device knows from its journals' member lists, with
//! what the address book and their own announcements say of where they are.

use std::collections::BTreeMap;

use haven_model::members::Member;
use haven_store::PeerInfo;

use super::{Node, Result};
use crate::NodeError;

/// `device` as a target, from its member record `m` and the address book.
fn target(book: &BTreeMap<String, PeerInfo>, device: String, m: &Member) -> Target {
    let mut info = book.get(&device).cloned().unwrap_or_default();
    // What it announced in a shared journal adds to what this device remembers.
    for a in &m.addrs {
        if !info.addrs.contains(a) {
            info.addrs.push(a.clone());
        }
    }
    let device_name = if m.device_name.is_empty() {
        info.device_name.clone()
    } else {
        m.device_name.clone()
    };
    let name = format!("{} ({})", device_name, m.person);
    Target { device, name, info }
}

/// A peer to sync with: its id, "device (person)" and what we know of its address.
pub struct Target {
    /// The device id.
    pub device: String,
    /// "device (person)".
    pub name: String,
    /// Its address book entry.
    pub info: PeerInfo,
}

impl Node {
    /// Every peer to sync with, or those whose id or name starts with `wanted`.
    pub fn sync_targets(&self, wanted: Option<&str>) -> Result<Vec<Target>> {
        let book = self.peers();
        let mut targets: Vec<Target> = self
            .known_devices()?
            .into_iter()
            .map(|(device, m)| target(&book, device, &m))
            .collect();
        if let Some(wanted) = wanted {
            let w = wanted.to_lowercase();
            targets.retain(|t| t.device.starts_with(&w) || t.name.to_lowercase().starts_with(&w));
            if targets.is_empty() {
                return Err(NodeError::NoPeerMatches(wanted.to_string()));
            }
        }
        Ok(targets)
    }

    /// `devices` as targets, whether or not they are still members anywhere (a device just
    /// removed must hear of its removal); those no journal here lists are left out.
    pub fn targets_among(&self, devices: &[String]) -> Result<Vec<Target>> {
        let book = self.peers();
        let mut targets: BTreeMap<String, Target> = BTreeMap::new();
        for (_, _, members, _) in self.journals()? {
            for m in members.iter().filter(|m| devices.contains(&m.device)) {
                if m.device != self.me() && !targets.contains_key(&m.device) {
                    targets.insert(m.device.clone(), target(&book, m.device.clone(), m));
                }
            }
        }
        Ok(targets.into_values().collect())
    }
}
