//! Backend selection and removal on fixture trees (plain directories standing
//! in for cgroupfs). The real-cgroup tests live in `tests/cgroup.rs`.

use super::*;
use crate::probe::cgroup::{CgroupLayout, CgroupSetup};
use std::fs;

const HYBRID_MOUNTS: &str = "\
32 31 0:29 / /sys/fs/cgroup/cpu rw - cgroup cgroup rw,cpu
33 31 0:30 / /sys/fs/cgroup/cpuacct rw - cgroup cgroup rw,cpuacct
35 31 0:32 / /sys/fs/cgroup/memory rw - cgroup cgroup rw,memory
38 31 0:35 / /sys/fs/cgroup/blkio rw - cgroup cgroup rw,blkio
41 31 0:38 / /sys/fs/cgroup/unified rw - cgroup2 cgroup2 rw
";
const V2_MOUNTS: &str = "30 23 0:26 / /sys/fs/cgroup rw - cgroup2 cgroup2 rw\n";

struct Fixture {
    dir: tempfile::TempDir,
}

impl Fixture {
    fn new() -> Fixture {
        Fixture {
            dir: tempfile::tempdir().expect("tempdir"),
        }
    }

    fn write(&self, rel: &str, text: &str) {
        let path = self.dir.path().join(rel);
        fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
        fs::write(path, text).expect("write");
    }

    fn mkdir(&self, rel: &str) {
        fs::create_dir_all(self.dir.path().join(rel)).expect("mkdir");
    }

    fn layout(&self, cgroup: &str, mounts: &str) -> CgroupLayout {
        CgroupLayout::from_texts(cgroup, mounts, Some(self.dir.path()))
    }
}

#[test]
fn v2_leaf_in_own_cgroup_when_it_delegates_memory() {
    let fx = Fixture::new();
    fx.write(
        "sys/fs/cgroup/job/cgroup.subtree_control",
        "cpu io memory\n",
    );
    let layout = fx.layout("0::/job\n", V2_MOUNTS);
    let mut setup = CgroupSetup::create(&layout);
    assert_eq!(setup.backend, CgroupBackend::V2, "{:?}", setup.note);
    assert_eq!(setup.note, None);
    let leaf = setup.leaf.take().expect("leaf");
    let dir = leaf.dirs()[0].clone();
    assert!(dir
        .path
        .starts_with(fx.dir.path().join("sys/fs/cgroup/job")));
    assert!(dir.memory && dir.cpu && dir.io);
    assert!(dir.path.is_dir());
    drop(leaf);
    assert!(!dir.path.exists(), "dropping the leaf removes it");
}

#[test]
fn v2_root_enables_memory_when_offered() {
    let fx = Fixture::new();
    fx.write("sys/fs/cgroup/cgroup.controllers", "cpu io memory pids\n");
    fx.write("sys/fs/cgroup/cgroup.subtree_control", "");
    let layout = fx.layout("0::/\n", V2_MOUNTS);
    let setup = CgroupSetup::create(&layout);
    assert_eq!(setup.backend, CgroupBackend::V2, "{:?}", setup.note);
    // The fixture file keeps the last write: io was enabled after memory.
    let written = fs::read_to_string(fx.dir.path().join("sys/fs/cgroup/cgroup.subtree_control"))
        .expect("read");
    assert_eq!(written, "+io");
}

