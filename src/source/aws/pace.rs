//! The pace an API's request quota asks for: a token bucket (governor's) whose waits are tokio
//! timers. Governor's own `until_ready` waits on `futures-timer`, which runs a timer thread of
//! its own and wakes it twice for every wait; an idle wall against a large estate spent ~5 % of
//! its CPU there (BENCHMARKS.md §15).

use governor::clock::Clock;
use governor::{DefaultDirectRateLimiter, Quota};
use std::num::NonZeroU32;

pub struct Pace {
    bucket: DefaultDirectRateLimiter,
}

impl Pace {
    /// `per_second` calls a second on average, `burst` at once from a full bucket (both at
    /// least one).
    pub fn new(per_second: u32, burst: u32) -> Self {
        let per_second = NonZeroU32::new(per_second).unwrap_or(NonZeroU32::MIN);
        let burst = NonZeroU32::new(burst).unwrap_or(NonZeroU32::MIN);
        Pace {
            bucket: DefaultDirectRateLimiter::direct(
                Quota::per_second(per_second).allow_burst(burst),
            ),
        }
    }

    /// Waits until the bucket holds a token, and takes it.
    pub async fn ready(&self) {
        while let Err(not_until) = self.bucket.check() {
            tokio::time::sleep(not_until.wait_time_from(self.bucket.clock().now())).await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::{Duration, Instant};

    #[tokio::test]
    async fn a_burst_goes_at_once_and_the_rest_at_the_pace() {
        let pace = Pace::new(20, 3);
        let start = Instant::now();
        for _ in 0..3 {
            pace.ready().await;
        }
        assert!(pace.bucket.check().is_err(), "the burst is spent");
        for _ in 0..2 {
            pace.ready().await;
        }
        // Two more at 20 a second: not before ~100 ms after the burst.
        assert!(
            start.elapsed() >= Duration::from_millis(90),
            "{:?}",
            start.elapsed()
        );
    }
}
