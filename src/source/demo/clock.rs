//! Where the demo world's "now" comes from: real time, a frozen instant, or a hand-moved clock.
//!
//! The world never calls `Utc::now()` directly, so tests can pin or step time and every view
//! stays a pure function of (seed, elapsed time, mutations).

use chrono::{DateTime, Duration, Utc};
use std::sync::{Arc, Mutex};

/// The demo world's source of the current time.
#[derive(Debug, Clone)]
pub enum Clock {
    /// Real time. The world's timeline starts when the world is created; fetches get a small
    /// simulated latency and log tails are paced in real time.
    System,
    /// Always the same instant: no latency, log tails send their backlog and nothing more.
    Fixed(DateTime<Utc>),
    /// An instant that only moves when told to (tests). No latency; log tails emit the lines that
    /// fall between two ticks of their 250 ms pacing as the clock is advanced.
    Manual(ManualClock),
}

impl Clock {
    /// A manual clock starting at `start`, and the handle that moves it.
    pub fn manual(start: DateTime<Utc>) -> (Clock, ManualClock) {
        let handle = ManualClock::new(start);
        (Clock::Manual(handle.clone()), handle)
    }

    pub fn now(&self) -> DateTime<Utc> {
        match self {
            Clock::System => Utc::now(),
            Clock::Fixed(t) => *t,
            Clock::Manual(m) => m.now(),
        }
    }

    /// Real time passes: simulate latency and pace streams by the wall clock.
    pub fn is_system(&self) -> bool {
        matches!(self, Clock::System)
    }

    /// Time can move at all (anything but a fixed clock).
    pub fn advances(&self) -> bool {
        !matches!(self, Clock::Fixed(_))
    }
}

/// A shared, hand-moved instant; clones move the same clock.
#[derive(Debug, Clone)]
pub struct ManualClock(Arc<Mutex<DateTime<Utc>>>);

impl ManualClock {
    pub fn new(start: DateTime<Utc>) -> Self {
        ManualClock(Arc::new(Mutex::new(start)))
    }

    pub fn now(&self) -> DateTime<Utc> {
        // A panic elsewhere cannot leave a DateTime half-written, so a poisoned lock is still good.
        *self.0.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub fn set(&self, t: DateTime<Utc>) {
        *self.0.lock().unwrap_or_else(|e| e.into_inner()) = t;
    }

    pub fn advance(&self, by: Duration) {
        let mut t = self.0.lock().unwrap_or_else(|e| e.into_inner());
        *t += by;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn manual_clock_moves_only_when_told() {
        let start = DateTime::from_timestamp(1_700_000_000, 0).unwrap();
        let (clock, hand) = Clock::manual(start);
        assert_eq!(clock.now(), start);
        hand.advance(Duration::seconds(90));
        assert_eq!(clock.now(), start + Duration::seconds(90));
        assert!(!clock.is_system());
        assert!(clock.advances());
        assert!(!Clock::Fixed(start).advances());
    }
}
