//! The serde types of one history record: one JSON object per line of
//! `jobs_history.jsonl`. Field names keep the seed system's layout
//! (`task_id`, `resource_usage`, `detailed_profile`, ...) so existing scripts
//! keep working; new fields name their unit. `docs/record-schema.md` documents
//! every field.

mod alerts;
pub mod analysis;
mod cgroup;
mod detailed;
pub mod details_view;
mod exports;
mod gpu;
pub mod lenient;
mod project;
mod scalar;
mod skim;
mod slurm;
pub mod slurm_end;
mod status_read;
pub mod view;

pub use alerts::*;
pub use cgroup::*;
pub use detailed::*;
pub use exports::*;
pub use gpu::*;
pub use slurm::*;
pub use status_read::StoredStatus;
pub use view::RecordView;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Bumped when a field changes meaning or is removed; adding fields does not
/// bump it (readers ignore unknown fields).
pub const SCHEMA_VERSION: u32 = 1;

/// Bytes in one `_mb` unit. The seed's figures were psutil bytes / 2^20.
pub const BYTES_PER_MB: f64 = 1024.0 * 1024.0;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// Exited with code 0.
    Success,
    /// Exited with a non-zero code.
    Failed,
    /// Killed by a signal that profrun did not forward.
    Signaled,
    /// profrun received a terminating signal (and forwarded it) during the run.
    Interrupted,
    /// The command could not be started (not found, not executable, ...).
    FailedToStart,
    /// profrun was killed (SIGKILL, the OOM killer) while the job ran: the
    /// record is its last checkpoint, appended by the next profrun run on
    /// the same history; the job itself may still be running.
    Lost,
    /// Never stored: what readers show for the checkpoint of a profrun that
    /// is still running.
    Running,
    /// A `--limit` was crossed and profrun stopped the tree (see `limit`).
    LimitExceeded,
}

impl Status {
    /// Every status this profrun writes, in the order help texts list them.
    pub const ALL: [Status; 8] = [
        Status::Success,
        Status::Failed,
        Status::Signaled,
        Status::Interrupted,
        Status::FailedToStart,
        Status::Lost,
        Status::Running,
        Status::LimitExceeded,
    ];

    /// The status a stored name stands for, if this profrun knows it.
    pub fn from_name(name: &str) -> Option<Status> {
        Status::ALL.into_iter().find(|s| s.as_str() == name)
    }

    /// The stored name (`success`, `failed_to_start`, ...): the one place it
    /// is spelled.
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Success => "success",
            Status::Failed => "failed",
            Status::Signaled => "signaled",
            Status::Interrupted => "interrupted",
            Status::FailedToStart => "failed_to_start",
            Status::Lost => "lost",
            Status::Running => "running",
            Status::LimitExceeded => "limit_exceeded",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct JobRecord {
    pub schema_version: u32,
    /// Short, unique, time-sortable id (see `launch::task_id`).
    pub task_id: String,
    pub tool: String,
    /// First argument of the command that names an existing file.
    pub script: Option<String>,
    pub params: BTreeMap<String, String>,
    pub tags: BTreeMap<String, String>,
    /// argv as executed.
    pub command: Vec<String>,
    pub cwd: String,
    /// RFC 3339 UTC, microseconds.
    pub start_time: String,
    pub end_time: String,
    /// Monotonic clock, spawn to end of reaping.
    pub duration_seconds: f64,
    pub status: Status,
    /// The child's exit code; `-N` when it died of signal N (as Python's
    /// subprocess reports it); null when it never started.
    pub returncode: Option<i32>,
    /// The code profrun itself exits with (128+N for a signal, 125-127 when
    /// the command could not start).
    pub exit_code: i32,
    pub signal: Option<SignalRecord>,
    /// Why the command could not be started (status `failed_to_start`); for
    /// a run recovered from a checkpoint (`lost`, or `interrupted` at a
    /// signal), that profrun was killed and the job's pid.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub error: Option<String>,
    pub user: UserRecord,
    pub host: HostRecord,
    /// Allow-listed environment variables only (scheduler and CI ids).
    pub environment: BTreeMap<String, String>,
    /// Where the task ran inside Slurm; absent outside Slurm.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub slurm: Option<SlurmRecord>,
    pub resource_usage: ResourceUsage,
    pub measurement: Measurement,
    /// Descendants still alive when the main child exited (not waited for
    /// unless `--wait-all`).
    pub descendants_left_running: Vec<ProcessRef>,
    pub detailed_profile: Option<DetailedProfile>,
    /// profrun's own cost (`--self-stats` only).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub profrun_self: Option<SelfStats>,
    /// The `--alert` rules that fired, in the order they fired.
    #[serde(skip_serializing_if = "Vec::is_empty", default)]
    pub alerts: Vec<AlertRecord>,
    /// The `--limit` that stopped the job (status `limit_exceeded`).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub limit: Option<LimitRecord>,
    /// What became of `--pushgateway` and `--textfile` (only when asked for).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub exports: Option<ExportsRecord>,
    /// What held the job back, when, and what to ask for next time
    /// (`docs/analysis.md`). Every record profrun writes has it; records
    /// from before it existed lack it and readers compute it
    /// (`analysis::analyze`).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub analysis: Option<analysis::AnalysisRecord>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct SignalRecord {
    pub number: i32,
    pub name: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct UserRecord {
    pub name: Option<String>,
    pub uid: u32,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct HostRecord {
    pub hostname: String,
    pub kernel: String,
    pub cpu_model: Option<String>,
    /// CPUs online on the host.
    pub logical_cpus: usize,
    /// CPUs profrun (and so the job) may run on (affinity mask).
    pub cpus_available: usize,
    pub memory_total_mb: f64,
}

/// Exact totals from the kernel, taken after the tree was reaped.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct ResourceUsage {
    pub cpu_user_seconds: f64,
    pub cpu_system_seconds: f64,
    pub cpu_total_seconds: f64,
    /// Best available peak; `measurement.memory_peak_source` names its source.
    pub memory_peak_mb: f64,
    /// `ru_maxrss`: the largest single process's peak RSS.
    pub max_rss_mb: f64,
    /// Storage-layer bytes (`read_bytes`/`write_bytes` of `/proc/self/io`).
    pub read_bytes: u64,
    pub write_bytes: u64,
    /// Bytes through read()/write()-like syscalls (`rchar`/`wchar`).
    pub rchar: u64,
    pub wchar: u64,
    pub syscr: u64,
    pub syscw: u64,
    pub minor_page_faults: u64,
    pub major_page_faults: u64,
    pub voluntary_context_switches: u64,
    pub involuntary_context_switches: u64,
    /// `ru_inblock` / `ru_oublock` (512-byte blocks).
    pub block_input_ops: u64,
    pub block_output_ops: u64,
}

/// Where each headline figure came from.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Measurement {
    pub cpu_source: String,
    pub memory_peak_source: String,
    pub io_source: String,
    /// Which cgroup backend accounted the tree (`none` when not used).
    pub cgroup_backend: String,
    /// Why a richer backend was not used, when it was not.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub cgroup_note: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct ProcessRef {
    pub pid: i32,
    pub name: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct SelfStats {
    pub cpu_seconds: f64,
    pub peak_rss_kb: u64,
}

impl JobRecord {
    /// The record as one history line, ending in `\n`.
    pub fn to_line(&self) -> serde_json::Result<Vec<u8>> {
        let mut buf = serde_json::to_vec(self)?;
        buf.push(b'\n');
        Ok(buf)
    }
}
