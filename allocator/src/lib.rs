//! # bootmem: the systems under test
//!
//! Faithful Rust re-implementations of Linux's early-boot memory allocators,
//! each behind the one bootmem-compatible [`BootMem`] trait whose contract is
//! `shared/SPEC.md` section 3. This crate knows nothing about fuzzing: the
//! harness lives in the `oracles` crate.
//!
//! Every backend keeps its own metadata (bitmaps, region arrays, node pools)
//! inside the memory it manages and reports where ([`BootMem::metadata`]),
//! as an early allocator has nowhere else to keep it (SPEC section 5).

pub mod bitmap;
pub mod bootmem;
pub mod bootmem2;
pub mod bugs;
pub mod early_res;
mod lifecycle;
pub mod memblock;
pub mod nobootmem;
pub mod page_map;
mod pages;
mod ram;
pub mod range;
pub mod rootmem;
mod search;
#[cfg(test)]
pub(crate) mod testing;
pub mod treemem;

pub use bootmem::ClassicBootmem;
pub use bootmem2::Bootmem2;
pub use bugs::{Bug, BugClass, BugSet};
pub use range::{Pfn, PhysAddr, Range, PAGE_SHIFT, PAGE_SIZE, SMP_CACHE_BYTES};
pub use rootmem::RootMem;

use std::fmt;

/// Highest node id plus one (SPEC section 1).
pub const MAX_NODES: u32 = 64;

/// A NUMA node id, `0..MAX_NODES`.
pub type Nid = u32;

/// Why a call did not succeed. A call that returns an error changes nothing
/// (SPEC section 3).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Error {
    /// Bad arguments: a range that touches non-RAM or overflows, a size of
    /// zero, an alignment that is not a power of two, a wrong node.
    Invalid,
    /// An exclusive reserve met memory that is already taken.
    Busy,
    /// A free met memory that is already free.
    DoubleFree,
    /// No feasible placement (for a non-panicking alloc), or no room for the
    /// backend's own metadata.
    NoMem,
    /// The backend does not support this call at this time (for example
    /// `add_memory` after `setup` in a bitmap design).
    Unsupported,
    /// The allocator has handed its memory over (`release_all` ran).
    Retired,
    /// The deliberate "out of memory" panic of a panicking alloc variant,
    /// returned as a value.
    Panic,
}

impl Error {
    /// The outcome kind's name as the spec and the text format spell it.
    pub const fn name(self) -> &'static str {
        match self {
            Error::Invalid => "Invalid",
            Error::Busy => "Busy",
            Error::DoubleFree => "DoubleFree",
            Error::NoMem => "NoMem",
            Error::Unsupported => "Unsupported",
            Error::Retired => "Retired",
            Error::Panic => "Panic",
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl std::error::Error for Error {}

/// The result of a call: `Ok` or one error kind.
pub type Outcome<T> = Result<T, Error>;

/// How `reserve` treats memory that is already taken.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ReserveMode {
    /// `BOOTMEM_DEFAULT`: reserving what is already taken is fine.
    Default,
    /// `BOOTMEM_EXCLUSIVE` (72a7fe3967db, v2.6.25-rc1): `Busy` if anything in
    /// the range is taken, and then nothing changes.
    Exclusive,
}

/// Whether a node request may fall back to other nodes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum NodePolicy {
    /// Prefer the node, fall back to any node (`__alloc_bootmem_node`).
    Prefer,
    /// Only the node (`memblock_alloc_exact_nid_raw`).
    Exact,
}

/// What a failed allocation does.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum OnFail {
    /// Return [`Error::NoMem`] (the `_nopanic` variants).
    Null,
    /// Return [`Error::Panic`] (`__alloc_bootmem`'s "Out of memory" panic).
    Panic,
}

/// One allocation request (SPEC section 2, "Alloc request").
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct AllocRequest {
    /// Bytes wanted; 0 is `Invalid`.
    pub size: u64,
    /// Absolute alignment of the start; must be a power of two (0 is `Invalid`).
    pub align: u64,
    /// Preferred lowest start; 0 means none (SPEC section 4 stages).
    pub goal: PhysAddr,
    /// Exclusive bound on the end of the allocation; 0 means none.
    pub limit: PhysAddr,
    /// Requested node, or `None` for any node.
    pub nid: Option<Nid>,
    /// Whether the node is a preference or a constraint.
    pub policy: NodePolicy,
    /// What a failure returns.
    pub on_fail: OnFail,
}

impl AllocRequest {
    /// A request for `size` bytes with the given alignment and no goal, limit
    /// or node, that returns `NoMem` on failure.
    pub const fn new(size: u64, align: u64) -> AllocRequest {
        AllocRequest {
            size,
            align,
            goal: 0,
            limit: 0,
            nid: None,
            policy: NodePolicy::Prefer,
            on_fail: OnFail::Null,
        }
    }

    /// The error a failed allocation must return.
    pub const fn failure(&self) -> Error {
        match self.on_fail {
            OnFail::Null => Error::NoMem,
            OnFail::Panic => Error::Panic,
        }
    }

    /// Checks the arguments every backend must refuse with `Invalid`: a zero
    /// size, or an alignment that is not a power of two (SPEC section 3).
    pub const fn validate(&self) -> Outcome<()> {
        if self.size == 0 || !self.align.is_power_of_two() {
            Err(Error::Invalid)
        } else {
            Ok(())
        }
    }
}

/// The unit in which a backend keeps state (SPEC section 2).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Granularity {
    /// Whole pages: partial pages at a RAM range's edges are holes; reserve
    /// rounds outward and free rounds inward.
    Page,
    /// Bytes: every byte of a RAM range is usable; ranges are exact.
    Byte,
}

