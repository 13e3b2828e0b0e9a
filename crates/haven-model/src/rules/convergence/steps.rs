//! The steps a history is made of: what honest devices write, as their copies have it.

use std::collections::BTreeSet;

use super::{History, MAX_REVOKED, MIN_ACTIVE, NAMES, STEPS, stamp};
use crate::authority::{Ending, Role};
use crate::entry::{Entry, EntryId};
use crate::members;
use crate::schema;

impl History {
    pub(super) fn write_entry(&mut self) -> bool {
        let Some(i) = self.rng.pick(&self.actors(Role::writes)) else {
            return false;
        };
        let id = EntryId::from_parts(self.now() as u64, u128::from(self.rng.next()));
        let text = format!("{} at step {}", NAMES[i], self.step);
        let entry = Entry::note(id, stamp(self.now()), self.id(i), text.clone());
        self.write(i, |d| schema::put_entry(d, &entry));
        self.written.insert(id, (i, BTreeSet::from([text])));
        let doc = self.devices[i].doc.as_mut().unwrap();
        let unknowing: Vec<usize> = (self.demotions.iter().enumerate())
            .filter(|(_, (p, change, _))| *p == i / 2 && doc.get_change_by_hash(change).is_none())
            .map(|(k, _)| k)
            .collect();
        self.unknowing.insert(id, unknowing);
        self.count(match self.devices[i].revoked {
            false => "write an entry",
            true => "a revoked device writes an entry, not knowing",
        });
        if !self.roles[i / 2].writes() {
            self.count("a device made a reader writes an entry, not knowing");
        }
        true
    }

    /// A writer edits, stars or deletes an entry of its own person's, as its copy has it.
    pub(super) fn change_own_entry(&mut self) -> bool {
        let mut choices: Vec<(usize, EntryId, bool)> = Vec::new();
        for i in self.actors(Role::writes) {
            let doc = self.devices[i].doc.as_ref().unwrap();
            for e in schema::read_entries(doc).unwrap().entries {
                let writer = self.devices.iter().position(|d| d.dev.id == e.device);
                if writer.is_some_and(|w| w / 2 == i / 2) {
                    choices.push((i, e.id, e.starred));
                }
            }
        }
        let Some((i, id, starred)) = self.rng.pick(&choices) else {
            return false;
        };
        let (me, now) = (self.id(i), self.now());
        match self.rng.next() % 10 {
            0..5 => {
                let text = format!("{} edited at step {}", NAMES[i], self.step);
                self.write(i, |d| schema::set_text(d, id, &text, &me, stamp(now)));
                self.written.get_mut(&id).unwrap().1.insert(text);
                self.count("edit an own entry");
            }
            5..8 => {
                self.write(i, |d| schema::set_starred(d, id, !starred));
                self.count("star or unstar an own entry");
            }
            _ => {
                self.write(i, |d| schema::delete_entry(d, id, now));
                let heads = self.devices[i].doc.as_mut().unwrap().get_heads();
                self.deleted.entry(id).or_default().extend(heads);
                self.count("delete an own entry");
            }
        }
        true
    }

    /// An admin adds a person not in yet (their first device, with their role), or a
    /// person's first device adds their second (which shares their role).
    pub(super) fn add(&mut self) -> bool {
        let mut choices: Vec<(usize, usize)> = Vec::new();
        for by in self.membership_actors() {
            let admin = self.acting(by) == Some(Role::Admin);
            for d in (0..NAMES.len()).filter(|&d| !self.devices[d].added) {
                if d % 2 == 1 && by == d - 1 || d % 2 == 0 && admin {
                    choices.push((by, d));
                }
            }
        }
        let Some((by, d)) = self.rng.pick(&choices) else {
            return false;
        };
        let role = (d % 2 == 0).then_some(self.roles[d / 2]);
        self.count_race(by);
        let mut m = self.devices[d].dev.member(&self.id(d / 2 * 2), role);
        (m.added_by, m.added_at_ms) = (self.id(by), self.now());
        self.write(by, |doc| members::add_member(doc, &m).map(|_| ()));
        self.reread(by);
        self.devices[d].added = true;
        self.count(match role {
            None => "a person adds their own device",
            Some(Role::Reader) => "an admin adds a reader",
            Some(_) => "an admin adds a writer or admin",
        });
        true
    }

