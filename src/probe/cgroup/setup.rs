//! Setting up accounting for one run: try the backends in order
//! ([`CgroupBackend::PREFERRED`]), hand the spawn its fds, confirm the child
//! joined, and at the end read the leaf and remove it. Every failure falls
//! back to the next backend, or to none, with the reason kept for the
//! record; none of it can fail the job.

use std::os::fd::OwnedFd;

use super::backends::{try_v1, try_v2, try_v2_membership};
use super::leaf::CgroupLeaf;
use super::read::CgroupReader;
use super::CgroupLayout;
use crate::probe::ProcRoot;
use crate::sample::cgroup::{CgroupBackend, CgroupRun};

/// The outcome of setting up accounting for one job.
#[derive(Debug)]
pub struct CgroupSetup {
    pub backend: CgroupBackend,
    /// `None` for [`CgroupBackend::None`].
    pub leaf: Option<CgroupLeaf>,
    /// Why the richer backends were not used (for `measurement.cgroup_note`).
    pub note: Option<String>,
}

impl CgroupSetup {
    /// Try the backends in the preferred order.
    pub fn create(layout: &CgroupLayout) -> CgroupSetup {
        CgroupSetup::create_with(layout, &CgroupBackend::PREFERRED)
    }

    /// Try the given backends in order (tests force one).
    pub fn create_with(layout: &CgroupLayout, order: &[CgroupBackend]) -> CgroupSetup {
        let mut reasons = Vec::new();
        for &backend in order {
            let attempt = match backend {
                CgroupBackend::V2 => try_v2(layout),
                CgroupBackend::V1 => try_v1(layout),
                CgroupBackend::V2Membership => try_v2_membership(layout),
                CgroupBackend::None => break,
            };
            match attempt {
                Ok(leaf) => {
                    return CgroupSetup {
                        backend,
                        leaf: Some(leaf),
                        note: join_reasons(reasons),
                    }
                }
                Err(reason) => reasons.push(format!("{}: {reason}", backend.as_str())),
            }
        }
        CgroupSetup {
            backend: CgroupBackend::None,
            leaf: None,
            note: join_reasons(reasons).or_else(|| Some("no cgroup backend tried".into())),
        }
    }

    /// `--no-cgroup`, or no usable `/proc/self/cgroup`.
    pub fn disabled(reason: &str) -> CgroupSetup {
        CgroupSetup {
            backend: CgroupBackend::None,
            leaf: None,
            note: Some(reason.to_string()),
        }
    }

    /// What `profrun run` does before the spawn: `--no-cgroup` opts out,
    /// otherwise locate profrun's cgroups and try the backends.
    pub fn for_run(no_cgroup: bool, proc: &ProcRoot) -> CgroupSetup {
        if no_cgroup {
            return CgroupSetup::disabled("disabled by --no-cgroup");
        }
        match CgroupLayout::detect(proc) {
            Ok(layout) => CgroupSetup::create(&layout),
            Err(e) => CgroupSetup::disabled(&format!("cannot read /proc/self/cgroup: {e}")),
        }
    }

    /// The fds for `SpawnOptions::cgroup_procs` (empty without a leaf). If
    /// they cannot be opened the leaf is dropped and the note says why.
    pub fn spawn_fds(&mut self) -> Vec<OwnedFd> {
        let Some(leaf) = &self.leaf else {
            return Vec::new();
        };
        match leaf.procs_fds() {
            Ok(fds) => fds,
            Err(e) => {
                let why = format!(
                    "cannot open cgroup.procs of '{}': {e}",
                    leaf.display_paths()
                );
                self.fall_back(why);
                Vec::new()
            }
        }
    }

    /// After a successful spawn: check that the child joined the leaf (its
    /// write in `pre_exec` cannot report failure); if not, fall back.
    pub fn confirm_member(&mut self, proc: &ProcRoot, pid: i32) {
        if let Some(Err(why)) = self.leaf.as_ref().map(|l| l.verify_member(proc, pid)) {
            self.fall_back(why);
        }
    }

    /// Drop the leaf (removing it) and account without cgroups.
    fn fall_back(&mut self, why: String) {
        let backend = self.backend.as_str();
        self.leaf = None;
        self.backend = CgroupBackend::None;
        let why = format!("{backend}: {why}");
        self.note = Some(match self.note.take() {
            Some(earlier) => format!("{earlier}; {why}"),
            None => why,
        });
    }

    /// Cap the leaf's memory (before the spawn, so `--limit memory=` holds
    /// between samples too); whether the kernel now enforces it, or why not.
    pub fn limit_memory(&self, bytes: u64) -> Result<bool, String> {
        self.leaf
            .as_ref()
            .map_or(Ok(false), |leaf| leaf.set_memory_limit(bytes))
    }

    /// A reader for the sampler thread (`memory_current_bytes` per tick,
    /// `pids` as a tree source).
    pub fn reader(&self) -> Option<CgroupReader> {
        self.leaf.as_ref().map(CgroupLeaf::reader)
    }

    /// After the tree is reaped (before re-raising a signal: `Drop` would
    /// not run): read the leaf once more and remove it. A leaf that still
    /// holds processes stays and is named in `left_in_place` — print that
    /// as a warning too.
    pub fn finish(&mut self, sampled_peak_bytes: Option<u64>) -> CgroupRun {
        let mut run = CgroupRun {
            backend: Some(self.backend),
            leaf: self.leaf.as_ref().map(CgroupLeaf::display_paths),
            note: self.note.clone(),
            end: None,
            sampled_peak_bytes,
            left_in_place: None,
        };
        if let Some(leaf) = &mut self.leaf {
            run.end = Some(leaf.reader().sample());
            if let Err(e) = leaf.remove() {
                run.left_in_place = Some(e.to_string());
            }
        }
        run
    }
}

fn join_reasons(reasons: Vec<String>) -> Option<String> {
    (!reasons.is_empty()).then(|| reasons.join("; "))
}
