//! The embedded demo world (`opsconsole --demo`): stacks S1–S5 as a simulated AWS estate behind the
//! same source traits as AWS, so the console can be tried without an account.
//!
//! What the world shows at an instant is a pure function of the seed, the wall-clock time and the
//! mutations applied (each stamped with its time): the same `--demo-seed` plays the same story,
//! and two demo processes (a console and a wall, a console and a snapshot) started minutes apart
//! show the same thing at the same moment. Mutations made by another demo process reach this one
//! through the demo journal ([`DemoWorld::replay`]). Randomness comes from `Xoshiro256PlusPlus`
//! generators seeded from (seed, what is being drawn, which minute/second), never from a shared
//! stream, so a fetch cannot change what a later fetch sees.

mod clock;
mod dynamics;
mod estate;
mod executor;
mod history;
mod logs;
mod route53;
mod samples;
mod sources;
mod waf;

#[cfg(test)]
mod story_tests;
#[cfg(test)]
mod tests;

pub use clock::{Clock, ManualClock};
pub use logs::task_log;

use crate::model::Scope;
use crate::source::{Session, Sources};
use chrono::{DateTime, Duration, Utc};
use dynamics::Changes;
use estate::Estate;
use rand::SeedableRng;
use rand::rngs::Xoshiro256PlusPlus;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

/// The demo's time zero, 2026-11-21 10:00:00 UTC, a whole hour: drills, bursts and WAF minutes
/// run on cycles counted from it, so where the story is depends only on the wall clock. (The
/// README's screen and the golden tests are drawn at this instant.)
pub const EPOCH_SECS: i64 = 1_795_255_200;

fn epoch() -> DateTime<Utc> {
    DateTime::from_timestamp(EPOCH_SECS, 0).unwrap_or(DateTime::UNIX_EPOCH)
}

/// The shared simulated estate. Cheap to read from many tasks; mutations go through its executor.
pub struct DemoWorld {
    seed: u64,
    clock: Clock,
    /// Time zero of the story: the fixed [`EPOCH_SECS`], never the start of the process.
    origin: DateTime<Utc>,
    estate: Estate,
    /// Every mutation applied so far, with its simulated time.
    changes: Mutex<Changes>,
    /// Counts simulated calls, only to vary their latency.
    calls: AtomicU64,
    /// Minutes of WAF counts each fetch covers (`[waf] window_minutes`, or a snapshot's --since).
    waf_window: u32,
    /// The demo journal a read-only world keeps replaying ([`DemoWorld::follow_journal`]).
    followed: Mutex<Option<Followed>>,
}

/// A journal followed, and what its files looked like when last read.
struct Followed {
    path: std::path::PathBuf,
    seen: Vec<Option<(u64, std::time::SystemTime)>>,
}

impl Followed {
    /// Size and modification time of the journal and its rotated file: any change is a reason to
    /// read it again.
    fn stamp(path: &std::path::Path) -> Vec<Option<(u64, std::time::SystemTime)>> {
        [path.to_path_buf(), crate::action::journal::rotated(path)]
            .iter()
            .map(|p| {
                let m = std::fs::metadata(p).ok()?;
                Some((m.len(), m.modified().ok()?))
            })
            .collect()
    }
}

impl DemoWorld {
    pub fn new(seed: u64, clock: Clock) -> Arc<DemoWorld> {
        DemoWorld::with_waf_window(seed, clock, waf::WINDOW_MINUTES)
    }

    /// A world whose WAF counts cover `minutes` (at least 1, at most WAF's 180).
    pub fn with_waf_window(seed: u64, clock: Clock, minutes: u32) -> Arc<DemoWorld> {
        let origin = epoch();
        Arc::new(DemoWorld {
            seed,
            estate: Estate::build(),
            clock,
            origin,
            changes: Mutex::new(Changes::default()),
            calls: AtomicU64::new(0),
            waf_window: minutes.clamp(1, 180),
            followed: Mutex::new(None),
        })
    }

