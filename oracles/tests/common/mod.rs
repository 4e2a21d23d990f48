//! A fault-injecting wrapper around a correct backend, so each finding kind
//! of SPEC section 6 can be shown to fire: an oracle that cannot fail
//! proves nothing.

#![allow(dead_code)]

use bootmem::{
    AllocRequest, BootMem, Error, Nid, Outcome, PhysAddr, Profile, Range, ReserveMode, RootMem,
    PAGE_SIZE,
};
use oracles::{run, text, BackendInfo, Finding};

/// One deliberate defect.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Fault {
    /// No fault: plain rootmem (useful with [`Faulty::historical`]).
    None,
    /// The second allocation returns the first one's address.
    ReturnsPreviousAllocation,
    /// Allocations return the page right after the last RAM range.
    ReturnsHole,
    /// Node requests forget their node.
    IgnoresNode,
    /// Alignment is ignored.
    IgnoresAlign,
    /// The limit is ignored.
    IgnoresLimit,
    /// The goal is ignored.
    IgnoresGoal,
    /// Every allocation fails.
    AlwaysNoMem,
    /// Exclusive reserves behave like default ones.
    IgnoresExclusive,
    /// An exclusive reserve that conflicts keeps what it reserved.
    SkipsRollback,
    /// Allocations take the second-lowest placement.
    SkipsLowest,
    /// `release_all` forgets the last free range.
    ForgetsLastRange,
    /// `release_all` hands the first range over twice.
    ReleasesFirstTwice,
    /// After a reserve, metadata claims the range reserved by the one before.
    MetadataOverReserved,
    /// `free` panics (an index-out-of-bounds bug).
    PanicsOnFree,
    /// Every reserve after the first fails with `NoMem`, blaming metadata
    /// that must grow by 1 MiB ([`BootMem::metadata_growth`]).
    GrowthNoMem,
    /// The goal is ignored, and the metadata claims to need 1 MiB to grow.
    GrowthIgnoresGoal,
    /// `free` also frees the page after the range.
    FreesOnePageMore,
}

/// What [`Fault::GrowthNoMem`] says its metadata growth needs.
pub const GROWTH: u64 = 0x10_0000;

/// rootmem with one fault.
pub struct Faulty {
    inner: RootMem,
    fault: Fault,
    allocs: Vec<PhysAddr>,
    ram_end: PhysAddr,
    extra_metadata: Option<Range>,
    last_reserved: Option<Range>,
    historical: bool,
}

impl Faulty {
    pub fn new(fault: Fault) -> Faulty {
        Faulty {
            inner: RootMem::new(),
            fault,
            allocs: Vec::new(),
            ram_end: 0,
            extra_metadata: None,
            last_reserved: None,
            historical: false,
        }
    }

    /// The same, but declaring a historical placement policy, so that the
    /// oracle checks validity only and a placement fault is left to the
    /// differential comparison with a twin.
    pub fn historical(fault: Fault) -> Faulty {
        Faulty {
            historical: true,
            ..Faulty::new(fault)
        }
    }
}

