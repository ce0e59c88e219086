//! `container_stats`: when profrun itself runs in a container or a limited
//! cgroup (Docker, Podman, Kubernetes, Slurm, LXC), the enclosing cgroup's
//! CPU quota and usage, memory limit and usage, block I/O, and the network
//! I/O of profrun's network namespace — the figures `docker stats` shows,
//! read from the cgroup files, without the Docker daemon.

use std::fs::File;
use std::path::{Path, PathBuf};

use super::parse;
use super::read::read_all;
use super::CgroupLayout;
use crate::probe::ProcRoot;
use crate::sample::cgroup::{ContainerInfo, ContainerSample, CpuQuota, MemoryLimit};

/// Signs of a container runtime outside the cgroup paths.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ContainerMarkers {
    /// `/.dockerenv` exists.
    pub dockerenv: bool,
    /// `/run/.containerenv` exists (Podman).
    pub containerenv: bool,
    /// `$KUBERNETES_SERVICE_HOST` is set.
    pub kubernetes_env: bool,
    /// `$container` (systemd-nspawn, Podman, LXC set it).
    pub container_env: Option<String>,
}

impl ContainerMarkers {
    pub fn detect() -> ContainerMarkers {
        ContainerMarkers {
            dockerenv: Path::new("/.dockerenv").exists(),
            containerenv: Path::new("/run/.containerenv").exists(),
            kubernetes_env: std::env::var_os("KUBERNETES_SERVICE_HOST").is_some(),
            container_env: std::env::var("container").ok().filter(|v| !v.is_empty()),
        }
    }
}

/// Which runtime a cgroup path and the markers point to, if any.
pub fn container_kind(markers: &ContainerMarkers, cgroup_path: &str) -> Option<String> {
    let p = cgroup_path;
    let kind = if p.contains("kubepods") || markers.kubernetes_env {
        "kubernetes"
    } else if p.contains("libpod") || markers.containerenv {
        "podman"
    } else if p.contains("docker") || markers.dockerenv {
        "docker"
    } else if p.contains("lxc") {
        "lxc"
    } else if p.contains("slurm") {
        "slurm"
    } else {
        return markers.container_env.clone();
    };
    Some(kind.to_string())
}

/// Reads the enclosing cgroup; files are opened once and `pread`.
#[derive(Debug)]
pub struct ContainerProbe {
    info: ContainerInfo,
    v2: bool,
    cpu: Option<File>,
    memory_usage: Option<File>,
    memory_stat: Option<File>,
    block: Option<File>,
    net: Option<File>,
}

impl ContainerProbe {
    /// What `profrun run` does (after the spawn: ~40 µs): locate profrun's
    /// cgroups, look for container markers, read the limits.
    pub fn for_run(proc: &ProcRoot) -> Result<ContainerProbe, String> {
        let layout = CgroupLayout::detect(proc)
            .map_err(|e| format!("cannot read /proc/self/cgroup: {e}"))?;
        ContainerProbe::detect(&layout, proc, &ContainerMarkers::detect())
    }

