//! What the job's reaped descendants left in profrun's own counters: their
//! CPU time (`RUSAGE_CHILDREN`) and their storage I/O, which the kernel
//! folds into the reaper's `/proc/<pid>/io` when it reaps them.
//!
//! `getrusage` is cheap and read every tick. The `io` file costs about
//! 15–20 µs with the caches cold (a permission check and a walk of
//! profrun's threads), and its storage counters move only when profrun
//! reaps a child (its own threads read `/proc`, which is not storage I/O).
//! A reap always moves `RUSAGE_CHILDREN` (a child that ran at all adds CPU
//! time, page faults or context switches), so the file is re-read only when
//! that changed, and on the first and final samples.

use super::process::parse_io;
use super::procfile::ProcFile;
use super::rusage::{self, RusageSample};
use super::{ProcRoot, ReapedProbe};
use crate::sample::IoSample;

/// One reading of the reaped descendants' totals.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Reaped {
    pub cpu_seconds: f64,
    /// The system part of `cpu_seconds`.
    pub system_seconds: f64,
    /// profrun's own `/proc/<pid>/io` (reaped children's I/O included).
    pub io: IoSample,
}

/// The real reader: `RUSAGE_CHILDREN` and `/proc/<root>/io`.
pub struct ProcReapedProbe {
    io_file: Option<ProcFile>,
    rusage: Box<dyn FnMut() -> RusageSample + Send>,
    last_rusage: Option<RusageSample>,
    io: IoSample,
}

impl ProcReapedProbe {
    pub fn new(proc: &ProcRoot, root_pid: i32) -> ProcReapedProbe {
        ProcReapedProbe::with_rusage(proc, root_pid, Box::new(rusage::children))
    }

    /// With another source of `RUSAGE_CHILDREN` (fixtures).
    pub fn with_rusage(
        proc: &ProcRoot,
        root_pid: i32,
        rusage: Box<dyn FnMut() -> RusageSample + Send>,
    ) -> ProcReapedProbe {
        ProcReapedProbe {
            io_file: ProcFile::open(proc.path(&format!("{root_pid}/io"))).ok(),
            rusage,
            last_rusage: None,
            io: IoSample::default(),
        }
    }
}

impl ReapedProbe for ProcReapedProbe {
    fn sample(&mut self, fresh: bool) -> Reaped {
        let ru = (self.rusage)();
        if fresh || self.last_rusage != Some(ru) {
            self.last_rusage = Some(ru);
            let mut buf = Vec::new();
            self.io = match &self.io_file {
                Some(f) if f.read_into(&mut buf).is_ok() => parse_io(&buf),
                _ => IoSample::default(),
            };
        }
        Reaped {
            cpu_seconds: ru.user_seconds + ru.system_seconds,
            system_seconds: ru.system_seconds,
            io: self.io,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicU64, Ordering};
    use std::sync::Arc;

    fn io_text(read_bytes: u64) -> String {
        format!(
            "rchar: 1\nwchar: 2\nsyscr: 3\nsyscw: 4\nread_bytes: {read_bytes}\nwrite_bytes: 5\n"
        )
    }

    #[test]
    fn the_io_file_is_reread_only_when_a_reap_moved_rusage_or_when_fresh() {
        let dir = tempfile::tempdir().expect("tempdir");
        std::fs::create_dir(dir.path().join("100")).expect("mkdir");
        let io = dir.path().join("100/io");
        std::fs::write(&io, io_text(4096)).expect("write");
        let faults = Arc::new(AtomicU64::new(10));
        let f = faults.clone();
        let mut probe = ProcReapedProbe::with_rusage(
            &ProcRoot(dir.path().to_path_buf()),
            100,
            Box::new(move || RusageSample {
                user_seconds: 0.5,
                minor_faults: f.load(Ordering::SeqCst),
                ..RusageSample::default()
            }),
        );
        let first = probe.sample(true);
        assert_eq!((first.cpu_seconds, first.io.read_bytes), (0.5, 4096));
        std::fs::write(&io, io_text(8192)).expect("write");
        assert_eq!(probe.sample(false).io.read_bytes, 4096, "nothing reaped");
        faults.store(11, Ordering::SeqCst); // a child was reaped
        assert_eq!(probe.sample(false).io.read_bytes, 8192);
        std::fs::write(&io, io_text(9000)).expect("write");
        assert_eq!(probe.sample(true).io.read_bytes, 9000, "final sample");
    }

    #[test]
    fn reads_profruns_own_counters() {
        let mut probe = ProcReapedProbe::new(&ProcRoot::default(), std::process::id() as i32);
        let r = probe.sample(true);
        assert!(r.io.rchar > 0, "{r:?}");
    }
}
