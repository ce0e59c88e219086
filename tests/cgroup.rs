//! Real cgroup tests on this machine: create the job's leaf, spawn real
//! children into it through `launch::spawn`, and compare what the cgroup
//! accounted with what the kernel's rusage says. A test skips only after
//! asserting, from the kernel's own files, why this host offers no leaf
//! (no hierarchy mounted, no memory controller, no write access) and
//! printing it: a host that offers one and gets none fails. Leaves are
//! removed by the guard even when an assert fails.
//!
//! Needs the `workload` example: `cargo build --examples` (plain
//! `cargo test` builds it).

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Mutex;

mod wrapper;
use std::time::{Duration, Instant};
use wrapper::workload;

use profrun::launch::spawn::{spawn, SpawnOptions};
use profrun::probe::cgroup::container::ContainerMarkers;
use profrun::probe::cgroup::{
    CgroupBackend, CgroupLayout, CgroupSetup, ContainerProbe, LeafRemoveError,
};
use profrun::probe::ProcRoot;
use profrun::profile::cgroup::cgroup_record;

/// RUSAGE_CHILDREN is process-wide: tests that read it must not overlap.
static RUSAGE: Mutex<()> = Mutex::new(());

fn argv(args: &[&str]) -> Vec<String> {
    let mut v = vec![workload().display().to_string()];
    v.extend(args.iter().map(|s| s.to_string()));
    v
}

/// Children's user+system CPU seconds so far.
fn children_cpu_seconds() -> f64 {
    // SAFETY: plain data filled by getrusage.
    let mut ru: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: valid pointer.
    unsafe { libc::getrusage(libc::RUSAGE_CHILDREN, &mut ru) };
    let tv = |t: libc::timeval| t.tv_sec as f64 + t.tv_usec as f64 / 1e6;
    tv(ru.ru_utime) + tv(ru.ru_stime)
}

/// Wait for `pid`; return its exit status and its own `ru_maxrss` in bytes.
fn wait(pid: i32) -> (i32, u64) {
    let mut status = 0;
    // SAFETY: as above.
    let mut ru: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: valid pointers; pid is our child.
    let rc = unsafe { libc::wait4(pid, &mut status, 0, &mut ru) };
    assert_eq!(rc, pid, "wait4: {}", std::io::Error::last_os_error());
    (status, ru.ru_maxrss.max(0) as u64 * 1024)
}

/// The largest `RssAnon` of a running process, polled (with `tick`) until
/// it exits.
fn poll_rss_anon_peak(pid: i32, mut tick: impl FnMut()) -> u64 {
    let mut peak = 0;
    let path = format!("/proc/{pid}/status");
    while let Ok(text) = std::fs::read_to_string(&path) {
        if text
            .lines()
            .any(|l| l.starts_with("State:") && l.contains('Z'))
        {
            break;
        }
        let kb = text
            .lines()
            .find_map(|l| l.strip_prefix("RssAnon:"))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
            .unwrap_or(0);
        peak = peak.max(kb * 1024);
        tick();
        std::thread::sleep(Duration::from_millis(5));
    }
    peak
}

/// Kills and reaps a child the test did not get to wait for.
struct KillOnDrop(Option<i32>);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        if let Some(pid) = self.0 {
            // SAFETY: our own, not yet reaped child.
            unsafe {
                libc::kill(pid, libc::SIGKILL);
                libc::waitpid(pid, std::ptr::null_mut(), 0);
            }
        }
    }
}

/// Why this host cannot give a leaf of any backend of `order`, found from
/// the kernel's files rather than through profrun's setup; `None` when one
/// of them is on offer.
fn why_no_leaf(layout: &CgroupLayout, order: &[CgroupBackend]) -> Option<String> {
    let mut reasons = Vec::new();
    for backend in order {
        match offers(layout, *backend) {
            Ok(()) => return None,
            Err(why) => reasons.push(format!("{}: {why}", backend.as_str())),
        }
    }
    Some(reasons.join("; "))
}

fn read_trim(path: &Path) -> String {
    std::fs::read_to_string(path)
        .map(|s| s.trim().to_string())
        .unwrap_or_default()
}

