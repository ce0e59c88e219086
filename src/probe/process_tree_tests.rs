//! Fixture tests of the tree probe: a fake `/proc` in a temporary folder.
//! Files are rewritten in place, as procfs content changes under an open
//! descriptor; an empty `stat` stands for a reaped process (ESRCH).

use super::*;
use std::fs;
use std::path::Path;

const ROOT: i32 = 100;

fn stat_line(
    pid: i32,
    comm: &str,
    state: char,
    utime: u64,
    threads: u32,
    start: u64,
    rss: u64,
) -> String {
    format!(
        "{pid} ({comm}) {state} 1 1 1 0 -1 0 10 0 0 0 {utime} 5 7 3 20 0 {threads} 0 {start} 1000 {rss} 0 0 0 0 0 0 0 0 0 0 0 0 17 0 0 0 0 0 0\n"
    )
}

struct FakeProc(tempfile::TempDir);

impl FakeProc {
    fn new() -> FakeProc {
        let f = FakeProc(tempfile::tempdir().expect("tempdir"));
        f.process(ROOT, "profrun", 0, 1, 1, 0);
        f.children(ROOT, ROOT, &[]);
        f
    }

    fn dir(&self, pid: i32) -> std::path::PathBuf {
        self.0.path().join(pid.to_string())
    }

    fn process(&self, pid: i32, comm: &str, utime: u64, threads: u32, start: u64, rss: u64) {
        let d = self.dir(pid);
        fs::create_dir_all(d.join(format!("task/{pid}"))).expect("mkdir");
        write(
            &d.join("stat"),
            &stat_line(pid, comm, 'S', utime, threads, start, rss),
        );
        write(
            &d.join("status"),
            &format!("Name:\t{comm}\nVmHWM:\t  {} kB\nVmRSS:\t  {} kB\nRssAnon:\t 8 kB\nRssFile:\t 4 kB\nRssShmem:\t 0 kB\nVmSwap:\t 2 kB\nThreads:\t{threads}\n", rss * 8, rss * 4),
        );
        write(
            &d.join("io"),
            &format!(
                "rchar: {utime}\nwchar: 1\nsyscr: 2\nsyscw: 3\nread_bytes: {}\nwrite_bytes: 4096\n",
                utime * 512
            ),
        );
    }

    fn children(&self, pid: i32, tid: i32, kids: &[i32]) {
        let task = self.dir(pid).join(format!("task/{tid}"));
        fs::create_dir_all(&task).expect("mkdir");
        let text: Vec<String> = kids.iter().map(i32::to_string).collect();
        write(&task.join("children"), &text.join(" "));
    }

    fn probe(&self) -> ProcTreeProbe {
        ProcTreeProbe::new(ProcRoot(self.0.path().to_path_buf()), ROOT)
            .expect("root readable")
            .with_units(100.0, 4096)
    }
}

fn write(path: &Path, text: &str) {
    fs::write(path, text).expect("write fixture");
}

fn sample(probe: &mut ProcTreeProbe, t: f64) -> TreeSample {
    let mut out = TreeSample::default();
    probe.sample(t, &mut out).expect("sample");
    out
}

fn pids(s: &TreeSample) -> Vec<i32> {
    let mut p: Vec<i32> = s.processes.iter().map(|r| r.pid).collect();
    p.sort();
    p
}

#[test]
fn reads_every_field_of_each_process() {
    let f = FakeProc::new();
    f.children(ROOT, ROOT, &[200]);
    f.process(200, "solver (x)", 250, 1, 5000, 3);
    f.children(200, 200, &[]);
    let s = sample(&mut f.probe(), 0.0);
    let r = &s.processes[0];
    assert_eq!(&*r.name, "solver (x)");
    assert_eq!(
        (r.pid, r.state, r.threads, r.starttime_ticks),
        (200, b'S', 1, 5000)
    );
    assert_eq!(r.start_seconds_since_boot, 50.0);
    assert_eq!((r.utime_seconds, r.stime_seconds), (2.5, 0.05));
    assert_eq!((r.cutime_seconds, r.cstime_seconds), (0.07, 0.03));
    assert_eq!(r.rss_bytes, 12 * 1024, "VmRSS, not stat's approximate rss");
    assert_eq!(r.hwm_bytes, 24 * 1024);
    assert_eq!(
        (r.rss_anon_bytes, r.rss_file_bytes, r.rss_shmem_bytes),
        (8192, 4096, 0)
    );
    assert_eq!(r.swap_bytes, 2048);
    assert_eq!(r.pss_bytes, None);
    assert_eq!(
        (
            r.io.rchar,
            r.io.wchar,
            r.io.syscr,
            r.io.syscw,
            r.io.read_bytes,
            r.io.write_bytes
        ),
        (250, 1, 2, 3, 128_000, 4096)
    );
}

