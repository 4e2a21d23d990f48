//! The SPEC section 3 boundary shared by the two bootmem-compatible layers
//! over memblock: memblock's own [`MemblockBootMem`](super::MemblockBootMem)
//! and [`NoBootmem`](crate::nobootmem::NoBootmem).
//!
//! Each layer keeps its own mapping: which native call a contract call
//! makes, in which stage order, and the table that documents it. What is
//! here is what the contract demands around those native calls and memblock
//! itself does not check, the same for both layers and in the same order:
//!
//! | contract | checks, in order, before the native call |
//! |---|---|
//! | `add_memory` | `Retired` after hand-off; `Invalid` for an empty range, `nid >= MAX_NODES` or a byte already RAM |
//! | `setup` | `Unsupported` when already set up, `Retired` after hand-off |
//! | `reserve(_node)` | ready; size 0 `Ok`; overflow `Invalid`; a byte not RAM `Invalid`; (node form) not inside one memory region of the node `Invalid`; `Exclusive` over a reserved byte `Busy` |
//! | `free(_node)` | ready; size 0 `Ok`; overflow `Invalid`; a byte not RAM `Invalid`; (node form) as above; touching a doubled array `Invalid`; a byte not reserved `DoubleFree` |
//! | `alloc` | ready; [`AllocRequest::validate`]; the native failure becomes [`AllocRequest::failure`] |
//! | `release_all` | ready; `Retired` for every later call |
//!
//! "Ready" is `Unsupported` before `setup` and `Retired` after hand-off.
//! A native call that changes memblock runs in a [`transaction`]: when it
//! fails, memblock is restored to the snapshot taken before it, and the
//! failure (an array that cannot double) is reported as [`Error::NoMem`].

use super::report;
use super::{cover, Array, Memblock, MemblockError};
use crate::{
    AllocRequest, Error, Granularity, MetadataHandoff, Nid, Outcome, PhysAddr, Placement, Profile,
    Range, Registration, ReserveMode, MAX_NODES, PAGE_SIZE,
};

/// Where a layer is in its life.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Life {
    /// Taking `add_memory` calls; nothing else works yet.
    Registering,
    /// `setup` ran.
    Ready,
    /// `release_all` ran: every call is `Retired`.
    Retired,
}

impl Life {
    /// `Ok` once set up, `Unsupported` before, `Retired` after hand-off.
    pub(crate) const fn ready(self) -> Outcome<()> {
        match self {
            Life::Registering => Err(Error::Unsupported),
            Life::Ready => Ok(()),
            Life::Retired => Err(Error::Retired),
        }
    }
}

/// A bootmem-compatible layer over one [`Memblock`].
pub(crate) trait Layer {
    /// The memblock underneath and where the layer is in its life: what the
    /// boundary checks, restores when a native call fails (it writes only a
    /// snapshot back into the memblock), and moves on at `setup` and
    /// `release_all`.
    fn state(&mut self) -> (&mut Memblock, &mut Life);
}

/// The profile of a layer over memblock that places by `placement`: byte
/// granularity, no packing, no block across two memory regions of
/// different nodes, the doubled arrays kept at hand-off, and memory
/// registered at any time.
pub(crate) const fn profile(placement: Placement) -> Profile {
    Profile {
        granularity: Granularity::Byte,
        placement,
        packing: false,
        crosses_nodes: false,
        metadata: MetadataHandoff::Kept,
        registration: Registration::AnyTime,
    }
}

/// Runs `call`, native calls that may change the layer's memblock; when
/// they fail, the memblock as it was before them is restored, so a failed
/// call never leaves a doubled array behind. The result is `call`'s.
pub(crate) fn transaction<L: Layer, T>(
    layer: &mut L,
    call: impl FnOnce(&mut L) -> Result<T, MemblockError>,
) -> Result<T, MemblockError> {
    let saved = layer.state().0.clone();
    let result = call(layer);
    if result.is_err() {
        *layer.state().0 = saved;
    }
    result
}

/// `add_memory(range, nid)`, before or after `setup`: `Retired` after
/// hand-off; `Invalid` for an empty range, `nid >= MAX_NODES` or any byte
/// already memory (memblock would silently keep the old regions); else
/// `native`, the layer's registration, in a [`transaction`], its failure
/// (the memory array cannot double) `NoMem`.
pub(crate) fn add_memory<L: Layer>(
    layer: &mut L,
    range: Range,
    nid: Nid,
    native: impl FnOnce(&mut L) -> Result<(), MemblockError>,
) -> Outcome<()> {
    let (mb, life) = layer.state();
    if *life == Life::Retired {
        return Err(Error::Retired);
    }
    if range.is_empty()
        || nid >= MAX_NODES
        || mb.overlaps_region(Array::Memory, range.start(), range.len())
    {
        return Err(Error::Invalid);
    }
    transaction(layer, native).map_err(|_| Error::NoMem)
}

/// `setup`: `Unsupported` when already set up, `Retired` after hand-off;
/// else `native`, the layer's set-up calls (which place nothing and cannot
/// fail), and the layer is ready.
pub(crate) fn setup<L: Layer>(layer: &mut L, native: impl FnOnce(&mut L)) -> Outcome<()> {
    match *layer.state().1 {
        Life::Registering => {}
        Life::Ready => return Err(Error::Unsupported),
        Life::Retired => return Err(Error::Retired),
    }
    native(layer);
    *layer.state().1 = Life::Ready;
    Ok(())
}

