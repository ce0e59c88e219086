//! GPUs behind one trait, [`GpuProbe`], with three implementations: NVML
//! ([`nvml::NvmlProbe`], `libnvidia-ml.so.1` loaded at run time), none
//! ([`NoGpu`], carrying the reason), and a scripted fake for tests and
//! benchmarks ([`fake::FakeGpu`]). [`GpuMonitor`] initialises NVML once on a
//! thread of its own, so the job never waits for it, and turns a mid-run
//! failure into "keep what was gathered, mark it partial".

#[cfg(any(test, feature = "testing"))]
pub mod fake;
pub mod nvml;

// The raw GPU readings live in the leaf `crate::sample::gpu`; re-exported
// so the probe's callers name them where they are produced.
pub use crate::sample::gpu::*;

use std::thread::JoinHandle;

/// A failure that ends GPU sampling for the rest of the run (GPU lost,
/// driver unloaded). Failures of single figures are not errors: the figure
/// becomes `None`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct GpuError(pub String);

/// Why there are no GPU figures: a normal state, never an error.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum GpuAbsence {
    /// `--no-gpu`.
    Disabled,
    /// No sign of an NVIDIA driver on the machine (see
    /// [`nvml::DRIVER_SIGNS`]): NVML was not even loaded.
    NoDriver,
    /// `libnvidia-ml.so.1` could not be loaded (no NVIDIA driver installed).
    LibraryMissing(String),
    /// The library lacks a function NVML needs to start (very old driver).
    LibraryTooOld(String),
    /// The library is there but the kernel driver is not loaded.
    DriverNotLoaded,
    /// NVML may not talk to the driver (device nodes, container settings).
    NoPermission,
    /// The driver and the library are different versions.
    VersionMismatch,
    /// NVML works and sees no device.
    NoDevices,
    Other(String),
}

impl GpuAbsence {
    /// The record's `gpu_stats.reason`.
    pub fn reason(&self) -> String {
        match self {
            GpuAbsence::Disabled => "disabled by --no-gpu".to_string(),
            GpuAbsence::NoDriver => format!(
                "no NVIDIA driver (none of {} exists); NVML not loaded",
                nvml::DRIVER_SIGNS.join(", ")
            ),
            GpuAbsence::LibraryMissing(detail) => {
                format!("NVML library (libnvidia-ml.so.1) not found: {detail}")
            }
            GpuAbsence::LibraryTooOld(detail) => {
                format!("NVML library too old: {detail}")
            }
            GpuAbsence::DriverNotLoaded => "NVIDIA driver not loaded".to_string(),
            GpuAbsence::NoPermission => "no permission to query the NVIDIA driver".to_string(),
            GpuAbsence::VersionMismatch => {
                "NVIDIA driver and NVML library versions differ".to_string()
            }
            GpuAbsence::NoDevices => "no NVIDIA GPU found".to_string(),
            GpuAbsence::Other(detail) => format!("NVML unavailable: {detail}"),
        }
    }
}

/// Reads GPUs. `sample` is called once per sampler tick with the job's
/// current tree; `energy_mj` at the start and the end of the run.
pub trait GpuProbe: Send {
    /// `nvml`, `fake` or `none`.
    fn backend(&self) -> &'static str;
    /// Why this probe has nothing to report, if so.
    fn absence(&self) -> Option<&GpuAbsence> {
        None
    }
    fn devices(&self) -> &[GpuDeviceInfo];
    fn sample(&mut self, tree_pids: &[i32]) -> Result<GpuTick, GpuError>;
    fn energy_mj(&mut self) -> Vec<GpuEnergySample>;
    /// Figures given up on after their first failure.
    fn dropped(&self) -> Vec<DroppedFigure> {
        Vec::new()
    }
}

/// No GPU, and why.
#[derive(Debug, Clone)]
pub struct NoGpu(pub GpuAbsence);

impl GpuProbe for NoGpu {
    fn backend(&self) -> &'static str {
        "none"
    }
    fn absence(&self) -> Option<&GpuAbsence> {
        Some(&self.0)
    }
    fn devices(&self) -> &[GpuDeviceInfo] {
        &[]
    }
    fn sample(&mut self, _tree_pids: &[i32]) -> Result<GpuTick, GpuError> {
        Ok(GpuTick::default())
    }
    fn energy_mj(&mut self) -> Vec<GpuEnergySample> {
        Vec::new()
    }
}

enum State {
    /// NVML is initialising on its own thread.
    Pending(JoinHandle<Box<dyn GpuProbe>>),
    Ready(Box<dyn GpuProbe>),
    /// Sampling ended by an error; the probe is kept for its device list.
    Stopped(Box<dyn GpuProbe>),
    Absent(GpuAbsence),
}

/// The sampler thread owns the monitor.
const _: fn() = || {
    fn send<T: Send>() {}
    send::<GpuMonitor>();
};

/// The sampler's handle on the GPUs for one run.
pub struct GpuMonitor {
    state: State,
    energy_start: Option<Vec<GpuEnergySample>>,
    error: Option<String>,
}