#[test]
fn hybrid_host_falls_back_to_v1_and_says_why() {
    // This machine's shape: memory bound to v1, an empty v2 tree at /unified.
    let fx = Fixture::new();
    fx.write("sys/fs/cgroup/unified/cgroup.controllers", "hugetlb\n");
    fx.mkdir("sys/fs/cgroup/memory/process_api/4e21");
    fx.mkdir("sys/fs/cgroup/cpuacct");
    fx.mkdir("sys/fs/cgroup/blkio");
    let layout = fx.layout(
        "4:memory:/process_api/4e21\n2:cpuacct:/\n7:blkio:/\n0::/\n",
        HYBRID_MOUNTS,
    );
    let setup = CgroupSetup::create(&layout);
    assert_eq!(setup.backend, CgroupBackend::V1);
    let note = setup.note.clone().expect("note");
    assert!(
        note.starts_with("cgroup2: memory controller not available"),
        "{note}"
    );
    let leaf = setup.leaf.expect("leaf");
    let roles: Vec<(bool, bool, bool)> = leaf
        .dirs()
        .iter()
        .map(|d| (d.memory, d.cpu, d.io))
        .collect();
    assert_eq!(
        roles,
        vec![
            (true, false, false),
            (false, true, false),
            (false, false, true)
        ]
    );
    assert!(leaf.dirs()[0]
        .path
        .starts_with(fx.dir.path().join("sys/fs/cgroup/memory/process_api/4e21")));
    let paths: Vec<PathBuf> = leaf.dirs().iter().map(|d| d.path.clone()).collect();
    drop(leaf);
    assert!(paths.iter().all(|p| !p.exists()));
}

#[test]
fn v1_failure_half_way_removes_what_was_made() {
    let fx = Fixture::new();
    fx.mkdir("sys/fs/cgroup/memory");
    // cpuacct is mounted but its directory is missing: mkdir fails.
    let layout = fx.layout("4:memory:/\n2:cpuacct:/gone\n", HYBRID_MOUNTS);
    let setup = CgroupSetup::create_with(&layout, &[CgroupBackend::V1]);
    assert_eq!(setup.backend, CgroupBackend::None);
    assert!(setup.note.expect("note").contains("cannot create"));
    let left: Vec<_> = fs::read_dir(fx.dir.path().join("sys/fs/cgroup/memory"))
        .expect("read")
        .collect();
    assert!(left.is_empty(), "memory leaf was removed: {left:?}");
}

#[test]
fn sibling_leaf_only_when_own_cgroup_sets_no_limit() {
    let fx = Fixture::new();
    fx.write(
        "sys/fs/cgroup/user.slice/cgroup.subtree_control",
        "memory pids\n",
    );
    fx.write("sys/fs/cgroup/user.slice/s.scope/memory.max", "max\n");
    fx.write("sys/fs/cgroup/user.slice/s.scope/cpu.max", "max 100000\n");
    let layout = fx.layout("0::/user.slice/s.scope\n", V2_MOUNTS);
    let setup = CgroupSetup::create_with(&layout, &[CgroupBackend::V2]);
    assert_eq!(setup.backend, CgroupBackend::V2, "{:?}", setup.note);
    let leaf = setup.leaf.expect("leaf");
    assert_eq!(
        leaf.dirs()[0].path.parent(),
        Some(fx.dir.path().join("sys/fs/cgroup/user.slice").as_path())
    );
    assert!(!leaf.dirs()[0].io, "io is not delegated there");
    drop(leaf);

    fx.write(
        "sys/fs/cgroup/user.slice/s.scope/memory.max",
        "1073741824\n",
    );
    let setup = CgroupSetup::create(&layout);
    let note = setup.note.expect("note");
    assert!(
        note.contains("would escape its limits (memory.max 1073741824)"),
        "{note}"
    );
    // The bare v2 leaf inside the limited cgroup is still possible.
    assert_eq!(setup.backend, CgroupBackend::V2Membership);
}

#[test]
fn nothing_usable_gives_none_with_every_reason() {
    let fx = Fixture::new();
    let layout = fx.layout("4:memory:/\n0::/x\n", HYBRID_MOUNTS);
    let setup = CgroupSetup::create(&layout);
    assert_eq!(setup.backend, CgroupBackend::None);
    assert!(setup.leaf.is_none());
    let note = setup.note.expect("note");
    for part in [
        "cgroup2: ",
        "cgroup1: no cgroup1 cpuacct hierarchy",
        "cgroup2-membership: cannot create",
    ] {
        assert!(note.contains(part), "{part} missing in {note}");
    }
    let none = CgroupSetup::create(&CgroupLayout::default());
    assert_eq!(
        none.note.as_deref(),
        Some("cgroup2: no cgroup2 hierarchy mounted; cgroup1: no cgroup1 memory hierarchy; cgroup2-membership: no cgroup2 hierarchy mounted")
    );
    assert_eq!(
        CgroupSetup::disabled("disabled by --no-cgroup")
            .note
            .as_deref(),
        Some("disabled by --no-cgroup")
    );
}

