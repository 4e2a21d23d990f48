//! The `native_memblock` target: memblock's native API against its model
//! (`oracles::native`). The faithful port passes seeded inputs with no
//! finding; planted historical faults that only the native API can reach
//! (M15), and others (L13, M5, X2), are found, and the same inputs are clean
//! without them.
//!
//! In the pictures one character is one page: `.` free memory, `r`
//! reserved, `A` a doubled region array, `x` not memory.

mod seeded;

use bootmem::memblock::Array;
use bootmem::{Bug, BugSet, PAGE_SIZE};
use oracles::guard::guarded;
use oracles::native::{decode, describe, encode, play, NativeCalls, NativeOp, MAX_OPS};
use seeded::{assert_no_findings_on_threads, next_input};

const P: u64 = PAGE_SIZE;
/// `MEMBLOCK_ALLOC_ANYWHERE`.
const ANYWHERE: u64 = u64::MAX;

/// Bytes that decode to these calls on arrays of `memory` and `reserved`
/// slots.
fn input(memory: usize, reserved: usize, ops: Vec<NativeOp>) -> Vec<u8> {
    let calls = NativeCalls {
        memory_regions: memory,
        reserved_regions: reserved,
        ops,
    };
    match encode(&calls) {
        Some(bytes) => bytes,
        None => panic!("cannot encode {calls}"),
    }
}

/// The signature of the first finding, with `bugs` planted.
fn signature(data: &[u8], bugs: BugSet) -> Option<String> {
    play(data, bugs).map(|f| f.signature().to_string())
}

// ---- the faithful port ---------------------------------------------------

/// Seeded inputs per thread; two threads.
const PER_THREAD: usize = 5_000;

fn clean_pass(seed: u64) -> Vec<String> {
    let (mut state, mut data, mut found) = (seed, Vec::new(), Vec::new());
    for _ in 0..PER_THREAD {
        next_input(&mut state, &mut data);
        if let Some(f) = play(&data, BugSet::NONE) {
            found.push(format!("{f}\n{}", describe(&data)));
        }
    }
    found
}

/// Expect no finding on 10,000 seeded inputs (about 57 calls each: adds,
/// reservations, frees, allocations in both directions, array doubling,
/// queries over ranges that wrap past 2^64) when nothing is planted.
#[test]
fn the_faithful_port_passes_ten_thousand_seeded_inputs() {
    assert_no_findings_on_threads(&[0x4e47_0001, 0x4e47_0002], clean_pass);
}

// ---- M15: the overlap test that wraps ------------------------------------

/// ```text
///                      2^64 - 2P   2^64 - P      2^64
///   ...                |    r     |     .     |x|
///   overlaps_region(reserved, 2^64 - 2P, 2^64 - 1)
///                      [---------- capped: up to 2^64 - 1 ----)
/// ```
/// `base + size` passes 2^64. Expect the fixed test (023accf5cdc1, v5.14)
/// to cap the size and answer true; expect M15, which adds uncapped, to
/// see the wrapped end below `base`, answer false, and be found as
/// `overlaps-wrong`.
#[test]
fn an_overlap_query_that_wraps_past_2_64_is_found_with_m15_planted() {
    let base = 0u64.wrapping_sub(2 * P);
    let data = input(
        128,
        128,
        vec![
            NativeOp::Reserve { base, size: P },
            NativeOp::Overlaps {
                which: Array::Reserved,
                base,
                size: u64::MAX,
            },
        ],
    );
    assert_eq!(signature(&data, BugSet::NONE), None);
    assert_eq!(
        signature(&data, BugSet::NONE.with(Bug::M15OverlapsWrap)).as_deref(),
        Some("wrong-outcome/native_memblock/reserve/overlaps-wrong")
    );
}

/// Inputs of the seeded stream the M15 search may take.
const M15_SEARCH_BOUND: usize = 20;

/// Expect the plain seeded stream (no hand-built input) to reach M15
/// within [`M15_SEARCH_BOUND`] inputs, on an input that is clean without
/// it: the decoder draws bases near 2^64 and sizes that wrap often enough.
#[test]
fn a_seeded_search_finds_m15_within_a_few_inputs() {
    let m15 = BugSet::NONE.with(Bug::M15OverlapsWrap);
    let (mut state, mut data) = (0x4e47_0015u64, Vec::new());
    let found = (1..=M15_SEARCH_BOUND).find_map(|n| {
        next_input(&mut state, &mut data);
        play(&data, m15).map(|f| (n, f))
    });
    let Some((n, finding)) = found else {
        panic!("M15 not found in {M15_SEARCH_BOUND} seeded inputs");
    };
    assert_eq!(finding.class, "overlaps-wrong", "{finding}");
    assert_eq!(play(&data, BugSet::NONE), None, "{}", describe(&data));
    eprintln!("M15 found by seeded input {n}: {finding}");
}

// ---- other planted memblock faults -----------------------------------------

