//! OS readers. Each takes an injectable `/proc` root where it reads files, so
//! its parser is tested on fixture files rather than on the live host.

pub mod cgroup;
pub mod gpu;
pub mod host;
pub mod host_info;
pub mod io;
pub mod process;
pub mod process_tree;
pub mod procfile;
pub mod reaped;
pub mod rusage;
pub mod tree;

use std::path::PathBuf;

use crate::sample::{HostSample, TreeSample};

/// Reads the job's process tree.
pub trait TreeProbe {
    /// Fill `out` with the tree as it is now (`now_seconds`: monotonic time
    /// since the job's start, for rate-limited reads). An error means the
    /// tree cannot be read at all; vanished processes are not errors.
    fn sample(&mut self, now_seconds: f64, out: &mut TreeSample) -> std::io::Result<()>;
}

/// Reads what the job's reaped descendants left in profrun's counters.
pub trait ReapedProbe {
    /// Read before the tree walk, so that a child reaped during the walk
    /// is missed once rather than counted twice. `fresh`: the first and
    /// final samples, where nothing may be reused.
    fn sample(&mut self, fresh: bool) -> reaped::Reaped;
}

/// Reads the host-wide files.
pub trait HostProbe {
    /// The host now (`now_seconds`: monotonic time since the job's start).
    /// Slow-moving figures may come from a recent earlier read unless
    /// `fresh` (the first and final samples). `None` when the host's
    /// figures cannot be read.
    fn sample(&mut self, now_seconds: f64, fresh: bool) -> Option<HostSample>;
}

/// Where `/proc` is mounted (the real one unless a test points elsewhere).
#[derive(Debug, Clone)]
pub struct ProcRoot(pub PathBuf);

impl Default for ProcRoot {
    fn default() -> Self {
        ProcRoot(PathBuf::from("/proc"))
    }
}

impl ProcRoot {
    pub fn path(&self, rel: &str) -> PathBuf {
        self.0.join(rel)
    }
}
