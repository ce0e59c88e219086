//! Host-wide readings: `/proc/stat` (total and per-core CPU), `/proc/meminfo`,
//! `/proc/net/dev`, `/proc/diskstats` (whole disks only), `/proc/loadavg` and
//! `/proc/pressure/{cpu,memory,io}` when present. Files stay open and are
//! re-read with `pread`; parsers take bytes so tests feed them fixtures.

use super::procfile::ProcFile;
use super::{HostProbe, ProcRoot};
use crate::sample::{
    CpuTimes, DeviceBytes, DevicesSample, HostSample, MemorySample, PressureLine, PressureSample,
    PressureSet,
};

fn fields(line: &[u8]) -> impl Iterator<Item = &[u8]> {
    line.split(|&b| b == b' ' || b == b'\t')
        .filter(|f| !f.is_empty())
}

fn num(field: &[u8]) -> Option<u64> {
    super::process::parse_u64(field)
}

fn lines(text: &[u8]) -> impl Iterator<Item = &[u8]> {
    text.split(|&b| b == b'\n')
}

/// The `cpu` line and the `cpuN` lines of `/proc/stat`.
pub fn parse_stat(text: &[u8]) -> Option<(CpuTimes, Vec<CpuTimes>)> {
    let mut total = None;
    let mut per_core = Vec::new();
    for line in lines(text) {
        let Some(rest) = line.strip_prefix(b"cpu") else {
            continue;
        };
        let mut f = fields(rest);
        let is_total = rest.first() == Some(&b' ');
        if !is_total {
            f.next(); // the CPU number
        }
        let mut v = [0u64; 8];
        for slot in v.iter_mut() {
            *slot = f.next().and_then(num).unwrap_or(0);
        }
        let times = CpuTimes {
            user: v[0],
            nice: v[1],
            system: v[2],
            idle: v[3],
            iowait: v[4],
            irq: v[5],
            softirq: v[6],
            steal: v[7],
        };
        if is_total {
            total = Some(times);
        } else {
            per_core.push(times);
        }
    }
    Some((total?, per_core))
}

pub fn parse_meminfo(text: &[u8]) -> Option<MemorySample> {
    let mut m = MemorySample::default();
    let mut found_total = false;
    for line in lines(text) {
        let Some(colon) = line.iter().position(|&b| b == b':') else {
            continue;
        };
        let value = fields(&line[colon + 1..]).next().and_then(num).unwrap_or(0);
        match &line[..colon] {
            b"MemTotal" => {
                m.total_kb = value;
                found_total = true;
            }
            b"MemFree" => m.free_kb = value,
            b"MemAvailable" => m.available_kb = value,
            b"Buffers" => m.buffers_kb = value,
            b"Cached" => m.cached_kb = value,
            b"SwapTotal" => m.swap_total_kb = value,
            b"SwapFree" => {
                m.swap_free_kb = value;
                break; // the last key needed (meminfo keeps its order)
            }
            _ => {}
        }
    }
    found_total.then_some(m)
}

/// Every interface of `/proc/net/dev` (received and transmitted bytes).
pub fn parse_net_dev(text: &[u8]) -> Vec<DeviceBytes> {
    lines(text)
        .filter_map(|line| {
            let colon = line.iter().position(|&b| b == b':')?;
            let name = std::str::from_utf8(&line[..colon]).ok()?.trim();
            let mut v = fields(&line[colon + 1..]);
            let in_bytes = num(v.next()?)?;
            let out_bytes = num(v.nth(7)?)?;
            Some(DeviceBytes {
                name: name.to_string(),
                in_bytes,
                out_bytes,
            })
        })
        .collect()
}

/// Devices that would count the same bytes twice (stacked: dm, md) or that
/// are not disks (loop, RAM disks).
fn is_virtual_disk(name: &str) -> bool {
    ["loop", "ram", "zram", "dm-", "md"]
        .iter()
        .any(|p| name.starts_with(p))
}

/// `sda1` of `sda`, `nvme0n1p2` of `nvme0n1`, `mmcblk0p1` of `mmcblk0`.
fn is_partition_of(name: &str, disk: &str) -> bool {
    let Some(rest) = name.strip_prefix(disk) else {
        return false;
    };
    // After a name ending in a digit, the kernel separates the number with 'p'.
    let digits = if disk.ends_with(|c: char| c.is_ascii_digit()) {
        match rest.strip_prefix('p') {
            Some(d) => d,
            None => return false, // nvme0n10 is not a partition of nvme0n1
        }
    } else {
        rest
    };
    !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit())
}

/// Whole disks of `/proc/diskstats` with bytes read and written (sectors
/// there are always 512 bytes).
pub fn parse_diskstats(text: &[u8]) -> Vec<DeviceBytes> {
    let all: Vec<(String, u64, u64)> = lines(text)
        .filter_map(|line| {
            let mut f = fields(line).skip(2);
            let name = std::str::from_utf8(f.next()?).ok()?.to_string();
            let read = num(f.nth(2)?)?;
            let written = num(f.nth(3)?)?;
            Some((name, read * 512, written * 512))
        })
        .collect();
    all.iter()
        .filter(|(name, _, _)| !is_virtual_disk(name))
        .filter(|(name, _, _)| !all.iter().any(|(disk, _, _)| is_partition_of(name, disk)))
        .map(|(name, read, write)| DeviceBytes {
            name: name.clone(),
            in_bytes: *read,
            out_bytes: *write,
        })
        .collect()
}

