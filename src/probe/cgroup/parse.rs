//! Parsers for cgroup interface files (v1 and v2), `/proc/self/cgroup`,
//! `/proc/self/mountinfo` and `/proc/net/dev`. Pure text-in, values-out
//! functions, so every format is tested on inline fixtures; a malformed line
//! is skipped, never an error.

use std::path::PathBuf;

use crate::sample::cgroup::{CpuQuota, IoBytes, MemoryLimit, NetBytes};

/// One line of `/proc/<pid>/cgroup`: `ID:CONTROLLERS:PATH`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProcCgroupLine {
    pub hierarchy_id: u32,
    /// Empty for the cgroup2 line (`0::/path`); `name=systemd` for a named
    /// v1 hierarchy.
    pub controllers: Vec<String>,
    pub path: String,
}

pub fn proc_cgroup(text: &str) -> Vec<ProcCgroupLine> {
    text.lines()
        .filter_map(|line| {
            let mut parts = line.splitn(3, ':');
            let id = parts.next()?.parse().ok()?;
            let controllers = parts.next()?;
            let path = parts.next()?;
            Some(ProcCgroupLine {
                hierarchy_id: id,
                controllers: controllers
                    .split(',')
                    .filter(|c| !c.is_empty())
                    .map(str::to_string)
                    .collect(),
                path: path.to_string(),
            })
        })
        .collect()
}

/// Which kind of cgroup filesystem a mount is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MountKind {
    /// cgroup v1, with the super options (controllers among them).
    V1(Vec<String>),
    V2,
}

/// A cgroup filesystem mount from `/proc/self/mountinfo`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CgroupMount {
    /// The cgroup path of the hierarchy that is mounted here (`/` unless a
    /// container bind-mounted a sub-tree).
    pub root: String,
    pub mount_point: PathBuf,
    pub kind: MountKind,
}

/// The cgroup mounts of a `mountinfo` text (fields: id, parent, dev, root,
/// mount point, options, optional fields, `-`, fstype, source, super options).
pub fn mountinfo(text: &str) -> Vec<CgroupMount> {
    let mut out = Vec::new();
    for line in text.lines() {
        let Some((left, right)) = line.split_once(" - ") else {
            continue;
        };
        let fields: Vec<&str> = left.split(' ').collect();
        let mut after = right.split(' ');
        let (Some(fstype), Some(_source), Some(super_opts)) =
            (after.next(), after.next(), after.next())
        else {
            continue;
        };
        if fields.len() < 5 {
            continue;
        }
        let kind = match fstype {
            "cgroup2" => MountKind::V2,
            "cgroup" => MountKind::V1(super_opts.split(',').map(str::to_string).collect()),
            _ => continue,
        };
        out.push(CgroupMount {
            root: unescape_octal(fields[3]),
            mount_point: PathBuf::from(unescape_octal(fields[4])),
            kind,
        });
    }
    out
}