#[test]
fn remove_reports_the_leaf_it_could_not_remove() {
    let fx = Fixture::new();
    fx.mkdir("sys/fs/cgroup/x");
    let layout = fx.layout("0::/x\n", V2_MOUNTS);
    let setup = CgroupSetup::create_with(&layout, &[CgroupBackend::V2Membership]);
    let mut leaf = setup.leaf.expect("leaf");
    let path = leaf.dirs()[0].path.clone();
    // A plain directory with a file in it will not rmdir (ENOTEMPTY).
    fs::write(path.join("stray"), "x").expect("write");
    let err = leaf.remove().expect_err("not empty");
    assert!(
        err.to_string().contains(&path.display().to_string()),
        "{err}"
    );
    fs::remove_file(path.join("stray")).expect("rm");
    leaf.remove().expect("second try works");
    assert!(!path.exists());
}

#[test]
fn stale_leaves_of_dead_profruns_are_cleaned_up() {
    let fx = Fixture::new();
    // Above any pid_max, so certainly not a live process.
    let stale = fx.dir.path().join("sys/fs/cgroup/x/profrun-2147483000-3");
    let foreign = fx.dir.path().join("sys/fs/cgroup/x/profrun-notapid-1");
    fs::create_dir_all(&stale).expect("mkdir");
    fs::create_dir_all(&foreign).expect("mkdir");
    let layout = fx.layout("0::/x\n", V2_MOUNTS);
    let mut leaf = CgroupSetup::create_with(&layout, &[CgroupBackend::V2Membership])
        .leaf
        .expect("leaf");
    assert!(leaf
        .name()
        .starts_with(&format!("profrun-{}-", std::process::id())));
    leaf.remove().expect("remove");
    assert!(!stale.exists(), "stale leaf of a dead profrun removed");
    assert!(foreign.exists(), "names that are not ours are left alone");
    assert_eq!(leaf_owner("profrun-123-4"), Some(123));
    assert_eq!(leaf_owner("profrun-123"), None);
    assert_eq!(leaf_owner("other-123-4"), None);
}

#[test]
fn unopenable_procs_file_falls_back_to_none_and_removes_the_leaf() {
    // A plain directory has no cgroup.procs: opening it for writing fails.
    let fx = Fixture::new();
    fx.mkdir("sys/fs/cgroup/x");
    let layout = fx.layout("0::/x\n", V2_MOUNTS);
    let mut setup = CgroupSetup::create_with(&layout, &[CgroupBackend::V2Membership]);
    let path = setup.leaf.as_ref().expect("leaf").dirs()[0].path.clone();
    assert!(setup.spawn_fds().is_empty());
    assert_eq!(setup.backend, CgroupBackend::None);
    assert!(setup.leaf.is_none());
    let note = setup.note.clone().expect("note");
    assert!(
        note.starts_with("cgroup2-membership: cannot open cgroup.procs of"),
        "{note}"
    );
    assert!(!path.exists(), "the leaf was removed on fallback");
    let run = setup.finish(None);
    assert_eq!(run.backend, Some(CgroupBackend::None));
    assert_eq!(run.end, None);
}

