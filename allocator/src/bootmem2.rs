//! bootmem2: STUB, being written.
use crate::*;
/// STUB.
#[derive(Default)]
pub struct Bootmem2 {
    _bugs: BugSet,
}
impl Bootmem2 {
    /// An allocator with no RAM registered.
    pub fn new() -> Bootmem2 {
        Bootmem2::default()
    }
    /// As `new`, with historical bugs planted.
    pub fn with_bugs(bugs: BugSet) -> Bootmem2 {
        Bootmem2 { _bugs: bugs }
    }
}
impl BootMem for Bootmem2 {
    fn name(&self) -> &'static str {
        "bootmem2"
    }
    fn profile(&self) -> Profile {
        Profile {
            granularity: Granularity::Page,
            placement: Placement::Lowest,
            packing: false,
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
