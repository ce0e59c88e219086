//! Making the leaf, one backend at a time. A cgroup2 leaf is made where
//! controllers are already delegated: in profrun's own cgroup when it
//! delegates them (the hierarchy root, where profrun may also enable them),
//! else beside it when the parent delegates them and profrun's cgroup sets
//! no limit the job would thereby escape. A cgroup1 leaf is made under
//! profrun's own cgroup in each hierarchy, so no limit is escaped either.

use std::fs;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU32, Ordering};

use super::leaf::{CgroupLeaf, LeafDir, LEAF_PREFIX};
use super::parse::has_controller;
use super::{CgroupBackend, CgroupLayout};

/// `n` in `profrun-<pid>-<n>`, counting within one process.
static NEXT_LEAF: AtomicU32 = AtomicU32::new(0);

/// mkdir `parent/profrun-<pid>-<n>`, skipping names already taken.
fn make_leaf_dir(parent: &Path) -> Result<(String, PathBuf), String> {
    let mut last = None;
    for _ in 0..8 {
        let name = format!(
            "{LEAF_PREFIX}{}-{}",
            std::process::id(),
            NEXT_LEAF.fetch_add(1, Ordering::Relaxed)
        );
        let path = parent.join(&name);
        match fs::create_dir(&path) {
            Ok(()) => return Ok((name, path)),
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => last = Some(e),
            Err(e) => return Err(format!("cannot create '{}': {e}", path.display())),
        }
    }
    Err(format!(
        "cannot create a leaf in '{}': {}",
        parent.display(),
        last.map_or_else(|| "names taken".to_string(), |e| e.to_string())
    ))
}

fn read_trim(path: &Path) -> Option<String> {
    fs::read_to_string(path).ok().map(|s| s.trim().to_string())
}

pub(super) fn try_v2(layout: &CgroupLayout) -> Result<CgroupLeaf, String> {
    let place = layout.v2.as_ref().ok_or("no cgroup2 hierarchy mounted")?;
    let own_subtree = read_trim(&place.dir.join("cgroup.subtree_control")).unwrap_or_default();
    let parent_dir = if has_controller(&own_subtree, "memory") {
        place.dir.clone()
    } else if place.path == "/" {
        enable_at_root(&place.dir)?;
        place.dir.clone()
    } else {
        let parent = place
            .dir
            .parent()
            .filter(|p| p.starts_with(&place.mount))
            .ok_or("no parent cgroup")?;
        let parent_subtree = read_trim(&parent.join("cgroup.subtree_control")).unwrap_or_default();
        if !has_controller(&parent_subtree, "memory") {
            return Err(format!(
                "memory controller not delegated to '{}' nor to its parent",
                place.dir.display()
            ));
        }
        let limits = own_limits_v2(&place.dir);
        if !limits.is_empty() {
            return Err(format!(
                "a leaf beside '{}' would escape its limits ({})",
                place.dir.display(),
                limits.join(", ")
            ));
        }
        parent.to_path_buf()
    };
    let (name, path) = make_leaf_dir(&parent_dir)?;
    let subtree = read_trim(&parent_dir.join("cgroup.subtree_control")).unwrap_or_default();
    Ok(CgroupLeaf {
        backend: CgroupBackend::V2,
        name,
        dirs: vec![LeafDir {
            path,
            memory: true,
            cpu: true,
            io: has_controller(&subtree, "io"),
        }],
        removed: false,
    })
}

/// The root cgroup may hold processes and still delegate controllers:
/// enable memory (and io, where offered) for its children.
fn enable_at_root(root: &Path) -> Result<(), String> {
    let offered = read_trim(&root.join("cgroup.controllers")).unwrap_or_default();
    if !has_controller(&offered, "memory") {
        return Err(format!(
            "memory controller not available in '{}' (cgroup.controllers: {})",
            root.display(),
            if offered.is_empty() { "none" } else { &offered }
        ));
    }
    let control = root.join("cgroup.subtree_control");
    fs::write(&control, "+memory")
        .map_err(|e| format!("cannot enable memory in '{}': {e}", control.display()))?;
    if has_controller(&offered, "io") {
        let _ = fs::write(&control, "+io"); // io.stat is a bonus
    }
    Ok(())
}

/// Limits set on profrun's own cgroup2 directory (a leaf beside it would
/// not be bound by them).
fn own_limits_v2(dir: &Path) -> Vec<String> {
    let unlimited = |file: &str, text: &str| match file {
        "cpu.max" => text.starts_with("max"),
        "io.max" => text.is_empty(),
        _ => text == "max",
    };
    ["memory.max", "memory.high", "cpu.max", "io.max", "pids.max"]
        .iter()
        .filter_map(|file| {
            let text = read_trim(&dir.join(file))?;
            (!unlimited(file, &text)).then(|| format!("{file} {text}"))
        })
        .collect()
}

pub(super) fn try_v1(layout: &CgroupLayout) -> Result<CgroupLeaf, String> {
    let memory = layout
        .v1
        .get("memory")
        .ok_or("no cgroup1 memory hierarchy")?;
    let cpuacct = layout
        .v1
        .get("cpuacct")
        .ok_or("no cgroup1 cpuacct hierarchy")?;
    let (name, mem_path) = make_leaf_dir(memory)?;
    let mut leaf = CgroupLeaf {
        backend: CgroupBackend::V1,
        name: name.clone(),
        dirs: vec![LeafDir {
            path: mem_path,
            memory: true,
            cpu: cpuacct == memory,
            io: false,
        }],
        removed: false,
    };
    // From here on, dropping `leaf` removes what was made.
    if cpuacct != memory {
        let path = cpuacct.join(&name);
        fs::create_dir(&path).map_err(|e| format!("cannot create '{}': {e}", path.display()))?;
        leaf.dirs.push(LeafDir {
            path,
            memory: false,
            cpu: true,
            io: false,
        });
    }
    if let Some(blkio) = layout.v1.get("blkio") {
        if let Some(d) = leaf
            .dirs
            .iter_mut()
            .find(|d| d.path.parent() == Some(blkio))
        {
            d.io = true;
        } else if fs::create_dir(blkio.join(&name)).is_ok() {
            leaf.dirs.push(LeafDir {
                path: blkio.join(&name),
                memory: false,
                cpu: false,
                io: true,
            });
        }
    }
    Ok(leaf)
}

pub(super) fn try_v2_membership(layout: &CgroupLayout) -> Result<CgroupLeaf, String> {
    let place = layout.v2.as_ref().ok_or("no cgroup2 hierarchy mounted")?;
    let (name, path) = make_leaf_dir(&place.dir)?;
    Ok(CgroupLeaf {
        backend: CgroupBackend::V2Membership,
        name,
        dirs: vec![LeafDir {
            path,
            memory: false,
            cpu: true,
            io: false,
        }],
        removed: false,
    })
}
