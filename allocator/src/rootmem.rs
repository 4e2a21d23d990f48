//! rootmem: STUB
use crate::*;
/// Rootmem.
#[derive(Default)]
pub struct RootMem;
impl RootMem {
    /// New.
    pub fn new() -> RootMem { RootMem }
}
impl BootMem for RootMem {
    fn name(&self) -> &'static str { "rootmem" }
    fn profile(&self) -> Profile { Profile { granularity: Granularity::Page, placement: Placement::Lowest, packing: false, crosses_nodes: true, metadata: MetadataHandoff::Released, registration: Registration::BeforeSetup } }
    fn add_memory(&mut self, _range: Range, _nid: Nid) -> Outcome<()> { Err(Error::Unsupported) }
    fn setup(&mut self) -> Outcome<()> { Err(Error::Unsupported) }
    fn reserve(&mut self, _base: PhysAddr, _size: u64, _mode: ReserveMode) -> Outcome<()> { Err(Error::Unsupported) }
    fn reserve_node(&mut self, _nid: Nid, _base: PhysAddr, _size: u64, _mode: ReserveMode) -> Outcome<()> { Err(Error::Unsupported) }
    fn free(&mut self, _base: PhysAddr, _size: u64) -> Outcome<()> { Err(Error::Unsupported) }
    fn free_node(&mut self, _nid: Nid, _base: PhysAddr, _size: u64) -> Outcome<()> { Err(Error::Unsupported) }
    fn alloc(&mut self, _req: &AllocRequest) -> Outcome<PhysAddr> { Err(Error::Unsupported) }
    fn release_all(&mut self, _sink: &mut dyn FnMut(Range)) -> Outcome<u64> { Err(Error::Unsupported) }
    fn metadata(&self) -> Vec<Range> { vec![] }
    fn free_map(&self) -> Vec<Range> { vec![] }
}
