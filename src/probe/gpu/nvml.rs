//! NVIDIA GPUs through NVML (`nvml-wrapper`, which `dlopen`s
//! `libnvidia-ml.so.1` at run time, so profrun runs where there is no
//! driver). Initialisation errors become a [`GpuAbsence`]; per-call errors
//! are sorted into "drop this figure" (not supported, missing from an old
//! driver, MIG) and "GPU sampling is over" (GPU lost, driver gone).

use std::ffi::OsStr;
use std::path::Path;
use std::time::{SystemTime, UNIX_EPOCH};

use nvml_wrapper::enum_wrappers::device::{Clock, TemperatureSensor};
use nvml_wrapper::enums::device::UsedGpuMemory;
use nvml_wrapper::error::NvmlError;
use nvml_wrapper::Nvml;

use super::{
    in_tree, DroppedFigure, GpuAbsence, GpuDeviceInfo, GpuDeviceSample, GpuEnergySample, GpuError,
    GpuProbe, GpuProcessSample, GpuTick, NoGpu,
};

/// An initialised NVML and the devices it saw at start.
pub struct NvmlProbe {
    nvml: Nvml,
    devices: Vec<GpuDeviceInfo>,
    dropped: Vec<DroppedFigure>,
    /// Per device: the newest `process_utilization_stats` timestamp seen
    /// (µs since the epoch), so each tick reads only new samples.
    last_seen_us: Vec<u64>,
}

/// Paths of which at least one exists wherever NVML can work: the control
/// device (native Linux, and containers given GPUs), WSL2's GPU device, the
/// loaded kernel module, or the driver's tools, whose own library may load
/// the module on first use. Where none exists, `dlopen` would only search
/// ~40 library folders in vain (0.5–0.8 ms of CPU on every run).
pub const DRIVER_SIGNS: [&str; 5] = [
    "/dev/nvidiactl",
    "/dev/dxg",
    "/proc/driver/nvidia",
    "/usr/bin/nvidia-smi",
    "/usr/bin/nvidia-modprobe",
];

/// Whether any of [`DRIVER_SIGNS`] exists under `root` (`/`, or a fixture).
pub fn driver_present(root: &Path) -> bool {
    DRIVER_SIGNS
        .iter()
        .any(|p| root.join(p.trim_start_matches('/')).exists())
}

/// `NvmlProbe::open`, or the reason there is none (the init thread's body).
pub fn open_boxed() -> Box<dyn GpuProbe> {
    match NvmlProbe::open() {
        Ok(probe) => Box::new(probe),
        Err(why) => Box::new(NoGpu(why)),
    }
}

impl NvmlProbe {
    /// Load `libnvidia-ml.so.1` and initialise NVML (milliseconds: keep it
    /// off the spawn path, see `GpuMonitor::start_nvml`).
    pub fn open() -> Result<NvmlProbe, GpuAbsence> {
        if !driver_present(Path::new("/")) {
            return Err(GpuAbsence::NoDriver);
        }
        NvmlProbe::from_init(Nvml::init())
    }

    /// The same with another library path.
    pub fn open_library(path: &OsStr) -> Result<NvmlProbe, GpuAbsence> {
        NvmlProbe::from_init(Nvml::builder().lib_path(path).init())
    }

    fn from_init(init: Result<Nvml, NvmlError>) -> Result<NvmlProbe, GpuAbsence> {
        let nvml = init.map_err(classify_init_error)?;
        let count = nvml.device_count().map_err(classify_init_error)?;
        if count == 0 {
            return Err(GpuAbsence::NoDevices);
        }
        let driver = nvml.sys_driver_version().ok();
        let devices = (0..count)
            .map(|index| {
                let dev = nvml.device_by_index(index).ok();
                GpuDeviceInfo {
                    index,
                    name: dev.as_ref().and_then(|d| d.name().ok()),
                    uuid: dev.as_ref().and_then(|d| d.uuid().ok()),
                    driver_version: driver.clone(),
                }
            })
            .collect();
        // Utilisation samples older than now belong to someone else's past.
        let now_us = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_micros() as u64);
        Ok(NvmlProbe {
            nvml,
            devices,
            dropped: Vec::new(),
            last_seen_us: vec![now_us; count as usize],
        })
    }
}

/// Why NVML could not start.
pub fn classify_init_error(err: NvmlError) -> GpuAbsence {
    match err {
        NvmlError::LibloadingError(e) => GpuAbsence::LibraryMissing(e.to_string()),
        NvmlError::LibraryNotFound => GpuAbsence::LibraryMissing(err.to_string()),
        NvmlError::FailedToLoadSymbol(s) => GpuAbsence::LibraryTooOld(s),
        NvmlError::FunctionNotFound => GpuAbsence::LibraryTooOld(err.to_string()),
        NvmlError::DriverNotLoaded => GpuAbsence::DriverNotLoaded,
        NvmlError::NoPermission => GpuAbsence::NoPermission,
        NvmlError::LibRmVersionMismatch => GpuAbsence::VersionMismatch,
        other => GpuAbsence::Other(other.to_string()),
    }
}

