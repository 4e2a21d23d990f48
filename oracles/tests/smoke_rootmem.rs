use oracles::{backends, decode, run};
#[test]
fn smoke() {
    let b = backends();
    let mut x: u64 = 1;
    let mut findings = std::collections::BTreeMap::new();
    let mut skipped = 0;
    for _ in 0..3000 {
        let mut data = vec![0u8; 600];
        for d in data.iter_mut() {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            *d = x as u8;
        }
        let s = decode(&data);
        let r = run(&s, &b);
        skipped += r.skipped.len();
        for f in r.findings {
            findings
                .entry(f.signature().to_string())
                .or_insert((f.to_string(), oracles::text::print(&s)));
        }
    }
    println!("skipped {skipped}");
    for (k, v) in &findings {
        println!("{k}\n  {}\n{}", v.0, v.1);
    }
}