/// ```text
///   0   2P  3P  4P  5P
///   |   | r |   |   |      reserved [2P, 3P) is region 0
///           is_region_reserved(4P, P)?
/// ```
/// Expect false: nothing is reserved there. With L13 (before f1c2c19c498,
/// 2010) the call returns the index of the first overlapping region or -1,
/// read as a boolean: -1 is true. Expect `is-region-reserved-wrong`.
#[test]
fn a_region_reserved_query_is_found_wrong_with_l13_planted() {
    let data = input(
        128,
        128,
        vec![
            NativeOp::Reserve {
                base: 2 * P,
                size: P,
            },
            NativeOp::IsRegionReserved {
                base: 4 * P,
                size: P,
            },
        ],
    );
    assert_eq!(signature(&data, BugSet::NONE), None);
    assert_eq!(
        signature(&data, BugSet::NONE.with(Bug::L13RegionReservedIndex)).as_deref(),
        Some("wrong-outcome/native_memblock/reserve/is-region-reserved-wrong")
    );
}

/// ```text
///   0  P  2P       4P 5P       8P 9P
///   |  |r?|        |r |        |r |   reserved array: room for 2, full
///   reserve [P, 2P): the array must grow, and may not yet
/// ```
/// Expect `CannotResize` and no change. With M5 (the error path before
/// 8f7a66051b7, v3.0) the new range goes in and the array's **last**
/// region, [8P, 9P), is dropped: a reservation is forgotten. Expect
/// `reserved-lost`.
#[test]
fn a_reservation_forgotten_on_the_error_path_is_found_with_m5_planted() {
    let data = input(
        2,
        2,
        vec![
            NativeOp::Reserve {
                base: 4 * P,
                size: P,
            },
            NativeOp::Reserve {
                base: 8 * P,
                size: P,
            },
            NativeOp::Reserve { base: P, size: P },
        ],
    );
    assert_eq!(signature(&data, BugSet::NONE), None);
    assert_eq!(
        signature(&data, BugSet::NONE.with(Bug::M5WrongRollback)).as_deref(),
        Some("overlap/native_memblock/reserve/reserved-lost")
    );
}

/// ```text
///   0  P                 12P          20P 21P 22P 23P
///   |xx|.......A?........|xxxxxxxxxxxx| r |xxx| r |   reserved: full (2)
///   reserve [0, 12P): the reserved array doubles, nothing free above 12P
/// ```
/// Expect `NoSpace`: the search below a range starting at 0 is skipped.
/// With X2 (v6.18 as written) the "below" end `min(0, current_limit)` is
/// `MEMBLOCK_ALLOC_ACCESSIBLE`, no bound, and the new array lands inside
/// the range being reserved. Expect `array-in-new-range`.
#[test]
fn a_new_array_inside_the_range_being_reserved_is_found_with_x2_planted() {
    let data = input(
        2,
        2,
        vec![
            NativeOp::AllowResize,
            NativeOp::Add {
                base: P,
                size: 11 * P,
            },
            NativeOp::Reserve {
                base: 20 * P,
                size: P,
            },
            NativeOp::Reserve {
                base: 22 * P,
                size: P,
            },
            NativeOp::Reserve {
                base: 0,
                size: 12 * P,
            },
        ],
    );
    assert_eq!(signature(&data, BugSet::NONE), None);
    assert_eq!(
        signature(&data, BugSet::NONE.with(Bug::X2SentinelBelowEnd)).as_deref(),
        Some("metadata/native_memblock/reserve/array-in-new-range")
    );
}

// ---- decoding --------------------------------------------------------------

/// Expect any bytes to decode without a panic into at most [`MAX_OPS`]
/// calls, and to print one line per call after the header.
#[test]
fn random_bytes_decode_without_panic_within_the_bound() {
    let (mut state, mut data) = (0x4e47_dec0u64, Vec::new());
    for _ in 0..2_000 {
        next_input(&mut state, &mut data);
        let decoded = guarded(|| (decode(&data), describe(&data)));
        let Ok((calls, text)) = decoded else {
            panic!("decode panicked on {data:?}");
        };
        assert!(calls.ops.len() <= MAX_OPS);
        assert_eq!(text.lines().count(), calls.ops.len() + 1, "{text}");
    }
    assert_eq!(decode(&[0xff; 4096]).ops.len(), MAX_OPS);
}

/// Expect the call list to read as C, one call per line, hex values.
#[test]
fn describe_prints_kernel_calls() {
    let data = input(
        4,
        2,
        vec![
            NativeOp::AddNode {
                base: 0x1000,
                size: 0x2000,
                nid: Some(1),
            },
            NativeOp::Reserve {
                base: 0x1000,
                size: 0x2000,
            },
            NativeOp::AllocTryNid {
                size: 0x100,
                align: 0,
                min: 0,
                max: ANYWHERE,
                nid: None,
            },
        ],
    );
    assert_eq!(
        describe(&data),
        "// INIT_MEMBLOCK_MEMORY_REGIONS 4, INIT_MEMBLOCK_RESERVED_REGIONS 2\n\
         memblock_add_node(0x1000, 0x2000, 1, MEMBLOCK_NONE); // #0\n\
         memblock_reserve(0x1000, 0x2000); // #1\n\
         memblock_alloc_try_nid(0x100, 0x0, 0x0, 0xffffffffffffffff, NUMA_NO_NODE); // #2\n"
    );
}
