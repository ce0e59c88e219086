//! The checkpoint file: one JSON object naming its history, the profrun
//! that wrote it (pid and start time) and the job's pid, around the record
//! so far (or the finished record, kept there after a failed append).
//! Parsing is total: any bytes give a checkpoint or a reason, never a panic
//! (proptested in tests/checkpoint.rs).

use crate::record::{JobRecord, SignalRecord, Status};
use serde::{Deserialize, Serialize};

/// The format version this profrun writes and reads.
pub const FORMAT: u32 = 1;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CheckpointFile {
    /// Always [`FORMAT`]: marks the file as a profrun checkpoint.
    pub profrun_checkpoint: u32,
    /// The history the run is to be appended to (see `history_key`).
    pub history: String,
    pub profrun_pid: i32,
    /// Field 22 of profrun's `/proc/PID/stat`.
    pub profrun_start_ticks: u64,
    /// The job's pid; 0 in a finished record (see [`CheckpointFile::is_finished`]).
    pub job_pid: i32,
    /// The signal profrun was forwarding when it wrote this checkpoint.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub signal: Option<SignalRecord>,
    /// The job's cgroup leaf folders (`profrun-<pid>-<n>`), removed by the
    /// run that recovers the checkpoint once they are empty.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub leaves: Vec<String>,
    /// The record so far (status `running`), or the finished record of a
    /// run whose history append failed (any other status).
    pub record: JobRecord,
}

impl CheckpointFile {
    /// The record is final: its run ended, but the history could not take
    /// it (a full disk, a read-only history), so it was kept here for the
    /// next run to append as it is (issue 11).
    pub fn is_finished(&self) -> bool {
        self.record.status != Status::Running
    }

    pub fn to_bytes(&self) -> serde_json::Result<Vec<u8>> {
        serde_json::to_vec(self)
    }
}

/// What recovery decides on (whose history, whether its profrun lives,
/// whether the record is finished), read without building the record: the
/// folder holds this run's own checkpoint and those of other live
/// profruns, whose series recovery would otherwise parse only to skip
/// them (docs/performance.md, "own cost").
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct CheckpointHead {
    pub profrun_checkpoint: u32,
    pub history: String,
    pub profrun_pid: i32,
    pub profrun_start_ticks: u64,
    pub job_pid: i32,
    record: RecordHead,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
struct RecordHead {
    task_id: String,
    status: Status,
}

impl CheckpointHead {
    /// As [`CheckpointFile::is_finished`].
    pub fn is_finished(&self) -> bool {
        self.record.status != Status::Running
    }
}

/// Read a checkpoint, or say why the bytes are not one.
pub fn parse(bytes: &[u8]) -> Result<CheckpointFile, String> {
    let cp: CheckpointFile = serde_json::from_slice(bytes).map_err(|e| e.to_string())?;
    check(
        cp.profrun_checkpoint,
        cp.profrun_pid,
        cp.job_pid,
        cp.is_finished(),
        &cp.record.task_id,
    )?;
    Ok(cp)
}

/// Read a checkpoint's head from `reader`, checked as [`parse`] checks the
/// whole file; the rest of the record is skipped, not built.
pub fn parse_head(reader: impl std::io::Read) -> Result<CheckpointHead, String> {
    let head: CheckpointHead = serde_json::from_reader(reader).map_err(|e| e.to_string())?;
    check(
        head.profrun_checkpoint,
        head.profrun_pid,
        head.job_pid,
        head.is_finished(),
        &head.record.task_id,
    )?;
    Ok(head)
}

fn check(
    format: u32,
    profrun_pid: i32,
    job_pid: i32,
    finished: bool,
    task_id: &str,
) -> Result<(), String> {
    if format != FORMAT {
        return Err(format!("checkpoint format {format} is not {FORMAT}"));
    }
    // A finished record's job has ended: no pid to name.
    let job_pid_min = if finished { 0 } else { 1 };
    if profrun_pid <= 0 || job_pid < job_pid_min {
        return Err("a pid that is not positive".to_string());
    }
    if task_id.is_empty()
        || !task_id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    {
        return Err(format!("task id {task_id:?} is not one profrun writes"));
    }
    Ok(())
}
