//! `--alert` and `--limit` through the real binary on real jobs: an alert
//! is printed while the job still runs and lands in the record; a limit
//! stops the tree, the record says `limit_exceeded` and profrun exits 124.

use std::io::{BufRead, BufReader};
use std::process::Stdio;
use std::time::{Duration, Instant};

use serde_json::Value;

mod wrapper;
use wrapper::{last_record, profrun, run_workload, workload};

/// Start `profrun --history DIR/h.jsonl [extra] -- workload ARGS` with
/// stderr piped.
fn spawn_workload(history: &std::path::Path, extra: &[&str], args: &[&str]) -> std::process::Child {
    profrun()
        .arg("--history")
        .arg(history)
        .args(extra)
        .arg("--")
        .arg(workload())
        .args(args)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn profrun")
}

#[test]
fn an_alert_is_printed_while_the_job_runs_and_recorded() {
    let dir = tempfile::tempdir().expect("tempdir");
    let history = dir.path().join("h.jsonl");
    // 120 MiB held for 4 s, then 2 s more at a few MiB.
    let mut child = spawn_workload(
        &history,
        &[
            "--quiet",
            "--interval",
            "0.1",
            "--alert",
            "memory>50MiB",
            "--alert",
            "slow=duration>1h",
        ],
        &["alloc", "120", "4000", "2000"],
    );
    let mut stderr = BufReader::new(child.stderr.take().expect("stderr"));
    let mut line = String::new();
    stderr.read_line(&mut line).expect("read stderr");
    // Read the moment the line arrived: the job is still holding its memory.
    let still_running = child.try_wait().expect("try_wait").is_none();
    assert!(
        line.starts_with("profrun: alert memory>50MiB fired at ") && line.contains(" > 50 MiB"),
        "{line}"
    );
    assert!(still_running, "the alert must be printed mid-job");
    let mut rest = String::new();
    std::io::Read::read_to_string(&mut stderr, &mut rest).expect("read stderr");
    assert!(child.wait().expect("wait").success());
    assert!(rest.contains("alert memory>50MiB resolved at "), "{rest}");

    let rec = last_record(&history);
    assert_eq!(rec["status"], "success");
    let alerts = rec["alerts"].as_array().expect("alerts list");
    assert_eq!(
        alerts.len(),
        1,
        "the rule that never held has no entry: {alerts:?}"
    );
    let alert = &alerts[0];
    assert_eq!(alert["name"], "memory>50MiB");
    assert_eq!(alert["rule"], "memory>50MiB");
    assert!(alert["value"].as_f64().expect("value") > 50.0 * 1024.0 * 1024.0);
    let fired = alert["fired_at_seconds"]
        .as_f64()
        .expect("fired_at_seconds");
    let resolved = alert["resolved_at_seconds"]
        .as_f64()
        .expect("resolved_at_seconds");
    assert!(fired < resolved && resolved < rec["duration_seconds"].as_f64().expect("duration"));
}

/// Regression (issue 13 review): `job-details` printed the raw fields,
/// `name=big, rule=memory>1MiB, fired_at_seconds=2 ms, value=1957888, ...`.
#[test]
fn job_details_shows_an_alert_as_the_stderr_line_says_it() {
    let dir = tempfile::tempdir().expect("tempdir");
    // 40 MiB for 1 s, then 1 s at a few MiB: fires, then resolves.
    let (out, records) = run_workload(
        dir.path(),
        &[
            "--quiet",
            "--interval",
            "0.1",
            "--alert",
            "big=memory>20MiB",
        ],
        &["alloc", "40", "1000", "1000"],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let alert = &records[0]["alerts"][0];
    let at = |key: &str| alert[key].as_f64().expect(key);
    let want = format!(
        "big (memory>20MiB) fired at {} s: {} MiB; resolved at {} s",
        trim(at("fired_at_seconds"), 2),
        trim(at("value") / 1024.0 / 1024.0, 1),
        trim(at("resolved_at_seconds"), 2),
    );
    let shown = profrun()
        .args(["job-details", "last", "--history"])
        .arg(dir.path().join("h.jsonl"))
        .output()
        .expect("run job-details");
    let text = String::from_utf8_lossy(&shown.stdout);
    assert!(shown.status.success(), "{text}");
    let section = text.split("\nAlerts\n").nth(1).expect("an Alerts section");
    assert!(section.contains(&want), "want {want:?} in\n{section}");
    assert!(!section.contains("fired_at_seconds="), "{section}");
}

/// `v` with at most `decimals` decimals and no trailing zeros, as profrun
/// prints figures.
fn trim(v: f64, decimals: usize) -> String {
    let s = format!("{v:.decimals$}");
    if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        s
    }
}

