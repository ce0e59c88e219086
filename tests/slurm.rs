//! profrun under a real single-node Slurm (issue 16): `srun` tasks and
//! `sbatch` array tasks each write their record, `scontrol listpids` still
//! sees every process of a job run under profrun, and `scancel` or the
//! time limit of `srun profrun` and of a plain `sbatch --wrap "profrun
//! ..."` leaves a record with status interrupted. The cluster
//! comes from `tests/support/slurm.rs`; on a host that cannot run it each
//! test says why and passes (see `cluster_or_skip`).

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Child, ExitStatus, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

mod support;
mod wrapper;
use support::slurm::{
    cluster_or_skip, cluster_or_skip_with, leftover_leaves, SlurmCluster, SlurmOptions,
};
use wrapper::{read_history, workload};

fn profrun_path() -> &'static str {
    env!("CARGO_BIN_EXE_profrun")
}

/// A name unique to this test process, for `--job-name`.
fn job_name(what: &str) -> String {
    format!("{what}-{}", std::process::id())
}

fn env_var<'a>(record: &'a Value, name: &str) -> Option<&'a str> {
    record.pointer(&format!("/environment/{name}"))?.as_str()
}

fn sorted(mut v: Vec<String>) -> Vec<String> {
    v.sort();
    v
}

