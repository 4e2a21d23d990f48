//! The cost of the fault switch (`bootmem::bugs`) with nothing planted.
//!
//! Every planted fault is an `if bugs.has(Bug::X)` on a hot path. This
//! bench times one fixed workload on each backend built with
//! `BugSet::NONE`; run it twice and compare:
//!
//! ```sh
//! cargo bench -p bootmem --bench fault_switch
//! RUSTFLAGS="--cfg bootfuzz_no_faults" CARGO_TARGET_DIR=target/no-faults \
//!     cargo bench -p bootmem --bench fault_switch
//! ```
//!
//! The second build compiles every fault out (`BugSet::has` is a constant
//! `false`), so the difference between the two is what the switch costs.
//!
//! The workload, on two nodes of 256 MiB: 32 allocations of mixed sizes
//! (one to seven pages), alignments (4, 8 or 16 KiB) and node
//! preferences, then their frees in reverse, then an
//! exclusive one-page reserve and its free. Each round leaves the backend
//! with the same free memory it started with.

use bootmem::early_res::EarlyResBootMem;
use bootmem::memblock::{Direction, MemblockBootMem, INIT_MEMBLOCK_REGIONS};
use bootmem::nobootmem::NoBootmem;
use bootmem::treemem::TreeMem;
use bootmem::{
    AllocRequest, BootMem, Bootmem2, BugSet, ClassicBootmem, Range, ReserveMode, RootMem, PAGE_SIZE,
};
use criterion::{criterion_group, criterion_main, Criterion};
use std::hint::black_box;
use std::time::Duration;

const NODE: u64 = 256 << 20;

/// `backend` with two nodes of [`NODE`] bytes registered and set up.
fn booted(mut backend: Box<dyn BootMem>) -> Box<dyn BootMem> {
    for nid in 0..2u64 {
        let range = Range::new(nid * NODE, (nid + 1) * NODE).expect("node range");
        assert_eq!(backend.add_memory(range, nid as u32), Ok(()));
    }
    assert_eq!(backend.setup(), Ok(()));
    backend
}

/// One round of the workload; returns a checksum of the addresses.
fn round(backend: &mut dyn BootMem, live: &mut Vec<(u64, u64)>) -> u64 {
    let mut sum = 0u64;
    for i in 0..32u64 {
        let size = PAGE_SIZE * (1 + i % 7);
        let mut req = AllocRequest::new(size, PAGE_SIZE << (i % 3));
        if i % 2 == 1 {
            req.nid = Some((i / 2 % 2) as u32);
        }
        if let Ok(a) = backend.alloc(&req) {
            sum = sum.wrapping_add(a);
            live.push((a, size));
        }
    }
    while let Some((a, size)) = live.pop() {
        assert_eq!(backend.free(a, size), Ok(()));
    }
    let page = NODE + 64 * PAGE_SIZE;
    assert_eq!(
        backend.reserve(page, PAGE_SIZE, ReserveMode::Exclusive),
        Ok(())
    );
    assert_eq!(backend.free(page, PAGE_SIZE), Ok(()));
    sum
}

fn backends() -> Vec<(&'static str, Box<dyn BootMem>)> {
    let none = BugSet::NONE;
    let mut tree = TreeMem::with_bugs(none);
    tree.set_checking(false);
    vec![
        (
            "rootmem",
            Box::new(RootMem::with_bugs(none)) as Box<dyn BootMem>,
        ),
        ("bootmem", Box::new(ClassicBootmem::with_bugs(none))),
        ("bootmem2", Box::new(Bootmem2::with_bugs(none))),
        ("treemem", Box::new(tree)),
        (
            "memblock",
            Box::new(MemblockBootMem::with_capacities(
                none,
                Direction::TopDown,
                INIT_MEMBLOCK_REGIONS,
                INIT_MEMBLOCK_REGIONS,
            )),
        ),
        (
            "nobootmem",
            Box::new(NoBootmem::with_capacities(
                none,
                INIT_MEMBLOCK_REGIONS,
                INIT_MEMBLOCK_REGIONS,
            )),
        ),
        ("early_res", Box::new(EarlyResBootMem::with_bugs(none))),
    ]
}

fn fault_switch(c: &mut Criterion) {
    let mut group = c.benchmark_group("fault_switch");
    group.measurement_time(Duration::from_secs(3));
    group.warm_up_time(Duration::from_secs(1));
    for (name, backend) in backends() {
        let mut backend = booted(backend);
        let mut live = Vec::with_capacity(32);
        group.bench_function(name, |b| {
            b.iter(|| black_box(round(backend.as_mut(), &mut live)))
        });
    }
    group.finish();
}

criterion_group!(benches, fault_switch);
criterion_main!(benches);
