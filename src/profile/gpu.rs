//! GPU ticks → `gpu_stats` and the GPU time-series columns. Pure: the
//! sampler pushes each tick into a [`GpuStatsBuilder`] (constant memory per
//! device and per GPU process, no tick is stored) and keeps one
//! [`GpuSeriesPoint`] per series point, merged by its own downsampler.
//!
//! The seed's `nvidia` summary describes the devices the job used: those on
//! which NVML listed a process of its tree at least once. When none can be
//! attributed (the job never touched a GPU, or NVML's host pids do not match
//! a container's), it describes all devices and says so (`scope`).

use std::collections::BTreeMap;

use super::stats::Gauge;
use crate::record::{
    GpuDeviceRecord, GpuProcessRecord, GpuStatsRecord, GpuTimeseriesColumns, NvidiaSummaryRecord,
    BYTES_PER_MB,
};
use crate::sample::gpu::{GpuDeviceSample, GpuEnergySample, GpuRunEnd, GpuTick};

/// At most this many (pid, device) pairs are followed; a job starting more
/// GPU processes than this keeps the first ones.
const MAX_PROCESSES: usize = 1024;
/// The record lists at most this many processes, largest GPU memory first.
const MAX_PROCESS_RECORDS: usize = 50;

#[derive(Debug, Clone, Default)]
struct DeviceAcc {
    util: Gauge,
    mem_util: Gauge,
    mem_used_mb: Gauge,
    mem_total_mb: Option<f64>,
    temp: Gauge,
    power_w: Gauge,
    clock: Gauge,
    used_by_job: bool,
}

#[derive(Debug, Clone, Default)]
struct ProcessAcc {
    mem_peak_mb: Option<f64>,
    sm: Gauge,
    samples: u64,
}

/// Accumulates GPU ticks for one run.
#[derive(Debug, Clone, Default)]
pub struct GpuStatsBuilder {
    devices: BTreeMap<u32, DeviceAcc>,
    processes: BTreeMap<(i32, u32), ProcessAcc>,
    ticks: u64,
}

fn mb(bytes: Option<u64>) -> Option<f64> {
    bytes.map(|b| b as f64 / BYTES_PER_MB)
}

fn f(v: Option<u32>) -> Option<f64> {
    v.map(f64::from)
}

/// Three decimals are plenty and keep records short.
fn r3(v: Option<f64>) -> Option<f64> {
    v.map(|x| (x * 1000.0).round() / 1000.0)
}

impl GpuStatsBuilder {
    pub fn new() -> GpuStatsBuilder {
        GpuStatsBuilder::default()
    }

    pub fn push(&mut self, tick: &GpuTick) {
        self.ticks += 1;
        for d in &tick.devices {
            let acc = self.devices.entry(d.index).or_default();
            acc.util.add_some(f(d.gpu_utilization_percent));
            acc.mem_util.add_some(f(d.memory_utilization_percent));
            acc.mem_used_mb.add_some(mb(d.memory_used_bytes));
            acc.mem_total_mb = mb(d.memory_total_bytes).or(acc.mem_total_mb);
            acc.temp.add_some(f(d.temperature_celsius));
            acc.power_w
                .add_some(d.power_milliwatts.map(|mw| f64::from(mw) / 1000.0));
            acc.clock.add_some(f(d.sm_clock_mhz));
            acc.used_by_job |= !d.processes.is_empty();
            for p in &d.processes {
                let key = (p.pid, d.index);
                if self.processes.len() >= MAX_PROCESSES && !self.processes.contains_key(&key) {
                    continue;
                }
                let pa = self.processes.entry(key).or_default();
                pa.samples += 1;
                pa.sm.add_some(f(p.sm_utilization_percent));
                if let Some(m) = mb(p.memory_used_bytes) {
                    pa.mem_peak_mb = Some(pa.mem_peak_mb.map_or(m, |old| old.max(m)));
                }
            }
        }
    }

