//! Temporary probe (not committed): replays a .scn on memblock_bu and, before the
//! last op, clones the native memblock and reserves the op's range natively.
use bootmem::memblock::{Direction, MemblockBootMem};
use bootmem::{BootMem, BugSet};
use oracles::{text, Op};
fn main() {
    let args: Vec<String> = std::env::args().collect();
    let s = text::parse(&std::fs::read_to_string(&args[1]).unwrap()).unwrap();
    let mut b = MemblockBootMem::with_capacities(BugSet::NONE, Direction::BottomUp, 128, 8);
    for r in s.map.ranges() {
        b.add_memory(r.range, r.nid).unwrap();
    }
    b.setup().unwrap();
    let mut live: Vec<(u64, u64)> = vec![];
    let n = s.ops.len();
    for (i, op) in s.ops.iter().enumerate() {
        if i == n - 1 {
            if let Op::ReserveNode { base, size, .. } = *op {
                let mut m = b.native().clone();
                println!(
                    "before: reserved cnt {} max {}",
                    m.reserved().cnt(),
                    m.reserved().max()
                );
                for r in m.reserved().regions() {
                    println!(
                        "  {:x}..{:x} nid {:?} flags {:?}",
                        r.base(),
                        r.end(),
                        r.nid(),
                        r.flags()
                    );
                }
                println!("native reserve: {:?}", m.reserve(base, size));
                println!(
                    "after: reserved cnt {} max {}",
                    m.reserved().cnt(),
                    m.reserved().max()
                );
            }
            break;
        }
        match *op {
            Op::Reserve { base, size, mode } => {
                let _ = b.reserve(base, size, mode);
            }
            Op::ReserveNode {
                nid,
                base,
                size,
                mode,
            } => {
                let _ = b.reserve_node(nid, base, size, mode);
            }
            Op::Free { base, size } => {
                let _ = b.free(base, size);
            }
            Op::FreeNode { nid, base, size } => {
                let _ = b.free_node(nid, base, size);
            }
            Op::Alloc(req) => {
                if let Ok(a) = b.alloc(&req) {
                    live.push((a, req.size));
                }
            }
            Op::FreeAlloc { index, part } => {
                if !live.is_empty() {
                    let (a, sz) = live.remove(index as usize % live.len());
                    let r = part.of(a, sz).unwrap();
                    let _ = b.free(r.start(), r.len());
                }
            }
            Op::ReleaseAll => {}
        }
    }
}