#[test]
fn walks_grandchildren_and_every_thread() {
    let f = FakeProc::new();
    f.children(ROOT, ROOT, &[200, 300]); // 300: an orphan, reparented
    f.process(200, "mpirun", 1, 2, 10, 1);
    f.children(200, 200, &[]);
    f.children(200, 201, &[210, 211]); // forked from a second thread
    for pid in [210, 211, 300] {
        f.process(pid, "lmp", 1, 1, 20, 1);
        f.children(pid, pid, &[]);
    }
    let mut probe = f.probe();
    let s = sample(&mut probe, 0.0);
    assert_eq!(pids(&s), vec![200, 210, 211, 300]);
    // Parents come before their children.
    let pos = |pid| s.processes.iter().position(|r| r.pid == pid);
    assert!(pos(200) < pos(210) && pos(200) < pos(211));
}

#[test]
fn a_vanished_pid_is_left_out_and_forgotten() {
    let f = FakeProc::new();
    // 400 is listed but already gone; 200 is there at first, then reaped.
    f.children(ROOT, ROOT, &[200, 400]);
    f.process(200, "short", 1, 1, 10, 1);
    f.children(200, 200, &[]);
    let mut probe = f.probe();
    assert_eq!(pids(&sample(&mut probe, 0.0)), vec![200]);
    assert_eq!(probe.tracked(), 1);
    write(&f.dir(200).join("stat"), ""); // reaped: reads fail
    assert_eq!(pids(&sample(&mut probe, 0.5)), Vec::<i32>::new());
    assert_eq!(probe.tracked(), 0);
}

#[test]
fn a_reused_pid_is_a_new_process() {
    let f = FakeProc::new();
    f.children(ROOT, ROOT, &[200]);
    f.process(200, "first", 900, 1, 10, 1);
    f.children(200, 200, &[]);
    let mut probe = f.probe();
    let a = sample(&mut probe, 0.0);
    assert_eq!(
        (a.processes[0].starttime_ticks, &*a.processes[0].name),
        (10, "first")
    );
    // Same pid, new start time, less CPU: another process.
    f.process(200, "second", 3, 1, 70, 1);
    let b = sample(&mut probe, 0.5);
    let r = &b.processes[0];
    assert_eq!((r.pid, r.starttime_ticks, &*r.name), (200, 70, "second"));
    assert_eq!(r.utime_seconds, 0.03);
    assert_eq!(r.io.rchar, 3, "status and io re-read for the new process");
}

#[test]
fn status_and_io_are_reread_only_when_stat_changes() {
    let f = FakeProc::new();
    f.children(ROOT, ROOT, &[200]);
    f.process(200, "idle", 5, 1, 10, 1);
    f.children(200, 200, &[]);
    let mut probe = f.probe();
    sample(&mut probe, 0.0);
    write(&f.dir(200).join("io"), "rchar: 77\n");
    assert_eq!(
        sample(&mut probe, 0.5).processes[0].io.rchar,
        5,
        "stat unchanged"
    );
    f.process(200, "idle", 6, 1, 10, 1);
    assert_eq!(
        sample(&mut probe, 1.0).processes[0].io.rchar,
        6,
        "stat changed"
    );
}

#[test]
fn a_name_follows_exec() {
    let f = FakeProc::new();
    f.children(ROOT, ROOT, &[200]);
    f.process(200, "profrun", 0, 1, 10, 1);
    f.children(200, 200, &[]);
    let mut probe = f.probe();
    assert_eq!(&*sample(&mut probe, 0.0).processes[0].name, "profrun");
    f.process(200, "python3", 1, 1, 10, 1);
    assert_eq!(&*sample(&mut probe, 0.5).processes[0].name, "python3");
}