fn lists(text: &str, controller: &str) -> bool {
    text.split_whitespace().any(|c| c == controller)
}

/// Whether a cgroup can be made in `dir`: make one and remove it.
fn can_mkdir(dir: &Path) -> Result<(), String> {
    static N: AtomicU32 = AtomicU32::new(0);
    let name = format!(
        "profrun-capcheck-{}-{}",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    );
    let probe = dir.join(name);
    std::fs::create_dir(&probe)
        .map_err(|e| format!("cannot create a cgroup in '{}': {e}", dir.display()))?;
    std::fs::remove_dir(&probe).expect("remove the probe cgroup");
    Ok(())
}

/// The conditions each backend needs of the host (see
/// `probe/cgroup/backends.rs`), checked on the live files.
fn offers(layout: &CgroupLayout, backend: CgroupBackend) -> Result<(), String> {
    match backend {
        CgroupBackend::V2 => {
            let place = layout.v2.as_ref().ok_or("no cgroup2 hierarchy mounted")?;
            let controllers = read_trim(&place.dir.join("cgroup.controllers"));
            if !lists(&controllers, "memory") {
                return Err(format!(
                    "no memory controller in '{}' (cgroup.controllers: '{controllers}')",
                    place.dir.display()
                ));
            }
            let own_subtree = read_trim(&place.dir.join("cgroup.subtree_control"));
            if lists(&own_subtree, "memory") || place.path == "/" {
                return can_mkdir(&place.dir);
            }
            let parent = place.dir.parent().ok_or("no parent cgroup")?;
            if !lists(&read_trim(&parent.join("cgroup.subtree_control")), "memory") {
                return Err(format!(
                    "memory not delegated to '{}' nor to its parent",
                    place.dir.display()
                ));
            }
            let limited: Vec<&str> = ["memory.max", "memory.high", "pids.max", "cpu.max"]
                .into_iter()
                .filter(|f| {
                    let t = read_trim(&place.dir.join(f));
                    !t.is_empty() && !t.starts_with("max")
                })
                .collect();
            if !limited.is_empty() {
                return Err(format!("a leaf beside would escape {limited:?}"));
            }
            can_mkdir(parent)
        }
        CgroupBackend::V1 => {
            let memory = layout
                .v1
                .get("memory")
                .ok_or("no cgroup1 memory hierarchy")?;
            let cpuacct = layout
                .v1
                .get("cpuacct")
                .ok_or("no cgroup1 cpuacct hierarchy")?;
            can_mkdir(memory)?;
            can_mkdir(cpuacct)
        }
        CgroupBackend::V2Membership => {
            let place = layout.v2.as_ref().ok_or("no cgroup2 hierarchy mounted")?;
            can_mkdir(&place.dir)
        }
        CgroupBackend::None => Err("not a leaf".to_string()),
    }
}

/// Before a skip: fail where the host offers a leaf of `order` that the
/// setup (which left `note`) did not make, else print why there is none.
fn assert_no_leaf_offered(layout: &CgroupLayout, order: &[CgroupBackend], note: Option<&str>) {
    let why = why_no_leaf(layout, order);
    assert!(
        why.is_some(),
        "this host offers a cgroup leaf of {order:?}, yet none was made: {}",
        note.unwrap_or("")
    );
    eprintln!(
        "skipped: no cgroup leaf on this host: {} (setup: {})",
        why.unwrap_or_default(),
        note.unwrap_or("")
    );
}

/// A leaf of the first backend of `order` that works, or `None` (after
/// asserting and printing why) where this host offers none.
fn real_setup(order: &[CgroupBackend]) -> Option<(CgroupLayout, CgroupSetup)> {
    let layout = match CgroupLayout::detect(&ProcRoot::default()) {
        Ok(l) => l,
        Err(e) => {
            assert!(
                std::fs::read_to_string("/proc/self/cgroup").is_err()
                    || std::fs::read_to_string("/proc/self/mountinfo").is_err(),
                "/proc/self/cgroup and mountinfo are readable, yet: {e}"
            );
            eprintln!("skipped: cannot read /proc/self/cgroup: {e}");
            return None;
        }
    };
    let setup = CgroupSetup::create_with(&layout, order);
    if setup.leaf.is_none() {
        assert_no_leaf_offered(&layout, order, setup.note.as_deref());
        return None;
    }
    Some((layout, setup))
}

