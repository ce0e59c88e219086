//! The job's own cgroup leaf: a guard over the directories profrun created
//! (one per hierarchy). It hands out the `cgroup.procs` fds the child writes
//! `0` to in `pre_exec`, checks the child joined, opens the reader, and
//! removes the directories — by `Drop` on every path, or by [`remove`],
//! which names a leaf that must stay because processes are still in it.
//!
//! [`remove`]: CgroupLeaf::remove

use std::fs;
use std::io;
use std::os::fd::OwnedFd;
use std::path::{Path, PathBuf};
use std::time::Duration;

use rustix::io::Errno;
use rustix::process::{test_kill_process, Pid};

use super::parse;
use super::read::CgroupReader;
use super::CgroupBackend;
use crate::probe::ProcRoot;

/// Leaf names are `profrun-<pid>-<n>`.
pub(super) const LEAF_PREFIX: &str = "profrun-";

/// One directory of a leaf and which figures it carries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LeafDir {
    pub path: PathBuf,
    pub memory: bool,
    pub cpu: bool,
    pub io: bool,
}

/// A cgroup leaf profrun created for the job. Dropping it removes it
/// (best effort); call [`CgroupLeaf::remove`] to learn why it could not be.
#[derive(Debug)]
pub struct CgroupLeaf {
    pub(super) backend: CgroupBackend,
    pub(super) name: String,
    /// One per hierarchy (cgroup1 has one per controller mount).
    pub(super) dirs: Vec<LeafDir>,
    pub(super) removed: bool,
}

/// Why a leaf is still there.
#[derive(Debug, thiserror::Error)]
pub enum LeafRemoveError {
    #[error("cgroup leaf '{}' left in place: processes {} still in it", path.display(), list(pids))]
    Busy { path: PathBuf, pids: Vec<i32> },
    #[error("could not remove cgroup leaf '{}': {source}", path.display())]
    Io { path: PathBuf, source: io::Error },
}

fn list(pids: &[i32]) -> String {
    let v: Vec<String> = pids.iter().map(i32::to_string).collect();
    if v.is_empty() {
        "(exiting)".to_string()
    } else {
        v.join(", ")
    }
}

impl CgroupLeaf {
    pub fn backend(&self) -> CgroupBackend {
        self.backend
    }

    /// `profrun-<pid>-<n>`.
    pub fn name(&self) -> &str {
        &self.name
    }

    pub fn dirs(&self) -> &[LeafDir] {
        &self.dirs
    }

    /// The leaf's directories, comma-separated (for the record).
    pub fn display_paths(&self) -> String {
        let v: Vec<String> = self
            .dirs
            .iter()
            .map(|d| d.path.display().to_string())
            .collect();
        v.join(", ")
    }

    /// Cap the leaf's memory at `bytes` (v2 `memory.max`, v1
    /// `memory.limit_in_bytes`) so that the kernel stops a spike between two
    /// samples. Only for a leaf profrun created with the memory controller
    /// (not the membership-only one); returns whether a limit was written.
    pub fn set_memory_limit(&self, bytes: u64) -> Result<bool, String> {
        let file = match self.backend {
            CgroupBackend::V2 => "memory.max",
            CgroupBackend::V1 => "memory.limit_in_bytes",
            CgroupBackend::V2Membership | CgroupBackend::None => return Ok(false),
        };
        let mut written = false;
        for dir in self.dirs.iter().filter(|d| d.memory) {
            let path = dir.path.join(file);
            fs::write(&path, bytes.to_string())
                .map_err(|e| format!("cannot write '{}': {e}", path.display()))?;
            written = true;
        }
        Ok(written)
    }

    /// Open `cgroup.procs` of every directory for writing, to hand to
    /// `SpawnOptions::cgroup_procs` (the fds are close-on-exec).
    pub fn procs_fds(&self) -> io::Result<Vec<OwnedFd>> {
        self.dirs
            .iter()
            .map(|d| {
                fs::OpenOptions::new()
                    .write(true)
                    .open(d.path.join("cgroup.procs"))
                    .map(OwnedFd::from)
            })
            .collect()
    }

    /// Check that `pid` joined every directory of the leaf (the child's write
    /// in `pre_exec` cannot report failure). Works on a zombie too.
    pub fn verify_member(&self, proc: &ProcRoot, pid: i32) -> Result<(), String> {
        let text = fs::read_to_string(proc.path(&format!("{pid}/cgroup")))
            .map_err(|e| format!("cannot read /proc/{pid}/cgroup: {e}"))?;
        let suffix = format!("/{}", self.name);
        let joined = parse::proc_cgroup(&text)
            .iter()
            .filter(|l| l.path.ends_with(&suffix))
            .count();
        // A job that is exiting or has exited has left its cgroups (it shows
        // the root, also while still in state R), but the leaf kept what it
        // charged: a child that joined and exec'd has used CPU or memory in
        // it. Only a live process outside an untouched leaf did not join.
        if joined >= self.dirs.len() || !is_running(proc, pid) || self.charged_anything() {
            Ok(())
        } else {
            Err(format!(
                "the job did not join cgroup leaf '{}' ({joined} of {} hierarchies)",
                self.display_paths(),
                self.dirs.len()
            ))
        }
    }

