//! Reading the job's leaf: exact tree CPU, memory now and at its peak, block
//! I/O bytes and OOM kills. The files are opened once and read with `pread`
//! (about 2× cheaper than open/read/close, MEASUREMENTS.md), so the sampler
//! can read `memory_current_bytes` every tick.

use std::fs::File;
use std::os::unix::fs::FileExt;
use std::path::Path;

use super::leaf::LeafDir;
use super::parse;
use crate::sample::cgroup::{CgroupBackend, CgroupSample};

/// Open interface files of one leaf. Files a kernel lacks stay `None`.
#[derive(Debug, Default)]
pub struct CgroupReader {
    backend: Option<CgroupBackend>,
    memory_current: Option<File>,
    memory_peak: Option<File>,
    /// v2 `cpu.stat`, or v1 `cpuacct.usage`.
    cpu: Option<File>,
    cpu_user: Option<File>,
    cpu_system: Option<File>,
    io: Option<File>,
    oom: Option<File>,
    procs: Option<File>,
}

fn open(dir: &Path, name: &str) -> Option<File> {
    File::open(dir.join(name)).ok()
}

impl CgroupReader {
    pub(super) fn open(backend: CgroupBackend, dirs: &[LeafDir]) -> CgroupReader {
        let mut r = CgroupReader {
            backend: Some(backend),
            ..CgroupReader::default()
        };
        r.procs = dirs.first().and_then(|d| open(&d.path, "cgroup.procs"));
        let v2 = backend != CgroupBackend::V1;
        for d in dirs {
            let p = d.path.as_path();
            if d.memory {
                if v2 {
                    r.memory_current = open(p, "memory.current");
                    r.memory_peak = open(p, "memory.peak");
                    r.oom = open(p, "memory.events");
                } else {
                    r.memory_current = open(p, "memory.usage_in_bytes");
                    r.memory_peak = open(p, "memory.max_usage_in_bytes");
                    r.oom = open(p, "memory.oom_control");
                }
            }
            if d.cpu {
                if v2 {
                    r.cpu = open(p, "cpu.stat");
                } else {
                    r.cpu = open(p, "cpuacct.usage");
                    r.cpu_user = open(p, "cpuacct.usage_user");
                    r.cpu_system = open(p, "cpuacct.usage_sys");
                }
            }
            if d.io {
                r.io = if v2 {
                    open(p, "io.stat")
                } else {
                    open(p, "blkio.throttle.io_service_bytes")
                };
            }
        }
        r
    }

    /// Whether the kernel keeps the leaf's memory peak itself (v2
    /// `memory.peak`, v1 `memory.max_usage_in_bytes`): the sampler then
    /// need not track it by reading `memory_current_bytes` every tick.
    pub fn keeps_memory_peak(&self) -> bool {
        self.memory_peak.is_some()
    }

    /// Memory charged to the leaf now; cheap enough for every tick.
    pub fn memory_current_bytes(&self) -> Option<u64> {
        read_small(self.memory_current.as_ref()?).and_then(|t| parse::single(&t))
    }

    /// Processes in the leaf now.
    pub fn pids(&self) -> Vec<i32> {
        self.procs
            .as_ref()
            .and_then(read_all)
            .map(|t| parse::pids(&t))
            .unwrap_or_default()
    }

    /// Every figure the backend provides.
    pub fn sample(&self) -> CgroupSample {
        let v2 = self.backend != Some(CgroupBackend::V1);
        let mut s = CgroupSample {
            memory_current_bytes: self.memory_current_bytes(),
            memory_peak_bytes: self
                .memory_peak
                .as_ref()
                .and_then(read_small)
                .and_then(|t| parse::single(&t)),
            oom_kills: self
                .oom
                .as_ref()
                .and_then(read_all)
                .and_then(|t| parse::keyed(&t, "oom_kill")),
            ..CgroupSample::default()
        };
        if v2 {
            if let Some(text) = self.cpu.as_ref().and_then(read_all) {
                s.cpu_usage_usec = parse::keyed(&text, "usage_usec");
                s.cpu_user_usec = parse::keyed(&text, "user_usec");
                s.cpu_system_usec = parse::keyed(&text, "system_usec");
            }
            s.io = self
                .io
                .as_ref()
                .and_then(read_all)
                .map(|t| parse::io_stat_v2(&t));
        } else {
            let ns_to_us = |f: &Option<File>| {
                f.as_ref()
                    .and_then(read_small)
                    .and_then(|t| parse::single(&t))
                    .map(|ns| ns / 1000)
            };
            s.cpu_usage_usec = ns_to_us(&self.cpu);
            s.cpu_user_usec = ns_to_us(&self.cpu_user);
            s.cpu_system_usec = ns_to_us(&self.cpu_system);
            s.io = self
                .io
                .as_ref()
                .and_then(read_all)
                .map(|t| parse::blkio_v1(&t));
        }
        s
    }
}

/// A one-number file, read from offset 0 into a stack buffer.
fn read_small(file: &File) -> Option<String> {
    let mut buf = [0u8; 64];
    let n = file.read_at(&mut buf, 0).ok()?;
    std::str::from_utf8(&buf[..n]).ok().map(str::to_string)
}

