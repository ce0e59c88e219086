//! The exporters against the real components: a Pushgateway that stores
//! what profrun pushes, a Prometheus that scrapes the live endpoint every
//! second, and `promtool check metrics` on the textfile (tests/support/prom.rs
//! starts and stops them).

mod support;

use std::net::SocketAddr;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use profrun::export::listen::{MetricsServer, SnapshotSlot};
use profrun::export::push::{PushError, Pushgateway};
use profrun::export::textfile::write_textfile;
use profrun::metrics::{encode, job_metrics, live_metrics, Labels, LiveAlert, LiveState};
use profrun::record::{JobRecord, Status};
use support::prom;

/// Line `n` (0-based) of tests/fixtures/history.jsonl.
fn fixture(n: usize) -> JobRecord {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/history.jsonl");
    let text = std::fs::read_to_string(path).expect("fixture history");
    serde_json::from_str(text.lines().nth(n).expect("fixture line")).expect("fixture record")
}

/// The gateway's `/metrics` lines for `metric` in group name="md".
fn gateway_lines(gateway: &prom::Running, metric: &str) -> Vec<String> {
    let (status, body) = prom::get(gateway.addr, "/metrics").expect("scrape gateway");
    assert_eq!(status, 200);
    body.lines()
        .filter(|l| l.starts_with(&format!("{metric}{{")) && l.contains("name=\"md\""))
        .map(str::to_string)
        .collect()
}

fn value_of(line: &str) -> f64 {
    line.rsplit(' ')
        .next()
        .and_then(|v| v.parse().ok())
        .expect("a value")
}

#[test]
fn a_push_reads_back_and_a_failed_run_keeps_the_last_success() {
    let Some(gateway) = prom::pushgateway() else {
        return;
    };
    let client = Pushgateway::parse(&gateway.url()).expect("url");

    let success = fixture(7);
    assert_eq!(success.status, Status::Success);
    let labels = Labels::for_record(&success, Some("md"));
    client
        .push(&labels, &job_metrics(&success, &labels))
        .unwrap_or_else(|e| panic!("push: {e}\n{}", gateway.log()));

    let duration = gateway_lines(&gateway, "profrun_job_duration_seconds");
    assert_eq!(
        duration,
        [format!(
            "profrun_job_duration_seconds{{host=\"node2\",instance=\"node2\",job=\"profrun\",name=\"md\",tool=\"lammps\"}} {}",
            success.duration_seconds
        )]
    );
    let first_success = gateway_lines(&gateway, "profrun_job_last_success_timestamp_seconds");
    assert_eq!(first_success.len(), 1, "{first_success:?}");
    assert!(first_success[0].contains("kind=\"last_success\""));

    // A failed run of the same name and host replaces the run's group but
    // not the success group.
    let mut failed = fixture(2);
    assert_eq!(failed.status, Status::Failed);
    failed.host.hostname = success.host.hostname.clone();
    client
        .push(&labels, &job_metrics(&failed, &labels))
        .expect("push the failed run");
    let exit = gateway_lines(&gateway, "profrun_job_exit_code");
    assert_eq!(exit.len(), 1);
    assert_eq!(value_of(&exit[0]), 1.0);
    assert_eq!(
        gateway_lines(&gateway, "profrun_job_last_success_timestamp_seconds"),
        first_success
    );
    let completion = gateway_lines(&gateway, "profrun_job_last_completion_timestamp_seconds");
    assert!(value_of(&completion[0]) != value_of(&first_success[0]));
}

#[test]
fn a_gateway_that_is_not_running_is_an_error_value() {
    let port = prom::free_port();
    let client = Pushgateway::parse(&format!("http://127.0.0.1:{port}")).expect("url");
    let record = fixture(7);
    let labels = Labels::for_record(&record, None);
    let started = Instant::now();
    let error = client
        .push(&labels, &job_metrics(&record, &labels))
        .expect_err("nothing listens there");
    assert!(matches!(error, PushError::Connect { .. }), "{error}");
    assert!(
        error.to_string().contains(&format!("127.0.0.1:{port}")),
        "{error}"
    );
    assert!(started.elapsed() < Duration::from_secs(5));
}

#[test]
fn a_gateway_error_status_is_an_error_value() {
    let Some(gateway) = prom::pushgateway() else {
        return;
    };
    // No such route under this prefix: the gateway answers 404.
    let client = Pushgateway::parse(&format!("{}/no/such/prefix", gateway.url())).expect("url");
    let record = fixture(7);
    let labels = Labels::for_record(&record, None);
    let error = client
        .push(&labels, &job_metrics(&record, &labels))
        .expect_err("the gateway refuses");
    assert!(
        matches!(
            error,
            PushError::Status {
                status: 404,
                method: "PUT",
                ..
            }
        ),
        "{error}"
    );
}

