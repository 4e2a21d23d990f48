//! The watchdog of `bootfuzz run`: a thread that notices when one input
//! has run past its time budget and hands the position it is stuck at to a
//! handler (which saves the in-flight input as a `hang` finding and ends
//! the process: a stuck thread cannot be stopped from outside).

use oracles::watch::Position;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// `started` when no input is running.
const IDLE: u64 = u64::MAX;

struct Shared {
    /// The run's clock, from which `started` counts.
    epoch: Instant,
    /// Microseconds from `epoch` at which the current input started, or
    /// [`IDLE`].
    started: AtomicU64,
    position: Position,
    stop: AtomicBool,
}

/// A running watchdog; dropping it stops the thread.
pub struct Watchdog {
    shared: Arc<Shared>,
    thread: Option<JoinHandle<()>>,
}

impl Watchdog {
    /// Starts watching: once an input has run longer than `budget`,
    /// `on_hang` is called once, on the watchdog's thread, with the
    /// position the run was at.
    pub fn start(
        budget: Duration,
        on_hang: impl FnOnce((usize, Option<usize>)) + Send + 'static,
    ) -> Watchdog {
        let shared = Arc::new(Shared {
            epoch: Instant::now(),
            started: AtomicU64::new(IDLE),
            position: Position::new(),
            stop: AtomicBool::new(false),
        });
        let watched = Arc::clone(&shared);
        let tick = (budget / 10).clamp(Duration::from_micros(100), Duration::from_millis(100));
        let budget_us = u64::try_from(budget.as_micros()).unwrap_or(u64::MAX);
        let thread = std::thread::spawn(move || {
            while !watched.stop.load(Ordering::Relaxed) {
                std::thread::sleep(tick);
                let started = watched.started.load(Ordering::Relaxed);
                if started != IDLE && now_us(&watched.epoch).saturating_sub(started) > budget_us {
                    on_hang(watched.position.get());
                    return;
                }
            }
        });
        Watchdog {
            shared,
            thread: Some(thread),
        }
    }

    /// Where the run records the backend and op it plays.
    pub fn position(&self) -> &Position {
        &self.shared.position
    }

    /// An input starts running.
    pub fn begin(&self) {
        let now = now_us(&self.shared.epoch);
        self.shared.started.store(now, Ordering::Relaxed);
    }

    /// The input finished.
    pub fn end(&self) {
        self.shared.started.store(IDLE, Ordering::Relaxed);
    }
}

impl Drop for Watchdog {
    fn drop(&mut self) {
        self.shared.stop.store(true, Ordering::Relaxed);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

fn now_us(epoch: &Instant) -> u64 {
    u64::try_from(epoch.elapsed().as_micros()).unwrap_or(u64::MAX - 1)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::mpsc;

    #[test]
    fn an_input_past_its_budget_is_reported_with_its_position() {
        let (tx, rx) = mpsc::channel();
        let dog = Watchdog::start(Duration::from_millis(50), move |pos| {
            let _ = tx.send(pos);
        });
        dog.begin();
        dog.position().set(2, Some(5));
        let got = rx.recv_timeout(Duration::from_secs(5));
        assert_eq!(got, Ok((2, Some(5))));
    }

    #[test]
    fn inputs_that_finish_in_time_are_never_reported() {
        let (tx, rx) = mpsc::channel();
        let dog = Watchdog::start(Duration::from_millis(200), move |pos| {
            let _ = tx.send(pos);
        });
        for _ in 0..5 {
            dog.begin();
            std::thread::sleep(Duration::from_millis(20));
            dog.end();
        }
        std::thread::sleep(Duration::from_millis(400));
        assert!(rx.try_recv().is_err());
        drop(dog);
    }
}
