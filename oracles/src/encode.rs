//! `encode`: the inverse of [`crate::decode`] for every scenario within the
//! decode bounds. It writes each value through the decoder's literal
//! strategies, so `decode(&encode(s)?) == s`. This is how hand-written
//! `.scn` scenarios become seed inputs that every engine reads the same way.

use crate::decode::{literal, DecodeBounds};
use crate::scenario::{Op, Part, Scenario};
use bootmem::{AllocRequest, NodePolicy, OnFail, ReserveMode};
use std::fmt;

/// Why a scenario cannot be written as decoder input.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum EncodeError {
    /// The map or the ops exceed a decode bound (which one, in words).
    OutOfBounds(String),
    /// `release_all` is not the last op (op index given).
    ReleaseAllNotLast(usize),
    /// A `free_alloc` index above 255 (op index given): the decoder reads
    /// it as one byte.
    IndexTooLarge(usize),
}

impl fmt::Display for EncodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            EncodeError::OutOfBounds(what) => {
                write!(f, "the scenario exceeds the decode bounds: {what}")
            }
            EncodeError::ReleaseAllNotLast(i) => {
                write!(f, "op #{i}: release_all must be the last op to be encoded")
            }
            EncodeError::IndexTooLarge(i) => {
                write!(f, "op #{i}: free_alloc index above 255 cannot be encoded")
            }
        }
    }
}

impl std::error::Error for EncodeError {}

/// Bytes that [`crate::decode`] turns back into `scenario`, with the
/// default bounds.
pub fn encode(scenario: &Scenario) -> Result<Vec<u8>, EncodeError> {
    encode_with(scenario, &DecodeBounds::default())
}

/// Bytes that `decode_with(_, bounds)` turns back into `scenario`.
pub fn encode_with(scenario: &Scenario, bounds: &DecodeBounds) -> Result<Vec<u8>, EncodeError> {
    let mut out = Out(Vec::new());
    encode_map(scenario, bounds, &mut out)?;
    encode_ops(&scenario.ops, bounds, &mut out)?;
    Ok(out.0)
}

/// The byte writer: the mirror of the decoder's `byte` and `word`.
struct Out(Vec<u8>);

impl Out {
    fn byte(&mut self, b: u8) {
        self.0.push(b);
    }

    /// A u64 as `arbitrary` reads it: eight little-endian bytes.
    fn word(&mut self, w: u64) {
        self.0.extend_from_slice(&w.to_le_bytes());
    }
}

fn out_of_bounds(what: String) -> EncodeError {
    EncodeError::OutOfBounds(what)
}

fn encode_map(s: &Scenario, bounds: &DecodeBounds, out: &mut Out) -> Result<(), EncodeError> {
    let ranges = s.map.ranges();
    let nodes = s.map.nodes().len();
    if nodes == 0 || nodes > bounds.max_nodes as usize {
        return Err(out_of_bounds(format!(
            "{nodes} nodes (at most {})",
            bounds.max_nodes
        )));
    }
    if ranges.len() > bounds.max_ranges {
        return Err(out_of_bounds(format!(
            "{} RAM ranges (at most {})",
            ranges.len(),
            bounds.max_ranges
        )));
    }
    if s.map.total_bytes() > u128::from(bounds.max_ram) {
        return Err(out_of_bounds(format!(
            "{:#x} bytes of RAM (at most {:#x})",
            s.map.total_bytes(),
            bounds.max_ram
        )));
    }
    let span = s.map.span();
    if span.len() > bounds.max_span {
        return Err(out_of_bounds(format!(
            "a span of {:#x} bytes (at most {:#x})",
            span.len(),
            bounds.max_span
        )));
    }
    out.byte((nodes - 1) as u8);
    out.byte((ranges.len() - 1) as u8);
    out.byte(literal::NID_STYLE);
    out.byte(0); // no spreading of node ids
    let mut previous_end = span.start();
    for r in ranges {
        out.byte(literal::GAP);
        out.word(r.range.start() - previous_end);
        out.byte(literal::LEN);
        out.word(r.range.len());
        out.byte(r.nid as u8);
        previous_end = r.range.end();
    }
    out.byte(literal::BASE);
    out.word(span.start());
    Ok(())
}