    /// `Err` says why there is no container to report (the record's
    /// `reason`): not in a container nor a limited cgroup, or no cgroup.
    pub fn detect(
        layout: &CgroupLayout,
        proc: &ProcRoot,
        markers: &ContainerMarkers,
    ) -> Result<ContainerProbe, String> {
        let open =
            |dir: Option<&PathBuf>, name: &str| dir.and_then(|d| File::open(d.join(name)).ok());
        let net = File::open(proc.path("self/net/dev")).ok();
        let mut probe = if let Some(memory) = layout.v1.get("memory") {
            let path = layout.v1_paths.get("memory").cloned().unwrap_or_default();
            let stat = File::open(memory.join("memory.stat")).ok();
            let own = read_file(&memory.join("memory.limit_in_bytes"))
                .and_then(|t| parse::single(&t))
                .map_or(MemoryLimit::Unlimited, parse::memory_limit_v1);
            let hierarchical = stat
                .as_ref()
                .and_then(read_all)
                .and_then(|t| parse::keyed(&t, "hierarchical_memory_limit"))
                .map_or(MemoryLimit::Unlimited, parse::memory_limit_v1);
            let blkio = layout.v1.get("blkio");
            ContainerProbe {
                info: ContainerInfo {
                    kind: String::new(),
                    cgroup_version: 1,
                    cgroup_path: path,
                    cpu_quota: layout.v1.get("cpu").map_or(CpuQuota::Unlimited, |d| {
                        tightest_up(d, None, |dir| {
                            let q = read_file(&dir.join("cpu.cfs_quota_us"))?;
                            let p = read_file(&dir.join("cpu.cfs_period_us"))?;
                            parse::cpu_quota_v1(&q, &p)
                        })
                    }),
                    memory_limit: own.min(hierarchical),
                },
                v2: false,
                cpu: open(layout.v1.get("cpuacct"), "cpuacct.usage"),
                memory_usage: File::open(memory.join("memory.usage_in_bytes")).ok(),
                memory_stat: stat,
                block: open(blkio, "blkio.throttle.io_service_bytes_recursive")
                    .or_else(|| open(blkio, "blkio.throttle.io_service_bytes")),
                net,
            }
        } else if let Some(place) = &layout.v2 {
            let dir = Some(&place.dir);
            let mount = Some(place.mount.as_path());
            ContainerProbe {
                info: ContainerInfo {
                    kind: String::new(),
                    cgroup_version: 2,
                    cgroup_path: place.path.clone(),
                    cpu_quota: tightest_up(&place.dir, mount, |d| {
                        parse::cpu_max_v2(&read_file(&d.join("cpu.max"))?)
                    }),
                    memory_limit: tightest_up(&place.dir, mount, |d| {
                        parse::memory_limit_v2(&read_file(&d.join("memory.max"))?)
                    }),
                },
                v2: true,
                cpu: open(dir, "cpu.stat"),
                memory_usage: open(dir, "memory.current"),
                memory_stat: open(dir, "memory.stat"),
                block: open(dir, "io.stat"),
                net,
            }
        } else {
            return Err("no cgroup hierarchy found for profrun".to_string());
        };
        let limited =
            probe.info.cpu_quota.cores().is_some() || probe.info.memory_limit.bytes().is_some();
        probe.info.kind = match container_kind(markers, &probe.info.cgroup_path) {
            Some(kind) => kind,
            None if limited => "cgroup".to_string(),
            None => {
                return Err(format!(
                "not in a container or limited cgroup (cgroup '{}': no memory limit, no cpu quota)",
                probe.info.cgroup_path
            ))
            }
        };
        Ok(probe)
    }

    pub fn info(&self) -> &ContainerInfo {
        &self.info
    }

    pub fn sample(&self) -> ContainerSample {
        let stat = self.memory_stat.as_ref().and_then(read_all);
        let inactive_key = if self.v2 {
            "inactive_file"
        } else {
            "total_inactive_file"
        };
        let inactive = stat
            .as_deref()
            .and_then(|t| parse::keyed(t, inactive_key))
            .unwrap_or(0);
        let usage = self
            .memory_usage
            .as_ref()
            .and_then(read_all)
            .and_then(|t| parse::single(&t));
        let cpu_text = self.cpu.as_ref().and_then(read_all);
        ContainerSample {
            cpu_usage_usec: cpu_text.and_then(|t| {
                if self.v2 {
                    parse::keyed(&t, "usage_usec")
                } else {
                    parse::single(&t).map(|ns| ns / 1000)
                }
            }),
            memory_usage_bytes: usage.map(|u| u.saturating_sub(inactive)),
            block: self.block.as_ref().and_then(read_all).map(|t| {
                if self.v2 {
                    parse::io_stat_v2(&t)
                } else {
                    parse::blkio_v1(&t)
                }
            }),
            net: self
                .net
                .as_ref()
                .and_then(read_all)
                .map(|t| parse::net_dev(&t)),
        }
    }
}

fn read_file(path: &Path) -> Option<String> {
    std::fs::read_to_string(path).ok()
}

/// Walk from `dir` up to `stop` (or while the file exists): an ancestor's
/// limit binds too, so keep the tightest.
fn tightest_up<T: Tightest>(
    dir: &Path,
    stop: Option<&Path>,
    read: impl Fn(&Path) -> Option<T>,
) -> T {
    let mut best = T::none();
    let mut cur = Some(dir);
    while let Some(d) = cur {
        if stop.is_some_and(|s| !d.starts_with(s)) {
            break;
        }
        match read(d) {
            Some(v) => best = best.tighter(v),
            None => break,
        }
        cur = d.parent();
    }
    best
}

trait Tightest: Copy {
    fn none() -> Self;
    fn tighter(self, other: Self) -> Self;
}

impl Tightest for CpuQuota {
    fn none() -> Self {
        CpuQuota::Unlimited
    }
    fn tighter(self, other: Self) -> Self {
        self.min(other)
    }
}

impl Tightest for MemoryLimit {
    fn none() -> Self {
        MemoryLimit::Unlimited
    }
    fn tighter(self, other: Self) -> Self {
        self.min(other)
    }
}

#[cfg(test)]
#[path = "container_tests.rs"]
mod tests;