fn wait_bounded(child: &mut Child, timeout: Duration) -> ExitStatus {
    let start = Instant::now();
    loop {
        if let Some(status) = child.try_wait().expect("wait") {
            return status;
        }
        if start.elapsed() > timeout {
            let _ = child.kill();
            panic!("still running after {timeout:?}");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// `srun --job-name NAME profrun --history H -- workload ARGS` started in
/// the background.
fn spawn_srun_profrun(cluster: &SlurmCluster, name: &str, history: &Path, args: &[&str]) -> Child {
    cluster
        .command("srun")
        .args(["-n", "1", "--job-name", name])
        .arg(profrun_path())
        .arg("--history")
        .arg(history)
        .arg("--")
        .arg(workload())
        .args(args)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn srun")
}

#[test]
fn cluster_starts_and_shows_the_node_idle() {
    let Some(cluster) = cluster_or_skip() else {
        return;
    };
    eprintln!("single-node Slurm up in {:?}", cluster.startup);
    let out = cluster.run_ok(cluster.command("sinfo").args(["-h", "-o", "%n %T"]));
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).trim(),
        format!("{} idle", cluster.node())
    );
}

#[test]
fn srun_two_tasks_write_one_record_each() {
    let Some(cluster) = cluster_or_skip() else {
        return;
    };
    let history = cluster.path("h.jsonl");
    let started = Instant::now();
    cluster.run_ok(
        cluster
            .command("srun")
            .args(["-n", "2", "--job-name", &job_name("srun2")])
            .arg(profrun_path())
            .arg("--history")
            .arg(&history)
            .arg("--")
            .arg(workload())
            .args(["cpu", "200"]),
    );
    eprintln!("srun -n 2 profrun took {:?}", started.elapsed());
    let records = read_history(&history);
    assert_eq!(records.len(), 2, "{records:?}");
    for r in &records {
        assert_eq!(r["status"], "success", "{r}");
        assert_eq!(env_var(r, "SLURM_STEP_ID"), Some("0"), "{r}");
    }
    let jobs: Vec<_> = records.iter().map(|r| env_var(r, "SLURM_JOB_ID")).collect();
    assert!(
        jobs[0].is_some() && jobs[0] == jobs[1],
        "one job id: {jobs:?}"
    );
    let procids: Vec<String> = records
        .iter()
        .map(|r| {
            env_var(r, "SLURM_PROCID")
                .expect("SLURM_PROCID")
                .to_string()
        })
        .collect();
    assert_eq!(sorted(procids), ["0", "1"]);
    // The same, from the record's own `slurm` block (issue 16 item 1).
    let block_procids: Vec<String> = records
        .iter()
        .map(|r| r["slurm"]["procid"].to_string())
        .collect();
    assert_eq!(sorted(block_procids), ["0", "1"]);
    for r in &records {
        assert_eq!(r["slurm"]["step_id"], "0", "{r}");
        assert_eq!(r["slurm"]["ntasks"], 2, "{r}");
        assert_eq!(
            r["slurm"]["job_id"].to_string(),
            jobs[0].expect("job id"),
            "{r}"
        );
        assert_eq!(r["slurm"]["cluster"], "profrun-test", "{r}");
        // DefMemPerCPU=256 and task/cgroup's limit: the allocation is known.
        let d = &r["detailed_profile"];
        assert!(d["memory_allocation_bytes"].as_u64().is_some(), "{d}");
        assert!(d["memory_efficiency"].as_f64().is_some(), "{d}");
    }
}

#[test]
fn sbatch_array_writes_one_record_per_array_task() {
    let Some(cluster) = cluster_or_skip() else {
        return;
    };
    // A per-host history (issue 16 item 4): the writer fills in {host}.
    let template = cluster.path("arr/{host}.jsonl");
    let history = cluster.path(&format!("arr/{}.jsonl", cluster.node()));
    let wrap = format!(
        "'{}' --history '{}' -- '{}' cpu 100",
        profrun_path(),
        template.display(),
        workload().display()
    );
    let started = Instant::now();
    cluster.run_ok(
        cluster
            .command("sbatch")
            .args(["--array=0-2", "--wait", "--job-name", &job_name("array")])
            .arg(format!(
                "--output={}/array-%A_%a.out",
                cluster.dir().display()
            ))
            .arg(format!("--chdir={}", cluster.dir().display()))
            .args(["--wrap", &wrap]),
    );
    eprintln!("sbatch --array=0-2 --wait took {:?}", started.elapsed());
    let records = read_history(&history);
    assert_eq!(records.len(), 3, "{records:?}");
    let array_ids: Vec<_> = records
        .iter()
        .map(|r| env_var(r, "SLURM_ARRAY_JOB_ID"))
        .collect();
    assert!(
        array_ids[0].is_some() && array_ids.iter().all(|a| *a == array_ids[0]),
        "one array job id: {array_ids:?}"
    );
    let tasks: Vec<String> = records
        .iter()
        .map(|r| {
            env_var(r, "SLURM_ARRAY_TASK_ID")
                .expect("task id")
                .to_string()
        })
        .collect();
    assert_eq!(sorted(tasks), ["0", "1", "2"]);
    for r in &records {
        assert_eq!(r["status"], "success", "{r}");
        // A batch script runs outside any step: the `batch` step.
        assert_eq!(env_var(r, "SLURM_STEP_ID"), None, "{r}");
        assert_eq!(r["slurm"]["step_id"], "batch", "{r}");
        assert_eq!(
            r["slurm"]["array_job_id"].to_string(),
            array_ids[0].expect("array id"),
            "{r}"
        );
    }
    // Read back as one job: the template read as a glob of every host.
    let array_id = array_ids[0].expect("array id");
    let stats = wrapper::profrun()
        .args(["job-stats", "--group-by", "slurm_job", "--format", "json"])
        .arg("--history")
        .arg(&template)
        .output()
        .expect("job-stats");
    assert!(stats.status.success(), "{stats:?}");
    let groups: Value = serde_json::from_slice(&stats.stdout).expect("json");
    let groups = groups.as_array().expect("groups");
    assert_eq!(groups.len(), 1, "{groups:?}");
    assert_eq!(groups[0]["slurm_job"], array_id, "{groups:?}");
    assert_eq!(groups[0]["tasks"], 3, "{groups:?}");
    assert_eq!(groups[0]["nodes"], 1, "{groups:?}");
    let report = wrapper::profrun()
        .args(["slurm-job", array_id, "--history"])
        .arg(cluster.path("arr/*.jsonl"))
        .output()
        .expect("slurm-job");
    let text = String::from_utf8_lossy(&report.stdout);
    assert!(report.status.success(), "{report:?}");
    assert!(text.contains("3 on 1 node (3 success)"), "{text}");
    for task in ["[0].batch", "[1].batch", "[2].batch"] {
        assert!(text.contains(task), "{task} in {text}");
    }
}

/// The pids `scontrol listpids JOBID` prints (header skipped).
fn listpids(cluster: &SlurmCluster, job: &str) -> Vec<i32> {
    let text = cluster.stdout(cluster.command("scontrol").args(["listpids", job]));
    text.lines()
        .skip(1)
        .filter_map(|l| l.split_whitespace().next()?.parse().ok())
        .collect()
}

fn cmdline(pid: i32) -> String {
    std::fs::read(format!("/proc/{pid}/cmdline"))
        .map(|b| String::from_utf8_lossy(&b).replace('\0', " "))
        .unwrap_or_default()
}

#[test]
fn scontrol_listpids_lists_every_process_of_a_job_under_profrun() {
    let Some(mut cluster) = cluster_or_skip() else {
        return;
    };
    let history = cluster.path("h.jsonl");
    let name = job_name("listpids");
    // profrun, `workload tree` and its two sleeping children.
    let mut srun = spawn_srun_profrun(&cluster, &name, &history, &["tree", "2", "20000"]);
    let job = cluster.running_job(&name);
    let mut pids = Vec::new();
    cluster.wait_until(
        "4 pids in scontrol listpids",
        Duration::from_secs(20),
        |c| {
            pids = listpids(c, &job);
            pids.len() >= 4
        },
    );
    let lines: Vec<String> = pids
        .iter()
        .map(|&p| format!("{p} {}", cmdline(p)))
        .collect();
    // Each process by its program and first argument.
    let count = |program: &str, first: &str| {
        lines
            .iter()
            .filter(|l| {
                let mut words = l.split_whitespace().skip(1);
                words.next() == Some(program) && words.next() == Some(first)
            })
            .count()
    };
    let workload = workload().display().to_string();
    let (profrun, tree, sleeps) = (
        count(profrun_path(), "--history"),
        count(&workload, "tree"),
        count(&workload, "sleep"),
    );
    assert_eq!((profrun, tree, sleeps), (1, 1, 2), "listpids: {lines:#?}");

    // The job's processes stay in the step's cgroups: freezer (proctrack)
    // and memory (task/cgroup's limit); profrun's own leaf, if any, nests
    // below the step.
    let step = format!("/job_{job}/step_0");
    for &pid in &pids {
        let cgroups = std::fs::read_to_string(format!("/proc/{pid}/cgroup")).unwrap_or_default();
        eprintln!("pid {pid} {}\n{cgroups}", cmdline(pid));
        for controller in [":freezer:", ":memory:", ":cpuacct:"] {
            let line = cgroups
                .lines()
                .find(|l| l.contains(controller))
                .unwrap_or_else(|| panic!("no {controller} line: {cgroups}"));
            assert!(line.contains(&step), "pid {pid} left the step: {line}");
        }
    }

    cluster.run_ok(cluster.command("scancel").arg(&job));
    wait_bounded(&mut srun, Duration::from_secs(30));
}

/// `sstat`'s MaxRSS of step JOB.0 in bytes (`1184K`, `201M`, ...).
fn sstat_max_rss_bytes(cluster: &SlurmCluster, job: &str) -> Option<u64> {
    let text = cluster.stdout(cluster.command("sstat").args([
        "-n",
        "-P",
        "--format=MaxRSS",
        "-j",
        &format!("{job}.0"),
    ]));
    let text = text.lines().next()?.trim();
    let (digits, unit) = text.split_at(text.find(|c: char| !c.is_ascii_digit())?);
    let scale = match unit {
        "K" => 1 << 10,
        "M" => 1 << 20,
        "G" => 1 << 30,
        _ => return None,
    };
    Some(digits.parse::<u64>().ok()? * scale)
}

#[test]
fn slurm_accounting_sees_the_memory_of_a_job_under_profrun() {
    let Some(mut cluster) = cluster_or_skip() else {
        return;
    };
    let history = cluster.path("h.jsonl");
    let name = job_name("sstat");
    // jobacct_gather/cgroup reads the task's cgroup; profrun's leaf below
    // it must not hide the job's 200 MiB from it.
    let mut srun = spawn_srun_profrun(&cluster, &name, &history, &["alloc", "200", "20000", "0"]);
    let job = cluster.running_job(&name);
    let mut rss = None;
    cluster.wait_until("sstat MaxRSS >= 150 MiB", Duration::from_secs(20), |c| {
        rss = sstat_max_rss_bytes(c, &job);
        rss.is_some_and(|b| b >= 150 << 20)
    });
    eprintln!("sstat MaxRSS of {job}.0: {rss:?} bytes");
    cluster.run_ok(cluster.command("scancel").arg(&job));
    wait_bounded(&mut srun, Duration::from_secs(30));
}

#[test]
fn scancel_of_srun_profrun_leaves_an_interrupted_record() {
    let Some(mut cluster) = cluster_or_skip() else {
        return;
    };
    let history = cluster.path("h.jsonl");
    let name = job_name("scancel");
    let mut srun = spawn_srun_profrun(&cluster, &name, &history, &["tree", "2", "20000"]);
    let job = cluster.running_job(&name);
    cluster.wait_until("the job's 4 processes", Duration::from_secs(20), |c| {
        listpids(c, &job).len() >= 4
    });
    let sent = Instant::now();
    cluster.run_ok(cluster.command("scancel").arg(&job));
    let status = wait_bounded(&mut srun, Duration::from_secs(30));
    eprintln!("srun exited {status} {:?} after scancel", sent.elapsed());
    let records = read_history(&history);
    assert_eq!(records.len(), 1, "{records:?}\n{}", cluster.logs());
    let r = &records[0];
    assert_eq!(r["status"], "interrupted", "{r}");
    assert_eq!(r["signal"]["name"], "SIGTERM", "{r}");
    assert_eq!(env_var(r, "SLURM_JOB_ID"), Some(job.as_str()), "{r}");
}

#[test]
fn step_memory_limit_still_applies_under_profrun() {
    let Some(cluster) = cluster_or_skip() else {
        return;
    };
    let history = cluster.path("h.jsonl");
    // 300 MiB touched under a 100 MiB step: task/cgroup's limit must reach
    // the job through profrun's own leaf, so the kernel kills it.
    let out = cluster
        .command("srun")
        .args(["-n", "1", "--mem=100M", "--job-name", &job_name("oom")])
        .arg(profrun_path())
        .arg("--history")
        .arg(&history)
        .arg("--")
        .arg(workload())
        .args(["alloc", "300", "500", "0"])
        .output()
        .expect("run srun");
    assert!(!out.status.success(), "the 100M limit did not apply");
    let records = read_history(&history);
    assert_eq!(records.len(), 1, "{records:?}");
    assert_eq!(records[0]["signal"]["name"], "SIGKILL", "{}", records[0]);
}

/// Run `srun profrun -- cat /proc/self/cgroup` as user `nobody` in a batch
/// job of a cluster gathering with `jobacct`; return the record and the
/// job's cgroups, or `None` where the host cannot run Slurm.
fn user_job(jobacct: &'static str) -> Option<(Value, String)> {
    let mut cluster = cluster_or_skip_with(SlurmOptions {
        jobacct_gather: jobacct,
    })?;
    let dir = cluster.path("user");
    std::fs::create_dir(&dir).expect("mkdir");
    std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o777)).expect("chmod");
    let history = dir.join("h.jsonl");
    let wrap = format!(
        "srun '{}' --history '{}' -- cat /proc/self/cgroup",
        profrun_path(),
        history.display()
    );
    // Polling squeue, not `sbatch --wait` (which polls every few seconds).
    let out = cluster.run_ok(
        cluster
            .command("sbatch")
            .args(["--parsable", "--uid=nobody", "--gid=nogroup", "--job-name"])
            .arg(job_name("user"))
            .arg(format!("--chdir={}", dir.display()))
            .arg(format!("--output={}/out.txt", dir.display()))
            .args(["--wrap", &wrap]),
    );
    let job = String::from_utf8_lossy(&out.stdout).trim().to_string();
    cluster.wait_until("the job done", Duration::from_secs(30), |c| {
        c.stdout(c.command("squeue").args(["-h", "-j", &job]))
            .is_empty()
    });
    let records = read_history(&history);
    assert_eq!(records.len(), 1, "{records:?}\n{}", cluster.logs());
    let cgroups = std::fs::read_to_string(dir.join("out.txt")).expect("job output");
    let record = records.into_iter().next().expect("one record");
    assert_eq!(record["user"]["name"], "nobody", "{record}");
    assert_eq!(record["status"], "success", "{record}");
    Some((record, cgroups))
}

