//! The backend registry: the one place in `oracles` that names concrete
//! backends. Adding a backend touches its own file, this list, and nothing
//! else.

use bootmem::{BootMem, BugSet, Profile};

/// A registered backend: its name, a one-line description, and a
/// constructor for a fresh, empty instance.
#[derive(Clone, Copy)]
pub struct BackendInfo {
    /// The registry name, as used by `--backend NAME`.
    pub name: &'static str,
    /// Where the design comes from, in one line.
    pub about: &'static str,
    /// Makes a fresh instance with no memory registered and the given
    /// historical bugs planted (`BugSet::NONE` for the faithful design).
    pub make: fn(BugSet) -> Box<dyn BootMem>,
}

impl std::fmt::Debug for BackendInfo {
    /// The registry name: what identifies a backend.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name)
    }
}

impl BackendInfo {
    /// The backend's profile (SPEC section 7).
    pub fn profile(&self) -> Profile {
        (self.make)(BugSet::NONE).profile()
    }
}

fn make_rootmem(bugs: BugSet) -> Box<dyn BootMem> {
    Box::new(bootmem::RootMem::with_bugs(bugs))
}

fn make_bootmem(bugs: BugSet) -> Box<dyn BootMem> {
    Box::new(bootmem::ClassicBootmem::with_bugs(bugs))
}

fn make_bootmem2(bugs: BugSet) -> Box<dyn BootMem> {
    Box::new(bootmem::Bootmem2::with_bugs(bugs))
}

/// The reserved array of the registered memblock and nobootmem backends
/// starts at this many regions instead of the kernel's 128
/// (`INIT_MEMBLOCK_RESERVED_REGIONS`), and early_res's table at this many
/// entries instead of 32 (`MAX_EARLY_RES_X`), so that scenarios of at most
/// 128 ops reach the doubling where their historical bugs lived. memblock's
/// memory array keeps 128.
pub const FUZZ_RESERVED_REGIONS: usize = 8;

fn make_nobootmem(bugs: BugSet) -> Box<dyn BootMem> {
    use bootmem::memblock::INIT_MEMBLOCK_REGIONS;
    Box::new(bootmem::nobootmem::NoBootmem::with_capacities(
        bugs,
        INIT_MEMBLOCK_REGIONS,
        FUZZ_RESERVED_REGIONS,
    ))
}

fn make_early_res(bugs: BugSet) -> Box<dyn BootMem> {
    Box::new(bootmem::early_res::EarlyResBootMem::with_capacity_and_bugs(
        FUZZ_RESERVED_REGIONS,
        bugs,
    ))
}

fn make_treemem(bugs: BugSet) -> Box<dyn BootMem> {
    Box::new(bootmem::treemem::TreeMem::with_bugs(bugs))
}

fn make_memblock(bugs: BugSet) -> Box<dyn BootMem> {
    use bootmem::memblock::{Direction, MemblockBootMem, INIT_MEMBLOCK_REGIONS};
    Box::new(MemblockBootMem::with_capacities(
        bugs,
        Direction::TopDown,
        INIT_MEMBLOCK_REGIONS,
        FUZZ_RESERVED_REGIONS,
    ))
}

fn make_memblock_bu(bugs: BugSet) -> Box<dyn BootMem> {
    use bootmem::memblock::{Direction, MemblockBootMem, INIT_MEMBLOCK_REGIONS};
    Box::new(MemblockBootMem::with_capacities(
        bugs,
        Direction::BottomUp,
        INIT_MEMBLOCK_REGIONS,
        FUZZ_RESERVED_REGIONS,
    ))
}

/// Every registered backend, in a stable order.
pub fn backends() -> Vec<BackendInfo> {
    vec![
        BackendInfo {
            name: "bootmem",
            about: "classic per-node bitmaps, 2.6.27 rewrite: next-fit hint, sub-page packing (mm/bootmem.c)",
            make: make_bootmem,
        },
        BackendInfo {
            name: "rootmem",
            about: "one bitmap for all PFNs of all nodes (J. Weiner, \"Rootmem: boot-time memory allocator\", 2008-05-03)",
            make: make_rootmem,
        },
        BackendInfo {
            name: "bootmem2",
            about: "blocks with their own bitmaps, nodes own blocks (J. Weiner, \"bootmem2: Another try\", 2008-05-07)",
            make: make_bootmem2,
        },
        BackendInfo {
            name: "treemem",
            about: "extent treaps by address and size, a bounded node pool, page stealing (W. L. Irwin III, \"tree-based bootmem\", 2001)",
            make: make_treemem,
        },
        BackendInfo {
            name: "memblock",
            about: "LMB/memblock as in mainline mm/memblock.c: sorted merged arrays, nids, top-down, doubling (reserved array from 8 regions)",
            make: make_memblock,
        },
        BackendInfo {
            name: "memblock_bu",
            about: "the same memblock, memblock_set_bottom_up(true) at setup (3.13+)",
            make: make_memblock_bu,
        },
        BackendInfo {
            name: "nobootmem",
            about: "the bootmem API on memblock, 3.x-4.19 mm/nobootmem.c: goal as the search minimum, dropped on failure",
            make: make_nobootmem,
        },
        BackendInfo {
            name: "early_res",
            about: "x86 early reservation table, v2.6.34 kernel/early_res.c: find-then-reserve, table doubling (from 8 entries)",
            make: make_early_res,
        },
    ]
}

/// The backend called `name`, if registered.
pub fn find_backend(name: &str) -> Option<BackendInfo> {
    backends().into_iter().find(|b| b.name == name)
}