/// `reserve` (`nid` = `None`) and `reserve_node` (`nid` = `Some`): ready;
/// size 0 `Ok` with nothing done; overflow `Invalid`; `Invalid` unless
/// every byte is memory and, for a node, inside one memory region of it;
/// `Busy` for an `Exclusive` reserve that meets a reserved byte; else
/// `native`, the layer's reservation, in a [`transaction`], its failure
/// `NoMem`.
pub(crate) fn reserve<L: Layer>(
    layer: &mut L,
    nid: Option<Nid>,
    base: PhysAddr,
    size: u64,
    mode: ReserveMode,
    native: impl FnOnce(&mut L) -> Result<(), MemblockError>,
) -> Outcome<()> {
    if checked_range(layer, nid, base, size)?.is_none() {
        return Ok(());
    }
    if mode == ReserveMode::Exclusive && layer.state().0.is_region_reserved(base, size) {
        return Err(Error::Busy);
    }
    transaction(layer, native).map_err(|_| Error::NoMem)
}

/// `free` (`nid` = `None`) and `free_node` (`nid` = `Some`): ready; size 0
/// `Ok` with nothing done; overflow `Invalid`; `Invalid` unless every byte
/// is memory and, for a node, inside one memory region of it, and when any
/// byte is a doubled array; `DoubleFree` unless every byte is reserved
/// (memblock ignores what is absent); else `native`, the layer's free, in a
/// [`transaction`], its failure `NoMem`.
pub(crate) fn free<L: Layer>(
    layer: &mut L,
    nid: Option<Nid>,
    base: PhysAddr,
    size: u64,
    native: impl FnOnce(&mut L) -> Result<(), MemblockError>,
) -> Outcome<()> {
    let Some(range) = checked_range(layer, nid, base, size)? else {
        return Ok(());
    };
    let mb = layer.state().0;
    if report::metadata(mb).iter().any(|m| m.overlaps(range)) {
        return Err(Error::Invalid);
    }
    if !cover::all_reserved(mb, range) {
        return Err(Error::DoubleFree);
    }
    transaction(layer, native).map_err(|_| Error::NoMem)
}

/// The checks `reserve` and `free` start with: ready; `None`, nothing to
/// do, for size 0; `Invalid` when the end overflows, unless every byte is
/// memory, and, for a node, unless inside one memory region of it. Else
/// the range `[base, base + size)`.
fn checked_range<L: Layer>(
    layer: &mut L,
    nid: Option<Nid>,
    base: PhysAddr,
    size: u64,
) -> Outcome<Option<Range>> {
    let (mb, life) = layer.state();
    life.ready()?;
    if size == 0 {
        return Ok(None);
    }
    let range = Range::from_base_size(base, size).ok_or(Error::Invalid)?;
    if !cover::is_ram(mb, range) || nid.is_some_and(|n| !cover::in_node(mb, n, range)) {
        return Err(Error::Invalid);
    }
    Ok(Some(range))
}

/// `alloc`: ready; `Invalid` per [`AllocRequest::validate`]; else `native`,
/// the layer's allocation of the request (which changes nothing when it
/// returns `None`), its `None` the request's [`AllocRequest::failure`].
pub(crate) fn alloc<L: Layer>(
    layer: &mut L,
    req: &AllocRequest,
    native: impl FnOnce(&mut L, &AllocRequest) -> Option<PhysAddr>,
) -> Outcome<PhysAddr> {
    layer.state().1.ready()?;
    req.validate()?;
    native(layer, req).ok_or(req.failure())
}

/// The request's `limit` as a native end bound (`a + size <= limit`):
/// `unbounded` (the layer's native "no limit") when it is 0, the limit
/// itself when it can be met, `None` when it is below `PAGE_SIZE + size`
/// and cannot (a memblock search never starts below `PAGE_SIZE`). That also
/// keeps the limit 1, memblock's `MEMBLOCK_ALLOC_NOLEAKTRACE` ("no limit"),
/// away from the search.
pub(crate) fn native_limit(req: &AllocRequest, unbounded: PhysAddr) -> Option<PhysAddr> {
    if req.limit == 0 {
        Some(unbounded)
    } else if PAGE_SIZE.checked_add(req.size)? <= req.limit {
        Some(req.limit)
    } else {
        None
    }
}

/// `release_all`: ready; else `native`, the layer's hand-off of the free
/// pages to `sink`, whose page count is returned, and every later call is
/// `Retired`.
pub(crate) fn release_all<L: Layer>(
    layer: &mut L,
    sink: &mut dyn FnMut(Range),
    native: impl FnOnce(&L, &mut dyn FnMut(Range)) -> u64,
) -> Outcome<u64> {
    layer.state().1.ready()?;
    let count = native(layer, sink);
    *layer.state().1 = Life::Retired;
    Ok(count)
}

/// [`crate::BootMem::metadata`] of a layer over `mb` at `life`: the doubled
/// arrays, sorted and merged ([`report::metadata`]); nothing after
/// hand-off.
pub(crate) fn metadata(mb: &Memblock, life: Life) -> Vec<Range> {
    if life == Life::Retired {
        return Vec::new();
    }
    report::metadata(mb)
}

/// [`crate::BootMem::free_map`] of a layer over `mb` at `life`: memory
/// minus reserved ([`report::free_map`]) while ready; nothing before
/// `setup` or after hand-off.
pub(crate) fn free_map(mb: &Memblock, life: Life) -> Vec<Range> {
    if life != Life::Ready {
        return Vec::new();
    }
    report::free_map(mb)
}