/// A whole file from offset 0 (cgroup files do not support partial reads
/// well: read until a zero-length read).
pub(super) fn read_all(file: &File) -> Option<String> {
    let mut out = Vec::with_capacity(512);
    let mut buf = [0u8; 4096];
    loop {
        let n = file.read_at(&mut buf, out.len() as u64).ok()?;
        if n == 0 {
            break;
        }
        out.extend_from_slice(&buf[..n]);
    }
    String::from_utf8(out).ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sample::cgroup::IoBytes;
    use std::fs;

    fn dir_with(files: &[(&str, &str)]) -> tempfile::TempDir {
        let dir = tempfile::tempdir().expect("tempdir");
        for (name, text) in files {
            fs::write(dir.path().join(name), text).expect("write");
        }
        dir
    }

    fn leaf_dir(path: &Path, io: bool) -> LeafDir {
        LeafDir {
            path: path.to_path_buf(),
            memory: true,
            cpu: true,
            io,
        }
    }

    #[test]
    fn v2_leaf_files() {
        let dir = dir_with(&[
            ("cgroup.procs", "10\n11\n"),
            (
                "cpu.stat",
                "usage_usec 2500000\nuser_usec 2000000\nsystem_usec 500000\n",
            ),
            ("memory.current", "1048576\n"),
            ("memory.peak", "67108864\n"),
            ("memory.events", "low 0\nhigh 0\nmax 0\noom 1\noom_kill 1\n"),
            (
                "io.stat",
                "8:0 rbytes=4096 wbytes=8192 rios=1 wios=2 dbytes=0 dios=0\n",
            ),
        ]);
        let r = CgroupReader::open(CgroupBackend::V2, &[leaf_dir(dir.path(), true)]);
        let s = r.sample();
        assert_eq!(s.cpu_usage_usec, Some(2_500_000));
        assert_eq!(s.cpu_user_usec, Some(2_000_000));
        assert_eq!(s.cpu_system_usec, Some(500_000));
        assert_eq!(s.memory_current_bytes, Some(1_048_576));
        assert_eq!(s.memory_peak_bytes, Some(67_108_864));
        assert_eq!(s.oom_kills, Some(1));
        assert_eq!(
            s.io,
            Some(IoBytes {
                read_bytes: 4096,
                write_bytes: 8192
            })
        );
        assert_eq!(r.pids(), vec![10, 11]);
        assert!(r.keeps_memory_peak(), "no need to sample memory.current");
        // A kernel before 5.19 has no memory.peak: that figure only is missing.
        fs::remove_file(dir.path().join("memory.peak")).expect("rm");
        let r = CgroupReader::open(CgroupBackend::V2, &[leaf_dir(dir.path(), false)]);
        let s = r.sample();
        assert_eq!(s.memory_peak_bytes, None);
        assert!(!r.keeps_memory_peak(), "the sampler tracks the peak");
        assert_eq!(s.io, None, "io not delegated");
        assert_eq!(s.cpu_usage_usec, Some(2_500_000));
    }

    #[test]
    fn v1_leaf_files_across_hierarchies() {
        let mem = dir_with(&[
            ("cgroup.procs", "42\n"),
            ("memory.usage_in_bytes", "2097152\n"),
            ("memory.max_usage_in_bytes", "8986624\n"),
            (
                "memory.oom_control",
                "oom_kill_disable 0\nunder_oom 0\noom_kill 2\n",
            ),
        ]);
        let cpu = dir_with(&[
            ("cpuacct.usage", "1500000000\n"),
            ("cpuacct.usage_user", "1200000000\n"),
            ("cpuacct.usage_sys", "300000000\n"),
        ]);
        let blk = dir_with(&[(
            "blkio.throttle.io_service_bytes",
            "8:0 Read 100\n8:0 Write 200\n8:0 Total 300\nTotal 300\n",
        )]);
        let dirs = [
            LeafDir {
                path: mem.path().to_path_buf(),
                memory: true,
                cpu: false,
                io: false,
            },
            LeafDir {
                path: cpu.path().to_path_buf(),
                memory: false,
                cpu: true,
                io: false,
            },
            LeafDir {
                path: blk.path().to_path_buf(),
                memory: false,
                cpu: false,
                io: true,
            },
        ];
        let r = CgroupReader::open(CgroupBackend::V1, &dirs);
        let s = r.sample();
        assert_eq!(s.cpu_usage_usec, Some(1_500_000));
        assert_eq!(s.cpu_user_usec, Some(1_200_000));
        assert_eq!(s.cpu_system_usec, Some(300_000));
        assert_eq!(s.memory_current_bytes, Some(2_097_152));
        assert_eq!(s.memory_peak_bytes, Some(8_986_624));
        assert_eq!(s.oom_kills, Some(2));
        assert_eq!(
            s.io,
            Some(IoBytes {
                read_bytes: 100,
                write_bytes: 200
            })
        );
        assert_eq!(r.pids(), vec![42]);
    }

    #[test]
    fn membership_leaf_has_cpu_only() {
        let dir = dir_with(&[("cpu.stat", "usage_usec 7\n"), ("cgroup.procs", "")]);
        let d = LeafDir {
            path: dir.path().to_path_buf(),
            memory: false,
            cpu: true,
            io: false,
        };
        let s = CgroupReader::open(CgroupBackend::V2Membership, &[d]).sample();
        assert_eq!(
            s,
            CgroupSample {
                cpu_usage_usec: Some(7),
                ..CgroupSample::default()
            }
        );
    }
}
