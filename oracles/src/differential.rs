//! Differential checks (SPEC section 7): backends that share a profile are
//! compared call by call, and the first call on which they disagree is a
//! `divergence` finding.
//!
//! Two backends with the same profile must give the same outcome (and the
//! same address) for the same call as long as their models agree on what is
//! taken. Their own metadata can make the models differ (memblock's
//! doubled array against nobootmem's, early_res's table against memblock's);
//! from the first op where the models' free maps or metadata differ, or
//! where one backend's metadata had no room to grow, the pair is no longer
//! compared, and each backend's own checks go on.

use crate::finding::{Finding, FindingKind};
use crate::registry::BackendInfo;
use crate::scenario::OpKind;
use bootmem::{Error, PhysAddr, Profile};

/// What one op returned, reduced to what two backends must agree on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StepOutcome {
    /// The op made no call (a `free_alloc` with nothing live).
    Skipped,
    /// `Ok` with no value.
    Ok,
    /// A successful allocation at this address.
    Addr(PhysAddr),
    /// A successful `release_all` with this page count.
    Count(u64),
    /// An error.
    Err(Error),
}

/// One played op of one backend.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Step {
    /// The op's kind.
    pub op_kind: OpKind,
    /// What it returned.
    pub outcome: StepOutcome,
    /// A fingerprint of the model's free map before the op.
    pub free_before: u64,
    /// The call failed with `NoMem` because the backend's own metadata had
    /// no room to grow: from here its capacity, not the contract, decides,
    /// so the pair stops being compared.
    pub metadata_full: bool,
}

/// One backend's played ops, in order (it stops at the backend's first
/// finding).
#[derive(Clone, Debug)]
pub struct Trace {
    /// The backend.
    pub backend: &'static str,
    /// Its profile.
    pub profile: Profile,
    /// Its steps; `steps[i]` is op `i`.
    pub steps: Vec<Step>,
}

/// Compares every pair of traces whose backends share a profile, in
/// registry order, and returns one finding per diverging pair, attributed to
/// the later backend of the pair.
pub fn compare(traces: &[Trace], backends: &[BackendInfo]) -> Vec<Finding> {
    let mut findings = Vec::new();
    for (i, a) in traces.iter().enumerate() {
        for b in traces.iter().skip(i + 1) {
            if a.profile != b.profile {
                continue;
            }
            if let Some(f) = compare_pair(a, b) {
                findings.push(f);
            }
        }
    }
    let order = |name: &str| backends.iter().position(|b| b.name == name);
    findings.sort_by_key(|f| order(f.backend));
    findings
}

/// The first op where `a` and `b` disagree while their models agree.
fn compare_pair(a: &Trace, b: &Trace) -> Option<Finding> {
    for (index, (x, y)) in a.steps.iter().zip(&b.steps).enumerate() {
        if x.free_before != y.free_before || x.metadata_full || y.metadata_full {
            return None;
        }
        if x.outcome == y.outcome {
            continue;
        }
        let class = match (x.outcome, y.outcome) {
            (StepOutcome::Addr(_), StepOutcome::Addr(_)) => "address-differs",
            (StepOutcome::Count(_), StepOutcome::Count(_)) => "count-differs",
            _ => "outcome-differs",
        };
        return Some(Finding {
            kind: FindingKind::Divergence,
            backend: b.backend,
            op_index: Some(index),
            op_kind: y.op_kind,
            class,
            detail: format!(
                "{} returned {:?}, {} returned {:?}",
                a.backend, x.outcome, b.backend, y.outcome
            ),
        });
    }
    None
}

/// A fingerprint of a model's free map and metadata, to tell cheaply
/// whether two models agree on what is taken and by whom: a free that meets
/// one backend's metadata is `Invalid` where the same free over the other's
/// reservation is fine.
///
/// Each address is mixed in whole: rotate, xor, multiply by an odd
/// constant. Every step is a bijection of the state for a fixed address and
/// of the address for a fixed state, so two lists of the same length that
/// differ in one address never collide; the rotation carries high bits into
/// low ones so that differences in several addresses do not cancel as
/// easily as with a multiply alone.
pub fn fingerprint(
    free: impl IntoIterator<Item = bootmem::Range>,
    metadata: impl IntoIterator<Item = bootmem::Range>,
) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    let separator = bootmem::Range::EMPTY;
    for r in free.into_iter().chain([separator]).chain(metadata) {
        for v in [r.start(), r.end()] {
            h = (h.rotate_left(23) ^ v).wrapping_mul(0x9e37_79b9_7f4a_7c15);
        }
    }
    h
}
