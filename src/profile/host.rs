//! Host figures over the run: CPU busy % (total, per core, iowait), memory
//! in use, network and disk traffic, pressure stall time and load average,
//! from consecutive host samples. The host is shared, so these describe the
//! machine during the job, not the job itself.

use super::stats::{positive, rate_u64, round_to, Gauge, RateStats};
use crate::record::{
    DiskBytes, DiskStats, HostCpuStats, HostMemoryStats, InterfaceBytes, LoadAverageStats,
    NetworkStats, PressureResourceStats, PressureStats, BYTES_PER_MB,
};
use crate::sample::{
    CpuTimes, DeviceBytes, DevicesSample, HostSample, PressureSample, PressureSet,
};

/// Busy share of the CPU time between two readings, in percent; `None` when
/// no jiffy passed or a counter went backwards.
pub fn busy_percent(previous: &CpuTimes, current: &CpuTimes) -> Option<f64> {
    let total = current.total().checked_sub(previous.total())?;
    let busy = current.busy().checked_sub(previous.busy())?;
    (total > 0).then(|| (busy as f64 * 100.0 / total as f64).min(100.0))
}

fn iowait_percent(previous: &CpuTimes, current: &CpuTimes) -> Option<f64> {
    let total = current.total().checked_sub(previous.total())?;
    let iowait = current.iowait.checked_sub(previous.iowait)?;
    (total > 0).then(|| iowait as f64 * 100.0 / total as f64)
}

/// Loopback carries no traffic off the machine.
pub fn is_loopback(name: &str) -> bool {
    name == "lo"
}

/// Per-device deltas between two readings (a counter that went backwards,
/// e.g. a re-created interface, counts as zero).
fn device_deltas(first: &[DeviceBytes], last: &[DeviceBytes]) -> Vec<DeviceBytes> {
    last.iter()
        .filter_map(|l| {
            let f = first.iter().find(|f| f.name == l.name)?;
            Some(DeviceBytes {
                name: l.name.clone(),
                in_bytes: l.in_bytes.saturating_sub(f.in_bytes),
                out_bytes: l.out_bytes.saturating_sub(f.out_bytes),
            })
        })
        .collect()
}

/// Total over devices, loopback left out.
fn device_totals(devices: &[DeviceBytes], skip_loopback: bool) -> (u64, u64) {
    devices
        .iter()
        .filter(|d| !(skip_loopback && is_loopback(&d.name)))
        .fold((0, 0), |(i, o), d| (i + d.in_bytes, o + d.out_bytes))
}

#[derive(Debug, Clone, Default)]
struct MaxRates {
    in_per_second: f64,
    out_per_second: f64,
}

impl MaxRates {
    fn add(&mut self, prev: (u64, u64), cur: (u64, u64), dt: f64) {
        if let Some(r) = rate_u64(prev.0, cur.0, dt) {
            self.in_per_second = self.in_per_second.max(r);
        }
        if let Some(r) = rate_u64(prev.1, cur.1, dt) {
            self.out_per_second = self.out_per_second.max(r);
        }
    }
}

/// CPU jiffies of one reading (total and per core).
#[derive(Debug, Clone, Default)]
struct CpuReading {
    total: CpuTimes,
    per_core: Vec<CpuTimes>,
}

/// Running host figures. Samples are taken by value and only what later
/// figures need is kept: the first and latest reading of each part.
#[derive(Debug, Clone, Default)]
pub struct HostAccumulator {
    first_cpu: Option<CpuReading>,
    last_cpu: Option<(f64, CpuReading)>,
    last_memory_total_kb: u64,
    first_devices: Option<DevicesSample>,
    last_devices: Option<DevicesSample>,
    first_pressure: Option<PressureSet>,
    last_pressure: Option<PressureSet>,
    last_load: Option<[f64; 3]>,
    cpu: RateStats,
    used: Gauge,
    available: Gauge,
    cached: Gauge,
    swap_used: Gauge,
    load_1m: Gauge,
    net: MaxRates,
    disk: MaxRates,
    max_avg10: [f64; 3],
}

/// What one host sample adds to the time series.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct HostPoint {
    pub cpu_percent: Option<f64>,
    pub memory_used_bytes: u64,
}

impl HostAccumulator {
    pub fn push(&mut self, t_seconds: f64, host: HostSample) -> HostPoint {
        let kb = |v: u64| v as f64 * 1024.0;
        let mem = host.memory;
        self.used.add(kb(mem.used_kb()));
        self.available.add(kb(mem.available_kb));
        self.cached.add(kb(mem.cached_kb));
        self.swap_used.add(kb(mem.swap_used_kb()));
        self.last_memory_total_kb = mem.total_kb;

        let reading = CpuReading {
            total: host.cpu,
            per_core: host.per_core,
        };
        let mut cpu_percent = None;
        if let Some((t_prev, prev)) = &self.last_cpu {
            cpu_percent = busy_percent(&prev.total, &reading.total);
            if let Some(p) = cpu_percent {
                self.cpu.add(p, t_seconds - t_prev);
            }
        }
        if self.first_cpu.is_none() {
            self.first_cpu = Some(reading.clone());
        }
        self.last_cpu = Some((t_seconds, reading));

        if let Some(devices) = host.devices {
            if let Some(prev) = &self.last_devices {
                // Between two actual reads, over their own interval.
                let dt = devices.read_at_seconds - prev.read_at_seconds;
                self.net.add(
                    device_totals(&prev.net, true),
                    device_totals(&devices.net, true),
                    dt,
                );
                self.disk.add(
                    device_totals(&prev.disks, false),
                    device_totals(&devices.disks, false),
                    dt,
                );
            }
            if self.first_devices.is_none() {
                self.first_devices = Some(devices.clone());
            }
            self.last_devices = Some(devices);
        }
        if let Some(pressure) = host.pressure {
            let parts = [pressure.cpu, pressure.memory, pressure.io];
            for (max, p) in self.max_avg10.iter_mut().zip(parts) {
                if let Some(p) = p {
                    *max = max.max(p.some.avg10);
                }
            }
            self.first_pressure.get_or_insert(pressure);
            self.last_pressure = Some(pressure);
        }
        if let Some(load) = host.load {
            self.load_1m.add(load[0]);
            self.last_load = Some(load);
        }
        HostPoint {
            cpu_percent,
            memory_used_bytes: kb(mem.used_kb()) as u64,
        }
    }