/// Which address a backend picks among feasible placements (SPEC section 4).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Placement {
    /// The lowest feasible start in the first non-empty stage.
    Lowest,
    /// The highest feasible start in the first non-empty stage.
    Highest,
    /// Placement depends on more than the free map (next-fit hint, packing):
    /// only validity is checked.
    Historical,
}

/// What happens to a backend's metadata at `release_all` (SPEC section 5).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum MetadataHandoff {
    /// The metadata pages are handed to the sink with the free pages.
    Released,
    /// The metadata stays allocated forever.
    Kept,
}

/// When memory may be registered with `add_memory`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Registration {
    /// Only before `setup` (the bitmap designs size their bitmaps from it).
    BeforeSetup,
    /// At any time (the range designs).
    AnyTime,
}

/// What the oracle may expect of a backend (SPEC section 7).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Profile {
    /// Page or byte state.
    pub granularity: Granularity,
    /// Canonical placement policy, or historical.
    pub placement: Placement,
    /// Sub-page packing into the tail of the previous allocation's page.
    pub packing: bool,
    /// Whether a request with no node may span RAM of several nodes where
    /// the RAM is contiguous.
    pub crosses_nodes: bool,
    /// What metadata does at hand-off.
    pub metadata: MetadataHandoff,
    /// When `add_memory` is allowed.
    pub registration: Registration,
}

/// The bootmem-compatible contract of SPEC section 3.
///
/// The life of an allocator: `add_memory` for every RAM range, `setup`, any
/// number of `reserve*`, `free*` and `alloc` calls, then `release_all` once,
/// after which every call returns [`Error::Retired`].
pub trait BootMem {
    /// The backend's registry name (`rootmem`, `bootmem`, ...).
    fn name(&self) -> &'static str;

    /// What the oracle may expect of this backend.
    fn profile(&self) -> Profile;

    /// Registers `range` as RAM of node `nid`. `Invalid` when the range is
    /// empty, `nid >= MAX_NODES`, or it overlaps RAM already registered;
    /// `Unsupported` after `setup` in a design whose profile says
    /// [`Registration::BeforeSetup`].
    fn add_memory(&mut self, range: Range, nid: Nid) -> Outcome<()>;

    /// Builds the metadata inside managed memory and enables the allocator.
    /// After it every registered whole page (page backends) or byte (byte
    /// backends) is free except the metadata. `NoMem` when the metadata
    /// does not fit anywhere; the allocator then stays unusable.
    fn setup(&mut self) -> Outcome<()>;

    /// Marks `[base, base + size)` taken (SPEC section 3, `reserve`).
    fn reserve(&mut self, base: PhysAddr, size: u64, mode: ReserveMode) -> Outcome<()>;

    /// As `reserve`, but the range must lie inside one contiguous RAM range
    /// of node `nid`, else `Invalid`.
    fn reserve_node(
        &mut self,
        nid: Nid,
        base: PhysAddr,
        size: u64,
        mode: ReserveMode,
    ) -> Outcome<()>;

    /// Marks `[base, base + size)` free (SPEC section 3, `free`).
    fn free(&mut self, base: PhysAddr, size: u64) -> Outcome<()>;

    /// As `free`, but the range must lie inside one contiguous RAM range of
    /// node `nid`, else `Invalid`.
    fn free_node(&mut self, nid: Nid, base: PhysAddr, size: u64) -> Outcome<()>;

    /// Allocates per SPEC section 4 and returns the start address.
    fn alloc(&mut self, req: &AllocRequest) -> Outcome<PhysAddr>;

    /// Hands every free whole page, and the metadata pages the profile
    /// declares released, to `sink` exactly once, as page-aligned ranges,
    /// and returns the number of pages handed over. Later calls return
    /// [`Error::Retired`].
    fn release_all(&mut self, sink: &mut dyn FnMut(Range)) -> Outcome<u64>;

    /// The physical ranges the backend's own metadata occupies right now,
    /// sorted and non-overlapping.
    fn metadata(&self) -> Vec<Range>;

    /// The bytes of contiguous, page-aligned free RAM (inside one RAM range)
    /// that the backend's next metadata growth would take (memblock's
    /// doubled array, early_res's doubled table, treemem's stolen page), or
    /// `None` for a backend whose metadata never grows (the default).
    ///
    /// A call that must record memory may fail with `NoMem` when its
    /// metadata is full and cannot grow (SPEC section 5). The oracle accepts
    /// that only when its model shows no room of this size outside the
    /// call's own range, so a backend cannot use it to hide a spurious
    /// failure.
    fn metadata_growth(&self) -> Option<u64> {
        None
    }

    /// The backend's own view of which memory is free right now, as sorted,
    /// non-overlapping, maximal ranges (page-aligned for page backends). The
    /// oracle compares it with its model after a call that returned an error,
    /// which must have changed nothing.
    fn free_map(&self) -> Vec<Range>;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_names_are_spelled_as_the_spec_spells_them() {
        let all = [
            Error::Invalid,
            Error::Busy,
            Error::DoubleFree,
            Error::NoMem,
            Error::Unsupported,
            Error::Retired,
            Error::Panic,
        ];
        let names: Vec<&str> = all.iter().map(|e| e.name()).collect();
        assert_eq!(
            names,
            [
                "Invalid",
                "Busy",
                "DoubleFree",
                "NoMem",
                "Unsupported",
                "Retired",
                "Panic"
            ]
        );
    }
}
