//! `/proc/<pid>/io` (and `/proc/self/io`, `/proc/thread-self/io`): the I/O
//! counters profrun reads around the job to get the tree's exact totals.
//! The counters are [`IoSample`]; the parser is shared with the sampler's
//! per-process reader ([`parse_io`]).

use super::process::parse_io;
use super::ProcRoot;
use crate::profile::sample::IoSample;
use std::io;

/// Read `<proc>/<rel>/io`, e.g. `self`, `thread-self` or a pid.
pub fn read_io(proc: &ProcRoot, rel: &str) -> io::Result<IoSample> {
    let bytes = std::fs::read(proc.path(rel).join("io"))?;
    Ok(parse_io(&bytes))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_an_io_file_under_a_custom_root() {
        let dir = tempfile::tempdir().expect("tempdir");
        std::fs::create_dir_all(dir.path().join("self")).expect("mkdir");
        std::fs::write(
            dir.path().join("self/io"),
            "rchar: 3924\nwchar: 1218\nsyscr: 9\nsyscw: 4\nread_bytes: 4096\nwrite_bytes: 8192\ncancelled_write_bytes: 0\n",
        )
        .expect("write");
        let io = read_io(&ProcRoot(dir.path().to_path_buf()), "self").expect("read");
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
        assert!(read_io(&ProcRoot(dir.path().to_path_buf()), "4242").is_err());
    }
}
