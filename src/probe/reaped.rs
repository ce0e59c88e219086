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
//!
//! The same file also counts profrun's own threads: the checkpoints and
//! alert lines the sampler's thread writes, the main thread's messages on
//! a stderr that is a file. Those are read beside it and taken out, as the
//! record's end totals take them out (`assemble::IoReadings::tree_io`), so
//! the series' and the live endpoint's I/O is the tree's alone.

use super::io::noted_own_io;
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
    /// profrun's own `/proc/<pid>/io` (reaped children's I/O included),
    /// less its own threads' storage I/O since the baseline (the other
    /// counters are taken out only when the storage ones moved).
    pub io: IoSample,
}

/// The real reader: `RUSAGE_CHILDREN` and `/proc/<root>/io`, less
/// profrun's own threads' I/O.
pub struct ProcReapedProbe {
    io_file: Option<ProcFile>,
    /// What is taken out; `None`: nothing.
    own: Option<OwnThreads>,
    rusage: Box<dyn FnMut() -> RusageSample + Send>,
    last_rusage: Option<RusageSample>,
    io: IoSample,
}

/// profrun's own threads in `/proc/<root>/io`.
struct OwnThreads {
    /// The main thread's `io` file and its counters when the process
    /// baseline was read, and this thread's (the sampler's, which began
    /// after it). The other threads note their own ([`noted_own_io`]).
    files: Vec<(ProcFile, IoSample)>,
    /// The process's counters at the baseline: while its storage bytes
    /// have not moved, no thread did storage I/O and nothing is read.
    process_baseline: IoSample,
}

impl ProcReapedProbe {
    /// `main_baseline` and `process_baseline`: the main thread's
    /// `/proc/thread-self/io` and `/proc/self/io` when the I/O baseline was
    /// read. Made on the thread that samples.
    pub fn new(
        proc: &ProcRoot,
        root_pid: i32,
        main_baseline: IoSample,
        process_baseline: IoSample,
    ) -> ProcReapedProbe {
        let files = [
            (format!("{root_pid}/task/{root_pid}/io"), main_baseline),
            ("thread-self/io".to_string(), IoSample::default()),
        ]
        .into_iter()
        .filter_map(|(rel, base)| Some((ProcFile::open(proc.path(&rel)).ok()?, base)))
        .collect();
        ProcReapedProbe {
            own: Some(OwnThreads {
                files,
                process_baseline,
            }),
            ..ProcReapedProbe::with_rusage(proc, root_pid, Box::new(rusage::children))
        }
    }

    /// With another source of `RUSAGE_CHILDREN` (fixtures), and no own
    /// threads taken out.
    pub fn with_rusage(
        proc: &ProcRoot,
        root_pid: i32,
        rusage: Box<dyn FnMut() -> RusageSample + Send>,
    ) -> ProcReapedProbe {
        ProcReapedProbe {
            io_file: ProcFile::open(proc.path(&format!("{root_pid}/io"))).ok(),
            own: None,
            rusage,
            last_rusage: None,
            io: IoSample::default(),
        }
    }

    /// `/proc/<root>/io` less what profrun's own threads did since the
    /// baseline (in its storage counters, the ones the tree's series use);
    /// `None` when the file cannot be read.
    fn read_io(&self, buf: &mut Vec<u8>) -> Option<IoSample> {
        let f = self.io_file.as_ref()?;
        f.read_into(buf).ok()?;
        let io = parse_io(buf);
        let Some(own) = &self.own else {
            return Some(io);
        };
        let base = &own.process_baseline;
        if io.read_bytes == base.read_bytes && io.write_bytes == base.write_bytes {
            return Some(io);
        }
        let mut mine = noted_own_io();
        for (file, base) in &own.files {
            if file.read_into(buf).is_ok() {
                mine = mine.plus(&parse_io(buf).since(base));
            }
        }
        Some(io.since(&mine))
    }
}

impl ReapedProbe for ProcReapedProbe {
    fn sample(&mut self, fresh: bool) -> Reaped {
        let ru = (self.rusage)();
        if fresh || self.last_rusage != Some(ru) {
            self.last_rusage = Some(ru);
            let mut buf = Vec::new();
            self.io = self.read_io(&mut buf).unwrap_or_default();
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
    fn profruns_own_threads_are_taken_out_of_its_counters_since_the_baseline() {
        let dir = tempfile::tempdir().expect("tempdir");
        let write = |rel: &str, write_bytes: u64| {
            let path = dir.path().join(rel);
            std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
            let text = format!(
                "rchar: 0\nwchar: 0\nsyscr: 0\nsyscw: 0\nread_bytes: 0\nwrite_bytes: {write_bytes}\n"
            );
            std::fs::write(path, text).expect("write");
        };
        // The process: its main thread's writes and a reaped child's 1 000 000.
        write("100/io", 1_000_000 + 40_000);
        // The main thread wrote 40 000, of which 30 000 before the baseline.
        write("100/task/100/io", 40_000);
        let main_baseline = IoSample {
            write_bytes: 30_000,
            ..IoSample::default()
        };
        let root = ProcRoot(dir.path().to_path_buf());
        let mut probe = ProcReapedProbe::new(&root, 100, main_baseline, IoSample::default());
        let got = probe.sample(true).io.write_bytes;
        // What this test binary's other threads noted counts as profrun's own.
        let noted = noted_own_io().write_bytes;
        assert_eq!(got, (1_000_000u64 + 30_000).saturating_sub(noted));
        // Without its threads taken out, all of it.
        let mut whole = ProcReapedProbe::with_rusage(&root, 100, Box::new(rusage::children));
        assert_eq!(whole.sample(true).io.write_bytes, 1_040_000);
        // Storage counters where the baseline left them: nothing to take out
        // and nothing else read.
        let still = IoSample {
            write_bytes: 1_040_000,
            ..IoSample::default()
        };
        let mut quiet = ProcReapedProbe::new(&root, 100, main_baseline, still);
        assert_eq!(quiet.sample(true).io.write_bytes, 1_040_000);
    }
}