    /// Whether any process has been charged CPU or memory in the leaf.
    fn charged_anything(&self) -> bool {
        let s = self.reader().sample();
        s.cpu_usage_usec.is_some_and(|u| u > 0) || s.memory_peak_bytes.is_some_and(|b| b > 0)
    }

    /// Open the files the sampler reads (kept open, read with `pread`).
    pub fn reader(&self) -> CgroupReader {
        CgroupReader::open(self.backend, &self.dirs)
    }

    /// Processes in the leaf now (a tree source that also catches
    /// double-forked daemons).
    pub fn pids(&self) -> Vec<i32> {
        self.dirs
            .first()
            .and_then(|d| fs::read_to_string(d.path.join("cgroup.procs")).ok())
            .map(|t| parse::pids(&t))
            .unwrap_or_default()
    }

    /// Remove the leaf. A leaf that still holds processes is left in place
    /// and named in the error; calling again later is fine.
    pub fn remove(&mut self) -> Result<(), LeafRemoveError> {
        if self.removed {
            return Ok(());
        }
        let mut first_err = None;
        for dir in self.dirs.iter().rev() {
            if let Err(err) = rmdir_patiently(&dir.path) {
                first_err.get_or_insert(err);
            }
            if let Some(parent) = dir.path.parent() {
                remove_stale_siblings(parent);
            }
        }
        match first_err {
            None => {
                self.removed = true;
                Ok(())
            }
            Some(err) => Err(err),
        }
    }
}

impl Drop for CgroupLeaf {
    fn drop(&mut self) {
        if !self.removed {
            let _ = self.remove();
        }
    }
}

/// rmdir; a cgroup whose last process is still exiting answers EBUSY for a
/// moment, so retry briefly while `cgroup.procs` is empty.
fn rmdir_patiently(path: &Path) -> Result<(), LeafRemoveError> {
    for _ in 0..10 {
        match fs::remove_dir(path) {
            Ok(()) => return Ok(()),
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(()),
            Err(e) if Errno::from_io_error(&e) == Some(Errno::BUSY) => {
                let pids = fs::read_to_string(path.join("cgroup.procs"))
                    .map(|t| parse::pids(&t))
                    .unwrap_or_default();
                if !pids.is_empty() {
                    return Err(LeafRemoveError::Busy {
                        path: path.to_path_buf(),
                        pids,
                    });
                }
                std::thread::sleep(Duration::from_millis(2));
            }
            Err(source) => {
                return Err(LeafRemoveError::Io {
                    path: path.to_path_buf(),
                    source,
                })
            }
        }
    }
    Err(LeafRemoveError::Busy {
        path: path.to_path_buf(),
        pids: Vec::new(),
    })
}

/// Leaves left by earlier profrun processes that have since died (killed
/// with SIGKILL, or runs whose daemons outlived them): remove the empty ones.
fn remove_stale_siblings(parent: &Path) {
    let Ok(entries) = fs::read_dir(parent) else {
        return;
    };
    let me = std::process::id();
    for entry in entries.flatten() {
        let name = entry.file_name();
        let Some(owner) = leaf_owner(&name.to_string_lossy()) else {
            continue;
        };
        if owner != me && !process_alive(owner) {
            let _ = fs::remove_dir(entry.path()); // EBUSY: still populated
        }
    }
}

/// The pid in a `profrun-<pid>-<n>` name.
pub(super) fn leaf_owner(name: &str) -> Option<u32> {
    let rest = name.strip_prefix(LEAF_PREFIX)?;
    let (pid, n) = rest.split_once('-')?;
    n.parse::<u32>().ok()?;
    pid.parse().ok()
}

fn process_alive(pid: u32) -> bool {
    let Some(pid) = i32::try_from(pid).ok().and_then(Pid::from_raw) else {
        return false;
    };
    // Signal 0 only checks for existence and permission.
    match test_kill_process(pid) {
        Ok(()) => true,
        Err(e) => e == Errno::PERM,
    }
}

/// Whether `pid` is alive and not a zombie (state after the `)` of `stat`).
fn is_running(proc: &ProcRoot, pid: i32) -> bool {
    fs::read_to_string(proc.path(&format!("{pid}/stat")))
        .ok()
        .and_then(|stat| {
            let (_, rest) = stat.rsplit_once(')')?;
            rest.trim_start().chars().next()
        })
        .is_some_and(|state| state != 'Z' && state != 'X')
}

#[cfg(test)]
#[path = "leaf_tests.rs"]
mod tests;
