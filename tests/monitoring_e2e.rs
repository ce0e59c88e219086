//! `profrun --pushgateway/--textfile/--metrics-listen -- JOB` through the
//! real binary against the real components (tests/support/prom.rs starts a
//! Pushgateway and a Prometheus on loopback), and the config file's
//! precedence and errors.

mod support;
mod wrapper;

use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;
use support::prom;
use wrapper::{last_record, profrun, read_history, workload};

/// profrun with the config file pointed into `dir` (none there unless a
/// test writes one), so the developer's own never applies.
fn isolated(dir: &Path) -> Command {
    let mut cmd = profrun();
    cmd.env("XDG_CONFIG_HOME", dir.join("config-home"))
        .env_remove("PROFRUN_CONFIG")
        .env_remove("PROFRUN_PUSHGATEWAY")
        .env_remove("PROFRUN_TEXTFILE_DIR");
    cmd
}

fn run_job(dir: &Path, extra: &[&str], job: &[&str]) -> (Output, Value) {
    let history = dir.join("h.jsonl");
    let out = isolated(dir)
        .arg("--history")
        .arg(&history)
        .args(extra)
        .arg("--")
        .arg(workload())
        .args(job)
        .output()
        .expect("run profrun");
    (out, last_record(&history))
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// The gateway's `/metrics` lines of `metric` for `name="NAME"`.
fn gateway_lines(gateway: &prom::Running, metric: &str, name: &str) -> Vec<String> {
    let (status, body) = prom::get(gateway.addr, "/metrics").expect("scrape gateway");
    assert_eq!(status, 200);
    body.lines()
        .filter(|l| {
            l.starts_with(&format!("{metric}{{")) && l.contains(&format!("name=\"{name}\""))
        })
        .map(str::to_string)
        .collect()
}

fn one_value(gateway: &prom::Running, metric: &str, name: &str) -> f64 {
    let lines = gateway_lines(gateway, metric, name);
    assert_eq!(lines.len(), 1, "{metric}: {lines:?}");
    lines[0]
        .rsplit(' ')
        .next()
        .and_then(|v| v.parse().ok())
        .expect("a value")
}

#[test]
fn a_pushed_run_reads_back_and_a_failed_run_keeps_the_last_success() {
    let Some(gateway) = prom::pushgateway() else {
        return;
    };
    let dir = tempfile::tempdir().expect("tempdir");
    let url = gateway.url();
    let (out, record) = run_job(
        dir.path(),
        &["--pushgateway", &url, "--name", "e2e"],
        &["cpu", "300"],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(!stderr(&out).contains("warning"), "{}", stderr(&out));
    assert_eq!(record["exports"]["pushgateway"]["ok"], true, "{record}");
    assert_eq!(record["exports"]["pushgateway"]["url"], url.as_str());

    let duration = one_value(&gateway, "profrun_job_duration_seconds", "e2e");
    assert_eq!(duration, record["duration_seconds"].as_f64().expect("f64"));
    let user = gateway_lines(&gateway, "profrun_job_cpu_seconds", "e2e");
    assert_eq!(user.len(), 2, "{user:?}");
    let cpu_user = user
        .iter()
        .find(|l| l.contains("mode=\"user\""))
        .and_then(|l| l.rsplit(' ').next())
        .and_then(|v| v.parse::<f64>().ok())
        .expect("user cpu");
    assert!(
        cpu_user >= 0.2,
        "300 ms of CPU burnt, gateway has {cpu_user}"
    );
    assert!(one_value(&gateway, "profrun_job_memory_peak_bytes", "e2e") > 0.0);
    assert_eq!(one_value(&gateway, "profrun_job_exit_code", "e2e"), 0.0);
    let success = one_value(
        &gateway,
        "profrun_job_last_success_timestamp_seconds",
        "e2e",
    );
    assert_eq!(
        success,
        one_value(
            &gateway,
            "profrun_job_last_completion_timestamp_seconds",
            "e2e"
        )
    );

    // A failed run of the same name replaces the run's figures, not the
    // last success.
    let (out, _) = run_job(
        dir.path(),
        &["--pushgateway", &url, "--name", "e2e"],
        &["exit", "3"],
    );
    assert_eq!(out.status.code(), Some(3));
    assert_eq!(one_value(&gateway, "profrun_job_exit_code", "e2e"), 3.0);
    assert_eq!(
        one_value(
            &gateway,
            "profrun_job_last_success_timestamp_seconds",
            "e2e"
        ),
        success
    );
    assert!(
        one_value(
            &gateway,
            "profrun_job_last_completion_timestamp_seconds",
            "e2e"
        ) > success
    );
}

#[test]
fn a_gateway_that_is_not_running_warns_once_and_keeps_the_exit_code() {
    let dir = tempfile::tempdir().expect("tempdir");
    let port = prom::free_port();
    let url = format!("http://127.0.0.1:{port}");
    let started = Instant::now();
    let (out, record) = run_job(dir.path(), &["--pushgateway", &url], &["exit", "3"]);
    assert_eq!(out.status.code(), Some(3));
    assert!(started.elapsed() < Duration::from_secs(8));
    let said = stderr(&out);
    assert_eq!(said.matches("warning").count(), 1, "{said}");
    assert!(
        said.contains(&format!(
            "could not push to the pushgateway: cannot reach pushgateway at 127.0.0.1:{port}"
        )),
        "{said}"
    );
    let push = &record["exports"]["pushgateway"];
    assert_eq!(push["ok"], false, "{record}");
    assert!(
        push["error"]
            .as_str()
            .is_some_and(|e| e.contains(&format!("127.0.0.1:{port}"))),
        "{record}"
    );
    assert_eq!(record["exit_code"], 3);
}

#[test]
fn an_https_gateway_is_a_usage_error_and_nothing_runs() {
    let dir = tempfile::tempdir().expect("tempdir");
    let history = dir.path().join("h.jsonl");
    let out = isolated(dir.path())
        .arg("--history")
        .arg(&history)
        .args(["--pushgateway", "https://gw:9091", "--"])
        .arg(workload())
        .args(["exit", "0"])
        .output()
        .expect("run profrun");
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("only http:// is supported"),
        "{}",
        stderr(&out)
    );
    assert!(read_history(&history).is_empty());
}

/// Regression (issue 13 review): a port past 65535 or a query in the
/// authority passed the early check and failed only after the job had run.
#[test]
fn a_gateway_url_with_a_bad_port_or_a_query_is_a_usage_error_and_nothing_runs() {
    for url in ["http://gw:99999", "http://gw:9091?x=1"] {
        let dir = tempfile::tempdir().expect("tempdir");
        let history = dir.path().join("h.jsonl");
        let marker = dir.path().join("ran");
        let out = isolated(dir.path())
            .arg("--history")
            .arg(&history)
            .args(["--pushgateway", url, "--", "touch"])
            .arg(&marker)
            .output()
            .expect("run profrun");
        assert_eq!(out.status.code(), Some(2), "{url}: {}", stderr(&out));
        assert!(
            stderr(&out).contains("is not of the form http://HOST[:PORT][/PATH]"),
            "{url}: {}",
            stderr(&out)
        );
        assert!(!marker.exists(), "{url}: the job must not run");
        assert!(read_history(&history).is_empty());
    }
}

#[test]
fn a_record_without_exports_has_no_exports_key() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (out, record) = run_job(dir.path(), &[], &["exit", "0"]);
    assert!(out.status.success());
    assert!(record.get("exports").is_none(), "{record}");
}