pub fn parse_loadavg(text: &[u8]) -> Option<[f64; 3]> {
    let mut f = fields(text).map(|x| std::str::from_utf8(x).ok()?.parse::<f64>().ok());
    Some([f.next()??, f.next()??, f.next()??])
}

pub fn parse_pressure(text: &[u8]) -> Option<PressureSample> {
    let mut some = None;
    let mut full = None;
    for line in lines(text) {
        let mut f = fields(line);
        let Some(kind) = f.next() else {
            continue; // the empty line after the last newline
        };
        let mut p = PressureLine::default();
        for kv in f {
            let text = std::str::from_utf8(kv).ok()?;
            match text.split_once('=') {
                Some(("avg10", v)) => p.avg10 = v.parse().ok()?,
                Some(("total", v)) => p.total_us = v.parse().ok()?,
                _ => {}
            }
        }
        match kind {
            b"some" => some = Some(p),
            b"full" => full = Some(p),
            _ => {}
        }
    }
    Some(PressureSample { some: some?, full })
}

/// The kernel recomputes the PSI averages every 2 s (`PSI_FREQ`): reading
/// them more often returns the same figures.
pub const PRESSURE_EVERY_SECONDS: f64 = 2.0;
/// ... and the load average every 5 s (`LOAD_FREQ`).
pub const LOAD_EVERY_SECONDS: f64 = 5.0;
/// Network and disk counters feed run totals and peak rates only; the
/// files are among the dearest to read (the kernel sums per-CPU counters of
/// every device), so every 2 s is enough.
pub const DEVICES_EVERY_SECONDS: f64 = 2.0;

/// The real host probe: every file opened once, then re-read with `pread`:
/// CPU and memory at each tick, the slow-moving parts as often as above.
#[derive(Debug)]
pub struct ProcHostProbe {
    stat: Option<ProcFile>,
    meminfo: Option<ProcFile>,
    net_dev: Option<ProcFile>,
    diskstats: Option<ProcFile>,
    loadavg: Option<ProcFile>,
    pressure: [Option<ProcFile>; 3],
    buf: Vec<u8>,
    /// When each slow part was last read: devices, pressure, load.
    read_at: [Option<f64>; 3],
}

impl ProcHostProbe {
    pub fn new(proc: &ProcRoot) -> ProcHostProbe {
        let open = |rel: &str| ProcFile::open(proc.path(rel)).ok();
        ProcHostProbe {
            stat: open("stat"),
            meminfo: open("meminfo"),
            net_dev: open("net/dev"),
            diskstats: open("diskstats"),
            loadavg: open("loadavg"),
            pressure: [
                open("pressure/cpu"),
                open("pressure/memory"),
                open("pressure/io"),
            ],
            buf: Vec::with_capacity(4096),
            read_at: [None; 3],
        }
    }

    /// Whether slow part `i` is due at `now`, and if so mark it read.
    fn due(&mut self, i: usize, every: f64, now: f64, fresh: bool) -> bool {
        let due = fresh || self.read_at[i].map_or(true, |at| now - at >= every);
        if due {
            self.read_at[i] = Some(now);
        }
        due
    }

    fn read<T>(&mut self, file: Which, parse: impl Fn(&[u8]) -> Option<T>) -> Option<T> {
        let f = match file {
            Which::Stat => &self.stat,
            Which::Meminfo => &self.meminfo,
            Which::NetDev => &self.net_dev,
            Which::Diskstats => &self.diskstats,
            Which::Loadavg => &self.loadavg,
            Which::Pressure(i) => &self.pressure[i],
        };
        f.as_ref()?.read_into(&mut self.buf).ok()?;
        parse(&self.buf)
    }
}

#[derive(Clone, Copy)]
enum Which {
    Stat,
    Meminfo,
    NetDev,
    Diskstats,
    Loadavg,
    Pressure(usize),
}

impl HostProbe for ProcHostProbe {
    fn sample(&mut self, now_seconds: f64, fresh: bool) -> Option<HostSample> {
        // CPU and memory are the host's core figures: without them, no sample.
        let (cpu, per_core) = self.read(Which::Stat, parse_stat)?;
        let memory = self.read(Which::Meminfo, parse_meminfo)?;
        let devices = self
            .due(0, DEVICES_EVERY_SECONDS, now_seconds, fresh)
            .then(|| DevicesSample {
                net: self
                    .read(Which::NetDev, |b| Some(parse_net_dev(b)))
                    .unwrap_or_default(),
                disks: self
                    .read(Which::Diskstats, |b| Some(parse_diskstats(b)))
                    .unwrap_or_default(),
                read_at_seconds: now_seconds,
            });
        let pressure = self
            .due(1, PRESSURE_EVERY_SECONDS, now_seconds, fresh)
            .then(|| PressureSet {
                cpu: self.read(Which::Pressure(0), parse_pressure),
                memory: self.read(Which::Pressure(1), parse_pressure),
                io: self.read(Which::Pressure(2), parse_pressure),
                read_at_seconds: now_seconds,
            });
        let load = if self.due(2, LOAD_EVERY_SECONDS, now_seconds, fresh) {
            self.read(Which::Loadavg, parse_loadavg)
        } else {
            None
        };
        Some(HostSample {
            cpu,
            per_core,
            memory,
            devices,
            pressure,
            load,
        })
    }
}

#[cfg(test)]
#[path = "host_tests.rs"]
mod tests;