/// Whether a failed call only loses its figure. Everything else (GPU lost,
/// reset required, driver gone, uninitialised) ends GPU sampling.
pub fn drops_figure_only(err: &NvmlError) -> bool {
    matches!(
        err,
        NvmlError::NotSupported
            | NvmlError::FailedToLoadSymbol(_)
            | NvmlError::FunctionNotFound
            | NvmlError::NoPermission
            | NvmlError::NotFound
            | NvmlError::NoData
            | NvmlError::InvalidArg
            | NvmlError::InsufficientSize(_)
            | NvmlError::UnexpectedVariant(_)
            | NvmlError::Utf8Error(_)
            | NvmlError::IncorrectBits(_)
            | NvmlError::Unknown
    )
}

/// Call `f` for one figure of device `index`, unless that figure was
/// dropped before. A figure-only failure drops it for the rest of the run.
pub fn figure<T>(
    dropped: &mut Vec<DroppedFigure>,
    index: u32,
    name: &'static str,
    f: impl FnOnce() -> Result<T, NvmlError>,
) -> Result<Option<T>, GpuError> {
    if dropped.iter().any(|d| d.index == index && d.figure == name) {
        return Ok(None);
    }
    match f() {
        Ok(v) => Ok(Some(v)),
        Err(e) if drops_figure_only(&e) => {
            dropped.push(DroppedFigure {
                index,
                figure: name,
                reason: e.to_string(),
            });
            Ok(None)
        }
        Err(e) => Err(GpuError(format!("gpu {index}: {name}: {e}"))),
    }
}

fn used(m: &UsedGpuMemory) -> Option<u64> {
    match m {
        UsedGpuMemory::Used(b) => Some(*b),
        UsedGpuMemory::Unavailable => None,
    }
}

