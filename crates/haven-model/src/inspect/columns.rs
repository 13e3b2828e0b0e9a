//! The operation columns of a change chunk, counted without being expanded.
//!
//! Each column is a run-length, delta or boolean encoding of one field of every operation.
//! A run says "this value, N times" in a few bytes, so the number of operations a change
//! claims has to be counted from the runs, never by decoding them one by one.

use super::{ChangeLimits, Reader};

/// Why a change's operation columns were refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ColumnError {
    /// The column metadata or data is cut short or does not decode.
    #[error("column {0} is malformed")]
    Malformed(&'static str),
    /// A column Automerge 0.12 never writes in a change.
    #[error("an unknown or compressed column")]
    Unknown,
    /// Columns out of order or repeated.
    #[error("columns out of order")]
    Order,
    /// Columns of one operation disagree on how many operations there are.
    #[error("column {0} disagrees on the number of operations")]
    Mismatch(&'static str),
    /// More operations, predecessors or key bytes than allowed.
    #[error("too many {0}")]
    TooMany(&'static str),
    /// An actor index beyond the change's actors.
    #[error("an actor index out of range")]
    Actor,
    /// An action a journal never uses.
    #[error("action {0} is not allowed")]
    Action(u64),
    /// A value type a journal never uses (counters, unknown types).
    #[error("value type {0} is not allowed")]
    ValueType(u64),
    /// Bytes after the columns.
    #[error("trailing bytes after the columns")]
    Trailing,
}

/// What the columns say.
#[derive(Debug, Default)]
pub(crate) struct Ops {
    /// Number of operations.
    pub rows: u64,
    /// Whether any operation is on the document root.
    pub root_ops: bool,
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Col {
    ObjActor,
    ObjCtr,
    KeyActor,
    KeyCtr,
    KeyStr,
    Insert,
    Action,
    ValMeta,
    ValRaw,
    PredGroup,
    PredActor,
    PredCtr,
    Expand,
    MarkName,
}

impl Col {
    fn from_spec(spec: u32) -> Option<Col> {
        if spec & 0b1000 != 0 {
            // Compressed columns never appear in a change chunk.
            return None;
        }
        Some(match (spec >> 4, spec & 0b111) {
            (0, 1) => Col::ObjActor,
            (0, 2) => Col::ObjCtr,
            (1, 1) => Col::KeyActor,
            (1, 3) => Col::KeyCtr,
            (1, 5) => Col::KeyStr,
            (3, 4) => Col::Insert,
            (4, 2) => Col::Action,
            (5, 6) => Col::ValMeta,
            (5, 7) => Col::ValRaw,
            (7, 0) => Col::PredGroup,
            (7, 1) => Col::PredActor,
            (7, 3) => Col::PredCtr,
            (9, 4) => Col::Expand,
            (10, 5) => Col::MarkName,
            _ => return None,
        })
    }

    fn name(self) -> &'static str {
        match self {
            Col::ObjActor | Col::ObjCtr => "obj",
            Col::KeyActor | Col::KeyCtr | Col::KeyStr => "key",
            Col::Insert => "insert",
            Col::Action => "action",
            Col::ValMeta | Col::ValRaw => "value",
            Col::PredGroup | Col::PredActor | Col::PredCtr => "pred",
            Col::Expand => "expand",
            Col::MarkName => "mark name",
        }
    }
}

/// What one column holds, counted.
#[derive(Default, Debug)]
struct Count {
    rows: u64,
    nulls: u64,
}

/// The run encodings a column's values can take.
#[derive(Clone, Copy)]
enum Values {
    Uleb,
    Sleb,
    Str,
}

/// Counts a run-length column; `each(count, value)` sees every run of one value.
fn runs(
    data: &[u8],
    col: Col,
    values: Values,
    limits: &ChangeLimits,
    max_rows: u64,
    mut each: impl FnMut(u64, u64) -> Result<(), ColumnError>,
) -> Result<Count, ColumnError> {
    let bad = ColumnError::Malformed(col.name());
    let mut r = Reader::new(data);
    let mut count = Count::default();
    let value = |r: &mut Reader<'_>| -> Result<u64, ColumnError> {
        match values {
            Values::Uleb => r.uleb().ok_or(bad.clone()),
            // Deltas are checked for form only; their sum is Automerge's concern.
            Values::Sleb => r.sleb().map(|_| 0).ok_or(bad.clone()),
            Values::Str => {
                let s = r
                    .prefixed(limits.max_key_bytes)
                    .ok_or(bad.clone())?
                    .map_err(|()| ColumnError::TooMany("key bytes"))?;
                std::str::from_utf8(s).map_err(|_| bad.clone())?;
                Ok(s.len() as u64)
            }
        }
    };
    while !r.is_empty() {
        let run = r.sleb().ok_or(bad.clone())?;
        let n = run.unsigned_abs();
        if run == 0 {
            let nulls = r.uleb().ok_or(bad.clone())?;
            count.rows = count.rows.saturating_add(nulls);
            count.nulls = count.nulls.saturating_add(nulls);
        } else if run > 0 {
            count.rows = count.rows.saturating_add(n);
            if count.rows > max_rows {
                return Err(ColumnError::TooMany("operations"));
            }
            let v = value(&mut r)?;
            each(n, v)?;
        } else {
            count.rows = count.rows.saturating_add(n);
            if count.rows > max_rows {
                return Err(ColumnError::TooMany("operations"));
            }
            for _ in 0..n {
                let v = value(&mut r)?;
                each(1, v)?;
            }
        }
        if count.rows > max_rows {
            return Err(ColumnError::TooMany("operations"));
        }
    }
    Ok(count)
}

/// Counts a boolean column: alternating run lengths, starting with `false`.
fn booleans(data: &[u8], col: Col, max_rows: u64) -> Result<Count, ColumnError> {
    let mut r = Reader::new(data);
    let mut count = Count::default();
    while !r.is_empty() {
        let n = r.uleb().ok_or(ColumnError::Malformed(col.name()))?;
        count.rows = count.rows.saturating_add(n);
        if count.rows > max_rows {
            return Err(ColumnError::TooMany("operations"));
        }
    }
    Ok(count)
}

/// Checks the column metadata and data that follow a change's header, up to the end of
/// the chunk.
pub(crate) fn check_ops(
    r: &mut Reader<'_>,
    actors: usize,
    limits: &ChangeLimits,
) -> Result<Ops, ColumnError> {
    let meta = ColumnError::Malformed("metadata");
    let ncols = r.uleb().ok_or(meta.clone())?;
    if ncols > 16 {
        return Err(ColumnError::Unknown);
    }
    let mut specs: Vec<(Col, u32, usize)> = Vec::with_capacity(ncols as usize);
    let mut total = 0usize;
    for _ in 0..ncols {
        let spec = r.uleb().ok_or(meta.clone())?;
        let spec = u32::try_from(spec).map_err(|_| meta.clone())?;
        let len = r.uleb().ok_or(meta.clone())?;
        let len = usize::try_from(len).map_err(|_| meta.clone())?;
        let col = Col::from_spec(spec).ok_or(ColumnError::Unknown)?;
        if specs.last().is_some_and(|(_, prev, _)| *prev >= spec) {
            return Err(ColumnError::Order);
        }
        total = total.checked_add(len).ok_or(meta.clone())?;
        specs.push((col, spec, len));
    }
    if total > r.remaining() {
        return Err(ColumnError::Malformed("data"));
    }
    let mut data = Vec::with_capacity(specs.len());
    for (col, _, len) in &specs {
        let bytes = r.take(*len).ok_or(ColumnError::Malformed("data"))?;
        data.push((*col, bytes));
    }
    // Automerge keeps bytes after the columns (an optional author footer); a journal
    // writes none, so a short tail is tolerated and anything more refused.
    if r.remaining() > 4096 {
        return Err(ColumnError::Trailing);
    }
    let find = |want: Col| data.iter().find(|(c, _)| *c == want).map(|(_, b)| *b);

    let max = limits.max_ops;
    let action = find(Col::Action).unwrap_or_default();
    let actions = runs(action, Col::Action, Values::Uleb, limits, max, |_, a| {
        // Make a map, put, make a list, delete.
        if a <= 3 {
            Ok(())
        } else {
            Err(ColumnError::Action(a))
        }
    })?;
    if actions.nulls > 0 {
        return Err(ColumnError::Malformed("action"));
    }
    let rows = actions.rows;
    let same = |count: &Count, col: Col| {
        if count.rows == rows {
            Ok(())
        } else {
            Err(ColumnError::Mismatch(col.name()))
        }
    };
    let actor_index = |_, a: u64| {
        if a < actors as u64 {
            Ok(())
        } else {
            Err(ColumnError::Actor)
        }
    };

    let mut ops = Ops {
        rows,
        root_ops: false,
    };
    let mut value_bytes = 0u64;
    let mut pred_rows = 0u64;
    let mut pred_seen = (0u64, 0u64);
    for (col, bytes) in &data {
        if bytes.is_empty() {
            continue;
        }
        match col {
            Col::Action => {}
            Col::ObjActor | Col::KeyActor => {
                let c = runs(bytes, *col, Values::Uleb, limits, max, actor_index)?;
                same(&c, *col)?;
                if *col == Col::ObjActor && c.nulls > 0 {
                    ops.root_ops = true;
                }
            }
            Col::ObjCtr => {
                // A counter of 0 also means the root.
                let mut zero = false;
                let c = runs(bytes, *col, Values::Uleb, limits, max, |_, ctr| {
                    zero |= ctr == 0;
                    Ok(())
                })?;
                same(&c, *col)?;
                ops.root_ops |= zero || c.nulls > 0;
            }
            Col::KeyCtr => same(
                &runs(bytes, *col, Values::Sleb, limits, max, |_, _| Ok(()))?,
                *col,
            )?,
            Col::KeyStr | Col::MarkName => {
                let mut expanded = 0u64;
                let budget = max.saturating_mul(limits.max_key_bytes.min(64));
                let c = runs(bytes, *col, Values::Str, limits, max, |n, len| {
                    expanded = expanded.saturating_add(n.saturating_mul(len));
                    if expanded > budget {
                        Err(ColumnError::TooMany("key bytes"))
                    } else {
                        Ok(())
                    }
                })?;
                same(&c, *col)?;
            }
            Col::Insert | Col::Expand => same(&booleans(bytes, *col, max)?, *col)?,
            Col::ValMeta => {
                let c = runs(bytes, *col, Values::Uleb, limits, max, |n, meta| {
                    let kind = meta & 0xf;
                    // Null, false, true, uint, int, float, string, bytes, timestamp; never
                    // counters (8) or types this version does not know (10 and up).
                    if kind == 8 || kind > 9 {
                        return Err(ColumnError::ValueType(kind));
                    }
                    value_bytes = value_bytes.saturating_add(n.saturating_mul(meta >> 4));
                    Ok(())
                })?;
                same(&c, *col)?;
            }
            Col::ValRaw => {}
            Col::PredGroup => {
                let c = runs(bytes, *col, Values::Uleb, limits, max, |n, size| {
                    pred_rows = pred_rows.saturating_add(n.saturating_mul(size));
                    if pred_rows > max.saturating_mul(4) {
                        Err(ColumnError::TooMany("predecessors"))
                    } else {
                        Ok(())
                    }
                })?;
                same(&c, *col)?;
            }
            Col::PredActor => {
                pred_seen.0 = runs(bytes, *col, Values::Uleb, limits, max * 4, actor_index)?.rows;
            }
            Col::PredCtr => {
                pred_seen.1 = runs(bytes, *col, Values::Sleb, limits, max * 4, |_, _| Ok(()))?.rows;
            }
        }
    }
    // An operation without an object column value is on the root.
    let has = |col: Col| find(col).is_some_and(|b| !b.is_empty());
    if rows > 0 && !(has(Col::ObjActor) && has(Col::ObjCtr)) {
        ops.root_ops = true;
    }
    if find(Col::ValRaw).unwrap_or_default().len() as u64 != value_bytes {
        return Err(ColumnError::Mismatch("value"));
    }
    if pred_seen != (pred_rows, pred_rows) {
        return Err(ColumnError::Mismatch("pred"));
    }
    Ok(ops)
}