#[test]
fn rules_that_never_hold_leave_no_alerts_key() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (out, records) = run_workload(
        dir.path(),
        &["--quiet", "--alert", "duration>1h", "--alert", "swap>1GiB"],
        &["sleep", "200"],
    );
    assert!(out.status.success());
    assert!(records[0].get("alerts").is_none(), "{}", records[0]);
    assert!(!String::from_utf8_lossy(&out.stderr).contains("alert"));
}

#[test]
fn a_malformed_rule_or_limit_is_a_usage_error_and_nothing_runs() {
    let dir = tempfile::tempdir().expect("tempdir");
    let marker = dir.path().join("ran");
    for flag in [
        ["--alert", "bogus"],
        ["--alert", "memory>8gigs"],
        ["--limit", "heat=3"],
    ] {
        let out = profrun()
            .arg("--history")
            .arg(dir.path().join("h.jsonl"))
            .args(flag)
            .arg("--")
            .arg("touch")
            .arg(&marker)
            .output()
            .expect("run profrun");
        assert_eq!(out.status.code(), Some(2), "{flag:?}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(
            err.contains(&format!("invalid value '{}'", flag[1])),
            "{err}"
        );
        assert!(!marker.exists(), "{flag:?}: the job must not run");
        assert!(!dir.path().join("h.jsonl").exists(), "no record either");
    }
}

/// Regression (issue 13 review): two rules of one name made two
/// `profrun_job_alert_firing{alert="x"}` series (one 0, one 1), of which
/// Prometheus keeps one, hiding a firing alert.
#[test]
fn two_alerts_of_one_name_are_a_usage_error_naming_it() {
    let dir = tempfile::tempdir().expect("tempdir");
    let marker = dir.path().join("ran");
    for (rules, name) in [
        (["x=memory<1KiB", "x=duration>0.1s"], "x"),
        (["cpu>1%", "cpu>1%"], "cpu>1%"),
    ] {
        let out = profrun()
            .arg("--history")
            .arg(dir.path().join("h.jsonl"))
            .args(["--alert", rules[0], "--alert", rules[1]])
            .args(["--metrics-listen", "127.0.0.1:0", "--", "touch"])
            .arg(&marker)
            .output()
            .expect("run profrun");
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{rules:?}: {err}");
        assert!(
            err.contains(&format!("--alert '{name}' is given twice")),
            "{err}"
        );
        assert!(!marker.exists(), "{rules:?}: the job must not run");
        assert!(!dir.path().join("h.jsonl").exists(), "no record either");
    }
}

fn limit(rec: &Value) -> &Value {
    assert_eq!(rec["status"], "limit_exceeded", "{rec}");
    assert_eq!(rec["exit_code"], 124);
    &rec["limit"]
}

#[test]
fn a_memory_limit_stops_the_job_in_the_kernel_or_at_the_next_tick() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (out, records) = run_workload(
        dir.path(),
        &["--quiet", "--interval", "0.1", "--limit", "memory=64MiB"],
        &["alloc", "256", "5000", "0"],
    );
    assert_eq!(out.status.code(), Some(124));
    let rec = &records[0];
    let limit = limit(rec);
    assert_eq!(limit["resource"], "memory");
    assert_eq!(limit["limit"], 64.0 * 1024.0 * 1024.0);
    // A leaf of profrun's own with the memory controller gets memory.max.
    let want = match rec["measurement"]["cgroup_backend"].as_str() {
        Some("cgroup2" | "cgroup1") => "cgroup",
        _ => "sampler",
    };
    assert_eq!(limit["mechanism"], want, "{rec}");
    assert!(limit["value"].as_f64().expect("value") >= 64.0 * 1024.0 * 1024.0);
    // Either mechanism says so on stderr (the kernel's kill printed nothing).
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("profrun: limit exceeded"), "{err}");
    assert!(
        rec["duration_seconds"].as_f64().expect("duration") < 4.0,
        "stopped, not held 5 s"
    );
}