fn cgroup_line<'a>(cgroups: &'a str, controller: &str) -> &'a str {
    cgroups
        .lines()
        .find(|l| l.contains(&format!(":{controller}:")))
        .unwrap_or_else(|| panic!("no {controller} line in {cgroups}"))
}

/// Issue 16 item 6 for a user's job: with jobacct_gather/cgroup Slurm gives
/// the task memory and cpuacct cgroups the user owns, and profrun's leaf
/// nests in both (blkio, root's, is skipped).
#[test]
fn user_job_leaf_nests_in_the_task_cgroups() {
    let Some((record, cgroups)) = user_job("jobacct_gather/cgroup") else {
        return;
    };
    eprintln!("{cgroups}{}", record["measurement"]);
    assert_eq!(
        record["measurement"]["cgroup_backend"], "cgroup1",
        "{record}"
    );
    for controller in ["memory", "cpuacct"] {
        let line = cgroup_line(&cgroups, controller);
        assert!(
            line.contains("/step_0/task_0/profrun-"),
            "{controller} leaf not below the task: {line}"
        );
    }
    assert!(
        cgroup_line(&cgroups, "freezer").ends_with("/step_0"),
        "{cgroups}"
    );
}

/// Issue 16 item 6, where nesting is impossible: with jobacct_gather/linux
/// the task has no cpuacct cgroup of its own and a user may not create one
/// at the root. The job stays in the step's cgroups either way; without a
/// leaf the record says why.
#[test]
fn user_job_without_task_cpuacct_stays_in_the_step_and_says_why() {
    let Some((record, cgroups)) = user_job("jobacct_gather/linux") else {
        return;
    };
    eprintln!("{cgroups}{}", record["measurement"]);
    for controller in ["memory", "freezer"] {
        let line = cgroup_line(&cgroups, controller);
        assert!(
            line.contains("/step_0"),
            "{controller} left the step: {line}"
        );
    }
    let m = &record["measurement"];
    if m["cgroup_backend"] == "none" {
        let note = m["cgroup_note"].as_str().unwrap_or_default();
        assert!(
            note.contains("cgroup1: "),
            "no reason for the missing leaf: {m}"
        );
    } else {
        assert!(
            cgroup_line(&cgroups, "memory").contains("/step_0/task_0/profrun-"),
            "{cgroups}"
        );
    }
}

