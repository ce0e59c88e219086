//! Pure summaries: raw samples in, figures out. No OS access here: the
//! sampler feeds [`Profiler`] with [`sample::Sample`]s taken by the probes,
//! and everything a user sees (rates, means, peaks, the bounded series, the
//! per-process list) is computed by the functions below, each unit-tested
//! on hand-built samples. `gpu` and `cgroup` summarise the GPU and cgroup
//! readings the same way.

pub mod cgroup;
pub mod gpu;
pub mod host;
pub mod processes;
pub mod profiler;
pub mod sample;
pub mod series;
pub mod stats;

pub use profiler::{
    cpu_efficiency, memory_peak, tree_totals, unavailable, PeakSource, Profiler, ProfilerConfig,
    RunTotals, TreeTotals,
};

#[cfg(test)]
mod tests;
