//! A short built-in fuzz pass: every registered backend, all at once (so
//! the divergence check runs too), on seeded decoded scenarios, with zero
//! findings. It is the fuzzing half of the mutation-testing command
//! (`cargo mutants`, see the README) and a smoke run in every `cargo test`.

mod seeded;

use oracles::{backends, decode, run};
use seeded::{assert_no_findings_on_threads, next_input};

/// Scenarios per thread; two threads.
const PER_THREAD: usize = 1_500;

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
    assert_no_findings_on_threads(&[0xf022_0001, 0xf022_0002], play);
}
