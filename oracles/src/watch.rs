//! Where a run is, for a watchdog on another thread, and the `hang` finding
//! it reports when a call runs past its time budget (SPEC section 6).
//!
//! [`crate::run::run_watched`] stores the backend and op it is about to play
//! in a [`Position`] (two relaxed atomic stores per op); an engine's
//! watchdog reads it when the input has run too long and turns it into a
//! finding with [`hang_finding`], whose signature names the backend and the
//! op kind stuck, like every other finding.

use crate::finding::{Finding, FindingKind};
use crate::registry::BackendInfo;
use crate::scenario::{OpKind, Scenario};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

/// Marks "before the first op" (registering the map or `setup`).
const BEFORE_OPS: usize = usize::MAX;

/// The backend and op a run is playing.
#[derive(Debug)]
pub struct Position {
    backend: AtomicUsize,
    op: AtomicUsize,
}

impl Default for Position {
    fn default() -> Position {
        Position::new()
    }
}

impl Position {
    /// At the first backend, before its first op.
    pub const fn new() -> Position {
        Position {
            backend: AtomicUsize::new(0),
            op: AtomicUsize::new(BEFORE_OPS),
        }
    }

    /// Records that backend number `backend` is about to play op `op`
    /// (`None`: registering the map and `setup`).
    pub fn set(&self, backend: usize, op: Option<usize>) {
        self.backend.store(backend, Ordering::Relaxed);
        self.op.store(op.unwrap_or(BEFORE_OPS), Ordering::Relaxed);
    }

    /// The backend index and op index last recorded.
    pub fn get(&self) -> (usize, Option<usize>) {
        let op = self.op.load(Ordering::Relaxed);
        (
            self.backend.load(Ordering::Relaxed),
            (op != BEFORE_OPS).then_some(op),
        )
    }
}

/// The `hang` finding for a run of `scenario` on `backends` that was at
/// `position` when it passed its time `budget`.
pub fn hang_finding(
    scenario: &Scenario,
    backends: &[BackendInfo],
    position: (usize, Option<usize>),
    budget: Duration,
) -> Finding {
    let (backend, op_index) = position;
    let op_kind = op_index
        .and_then(|i| scenario.ops.get(i))
        .map_or(OpKind::Setup, |op| op.kind());
    Finding {
        kind: FindingKind::Hang,
        backend: backends.get(backend).map_or("unknown", |b| b.name),
        op_index,
        op_kind,
        class: "time-budget",
        detail: format!("the call was still running after {budget:?}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenario::{MemoryMap, Op, Scenario};
    use bootmem::{AllocRequest, Range};

    #[test]
    fn a_position_names_the_backend_and_the_op_kind_stuck() {
        let map = MemoryMap::new(&[crate::scenario::RamRange {
            range: Range::new(0, 0x10_0000).unwrap_or(Range::EMPTY),
            nid: 0,
        }]);
        let scenario = Scenario {
            map: map.unwrap_or_else(|e| panic!("{e:?}")),
            ops: vec![Op::Alloc(AllocRequest::new(0x1000, 0x1000))],
        };
        let backends = crate::registry::backends();
        let position = Position::new();
        assert_eq!(position.get(), (0, None));
        position.set(1, Some(0));
        let f = hang_finding(&scenario, &backends, position.get(), Duration::from_secs(2));
        assert_eq!(f.kind, FindingKind::Hang);
        assert_eq!(f.backend, backends[1].name);
        assert_eq!(f.op_kind, OpKind::Alloc);
        assert_eq!(
            f.signature().to_string(),
            format!("hang/{}/alloc/time-budget", backends[1].name)
        );
        position.set(0, None);
        let before = hang_finding(&scenario, &backends, position.get(), Duration::from_secs(2));
        assert_eq!(before.op_kind, OpKind::Setup);
    }
}