/// A peer that accepts and never answers: the push gives up within its
/// timeout instead of hanging the end of the run.
#[test]
fn a_silent_gateway_times_out() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = listener.local_addr().expect("addr");
    let client = Pushgateway::parse(&format!("http://{addr}")).expect("url");
    let record = fixture(7);
    let labels = Labels::for_record(&record, None);
    let started = Instant::now();
    let error = client
        .push_within(
            &labels,
            &job_metrics(&record, &labels),
            Duration::from_millis(500),
        )
        .expect_err("no answer");
    assert!(matches!(error, PushError::Timeout { .. }), "{error}");
    assert!(
        error.to_string().ends_with("timed out after 0.5 s"),
        "{error}"
    );
    assert!(started.elapsed() < Duration::from_secs(3));
    drop(listener);
}

fn live_state(elapsed: f64) -> LiveState {
    LiveState {
        elapsed_seconds: elapsed,
        cores_in_use: Some(1.5),
        cpus_available: 2,
        tree_rss_bytes: 123 << 20,
        processes: 11,
        read_bytes_per_second: Some(0.0),
        write_bytes_per_second: Some(4096.0),
        cpu_user_seconds_total: elapsed,
        cpu_system_seconds_total: elapsed / 10.0,
        read_bytes_total: 0,
        write_bytes_total: 4096,
        gpu: None,
        alerts: vec![LiveAlert {
            name: "cpu_high".into(),
            firing: true,
        }],
    }
}

fn labels() -> Labels {
    Labels {
        name: "md".into(),
        tool: "lammps".into(),
        host: "node1".into(),
    }
}

/// The value of a one-series instant query, once Prometheus has it.
fn wait_for(prometheus: &prom::Running, promql: &str, want: f64) -> f64 {
    let deadline = Instant::now() + Duration::from_secs(30);
    let mut last = None;
    while Instant::now() < deadline {
        let result = prom::query(prometheus, promql);
        if let Some(v) = result
            .first()
            .and_then(|r| r["value"][1].as_str())
            .and_then(|v| v.parse::<f64>().ok())
        {
            if v == want {
                return v;
            }
            last = Some(v);
        }
        std::thread::sleep(Duration::from_millis(250));
    }
    panic!(
        "{promql}: wanted {want}, last saw {last:?}\n{}",
        prometheus.log()
    );
}