    pub fn cpu(&self) -> Option<HostCpuStats> {
        let (first, (_, last)) = (self.first_cpu.as_ref()?, self.last_cpu.as_ref()?);
        let per_core = if first.per_core.len() == last.per_core.len() {
            first
                .per_core
                .iter()
                .zip(&last.per_core)
                .map(|(f, l)| round_to(busy_percent(f, l).unwrap_or(0.0), 2))
                .collect()
        } else {
            Vec::new() // CPUs came or went: no per-core comparison
        };
        Some(HostCpuStats {
            mean_percent: round_to(self.cpu.mean()?, 2),
            max_percent: round_to(self.cpu.max()?, 2),
            min_percent: round_to(self.cpu.min()?, 2),
            iowait_mean_percent: round_to(
                iowait_percent(&first.total, &last.total).unwrap_or(0.0),
                2,
            ),
            per_core_mean_percent: per_core,
        })
    }

    pub fn memory(&self) -> Option<HostMemoryStats> {
        let mb = |b: f64| round_to(b / BYTES_PER_MB, 3);
        Some(HostMemoryStats {
            mean_used_mb: mb(self.used.mean()?),
            max_used_mb: mb(self.used.max()?),
            min_used_mb: mb(self.used.min()?),
            total_mb: mb(self.last_memory_total_kb as f64 * 1024.0),
            min_available_mb: mb(self.available.min()?),
            max_cached_mb: mb(self.cached.max()?),
            max_swap_used_mb: mb(self.swap_used.max()?),
        })
    }

    pub fn network(&self) -> Option<NetworkStats> {
        let (first, last) = (self.first_devices.as_ref()?, self.last_devices.as_ref()?);
        if last.net.is_empty() {
            return None;
        }
        let deltas = device_deltas(&first.net, &last.net);
        let (rx, tx) = device_totals(&deltas, true);
        Some(NetworkStats {
            rx_bytes: rx,
            tx_bytes: tx,
            max_rx_bytes_per_second: self.net.in_per_second.round(),
            max_tx_bytes_per_second: self.net.out_per_second.round(),
            interfaces: deltas
                .into_iter()
                .filter(|d| d.in_bytes + d.out_bytes > 0)
                .map(|d| InterfaceBytes {
                    name: d.name,
                    rx_bytes: d.in_bytes,
                    tx_bytes: d.out_bytes,
                })
                .collect(),
        })
    }

    pub fn disk(&self) -> Option<DiskStats> {
        let (first, last) = (self.first_devices.as_ref()?, self.last_devices.as_ref()?);
        if last.disks.is_empty() {
            return None;
        }
        let deltas = device_deltas(&first.disks, &last.disks);
        let (read, write) = device_totals(&deltas, false);
        Some(DiskStats {
            read_bytes: read,
            write_bytes: write,
            max_read_bytes_per_second: self.disk.in_per_second.round(),
            max_write_bytes_per_second: self.disk.out_per_second.round(),
            devices: deltas
                .into_iter()
                .filter(|d| d.in_bytes + d.out_bytes > 0)
                .map(|d| DiskBytes {
                    name: d.name,
                    read_bytes: d.in_bytes,
                    write_bytes: d.out_bytes,
                })
                .collect(),
        })
    }

    pub fn pressure(&self) -> Option<PressureStats> {
        let (first, last) = (self.first_pressure?, self.last_pressure?);
        let wall_us = (last.read_at_seconds - first.read_at_seconds) * 1e6;
        let one = |f: Option<PressureSample>, l: Option<PressureSample>, max_avg10: f64| {
            let (f, l) = (f?, l?);
            let share = |a: u64, b: u64| {
                positive(wall_us)
                    .then(|| round_to((b.saturating_sub(a) as f64 * 100.0 / wall_us).min(100.0), 2))
            };
            Some(PressureResourceStats {
                some_percent: share(f.some.total_us, l.some.total_us).unwrap_or(0.0),
                full_percent: match (f.full, l.full) {
                    (Some(a), Some(b)) => share(a.total_us, b.total_us),
                    _ => None,
                },
                max_some_avg10_percent: round_to(max_avg10, 2),
            })
        };
        let stats = PressureStats {
            cpu: one(first.cpu, last.cpu, self.max_avg10[0]),
            memory: one(first.memory, last.memory, self.max_avg10[1]),
            io: one(first.io, last.io, self.max_avg10[2]),
        };
        (stats.cpu.is_some() || stats.memory.is_some() || stats.io.is_some()).then_some(stats)
    }

    pub fn load_average(&self) -> Option<LoadAverageStats> {
        let load = self.last_load?;
        Some(LoadAverageStats {
            mean_1m: round_to(self.load_1m.mean()?, 2),
            max_1m: round_to(self.load_1m.max()?, 2),
            min_1m: round_to(self.load_1m.min()?, 2),
            last_5m: load[1],
            last_15m: load[2],
        })
    }
}

#[cfg(test)]
#[path = "host_tests.rs"]
mod tests;