/// Whether the cgroup2 tree offers the memory controller to profrun's cgroup.
fn v2_offers_memory(layout: &CgroupLayout) -> bool {
    layout.v2.as_ref().is_some_and(|p| {
        std::fs::read_to_string(p.mount.join("cgroup.controllers"))
            .is_ok_and(|t| t.split_whitespace().any(|c| c == "memory"))
    })
}

#[test]
fn real_leaf_cpu_matches_rusage_and_peak_covers_rss() {
    // Drives the leaf exactly as `profrun run` does: for_run, spawn_fds,
    // confirm_member, a reader per tick, finish, cgroup_record.
    let _guard = RUSAGE.lock().unwrap_or_else(|e| e.into_inner());
    let proc = ProcRoot::default();
    let mut setup = CgroupSetup::for_run(false, &proc);
    let layout = CgroupLayout::detect(&proc).expect("layout");
    let Some(leaf) = &setup.leaf else {
        assert_no_leaf_offered(&layout, &CgroupBackend::PREFERRED, setup.note.as_deref());
        return;
    };
    let paths: Vec<PathBuf> = leaf.dirs().iter().map(|d| d.path.clone()).collect();
    if !v2_offers_memory(&layout)
        && layout.v1.contains_key("memory")
        && layout.v1.contains_key("cpuacct")
    {
        // This machine's shape (hybrid, memory on cgroup1): the order must
        // have skipped cgroup2 for a reason and picked cgroup1.
        assert_eq!(setup.backend, CgroupBackend::V1, "{:?}", setup.note);
        assert!(setup
            .note
            .as_deref()
            .is_some_and(|n| n.starts_with("cgroup2: ")));
    }

    let before = children_cpu_seconds();
    let cpu_pid = spawn(
        &argv(&["cpu", "600"]),
        SpawnOptions {
            cgroup_procs: setup.spawn_fds(),
        },
    )
    .expect("spawn");
    setup.confirm_member(&proc, cpu_pid);
    assert_ne!(setup.backend, CgroupBackend::None, "{:?}", setup.note);
    assert_eq!(wait(cpu_pid).0, 0);
    let alloc_pid = spawn(
        &argv(&["alloc", "96", "300", "0"]),
        SpawnOptions {
            cgroup_procs: setup.spawn_fds(),
        },
    )
    .expect("spawn");
    let reader = setup.reader().expect("reader");
    let mut sampled_peak = 0;
    let anon_peak = poll_rss_anon_peak(alloc_pid, || {
        sampled_peak = sampled_peak.max(reader.memory_current_bytes().unwrap_or(0));
    });
    let (status, alloc_rss) = wait(alloc_pid);
    assert_eq!(status, 0);
    let rusage_cpu = children_cpu_seconds() - before;

    let run = setup.finish(Some(sampled_peak));
    let rec = cgroup_record(&run);
    let cgroup_cpu = rec.cpu_total_seconds.expect("cpu usage");
    eprintln!(
        "backend {}: cgroup cpu {cgroup_cpu:.4} s, rusage {rusage_cpu:.4} s; peak {:?} MiB ({:?}), \
         sampled {sampled_peak} B, child max rss {alloc_rss} B, child anon rss peak {anon_peak} B",
        rec.backend, rec.memory_peak_mb, rec.memory_peak_source
    );
    assert!(rusage_cpu > 0.6, "children burned {rusage_cpu} s");
    assert!(
        (cgroup_cpu - rusage_cpu).abs() <= 0.01 * rusage_cpu,
        "cgroup {cgroup_cpu} s vs rusage {rusage_cpu} s"
    );
    if rec.backend != "cgroup2-membership" {
        let peak = (rec.memory_peak_mb.expect("peak") * 1048576.0) as u64;
        // The leaf is charged for every anonymous page of the job, but not
        // for file pages (the binary, libc) that were already cached and
        // charged elsewhere, so it may sit a little under ru_maxrss.
        assert!(
            anon_peak >= 96 << 20,
            "the child touched 96 MiB: {anon_peak}"
        );
        assert!(
            peak >= anon_peak,
            "peak {peak} < child's anonymous rss {anon_peak}"
        );
        assert!(
            peak >= sampled_peak,
            "the kernel's peak covers every sample"
        );
        assert_eq!(rec.oom_kills.unwrap_or(0), 0);
    }
    assert_eq!(rec.left_in_place, None);
    for p in &paths {
        assert!(!p.exists(), "{} still exists", p.display());
    }
}