/// mountinfo writes space, tab, newline and backslash as `\040`-style escapes.
fn unescape_octal(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'\\' && i + 4 <= bytes.len() {
            let digits = &bytes[i + 1..i + 4];
            if digits.iter().all(|d| (b'0'..=b'7').contains(d)) {
                let v = digits
                    .iter()
                    .fold(0u32, |acc, d| acc * 8 + u32::from(d - b'0'));
                if let Ok(v) = u8::try_from(v) {
                    out.push(v);
                    i += 4;
                    continue;
                }
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// A value from a flat keyed file (`cpu.stat`, `memory.events`,
/// `memory.stat`, `memory.oom_control`, `cpuacct.stat`): `KEY VALUE` lines.
pub fn keyed(text: &str, key: &str) -> Option<u64> {
    text.lines().find_map(|line| {
        let (k, v) = line.split_once(' ')?;
        if k == key {
            v.trim().parse().ok()
        } else {
            None
        }
    })
}

/// A file holding one number (`memory.peak`, `cpuacct.usage`, ...).
pub fn single(text: &str) -> Option<u64> {
    text.trim().parse().ok()
}

/// v1 writes "no limit" as PAGE_COUNTER_MAX × page size
/// (9223372036854771712 on x86-64); anything at or above 2^62 is no limit.
const V1_UNLIMITED_FLOOR: u64 = 1 << 62;

/// v2 `memory.max` / `memory.high`: `max` or bytes.
pub fn memory_limit_v2(text: &str) -> Option<MemoryLimit> {
    match text.trim() {
        "max" => Some(MemoryLimit::Unlimited),
        t => t.parse().ok().map(MemoryLimit::Bytes),
    }
}

/// v1 `memory.limit_in_bytes` or `hierarchical_memory_limit`.
pub fn memory_limit_v1(value: u64) -> MemoryLimit {
    if value >= V1_UNLIMITED_FLOOR {
        MemoryLimit::Unlimited
    } else {
        MemoryLimit::Bytes(value)
    }
}

/// v2 `cpu.max`: `max 100000` or `150000 100000`.
pub fn cpu_max_v2(text: &str) -> Option<CpuQuota> {
    let mut parts = text.split_whitespace();
    let quota = parts.next()?;
    let period: u64 = parts.next().map_or(Some(100_000), |p| p.parse().ok())?;
    if quota == "max" {
        return Some(CpuQuota::Unlimited);
    }
    Some(CpuQuota::Limited {
        quota_us: quota.parse().ok()?,
        period_us: period,
    })
}

/// v1 `cpu.cfs_quota_us` (`-1` for none) with `cpu.cfs_period_us`.
pub fn cpu_quota_v1(quota_text: &str, period_text: &str) -> Option<CpuQuota> {
    let quota: i64 = quota_text.trim().parse().ok()?;
    let period: u64 = period_text.trim().parse().ok()?;
    if quota < 0 {
        return Some(CpuQuota::Unlimited);
    }
    Some(CpuQuota::Limited {
        quota_us: quota as u64,
        period_us: period,
    })
}

/// v2 `io.stat`: `MAJ:MIN rbytes=N wbytes=N rios=N wios=N dbytes=N dios=N`.
pub fn io_stat_v2(text: &str) -> IoBytes {
    let mut io = IoBytes::default();
    for line in text.lines() {
        for field in line.split_whitespace().skip(1) {
            let Some((k, v)) = field.split_once('=') else {
                continue;
            };
            let Ok(v) = v.parse::<u64>() else { continue };
            match k {
                "rbytes" => io.read_bytes += v,
                "wbytes" => io.write_bytes += v,
                _ => {}
            }
        }
    }
    io
}

/// v1 `blkio.throttle.io_service_bytes[_recursive]` (and the CFQ/BFQ
/// variants): `MAJ:MIN Read N` ... and a final `Total N` line.
pub fn blkio_v1(text: &str) -> IoBytes {
    let mut io = IoBytes::default();
    for line in text.lines() {
        let mut parts = line.split_whitespace();
        let (Some(_dev), Some(op), Some(v)) = (parts.next(), parts.next(), parts.next()) else {
            continue; // the "Total N" line has two fields
        };
        let Ok(v) = v.parse::<u64>() else { continue };
        match op {
            "Read" => io.read_bytes += v,
            "Write" => io.write_bytes += v,
            _ => {}
        }
    }
    io
}

/// `cgroup.procs`: one pid per line.
pub fn pids(text: &str) -> Vec<i32> {
    text.split_whitespace()
        .filter_map(|t| t.parse().ok())
        .collect()
}

/// `/proc/net/dev`, loopback excluded (as `docker stats` counts it).
pub fn net_dev(text: &str) -> NetBytes {
    let mut net = NetBytes::default();
    for line in text.lines().skip(2) {
        let Some((iface, rest)) = line.split_once(':') else {
            continue;
        };
        if iface.trim() == "lo" {
            continue;
        }
        let cols: Vec<u64> = rest
            .split_whitespace()
            .filter_map(|c| c.parse().ok())
            .collect();
        if cols.len() >= 16 {
            net.rx_bytes += cols[0];
            net.tx_bytes += cols[8];
        }
    }
    net
}

/// Whether a `cgroup.controllers` / `cgroup.subtree_control` text lists
/// `controller`.
pub fn has_controller(text: &str, controller: &str) -> bool {
    text.split_whitespace().any(|c| c == controller)
}

#[cfg(test)]
#[path = "parse_tests.rs"]
mod tests;
