//! `/proc/<pid>/io` (and `/proc/thread-self/io`): I/O counters.

use super::ProcRoot;
use crate::profile::sample::IoSample;
use std::io;

/// Cumulative I/O counters of a process (or thread).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct IoCounters {
    pub rchar: u64,
    pub wchar: u64,
    pub syscr: u64,
    pub syscw: u64,
    pub read_bytes: u64,
    pub write_bytes: u64,
    pub cancelled_write_bytes: u64,
}

impl IoCounters {
    /// Parse the text of an `io` file; unknown lines are ignored.
    pub fn parse(text: &str) -> IoCounters {
        let mut c = IoCounters::default();
        for line in text.lines() {
            let Some((key, value)) = line.split_once(':') else {
                continue;
            };
            let Ok(v) = value.trim().parse::<u64>() else {
                continue;
            };
            match key {
                "rchar" => c.rchar = v,
                "wchar" => c.wchar = v,
                "syscr" => c.syscr = v,
                "syscw" => c.syscw = v,
                "read_bytes" => c.read_bytes = v,
                "write_bytes" => c.write_bytes = v,
                "cancelled_write_bytes" => c.cancelled_write_bytes = v,
                _ => {}
            }
        }
        c
    }

    /// `self + other` (e.g. the I/O of two of profrun's threads).
    pub fn plus(&self, other: &IoSample) -> IoCounters {
        IoCounters {
            rchar: self.rchar + other.rchar,
            wchar: self.wchar + other.wchar,
            syscr: self.syscr + other.syscr,
            syscw: self.syscw + other.syscw,
            read_bytes: self.read_bytes + other.read_bytes,
            write_bytes: self.write_bytes + other.write_bytes,
            cancelled_write_bytes: self.cancelled_write_bytes,
        }
    }

    /// The counters the sampler's profile uses.
    pub fn to_sample(&self) -> IoSample {
        IoSample {
            rchar: self.rchar,
            wchar: self.wchar,
            syscr: self.syscr,
            syscw: self.syscw,
            read_bytes: self.read_bytes,
            write_bytes: self.write_bytes,
        }
    }

    /// `self - earlier`, clamped at zero field by field.
    pub fn since(&self, earlier: &IoCounters) -> IoCounters {
        IoCounters {
            rchar: self.rchar.saturating_sub(earlier.rchar),
            wchar: self.wchar.saturating_sub(earlier.wchar),
            syscr: self.syscr.saturating_sub(earlier.syscr),
            syscw: self.syscw.saturating_sub(earlier.syscw),
            read_bytes: self.read_bytes.saturating_sub(earlier.read_bytes),
            write_bytes: self.write_bytes.saturating_sub(earlier.write_bytes),
            cancelled_write_bytes: self
                .cancelled_write_bytes
                .saturating_sub(earlier.cancelled_write_bytes),
        }
    }
}

/// Read `<proc>/<rel>/io`, e.g. `self`, `thread-self` or a pid.
pub fn read_io(proc: &ProcRoot, rel: &str) -> io::Result<IoCounters> {
    let text = std::fs::read_to_string(proc.path(rel).join("io"))?;
    Ok(IoCounters::parse(&text))
}

#[cfg(test)]
mod tests {
    use super::*;

    const SAMPLE: &str = "rchar: 3924\nwchar: 1218\nsyscr: 9\nsyscw: 4\nread_bytes: 4096\nwrite_bytes: 8192\ncancelled_write_bytes: 0\n";

    #[test]
    fn parses_every_field() {
        let c = IoCounters::parse(SAMPLE);
        assert_eq!(
            c,
            IoCounters {
                rchar: 3924,
                wchar: 1218,
                syscr: 9,
                syscw: 4,
                read_bytes: 4096,
                write_bytes: 8192,
                cancelled_write_bytes: 0
            }
        );
    }

    #[test]
    fn since_never_goes_negative() {
        let later = IoCounters::parse(SAMPLE);
        let earlier = IoCounters {
            rchar: 10_000,
            ..Default::default()
        };
        assert_eq!(later.since(&earlier).rchar, 0);
        assert_eq!(later.since(&earlier).wchar, 1218);
    }
}
