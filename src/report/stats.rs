//! `job-stats` arithmetic: runs grouped by one or more keys, with exact
//! percentiles (every wall time of the group is kept and sorted; 100 000
//! runs cost 800 KB) and running sums for the means. Pure: no I/O.
//!
//! `job-stats` reads a large file in parts at once: the first part feeds a
//! [`StatsBuilder`], the later ones a [`StatsBuilder::deferred`] one that
//! keeps each run's figures, which [`StatsBuilder::absorb`] then adds in
//! order: every sum is taken in file order, so the figures are exactly
//! those of one pass.

use crate::criteria::GroupKey;
use crate::record::{RecordView, Status};
use std::collections::{BTreeMap, BTreeSet};

/// A run's value for a key; `-` when the run has none.
pub fn key_value(key: &GroupKey, job: &RecordView) -> String {
    let v = match key {
        GroupKey::Tool => Some(job.tool.clone()).filter(|t| !t.is_empty()),
        GroupKey::Script => job.script.clone(),
        GroupKey::Command => Some(super::units::text::shell_join(&job.command)),
        GroupKey::Host => job.host.clone(),
        GroupKey::Status => Some(job.status.to_string()),
        GroupKey::SlurmJob => job.slurm.as_ref().map(|s| s.group_job_id().to_string()),
        GroupKey::Tag(k) => job.tags.get(k).cloned(),
    };
    v.filter(|s| !s.is_empty())
        .unwrap_or_else(|| "-".to_string())
}

/// The default grouping: tool, then script.
pub fn default_keys() -> Vec<GroupKey> {
    vec![GroupKey::Tool, GroupKey::Script]
}

/// A running mean over the runs that have the figure: the profile's one
/// running-mean type (non-finite and missing figures are left out).
type Mean = crate::profile::stats::Gauge;

/// The figures one run adds to its group.
#[derive(Debug, Clone)]
struct Row {
    success: bool,
    wall: f64,
    cpu: Option<f64>,
    cores: Option<f64>,
    memory: Option<f64>,
    read: Option<f64>,
    write: Option<f64>,
    gpu: Option<f64>,
    /// A hash of the host name: distinct hosts are the group's nodes (a
    /// hash keeps the row `Copy`; a collision merely undercounts).
    host: Option<u64>,
    /// Wall seconds × CPUs available: what the run could have used.
    cpu_capacity: Option<f64>,
    memory_efficiency: Option<f64>,
    bottleneck: Option<String>,
}

impl Row {
    fn of(job: &RecordView) -> Row {
        Row {
            success: job.status.is(Status::Success),
            wall: job.duration_seconds,
            cpu: job.cpu_total_seconds,
            cores: job.cores(),
            memory: job.memory_peak_mb,
            read: job.read_bytes,
            write: job.write_bytes,
            gpu: job.gpu_utilization_percent,
            host: job.host.as_deref().map(host_hash),
            cpu_capacity: job
                .cpus_available
                .map(|cpus| cpus * job.duration_seconds)
                .filter(|c| c.is_finite() && *c > 0.0),
            memory_efficiency: job.memory_efficiency,
            bottleneck: job.bottleneck.clone(),
        }
    }
}

fn host_hash(host: &str) -> u64 {
    use std::hash::{Hash, Hasher};
    let mut h = std::collections::hash_map::DefaultHasher::new();
    host.hash(&mut h);
    h.finish()
}

#[derive(Debug, Default)]
struct Accumulator {
    runs: u64,
    successes: u64,
    walls: Vec<f64>,
    cpu: Mean,
    cores: Mean,
    memory: Mean,
    memory_max: Option<f64>,
    read: Mean,
    write: Mean,
    gpu: Mean,
    hosts: BTreeSet<u64>,
    /// CPU seconds and capacity of the runs that have both.
    cpu_used: f64,
    cpu_capacity: f64,
    memory_efficiency_max: Option<f64>,
    /// Runs per stored bottleneck class.
    bottlenecks: BTreeMap<String, u64>,
}

/// Aggregates of one group.
#[derive(Debug, Clone, PartialEq)]
pub struct GroupStats {
    /// One value per key, in `--group-by` order.
    pub key: Vec<String>,
    pub runs: u64,
    pub successes: u64,
    pub wall_mean_seconds: f64,
    /// Sample standard deviation (n − 1); 0 for a single run.
    pub wall_sd_seconds: f64,
    pub wall_min_seconds: f64,
    pub wall_p50_seconds: f64,
    pub wall_p95_seconds: f64,
    pub wall_max_seconds: f64,
    pub cpu_mean_seconds: Option<f64>,
    pub cores_mean: Option<f64>,
    pub memory_peak_mean_mb: Option<f64>,
    pub memory_peak_max_mb: Option<f64>,
    pub read_bytes_mean: Option<f64>,
    pub write_bytes_mean: Option<f64>,
    pub gpu_utilization_mean_percent: Option<f64>,
    /// Distinct hosts the group's runs ran on.
    pub nodes: u64,
    /// CPU seconds of every run together.
    pub cpu_total_seconds: Option<f64>,
    /// seff's CPU efficiency of the group: CPU seconds over wall seconds ×
    /// CPUs available, summed over the runs that have both.
    pub cpu_efficiency: Option<f64>,
    /// The largest `memory_efficiency` of a run of the group.
    pub memory_efficiency_max: Option<f64>,
    /// The bottleneck most of the group's judged runs had (ties: the first
    /// by name); None when no run has one.
    pub bottleneck_most_common: Option<String>,
}