#[test]
fn a_child_that_did_not_join_falls_back_with_the_reason() {
    let fx = Fixture::new();
    fx.mkdir("sys/fs/cgroup/x");
    fx.write("proc/77/cgroup", "0::/x\n"); // still in profrun's cgroup
    fx.write("proc/77/stat", "77 (job) S 1 77 77 0 -1 0\n");
    let layout = fx.layout("0::/x\n", V2_MOUNTS);
    let mut setup = CgroupSetup::create_with(&layout, &[CgroupBackend::V2Membership]);
    let proc = ProcRoot(fx.dir.path().join("proc"));
    setup.confirm_member(&proc, 77);
    assert_eq!(setup.backend, CgroupBackend::None);
    let note = setup.note.expect("note");
    assert!(note.contains("the job did not join cgroup leaf"), "{note}");

    // The same pid listed in the leaf is accepted.
    let mut setup = CgroupSetup::create_with(&layout, &[CgroupBackend::V2Membership]);
    let name = setup.leaf.as_ref().expect("leaf").name().to_string();
    fx.write("proc/78/cgroup", &format!("0::/x/{name}\n"));
    setup.confirm_member(&proc, 78);
    assert_eq!(setup.backend, CgroupBackend::V2Membership);
    let run = setup.finish(Some(5));
    assert_eq!(run.left_in_place, None);
    assert_eq!(run.sampled_peak_bytes, Some(5));
    assert!(run.leaf.is_some_and(|l| l.ends_with(&name)));
}

#[test]
fn no_cgroup_flag_opts_out() {
    let setup = CgroupSetup::for_run(true, &ProcRoot::default());
    assert_eq!(setup.backend, CgroupBackend::None);
    assert_eq!(setup.note.as_deref(), Some("disabled by --no-cgroup"));
    let missing = CgroupSetup::for_run(false, &ProcRoot(PathBuf::from("/nonexistent/proc")));
    assert!(missing
        .note
        .is_some_and(|n| n.starts_with("cannot read /proc/self/cgroup")));
}

// Regression: a job that exits within a millisecond is a zombie by the time
// profrun checks its membership; a zombie has left its cgroups, so the check
// failed and the leaf (and what it accounted) was thrown away.
#[test]
fn a_job_that_already_exited_keeps_its_leaf() {
    let fx = Fixture::new();
    fx.mkdir("sys/fs/cgroup/x");
    fx.write("proc/79/cgroup", "0::/x\n");
    fx.write("proc/79/stat", "79 (true) Z 1 79 79 0 -1 0\n");
    let layout = fx.layout("0::/x\n", V2_MOUNTS);
    let mut setup = CgroupSetup::create_with(&layout, &[CgroupBackend::V2Membership]);
    let proc = ProcRoot(fx.dir.path().join("proc"));
    setup.confirm_member(&proc, 79);
    assert_eq!(setup.backend, CgroupBackend::V2Membership);
    // Gone altogether (already reaped): the same.
    let mut setup = CgroupSetup::create_with(&layout, &[CgroupBackend::V2Membership]);
    fx.write("proc/80/cgroup", "0::/x\n");
    setup.confirm_member(&proc, 80);
    assert_eq!(setup.backend, CgroupBackend::V2Membership);
}

// Regression: a job caught while exiting is still in state R but already
// shows the root cgroup; the CPU its leaf charged proves it joined.
#[test]
fn an_exiting_job_that_was_charged_in_the_leaf_keeps_it() {
    let fx = Fixture::new();
    fx.mkdir("sys/fs/cgroup/x");
    fx.write("proc/81/cgroup", "0::/x\n");
    fx.write("proc/81/stat", "81 (true) R 1 81 81 0 -1 0\n");
    let layout = fx.layout("0::/x\n", V2_MOUNTS);
    let mut setup = CgroupSetup::create_with(&layout, &[CgroupBackend::V2Membership]);
    let name = setup.leaf.as_ref().expect("leaf").name().to_string();
    fx.write(
        &format!("sys/fs/cgroup/x/{name}/cpu.stat"),
        "usage_usec 812\nuser_usec 0\nsystem_usec 812\n",
    );
    let proc = ProcRoot(fx.dir.path().join("proc"));
    setup.confirm_member(&proc, 81);
    assert_eq!(
        setup.backend,
        CgroupBackend::V2Membership,
        "{:?}",
        setup.note
    );
}