#[test]
fn without_a_leaf_the_sampler_enforces_the_memory_limit() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (out, records) = run_workload(
        dir.path(),
        &[
            "--quiet",
            "--no-cgroup",
            "--interval",
            "0.1",
            "--limit",
            "memory=64MiB",
        ],
        &["alloc", "256", "5000", "0"],
    );
    assert_eq!(out.status.code(), Some(124));
    let rec = &records[0];
    let limit = limit(rec);
    assert_eq!(limit["mechanism"], "sampler");
    assert!(limit["value"].as_f64().expect("value") > 64.0 * 1024.0 * 1024.0);
    assert_eq!(rec["signal"]["name"], "SIGTERM");
    assert!(rec["duration_seconds"].as_f64().expect("duration") < 4.0);
}

#[test]
fn a_wall_limit_stops_a_sleeping_job_after_a_second() {
    let dir = tempfile::tempdir().expect("tempdir");
    let started = Instant::now();
    let (out, records) = run_workload(
        dir.path(),
        &[
            "--quiet",
            "--interval",
            "0.1",
            "--kill-after",
            "2",
            "--limit",
            "wall=1s",
        ],
        &["sleep", "30000"],
    );
    let took = started.elapsed();
    assert_eq!(out.status.code(), Some(124));
    assert!(took < Duration::from_secs(6), "took {took:?}");
    let rec = &records[0];
    let limit = limit(rec);
    assert_eq!(limit["resource"], "wall");
    assert_eq!(limit["mechanism"], "sampler");
    assert!(limit["at_seconds"].as_f64().expect("at_seconds") >= 1.0);
    assert_eq!(rec["signal"]["name"], "SIGTERM");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("profrun: limit exceeded at "), "{err}");
}

#[test]
fn a_job_that_ignores_sigterm_is_killed_after_kill_after() {
    let dir = tempfile::tempdir().expect("tempdir");
    let started = Instant::now();
    let (out, records) = run_workload(
        dir.path(),
        &[
            "--quiet",
            "--interval",
            "0.1",
            "--kill-after",
            "1",
            "--limit",
            "wall=1s",
        ],
        &["ignore-term"],
    );
    let took = started.elapsed();
    assert_eq!(out.status.code(), Some(124));
    assert!(
        took >= Duration::from_secs(2) && took < Duration::from_secs(10),
        "took {took:?}"
    );
    let rec = &records[0];
    limit(rec);
    assert_eq!(rec["signal"]["name"], "SIGKILL");
}

#[test]
fn a_cpu_limit_stops_a_busy_loop() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (out, records) = run_workload(
        dir.path(),
        &["--quiet", "--interval", "0.1", "--limit", "cpu=1"],
        &["cpu", "60000"],
    );
    assert_eq!(out.status.code(), Some(124));
    let rec = &records[0];
    let limit = limit(rec);
    assert_eq!(limit["resource"], "cpu");
    let value = limit["value"].as_f64().expect("value");
    // The first tick past 1 s (ticks are 0.1 s apart; 2 s of slack for a
    // loaded machine).
    assert!((1.0..3.0).contains(&value), "{value}");
    let cpu = rec["resource_usage"]["cpu_total_seconds"]
        .as_f64()
        .expect("cpu");
    assert!(cpu < 5.0, "stopped long before its 60 s: {cpu}");
}

