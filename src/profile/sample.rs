//! The profiler's input: one tick of the sampler, the raw readings of
//! [`crate::sample`] put together with a monotonic timestamp.

use crate::sample::{HostSample, IoSample, TreeSample};

/// One tick of the sampler.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Sample {
    /// Monotonic seconds since the job was spawned.
    pub t_seconds: f64,
    /// profrun's own `RUSAGE_CHILDREN` user+system seconds: the CPU of every
    /// descendant reaped so far, read before the tree walk.
    pub reaped_cpu_seconds: f64,
    /// The system part of `reaped_cpu_seconds`.
    pub reaped_system_seconds: f64,
    /// profrun's own `/proc/self/io`, cumulative, read with the above. It
    /// includes every reaped descendant's I/O (the kernel folds a child's
    /// counters into its parent's when it reaps it).
    pub reaped_io: IoSample,
    pub tree: TreeSample,
    /// `None` when the host files could not be read.
    pub host: Option<HostSample>,
    /// The GPU part of this tick's series point (`None` without a GPU).
    pub gpu: Option<super::gpu::GpuSeriesPoint>,
    /// The power draw of the devices that point describes (`None` without
    /// a GPU or a power figure).
    pub gpu_power_watts: Option<f64>,
}
