//! A short built-in fuzz pass: every registered backend, all at once (so
//! the divergence check runs too), on seeded decoded scenarios, with zero
//! findings. It is the fuzzing half of the mutation-testing command
//! (`cargo mutants`, see the README) and a smoke run in every `cargo test`.

use oracles::{backends, decode, run};

/// Scenarios per thread; two threads.
const PER_THREAD: usize = 1_500;

/// xorshift64 bytes, lengths `0..2048`: what `bootfuzz run` feeds `decode`.
fn next_input(state: &mut u64, out: &mut Vec<u8>) {
    let mut next = || {
        *state ^= *state << 13;
        *state ^= *state >> 7;
        *state ^= *state << 17;
        *state
    };
    let len = (next() % 2048) as usize;
    out.clear();
    out.extend((0..len).map(|_| next() as u8));
}

fn play(seed: u64) -> Vec<String> {
    let all = backends();
    let (mut state, mut data, mut found) = (seed, Vec::new(), Vec::new());
    for _ in 0..PER_THREAD {
        next_input(&mut state, &mut data);
        let scenario = decode(&data);
        for f in run(&scenario, &all).findings {
            found.push(format!("{f}\n{}", oracles::text::print(&scenario)));
        }
    }
    found
}

#[test]
fn every_backend_passes_a_short_seeded_fuzz_pass() {
    let threads: Vec<_> = [0xf022_0001_u64, 0xf022_0002]
        .into_iter()
        .map(|seed| std::thread::spawn(move || play(seed)))
        .collect();
    let mut found = Vec::new();
    for t in threads {
        match t.join() {
            Ok(f) => found.extend(f),
            Err(_) => panic!("a fuzz thread panicked"),
        }
    }
    assert!(
        found.is_empty(),
        "{} findings; first:\n{}",
        found.len(),
        found[0]
    );
}