    /// The `gpu_stats` block.
    pub fn finish(self, end: &GpuRunEnd) -> GpuStatsRecord {
        if let Some(reason) = &end.unavailable {
            return GpuStatsRecord::unavailable(reason);
        }
        let energy = |list: &[GpuEnergySample], index: u32| {
            list.iter()
                .find(|e| e.index == index)
                .and_then(|e| e.energy_mj)
        };
        let mut indices: Vec<u32> = end.devices.iter().map(|d| d.index).collect();
        indices.extend(self.devices.keys().copied());
        indices.sort_unstable();
        indices.dedup();
        let empty = DeviceAcc::default();
        let devices: Vec<GpuDeviceRecord> = indices
            .iter()
            .map(|&index| {
                let info = end.devices.iter().find(|d| d.index == index);
                let acc = self.devices.get(&index).unwrap_or(&empty);
                let energy_joules = match (
                    energy(&end.energy_start, index),
                    energy(&end.energy_end, index),
                ) {
                    // A counter that went backwards (driver reload) gives no figure.
                    (Some(s), Some(e)) if e >= s => Some((e - s) as f64 / 1000.0),
                    _ => None,
                };
                GpuDeviceRecord {
                    index,
                    name: info.and_then(|i| i.name.clone()),
                    uuid: info.and_then(|i| i.uuid.clone()),
                    driver_version: info.and_then(|i| i.driver_version.clone()),
                    used_by_job: acc.used_by_job,
                    gpu_utilization_mean_percent: r3(acc.util.mean()),
                    gpu_utilization_max_percent: acc.util.max(),
                    memory_utilization_mean_percent: r3(acc.mem_util.mean()),
                    memory_used_mean_mb: r3(acc.mem_used_mb.mean()),
                    memory_used_max_mb: r3(acc.mem_used_mb.max()),
                    memory_total_mb: r3(acc.mem_total_mb),
                    temperature_mean_celsius: r3(acc.temp.mean()),
                    temperature_max_celsius: acc.temp.max(),
                    power_mean_watts: r3(acc.power_w.mean()),
                    power_max_watts: r3(acc.power_w.max()),
                    sm_clock_mean_mhz: r3(acc.clock.mean()),
                    sm_clock_max_mhz: acc.clock.max(),
                    energy_joules: r3(energy_joules),
                    figures_unavailable: end
                        .dropped
                        .iter()
                        .filter(|d| d.index == index)
                        .map(|d| format!("{}: {}", d.figure, d.reason))
                        .collect(),
                }
            })
            .collect();
        let sum = |v: Vec<Option<f64>>| -> Option<f64> {
            let present: Vec<f64> = v.into_iter().flatten().collect();
            (!present.is_empty()).then(|| present.iter().sum())
        };
        GpuStatsRecord {
            available: true,
            reason: None,
            backend: Some(end.backend.clone()),
            partial: Some(end.error.is_some()),
            error: end.error.clone(),
            samples_collected: Some(self.ticks),
            nvidia: nvidia_summary(&self.devices),
            energy_joules: r3(sum(devices.iter().map(|d| d.energy_joules).collect())),
            power_mean_watts: r3(sum(devices.iter().map(|d| d.power_mean_watts).collect())),
            processes: process_records(self.processes),
            devices,
        }
    }
}

fn nvidia_summary(devices: &BTreeMap<u32, DeviceAcc>) -> Option<NvidiaSummaryRecord> {
    if devices.is_empty() {
        return None;
    }
    let used: Vec<&DeviceAcc> = devices.values().filter(|d| d.used_by_job).collect();
    let (scope, counted) = if used.is_empty() {
        ("all_devices", devices.values().collect::<Vec<_>>())
    } else {
        ("used_by_job", used)
    };
    let mean_of = |get: &dyn Fn(&DeviceAcc) -> Option<f64>| {
        let v: Vec<f64> = counted.iter().filter_map(|d| get(d)).collect();
        (!v.is_empty()).then(|| v.iter().sum::<f64>() / v.len() as f64)
    };
    let sum_of = |get: &dyn Fn(&DeviceAcc) -> Option<f64>| {
        let v: Vec<f64> = counted.iter().filter_map(|d| get(d)).collect();
        (!v.is_empty()).then(|| v.iter().sum::<f64>())
    };
    let max_of = |get: &dyn Fn(&DeviceAcc) -> Option<f64>| {
        counted.iter().filter_map(|d| get(d)).reduce(f64::max)
    };
    Some(NvidiaSummaryRecord {
        scope: scope.to_string(),
        device_count: counted.len(),
        gpu_utilization_percent: r3(mean_of(&|d| d.util.mean())),
        gpu_utilization_max_percent: max_of(&|d| d.util.max()),
        memory_utilization_percent: r3(mean_of(&|d| d.mem_util.mean())),
        memory_utilization_max_percent: max_of(&|d| d.mem_util.max()),
        memory_used_mb: r3(sum_of(&|d| d.mem_used_mb.mean())),
        memory_used_max_mb: r3(sum_of(&|d| d.mem_used_mb.max())),
        memory_total_mb: r3(sum_of(&|d| d.mem_total_mb)),
        temperature_celsius: r3(mean_of(&|d| d.temp.mean())),
        temperature_max_celsius: max_of(&|d| d.temp.max()),
    })
}

fn process_records(processes: BTreeMap<(i32, u32), ProcessAcc>) -> Vec<GpuProcessRecord> {
    let mut out: Vec<GpuProcessRecord> = processes
        .into_iter()
        .map(|((pid, device_index), p)| GpuProcessRecord {
            pid,
            device_index,
            gpu_memory_peak_mb: r3(p.mem_peak_mb),
            sm_utilization_mean_percent: r3(p.sm.mean()),
            sm_utilization_max_percent: p.sm.max(),
            samples: p.samples,
        })
        .collect();
    out.sort_by(|a, b| {
        let key = |r: &GpuProcessRecord| r.gpu_memory_peak_mb.unwrap_or(-1.0);
        key(b).total_cmp(&key(a)).then(a.pid.cmp(&b.pid))
    });
    out.truncate(MAX_PROCESS_RECORDS);
    out
}

