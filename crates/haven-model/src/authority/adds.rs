//! Member records weighed: which record gives a device its standing, and which devices,
//! added by a device without one, are shadows.

use std::collections::HashMap;

use super::{At, Authority, History, OpRef, Record, Role, Standing, written_by_at};
use crate::schema::SchemaError;

/// How one member record was judged.
pub(super) enum Judged {
    Stands(Standing),
    /// Not yet: it depends on a record not weighed yet (void if that never comes).
    Wait(&'static str),
    Void(&'static str),
}

impl Authority {
    /// A device added by a shadow device before that one heard of the statement that voided
    /// it is a shadow too, voided by the same statement, and so on down: what each made
    /// before hearing of it is kept but void, on every device alike.
    pub(super) fn deepen_shadows(
        &mut self,
        at: At<'_>,
        records: &[Record],
        voided: &HashMap<OpRef, &'static str>,
        history: &mut History<'_>,
    ) -> Result<(), SchemaError> {
        for _ in 0..records.len() {
            // Shadows stand in for their adders here, and only here.
            let mut scratch = self.clone();
            for (device, (standing, _)) in &self.shadows {
                scratch.devices.insert(device.clone(), standing.clone());
            }
            let mut found = Vec::new();
            for record in records {
                let (Some(maker), false) =
                    (&record.maker, self.devices.contains_key(&record.device))
                else {
                    continue;
                };
                let Some((_, voiding)) = self.shadows.get(maker) else {
                    continue;
                };
                if self.shadows.contains_key(&record.device) || history.after(&record.made, voiding)
                {
                    continue;
                }
                if let Judged::Stands(standing) = scratch.judge_add(at, record, voided)? {
                    found.push((record.device.clone(), (standing, voiding.clone())));
                }
            }
            if found.is_empty() {
                break;
            }
            self.shadows.extend(found);
        }
        Ok(())
    }

    pub(super) fn weigh_adds(
        &mut self,
        at: At<'_>,
        records: &[Record],
        voided: &HashMap<OpRef, &'static str>,
    ) -> Result<(), SchemaError> {
        let mut pending: Vec<&Record> = records.iter().collect();
        loop {
            let mut progressed = false;
            let mut still = Vec::new();
            for record in pending {
                if self.devices.contains_key(&record.device) {
                    continue;
                }
                match self.judge_add(at, record, voided)? {
                    Judged::Stands(standing) => {
                        self.void.remove(&record.device);
                        if standing.person == standing.device {
                            self.note_initial(&standing.person, standing.role);
                        }
                        self.devices.insert(record.device.clone(), standing);
                        progressed = true;
                    }
                    Judged::Wait(why) => {
                        self.void.insert(record.device.clone(), why);
                        still.push(record);
                    }
                    Judged::Void(why) => {
                        self.void.entry(record.device.clone()).or_insert(why);
                    }
                }
            }
            pending = still;
            if !progressed || pending.is_empty() {
                return Ok(());
            }
        }
    }

    pub(super) fn judge_add(
        &self,
        at: At<'_>,
        record: &Record,
        voided: &HashMap<OpRef, &'static str>,
    ) -> Result<Judged, SchemaError> {
        let device = &record.device;
        let Some(maker) = record.maker.clone() else {
            // Written before signing: it proves nothing, and claims nothing beyond itself.
            return Ok(Judged::Stands(Standing {
                device: device.clone(),
                person: device.clone(),
                role: Role::Admin,
                added_by: String::new(),
                unsigned: true,
                ended: None,
                made: record.made.clone(),
                revoked: None,
            }));
        };
        if let Some(why) = voided.get(&record.made) {
            return Ok(Judged::Void(why));
        }
        let by_maker = |key: &str| written_by_at(at, &record.obj, key, &maker);
        let person = by_maker("person_id")?
            .and_then(|v| v.into_string().ok())
            .filter(|p| crate::members::is_device_id(p));
        let role = by_maker("role")?
            .and_then(|v| v.into_string().ok())
            .and_then(|r| r.parse::<Role>().ok());
        let stands = |person: String, role: Role| {
            Judged::Stands(Standing {
                device: device.clone(),
                person,
                role,
                added_by: maker.clone(),
                unsigned: false,
                ended: None,
                made: record.made.clone(),
                revoked: None,
            })
        };
        if &maker == device {
            // A device may only add itself as the journal's creator.
            return Ok(match self.creator.as_deref() == Some(device.as_str()) {
                true => stands(device.clone(), Role::Admin),
                false => Judged::Void("a device added itself"),
            });
        }
        let Some(adder) = self.devices.get(&maker) else {
            return Ok(Judged::Wait("added by a device that is not a member"));
        };
        // A record from before persons were recorded stands for its own person.
        let person = person.unwrap_or_else(|| device.clone());
        if &person == device {
            // Whether the adder was an admin when adding is weighed once role changes are
            // (see `read`).
            return Ok(stands(person, role.unwrap_or(Role::Writer)));
        }
        if adder.person != person {
            return Ok(Judged::Void("a device added to another person"));
        }
        Ok(match self.devices.get(&person) {
            Some(root) if root.person == person => stands(person, root.role),
            _ => Judged::Wait("a device of a person who is not a member"),
        })
    }
}
