//! Debugging aid: plays a `.scn` file on one backend and its model and
//! prints the first op after which the backend's free map differs from the
//! model's (the oracle itself compares them only after failed calls).
//!
//! `cargo run --release -p oracles --example first_divergence -- FILE BACKEND`

use oracles::model::Model;
use oracles::{find_backend, text, Op};

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let (Some(file), Some(name)) = (args.get(1), args.get(2)) else {
        eprintln!("usage: first_divergence FILE BACKEND");
        std::process::exit(2);
    };
    let source = std::fs::read_to_string(file).unwrap_or_else(|e| {
        eprintln!("{file}: {e}");
        std::process::exit(2)
    });
    let scenario = text::parse(&source).unwrap_or_else(|e| {
        eprintln!("{file}:{}: {}", e.line, e.message);
        std::process::exit(2)
    });
    let info = find_backend(name).unwrap_or_else(|| {
        eprintln!("no backend {name}");
        std::process::exit(2)
    });
    let mut b = (info.make)(bootmem::BugSet::NONE);
    let profile = b.profile();
    for r in scenario.map.ranges() {
        let _ = b.add_memory(r.range, r.nid);
    }
    println!("setup: {:?}", b.setup());
    let mut model = Model::new(&scenario.map, &profile);
    let _ = oracles::check::check_metadata(&mut model, &b.metadata(), false);
    let mut live: Vec<(u64, u64)> = Vec::new();
    for (i, op) in scenario.ops.iter().enumerate() {
        let out = match *op {
            Op::Reserve { base, size, mode } => {
                let got = b.reserve(base, size, mode);
                let _ = oracles::check::check_metadata(&mut model, &b.metadata(), got.is_err());
                let want = model.reserve(None, base, size, mode);
                format!("{got:?} (model {want:?})")
            }
            Op::ReserveNode {
                nid,
                base,
                size,
                mode,
            } => {
                let got = b.reserve_node(nid, base, size, mode);
                let _ = oracles::check::check_metadata(&mut model, &b.metadata(), got.is_err());
                let want = model.reserve(Some(nid), base, size, mode);
                format!("{got:?} (model {want:?})")
            }
            Op::Free { base, size } => {
                let got = b.free(base, size);
                let _ = oracles::check::check_metadata(&mut model, &b.metadata(), got.is_err());
                format!("{got:?} (model {:?})", model.free(None, base, size))
            }
            Op::FreeNode { nid, base, size } => {
                let got = b.free_node(nid, base, size);
                let _ = oracles::check::check_metadata(&mut model, &b.metadata(), got.is_err());
                format!("{got:?} (model {:?})", model.free(Some(nid), base, size))
            }
            Op::Alloc(req) => {
                let got = b.alloc(&req);
                let _ = oracles::check::check_metadata(&mut model, &b.metadata(), got.is_err());
                let verdict = model.alloc_verdict(&req);
                if let Ok(a) = got {
                    model.apply_alloc(i as u32, a, req.size);
                    live.push((a, req.size));
                }
                format!("{got:x?} (model {verdict:x?})")
            }
            Op::FreeAlloc { index, part } => {
                if live.is_empty() {
                    "skipped".to_string()
                } else {
                    let (a, size) = live.remove(index as usize % live.len());
                    let r = part.of(a, size).unwrap_or(bootmem::Range::EMPTY);
                    let got = b.free(r.start(), r.len());
                    let _ = oracles::check::check_metadata(&mut model, &b.metadata(), got.is_err());
                    format!(
                        "free {r} -> {got:?} (model {:?})",
                        model.free(None, r.start(), r.len())
                    )
                }
            }
            Op::ReleaseAll => break,
        };
        println!("#{i} {}: {out}", text::print_op(op));
        if std::env::var("VERBOSE").is_ok() {
            println!(
                "   metadata {:x?}\n   free tail {:x?}",
                b.metadata(),
                b.free_map().iter().rev().take(4).collect::<Vec<_>>()
            );
        }
        let (backend_free, model_free) = (b.free_map(), model.free_map());
        if backend_free != model_free {
            println!("free maps differ after op #{i}:");
            println!("  backend: {backend_free:x?}");
            println!("  model:   {model_free:x?}");
            println!(
                "  metadata: backend {:x?}, model {:x?}",
                b.metadata(),
                model.metadata()
            );
            return;
        }
    }
    println!("free maps agree throughout");
}