#[test]
fn the_textfile_passes_promtool() {
    let Some(promtool) = prom::component("promtool") else {
        return;
    };
    let dir = tempfile::tempdir().expect("tempdir");
    let textfiles = dir.path().join("textfile");
    std::fs::create_dir(&textfiles).expect("mkdir");
    let (out, record) = run_job(
        dir.path(),
        &[
            "--textfile",
            textfiles.to_str().expect("utf-8"),
            "--name",
            "tf",
        ],
        &["cpu", "100"],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let path = textfiles.join("profrun-tf.prom");
    assert_eq!(record["exports"]["textfile"]["ok"], true, "{record}");
    assert_eq!(
        record["exports"]["textfile"]["path"],
        path.to_str().expect("utf-8")
    );
    let text = std::fs::read_to_string(&path).expect("the textfile");
    assert!(
        text.contains("profrun_job_duration_seconds{name=\"tf\""),
        "{text}"
    );
    let check = Command::new(promtool)
        .args(["check", "metrics"])
        .stdin(Stdio::from(std::fs::File::open(&path).expect("open")))
        .output()
        .expect("run promtool");
    assert!(
        check.status.success(),
        "{}{}",
        String::from_utf8_lossy(&check.stdout),
        String::from_utf8_lossy(&check.stderr)
    );
    // No temp file left behind for the collector to trip over.
    let names: Vec<_> = std::fs::read_dir(&textfiles)
        .expect("list")
        .map(|e| e.expect("entry").file_name())
        .collect();
    assert_eq!(names.len(), 1, "{names:?}");
}

#[test]
fn a_textfile_folder_that_is_missing_warns_and_is_noted() {
    let dir = tempfile::tempdir().expect("tempdir");
    let missing = dir.path().join("no/such/dir");
    let (out, record) = run_job(
        dir.path(),
        &["--textfile", missing.to_str().expect("utf-8")],
        &["exit", "4"],
    );
    assert_eq!(out.status.code(), Some(4));
    assert_eq!(
        stderr(&out).matches("warning").count(),
        1,
        "{}",
        stderr(&out)
    );
    assert_eq!(record["exports"]["textfile"]["ok"], false, "{record}");
}

/// The `profrun_job_last_success_timestamp_seconds` line of a textfile.
fn last_success_line(text: &str) -> Option<&str> {
    text.lines()
        .find(|l| l.starts_with("profrun_job_last_success_timestamp_seconds{"))
}

/// Regression (issue 13 review): the textfile is replaced whole and a failed
/// run wrote no last-success timestamp, so the staleness alert
/// (`time() - profrun_job_last_success_timestamp_seconds > 86400`) went
/// silent exactly while the job kept failing.
#[test]
fn a_failed_run_keeps_the_previous_last_success_in_the_textfile() {
    let dir = tempfile::tempdir().expect("tempdir");
    let textfiles = dir.path().join("textfile");
    std::fs::create_dir(&textfiles).expect("mkdir");
    let flags = [
        "--textfile",
        textfiles.to_str().expect("utf-8"),
        "--name",
        "ls",
    ];
    let path = textfiles.join("profrun-ls.prom");
    let read = || std::fs::read_to_string(&path).expect("the textfile");

    // No previous file, a failure: no last success at all.
    let (out, _) = run_job(dir.path(), &flags, &["exit", "3"]);
    assert_eq!(out.status.code(), Some(3), "{}", stderr(&out));
    assert_eq!(last_success_line(&read()), None, "{}", read());

    let (out, _) = run_job(dir.path(), &flags, &["exit", "0"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let success = read();
    let kept = last_success_line(&success)
        .expect("a success sets it")
        .to_string();

    for _ in 0..2 {
        let (out, record) = run_job(dir.path(), &flags, &["exit", "3"]);
        assert_eq!(out.status.code(), Some(3), "{}", stderr(&out));
        assert_eq!(record["exports"]["textfile"]["ok"], true, "{record}");
        let text = read();
        assert_eq!(last_success_line(&text), Some(kept.as_str()), "{text}");
        assert!(
            text.contains("profrun_job_exit_code{name=\"ls\"") && text.contains("} 3\n"),
            "{text}"
        );
    }

    // A previous file that is not the format: nothing carried over.
    std::fs::write(
        &path,
        "profrun_job_last_success_timestamp_seconds{name=\"ls\" 17\n",
    )
    .expect("write");
    let (out, _) = run_job(dir.path(), &flags, &["exit", "3"]);
    assert_eq!(out.status.code(), Some(3), "{}", stderr(&out));
    assert_eq!(last_success_line(&read()), None, "{}", read());
}

/// Kill our profrun on the way out, whatever the test did.
struct Reaped(std::process::Child);

impl Drop for Reaped {
    fn drop(&mut self) {
        if let Ok(None) = self.0.try_wait() {
            // SAFETY: SIGTERM to the profrun we spawned and have not reaped.
            unsafe { libc::kill(self.0.id() as i32, libc::SIGTERM) };
        }
        let _ = self.0.wait();
    }
}

/// profrun with `--metrics-listen 127.0.0.1:0` and `extra` around
/// `workload JOB...`, and the address it says it serves on.
fn spawn_live(cmd: &mut Command, extra: &[&str], job: &[&str]) -> (Reaped, SocketAddr) {
    let mut child = Reaped(
        cmd.args(["--metrics-listen", "127.0.0.1:0"])
            .args(extra)
            .arg("--")
            .arg(workload())
            .args(job)
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn profrun"),
    );
    let mut line = String::new();
    BufReader::new(child.0.stderr.take().expect("stderr"))
        .read_line(&mut line)
        .expect("read stderr");
    let addr: SocketAddr = line
        .trim()
        .strip_prefix("profrun: serving /metrics on http://")
        .and_then(|rest| rest.strip_suffix("/metrics"))
        .unwrap_or_else(|| panic!("unexpected first line: {line:?}"))
        .parse()
        .expect("an address");
    assert_ne!(addr.port(), 0);
    (child, addr)
}

/// The value of the first sample of `metric` in a scraped body.
fn scraped(body: &str, metric: &str) -> Option<f64> {
    body.lines()
        .find(|l| l.starts_with(&format!("{metric}{{")))
        .and_then(|l| l.rsplit(' ').next())
        .and_then(|v| v.parse().ok())
}

/// Scrape `addr` until the body has `metric` (the first tick may not have
/// happened yet).
fn scrape_until(addr: SocketAddr, metric: &str) -> String {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let (status, body) = prom::get(addr, "/metrics").expect("scrape");
        assert_eq!(status, 200);
        if scraped(&body, metric).is_some() {
            return body;
        }
        assert!(Instant::now() < deadline, "no {metric} in:\n{body}");
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// The live endpoint never filled GPU power and energy (issue 13). With
/// the scripted GPU (`PROFRUN_TEST_FAKE_GPU`, test builds only) the real
/// binary serves both while the job runs, the energy counter grows, and
/// the record's GPU block agrees on the power.
#[test]
fn the_live_endpoint_serves_gpu_power_and_energy() {
    let dir = tempfile::tempdir().expect("tempdir");
    let history = dir.path().join("h.jsonl");
    let mut cmd = isolated(dir.path());
    cmd.arg("--history")
        .arg(&history)
        .env("PROFRUN_TEST_FAKE_GPU", "250");
    let (mut child, addr) = spawn_live(&mut cmd, &["--interval", "0.1"], &["sleep", "3000"]);
    let first = scrape_until(addr, "profrun_job_gpu_energy_joules_total");
    assert_eq!(
        scraped(&first, "profrun_job_gpu_power_watts"),
        Some(250.0),
        "{first}"
    );
    assert_eq!(
        scraped(&first, "profrun_job_gpu_utilization_ratio"),
        Some(0.5)
    );
    assert_eq!(
        scraped(&first, "profrun_job_gpu_memory_used_bytes"),
        Some(f64::from(1u32 << 30))
    );
    assert!(first.contains("# TYPE profrun_job_gpu_energy_joules_total counter\n"));
    std::thread::sleep(Duration::from_millis(500));
    let (_, second) = prom::get(addr, "/metrics").expect("scrape");
    let energy = |body: &str| scraped(body, "profrun_job_gpu_energy_joules_total").expect("energy");
    let elapsed = |body: &str| scraped(body, "profrun_job_elapsed_seconds").expect("elapsed");
    // 250 W for the time between the two scrapes' ticks, to the tick.
    let gained = energy(&second) - energy(&first);
    let want = 250.0 * (elapsed(&second) - elapsed(&first));
    assert!(
        gained > 0.0 && (gained - want).abs() < 1e-6 * want.max(1.0),
        "gained {gained} J, want {want}"
    );
    assert!(child.0.wait().expect("wait").success());
    let record = last_record(&history);
    let gpu = &record["detailed_profile"]["gpu_stats"];
    assert_eq!(gpu["backend"], "fake", "{record}");
    assert_eq!(gpu["power_mean_watts"], 250.0, "{record}");
}

/// Without a GPU the endpoint shows no GPU series at all, rather than
/// zeros that would read as an idle GPU (`--no-gpu`, so that the test says
/// the same on a machine with one).
#[test]
fn without_a_gpu_the_live_endpoint_has_no_gpu_series() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut cmd = isolated(dir.path());
    cmd.arg("--history")
        .arg(dir.path().join("h.jsonl"))
        .env_remove("PROFRUN_TEST_FAKE_GPU");
    let (_child, addr) = spawn_live(
        &mut cmd,
        &["--interval", "0.1", "--no-gpu"],
        &["sleep", "60000"],
    );
    let body = scrape_until(addr, "profrun_job_elapsed_seconds");
    assert!(scraped(&body, "profrun_job_processes").is_some(), "{body}");
    assert!(!body.contains("gpu"), "{body}");
}

#[test]
fn prometheus_scrapes_the_live_endpoint_while_the_job_runs() {
    if prom::component("prometheus").is_none() {
        return;
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let history = dir.path().join("h.jsonl");
    let mut cmd = isolated(dir.path());
    cmd.arg("--history").arg(&history);
    let (mut child, addr) = spawn_live(
        &mut cmd,
        &["--name", "live", "--interval", "0.2"],
        &["sleep", "60000"],
    );
    let prometheus = prom::prometheus_scraping(addr).expect("prometheus is installed");

    let deadline = Instant::now() + Duration::from_secs(40);
    let mut seen = None;
    while Instant::now() < deadline {
        let result = prom::query(&prometheus, r#"profrun_job_elapsed_seconds{name="live"}"#);
        if let Some(v) = result
            .first()
            .and_then(|r| r["value"][1].as_str())
            .and_then(|v| v.parse::<f64>().ok())
        {
            seen = Some(v);
            break;
        }
        std::thread::sleep(Duration::from_millis(250));
    }
    let elapsed = seen.unwrap_or_else(|| panic!("no live series\n{}", prometheus.log()));
    assert!(elapsed > 0.0);
    // Asked while the job runs, not after.
    assert!(
        matches!(child.0.try_wait(), Ok(None)),
        "the job ended early"
    );
    let processes = prom::query(&prometheus, r#"profrun_job_processes{name="live"}"#);
    assert_eq!(processes.len(), 1, "{processes:?}");
    assert!(read_history(&history).is_empty());
}

#[test]
fn a_metrics_listen_address_that_cannot_be_bound_is_a_usage_error() {
    let dir = tempfile::tempdir().expect("tempdir");
    let taken = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = taken.local_addr().expect("addr").to_string();
    let history = dir.path().join("h.jsonl");
    let out = isolated(dir.path())
        .arg("--history")
        .arg(&history)
        .args(["--metrics-listen", &addr, "--"])
        .arg(workload())
        .args(["exit", "0"])
        .output()
        .expect("run profrun");
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(stderr(&out).contains(&format!("cannot listen on --metrics-listen \"{addr}\"")));
    assert!(read_history(&history).is_empty(), "nothing ran");
}

fn write_config(dir: &Path, text: &str) -> std::path::PathBuf {
    let folder = dir.join("config-home/profrun");
    std::fs::create_dir_all(&folder).expect("mkdir");
    let path = folder.join("config.toml");
    std::fs::write(&path, text).expect("write config");
    path
}

#[test]
fn the_config_file_fills_what_the_command_line_and_environment_leave_out() {
    let dir = tempfile::tempdir().expect("tempdir");
    let from_file = dir.path().join("from-file.jsonl");
    write_config(
        dir.path(),
        &format!(
            "history = \"{}\"\ninterval = 0.25\nname = \"md\"\n\n[tags]\nproject = \"alpha\"\nteam = \"sim\"\n\n[alerts]\nlong = \"duration>300s\"\n",
            from_file.display()
        ),
    );
    // The file's history, interval and tags; a --tag of the same key wins.
    let out = isolated(dir.path())
        .args(["--tag", "project=beta", "--"])
        .arg(workload())
        .args(["exit", "0"])
        .output()
        .expect("run profrun");
    assert!(out.status.success(), "{}", stderr(&out));
    let record = last_record(&from_file);
    assert_eq!(record["tags"]["project"], "beta");
    assert_eq!(record["tags"]["team"], "sim");
    assert_eq!(
        record["detailed_profile"]["sampling_interval_seconds"],
        0.25
    );

    // --interval and --history on the command line beat the file.
    let from_cli = dir.path().join("from-cli.jsonl");
    let out = isolated(dir.path())
        .arg("--history")
        .arg(&from_cli)
        .args(["--interval", "0.5", "--"])
        .arg(workload())
        .args(["exit", "0"])
        .output()
        .expect("run profrun");
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(
        last_record(&from_cli)["detailed_profile"]["sampling_interval_seconds"],
        0.5
    );
    assert_eq!(read_history(&from_file).len(), 1);

    // PROFRUN_HISTORY beats the file.
    let from_env = dir.path().join("from-env.jsonl");
    let out = isolated(dir.path())
        .env("PROFRUN_HISTORY", &from_env)
        .arg("--")
        .arg(workload())
        .args(["exit", "0"])
        .output()
        .expect("run profrun");
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(read_history(&from_env).len(), 1);
    assert_eq!(read_history(&from_file).len(), 1);

    // The readers take the file's history too.
    let listed = isolated(dir.path())
        .args(["job-history", "--format", "jsonl"])
        .output()
        .expect("run job-history");
    assert!(listed.status.success(), "{}", stderr(&listed));
    assert_eq!(String::from_utf8_lossy(&listed.stdout).lines().count(), 1);

    // `profrun config` says what wins and why.
    let shown = isolated(dir.path())
        .env("PROFRUN_PUSHGATEWAY", "http://gw:9091")
        .args(["config", "--interval", "2"])
        .output()
        .expect("run profrun config");
    assert!(shown.status.success(), "{}", stderr(&shown));
    let text = String::from_utf8_lossy(&shown.stdout);
    let line = |key: &str| {
        text.lines()
            .find(|l| l.split_whitespace().next() == Some(key))
            .unwrap_or_else(|| panic!("no {key} line in:\n{text}"))
            .to_string()
    };
    assert!(
        line("config_file").ends_with("config.toml (read)"),
        "{text}"
    );
    assert!(
        line("history").contains(&format!("{}  (file)", from_file.display())),
        "{text}"
    );
    assert!(
        line("pushgateway").ends_with("http://gw:9091  (env PROFRUN_PUSHGATEWAY)"),
        "{text}"
    );
    assert!(line("textfile_dir").ends_with("-  (default)"), "{text}");
    assert!(line("name").ends_with("md  (file)"), "{text}");
    assert!(line("interval").ends_with("2  (cli)"), "{text}");
    assert!(line("tags.team").ends_with("sim  (file)"), "{text}");
    assert!(
        line("alerts.long").ends_with("duration>300s  (file)"),
        "{text}"
    );
}

#[test]
fn a_bad_config_file_is_an_error_with_its_line_and_column() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = write_config(dir.path(), "name = \"md\"\ninterval = \"fast\"\n");
    let history = dir.path().join("h.jsonl");
    let out = isolated(dir.path())
        .arg("--history")
        .arg(&history)
        .arg("--")
        .arg(workload())
        .args(["exit", "0"])
        .output()
        .expect("run profrun");
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    let said = stderr(&out);
    assert!(
        said.starts_with(&format!(
            "profrun: error: bad config file {}:2:12: ",
            path.display()
        )),
        "{said}"
    );
    assert!(read_history(&history).is_empty(), "nothing ran");

    // The readers refuse it too; PROFRUN_CONFIG naming a missing file is an error.
    let listed = isolated(dir.path())
        .args(["job-history"])
        .output()
        .expect("run job-history");
    assert_eq!(listed.status.code(), Some(2));
    let missing = isolated(dir.path())
        .env("PROFRUN_CONFIG", dir.path().join("nope.toml"))
        .args(["config"])
        .output()
        .expect("run profrun config");
    assert_eq!(missing.status.code(), Some(2));
    assert!(
        stderr(&missing).contains("nope.toml"),
        "{}",
        stderr(&missing)
    );
}

/// Regression (issue 13 review): a bad alert rule or pushgateway URL in the
/// file passed `profrun config` (exit 0) and the queries, then failed every
/// run with an error naming neither file, line nor column.
#[test]
fn a_bad_value_in_the_config_file_fails_where_it_is_read_with_its_location() {
    for (text, at, says) in [
        (
            "name = \"md\"\n[alerts]\nx = \"cpu>>3\"\n",
            "3:1",
            "bad alert 'x': ",
        ),
        (
            "name = \"md\"\npushgateway = \"ftp://x\"\n",
            "2:1",
            "is not of the form http://HOST[:PORT][/PATH]",
        ),
        (
            "pushgateway = \"http://gw:99999\"\n",
            "1:1",
            "is not of the form",
        ),
        ("\n  name = \"\"\n", "2:3", "name must not be empty"),
    ] {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = write_config(dir.path(), text);
        let marker = dir.path().join("ran");
        let want = format!("profrun: error: bad config file {}:{at}: ", path.display());
        for args in [
            vec!["config"],
            vec!["job-history"],
            vec!["--", "touch", marker.to_str().expect("utf-8")],
        ] {
            let out = isolated(dir.path())
                .args(&args)
                .output()
                .expect("run profrun");
            let said = stderr(&out);
            assert_eq!(out.status.code(), Some(2), "{text:?} {args:?}: {said}");
            assert!(
                said.starts_with(&want) && said.contains(says),
                "{text:?} {args:?}: {said}"
            );
        }
        assert!(!marker.exists(), "{text:?}: the job must not run");
    }
}

/// `--name ""` would label every series with an empty name.
#[test]
fn an_empty_name_on_the_command_line_is_a_usage_error() {
    let dir = tempfile::tempdir().expect("tempdir");
    let marker = dir.path().join("ran");
    let out = isolated(dir.path())
        .args(["--name", "", "--", "touch"])
        .arg(&marker)
        .output()
        .expect("run profrun");
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("the name must not be empty"),
        "{}",
        stderr(&out)
    );
    assert!(!marker.exists(), "the job must not run");
}