impl BootMem for Faulty {
    fn name(&self) -> &'static str {
        "faulty"
    }
    fn profile(&self) -> Profile {
        let mut profile = self.inner.profile();
        if self.historical {
            profile.placement = bootmem::Placement::Historical;
        }
        profile
    }
    fn add_memory(&mut self, range: Range, nid: Nid) -> Outcome<()> {
        self.ram_end = self.ram_end.max(range.end());
        self.inner.add_memory(range, nid)
    }
    fn setup(&mut self) -> Outcome<()> {
        self.inner.setup()
    }
    fn reserve(&mut self, base: PhysAddr, size: u64, mode: ReserveMode) -> Outcome<()> {
        if self.fault == Fault::GrowthNoMem {
            if self.last_reserved.is_some() {
                return Err(Error::NoMem);
            }
            self.last_reserved = Range::from_base_size(base, size);
        }
        let got = match (self.fault, mode) {
            (Fault::IgnoresExclusive, _) => self.inner.reserve(base, size, ReserveMode::Default),
            (Fault::SkipsRollback, ReserveMode::Exclusive) => {
                let got = self.inner.reserve(base, size, mode);
                if got == Err(Error::Busy) {
                    let _ = self.inner.reserve(base, size, ReserveMode::Default);
                }
                got
            }
            _ => self.inner.reserve(base, size, mode),
        };
        if self.fault == Fault::MetadataOverReserved && got.is_ok() {
            self.extra_metadata = self.last_reserved;
            self.last_reserved = Range::from_base_size(base, size);
        }
        got
    }
    fn reserve_node(
        &mut self,
        nid: Nid,
        base: PhysAddr,
        size: u64,
        mode: ReserveMode,
    ) -> Outcome<()> {
        self.inner.reserve_node(nid, base, size, mode)
    }
    fn free(&mut self, base: PhysAddr, size: u64) -> Outcome<()> {
        if self.fault == Fault::PanicsOnFree {
            let table = [0u8; 4];
            let index = (base as usize) | 4;
            return Err(if table[index % 8] == 0 {
                Error::Invalid
            } else {
                Error::NoMem
            });
        }
        if self.fault == Fault::FreesOnePageMore {
            let got = self.inner.free(base, size);
            let _ = self.inner.free(base + size, PAGE_SIZE);
            return got;
        }
        self.inner.free(base, size)
    }
    fn free_node(&mut self, nid: Nid, base: PhysAddr, size: u64) -> Outcome<()> {
        self.inner.free_node(nid, base, size)
    }
    fn alloc(&mut self, req: &AllocRequest) -> Outcome<PhysAddr> {
        let mut req = *req;
        match self.fault {
            Fault::ReturnsPreviousAllocation if !self.allocs.is_empty() => {
                return Ok(self.allocs[0])
            }
            Fault::ReturnsHole => return Ok(self.ram_end.next_multiple_of(PAGE_SIZE) + PAGE_SIZE),
            Fault::IgnoresNode => req.nid = None,
            Fault::IgnoresAlign => req.align = 1,
            Fault::IgnoresLimit => req.limit = 0,
            Fault::IgnoresGoal | Fault::GrowthIgnoresGoal => req.goal = 0,
            Fault::AlwaysNoMem => return Err(Error::NoMem),
            Fault::SkipsLowest => {
                let first = self.inner.alloc(&req)?;
                let second = self.inner.alloc(&req);
                let _ = self.inner.free(first, req.size);
                return second;
            }
            _ => {}
        }
        let got = self.inner.alloc(&req);
        if let Ok(a) = got {
            self.allocs.push(a);
        }
        got
    }
    fn release_all(&mut self, sink: &mut dyn FnMut(Range)) -> Outcome<u64> {
        let mut ranges = Vec::new();
        self.inner.release_all(&mut |r| ranges.push(r))?;
        match self.fault {
            Fault::ForgetsLastRange => {
                ranges.sort();
                ranges.pop();
            }
            Fault::ReleasesFirstTwice => {
                if let Some(&first) = ranges.first() {
                    ranges.push(first);
                }
            }
            _ => {}
        }
        let mut pages = 0;
        for r in ranges {
            pages += r.len() / PAGE_SIZE;
            sink(r);
        }
        Ok(pages)
    }
    fn metadata(&self) -> Vec<Range> {
        let mut m = self.inner.metadata();
        m.extend(self.extra_metadata);
        m.sort();
        m
    }
    fn free_map(&self) -> Vec<Range> {
        self.inner.free_map()
    }
    fn metadata_growth(&self) -> Option<u64> {
        matches!(self.fault, Fault::GrowthNoMem | Fault::GrowthIgnoresGoal).then_some(GROWTH)
    }
}

/// Parses `scn` and plays it on `backend`, returning its findings.
pub fn findings(scn: &str, backend: BackendInfo) -> Vec<Finding> {
    let scenario = match text::parse(scn) {
        Ok(s) => s,
        Err(e) => panic!("test scenario does not parse: {e}"),
    };
    run(&scenario, &[backend]).findings
}