/// A checkpoint folder of the cluster's own (`XDG_RUNTIME_DIR`), for the
/// job's profrun and the next one: no other test's checkpoints in it.
fn runtime_dir(cluster: &SlurmCluster) -> PathBuf {
    let dir = cluster.path("runtime");
    if !dir.exists() {
        std::fs::create_dir(&dir).expect("mkdir runtime");
        std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o700))
            .expect("chmod runtime");
    }
    dir
}

/// The checkpoints (`*.json`) in `runtime`'s profrun folder.
fn checkpoints(runtime: &Path) -> Vec<PathBuf> {
    std::fs::read_dir(runtime.join("profrun"))
        .map(|entries| {
            entries
                .flatten()
                .map(|e| e.path())
                .filter(|p| {
                    let name = p.file_name().map(|n| n.to_string_lossy().into_owned());
                    name.is_some_and(|n| !n.starts_with('.') && n.ends_with(".json"))
                })
                .collect()
        })
        .unwrap_or_default()
}

/// `sbatch --wrap WRAP` with the cluster's checkpoint folder; the job's id
/// once it runs, its processes (at least `processes`, the batch shell
/// included) are up and its profrun has written its first checkpoint.
fn sbatch_checkpointed(
    cluster: &mut SlurmCluster,
    name: &str,
    wrap: &str,
    processes: usize,
) -> String {
    let runtime = runtime_dir(cluster);
    cluster.run_ok(
        cluster
            .command("sbatch")
            .env("XDG_RUNTIME_DIR", &runtime)
            .args(["--job-name", name, "--wrap", wrap])
            .arg(format!("--output={}/{name}.out", cluster.dir().display())),
    );
    let job = cluster.running_job(name);
    cluster.wait_until("the job's processes", Duration::from_secs(20), |c| {
        listpids(c, &job).len() >= processes
    });
    // One --interval (0.5 s) after the spawn.
    cluster.wait_until("its first checkpoint", Duration::from_secs(20), |_| {
        !checkpoints(&runtime).is_empty()
    });
    job
}

