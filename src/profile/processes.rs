//! Per-process detail: every process the samples saw, identified by
//! `(pid, start time)`, with its CPU, peak RSS and lifetime. Memory stays
//! bounded however many processes the job starts: live processes are kept,
//! and finished ones only while they rank among the top by CPU.

use std::collections::hash_map::Entry;
use std::collections::HashMap;
use std::sync::Arc;

use super::stats::round_to;
use crate::record::{TopProcess, BYTES_PER_MB};
use crate::sample::ProcessReading;

/// How many processes the record lists.
pub const TOP_PROCESSES: usize = 20;

#[derive(Debug, Clone)]
struct Life {
    pid: i32,
    name: Arc<str>,
    start_since_boot_seconds: f64,
    cpu_seconds: f64,
    peak_rss_bytes: u64,
    peak_pss_bytes: Option<u64>,
    last_seen_seconds: f64,
    seen_at_tick: u64,
    rank: Option<u32>,
}

/// Lifetimes of the tree's processes across samples.
#[derive(Debug, Clone)]
pub struct ProcessTable {
    job_start_since_boot_seconds: f64,
    live: HashMap<(i32, u64), Life>,
    finished: Vec<Life>,
    keep: usize,
    tick: u64,
    total_seen: u64,
    max_hwm_bytes: u64,
}

impl ProcessTable {
    /// `job_start_since_boot_seconds` turns kernel start times into offsets
    /// from the job's start.
    pub fn new(job_start_since_boot_seconds: f64) -> ProcessTable {
        ProcessTable::with_keep(job_start_since_boot_seconds, TOP_PROCESSES)
    }

    pub fn with_keep(job_start_since_boot_seconds: f64, keep: usize) -> ProcessTable {
        ProcessTable {
            job_start_since_boot_seconds,
            live: HashMap::new(),
            finished: Vec::new(),
            keep: keep.max(1),
            tick: 0,
            total_seen: 0,
            max_hwm_bytes: 0,
        }
    }

    /// Fold in one sample's live processes; those missing from it ended.
    pub fn observe(&mut self, t_seconds: f64, processes: &[ProcessReading]) {
        self.tick += 1;
        let tick = self.tick;
        for p in processes {
            self.max_hwm_bytes = self.max_hwm_bytes.max(p.hwm_bytes);
            let life = match self.live.entry((p.pid, p.starttime_ticks)) {
                Entry::Occupied(e) => e.into_mut(),
                Entry::Vacant(e) => {
                    self.total_seen += 1;
                    e.insert(Life {
                        pid: p.pid,
                        name: p.name.clone(),
                        start_since_boot_seconds: p.start_seconds_since_boot,
                        cpu_seconds: 0.0,
                        peak_rss_bytes: 0,
                        peak_pss_bytes: None,
                        last_seen_seconds: t_seconds,
                        seen_at_tick: tick,
                        rank: p.rank,
                    })
                }
            };
            if !Arc::ptr_eq(&life.name, &p.name) && life.name != p.name {
                life.name = p.name.clone(); // it exec'd since first seen
            }
            life.seen_at_tick = tick;
            life.last_seen_seconds = t_seconds;
            life.rank = p.rank.or(life.rank);
            life.cpu_seconds = life.cpu_seconds.max(p.own_cpu_seconds());
            life.peak_rss_bytes = life.peak_rss_bytes.max(p.rss_bytes).max(p.hwm_bytes);
            if let Some(pss) = p.pss_bytes {
                life.peak_pss_bytes = Some(life.peak_pss_bytes.unwrap_or(0).max(pss));
            }
        }
        if self.live.len() == processes.len() {
            return; // nobody ended (keys are unique per sample)
        }
        let ended: Vec<(i32, u64)> = self
            .live
            .iter()
            .filter(|(_, life)| life.seen_at_tick != tick)
            .map(|(key, _)| *key)
            .collect();
        for key in ended {
            if let Some(life) = self.live.remove(&key) {
                self.retire(life);
            }
        }
    }

    fn retire(&mut self, life: Life) {
        self.finished.push(life);
        if self.finished.len() >= 2 * self.keep {
            sort_by_cpu(&mut self.finished);
            self.finished.truncate(self.keep);
        }
    }

    /// Distinct processes seen by any sample.
    pub fn total_seen(&self) -> u64 {
        self.total_seen
    }

    /// Largest VmHWM of any process seen.
    pub fn max_hwm_bytes(&self) -> u64 {
        self.max_hwm_bytes
    }

    /// Processes remembered right now (live plus retained finished ones).
    pub fn retained(&self) -> usize {
        self.live.len() + self.finished.len()
    }