impl GroupStats {
    pub fn success_rate(&self) -> f64 {
        self.successes as f64 / self.runs.max(1) as f64
    }
}

/// Groups runs as they stream past.
#[derive(Debug)]
pub struct StatsBuilder {
    keys: Vec<GroupKey>,
    groups: BTreeMap<Vec<String>, Accumulator>,
    /// Deferred: each group's runs, in the order they were added.
    rows: Option<BTreeMap<Vec<String>, Vec<Row>>>,
}

impl Accumulator {
    fn add(&mut self, row: &Row) {
        self.runs += 1;
        self.successes += u64::from(row.success);
        if row.wall.is_finite() {
            self.walls.push(row.wall);
        }
        self.cpu.add_some(row.cpu);
        self.cores.add_some(row.cores);
        self.memory.add_some(row.memory);
        if let Some(m) = row.memory.filter(|m| m.is_finite()) {
            self.memory_max = Some(self.memory_max.map_or(m, |x: f64| x.max(m)));
        }
        self.read.add_some(row.read);
        self.write.add_some(row.write);
        self.gpu.add_some(row.gpu);
        self.hosts.extend(row.host);
        if let (Some(cpu), Some(capacity)) = (row.cpu.filter(|c| c.is_finite()), row.cpu_capacity) {
            self.cpu_used += cpu;
            self.cpu_capacity += capacity;
        }
        if let Some(e) = row.memory_efficiency.filter(|e| e.is_finite()) {
            self.memory_efficiency_max =
                Some(self.memory_efficiency_max.map_or(e, |x: f64| x.max(e)));
        }
        if let Some(b) = &row.bottleneck {
            *self.bottlenecks.entry(b.clone()).or_default() += 1;
        }
    }
}

impl StatsBuilder {
    pub fn new(keys: Vec<GroupKey>) -> Self {
        StatsBuilder {
            keys,
            groups: BTreeMap::new(),
            rows: None,
        }
    }

    /// A builder for a later part of the history: it keeps every run's
    /// figures (about 120 bytes a run) until [`StatsBuilder::absorb`].
    pub fn deferred(keys: Vec<GroupKey>) -> Self {
        StatsBuilder {
            rows: Some(BTreeMap::new()),
            ..StatsBuilder::new(keys)
        }
    }

    /// Add the runs of `later` (a deferred builder with the same keys, fed
    /// the runs after this one's) as if they had been added here, in order.
    pub fn absorb(&mut self, later: StatsBuilder) {
        for (key, rows) in later.rows.into_iter().flatten() {
            let acc = self.groups.entry(key).or_default();
            for row in &rows {
                acc.add(row);
            }
        }
        debug_assert!(later.groups.is_empty(), "absorb a deferred builder");
    }

    pub fn keys(&self) -> &[GroupKey] {
        &self.keys
    }

    pub fn add(&mut self, job: &RecordView) {
        let key: Vec<String> = self.keys.iter().map(|k| key_value(k, job)).collect();
        let row = Row::of(job);
        match &mut self.rows {
            Some(rows) => rows.entry(key).or_default().push(row),
            None => self.groups.entry(key).or_default().add(&row),
        }
    }

    /// Groups in key order.
    pub fn finish(mut self) -> Vec<GroupStats> {
        if let Some(rows) = self.rows.take() {
            self.absorb(StatsBuilder {
                rows: Some(rows),
                ..StatsBuilder::new(Vec::new())
            });
        }
        self.groups
            .into_iter()
            .map(|(key, mut acc)| {
                acc.walls.sort_by(f64::total_cmp);
                let w = &acc.walls;
                let n = w.len();
                let mean = if n > 0 {
                    w.iter().sum::<f64>() / n as f64
                } else {
                    0.0
                };
                let sd = if n > 1 {
                    (w.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1) as f64).sqrt()
                } else {
                    0.0
                };
                GroupStats {
                    key,
                    runs: acc.runs,
                    successes: acc.successes,
                    wall_mean_seconds: mean,
                    wall_sd_seconds: sd,
                    wall_min_seconds: w.first().copied().unwrap_or(0.0),
                    wall_p50_seconds: percentile(w, 50.0),
                    wall_p95_seconds: percentile(w, 95.0),
                    wall_max_seconds: w.last().copied().unwrap_or(0.0),
                    cpu_mean_seconds: acc.cpu.mean(),
                    cores_mean: acc.cores.mean(),
                    memory_peak_mean_mb: acc.memory.mean(),
                    memory_peak_max_mb: acc.memory_max,
                    read_bytes_mean: acc.read.mean(),
                    write_bytes_mean: acc.write.mean(),
                    gpu_utilization_mean_percent: acc.gpu.mean(),
                    nodes: acc.hosts.len() as u64,
                    cpu_total_seconds: acc.cpu.sum(),
                    cpu_efficiency: (acc.cpu_capacity > 0.0)
                        .then(|| acc.cpu_used / acc.cpu_capacity),
                    memory_efficiency_max: acc.memory_efficiency_max,
                    bottleneck_most_common: most_common(&acc.bottlenecks),
                }
            })
            .collect()
    }
}

