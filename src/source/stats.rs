//! The console's own API bill: calls per service and operation, and the CloudWatch metrics it
//! requested, so an operator can see what a console (or a wall left running for months) costs
//! in quota and in money.

use std::collections::BTreeMap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

/// CloudWatch `GetMetricData`: US$ 0.01 per 1,000 metrics requested (us-east-1 list price; the
/// other APIs the console calls are free, but count against the account's quotas).
pub const USD_PER_1000_METRICS: f64 = 0.01;
const MINUTES_PER_MONTH: f64 = 30.0 * 24.0 * 60.0;

#[derive(Debug)]
pub struct ApiStats {
    started: Instant,
    /// (service, operation) → attempts, retries included: each one is a request AWS counts.
    calls: Mutex<BTreeMap<(String, String), u64>>,
    metrics_requested: AtomicU64,
}

impl Default for ApiStats {
    fn default() -> ApiStats {
        ApiStats {
            started: Instant::now(),
            calls: Mutex::default(),
            metrics_requested: AtomicU64::new(0),
        }
    }
}

/// What `ApiStats` says at one moment.
#[derive(Debug, Clone, PartialEq)]
pub struct StatsReport {
    pub elapsed: Duration,
    /// (service, operation, calls), by service then operation.
    pub calls: Vec<(String, String, u64)>,
    pub metrics_requested: u64,
}

impl ApiStats {
    /// One request to `operation` of `service`, asking for `metrics` CloudWatch metrics.
    pub fn count(&self, service: &str, operation: &str, metrics: u64) {
        if let Ok(mut calls) = self.calls.lock() {
            *calls
                .entry((service.to_string(), operation.to_string()))
                .or_default() += 1;
        }
        self.metrics_requested.fetch_add(metrics, Ordering::Relaxed);
    }

    pub fn report(&self) -> StatsReport {
        let calls = self
            .calls
            .lock()
            .map(|c| {
                c.iter()
                    .map(|((s, o), n)| (s.clone(), o.clone(), *n))
                    .collect()
            })
            .unwrap_or_default();
        StatsReport {
            elapsed: self.started.elapsed(),
            calls,
            metrics_requested: self.metrics_requested.load(Ordering::Relaxed),
        }
    }
}

impl StatsReport {
    /// Minutes to divide by for rates: at least one, so the start-up burst isn't a rate.
    fn minutes(&self) -> f64 {
        (self.elapsed.as_secs_f64() / 60.0).max(1.0)
    }

    pub fn total_calls(&self) -> u64 {
        self.calls.iter().map(|(_, _, n)| n).sum()
    }

    /// Calls to `operation` (e.g. `DescribeInstances`), in whichever service.
    pub fn calls_to(&self, operation: &str) -> u64 {
        self.calls
            .iter()
            .filter(|(_, o, _)| o == operation)
            .map(|(_, _, n)| n)
            .sum()
    }

    /// Calls per minute of each service, averaged since the start.
    pub fn per_service_per_minute(&self) -> Vec<(String, f64)> {
        let mut by_service: BTreeMap<&str, u64> = BTreeMap::new();
        for (s, _, n) in &self.calls {
            *by_service.entry(s).or_default() += n;
        }
        by_service
            .into_iter()
            .map(|(s, n)| (s.to_string(), n as f64 / self.minutes()))
            .collect()
    }

    /// The CloudWatch bill of a month at the rate so far.
    pub fn cloudwatch_usd_per_month(&self) -> f64 {
        self.metrics_requested as f64 / self.minutes() * MINUTES_PER_MONTH / 1000.0
            * USD_PER_1000_METRICS
    }

    /// Plain text, one line per operation, then the totals and the estimate.
    pub fn to_text(&self) -> String {
        let mut out = format!(
            "API calls in {}s (retries included):\n",
            self.elapsed.as_secs()
        );
        for (service, op, n) in &self.calls {
            out.push_str(&format!("  {service:<24} {op:<32} {n:>6}\n"));
        }
        out.push_str(&format!("  {:<57} {:>6}\n", "total", self.total_calls()));
        for (service, rate) in self.per_service_per_minute() {
            out.push_str(&format!("  {service:<24} {rate:>8.1} calls/min\n"));
        }
        out.push_str(&format!(
            "CloudWatch metrics requested: {} (≈ US$ {:.2} a month at this rate, US$ {} per 1,000)\n",
            self.metrics_requested,
            self.cloudwatch_usd_per_month(),
            USD_PER_1000_METRICS
        ));
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_calls_and_estimates_the_cloudwatch_bill() {
        let stats = ApiStats::default();
        stats.count("CloudWatch", "GetMetricData", 500);
        stats.count("CloudWatch", "GetMetricData", 20);
        stats.count("Elastic Load Balancing v2", "DescribeTargetHealth", 0);
        let r = stats.report();
        assert_eq!(r.total_calls(), 3);
        assert_eq!(r.calls_to("GetMetricData"), 2);
        assert_eq!(r.calls_to("DescribeInstances"), 0);
        assert_eq!(r.metrics_requested, 520);
        assert_eq!(
            r.calls[0],
            ("CloudWatch".to_string(), "GetMetricData".to_string(), 2)
        );
        // Under a minute counts as one: 520 metrics a minute for a month.
        let expected = 520.0 * 43_200.0 / 1000.0 * 0.01;
        assert!((r.cloudwatch_usd_per_month() - expected).abs() < 1e-6);
        assert!(r.to_text().contains("GetMetricData"));
    }
}
