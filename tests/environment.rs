//! What of the job's environment and command line reaches the record, and
//! how the record's own files are protected (issue 11, items 2 and 3): the
//! real binary on real child processes.

use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::Output;

use serde_json::Value;

mod wrapper;
use wrapper::{last_record, profrun};

fn run_in(dir: &Path, extra: &[&str], command: &[&str], env: &[(&str, &str)]) -> (Output, Value) {
    let history = dir.join("h.jsonl");
    let out = profrun()
        .arg("--history")
        .arg(&history)
        .arg("-q")
        .args(extra)
        .arg("--")
        .args(command)
        .envs(env.iter().copied())
        .output()
        .expect("run profrun");
    assert!(out.status.success(), "{out:?}");
    (out, last_record(&history))
}

fn recorded_command(rec: &Value) -> Vec<String> {
    rec["command"]
        .as_array()
        .expect("command")
        .iter()
        .map(|v| v.as_str().expect("string").to_string())
        .collect()
}

// Regression (issue 11, item 2): SLURM_Token, GITHUB_PAT and CI_Api_Key
// were recorded.
#[test]
fn secrets_in_the_environment_are_not_recorded() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (_, rec) = run_in(
        dir.path(),
        &[],
        &["true"],
        &[
            ("SLURM_Token", "s1"),
            ("GITHUB_PAT", "s2"),
            ("CI_Api_Key", "s3"),
            ("CI_JOB_TOKEN", "s4"),
            ("CI_REPOSITORY_URL", "https://gitlab-ci-token:s5@host/r.git"),
            ("SLURM_JOB_ID", "42"),
            ("GITHUB_RUN_ID", "9"),
            ("BUILDKITE_BUILD_NUMBER", "7"),
            ("BUILD_NUMBER", "6"),
        ],
    );
    let env = rec["environment"].as_object().expect("environment");
    for (name, value) in [
        ("SLURM_JOB_ID", "42"),
        ("GITHUB_RUN_ID", "9"),
        ("BUILDKITE_BUILD_NUMBER", "7"),
        ("BUILD_NUMBER", "6"),
    ] {
        assert_eq!(env.get(name).and_then(Value::as_str), Some(value), "{name}");
    }
    let line = serde_json::to_string(&rec).expect("json");
    for secret in ["s1", "s2", "s3", "s4", "s5"] {
        assert!(
            !line.contains(&format!("\"{secret}\"")) && !line.contains(&format!(":{secret}@")),
            "{secret} leaked: {env:?}"
        );
    }
}

#[test]
fn default_redaction_hides_option_values_and_url_credentials() {
    let dir = tempfile::tempdir().expect("tempdir");
    let command = [
        "sh",
        "-c",
        // The job still gets the real values.
        "test \"$*\" = \"$WANT\" || exit 9",
        "job",
        "--password=hunter2",
        "--token",
        "tokval",
        "https://me:pw@host/r",
    ];
    let want_args = "--password=hunter2 --token tokval https://me:pw@host/r";
    let (_, rec) = run_in(dir.path(), &[], &command, &[("WANT", want_args)]);
    let mut want: Vec<String> = command[..4].iter().map(|s| s.to_string()).collect();
    want.extend(["--password=***", "--token", "***", "https://***@host/r"].map(String::from));
    assert_eq!(recorded_command(&rec), want);
}

#[test]
fn redact_option_masks_its_matches_in_the_record_only() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (_, rec) = run_in(
        dir.path(),
        &[
            "--redact",
            r"ghp_[0-9a-z]+",
            "--redact",
            r"key=(\w+)",
            // A pattern may start with a hyphen.
            "--redact",
            r"-p(\S+)",
            "--json",
        ],
        &[
            "sh",
            "-c",
            "test \"$1\" = ghp_abc1 || exit 9",
            "job",
            "ghp_abc1",
            "key=k1",
            "plain",
            "-pw0rd",
        ],
        &[],
    );
    assert_eq!(
        recorded_command(&rec)[3..],
        ["job", "***", "key=***", "plain", "-p***"].map(String::from)
    );
}

#[test]
fn an_invalid_redact_pattern_is_a_usage_error() {
    let out = profrun()
        .args(["--redact", "(", "--", "true"])
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("'(' is not a valid regex"));
}

// Regression (issue 11, item 3): `--record-out` files followed the umask
// (0666 under umask 000), while the history is 0600.
#[test]
fn record_out_is_created_0600_under_umask_000() {
    let dir = tempfile::tempdir().expect("tempdir");
    let record = dir.path().join("out/rec.json");
    let history = dir.path().join("h.jsonl");
    let status = std::process::Command::new("sh")
        .arg("-c")
        .arg("umask 000; exec \"$0\" \"$@\"")
        .arg(env!("CARGO_BIN_EXE_profrun"))
        .arg("--history")
        .arg(&history)
        .arg("--record-out")
        .arg(&record)
        .args(["-q", "--", "true"])
        .env_remove("PROFRUN_HISTORY")
        .status()
        .expect("run");
    assert!(status.success());
    for path in [&record, &history] {
        let mode = std::fs::metadata(path)
            .expect("written")
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600, "{}", path.display());
    }
    serde_json::from_slice::<Value>(&std::fs::read(&record).expect("read")).expect("a record");
}

#[test]
fn an_existing_record_out_file_keeps_its_mode() {
    let dir = tempfile::tempdir().expect("tempdir");
    let record = dir.path().join("rec.json");
    std::fs::write(&record, b"old contents that are longer than nothing").expect("write");
    std::fs::set_permissions(&record, std::fs::Permissions::from_mode(0o640)).expect("chmod");
    run_in(
        dir.path(),
        &["--record-out", record.to_str().expect("utf-8")],
        &["true"],
        &[],
    );
    let mode = std::fs::metadata(&record)
        .expect("meta")
        .permissions()
        .mode();
    assert_eq!(mode & 0o777, 0o640);
    // Replaced, not appended to.
    serde_json::from_slice::<Value>(&std::fs::read(&record).expect("read")).expect("one record");
}
