//! Which finding kinds count as catching a planted bug of each class
//! (reference section 8.6 against SPEC section 6).
//!
//! The bug zoo (`bootfuzz zoo`) and the planted-bug tests use this one
//! table: a fault caught as one of its class's kinds is caught as expected;
//! caught as another kind, it still counts as caught but is flagged, since
//! the oracle then saw a consequence rather than the broken invariant.

use crate::finding::FindingKind;
use bootmem::BugClass;

/// The finding kinds that show the invariant of `class` broken directly.
pub fn expected_kinds(class: BugClass) -> &'static [FindingKind] {
    match class {
        // SPEC's `metadata` kind includes new metadata laid over taken
        // memory, which is an overlap too.
        BugClass::Overlap => &[FindingKind::Overlap, FindingKind::Metadata],
        BugClass::Alignment => &[FindingKind::Misaligned],
        BugClass::LostPages => &[FindingKind::LostPages],
        // A node request answered elsewhere, or refused although another
        // node (the fallback the contract promises) had room.
        BugClass::OutOfNode => &[FindingKind::OutOfNode, FindingKind::SpuriousFailure],
        BugClass::GoalOrLimit => &[FindingKind::Goal, FindingKind::Limit],
        // Wrapped arithmetic shows as a trap (overflow checks are on), as a
        // result outside RAM, or as a call that should have been refused.
        BugClass::Overflow => &[
            FindingKind::BackendPanic,
            FindingKind::OutsideMemory,
            FindingKind::WrongOutcome,
        ],
        BugClass::Robustness => &[
            FindingKind::BackendPanic,
            FindingKind::WrongOutcome,
            FindingKind::SpuriousFailure,
            FindingKind::Hang,
        ],
    }
}

/// True when a finding of `kind` shows the invariant of `class` broken.
pub fn is_expected(class: BugClass, kind: FindingKind) -> bool {
    expected_kinds(class).contains(&kind)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_class_expects_at_least_one_kind_and_overlap_is_not_wrong_outcome() {
        for class in [
            BugClass::Overlap,
            BugClass::LostPages,
            BugClass::OutOfNode,
            BugClass::Overflow,
            BugClass::Alignment,
            BugClass::GoalOrLimit,
            BugClass::Robustness,
        ] {
            assert!(!expected_kinds(class).is_empty(), "{}", class.name());
        }
        assert!(is_expected(BugClass::Overlap, FindingKind::Overlap));
        assert!(is_expected(BugClass::Overlap, FindingKind::Metadata));
        assert!(!is_expected(BugClass::Overlap, FindingKind::WrongOutcome));
        assert!(!is_expected(BugClass::LostPages, FindingKind::Overlap));
    }
}