impl GpuProbe for NvmlProbe {
    fn backend(&self) -> &'static str {
        "nvml"
    }

    fn devices(&self) -> &[GpuDeviceInfo] {
        &self.devices
    }

    fn sample(&mut self, tree_pids: &[i32]) -> Result<GpuTick, GpuError> {
        let mut tick = GpuTick {
            devices: Vec::with_capacity(self.devices.len()),
        };
        for (slot, info) in self.devices.iter().enumerate() {
            let i = info.index;
            let dev = self
                .nvml
                .device_by_index(i)
                .map_err(|e| GpuError(format!("gpu {i}: {e}")))?;
            let d = &mut self.dropped;
            let util = figure(d, i, "gpu_utilization_percent", || dev.utilization_rates())?;
            let mem = figure(d, i, "memory_used_mb", || dev.memory_info())?;
            let mut s = GpuDeviceSample {
                index: i,
                gpu_utilization_percent: util.as_ref().map(|u| u.gpu),
                memory_utilization_percent: util.as_ref().map(|u| u.memory),
                memory_used_bytes: mem.as_ref().map(|m| m.used),
                memory_total_bytes: mem.as_ref().map(|m| m.total),
                power_milliwatts: figure(d, i, "power_watts", || dev.power_usage())?,
                temperature_celsius: figure(d, i, "temperature_celsius", || {
                    dev.temperature(TemperatureSensor::Gpu)
                })?,
                sm_clock_mhz: figure(d, i, "sm_clock_mhz", || dev.clock_info(Clock::SM))?,
                processes: Vec::new(),
            };
            let compute = figure(d, i, "compute_processes", || {
                dev.running_compute_processes()
            })?;
            let graphics = figure(d, i, "graphics_processes", || {
                dev.running_graphics_processes()
            })?;
            for p in compute.iter().chain(graphics.iter()).flatten() {
                let Some(pid) = in_tree(p.pid, tree_pids) else {
                    continue;
                };
                let mem = used(&p.used_gpu_memory);
                match s.processes.iter_mut().find(|q| q.pid == pid) {
                    // In both lists: the same memory, reported twice.
                    Some(q) => q.memory_used_bytes = q.memory_used_bytes.max(mem),
                    None => s.processes.push(GpuProcessSample {
                        pid,
                        memory_used_bytes: mem,
                        sm_utilization_percent: None,
                    }),
                }
            }
            let since = self.last_seen_us[slot];
            let utils = figure(d, i, "process_sm_utilization_percent", || {
                match dev.process_utilization_stats(since) {
                    Err(NvmlError::NotFound) => Ok(Vec::new()), // no samples yet
                    other => other,
                }
            })?;
            let mut sums: Vec<(i32, u64, u64)> = Vec::new();
            for u in utils.iter().flatten() {
                self.last_seen_us[slot] = self.last_seen_us[slot].max(u.timestamp);
                let Some(pid) = in_tree(u.pid, tree_pids) else {
                    continue;
                };
                match sums.iter_mut().find(|e| e.0 == pid) {
                    Some(e) => {
                        e.1 += u64::from(u.sm_util);
                        e.2 += 1;
                    }
                    None => sums.push((pid, u64::from(u.sm_util), 1)),
                }
            }
            for (pid, sum, n) in sums {
                let mean = u32::try_from(sum / n).unwrap_or(u32::MAX);
                match s.processes.iter_mut().find(|q| q.pid == pid) {
                    Some(q) => q.sm_utilization_percent = Some(mean),
                    None => s.processes.push(GpuProcessSample {
                        pid,
                        memory_used_bytes: None,
                        sm_utilization_percent: Some(mean),
                    }),
                }
            }
            tick.devices.push(s);
        }
        Ok(tick)
    }

    fn energy_mj(&mut self) -> Vec<GpuEnergySample> {
        let mut out = Vec::with_capacity(self.devices.len());
        for info in &self.devices {
            let i = info.index;
            let energy = self.nvml.device_by_index(i).ok().and_then(|dev| {
                figure(&mut self.dropped, i, "energy_joules", || {
                    dev.total_energy_consumption()
                })
                .ok()
                .flatten()
            });
            out.push(GpuEnergySample {
                index: i,
                energy_mj: energy,
            });
        }
        out
    }

    fn dropped(&self) -> Vec<DroppedFigure> {
        self.dropped.clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn init_errors_are_classified() {
        assert_eq!(
            classify_init_error(NvmlError::DriverNotLoaded),
            GpuAbsence::DriverNotLoaded
        );
        assert_eq!(
            classify_init_error(NvmlError::NoPermission),
            GpuAbsence::NoPermission
        );
        assert_eq!(
            classify_init_error(NvmlError::LibRmVersionMismatch),
            GpuAbsence::VersionMismatch
        );
        assert_eq!(
            classify_init_error(NvmlError::FailedToLoadSymbol("nvmlInit_v2".into())),
            GpuAbsence::LibraryTooOld("nvmlInit_v2".into())
        );
        assert!(matches!(
            classify_init_error(NvmlError::LibraryNotFound),
            GpuAbsence::LibraryMissing(_)
        ));
        assert!(matches!(
            classify_init_error(NvmlError::Unknown),
            GpuAbsence::Other(_)
        ));
    }

    #[test]
    fn nvml_is_loaded_only_where_a_driver_shows() {
        let root = tempfile::tempdir().expect("tempdir");
        assert!(!driver_present(root.path()));
        for sign in DRIVER_SIGNS {
            let path = root.path().join(sign.trim_start_matches('/'));
            std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
            std::fs::write(&path, "").expect("touch");
            assert!(driver_present(root.path()), "{sign}");
            std::fs::remove_file(&path).expect("rm");
        }
        assert!(GpuAbsence::NoDriver
            .reason()
            .starts_with("no NVIDIA driver (none of /dev/nvidiactl, /dev/dxg"));
    }

    #[test]
    fn a_missing_library_is_a_reason_not_an_error() {
        // A path that exists on no machine: the dlopen failure path of NVML.
        let err = NvmlProbe::open_library(OsStr::new("/nonexistent/profrun/libnvidia-ml.so.1"))
            .err()
            .expect("cannot load");
        let GpuAbsence::LibraryMissing(detail) = &err else {
            panic!("expected LibraryMissing, got {err:?}");
        };
        assert!(
            detail.contains("/nonexistent/profrun/libnvidia-ml.so.1"),
            "{detail}"
        );
        assert!(err
            .reason()
            .starts_with("NVML library (libnvidia-ml.so.1) not found"));
    }

    #[test]
    fn unsupported_figure_is_dropped_once_and_not_asked_again() {
        let mut dropped = Vec::new();
        let mut calls = 0;
        for _ in 0..3 {
            let v: Option<u32> = figure(&mut dropped, 1, "power_watts", || {
                calls += 1;
                Err(NvmlError::NotSupported)
            })
            .expect("not fatal");
            assert_eq!(v, None);
        }
        assert_eq!(calls, 1);
        assert_eq!(dropped.len(), 1);
        assert_eq!(dropped[0].figure, "power_watts");
        // The same figure of another device is still asked for.
        let v = figure(&mut dropped, 0, "power_watts", || Ok(250_000u32)).expect("ok");
        assert_eq!(v, Some(250_000));
        // A missing symbol (old driver) drops only that figure too.
        let v: Option<u64> = figure(&mut dropped, 0, "energy_joules", || {
            Err(NvmlError::FailedToLoadSymbol(
                "nvmlDeviceGetTotalEnergyConsumption".into(),
            ))
        })
        .expect("not fatal");
        assert_eq!(v, None);
    }

    #[test]
    fn lost_gpu_is_fatal_and_names_device_and_figure() {
        let mut dropped = Vec::new();
        let err = figure::<u32>(&mut dropped, 2, "temperature_celsius", || {
            Err(NvmlError::GpuLost)
        })
        .expect_err("fatal");
        assert!(
            err.0
                .starts_with("gpu 2: temperature_celsius: device fell off the bus"),
            "{err}"
        );
        assert!(dropped.is_empty());
        assert!(!drops_figure_only(&NvmlError::DriverNotLoaded));
        assert!(!drops_figure_only(&NvmlError::ResetRequired));
    }
}