fn encode_ops(ops: &[Op], bounds: &DecodeBounds, out: &mut Out) -> Result<(), EncodeError> {
    let release_at_end = ops.last() == Some(&Op::ReleaseAll);
    let body = if release_at_end {
        &ops[..ops.len() - 1]
    } else {
        ops
    };
    let room = bounds.max_ops.saturating_sub(usize::from(release_at_end));
    if body.len() > room || (release_at_end && bounds.max_ops == 0) {
        return Err(out_of_bounds(format!(
            "{} ops (at most {})",
            ops.len(),
            bounds.max_ops
        )));
    }
    out.byte(u8::from(release_at_end));
    for (index, op) in body.iter().enumerate() {
        encode_op(index, op, out)?;
    }
    Ok(())
}

fn encode_op(index: usize, op: &Op, out: &mut Out) -> Result<(), EncodeError> {
    match *op {
        Op::Reserve { base, size, mode } => {
            out.byte(literal::OP_RESERVE);
            addr(out, base);
            size_of(out, size);
            out.byte(mode_byte(mode));
        }
        Op::ReserveNode {
            nid,
            base,
            size,
            mode,
        } => {
            out.byte(literal::OP_RESERVE_NODE);
            node(out, nid);
            addr(out, base);
            size_of(out, size);
            out.byte(mode_byte(mode));
        }
        Op::Free { base, size } => {
            out.byte(literal::OP_FREE);
            addr(out, base);
            size_of(out, size);
        }
        Op::FreeNode { nid, base, size } => {
            out.byte(literal::OP_FREE_NODE);
            node(out, nid);
            addr(out, base);
            size_of(out, size);
        }
        Op::Alloc(req) => {
            out.byte(literal::OP_ALLOC);
            request(out, &req);
        }
        Op::FreeAlloc { index: k, part } => {
            out.byte(literal::OP_FREE_ALLOC);
            out.byte(u8::try_from(k).map_err(|_| EncodeError::IndexTooLarge(index))?);
            out.byte(match part {
                Part::All => 0,
                Part::Head => 3,
                Part::Tail => 4,
                Part::Middle => 5,
            });
        }
        Op::ReleaseAll => return Err(EncodeError::ReleaseAllNotLast(index)),
    }
    Ok(())
}

/// An address: the point pick (ignored), then the literal tag and value.
fn addr(out: &mut Out, value: u64) {
    out.byte(0);
    out.byte(literal::ADDR);
    out.word(value);
}

fn size_of(out: &mut Out, value: u64) {
    out.byte(literal::SIZE);
    out.word(value);
}

fn node(out: &mut Out, nid: u32) {
    out.byte(literal::NID);
    out.byte(nid as u8);
}

/// Exclusive is `byte % 3 == 0`.
fn mode_byte(mode: ReserveMode) -> u8 {
    match mode {
        ReserveMode::Exclusive => 0,
        ReserveMode::Default => 1,
    }
}

fn request(out: &mut Out, req: &AllocRequest) {
    out.byte(literal::REQ_SIZE);
    size_of(out, req.size);
    out.byte(literal::ALIGN);
    out.word(req.align);
    out.byte(literal::GOAL_LIMIT);
    out.word(req.goal);
    out.byte(literal::GOAL_LIMIT);
    out.word(req.limit);
    out.byte(flags_byte(req));
    if let Some(nid) = req.nid {
        node(out, nid);
    }
}

/// The flags byte: no node is `flags % 3 == 0`, exact is bit 3, panic is
/// bit 4. The first byte with exactly the wanted reading.
fn flags_byte(req: &AllocRequest) -> u8 {
    let want = (
        req.nid.is_none(),
        req.policy == NodePolicy::Exact,
        req.on_fail == OnFail::Panic,
    );
    (0..=u8::MAX)
        .find(|f| (f % 3 == 0, f & 8 != 0, f & 16 != 0) == want)
        .unwrap_or(0)
}