#[test]
fn pss_is_read_at_most_once_per_period() {
    let f = FakeProc::new();
    f.children(ROOT, ROOT, &[200]);
    f.process(200, "big", 1, 1, 10, 1);
    f.children(200, 200, &[]);
    let smaps = f.dir(200).join("smaps_rollup");
    write(&smaps, "Rss: 100 kB\nPss: 50 kB\n");
    let mut probe = f.probe().with_pss(5.0);
    assert_eq!(
        sample(&mut probe, 0.0).processes[0].pss_bytes,
        Some(50 * 1024)
    );
    write(&smaps, "Rss: 120 kB\nPss: 60 kB\n");
    let stale = &sample(&mut probe, 4.9).processes[0];
    assert_eq!(
        (stale.pss_bytes, stale.rss_at_pss_bytes),
        (Some(50 * 1024), Some(100 * 1024))
    );
    let fresh = &sample(&mut probe, 5.0).processes[0];
    assert_eq!(
        (fresh.pss_bytes, fresh.rss_at_pss_bytes),
        (Some(60 * 1024), Some(120 * 1024))
    );
}

#[test]
fn a_missing_proc_is_an_error_with_the_path() {
    let err = ProcTreeProbe::new(ProcRoot("/nonexistent-proc".into()), 1).expect_err("no proc");
    assert!(
        err.to_string()
            .contains("'/nonexistent-proc/1/task/1/children'"),
        "{err}"
    );
}