fn wait_gone(cluster: &mut SlurmCluster, job: &str, timeout: Duration) {
    cluster.wait_until("the job gone", timeout, |c| {
        c.stdout(c.command("squeue").args(["-h", "-j", job]))
            .is_empty()
    });
}

/// The next profrun on `history`, which appends the orphaned checkpoints
/// first; it asks the cluster (its `SLURM_CONF`) about their jobs. Returns
/// the history's records.
fn records_after_recovery(cluster: &SlurmCluster, history: &Path) -> Vec<Value> {
    let runtime = runtime_dir(cluster);
    let out = cluster
        .command(profrun_path())
        .env("XDG_RUNTIME_DIR", &runtime)
        .arg("--quiet")
        .arg("--history")
        .arg(history)
        .args(["--", "true"])
        .output()
        .expect("run profrun");
    assert!(out.status.success(), "{out:?}");
    assert!(
        checkpoints(&runtime).is_empty(),
        "checkpoints left: {:?}",
        checkpoints(&runtime)
    );
    let records = read_history(history);
    let last = records.last().expect("the next run's record");
    assert_eq!(last["status"], "success", "{last}");
    records
}

/// `plain` (`sbatch --wrap "profrun ..."`) with a job of two sleeping
/// children: the command line for `--wrap`, `launch` before profrun.
fn wrap_profrun(launch: &str, history: &Path, job_args: &str) -> String {
    format!(
        "{launch} '{}' --history '{}' -- '{}' {job_args}",
        profrun_path(),
        history.display(),
        workload().display()
    )
}

