//! CloudWatch GetMetricData, batched: every metric a refresh needs goes into as few calls as
//! possible (≤ 500 queries each), never one call per metric. Billing is per metric requested.

use super::super::SourceError;
use super::error::from_sdk;
use aws_sdk_cloudwatch as cw;
use chrono::{DateTime, Utc};
use std::collections::HashMap;

/// GetMetricData accepts at most this many queries per call.
pub const MAX_QUERIES: usize = 500;

/// One metric, one statistic, one series.
#[derive(Debug, Clone, PartialEq)]
pub struct MetricQuery {
    pub namespace: &'static str,
    pub metric: &'static str,
    pub dimensions: Vec<(&'static str, String)>,
    pub stat: &'static str,
}

/// Datapoints of one query, oldest first.
pub type Series = Vec<(DateTime<Utc>, f64)>;

/// Fetches all `queries` over [start, end) at `period_secs`, in batches of 500. The result has
/// one series per query, in the order given.
pub async fn fetch(
    client: &cw::Client,
    queries: &[MetricQuery],
    start: DateTime<Utc>,
    end: DateTime<Utc>,
    period_secs: i32,
) -> Result<Vec<Series>, SourceError> {
    let mut out: Vec<Series> = vec![Vec::new(); queries.len()];
    for (batch_index, batch) in queries.chunks(MAX_QUERIES).enumerate() {
        let offset = batch_index * MAX_QUERIES;
        let data_queries: Vec<cw::types::MetricDataQuery> = batch
            .iter()
            .enumerate()
            .map(|(i, q)| data_query(&format!("m{}", offset + i), q, period_secs))
            .collect();
        let mut next: Option<String> = None;
        let mut by_id: HashMap<String, Series> = HashMap::new();
        loop {
            let resp = client
                .get_metric_data()
                .set_metric_data_queries(Some(data_queries.clone()))
                .start_time(to_smithy(start))
                .end_time(to_smithy(end))
                .scan_by(cw::types::ScanBy::TimestampAscending)
                .set_next_token(next.take())
                .send()
                .await
                .map_err(|e| from_sdk("cloudwatch GetMetricData", e))?;
            for r in resp.metric_data_results() {
                let Some(id) = r.id() else { continue };
                let series = by_id.entry(id.to_string()).or_default();
                for (t, v) in r.timestamps().iter().zip(r.values()) {
                    if let Some(t) = DateTime::from_timestamp(t.secs(), t.subsec_nanos()) {
                        series.push((t, *v));
                    }
                }
            }
            match resp.next_token() {
                Some(t) if !t.is_empty() => next = Some(t.to_string()),
                _ => break,
            }
        }
        for i in 0..batch.len() {
            let id = format!("m{}", offset + i);
            if let Some(mut s) = by_id.remove(&id) {
                s.sort_by_key(|(t, _)| *t);
                out[offset + i] = s;
            }
        }
    }
    Ok(out)
}

fn data_query(id: &str, q: &MetricQuery, period: i32) -> cw::types::MetricDataQuery {
    // Dimensions in name order: CloudWatch doesn't care, but a canonical order keeps requests
    // comparable (and the moto emulator matches dimension lists order-sensitively).
    let mut sorted: Vec<&(&str, String)> = q.dimensions.iter().collect();
    sorted.sort_by_key(|(name, _)| *name);
    let dims: Vec<cw::types::Dimension> = sorted
        .into_iter()
        .map(|(n, v)| cw::types::Dimension::builder().name(*n).value(v).build())
        .collect();
    let metric = cw::types::Metric::builder()
        .namespace(q.namespace)
        .metric_name(q.metric)
        .set_dimensions(Some(dims))
        .build();
    cw::types::MetricDataQuery::builder()
        .id(id)
        .metric_stat(
            cw::types::MetricStat::builder()
                .metric(metric)
                .period(period)
                .stat(q.stat)
                .build(),
        )
        .return_data(true)
        .build()
}

fn to_smithy(t: DateTime<Utc>) -> aws_smithy_types::DateTime {
    aws_smithy_types::DateTime::from_secs(t.timestamp())
}

/// Sums a series into per-minute buckets over `minutes` ending at `end` (oldest first).
pub fn per_minute(series: &Series, end: DateTime<Utc>, minutes: u32) -> Vec<u64> {
    let mut buckets = vec![0u64; minutes as usize];
    let start = end - chrono::Duration::minutes(i64::from(minutes));
    for (t, v) in series {
        if *t < start || *t >= end {
            continue;
        }
        let idx = ((*t - start).num_seconds() / 60) as usize;
        if let Some(b) = buckets.get_mut(idx) {
            *b += v.max(0.0).round() as u64;
        }
    }
    buckets
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buckets_by_minute_and_drops_outside_points() {
        let end = DateTime::from_timestamp(1_800_000_000, 0).unwrap();
        let at = |m: i64| end - chrono::Duration::minutes(m);
        let series = vec![
            (at(20), 5.0),
            (at(3), 2.0),
            (at(3) + chrono::Duration::seconds(30), 1.0),
            (at(1), 7.0),
        ];
        assert_eq!(per_minute(&series, end, 4), vec![0, 3, 0, 7]);
    }
}