#[test]
fn leaf_with_a_live_process_is_left_in_place_and_named_then_removed_after_sigterm() {
    let Some((_, mut setup)) = real_setup(&CgroupBackend::PREFERRED) else {
        return;
    };
    let mut leaf = setup.leaf.take().expect("leaf");
    let _guard = RUSAGE.lock().unwrap_or_else(|e| e.into_inner());
    let pid = spawn(
        &argv(&["sleep", "30000"]),
        SpawnOptions {
            cgroup_procs: leaf.procs_fds().expect("open"),
        },
    )
    .expect("spawn");
    // Declared after the leaf, so dropped first: a failing assert below
    // kills the sleeper before the leaf's guard removes the leaf.
    let mut sleeper = KillOnDrop(Some(pid));
    assert_eq!(leaf.pids(), vec![pid]);
    assert_eq!(leaf.reader().pids(), vec![pid]);
    match leaf.remove() {
        Err(LeafRemoveError::Busy { path, pids }) => {
            assert_eq!(pids, vec![pid]);
            assert!(path.exists());
            let msg = LeafRemoveError::Busy {
                path: path.clone(),
                pids,
            }
            .to_string();
            assert!(
                msg.contains(&path.display().to_string()) && msg.contains(&pid.to_string()),
                "{msg}"
            );
        }
        other => panic!("expected a busy leaf, got {other:?}"),
    }
    // SAFETY: signalling our own child.
    unsafe { libc::kill(pid, libc::SIGTERM) };
    let (status, _) = wait(pid);
    sleeper.0 = None;
    assert!(libc::WIFSIGNALED(status) && libc::WTERMSIG(status) == libc::SIGTERM);
    let paths: Vec<PathBuf> = leaf.dirs().iter().map(|d| d.path.clone()).collect();
    leaf.remove().expect("removed once the job is gone");
    assert!(paths.iter().all(|p| !p.exists()));
}

#[test]
fn leaf_catches_a_double_forked_daemon() {
    let Some((_, mut setup)) = real_setup(&CgroupBackend::PREFERRED) else {
        return;
    };
    let leaf = setup.leaf.take().expect("leaf");
    let _guard = RUSAGE.lock().unwrap_or_else(|e| e.into_inner());
    let dir = tempfile::tempdir().expect("tempdir");
    let pidfile = dir.path().join("daemon.pid");
    let pid = spawn(
        &argv(&["daemon", "100", &pidfile.display().to_string()]),
        SpawnOptions {
            cgroup_procs: leaf.procs_fds().expect("open"),
        },
    )
    .expect("spawn");
    assert_eq!(wait(pid).0, 0);
    let daemon: i32 = std::fs::read_to_string(&pidfile)
        .expect("pidfile")
        .trim()
        .parse()
        .expect("pid");
    // Reparented away from us, so a children walk from here misses it; the
    // leaf still holds it.
    let in_leaf = leaf.pids();
    assert!(
        in_leaf.contains(&daemon),
        "daemon {daemon} not in {in_leaf:?}"
    );
    let deadline = Instant::now() + Duration::from_secs(10);
    while !leaf.pids().is_empty() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(20));
    }
    assert!(leaf.pids().is_empty(), "daemon did not finish");
}

#[test]
fn failed_start_leaves_no_leaf_behind() {
    let Some((_, setup)) = real_setup(&CgroupBackend::PREFERRED) else {
        return;
    };
    let leaf = setup.leaf.expect("leaf");
    let paths: Vec<PathBuf> = leaf.dirs().iter().map(|d| d.path.clone()).collect();
    let err = spawn(
        &["/nonexistent/profrun-cgroup-test".to_string()],
        SpawnOptions {
            cgroup_procs: leaf.procs_fds().expect("open"),
        },
    )
    .expect_err("must fail");
    assert_eq!(err.exit_code, 127);
    assert!(paths.iter().all(|p| p.exists()));
    drop(leaf); // the guard on profrun's failed-start path
    assert!(paths.iter().all(|p| !p.exists()));
}

