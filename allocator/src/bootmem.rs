//! bootmem: STUB, being written.
use crate::*;
/// STUB.
#[derive(Default)]
pub struct ClassicBootmem {
    _bugs: BugSet,
}
impl ClassicBootmem {
    /// An allocator with no RAM registered.
    pub fn new() -> ClassicBootmem {
        ClassicBootmem::default()
    }
    /// As `new`, with historical bugs planted.
    pub fn with_bugs(bugs: BugSet) -> ClassicBootmem {
        ClassicBootmem { _bugs: bugs }
    }
}
impl BootMem for ClassicBootmem {
    fn name(&self) -> &'static str {
        "bootmem"
    }
    fn profile(&self) -> Profile {
        Profile {
            granularity: Granularity::Page,
            placement: Placement::Historical,
            packing: true,
            crosses_nodes: false,
            metadata: MetadataHandoff::Released,
            registration: Registration::BeforeSetup,
        }
    }
    fn add_memory(&mut self, _range: Range, _nid: Nid) -> Outcome<()> {
        Err(Error::Unsupported)
    }
    fn setup(&mut self) -> Outcome<()> {
        Err(Error::Unsupported)
    }
    fn reserve(&mut self, _base: PhysAddr, _size: u64, _mode: ReserveMode) -> Outcome<()> {
        Err(Error::Unsupported)
    }
    fn reserve_node(
        &mut self,
        _nid: Nid,
        _base: PhysAddr,
        _size: u64,
        _mode: ReserveMode,
    ) -> Outcome<()> {
        Err(Error::Unsupported)
    }
    fn free(&mut self, _base: PhysAddr, _size: u64) -> Outcome<()> {
        Err(Error::Unsupported)
    }
    fn free_node(&mut self, _nid: Nid, _base: PhysAddr, _size: u64) -> Outcome<()> {
        Err(Error::Unsupported)
    }
    fn alloc(&mut self, _req: &AllocRequest) -> Outcome<PhysAddr> {
        Err(Error::Unsupported)
    }
    fn release_all(&mut self, _sink: &mut dyn FnMut(Range)) -> Outcome<u64> {
        Err(Error::Unsupported)
    }
    fn metadata(&self) -> Vec<Range> {
        vec![]
    }
    fn free_map(&self) -> Vec<Range> {
        vec![]
    }
}
