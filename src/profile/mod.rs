//! Pure summaries: raw samples in, figures out. No OS access here.

pub mod cgroup;
pub mod gpu;
