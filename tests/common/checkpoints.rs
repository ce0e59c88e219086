//! Checkpoints for the query tests: a real profrun running at
//! `--checkpoint 1`, and the checkpoint a SIGKILLed profrun leaves, at any
//! start time (a real run starts now; these place one among older runs).

use std::path::{Path, PathBuf};
use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

/// The checkpoint folder profrun uses under `runtime` (`XDG_RUNTIME_DIR`).
pub fn folder(runtime: &Path) -> PathBuf {
    runtime.join("profrun")
}

/// The checkpoint files under `runtime`.
pub fn files(runtime: &Path) -> Vec<PathBuf> {
    let Ok(entries) = std::fs::read_dir(folder(runtime)) else {
        return Vec::new();
    };
    let mut found: Vec<PathBuf> = entries
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .filter(|p| {
            !p.file_name()
                .is_some_and(|n| n.to_string_lossy().starts_with('.'))
        })
        .collect();
    found.sort();
    found
}

/// The history as every profrun names it in a checkpoint: absolute, with
/// the folder's links resolved.
fn history_key(history: &Path) -> String {
    let parent = std::fs::canonicalize(history.parent().expect("a folder")).expect("canonical");
    parent
        .join(history.file_name().expect("a name"))
        .to_string_lossy()
        .into_owned()
}

/// Write the checkpoint of a profrun that is gone (no process has pid
/// 2^31 - 1) for `history`, holding `record` (a `record_at` line): readers
/// show its run as `lost`.
pub fn write_lost(runtime: &Path, history: &Path, record: &str) {
    use std::os::unix::fs::DirBuilderExt;
    let mut record: serde_json::Value = serde_json::from_str(record).expect("a record");
    // As a checkpoint holds it: the run so far.
    record["status"] = "running".into();
    record["returncode"] = serde_json::Value::Null;
    record["exit_code"] = 0.into();
    record["signal"] = serde_json::Value::Null;
    let id = record["task_id"].as_str().expect("task_id").to_string();
    let cp = serde_json::json!({
        "profrun_checkpoint": 1,
        "history": history_key(history),
        "profrun_pid": i32::MAX,
        "profrun_start_ticks": 1,
        "job_pid": i32::MAX,
        "record": record,
    });
    let dir = folder(runtime);
    std::fs::DirBuilder::new()
        .mode(0o700)
        .recursive(true)
        .create(&dir)
        .expect("checkpoint folder");
    std::fs::write(dir.join(format!("{id}.json")), cp.to_string()).expect("write checkpoint");
}

/// A real `profrun --checkpoint 1 -- sleep 120` on `history`, frozen
/// (SIGSTOP) once it has written a checkpoint, so that the checkpoint stays
/// the same from one reader to the next while its profrun lives; ended
/// (SIGTERM, forwarded to its job) when dropped.
pub struct Running {
    child: Child,
}

impl Running {
    /// Start it and wait for its first checkpoint under `runtime`.
    pub fn start(runtime: &Path, history: &Path) -> Running {
        let before = files(runtime).len();
        let child = super::profrun()
            .env("XDG_RUNTIME_DIR", runtime)
            .args(["-q", "--checkpoint", "1", "--history"])
            .arg(history)
            .args(["--", "sleep", "120"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("spawn profrun");
        let running = Running { child };
        let deadline = Instant::now() + Duration::from_secs(10);
        while files(runtime).len() == before {
            assert!(Instant::now() < deadline, "no checkpoint within 10 s");
            std::thread::sleep(Duration::from_millis(50));
        }
        running.signal(libc::SIGSTOP);
        running
    }

    fn signal(&self, sig: i32) {
        // SAFETY: plain kill(2) of the profrun this test started.
        unsafe { libc::kill(self.child.id() as i32, sig) };
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        self.signal(libc::SIGTERM);
        self.signal(libc::SIGCONT);
        let _ = self.child.wait();
    }
}
