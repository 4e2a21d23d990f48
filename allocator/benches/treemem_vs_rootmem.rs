//! treemem against rootmem: the cost of one operation at a fixed fragment
//! count as memory grows from 1 GiB to 1 TiB.
//!
//! Run with `cargo bench -p bootmem --bench treemem_vs_rootmem` (about two
//! minutes). Every instance registers `[0, ram)` on node 0, sets up, and
//! reserves 255 fragments: stride `i` of 256 equal strides is reserved
//! except its first two pages, and the last stride stays free. So both
//! backends hold the same 256 free fragments at every size, and only the
//! memory they span grows. Two loops are timed, each call pair leaving the
//! allocator as it found it:
//!
//! - `alloc_free`: a 16 KiB page-aligned allocation, which fits only in the
//!   last stride, then its free. rootmem's first fit walks its bitmap past
//!   every reserved stride, so its cost grows with memory; treemem's search
//!   of the size tree reaches the one extent long enough in `O(log n)` of
//!   the 256 extents, whatever their size.
//! - `reserve_free`: an exclusive reserve of one page in the last stride,
//!   then its free: a targeted update, flat for both.

use bootmem::treemem::TreeMem;
use bootmem::{AllocRequest, BootMem, Range, ReserveMode, RootMem, PAGE_SIZE};
use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion};
use std::hint::black_box;
use std::time::Duration;

const GIB: u64 = 1 << 30;
/// The memory sizes: 1 GiB, 16 GiB, 256 GiB, 1 TiB.
const SIZES: [(u64, &str); 4] = [
    (GIB, "1GiB"),
    (16 * GIB, "16GiB"),
    (256 * GIB, "256GiB"),
    (1024 * GIB, "1TiB"),
];
/// Free fragments, fixed at every size.
const FRAGMENTS: u64 = 256;
/// Free bytes left at the start of every reserved stride.
const HOLE: u64 = 2 * PAGE_SIZE;

/// `backend` with `[0, ram)` registered, set up and fragmented.
fn fragmented<B: BootMem>(mut backend: B, ram: u64) -> B {
    let range = Range::new(0, ram).expect("ram range");
    assert_eq!(backend.add_memory(range, 0), Ok(()));
    assert_eq!(backend.setup(), Ok(()));
    let stride = ram / FRAGMENTS;
    for i in 0..FRAGMENTS - 1 {
        let base = i * stride + HOLE;
        let got = backend.reserve(base, stride - HOLE, ReserveMode::Default);
        assert_eq!(got, Ok(()));
    }
    backend
}

fn treemem(ram: u64) -> TreeMem {
    let mut tm = TreeMem::new();
    tm.set_checking(false);
    fragmented(tm, ram)
}

fn rootmem(ram: u64) -> RootMem {
    fragmented(RootMem::new(), ram)
}

/// One alloc and its free.
fn alloc_free(backend: &mut dyn BootMem, req: &AllocRequest) {
    let a = backend
        .alloc(black_box(req))
        .expect("fits in the last stride");
    backend.free(a, req.size).expect("frees what it allocated");
}

/// One exclusive reserve of a page and its free.
fn reserve_free(backend: &mut dyn BootMem, at: u64) {
    let got = backend.reserve(black_box(at), PAGE_SIZE, ReserveMode::Exclusive);
    got.expect("the page is free");
    backend.free(at, PAGE_SIZE).expect("frees what it reserved");
}

fn bench(c: &mut Criterion) {
    let req = AllocRequest::new(4 * PAGE_SIZE, PAGE_SIZE);
    let mut group = c.benchmark_group("alloc_free");
    for (ram, label) in SIZES {
        let mut tm = treemem(ram);
        group.bench_function(BenchmarkId::new("treemem", label), |b| {
            b.iter(|| alloc_free(&mut tm, &req))
        });
        drop(tm);
        let mut rm = rootmem(ram);
        group.bench_function(BenchmarkId::new("rootmem", label), |b| {
            b.iter(|| alloc_free(&mut rm, &req))
        });
    }
    group.finish();

    let mut group = c.benchmark_group("reserve_free");
    for (ram, label) in SIZES {
        let at = ram - ram / FRAGMENTS / 2;
        let mut tm = treemem(ram);
        group.bench_function(BenchmarkId::new("treemem", label), |b| {
            b.iter(|| reserve_free(&mut tm, at))
        });
        drop(tm);
        let mut rm = rootmem(ram);
        group.bench_function(BenchmarkId::new("rootmem", label), |b| {
            b.iter(|| reserve_free(&mut rm, at))
        });
    }
    group.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default()
        .sample_size(10)
        .warm_up_time(Duration::from_millis(300))
        .measurement_time(Duration::from_secs(2));
    targets = bench
}
criterion_main!(benches);
