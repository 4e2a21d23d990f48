//! Seeded inputs for the tests that fuzz: xorshift64 byte strings, what
//! `bootfuzz run` feeds `decode`, and a two-thread driver.

#![allow(dead_code)] // each test file uses its own subset

/// The next input from `state`: a length in `0..2048`, then that many
/// bytes.
pub fn next_input(state: &mut u64, out: &mut Vec<u8>) {
    let len = (xorshift(state) % 2048) as usize;
    out.clear();
    out.extend((0..len).map(|_| xorshift(state) as u8));
}

/// One step of xorshift64.
pub fn xorshift(state: &mut u64) -> u64 {
    *state ^= *state << 13;
    *state ^= *state >> 7;
    *state ^= *state << 17;
    *state
}

/// Runs `work` once per seed, each on its own thread, and returns the
/// results in seed order; a panicking worker fails the test.
pub fn on_threads<T: Send + 'static>(seeds: &[u64], work: fn(u64) -> T) -> Vec<T> {
    let threads: Vec<_> = seeds
        .iter()
        .map(|&seed| std::thread::spawn(move || work(seed)))
        .collect();
    threads
        .into_iter()
        .map(|t| match t.join() {
            Ok(r) => r,
            Err(_) => panic!("a worker panicked"),
        })
        .collect()
}

/// Runs `work` on one thread per seed (each returning the findings it
/// saw, as text) and fails the test if any thread saw one, showing the
/// count and the first.
pub fn assert_no_findings_on_threads(seeds: &[u64], work: fn(u64) -> Vec<String>) {
    let found: Vec<String> = on_threads(seeds, work).into_iter().flatten().collect();
    assert!(
        found.is_empty(),
        "{} findings; first:\n{}",
        found.len(),
        found[0]
    );
}
