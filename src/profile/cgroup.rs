//! Cgroup readings → the record's cgroup block and `container_stats`. Pure:
//! the leaf's final sample (plus the largest `memory.current` the sampler
//! saw) becomes a [`CgroupStatsRecord`]; the enclosing container's samples
//! become the seed's `docker stats`-style strings and exact numbers.

use crate::record::{CgroupStatsRecord, ContainerStatsRecord, BYTES_PER_MB};
use crate::sample::cgroup::{CgroupBackend, CgroupRun, ContainerInfo, ContainerSample};

/// The record's cgroup block.
pub fn cgroup_record(run: &CgroupRun) -> CgroupStatsRecord {
    let backend = run.backend.unwrap_or(CgroupBackend::None);
    let end = run.end.unwrap_or_default();
    let secs = |us: Option<u64>| us.map(|u| u as f64 / 1e6);
    let (peak, source) = match (end.memory_peak_bytes, run.sampled_peak_bytes) {
        (Some(p), _) => (
            Some(p),
            Some(match backend {
                CgroupBackend::V1 => "memory.max_usage_in_bytes (page cache included)",
                _ => "memory.peak",
            }),
        ),
        (None, Some(s)) => (Some(s), Some("memory.current (sampled)")),
        (None, None) => (None, None),
    };
    CgroupStatsRecord {
        backend: backend.as_str().to_string(),
        leaf: run.leaf.clone(),
        note: run.note.clone(),
        cpu_total_seconds: secs(end.cpu_usage_usec),
        cpu_user_seconds: secs(end.cpu_user_usec),
        cpu_system_seconds: secs(end.cpu_system_usec),
        memory_peak_mb: peak.map(|b| b as f64 / BYTES_PER_MB),
        memory_peak_source: source.map(str::to_string),
        read_bytes: end.io.map(|io| io.read_bytes),
        write_bytes: end.io.map(|io| io.write_bytes),
        oom_kills: end.oom_kills,
        left_in_place: run.left_in_place.clone(),
    }
}

/// Container samples over one run: the first, the last, and the largest
/// memory usage (constant memory however many are pushed).
#[derive(Debug, Clone, Default)]
pub struct ContainerStatsBuilder {
    first: Option<(f64, ContainerSample)>,
    last: Option<(f64, ContainerSample)>,
    max_memory_bytes: Option<u64>,
}

impl ContainerStatsBuilder {
    pub fn new() -> ContainerStatsBuilder {
        ContainerStatsBuilder::default()
    }

    /// A sample taken `t_seconds` after the job started.
    pub fn push(&mut self, t_seconds: f64, sample: ContainerSample) {
        if self.first.is_none() {
            self.first = Some((t_seconds, sample));
        }
        self.last = Some((t_seconds, sample));
        if let Some(m) = sample.memory_usage_bytes {
            self.max_memory_bytes = Some(self.max_memory_bytes.map_or(m, |old| old.max(m)));
        }
    }

    pub fn finish(&self, info: &ContainerInfo) -> ContainerStatsRecord {
        let (Some((t0, first)), Some((t1, last))) = (self.first, self.last) else {
            return ContainerStatsRecord::unavailable("no container sample taken");
        };
        let wall = t1 - t0;
        let cpu_usage_seconds = match (first.cpu_usage_usec, last.cpu_usage_usec) {
            (Some(a), Some(b)) => Some(b.saturating_sub(a) as f64 / 1e6),
            _ => None,
        };
        let cpu_quota_cores = info.cpu_quota.cores();
        let limit = info.memory_limit.bytes();
        let used = self.max_memory_bytes;
        let block = match (first.block, last.block) {
            (Some(a), Some(b)) => Some(b.since(a)),
            _ => None,
        };
        let net = match (first.net, last.net) {
            (Some(a), Some(b)) => Some(b.since(a)),
            _ => None,
        };
        ContainerStatsRecord {
            available: true,
            reason: None,
            kind: Some(info.kind.clone()),
            cgroup_version: Some(info.cgroup_version),
            cgroup_path: Some(info.cgroup_path.clone()),
            cpu_percent: cpu_usage_seconds
                .filter(|_| wall > 0.0)
                .map(|s| format!("{:.2}", s / wall * 100.0)),
            cpu_limit: Some(match cpu_quota_cores {
                Some(c) => format!("{} cpus", sig(c, 4)),
                None => "unlimited".to_string(),
            }),
            cpu_quota_cores,
            cpu_usage_seconds,
            memory_usage: used.map(|u| {
                let lim = limit.map_or_else(|| "unlimited".to_string(), binary_size);
                format!("{} / {lim}", binary_size(u))
            }),
            memory_percent: match (used, limit) {
                (Some(u), Some(l)) if l > 0 => Some(format!("{:.2}", u as f64 / l as f64 * 100.0)),
                _ => None,
            },
            memory_used_bytes: used,
            memory_limit_bytes: limit,
            net_io: net.map(|n| in_out(n.rx_bytes, n.tx_bytes)),
            net_rx_bytes: net.map(|n| n.rx_bytes),
            net_tx_bytes: net.map(|n| n.tx_bytes),
            block_io: block.map(|b| in_out(b.read_bytes, b.write_bytes)),
            block_read_bytes: block.map(|b| b.read_bytes),
            block_write_bytes: block.map(|b| b.write_bytes),
        }
    }
}

/// `docker stats` I/O columns: `850kB / 1.23MB`.
fn in_out(a: u64, b: u64) -> String {
    format!("{} / {}", decimal_size(a), decimal_size(b))
}

/// `v` with `digits` significant digits, trailing zeros dropped (C's `%g`
/// without the exponent form).
fn sig(v: f64, digits: i32) -> String {
    if v == 0.0 || !v.is_finite() {
        return "0".to_string();
    }
    let exp = decimal_exponent(v.abs());
    let decimals = (digits - 1 - exp).max(0) as usize;
    let s = format!("{v:.decimals$}");
    if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        s
    }
}

/// floor(log10(a)) for a finite a > 0, without libm's `log10`: that one
/// call was profrun's only use of libm.so, whose mapping alone cost about
/// 300 KiB of resident pages (see docs/performance.md). Powers of ten are
/// exact in f64 up to 1e22, so the comparisons are exact for
/// 1e-22 < a < 1e23, far wider than the sizes and counts printed here.
fn decimal_exponent(a: f64) -> i32 {
    let (mut p, mut exp) = (1.0_f64, 0);
    if a >= 1.0 {
        while a >= p * 10.0 && exp < 308 {
            p *= 10.0;
            exp += 1;
        }
    } else {
        while a * p < 1.0 && exp > -330 {
            p *= 10.0;
            exp -= 1;
        }
    }
    exp
}

/// `docker stats` memory: binary units, 4 significant digits (`2.5GiB`).
pub fn binary_size(bytes: u64) -> String {
    scaled(bytes, 1024.0, &["B", "KiB", "MiB", "GiB", "TiB", "PiB"], 4)
}

/// `docker stats` I/O: decimal units, 3 significant digits (`850kB`).
pub fn decimal_size(bytes: u64) -> String {
    scaled(bytes, 1000.0, &["B", "kB", "MB", "GB", "TB", "PB"], 3)
}

fn scaled(bytes: u64, base: f64, units: &[&str], digits: i32) -> String {
    let mut v = bytes as f64;
    let mut i = 0;
    while v >= base && i + 1 < units.len() {
        v /= base;
        i += 1;
    }
    format!("{}{}", sig(v, digits), units[i])
}

#[cfg(test)]
#[path = "cgroup_tests.rs"]
mod tests;
