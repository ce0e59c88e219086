//! OS readers. Each takes an injectable `/proc` root where it reads files, so
//! its parser is tested on fixture files rather than on the live host.

pub mod cgroup;
pub mod gpu;
pub mod host_info;
pub mod io;
pub mod rusage;
pub mod tree;

use std::path::PathBuf;

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