/// The GPU part of one time-series point.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct GpuSeriesPoint {
    pub gpu_utilization_percent: Option<f64>,
    pub gpu_memory_used_mb: Option<f64>,
}

/// The point for one tick: over the devices the job has a process on now,
/// or over all devices when it has none.
pub fn series_point(tick: &GpuTick) -> GpuSeriesPoint {
    let counted = counted_devices(tick);
    let utils: Vec<f64> = counted
        .iter()
        .filter_map(|d| f(d.gpu_utilization_percent))
        .collect();
    let mems: Vec<f64> = counted
        .iter()
        .filter_map(|d| mb(d.memory_used_bytes))
        .collect();
    GpuSeriesPoint {
        gpu_utilization_percent: (!utils.is_empty())
            .then(|| utils.iter().sum::<f64>() / utils.len() as f64),
        gpu_memory_used_mb: (!mems.is_empty()).then(|| mems.iter().sum()),
    }
}

/// The devices a tick's figures describe: those the job has a process on
/// now, or all of them when it has none.
fn counted_devices(tick: &GpuTick) -> Vec<&GpuDeviceSample> {
    let busy: Vec<_> = tick
        .devices
        .iter()
        .filter(|d| !d.processes.is_empty())
        .collect();
    if busy.is_empty() {
        tick.devices.iter().collect()
    } else {
        busy
    }
}

/// The power draw of the tick's counted devices together (watts); `None`
/// when none of them reports one.
pub fn power_watts(tick: &GpuTick) -> Option<f64> {
    let watts: Vec<f64> = counted_devices(tick)
        .iter()
        .filter_map(|d| d.power_milliwatts)
        .map(|mw| f64::from(mw) / 1000.0)
        .collect();
    (!watts.is_empty()).then(|| watts.iter().sum())
}

/// The energy the sampled power draw adds up to while the job runs: the
/// trapezoid between consecutive readings. An interval next to a tick
/// without a reading is left out, so the total never goes down (it is a
/// Prometheus counter) and never guesses. The record's `energy_joules`
/// comes from the devices' own energy counters at both ends instead.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct EnergyIntegral {
    last: Option<(f64, f64)>,
    joules: Option<f64>,
}

impl EnergyIntegral {
    /// Fold in the reading at `t_seconds` (`None`: no power figure this
    /// tick); the total so far, `None` until a first reading.
    pub fn push(&mut self, t_seconds: f64, watts: Option<f64>) -> Option<f64> {
        if let Some(w) = watts {
            let joules = self.joules.get_or_insert(0.0);
            if let Some((t0, w0)) = self.last {
                if t_seconds > t0 {
                    *joules += (w0 + w) / 2.0 * (t_seconds - t0);
                }
            }
        }
        self.last = watts.map(|w| (t_seconds, w));
        self.joules
    }
}

impl GpuSeriesPoint {
    /// Merge two adjacent points covering `a_seconds` and `b_seconds`:
    /// time-weighted mean for utilisation, max for memory.
    pub fn merge(self, a_seconds: f64, other: GpuSeriesPoint, b_seconds: f64) -> GpuSeriesPoint {
        let util = match (self.gpu_utilization_percent, other.gpu_utilization_percent) {
            (Some(a), Some(b)) if a_seconds + b_seconds > 0.0 => {
                Some((a * a_seconds + b * b_seconds) / (a_seconds + b_seconds))
            }
            (Some(a), Some(b)) => Some((a + b) / 2.0),
            (a, b) => a.or(b),
        };
        let mem = match (self.gpu_memory_used_mb, other.gpu_memory_used_mb) {
            (Some(a), Some(b)) => Some(a.max(b)),
            (a, b) => a.or(b),
        };
        GpuSeriesPoint {
            gpu_utilization_percent: util,
            gpu_memory_used_mb: mem,
        }
    }
}

/// The columns for `detailed_profile.timeseries` (same length as `points`).
pub fn series_columns(points: &[Option<GpuSeriesPoint>]) -> GpuTimeseriesColumns {
    let round1 = |v: Option<f64>| v.map(|x| (x * 10.0).round() / 10.0);
    GpuTimeseriesColumns {
        gpu_utilization_percent: points
            .iter()
            .map(|p| round1(p.and_then(|p| p.gpu_utilization_percent)))
            .collect(),
        gpu_memory_used_mb: points
            .iter()
            .map(|p| round1(p.and_then(|p| p.gpu_memory_used_mb)))
            .collect(),
    }
}

#[cfg(test)]
#[path = "gpu_tests.rs"]
mod tests;