    /// A device leaves (and offers that once to a device
    /// still in) or retires its person's other device, or an admin removes another person's
    /// device or the whole person.
    pub(super) fn revoke(&mut self) -> bool {
        let inside = self.in_journal();
        let mut choices: Vec<(usize, usize, bool)> = Vec::new();
        for by in self.membership_actors() {
            let admin = self.acting(by) == Some(Role::Admin);
            for &t in inside.iter().filter(|&&t| t / 2 == by / 2 || admin) {
                choices.extend([(by, t, false), (by, t, t / 2 != by / 2)]);
            }
        }
        let Some((by, target, whole)) = self.rng.pick(&choices) else {
            return false;
        };
        let theirs = |&t: &usize| t == target || whole && t / 2 == target / 2;
        let gone: Vec<usize> = inside.iter().copied().filter(theirs).collect();
        let room = self.endings.len() + gone.len() <= MAX_REVOKED;
        if self.step < STEPS / 3 || !room || inside.len() < MIN_ACTIVE + gone.len() {
            return false;
        }
        let (by_id, at, person) = (self.id(by), self.now(), self.id(target / 2 * 2));
        self.count_race(by);
        let seen: BTreeSet<EntryId> = {
            let doc = self.devices[by].doc.as_ref().unwrap();
            let present = schema::read_entries(doc).unwrap().entries;
            present.into_iter().map(|e| e.id).collect()
        };
        for &g in &gone {
            let theirs = self.written.iter().filter(|(_, (w, _))| *w == g);
            let seen = theirs.map(|(id, _)| *id).filter(|id| seen.contains(id));
            self.seen_by_revocation.insert(g, seen.collect());
        }
        let mut ids: Vec<String> = gone.iter().map(|&g| self.id(g)).collect();
        ids.sort();
        if self.racing {
            let mut trial = self.devices[by].doc.as_mut().unwrap().fork();
            let same = match whole {
                true => {
                    members::remove_person(&mut trial, &by_id, &person, at).ok()
                        == Some(ids.clone())
                }
                false => members::revoke_member(&mut trial, &ids[0], at).unwrap_or(false),
            };
            if !same {
                return false;
            }
        }
        self.write(by, |d| {
            match whole {
                true => assert_eq!(members::remove_person(d, &by_id, &person, at).unwrap(), ids),
                false => assert!(members::revoke_member(d, &ids[0], at)?),
            }
            Ok(())
        });
        self.reread(by);
        let own = target / 2 == by / 2;
        for g in gone {
            let (by, at_ms) = (by_id.clone(), at);
            let ending = match own {
                true => Ending::Left { by, at_ms },
                false => Ending::Removed { by, at_ms },
            };
            self.endings.insert(self.id(g), ending);
            self.devices[g].revoked = true;
        }
        self.count(match (target == by, own, whole) {
            (true, _, _) => "a device leaves",
            (_, true, _) => "a device retires its person's other device",
            (_, _, true) => "an admin removes a person",
            _ => "an admin removes a device",
        });
        if target == by {
            let peer = self.rng.pick(&self.in_journal()).unwrap();
            assert!(
                self.deliver(by, peer),
                "seed {}: leaving is news",
                self.seed
            );
        }
        true
    }

    /// An admin makes another role the role of a person in the journal.
    pub(super) fn change_role(&mut self) -> bool {
        let admins: Vec<usize> = (self.membership_actors().into_iter())
            .filter(|&i| self.acting(i) == Some(Role::Admin))
            .collect();
        let Some(by) = self.rng.pick(&admins) else {
            return false;
        };
        let people: Vec<usize> = (0..3)
            .filter(|&p| {
                (2 * p..2 * p + 2).any(|d| self.devices[d].added && !self.devices[d].revoked)
            })
            .collect();
        let Some(p) = self.rng.pick(&people) else {
            return false;
        };
        let all = [Role::Admin, Role::Writer, Role::Reader];
        let others: Vec<Role> = all.into_iter().filter(|r| *r != self.roles[p]).collect();
        let role = self.rng.pick(&others).unwrap();
        let (by_id, person, nonce) = (self.id(by), self.id(2 * p), self.rng.next());
        // Racing, the device's copy may not hold what the history does: it acts on its own.
        let trial = self.devices[by].doc.as_mut().map(|d| d.fork());
        if self.racing
            && trial.is_some_and(|mut d| {
                members::set_role(&mut d, &by_id, &person, role, nonce).is_err()
            })
        {
            return false;
        }
        self.count_race(by);
        let seen: BTreeSet<EntryId> = {
            let doc = self.devices[by].doc.as_ref().unwrap();
            let present = schema::read_entries(doc).unwrap().entries;
            present.into_iter().map(|e| e.id).collect()
        };
        self.write(by, |d| {
            members::set_role(d, &by_id, &person, role, nonce).unwrap();
            Ok(())
        });
        self.reread(by);
        if role == Role::Reader {
            let doc = self.devices[by].doc.as_mut().unwrap();
            let change = doc.get_heads()[0];
            // The person's entries written already, which the demotion did not see, were
            // written not knowing of it.
            let k = self.demotions.len();
            for (id, (writer, _)) in &self.written {
                if *writer / 2 == p && !seen.contains(id) {
                    self.unknowing.entry(*id).or_default().push(k);
                }
            }
            self.demotions.push((p, change, seen));
        }
        self.roles[p] = role;
        self.count("an admin changes a person's role");
        true
    }
}