/// Issue 16 item 7, measured with Slurm 22.05 and proctrack/cgroup:
/// `scancel` SIGTERMs only the batch shell (slurmstepd's child); profrun
/// hears of it through its parent-death SIGTERM, and slurmstepd SIGKILLs
/// what is left of the step within milliseconds of the shell's end. Either
/// profrun wins that race (its own record, or its checkpoint naming the
/// signal) or it loses it, and its checkpoint (the first is written one
/// interval after the spawn) is recovered with Slurm's word for the job
/// (CANCELLED): interrupted by SIGTERM every time.
#[test]
fn scancel_of_plain_sbatch_profrun_keeps_a_record() {
    let Some(mut cluster) = cluster_or_skip() else {
        return;
    };
    let history = cluster.path("h.jsonl");
    let name = job_name("plain");
    let wrap = wrap_profrun("", &history, "tree 2 20000");
    let job = sbatch_checkpointed(&mut cluster, &name, &wrap, 5);
    cluster.run_ok(cluster.command("scancel").arg(&job));
    wait_gone(&mut cluster, &job, Duration::from_secs(30));
    let records = records_after_recovery(&cluster, &history);
    assert_eq!(records.len(), 2, "no record after scancel: {records:?}");
    let r = &records[0];
    eprintln!("recorded: {} ({})", r["status"], r["error"]);
    assert_eq!(r["status"], "interrupted", "{r}");
    assert_eq!(r["signal"]["name"], "SIGTERM", "{r}");
    assert_eq!(r["slurm"]["job_id"].to_string(), job, "{r}");
    let leaves = leftover_leaves(cluster.node());
    assert!(
        leaves.is_empty(),
        "leaves left in Slurm's cgroups: {leaves:?}"
    );
}

/// Issue 16 item 7, the race lost every time: a profrun below a shell of
/// the batch script (`bash -c "profrun ...; true"`) is not the batch
/// shell's child, asks for no parent-death signal, and hears nothing before
/// slurmstepd's SIGKILL. Its checkpoint names no signal; Slurm says the job
/// was CANCELLED, so the run was interrupted, not lost.
#[test]
fn scancel_of_a_profrun_that_hears_nothing_is_interrupted_by_slurms_word() {
    let Some(mut cluster) = cluster_or_skip() else {
        return;
    };
    let history = cluster.path("h.jsonl");
    let name = job_name("nested");
    let inner = wrap_profrun("", &history, "tree 2 20000");
    let wrap = format!("bash -c \"{inner}; true\"");
    let job = sbatch_checkpointed(&mut cluster, &name, &wrap, 6);
    cluster.run_ok(cluster.command("scancel").arg(&job));
    wait_gone(&mut cluster, &job, Duration::from_secs(30));
    // Readers, which write nothing, ask Slurm too.
    let listed = cluster.run_ok(
        cluster
            .command(profrun_path())
            .env("XDG_RUNTIME_DIR", runtime_dir(&cluster))
            .args([
                "job-history",
                "--status",
                "interrupted",
                "--format",
                "jsonl",
            ])
            .arg("--history")
            .arg(&history),
    );
    let shown = String::from_utf8_lossy(&listed.stdout);
    assert_eq!(shown.lines().count(), 1, "{shown}");
    let records = records_after_recovery(&cluster, &history);
    assert_eq!(records.len(), 2, "{records:?}");
    let r = &records[0];
    assert_eq!(r["status"], "interrupted", "{r}");
    assert_eq!(r["signal"]["name"], "SIGTERM", "{r}");
    let error = r["error"].as_str().unwrap_or_default();
    assert!(error.contains("by Slurm (Slurm: CANCELLED)"), "{r}");
    assert!(error.contains("ended with its Slurm job"), "{r}");
}

