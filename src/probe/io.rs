//! `/proc/<pid>/io` (and `/proc/self/io`, `/proc/thread-self/io`): the I/O
//! counters profrun reads around the job to get the tree's exact totals.
//! The counters are [`IoSample`]; the parser is shared with the sampler's
//! per-process reader ([`parse_io`]).

use super::process::parse_io;
use super::ProcRoot;
use crate::sample::IoSample;
use std::io;
use std::os::unix::fs::FileExt;
use std::sync::Mutex;

/// The I/O of profrun's threads other than the main one and the
/// sampler's (each of which is read where it is needed), as the threads
/// noted it themselves: those that end before the run does (NVML's loader,
/// the kill timers), whose counters leave `/proc/<pid>/task` but stay in
/// `/proc/<pid>/io`, and the signal forwarder, which writes a checkpoint at
/// each signal. Noting it where it happens costs nothing on runs where
/// these threads do nothing, where a walk of `task/` cost every run.
static NOTED_OWN_IO: Mutex<Option<IoSample>> = Mutex::new(None);

fn note(io: &IoSample) {
    let mut noted = NOTED_OWN_IO.lock().unwrap_or_else(|e| e.into_inner());
    *noted = Some(noted.unwrap_or_default().plus(io));
}

/// Called last on a profrun thread that ends before the run does: its
/// whole `/proc/thread-self/io` joins [`noted_own_io`].
pub fn count_ending_thread() {
    // With this read's own cost, which its counters do not show yet.
    if let Ok((io, cost)) = read_io_once(&ProcRoot::default(), "thread-self") {
        note(&io.plus(&cost));
    }
}

/// A long-lived thread's meter: [`OwnIoMeter::note`] adds what the thread
/// did since the last call (or since `start`) to [`noted_own_io`].
pub struct OwnIoMeter {
    last: IoSample,
}

impl OwnIoMeter {
    /// On the thread to be metered, one that began after the job's I/O
    /// baseline: all it did so far (this read included) is noted.
    pub fn start() -> OwnIoMeter {
        let last = read_io_once(&ProcRoot::default(), "thread-self")
            .map(|(io, cost)| io.plus(&cost))
            .unwrap_or_default();
        note(&last);
        OwnIoMeter { last }
    }

    /// On the same thread, after it did I/O that is not the job's.
    pub fn note(&mut self) {
        if let Ok((io, cost)) = read_io_once(&ProcRoot::default(), "thread-self") {
            let now = io.plus(&cost);
            note(&now.since(&self.last));
            self.last = now;
        }
    }
}

/// The I/O profrun's other threads noted so far.
pub fn noted_own_io() -> IoSample {
    NOTED_OWN_IO
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .unwrap_or_default()
}

/// Read `<proc>/<rel>/io`, e.g. `self`, `thread-self` or a pid.
pub fn read_io(proc: &ProcRoot, rel: &str) -> io::Result<IoSample> {
    read_io_once(proc, rel).map(|(io, _)| io)
}

/// Read `<proc>/<rel>/io` with exactly one `pread`, and return the counters
/// together with what that read adds to the reader's own counters afterwards
/// (its bytes and one call): the kernel counts a read after it returns, so a
/// caller subtracting its own I/O can account for its reads exactly.
pub fn read_io_once(proc: &ProcRoot, rel: &str) -> io::Result<(IoSample, IoSample)> {
    let file = std::fs::File::open(proc.path(rel).join("io"))?;
    // The file is ~120 bytes; one read of a larger buffer returns it whole.
    let mut buf = [0u8; 1024];
    let n = file.read_at(&mut buf, 0)?;
    let cost = IoSample {
        rchar: n as u64,
        syscr: 1,
        ..IoSample::default()
    };
    Ok((parse_io(&buf[..n]), cost))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_an_io_file_under_a_custom_root_and_says_what_the_read_cost() {
        let dir = tempfile::tempdir().expect("tempdir");
        std::fs::create_dir_all(dir.path().join("self")).expect("mkdir");
        let text = "rchar: 3924\nwchar: 1218\nsyscr: 9\nsyscw: 4\nread_bytes: 4096\nwrite_bytes: 8192\ncancelled_write_bytes: 0\n";
        std::fs::write(dir.path().join("self/io"), text).expect("write");
        let root = ProcRoot(dir.path().to_path_buf());
        let (io, cost) = read_io_once(&root, "self").expect("read");
        assert_eq!(
            io,
            IoSample {
                rchar: 3924,
                wchar: 1218,
                syscr: 9,
                syscw: 4,
                read_bytes: 4096,
                write_bytes: 8192,
            }
        );
        assert_eq!((cost.rchar, cost.syscr), (text.len() as u64, 1));
        assert!(read_io(&root, "4242").is_err());
    }

    #[test]
    fn a_read_of_thread_self_io_costs_what_read_io_once_says() {
        let proc = ProcRoot::default();
        let (first, cost) = read_io_once(&proc, "thread-self").expect("read");
        let (second, _) = read_io_once(&proc, "thread-self").expect("read");
        assert_eq!(second.rchar - first.rchar, cost.rchar);
        assert_eq!(second.syscr - first.syscr, cost.syscr);
    }
}