#[test]
fn without_flags_nothing_changes() {
    // No --alert and no --limit: no observer, no keys, the job's own exit.
    let dir = tempfile::tempdir().expect("tempdir");
    let (out, records) = run_workload(dir.path(), &["--quiet"], &["exit", "3"]);
    assert_eq!(out.status.code(), Some(3));
    assert!(records[0].get("alerts").is_none() && records[0].get("limit").is_none());
}

/// The config file's named rules apply to every run, like `--alert NAME=RULE`;
/// a malformed one is a usage error and nothing runs.
#[test]
fn the_config_files_named_alerts_apply_and_a_bad_one_is_a_usage_error() {
    let dir = tempfile::tempdir().expect("tempdir");
    let config = dir.path().join("config.toml");
    std::fs::write(&config, "[alerts]\nfat = \"memory>20MiB\"\n").expect("config");
    let history = dir.path().join("h.jsonl");
    let out = profrun()
        .env("PROFRUN_CONFIG", &config)
        .arg("--history")
        .arg(&history)
        .args(["--quiet", "--interval", "0.1", "--"])
        .arg(workload())
        .args(["alloc", "64", "1500", "0"])
        .output()
        .expect("run profrun");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let rec = last_record(&history);
    assert_eq!(rec["alerts"][0]["name"], "fat", "{rec}");
    assert_eq!(rec["alerts"][0]["rule"], "memory>20MiB", "{rec}");

    std::fs::write(&config, "[alerts]\nfat = \"memory>lots\"\n").expect("config");
    let marker = dir.path().join("ran");
    let out = profrun()
        .env("PROFRUN_CONFIG", &config)
        .arg("--history")
        .arg(&history)
        .arg("--")
        .arg("touch")
        .arg(&marker)
        .output()
        .expect("run profrun");
    assert_eq!(out.status.code(), Some(2));
    // Checked where the file is read, so the error names its line and column.
    let said = String::from_utf8_lossy(&out.stderr);
    assert!(
        said.starts_with(&format!(
            "profrun: error: bad config file {}:2:1: bad alert 'fat': ",
            config.display()
        )),
        "{said}"
    );
    assert!(!marker.exists(), "the job must not run");
}

/// The final sample is taken after the reap, with no process left: it must
/// neither fire `memory<…` (0 B) nor clear a `memory>…` that held until the
/// job ended.
#[test]
fn the_after_reap_sample_neither_fires_nor_resolves_an_alert() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (out, records) = run_workload(
        dir.path(),
        &[
            "--quiet",
            "--interval",
            "0.1",
            "--alert",
            "small=memory<1KiB",
            "--alert",
            "big=memory>1KiB",
        ],
        &["sleep", "700"],
    );
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{err}");
    assert!(!err.contains("alert small"), "{err}");
    assert!(err.contains("alert big fired at "), "{err}");
    assert!(!err.contains("resolved"), "{err}");
    let alerts = records[0]["alerts"].as_array().expect("alerts list");
    assert_eq!(alerts.len(), 1, "{alerts:?}");
    assert_eq!(alerts[0]["name"], "big");
    assert!(alerts[0].get("resolved_at_seconds").is_none(), "{alerts:?}");
}

/// `job-details` showed a limit as `limit.limit 52428800` and
/// `limit.value 52428800` under "Other".
#[test]
fn job_details_shows_a_limit_with_units_in_the_outcome() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (out, _) = run_workload(
        dir.path(),
        &["--quiet", "--interval", "0.1", "--limit", "wall=0.5s"],
        &["sleep", "5000"],
    );
    assert_eq!(out.status.code(), Some(124));
    let shown = profrun()
        .arg("job-details")
        .arg("--history")
        .arg(dir.path().join("h.jsonl"))
        .arg("last")
        .output()
        .expect("job-details");
    let text = String::from_utf8_lossy(&shown.stdout);
    let line = text
        .lines()
        .find(|l| l.trim_start().starts_with("limit "))
        .unwrap_or_else(|| panic!("no limit row: {text}"));
    assert!(
        line.contains("wall ") && line.contains("> 0.5 s at "),
        "{line}"
    );
    assert!(line.contains("(stopped by profrun at a tick)"), "{line}");
    assert!(!text.contains("limit.limit"), "{text}");
}