/// Issue 16 item 7's other side: a profrun SIGKILLed by something other
/// than Slurm (here `kill -9`; the OOM killer alike) is `lost`, with
/// Slurm's state of the job (FAILED: the batch shell's profrun died of a
/// signal) named.
#[test]
fn sigkill_of_a_plain_sbatch_profrun_not_by_slurm_stays_lost() {
    let Some(mut cluster) = cluster_or_skip() else {
        return;
    };
    let history = cluster.path("h.jsonl");
    let name = job_name("killed");
    let wrap = wrap_profrun("", &history, "tree 2 20000");
    let job = sbatch_checkpointed(&mut cluster, &name, &wrap, 5);
    let profrun = listpids(&cluster, &job)
        .into_iter()
        .find(|&pid| cmdline(pid).starts_with(&format!("{} --history", profrun_path())))
        .expect("profrun's pid");
    // SAFETY: a pid Slurm listed in this test's job, just read.
    assert_eq!(unsafe { libc::kill(profrun, libc::SIGKILL) }, 0);
    wait_gone(&mut cluster, &job, Duration::from_secs(30));
    let records = records_after_recovery(&cluster, &history);
    assert_eq!(records.len(), 2, "{records:?}");
    let r = &records[0];
    assert_eq!(r["status"], "lost", "{r}");
    assert!(r.get("signal").map_or(true, Value::is_null), "{r}");
    let error = r["error"].as_str().unwrap_or_default();
    assert!(error.contains("(Slurm: FAILED"), "{r}");
}

/// Submit `sbatch --time=1 --wrap SCRIPT` (SCRIPT runs profrun on a job
/// that would sleep 200 s), wait until Slurm has killed it for its time
/// limit, run the next profrun on its history and return the records.
/// Slurm checks limits every 30 s or so: this takes about 90 s.
fn records_after_time_limit(cluster: &mut SlurmCluster, what: &str, launch: &str) -> Vec<Value> {
    let history = cluster.path("h.jsonl");
    let name = job_name(what);
    let wrap = wrap_profrun(launch, &history, "tree 2 200000");
    let runtime = runtime_dir(cluster);
    cluster.run_ok(
        cluster
            .command("sbatch")
            .env("XDG_RUNTIME_DIR", &runtime)
            .args(["--time=1", "--job-name", &name, "--wrap", &wrap])
            .arg(format!("--output={}/{what}.out", cluster.dir().display())),
    );
    let job = cluster.running_job(&name);
    wait_gone(cluster, &job, Duration::from_secs(180));
    records_after_recovery(cluster, &history)
}

#[test]
fn time_limit_of_srun_profrun_leaves_an_interrupted_record() {
    let Some(mut cluster) = cluster_or_skip() else {
        return;
    };
    let records = records_after_time_limit(&mut cluster, "timeout-srun", "srun");
    assert_eq!(records.len(), 2, "{records:?}");
    assert_eq!(records[0]["status"], "interrupted", "{}", records[0]);
    assert_eq!(records[0]["signal"]["name"], "SIGTERM", "{}", records[0]);
}

/// Issue 16 item 7 again, for `--time`: as for `scancel`.
#[test]
fn time_limit_of_plain_sbatch_profrun_keeps_a_record() {
    let Some(mut cluster) = cluster_or_skip() else {
        return;
    };
    let records = records_after_time_limit(&mut cluster, "timeout-plain", "");
    assert_eq!(
        records.len(),
        2,
        "no record after the time limit: {records:?}"
    );
    let r = &records[0];
    eprintln!("recorded: {} ({})", r["status"], r["error"]);
    assert_eq!(r["status"], "interrupted", "{r}");
    assert_eq!(r["signal"]["name"], "SIGTERM", "{r}");
}

/// Issue 16 item 2: one profrun over two "ranks" names each in
/// `top_processes` (no Slurm needed: the launcher's variable is enough).
#[test]
fn top_processes_name_the_mpi_rank_of_each_process() {
    let dir = tempfile::tempdir().expect("tempdir");
    let history = dir.path().join("h.jsonl");
    let w = workload();
    let script = format!(
        "OMPI_COMM_WORLD_RANK=0 '{w}' cpu 600 & PMI_RANK=1 '{w}' cpu 600 & wait",
        w = w.display()
    );
    let out = wrapper::profrun()
        .arg("--history")
        .arg(&history)
        .args(["-q", "--interval", "0.1", "--", "sh", "-c", &script])
        .env_remove("SLURM_PROCID")
        .output()
        .expect("profrun");
    assert!(out.status.success(), "{out:?}");
    let record = wrapper::last_record(&history);
    let top = record["detailed_profile"]["top_processes"]
        .as_array()
        .expect("top_processes");
    let mut ranks: Vec<u64> = top
        .iter()
        .filter(|p| p["name"] == "workload")
        .filter_map(|p| p["rank"].as_u64())
        .collect();
    ranks.sort();
    assert_eq!(ranks, [0, 1], "{top:?}");
    // The shell has no rank of its own.
    assert!(
        top.iter()
            .filter(|p| p["name"] == "sh")
            .all(|p| p.get("rank").is_none()),
        "{top:?}"
    );
}