/// The key with the largest count; the first by name on a tie.
fn most_common(counts: &BTreeMap<String, u64>) -> Option<String> {
    let mut best: Option<(&String, u64)> = None;
    for (k, n) in counts {
        if best.map_or(true, |(_, m)| *n > m) {
            best = Some((k, *n));
        }
    }
    best.map(|(k, _)| k.clone())
}

/// Nearest-rank percentile of sorted values: the smallest value with at
/// least `p` % of the values at or below it (always an observed value).
pub fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let rank = (p / 100.0 * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn task(job: u64, array: Option<u64>, host: &str, wall: f64, cpu: f64, eff: f64) -> RecordView {
        let array = array.map_or(String::new(), |a| format!(r#","array_job_id":{a}"#));
        let line = format!(
            r#"{{"task_id":"t{job}{host}","status":"success","start_time":"2025-01-01T00:00:00Z","duration_seconds":{wall},"host":{{"hostname":"{host}","cpus_available":2}},"resource_usage":{{"cpu_total_seconds":{cpu},"memory_peak_mb":{wall}}},"detailed_profile":{{"memory_efficiency":{eff}}},"slurm":{{"job_id":{job}{array},"step_id":"batch"}}}}"#
        );
        RecordView::from_line(line.as_bytes()).expect("record")
    }

    #[test]
    fn slurm_job_groups_array_tasks_under_their_array_job() {
        let mut b = StatsBuilder::new(vec![GroupKey::SlurmJob]);
        b.add(&task(11, Some(10), "n1", 4.0, 2.0, 0.25));
        b.add(&task(12, Some(10), "n2", 2.0, 2.0, 0.5));
        b.add(&task(10, Some(10), "n1", 1.0, 1.0, 0.125));
        b.add(&task(20, None, "n1", 1.0, 1.0, 0.1));
        let groups = b.finish();
        assert_eq!(groups.len(), 2);
        let g = &groups[0];
        assert_eq!((g.key[0].as_str(), g.runs, g.nodes), ("10", 3, 2));
        assert_eq!(g.wall_max_seconds, 4.0);
        assert_eq!(g.cpu_total_seconds, Some(5.0));
        // 5 CPU seconds of (4 + 2 + 1) s × 2 CPUs.
        assert_eq!(g.cpu_efficiency, Some(5.0 / 14.0));
        assert_eq!(
            (g.memory_peak_max_mb, g.memory_efficiency_max),
            (Some(4.0), Some(0.5))
        );
        assert_eq!((groups[1].key[0].as_str(), groups[1].runs), ("20", 1));
    }

    #[test]
    fn nearest_rank_percentiles() {
        let v: Vec<f64> = (1..=20).map(f64::from).collect();
        assert_eq!(percentile(&v, 50.0), 10.0);
        assert_eq!(percentile(&v, 95.0), 19.0);
        assert_eq!(percentile(&v, 100.0), 20.0);
        assert_eq!(percentile(&[7.0], 95.0), 7.0);
    }

    #[test]
    fn each_group_names_its_most_common_bottleneck() {
        let job = |tool: &str, bottleneck: Option<&str>| {
            let analysis = bottleneck.map_or(String::new(), |b| {
                format!(r#","analysis":{{"bottleneck":"{b}"}}"#)
            });
            let line = format!(
                r#"{{"task_id":"a","tool":"{tool}","status":"success","start_time":"2025-01-01T00:00:00Z","duration_seconds":1{analysis}}}"#
            );
            RecordView::from_line(line.as_bytes()).expect("view")
        };
        let mut b = StatsBuilder::new(vec![GroupKey::Tool]);
        for j in [
            job("a", Some("io")),
            job("a", Some("serial")),
            job("a", Some("serial")),
            job("a", None),
            job("b", Some("io")),
            job("b", Some("cpu")),
            job("c", None),
        ] {
            b.add(&j);
        }
        let most: Vec<Option<String>> = b
            .finish()
            .into_iter()
            .map(|g| g.bottleneck_most_common)
            .collect();
        // b: a tie, broken by name.
        assert_eq!(most, [Some("serial".into()), Some("cpu".into()), None]);
    }
}
