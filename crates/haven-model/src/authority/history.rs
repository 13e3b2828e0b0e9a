//! Causal questions about a document's changes: which change made an operation, and whether
//! it lies in the past of another's. Built on first use only (most journals never ask).
//!
//! Changes are numbered once, and a change's past (or future) is kept as a bit set over
//! those numbers: an eighth of a byte per change in the document. At most [`CACHED`] such
//! sets are kept at a time, so that a session of many changes asking about many others costs
//! bounded memory; one asked for again after that is walked again.

use std::collections::HashMap;

use automerge::{Automerge, ChangeHash};

use super::OpRef;

/// How many pasts and futures are kept at a time, each.
const CACHED: usize = 256;

/// The change graph, numbered.
struct Graph {
    hashes: Vec<ChangeHash>,
    index: HashMap<ChangeHash, usize>,
    deps: Vec<Vec<usize>>,
    children: Vec<Vec<usize>>,
    /// Each actor's changes as (first op, last op, number), sorted by first op.
    by_actor: HashMap<Vec<u8>, Vec<(u64, u64, usize)>>,
}

/// A set of changes, by number.
struct Bits(Vec<u64>);

impl Bits {
    fn new(len: usize) -> Bits {
        Bits(vec![0; len.div_ceil(64)])
    }

    /// Sets bit `i`; whether it was clear.
    fn insert(&mut self, i: usize) -> bool {
        let (word, bit) = (i / 64, 1u64 << (i % 64));
        let clear = self.0[word] & bit == 0;
        self.0[word] |= bit;
        clear
    }

    fn contains(&self, i: usize) -> bool {
        self.0
            .get(i / 64)
            .is_some_and(|w| w & (1u64 << (i % 64)) != 0)
    }
}

/// Which way a walk of the change graph goes.
#[derive(Clone, Copy)]
enum Toward {
    Past,
    Future,
}

/// The change graph of one document, read lazily.
pub struct History<'a> {
    doc: &'a Automerge,
    graph: Option<Graph>,
    /// Ancestors (inclusive) of changes asked about, by number.
    pasts: HashMap<usize, Bits>,
    /// Descendants (inclusive) of changes asked about, by number.
    futures: HashMap<usize, Bits>,
}

impl<'a> History<'a> {
    /// The history of `doc`, not read yet.
    pub fn new(doc: &'a Automerge) -> Self {
        History {
            doc,
            graph: None,
            pasts: HashMap::new(),
            futures: HashMap::new(),
        }
    }

    fn graph(&mut self) -> &Graph {
        self.graph.get_or_insert_with(|| read_graph(self.doc))
    }

    fn number_of(&mut self, op: &OpRef) -> Option<usize> {
        let graph = self.graph();
        let spans = graph.by_actor.get(&op.actor)?;
        // The last change of this actor starting at or before the operation.
        let at = spans.partition_point(|(start, _, _)| *start <= op.counter);
        let (start, max, number) = spans.get(at.checked_sub(1)?)?;
        (*start <= op.counter && op.counter <= *max).then_some(*number)
    }

    /// The change that holds operation `op`, if the document has it.
    pub fn change_of(&mut self, op: &OpRef) -> Option<ChangeHash> {
        let number = self.number_of(op)?;
        Some(self.graph().hashes[number])
    }

    /// Whether operation `op` lies in the causal past of operation `of` (or in the same
    /// change), read from the past of `of`. False when either is unknown.
    pub fn in_past(&mut self, op: &OpRef, of: &OpRef) -> bool {
        self.reaches(of, op, Toward::Past)
    }

    /// Whether operation `earlier` lies in the causal past of operation `op` (or in the same
    /// change): as [`Self::in_past`]`(earlier, op)`, but read from the future of `earlier`,
    /// for asking about one operation's future many times.
    pub fn after(&mut self, op: &OpRef, earlier: &OpRef) -> bool {
        self.reaches(earlier, op, Toward::Future)
    }

    /// Whether the change holding `to` is reached from the one holding `from`, walking
    /// `toward` the past or the future (kept for `from`).
    fn reaches(&mut self, from: &OpRef, to: &OpRef, toward: Toward) -> bool {
        let (Some(from), Some(to)) = (self.number_of(from), self.number_of(to)) else {
            return false;
        };
        let known = match toward {
            Toward::Past => self.pasts.contains_key(&from),
            Toward::Future => self.futures.contains_key(&from),
        };
        if !known {
            let set = match toward {
                Toward::Past => self.walk(from, |g, n| &g.deps[n]),
                Toward::Future => self.walk(from, |g, n| &g.children[n]),
            };
            let cache = self.cache(toward);
            if cache.len() >= CACHED {
                cache.clear();
            }
            cache.insert(from, set);
        }
        self.cache(toward)[&from].contains(to)
    }

    fn cache(&mut self, toward: Toward) -> &mut HashMap<usize, Bits> {
        match toward {
            Toward::Past => &mut self.pasts,
            Toward::Future => &mut self.futures,
        }
    }

    /// Whether neither of two known operations lies in the other's past.
    pub fn concurrent(&mut self, a: &OpRef, b: &OpRef) -> bool {
        !self.after(a, b) && !self.in_past(a, b)
    }

    /// The changes reached from `start` (itself included) along `next`.
    fn walk(&mut self, start: usize, next: impl Fn(&Graph, usize) -> &Vec<usize>) -> Bits {
        let graph = self.graph();
        let mut seen = Bits::new(graph.hashes.len());
        let mut stack = vec![start];
        while let Some(n) = stack.pop() {
            if seen.insert(n) {
                stack.extend(next(graph, n).iter().copied());
            }
        }
        seen
    }
}

fn read_graph(doc: &Automerge) -> Graph {
    let metas = doc.get_changes_meta(&[]);
    let index: HashMap<ChangeHash, usize> =
        metas.iter().enumerate().map(|(i, m)| (m.hash, i)).collect();
    let mut graph = Graph {
        hashes: metas.iter().map(|m| m.hash).collect(),
        deps: Vec::with_capacity(metas.len()),
        children: vec![Vec::new(); metas.len()],
        by_actor: HashMap::new(),
        index,
    };
    for (i, m) in metas.iter().enumerate() {
        let deps: Vec<usize> = m
            .deps
            .iter()
            .filter_map(|d| graph.index.get(d).copied())
            .collect();
        for &d in &deps {
            graph.children[d].push(i);
        }
        graph.deps.push(deps);
        let spans = graph
            .by_actor
            .entry(m.actor.to_bytes().to_vec())
            .or_default();
        spans.push((m.start_op, m.max_op, i));
    }
    for spans in graph.by_actor.values_mut() {
        spans.sort();
    }
    graph
}
