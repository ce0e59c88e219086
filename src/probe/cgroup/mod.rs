//! cgroups: exact accounting of the job's whole tree, and the limits of the
//! container profrun runs in. [`CgroupLayout`] locates profrun's own cgroups
//! from `/proc/self/cgroup` and `/proc/self/mountinfo`; [`setup`] makes the
//! job a leaf (cgroup2 with controllers, then a writable cgroup1 hierarchy,
//! then a bare cgroup2 leaf) and drives it through a run; [`leaf`] is the
//! guard that removes it; [`read`] reads its counters; [`container`] reads
//! the enclosing cgroup's limits and usage the way `docker stats` shows them.

mod backends;
pub mod container;
pub mod leaf;
pub mod parse;
pub mod read;
pub mod setup;

pub use container::ContainerProbe;
pub use leaf::{CgroupLeaf, LeafDir, LeafRemoveError};
pub use read::CgroupReader;
pub use setup::CgroupSetup;

// The raw readings live in the leaf `crate::sample::cgroup`; re-exported so
// the probe's callers name them where they are produced.
pub use crate::sample::cgroup::{
    CgroupBackend, CgroupRun, CgroupSample, ContainerInfo, ContainerSample,
};

use std::collections::BTreeMap;
use std::io;
use std::path::{Path, PathBuf};

use super::ProcRoot;
use parse::MountKind;

/// The sampler thread owns the readers.
const _: fn() = || {
    fn send<T: Send>() {}
    send::<CgroupReader>();
    send::<ContainerProbe>();
};

/// profrun's place in the cgroup2 hierarchy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct V2Place {
    /// Where the hierarchy is mounted.
    pub mount: PathBuf,
    /// profrun's cgroup directory.
    pub dir: PathBuf,
    /// profrun's cgroup path as `/proc/self/cgroup` names it (`/` = root).
    pub path: String,
}

/// Where profrun's own cgroups are, per hierarchy.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CgroupLayout {
    pub v2: Option<V2Place>,
    /// cgroup1 controller name → profrun's cgroup directory in that
    /// controller's hierarchy (co-mounted controllers share one directory).
    pub v1: BTreeMap<String, PathBuf>,
    /// cgroup1 controller name → profrun's cgroup path in that hierarchy.
    pub v1_paths: BTreeMap<String, String>,
}

impl CgroupLayout {
    /// Read `/proc/self/cgroup` and `/proc/self/mountinfo` under `proc`.
    pub fn detect(proc: &ProcRoot) -> io::Result<CgroupLayout> {
        let cgroup = std::fs::read_to_string(proc.path("self/cgroup"))?;
        let mountinfo = std::fs::read_to_string(proc.path("self/mountinfo"))?;
        Ok(CgroupLayout::from_texts(&cgroup, &mountinfo, None))
    }

    /// Build the layout from the two texts. `sys_prefix` re-roots every
    /// mount point under a directory (tests point it at a fixture tree).
    pub fn from_texts(cgroup: &str, mountinfo: &str, sys_prefix: Option<&Path>) -> CgroupLayout {
        let mounts = parse::mountinfo(mountinfo);
        let reroot = |p: &Path| match sys_prefix {
            Some(prefix) => prefix.join(p.strip_prefix("/").unwrap_or(p)),
            None => p.to_path_buf(),
        };
        let mut layout = CgroupLayout::default();
        for line in parse::proc_cgroup(cgroup) {
            if line.hierarchy_id == 0 && line.controllers.is_empty() {
                let Some(m) = mounts.iter().find(|m| m.kind == MountKind::V2) else {
                    continue;
                };
                if let Some(rel) = relative_to_mount(&line.path, &m.root) {
                    layout.v2 = Some(V2Place {
                        mount: reroot(&m.mount_point),
                        dir: reroot(&m.mount_point).join(rel),
                        path: line.path.clone(),
                    });
                }
                continue;
            }
            for controller in &line.controllers {
                let mount = mounts.iter().find(|m| match &m.kind {
                    MountKind::V1(opts) => opts.iter().any(|o| o == controller),
                    MountKind::V2 => false,
                });
                let Some(m) = mount else { continue };
                if let Some(rel) = relative_to_mount(&line.path, &m.root) {
                    let dir = reroot(&m.mount_point).join(rel);
                    layout.v1.insert(controller.clone(), dir);
                    layout
                        .v1_paths
                        .insert(controller.clone(), line.path.clone());
                }
            }
        }
        layout
    }
}