impl GpuMonitor {
    /// Start initialising NVML on a thread and return at once (~tens of µs;
    /// `Nvml::init` itself takes ms to hundreds of ms). Call after signals
    /// are blocked, so the thread inherits the mask.
    pub fn start_nvml() -> GpuMonitor {
        let spawned = std::thread::Builder::new()
            .name("profrun-gpu-init".into())
            .spawn(|| {
                let opened = nvml::open_boxed();
                // Loading the library reads its pages: not the job's I/O.
                super::io::count_ending_thread();
                opened
            });
        match spawned {
            Ok(handle) => GpuMonitor::with_state(State::Pending(handle)),
            Err(e) => GpuMonitor::with_state(State::Absent(GpuAbsence::Other(format!(
                "cannot start the NVML thread: {e}"
            )))),
        }
    }

    /// `--no-gpu`: NVML is never loaded.
    pub fn disabled() -> GpuMonitor {
        GpuMonitor::with_state(State::Absent(GpuAbsence::Disabled))
    }

    /// Use a given probe (the fake in tests and benchmarks).
    #[cfg(any(test, feature = "testing"))]
    pub fn from_probe(probe: Box<dyn GpuProbe>) -> GpuMonitor {
        GpuMonitor::with_state(ready_or_absent(probe))
    }

    fn with_state(state: State) -> GpuMonitor {
        GpuMonitor {
            state,
            energy_start: None,
            error: None,
        }
    }

    /// Move a finished initialisation on; `block` waits for it.
    fn poll(&mut self, block: bool) {
        if !matches!(&self.state, State::Pending(h) if block || h.is_finished()) {
            return;
        }
        let placeholder = State::Absent(GpuAbsence::NoDevices);
        if let State::Pending(handle) = std::mem::replace(&mut self.state, placeholder) {
            self.state = match handle.join() {
                Ok(probe) => ready_or_absent(probe),
                Err(_) => State::Absent(GpuAbsence::Other(
                    "the NVML initialisation thread panicked".into(),
                )),
            };
        }
    }

    /// Whether ticks can still produce readings (NVML initialising or
    /// ready); false once there is no GPU or after a failure, so the
    /// sampler can skip the per-tick work.
    pub fn is_active(&self) -> bool {
        matches!(self.state, State::Pending(_) | State::Ready(_))
    }

    /// One tick: `None` while NVML is still initialising, when there is no
    /// GPU, or after a failure (kept for the record).
    pub fn tick(&mut self, tree_pids: &[i32]) -> Option<GpuTick> {
        self.poll(false);
        let State::Ready(probe) = &mut self.state else {
            return None;
        };
        if self.energy_start.is_none() {
            self.energy_start = Some(probe.energy_mj());
        }
        match probe.sample(tree_pids) {
            Ok(tick) => Some(tick),
            Err(err) => {
                self.error = Some(err.0);
                let placeholder = State::Absent(GpuAbsence::NoDevices);
                if let State::Ready(p) = std::mem::replace(&mut self.state, placeholder) {
                    self.state = State::Stopped(p);
                }
                None
            }
        }
    }

    /// End of the run: wait for a pending initialisation, read the energy
    /// counters, and hand everything to the summary.
    pub fn finish(mut self) -> GpuRunEnd {
        self.poll(true);
        match self.state {
            State::Absent(why) => GpuRunEnd {
                unavailable: Some(why.reason()),
                ..GpuRunEnd::default()
            },
            State::Pending(_) => GpuRunEnd {
                unavailable: Some("NVML initialisation did not finish".into()),
                ..GpuRunEnd::default()
            },
            State::Ready(mut probe) | State::Stopped(mut probe) => {
                // After a failure, devices that still answer keep their
                // energy figure; a lost one reads None.
                let energy_end = match self.energy_start {
                    Some(_) => probe.energy_mj(),
                    None => Vec::new(),
                };
                end_of(
                    &*probe,
                    self.energy_start.unwrap_or_default(),
                    energy_end,
                    self.error,
                )
            }
        }
    }
}

fn ready_or_absent(probe: Box<dyn GpuProbe>) -> State {
    match probe.absence() {
        Some(why) => State::Absent(why.clone()),
        None => State::Ready(probe),
    }
}

fn end_of(
    probe: &dyn GpuProbe,
    energy_start: Vec<GpuEnergySample>,
    energy_end: Vec<GpuEnergySample>,
    error: Option<String>,
) -> GpuRunEnd {
    GpuRunEnd {
        backend: probe.backend().to_string(),
        unavailable: None,
        devices: probe.devices().to_vec(),
        energy_start,
        energy_end,
        error,
        dropped: probe.dropped(),
    }
}

/// Keep only the processes of the job's tree. NVML lists host pids; inside
/// a container with its own pid namespace they will not match.
pub fn in_tree(pid: u32, tree_pids: &[i32]) -> Option<i32> {
    let pid = i32::try_from(pid).ok()?;
    tree_pids.contains(&pid).then_some(pid)
}

#[cfg(test)]
#[path = "monitor_tests.rs"]
mod tests;