/// Issue 16 item 4: `{host}` and `{user}` outside Slurm; `{slurm_job_id}`
/// outside Slurm warns and records to the default path instead.
#[test]
fn history_templates_expand_for_the_writer_and_the_reader() {
    let dir = tempfile::tempdir().expect("tempdir");
    let template = dir.path().join("{host}/{user}.jsonl");
    let out = wrapper::profrun()
        .arg("--history")
        .arg(&template)
        .args(["-q", "--", "true"])
        .output()
        .expect("profrun");
    assert!(out.status.success(), "{out:?}");
    let host_dirs: Vec<_> = std::fs::read_dir(dir.path())
        .expect("dir")
        .flatten()
        .map(|e| e.path())
        .collect();
    assert_eq!(host_dirs.len(), 1, "{host_dirs:?}");
    let files: Vec<_> = std::fs::read_dir(&host_dirs[0])
        .expect("host dir")
        .flatten()
        .map(|e| e.path())
        .collect();
    assert_eq!(files.len(), 1, "{files:?}");
    let record = wrapper::last_record(&files[0]);
    assert_eq!(
        host_dirs[0].file_name().and_then(|n| n.to_str()),
        record["host"]["hostname"].as_str()
    );
    assert!(record.get("slurm").is_none(), "outside Slurm: {record}");
    // A reader given the template reads every file it could name.
    let listed = wrapper::profrun()
        .arg("job-history")
        .arg("--history")
        .arg(&template)
        .output()
        .expect("job-history");
    let text = String::from_utf8_lossy(&listed.stdout);
    assert!(
        text.contains(record["task_id"].as_str().expect("id")),
        "{text}"
    );
    // {slurm_job_id} outside Slurm: a warning, and the record goes to the
    // default history (here under a private HOME).
    let home = dir.path().join("home");
    let out = wrapper::profrun()
        .arg("--history")
        .arg(dir.path().join("{slurm_job_id}.jsonl"))
        .args(["-q", "--", "true"])
        .env("HOME", &home)
        .env_remove("XDG_DATA_HOME")
        .env_remove("SLURM_JOB_ID")
        .env_remove("SLURM_JOBID")
        .output()
        .expect("profrun");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("not inside a Slurm job"), "{stderr}");
    let fallback = home.join(".local/share/profrun/jobs_history.jsonl");
    assert_eq!(wrapper::read_history(&fallback).len(), 1, "{stderr}");
}

/// `scancel --signal=USR1` ("checkpoint now") killed profrun (SIGUSR1's
/// default action) and left the job running unrecorded. slurmstepd
/// signals the step's task, profrun, alone: profrun passes it on, survives
/// and writes the job's own end.
#[test]
fn scancel_signal_usr1_reaches_the_job_and_profrun_survives() {
    let Some(mut cluster) = cluster_or_skip() else {
        return;
    };
    let history = cluster.path("h.jsonl");
    let marks = cluster.path("usr1.txt");
    let ready = cluster.path("usr1.ready");
    let name = job_name("usr1");
    let script = format!(
        "trap 'echo usr1 >> {m}' USR1; : > {r}; i=0; \
         while [ $i -lt 300 ]; do sleep 0.1; i=$((i+1)); [ -s {m} ] && break; done; \
         sleep 0.5; [ -s {m} ] && exit 5; exit 1",
        m = marks.display(),
        r = ready.display()
    );
    let mut srun = cluster
        .command("srun")
        .args(["-n", "1", "--job-name", &name])
        .arg(profrun_path())
        .arg("--history")
        .arg(&history)
        .args(["--", "sh", "-c", &script])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn srun");
    let job = cluster.running_job(&name);
    cluster.wait_until("the job's trap", Duration::from_secs(20), |_| {
        ready.exists()
    });
    cluster.run_ok(cluster.command("scancel").args(["--signal=USR1", &job]));
    let status = wait_bounded(&mut srun, Duration::from_secs(30));
    let records = read_history(&history);
    assert_eq!(
        records.len(),
        1,
        "srun {status}: {records:?}\n{}",
        cluster.logs()
    );
    let r = &records[0];
    assert_eq!(
        (&r["status"], &r["exit_code"]),
        (&"failed".into(), &5.into()),
        "{r}"
    );
    assert!(r["signal"].is_null(), "{r}");
    let got = std::fs::read_to_string(&marks).expect("the job's marks");
    assert!(got.lines().count() >= 1, "{got:?}");
}
