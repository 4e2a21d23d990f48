//! Findings: what the oracle reports when a backend breaks the contract
//! (SPEC section 6), and their signatures.

use crate::scenario::OpKind;
use std::fmt;

/// The kinds of finding of SPEC section 6.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum FindingKind {
    /// An allocation or metadata range overlaps live allocated, reserved or
    /// metadata bytes.
    Overlap,
    /// A result touches a hole or lies outside RAM.
    OutsideMemory,
    /// A result is on the wrong node for its stage, or spans nodes it may not.
    OutOfNode,
    /// `a % align != 0`, or a page backend returned a start inside a page
    /// without packing.
    Misaligned,
    /// The result ends past `limit`.
    Limit,
    /// The result is below the goal while a stage with start `>= goal` was
    /// feasible.
    Goal,
    /// An alloc failed while a placement was feasible.
    SpuriousFailure,
    /// A call's outcome kind differs from the contract, or an error changed
    /// state.
    WrongOutcome,
    /// A canonical-policy backend chose another address than its policy.
    Placement,
    /// `release_all` released fewer pages than the model's free pages.
    LostPages,
    /// A page was released twice, or a taken page was released.
    DoubleRelease,
    /// Metadata outside RAM, over taken memory, or unaccounted at hand-off.
    Metadata,
    /// Backends of one profile disagreed on the same scenario.
    Divergence,
    /// The backend panicked.
    BackendPanic,
    /// A call exceeded the step or time budget.
    Hang,
}

impl FindingKind {
    /// Every kind, in the order of SPEC section 6.
    pub const ALL: [FindingKind; 15] = [
        FindingKind::Overlap,
        FindingKind::OutsideMemory,
        FindingKind::OutOfNode,
        FindingKind::Misaligned,
        FindingKind::Limit,
        FindingKind::Goal,
        FindingKind::SpuriousFailure,
        FindingKind::WrongOutcome,
        FindingKind::Placement,
        FindingKind::LostPages,
        FindingKind::DoubleRelease,
        FindingKind::Metadata,
        FindingKind::Divergence,
        FindingKind::BackendPanic,
        FindingKind::Hang,
    ];

    /// The kind's name as SPEC section 6 spells it.
    pub const fn name(self) -> &'static str {
        match self {
            FindingKind::Overlap => "overlap",
            FindingKind::OutsideMemory => "outside-memory",
            FindingKind::OutOfNode => "out-of-node",
            FindingKind::Misaligned => "misaligned",
            FindingKind::Limit => "limit",
            FindingKind::Goal => "goal",
            FindingKind::SpuriousFailure => "spurious-failure",
            FindingKind::WrongOutcome => "wrong-outcome",
            FindingKind::Placement => "placement",
            FindingKind::LostPages => "lost-pages",
            FindingKind::DoubleRelease => "double-release",
            FindingKind::Metadata => "metadata",
            FindingKind::Divergence => "divergence",
            FindingKind::BackendPanic => "backend-panic",
            FindingKind::Hang => "hang",
        }
    }
}

impl FindingKind {
    /// The kind named `name` as SPEC section 6 spells it, if any.
    pub fn from_name(name: &str) -> Option<FindingKind> {
        FindingKind::ALL.into_iter().find(|k| k.name() == name)
    }
}

impl fmt::Display for FindingKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// One broken promise: which backend, at which op, and what went wrong.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Finding {
    /// What kind of promise was broken.
    pub kind: FindingKind,
    /// The backend's registry name.
    pub backend: &'static str,
    /// Index of the op in `Scenario::ops`; `None` during registration and
    /// `setup`.
    pub op_index: Option<usize>,
    /// The kind of call that exposed it.
    pub op_kind: OpKind,
    /// A short, stable class of detail (`"result-below-goal"`), part of the
    /// signature: it never contains numbers.
    pub class: &'static str,
    /// A human sentence with the numbers: expected against actual.
    pub detail: String,
}

impl Finding {
    /// The finding's signature `(kind, backend, op kind, detail class)`:
    /// stable across runs and input sizes, so triage groups by it.
    pub fn signature(&self) -> Signature {
        Signature {
            kind: self.kind,
            backend: self.backend,
            op_kind: self.op_kind,
            class: self.class,
        }
    }
}

impl fmt::Display for Finding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.op_index {
            Some(i) => write!(f, "{} at op #{i}: {}", self.signature(), self.detail),
            None => write!(
                f,
                "{} during {}: {}",
                self.signature(),
                self.op_kind.name(),
                self.detail
            ),
        }
    }
}

/// A finding's identity for deduplication (SPEC section 6).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Signature {
    /// The finding's kind.
    pub kind: FindingKind,
    /// The backend's registry name.
    pub backend: &'static str,
    /// The kind of call.
    pub op_kind: OpKind,
    /// The detail class.
    pub class: &'static str,
}

impl fmt::Display for Signature {
    /// `kind/backend/op/class`, e.g. `goal/rootmem/alloc/result-below-goal`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}/{}/{}/{}",
            self.kind.name(),
            self.backend,
            self.op_kind.name(),
            self.class
        )
    }
}