#[test]
fn follows_a_live_tree() {
    // A single-threaded shell that forks `sleep` (the test harness itself
    // forks from worker threads, which the root walk does not read).
    let mut shell = std::process::Command::new("sh")
        .args(["-c", "sleep 5; exit 0"])
        .spawn()
        .expect("spawn sh");
    let mut probe = ProcTreeProbe::new(ProcRoot::default(), shell.id() as i32).expect("proc");
    let mut found = None;
    for _ in 0..100 {
        found = sample(&mut probe, 0.0).processes.into_iter().next();
        if found.as_ref().is_some_and(|r| &*r.name == "sleep") {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    let _ = shell.kill();
    let _ = shell.wait();
    let r = found.expect("the sleep child is in the tree");
    assert!(r.rss_bytes > 0 && r.threads == 1, "{r:?}");
    assert_eq!(&*r.name, "sleep");
}

impl FakeProc {
    fn schedstat(&self, pid: i32, text: &str) {
        write(&self.dir(pid).join("schedstat"), text);
    }

    /// A single process 200 under the root, with `threads` threads and the
    /// given `schedstat`, sampled twice so that its `schedstat` is known.
    fn one_known(&self, threads: u32, schedstat: &str) -> ProcTreeProbe {
        self.children(ROOT, ROOT, &[200]);
        self.process(200, "solver", 5, threads, 10, 1);
        self.children(200, 200, &[]);
        self.schedstat(200, schedstat);
        let mut probe = self.probe();
        sample(&mut probe, 0.0);
        sample(&mut probe, 0.5);
        probe
    }
}

fn utime(s: &TreeSample) -> f64 {
    s.processes[0].utime_seconds
}

#[test]
fn stat_is_skipped_while_schedstat_shows_the_process_has_not_run() {
    let f = FakeProc::new();
    let mut probe = f.one_known(1, "1000 20 3\n");
    // A stat that moved while schedstat did not cannot be real: it shows
    // that stat was not read.
    f.process(200, "solver", 9, 1, 10, 1);
    assert_eq!(utime(&sample(&mut probe, 1.0)), 0.05, "not read");
    f.schedstat(200, "2000 20 4\n");
    assert_eq!(utime(&sample(&mut probe, 1.5)), 0.09, "ran: read");
}

#[test]
fn an_idle_process_is_still_reread_every_idle_reread_ticks() {
    let f = FakeProc::new();
    let mut probe = f.one_known(1, "1000 20 3\n");
    f.process(200, "solver", 9, 1, 10, 1); // e.g. RSS lowered by reclaim
    let first_fresh = (1..=IDLE_REREAD_TICKS)
        .find(|k| utime(&sample(&mut probe, *k as f64)) == 0.09)
        .expect("re-read within IDLE_REREAD_TICKS ticks");
    assert!(first_fresh > 1, "skipped at first");
}

#[test]
fn without_scheduler_statistics_stat_is_read_every_tick() {
    // Kernels without them print "0 0 0" for every task.
    let f = FakeProc::new();
    let mut probe = f.one_known(1, "0 0 0\n");
    f.process(200, "solver", 9, 1, 10, 1);
    assert_eq!(utime(&sample(&mut probe, 1.0)), 0.09);
}

#[test]
fn a_multi_threaded_process_has_its_stat_read_every_tick() {
    // Its schedstat is the main thread's only: another thread may have run.
    let f = FakeProc::new();
    let mut probe = f.one_known(2, "1000 20 3\n");
    f.process(200, "solver", 9, 2, 10, 1);
    assert_eq!(utime(&sample(&mut probe, 1.0)), 0.09);
}

#[test]
fn an_idle_process_that_was_reaped_is_left_out() {
    let f = FakeProc::new();
    let mut probe = f.one_known(1, "1000 20 3\n");
    write(&f.dir(200).join("schedstat"), ""); // reaped: reads fail
    write(&f.dir(200).join("stat"), "");
    assert_eq!(pids(&sample(&mut probe, 1.0)), Vec::<i32>::new());
    assert_eq!(probe.tracked(), 0);
}

#[test]
fn an_idle_parent_keeps_its_children_list_and_its_children_are_still_read() {
    let f = FakeProc::new();
    let mut probe = f.one_known(1, "1000 20 3\n");
    // Listed after the parent's last read: impossible unless it ran.
    f.children(200, 200, &[210]);
    f.process(210, "rank", 1, 1, 20, 1);
    f.children(210, 210, &[]);
    assert_eq!(pids(&sample(&mut probe, 1.0)), vec![200], "list reused");
    f.schedstat(200, "2000 20 4\n"); // it ran: forked
    assert_eq!(pids(&sample(&mut probe, 1.5)), vec![200, 210]);
    // Idle again: 210 is still walked from the kept list, and read.
    sample(&mut probe, 2.0);
    f.process(210, "rank", 7, 1, 20, 1);
    let s = sample(&mut probe, 2.5);
    assert_eq!(pids(&s), vec![200, 210]);
    assert_eq!(s.processes[1].utime_seconds, 0.07);
}

#[test]
fn rank_is_read_from_environ_once_and_again_after_an_exec() {
    let f = FakeProc::new();
    f.children(ROOT, ROOT, &[200, 201]);
    for pid in [200, 201] {
        f.process(pid, "sh", 1, 1, 5000, 3);
        f.children(pid, pid, &[]);
    }
    write(
        &f.dir(200).join("environ"),
        "PATH=/bin\0OMPI_COMM_WORLD_RANK=3\0",
    );
    // 201 is between fork and exec: its parent's environment, no rank.
    write(&f.dir(201).join("environ"), "PATH=/bin\0");
    let mut probe = f.probe();
    let rank_of = |s: &TreeSample, pid: i32| {
        s.processes
            .iter()
            .find(|r| r.pid == pid)
            .expect("seen")
            .rank
    };
    let s = sample(&mut probe, 0.0);
    assert_eq!((rank_of(&s, 200), rank_of(&s, 201)), (Some(3), None));
    // A changed environ is not read again while the process stays the same
    // program (one read per process)...
    write(&f.dir(200).join("environ"), "PMI_RANK=9\0");
    f.process(200, "sh", 2, 1, 5000, 3);
    // ...but an exec (a new name) reads it afresh.
    write(&f.dir(201).join("environ"), "PMIX_RANK=1\0SLURM_PROCID=0\0");
    f.process(201, "solver", 2, 1, 5000, 3);
    let s = sample(&mut probe, 0.5);
    assert_eq!((rank_of(&s, 200), rank_of(&s, 201)), (Some(3), Some(1)));
}

/// Two ranks exec'd at once were first seen inside exec, with their new
/// names but an `environ` not set up yet (empty): both had no rank, for
/// good (the CI flake of `top_processes_name_the_mpi_rank_of_each_process`).
#[test]
fn an_environ_read_empty_inside_exec_is_read_again_when_the_process_runs() {
    let f = FakeProc::new();
    f.children(ROOT, ROOT, &[200]);
    f.process(200, "workload", 1, 1, 5000, 3);
    f.children(200, 200, &[]);
    write(&f.dir(200).join("environ"), "");
    let mut probe = f.probe();
    let rank = |s: &TreeSample| {
        s.processes
            .iter()
            .find(|r| r.pid == 200)
            .expect("seen")
            .rank
    };
    assert_eq!(rank(&sample(&mut probe, 0.0)), None);
    write(&f.dir(200).join("environ"), "PATH=/bin\0PMI_RANK=1\0");
    f.process(200, "workload", 2, 1, 5000, 3);
    assert_eq!(rank(&sample(&mut probe, 0.1)), Some(1));
    // Once found, the rank is not read again.
    write(&f.dir(200).join("environ"), "PATH=/bin\0PMI_RANK=5\0");
    f.process(200, "workload", 3, 1, 5000, 3);
    assert_eq!(rank(&sample(&mut probe, 0.2)), Some(1));
}
