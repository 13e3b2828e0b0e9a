//! Causal questions about a document's changes: which change made an operation, and whether
//! it lies in the past of another's. Built on first use only (most journals never ask).

use std::collections::{HashMap, HashSet};

use automerge::{Automerge, ChangeHash};

use super::OpRef;

/// One change, as far as causality goes.
struct Node {
    actor: Vec<u8>,
    start_op: u64,
    max_op: u64,
    deps: Vec<ChangeHash>,
}

/// The change graph of one document, read lazily.
pub struct History<'a> {
    doc: &'a Automerge,
    graph: Option<HashMap<ChangeHash, Node>>,
    /// Each actor's changes as (first op, last op, hash), sorted by first op.
    by_actor: HashMap<Vec<u8>, Vec<(u64, u64, ChangeHash)>>,
    /// Ancestors (inclusive) of changes asked about, by change.
    pasts: HashMap<ChangeHash, HashSet<ChangeHash>>,
}

impl<'a> History<'a> {
    /// The history of `doc`, not read yet.
    pub fn new(doc: &'a Automerge) -> Self {
        History {
            doc,
            graph: None,
            by_actor: HashMap::new(),
            pasts: HashMap::new(),
        }
    }

    fn graph(&mut self) -> &HashMap<ChangeHash, Node> {
        if self.graph.is_none() {
            let graph: HashMap<ChangeHash, Node> = self
                .doc
                .get_changes_meta(&[])
                .into_iter()
                .map(|m| {
                    let node = Node {
                        actor: m.actor.to_bytes().to_vec(),
                        start_op: m.start_op,
                        max_op: m.max_op,
                        deps: m.deps,
                    };
                    (m.hash, node)
                })
                .collect();
            for (hash, node) in &graph {
                let spans = self.by_actor.entry(node.actor.clone()).or_default();
                spans.push((node.start_op, node.max_op, *hash));
            }
            for spans in self.by_actor.values_mut() {
                spans.sort();
            }
            self.graph = Some(graph);
        }
        self.graph.as_ref().expect("just read")
    }

    /// The change that holds operation `op`, if the document has it.
    pub fn change_of(&mut self, op: &OpRef) -> Option<ChangeHash> {
        self.graph();
        let spans = self.by_actor.get(&op.actor)?;
        // The last change of this actor starting at or before the operation.
        let at = spans.partition_point(|(start, _, _)| *start <= op.counter);
        let (start, max, hash) = spans.get(at.checked_sub(1)?)?;
        (*start <= op.counter && op.counter <= *max).then_some(*hash)
    }

    /// The ancestors of `change`, itself included.
    fn past(&mut self, change: ChangeHash) -> &HashSet<ChangeHash> {
        if !self.pasts.contains_key(&change) {
            let graph = self.graph();
            let mut seen = HashSet::new();
            let mut stack = vec![change];
            while let Some(h) = stack.pop() {
                if !seen.insert(h) {
                    continue;
                }
                if let Some(node) = graph.get(&h) {
                    stack.extend(node.deps.iter().copied());
                }
            }
            self.pasts.insert(change, seen);
        }
        &self.pasts[&change]
    }

    /// Whether operation `op` lies in the causal past of operation `of` (or in the same
    /// change). False when either is unknown.
    pub fn in_past(&mut self, op: &OpRef, of: &OpRef) -> bool {
        let (Some(a), Some(b)) = (self.change_of(op), self.change_of(of)) else {
            return false;
        };
        self.past(b).contains(&a)
    }
}
