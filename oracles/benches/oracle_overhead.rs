//! The oracle's overhead: the same scenarios played through the backends
//! alone, against backends plus models.
//!
//! Run with `cargo bench -p oracles --bench oracle_overhead` (under two
//! minutes). A fixed set of [`SCENARIOS`] scenarios is decoded from
//! xorshift64 bytes (lengths below 4096, the same on every run). Then:
//!
//! - `oracle_overhead/<backend>`, for each registered backend: `bare` plays
//!   every scenario with `oracles::bare::play_bare` (the backend's calls
//!   only), `checked` with `oracles::run` given just that backend (model,
//!   checks, metadata sync, panic guard, its trace).
//! - `oracle_overhead/all_backends`: `bare` plays every scenario on every
//!   backend, `checked` runs every scenario with all backends, which adds
//!   the differential comparison of peers.
//!
//! `checked / bare` is the oracle's cost relative to the backends'; the
//! goal is below 2, the oracle costing less than the backends themselves.

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use oracles::bare::play_bare;
use oracles::{backends, decode, run, BackendInfo, Scenario};
use std::hint::black_box;
use std::time::Duration;

/// How many scenarios each timed iteration plays.
const SCENARIOS: usize = 200;
/// Input lengths are below this many bytes.
const MAX_LEN: u64 = 4096;
/// The xorshift64 seed.
const SEED: u64 = 0x2545_f491_4f6c_dd1d;

/// One step of xorshift64.
fn xorshift(state: &mut u64) -> u64 {
    *state ^= *state << 13;
    *state ^= *state >> 7;
    *state ^= *state << 17;
    *state
}

/// The fixed scenarios.
fn scenarios() -> Vec<Scenario> {
    let mut state = SEED;
    (0..SCENARIOS)
        .map(|_| {
            let len = (xorshift(&mut state) % MAX_LEN) as usize;
            let bytes: Vec<u8> = (0..len).map(|_| xorshift(&mut state) as u8).collect();
            decode(&bytes)
        })
        .collect()
}

/// Every scenario on every backend of `infos`, bare; returns the ops played.
fn bare(scenarios: &[Scenario], infos: &[BackendInfo]) -> usize {
    let mut ops = 0;
    for info in infos {
        for s in scenarios {
            ops += play_bare(black_box(s), info, bootmem::BugSet::NONE);
        }
    }
    ops
}

/// Every scenario run with all of `infos` beside their models; returns the
/// ops played and the findings.
fn checked(scenarios: &[Scenario], infos: &[BackendInfo]) -> (usize, usize) {
    let (mut ops, mut findings) = (0, 0);
    for s in scenarios {
        let report = run(black_box(s), infos);
        ops += report.ops_played;
        findings += report.findings.len();
    }
    (ops, findings)
}

/// One group: `bare` against `checked` over the same work.
fn pair(c: &mut Criterion, name: &str, scenarios: &[Scenario], infos: &[BackendInfo]) {
    let ops = bare(scenarios, infos);
    let mut group = c.benchmark_group(format!("oracle_overhead/{name}"));
    group.throughput(Throughput::Elements(ops as u64));
    group.bench_function("bare", |b| b.iter(|| black_box(bare(scenarios, infos))));
    group.bench_function("checked", |b| {
        b.iter(|| black_box(checked(scenarios, infos)))
    });
    group.finish();
}

fn oracle_overhead(c: &mut Criterion) {
    let scenarios = scenarios();
    let all = backends();
    for info in &all {
        pair(c, info.name, &scenarios, std::slice::from_ref(info));
    }
    pair(c, "all_backends", &scenarios, &all);
}

criterion_group! {
    name = benches;
    config = Criterion::default()
        .sample_size(10)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(3));
    targets = oracle_overhead
}
criterion_main!(benches);