/// The part of a cgroup path below a mount's root, or `None` when the
/// process sits outside what is mounted (`/..` paths in a cgroup namespace).
fn relative_to_mount(path: &str, mount_root: &str) -> Option<PathBuf> {
    if path.starts_with("/..") {
        return None;
    }
    let root = mount_root.trim_end_matches('/');
    let rel = if root.is_empty() {
        path
    } else if let Some(rest) = path.strip_prefix(root) {
        if !(rest.is_empty() || rest.starts_with('/')) {
            return None;
        }
        rest
    } else if path == "/" {
        // A container with its own cgroup namespace sees itself at "/" while
        // its mount shows the host-side root: the mount is its cgroup.
        ""
    } else {
        return None;
    };
    Some(PathBuf::from(rel.trim_start_matches('/')))
}

#[cfg(test)]
mod tests {
    use super::*;

    const HYBRID_MOUNTS: &str = "\
32 31 0:29 / /sys/fs/cgroup/cpu rw,relatime - cgroup cgroup rw,cpu
33 31 0:30 / /sys/fs/cgroup/cpuacct rw,relatime - cgroup cgroup rw,cpuacct
35 31 0:32 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory
41 31 0:38 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw
";

    #[test]
    fn hybrid_layout_resolves_each_hierarchy() {
        let cgroup = "4:memory:/process_api/4e21\n2:cpuacct:/\n1:cpu:/\n0::/\n";
        let layout = CgroupLayout::from_texts(cgroup, HYBRID_MOUNTS, None);
        assert_eq!(
            layout.v1.get("memory"),
            Some(&PathBuf::from("/sys/fs/cgroup/memory/process_api/4e21"))
        );
        assert_eq!(
            layout.v1.get("cpuacct"),
            Some(&PathBuf::from("/sys/fs/cgroup/cpuacct"))
        );
        let v2 = layout.v2.expect("v2 mounted");
        assert_eq!(v2.dir, PathBuf::from("/sys/fs/cgroup/unified"));
        assert_eq!(v2.path, "/");
    }

    #[test]
    fn pure_v2_and_prefix() {
        let mounts = "30 23 0:26 / /sys/fs/cgroup rw - cgroup2 cgroup2 rw,nsdelegate\n";
        let cgroup = "0::/user.slice/user-1000.slice/session-2.scope\n";
        let layout = CgroupLayout::from_texts(cgroup, mounts, Some(Path::new("/tmp/fx")));
        let v2 = layout.v2.expect("v2");
        assert_eq!(
            v2.dir,
            PathBuf::from("/tmp/fx/sys/fs/cgroup/user.slice/user-1000.slice/session-2.scope")
        );
        assert_eq!(v2.mount, PathBuf::from("/tmp/fx/sys/fs/cgroup"));
        assert!(layout.v1.is_empty());
    }

    #[test]
    fn container_bind_mounts_and_namespaces() {
        // Docker without a cgroup namespace: the mount root is the
        // container's cgroup and /proc/self/cgroup shows the host path.
        let mounts = "35 31 0:32 /docker/abc /sys/fs/cgroup/memory ro - cgroup cgroup rw,memory\n";
        let layout = CgroupLayout::from_texts("4:memory:/docker/abc\n", mounts, None);
        assert_eq!(
            layout.v1.get("memory"),
            Some(&PathBuf::from("/sys/fs/cgroup/memory"))
        );
        // With a cgroup namespace the process sees "/".
        let layout = CgroupLayout::from_texts("4:memory:/\n", mounts, None);
        assert_eq!(
            layout.v1.get("memory"),
            Some(&PathBuf::from("/sys/fs/cgroup/memory"))
        );
        // Outside the namespace root: unusable, not a wrong directory.
        let layout = CgroupLayout::from_texts("4:memory:/../other\n", mounts, None);
        assert!(layout.v1.is_empty());
        // A sibling that merely shares a prefix is not inside the root.
        let layout = CgroupLayout::from_texts("4:memory:/docker/abcdef\n", mounts, None);
        assert!(layout.v1.is_empty());
    }

    #[test]
    fn backend_names_are_stable() {
        let names: Vec<&str> = CgroupBackend::PREFERRED
            .iter()
            .map(|b| b.as_str())
            .collect();
        assert_eq!(names, ["cgroup2", "cgroup1", "cgroup2-membership"]);
        assert_eq!(CgroupBackend::None.as_str(), "none");
    }
}