#[test]
fn prometheus_scrapes_the_live_endpoint_while_it_changes() {
    let slot = SnapshotSlot::default();
    let server = MetricsServer::bind("127.0.0.1:0", slot.clone()).expect("bind");
    slot.publish(encode(&live_metrics(&live_state(1.0), &labels())));
    let addr: SocketAddr = server.local_addr();
    let Some(prometheus) = prom::prometheus_scraping(addr) else {
        return;
    };

    wait_for(&prometheus, r#"up{job="profrun"}"#, 1.0);
    wait_for(
        &prometheus,
        r#"profrun_job_tree_rss_bytes{name="md",tool="lammps",host="node1"}"#,
        f64::from(123u32 << 20),
    );
    wait_for(
        &prometheus,
        r#"profrun_job_alert_firing{alert="cpu_high"}"#,
        1.0,
    );
    // A later tick's snapshot replaces the first one in the next scrape.
    slot.publish(encode(&live_metrics(&live_state(7.0), &labels())));
    wait_for(&prometheus, "profrun_job_elapsed_seconds", 7.0);
    wait_for(
        &prometheus,
        r#"profrun_job_cpu_seconds_total{mode="user"}"#,
        7.0,
    );
}

/// `promtool check metrics` on `text`: (success, what it printed).
fn promtool_check_metrics(text: &str) -> Option<(bool, String)> {
    let promtool = prom::component("promtool")?;
    let dir = tempfile::tempdir().expect("tempdir");
    let path = write_textfile(dir.path(), "md", text).expect("write textfile");
    assert_eq!(path, dir.path().join("profrun-md.prom"));
    let out = Command::new(promtool)
        .args(["check", "metrics"])
        .stdin(Stdio::from(std::fs::File::open(&path).expect("open")))
        .output()
        .expect("run promtool");
    let said = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    Some((out.status.success(), said))
}

#[test]
fn promtool_accepts_the_textfile_of_a_run() {
    for n in [2, 7] {
        let record = fixture(n);
        let text = encode(&job_metrics(&record, &Labels::for_record(&record, None)));
        let Some((ok, said)) = promtool_check_metrics(&text) else {
            return;
        };
        assert!(ok && said.trim().is_empty(), "record {n}: {said}\n{text}");
    }
}

#[test]
fn promtool_accepts_the_live_endpoint_text() {
    let mut state = live_state(3.0);
    state.gpu = Some(profrun::metrics::LiveGpu {
        utilization_percent: Some(50.0),
        memory_used_bytes: Some(1 << 30),
        power_watts: Some(200.0),
        energy_joules_total: Some(600.0),
    });
    let text = encode(&live_metrics(&state, &labels()));
    let Some((ok, said)) = promtool_check_metrics(&text) else {
        return;
    };
    assert!(ok && said.trim().is_empty(), "{said}\n{text}");
}

/// Promtool rejects what is not the format (so the two tests above can fail).
#[test]
fn promtool_rejects_a_torn_textfile() {
    let Some((ok, said)) = promtool_check_metrics("profrun_job_duration_seconds{name=\"md\" 1\n")
    else {
        return;
    };
    assert!(!ok, "{said}");
}

/// docs/monitoring.md names every family profrun can emit.
#[test]
fn every_metric_is_documented() {
    let docs =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/monitoring.md"))
            .expect("docs/monitoring.md");
    let mut record = fixture(7);
    record
        .detailed_profile
        .get_or_insert_with(Default::default)
        .gpu_stats = Some(profrun::record::GpuStatsRecord {
        available: true,
        nvidia: Some(profrun::record::NvidiaSummaryRecord {
            gpu_utilization_percent: Some(1.0),
            gpu_utilization_max_percent: Some(1.0),
            memory_used_max_mb: Some(1.0),
            ..Default::default()
        }),
        energy_joules: Some(1.0),
        ..Default::default()
    });
    let mut state = live_state(1.0);
    state.gpu = Some(profrun::metrics::LiveGpu {
        utilization_percent: Some(1.0),
        memory_used_bytes: Some(1),
        power_watts: Some(1.0),
        energy_joules_total: Some(1.0),
    });
    let families = job_metrics(&record, &labels())
        .into_iter()
        .chain(live_metrics(&state, &labels()));
    let mut count = 0;
    for family in families {
        assert!(
            docs.contains(&format!("`{}", family.name)),
            "{} is not in docs/monitoring.md",
            family.name
        );
        count += 1;
    }
    // 13 end-of-run families (9 + 4 GPU), 15 live ones (10 + 4 GPU + alerts).
    assert_eq!(count, 13 + 15);
}

/// A name with `/` and a space travels in the gateway's `@base64` form and
/// comes back as itself.
#[test]
fn an_odd_name_reaches_the_gateway_intact() {
    let Some(gateway) = prom::pushgateway() else {
        return;
    };
    let client = Pushgateway::parse(&gateway.url()).expect("url");
    let record = fixture(7);
    let labels = Labels::for_record(&record, Some("md/run 2"));
    client
        .push(&labels, &job_metrics(&record, &labels))
        .unwrap_or_else(|e| panic!("push: {e}\n{}", gateway.log()));
    let (_, body) = prom::get(gateway.addr, "/metrics").expect("scrape gateway");
    assert!(
        body.lines()
            .any(|l| l.starts_with("profrun_job_exit_code{") && l.contains(r#"name="md/run 2""#)),
        "{body}"
    );
}

/// Set in the children of the test below: write this text repeatedly.
const TEXTFILE_CHILD: &str = "PROFRUN_TEST_TEXTFILE_CHILD";

/// Four processes (this test binary, re-run as children) rewrite the same
/// name while the parent reads: every read is one child's whole text.
#[test]
fn concurrent_processes_never_leave_a_torn_textfile() {
    if let Some(dir) = std::env::var_os(TEXTFILE_CHILD) {
        let me = std::process::id();
        let text = format!(
            "# writer {me}\n{}",
            format!("x{{w=\"{me}\"}} 1\n").repeat(5000)
        );
        for _ in 0..50 {
            write_textfile(Path::new(&dir), "same", &text).expect("child write");
        }
        return;
    }
    let dir = tempfile::tempdir().expect("tempdir");
    write_textfile(dir.path(), "same", "# seed\n").expect("seed");
    let children: Vec<_> = (0..4)
        .map(|_| {
            Command::new(std::env::current_exe().expect("test binary"))
                .args([
                    "--exact",
                    "concurrent_processes_never_leave_a_torn_textfile",
                ])
                .env(TEXTFILE_CHILD, dir.path())
                .stdout(Stdio::null())
                .spawn()
                .expect("spawn a writer")
        })
        .collect();
    let path = dir.path().join("profrun-same.prom");
    let mut reads = 0;
    let mut children = children;
    while children
        .iter_mut()
        .any(|c| c.try_wait().expect("wait").is_none())
    {
        let text = std::fs::read_to_string(&path).expect("the file always exists");
        if text != "# seed\n" {
            let writer = text
                .lines()
                .next()
                .expect("header")
                .trim_start_matches("# writer ");
            let whole = format!(
                "# writer {writer}\n{}",
                format!("x{{w=\"{writer}\"}} 1\n").repeat(5000)
            );
            assert!(text == whole, "torn file of {} bytes", text.len());
        }
        reads += 1;
    }
    for mut child in children {
        assert!(child.wait().expect("wait").success());
    }
    assert!(reads > 0);
    let last = std::fs::read_to_string(&path).expect("read");
    assert!(
        last.starts_with("# writer ") && last.len() > 5000,
        "no child wrote"
    );
    let names: Vec<_> = std::fs::read_dir(dir.path())
        .expect("ls")
        .map(|e| e.expect("entry").file_name())
        .collect();
    assert_eq!(names, [std::ffi::OsString::from("profrun-same.prom")]);
}