    /// The top processes by CPU, largest first.
    pub fn top(&self) -> Vec<TopProcess> {
        let mut all: Vec<(&Life, bool)> = self
            .live
            .values()
            .map(|l| (l, true))
            .chain(self.finished.iter().map(|l| (l, false)))
            .collect();
        all.sort_by(|(a, _), (b, _)| order(a, b));
        all.truncate(self.keep);
        all.into_iter()
            .map(|(l, running)| TopProcess {
                name: l.name.to_string(),
                pid: l.pid,
                cpu_seconds: round_to(l.cpu_seconds, 3),
                peak_rss_mb: round_to(l.peak_rss_bytes as f64 / BYTES_PER_MB, 3),
                peak_pss_mb: l
                    .peak_pss_bytes
                    .map(|b| round_to(b as f64 / BYTES_PER_MB, 3)),
                start_seconds: round_to(
                    (l.start_since_boot_seconds - self.job_start_since_boot_seconds).max(0.0),
                    3,
                ),
                last_seen_seconds: round_to(l.last_seen_seconds, 3),
                running_at_end: running,
                rank: l.rank,
            })
            .collect()
    }
}

fn order(a: &Life, b: &Life) -> std::cmp::Ordering {
    b.cpu_seconds
        .total_cmp(&a.cpu_seconds)
        .then(b.peak_rss_bytes.cmp(&a.peak_rss_bytes))
        .then(a.pid.cmp(&b.pid))
}

fn sort_by_cpu(lives: &mut [Life]) {
    lives.sort_by(order);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reading(pid: i32, start: u64, cpu: f64, rss: u64, hwm: u64) -> ProcessReading {
        ProcessReading {
            pid,
            starttime_ticks: start,
            start_seconds_since_boot: start as f64 / 100.0,
            name: Arc::from(format!("p{pid}").as_str()),
            utime_seconds: cpu,
            rss_bytes: rss,
            hwm_bytes: hwm,
            threads: 1,
            ..Default::default()
        }
    }

    #[test]
    fn tracks_lifetimes_cpu_and_peaks() {
        let mut t = ProcessTable::new(10.0);
        t.observe(0.5, &[reading(7, 1000, 0.1, 100, 200)]);
        t.observe(
            1.0,
            &[
                reading(7, 1000, 0.4, 50, 300),
                reading(8, 1050, 0.0, 10, 10),
            ],
        );
        t.observe(1.5, &[reading(8, 1050, 0.2, 10, 10)]);
        assert_eq!(t.total_seen(), 2);
        assert_eq!(t.max_hwm_bytes(), 300);
        let top = t.top();
        assert_eq!(top.len(), 2);
        assert_eq!((top[0].pid, top[0].cpu_seconds), (7, 0.4));
        assert_eq!(top[0].start_seconds, 0.0);
        assert_eq!(top[0].last_seen_seconds, 1.0);
        assert!(!top[0].running_at_end);
        assert_eq!(top[0].peak_rss_mb, round_to(300.0 / BYTES_PER_MB, 3));
        assert_eq!((top[1].pid, top[1].start_seconds), (8, 0.5));
        assert!(top[1].running_at_end);
    }

    #[test]
    fn top_processes_keep_the_rank_read_by_the_probe() {
        let mut t = ProcessTable::new(0.0);
        let ranked = |pid, rank| ProcessReading {
            rank,
            ..reading(pid, 1000, 0.1, 1, 1)
        };
        t.observe(0.5, &[ranked(7, Some(0)), ranked(8, None)]);
        t.observe(1.0, &[ranked(7, None), ranked(8, Some(1))]);
        let ranks: Vec<(i32, Option<u32>)> = t.top().iter().map(|p| (p.pid, p.rank)).collect();
        assert_eq!(ranks, [(7, Some(0)), (8, Some(1))]);
    }

    #[test]
    fn a_reused_pid_is_a_new_process() {
        let mut t = ProcessTable::new(0.0);
        t.observe(0.5, &[reading(7, 1000, 2.0, 100, 100)]);
        // Same pid, new start time: the old one ended, a new one began.
        t.observe(1.0, &[reading(7, 2000, 0.5, 100, 100)]);
        assert_eq!(t.total_seen(), 2);
        let top = t.top();
        assert_eq!(top.len(), 2);
        assert_eq!((top[0].cpu_seconds, top[0].running_at_end), (2.0, false));
        assert_eq!((top[1].cpu_seconds, top[1].running_at_end), (0.5, true));
    }

    #[test]
    fn thousands_of_short_processes_keep_memory_bounded() {
        let mut t = ProcessTable::with_keep(0.0, 5);
        for i in 0..10_000u64 {
            let pid = (i % 300) as i32 + 2; // pids wrap and get reused
            t.observe(i as f64, &[reading(pid, i, (i % 97) as f64, 1, 1)]);
            assert!(t.retained() <= 2 * 5 + 1, "retained {}", t.retained());
        }
        assert_eq!(t.total_seen(), 10_000);
        let top = t.top();
        assert_eq!(top.len(), 5);
        assert!(top.iter().all(|p| p.cpu_seconds == 96.0), "{top:?}");
    }
}
