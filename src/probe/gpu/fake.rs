//! A scripted GPU for tests and benchmarks: a list of ticks (each listing
//! every process on each device, the job's and others') and failures, played
//! in order, the last step repeating. Like NVML, it reports only the
//! processes of the tree it is given.

use super::{
    DroppedFigure, GpuDeviceInfo, GpuDeviceSample, GpuEnergySample, GpuError, GpuProbe,
    GpuProcessSample, GpuTick,
};

/// One scripted step.
#[derive(Debug, Clone)]
pub enum FakeStep {
    Tick(GpuTick),
    Fail(GpuError),
}

#[derive(Debug, Clone, Default)]
pub struct FakeGpu {
    devices: Vec<GpuDeviceInfo>,
    steps: Vec<FakeStep>,
    next: usize,
    energy: Vec<Vec<GpuEnergySample>>,
    next_energy: usize,
    dropped: Vec<DroppedFigure>,
}

impl FakeGpu {
    /// `n` devices named `Fake GPU <i>`.
    pub fn new(n: u32) -> FakeGpu {
        FakeGpu {
            devices: (0..n)
                .map(|index| GpuDeviceInfo {
                    index,
                    name: Some(format!("Fake GPU {index}")),
                    uuid: Some(format!("GPU-fake-{index:04}")),
                    driver_version: Some("0.0-fake".into()),
                })
                .collect(),
            ..FakeGpu::default()
        }
    }

    pub fn then_tick(mut self, tick: GpuTick) -> FakeGpu {
        self.steps.push(FakeStep::Tick(tick));
        self
    }

    pub fn then_fail(mut self, message: &str) -> FakeGpu {
        self.steps
            .push(FakeStep::Fail(GpuError(message.to_string())));
        self
    }

    /// Successive answers of `energy_mj` (the last repeats).
    pub fn with_energy(mut self, readings: Vec<Vec<GpuEnergySample>>) -> FakeGpu {
        self.energy = readings;
        self
    }

    pub fn with_dropped(mut self, dropped: Vec<DroppedFigure>) -> FakeGpu {
        self.dropped = dropped;
        self
    }

    /// `n` busy devices, each running `procs` processes with pids
    /// `1000 + device * procs + k`; every figure present (for benchmarks).
    pub fn busy(n: u32, procs: u32) -> FakeGpu {
        let tick = GpuTick {
            devices: (0..n)
                .map(|index| GpuDeviceSample {
                    index,
                    gpu_utilization_percent: Some(50 + index),
                    memory_utilization_percent: Some(20),
                    memory_used_bytes: Some(4 << 30),
                    memory_total_bytes: Some(80 << 30),
                    power_milliwatts: Some(300_000),
                    temperature_celsius: Some(60),
                    sm_clock_mhz: Some(1980),
                    processes: (0..procs)
                        .map(|k| GpuProcessSample {
                            pid: (1000 + index * procs + k) as i32,
                            memory_used_bytes: Some(1 << 30),
                            sm_utilization_percent: Some(40),
                        })
                        .collect(),
                })
                .collect(),
        };
        let energy = (0..n)
            .map(|index| GpuEnergySample {
                index,
                energy_mj: Some(1_000_000),
            })
            .collect();
        FakeGpu::new(n).then_tick(tick).with_energy(vec![energy])
    }
}

/// `PROFRUN_TEST_FAKE_GPU=WATTS` makes a debug binary built with the
/// `testing` doubles (the one `cargo test` runs; an optimised build never
/// reads it, even when `--examples` turned the feature on) play one
/// fake device drawing WATTS instead of loading NVML, so the real-binary
/// tests can see GPU figures on a machine without a GPU.
pub const TEST_ENV: &str = "PROFRUN_TEST_FAKE_GPU";

impl FakeGpu {
    /// The fake that [`TEST_ENV`] asks for: one device at 50 % and 1 GiB,
    /// drawing the given watts, its energy counter at 1 kJ at both ends.
    /// `None` when the variable is unset or not a number.
    pub fn from_test_env() -> Option<FakeGpu> {
        let watts: f64 = std::env::var(TEST_ENV).ok()?.trim().parse().ok()?;
        let tick = GpuTick {
            devices: vec![GpuDeviceSample {
                index: 0,
                gpu_utilization_percent: Some(50),
                memory_utilization_percent: Some(10),
                memory_used_bytes: Some(1 << 30),
                memory_total_bytes: Some(16 << 30),
                power_milliwatts: Some((watts * 1000.0).round() as u32),
                temperature_celsius: Some(50),
                sm_clock_mhz: Some(1500),
                processes: Vec::new(),
            }],
        };
        let energy = vec![GpuEnergySample {
            index: 0,
            energy_mj: Some(1_000_000),
        }];
        Some(FakeGpu::new(1).then_tick(tick).with_energy(vec![energy]))
    }
}

impl GpuProbe for FakeGpu {
    fn backend(&self) -> &'static str {
        "fake"
    }

    fn devices(&self) -> &[GpuDeviceInfo] {
        &self.devices
    }

    fn sample(&mut self, tree_pids: &[i32]) -> Result<GpuTick, GpuError> {
        let Some(step) = self.steps.get(self.next).or(self.steps.last()) else {
            return Ok(GpuTick::default());
        };
        self.next = (self.next + 1).min(self.steps.len());
        match step {
            FakeStep::Fail(e) => Err(e.clone()),
            FakeStep::Tick(t) => Ok(GpuTick {
                devices: t
                    .devices
                    .iter()
                    .map(|d| GpuDeviceSample {
                        processes: d
                            .processes
                            .iter()
                            .filter(|p| tree_pids.contains(&p.pid))
                            .copied()
                            .collect(),
                        ..d.clone()
                    })
                    .collect(),
            }),
        }
    }

    fn energy_mj(&mut self) -> Vec<GpuEnergySample> {
        let reading = self
            .energy
            .get(self.next_energy)
            .or(self.energy.last())
            .cloned()
            .unwrap_or_default();
        self.next_energy = (self.next_energy + 1).min(self.energy.len());
        reading
    }

    fn dropped(&self) -> Vec<DroppedFigure> {
        self.dropped.clone()
    }
}