#[test]
fn v2_membership_leaf_counts_cpu_exactly() {
    let _guard = RUSAGE.lock().unwrap_or_else(|e| e.into_inner());
    let Some((_, mut setup)) = real_setup(&[CgroupBackend::V2Membership]) else {
        return;
    };
    let mut leaf = setup.leaf.take().expect("leaf");
    assert_eq!(leaf.backend(), CgroupBackend::V2Membership);
    let before = children_cpu_seconds();
    let pid = spawn(
        &argv(&["cpu", "500"]),
        SpawnOptions {
            cgroup_procs: leaf.procs_fds().expect("open"),
        },
    )
    .expect("spawn");
    leaf.verify_member(&ProcRoot::default(), pid)
        .expect("joined");
    assert_eq!(wait(pid).0, 0);
    let rusage_cpu = children_cpu_seconds() - before;
    let sample = leaf.reader().sample();
    let cgroup_cpu = sample.cpu_usage_usec.expect("cpu.stat") as f64 / 1e6;
    eprintln!("cgroup2 membership: cgroup cpu {cgroup_cpu:.4} s, rusage {rusage_cpu:.4} s");
    assert!(
        (cgroup_cpu - rusage_cpu).abs() <= 0.01 * rusage_cpu,
        "cgroup {cgroup_cpu} s vs rusage {rusage_cpu} s"
    );
    assert_eq!(sample.memory_peak_bytes, None, "no memory controller");
    leaf.remove().expect("removed");
}

#[test]
fn container_stats_of_the_enclosing_cgroup_grow_with_the_job() {
    let _guard = RUSAGE.lock().unwrap_or_else(|e| e.into_inner());
    let probe = match ContainerProbe::for_run(&ProcRoot::default()) {
        Ok(p) => p,
        Err(reason) => {
            // profrun reports no container only outside one: no runtime's
            // marker file or variable is present.
            let markers = ContainerMarkers::detect();
            assert!(
                !markers.dockerenv
                    && !markers.containerenv
                    && !markers.kubernetes_env
                    && markers.container_env.is_none(),
                "this host shows container markers {markers:?}, yet: {reason}"
            );
            eprintln!("skipped: {reason}");
            return;
        }
    };
    let first = probe.sample();
    let before = children_cpu_seconds();
    let pid = spawn(&argv(&["cpu", "300"]), SpawnOptions::default()).expect("spawn");
    assert_eq!(wait(pid).0, 0);
    let burned = children_cpu_seconds() - before;
    let last = probe.sample();
    eprintln!("container {:?}: {first:?} -> {last:?}", probe.info());
    let grew = last.cpu_usage_usec.expect("cpu") - first.cpu_usage_usec.expect("cpu");
    // The enclosing cgroup holds the child too (it may hold more).
    assert!(
        grew as f64 / 1e6 >= 0.99 * burned,
        "grew {grew} us, child {burned} s"
    );
    assert!(last.memory_usage_bytes.expect("memory") > 0);
    assert!(last.net.is_some(), "/proc/self/net/dev readable");
}

/// The skips above trust `why_no_leaf`: for each backend alone, it must
/// say "offered" exactly where profrun's setup makes a leaf.
#[test]
fn the_host_capability_check_agrees_with_the_setup_for_each_backend() {
    let layout = CgroupLayout::detect(&ProcRoot::default()).expect("layout");
    for backend in CgroupBackend::PREFERRED {
        let why = why_no_leaf(&layout, &[backend]);
        let mut setup = CgroupSetup::create_with(&layout, &[backend]);
        let made = setup.leaf.take();
        eprintln!(
            "{}: {}",
            backend.as_str(),
            why.as_deref().unwrap_or("offered")
        );
        assert_eq!(
            made.is_some(),
            why.is_none(),
            "{}: setup note {:?}, host check {why:?}",
            backend.as_str(),
            setup.note
        );
        if let Some(mut leaf) = made {
            leaf.remove().expect("an empty leaf is removed");
        }
    }
}