    /// All five panels and an executor, scoped as the "demo" mode.
    pub fn session(self: &Arc<Self>) -> Session {
        let panels = Arc::new(sources::DemoPanels::new(self.clone()));
        let sources = Sources {
            scope: Scope {
                accounts: estate::accounts(),
                mode: "demo".to_string(),
                account: None,
                profile: None,
                regions: vec![estate::TOKYO.to_string(), estate::VIRGINIA.to_string()],
                caller_arn: None,
            },
            identity: Arc::new(crate::source::FixedIdentity(
                crate::source::Identity::default(),
            )),
            targets: panels.clone(),
            waf: panels.clone(),
            samples: panels.clone(),
            dns: panels.clone(),
            instances: panels,
            logs: logs::log_sources(self),
        };
        Session {
            sources,
            executor: Some(Arc::new(executor::DemoExecutor::new(self.clone()))),
            ssh: None,
            stats: None,
            tasks: None,
            shared: None,
            pending: None,
            history: Some(Arc::new(history::Story(self.clone()))),
            timeline: None,
        }
    }

    pub fn seed(&self) -> u64 {
        self.seed
    }

    pub fn clock(&self) -> &Clock {
        &self.clock
    }

    /// Simulated milliseconds since the origin at instant `t` (negative before it).
    fn ms_at(&self, t: DateTime<Utc>) -> i64 {
        (t - self.origin).num_milliseconds()
    }

    fn now_ms(&self) -> i64 {
        self.ms_at(self.clock.now())
    }

    /// The instant `ms` simulated milliseconds after the origin.
    fn instant(&self, ms: i64) -> DateTime<Utc> {
        self.origin + Duration::milliseconds(ms)
    }

    fn changes(&self) -> MutexGuard<'_, Changes> {
        // Mutations are applied with single assignments/pushes, so a poisoned lock still holds a
        // consistent history.
        self.changes.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn followed(&self) -> MutexGuard<'_, Option<Followed>> {
        // Only ever replaced whole: a poisoned lock still holds a consistent value.
        self.followed.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// A copy of the mutation history (after taking in a followed journal's news), so views are
    /// computed without holding the lock.
    fn changes_snapshot(&self) -> Changes {
        self.catch_up();
        self.changes().clone()
    }

    /// A delay like a real API call's (50–300 ms), only when real time passes.
    async fn simulated_latency(&self) {
        if self.clock.is_system() {
            use rand::RngExt;
            let call = self.calls.fetch_add(1, Ordering::Relaxed);
            let ms = rng_for(self.seed, "latency", call as i64).random_range(50..300u64);
            tokio::time::sleep(std::time::Duration::from_millis(ms)).await;
        }
    }
}

/// A generator for one draw: what (`label`) and when (`index`, a minute or second number).
///
/// Independent streams keep the world a pure function of time: drawing one minute's WAF counts
/// never shifts another minute's.
fn rng_for(seed: u64, label: &str, index: i64) -> Xoshiro256PlusPlus {
    let key = mix(mix(seed ^ fnv64(label)) ^ index as u64);
    Xoshiro256PlusPlus::seed_from_u64(key)
}

/// SplitMix64's finaliser: spreads nearby inputs far apart.
fn mix(mut x: u64) -> u64 {
    x = x.wrapping_add(0x9e37_79b9_7f4a_7c15);
    x = (x ^ (x >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    x ^ (x >> 31)
}

/// FNV-1a: a stable hash (unlike `DefaultHasher`) for labels and fake ids.
fn fnv64(s: &str) -> u64 {
    s.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    })
}

/// `len` lowercase hex digits derived from `label`: AWS-shaped ids that never change between runs.
fn hex_id(label: &str, len: usize) -> String {
    let mut out = String::with_capacity(len + 16);
    let mut h = fnv64(label);
    while out.len() < len {
        h = mix(h);
        out.push_str(&format!("{h:016x}"));
    }
    out.truncate(len);
    out
}
