//! What Slurm says became of a job, pure: the answer of `scontrol show job
//! -o ID` (slurmctld remembers a job for `MinJobAge` after its end) or of
//! `sacct -n -X -P -o JobIDRaw,State,JobName,UID -j ID` (the accounting
//! database, where there is one), parsed into a [`SlurmJobEnd`]. Recovery
//! asks this of an orphaned checkpoint of a Slurm job whose profrun was
//! SIGKILLed before it could note the signal (issue 16 item 7): when Slurm
//! cancelled the job, or ended it at its time limit, the run was
//! interrupted, not lost. Tested on output captured from Slurm 22.05
//! (`slurm_end_testdata/`).

use super::SlurmRecord;

/// A job as Slurm describes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SlurmJobEnd {
    pub job_id: u64,
    /// Slurm's job state: `CANCELLED`, `TIMEOUT`, `COMPLETED`, `RUNNING`, ...
    pub state: String,
    /// Who cancelled it, where Slurm says (`sacct`: `CANCELLED by 0`).
    pub cancelled_by_uid: Option<u32>,
    /// scontrol's `Reason`, unless `None`.
    pub reason: Option<String>,
    pub job_name: Option<String>,
    pub uid: Option<u32>,
}

/// The states in which Slurm itself ended the job, signalling its processes
/// (SIGTERM, then SIGKILL after `KillWait`): cancelled, out of time, past
/// its deadline, preempted, its node lost, or requeued.
const ENDED_BY_SLURM: [&str; 8] = [
    "CANCELLED",
    "TIMEOUT",
    "DEADLINE",
    "PREEMPTED",
    "NODE_FAIL",
    "REQUEUED",
    "REQUEUE_HOLD",
    "REQUEUE_FED",
];

/// States that are not the job's last word yet.
const UNSETTLED: [&str; 8] = [
    "PENDING",
    "CONFIGURING",
    "RUNNING",
    "COMPLETING",
    "SUSPENDED",
    "STOPPED",
    "RESIZING",
    "SIGNALING",
];

impl SlurmJobEnd {
    /// Whether Slurm ended the job itself (and so sent its signal).
    pub fn ended_by_slurm(&self) -> bool {
        ENDED_BY_SLURM.contains(&self.state.as_str())
    }

    /// Whether the job has ended (not pending, running, completing, ...):
    /// then every process of its steps has ended with it.
    pub fn settled(&self) -> bool {
        !UNSETTLED.contains(&self.state.as_str())
    }

    /// Whether the job is ending (its steps being killed): its final state
    /// is a moment away.
    pub fn completing(&self) -> bool {
        self.state == "COMPLETING"
    }

    /// Whether this is the job `slurm` names, run by `uid`: job ids restart
    /// with a fresh controller and differ between clusters, so the name and
    /// the user must agree too where Slurm gives them.
    pub fn is_job_of(&self, slurm: &SlurmRecord, uid: u32) -> bool {
        self.job_id == slurm.job_id
            && self.uid.map_or(true, |u| u == uid)
            && match (&self.job_name, &slurm.job_name) {
                (Some(theirs), Some(ours)) => theirs == ours,
                _ => true,
            }
    }

    /// Slurm's word for it, for the recovered record: `Slurm: CANCELLED by
    /// uid 0`, `Slurm: TIMEOUT, reason TimeLimit`.
    pub fn describe(&self) -> String {
        let mut text = format!("Slurm: {}", self.state);
        if let Some(uid) = self.cancelled_by_uid {
            text.push_str(&format!(" by uid {uid}"));
        }
        if let Some(reason) = &self.reason {
            text.push_str(&format!(", reason {reason}"));
        }
        text
    }
}

/// The line for `job_id` in `scontrol show job -o` output (one job per
/// line, `Key=Value` fields; an array job prints one line per task).
/// `None` when no line names the job or its state is missing.
pub fn parse_scontrol(text: &str, job_id: u64) -> Option<SlurmJobEnd> {
    let line = text
        .lines()
        .find(|line| field(line, "JobId").and_then(|v| v.parse().ok()) == Some(job_id))?;
    let state = field(line, "JobState")?;
    Some(SlurmJobEnd {
        job_id,
        state: base_state(state),
        cancelled_by_uid: None,
        reason: field(line, "Reason")
            .filter(|r| *r != "None")
            .map(str::to_string),
        job_name: job_name(line),
        // `UserId=root(0)`
        uid: field(line, "UserId")
            .and_then(|v| v.rsplit_once('('))
            .and_then(|(_, uid)| uid.strip_suffix(')')?.parse().ok()),
    })
}

/// The row for `job_id` in `sacct -n -X -P -o JobIDRaw,State,JobName,UID`
/// output: `71|CANCELLED by 0|plain|0`.
pub fn parse_sacct(text: &str, job_id: u64) -> Option<SlurmJobEnd> {
    text.lines().find_map(|line| {
        let mut cols = line.split('|');
        let id: u64 = cols.next()?.trim().parse().ok()?;
        if id != job_id {
            return None;
        }
        let state_col = cols.next()?.trim();
        let (state, by) = match state_col.split_once(" by ") {
            Some((state, by)) => (state, by.trim().parse().ok()),
            None => (state_col, None),
        };
        if state.is_empty() {
            return None;
        }
        Some(SlurmJobEnd {
            job_id,
            state: base_state(state),
            cancelled_by_uid: by,
            reason: None,
            job_name: cols.next().map(str::to_string),
            uid: cols.next().and_then(|u| u.trim().parse().ok()),
        })
    })
}

/// `CANCELLED+` (sacct's truncation mark) and `CANCELLED,...` flags: the
/// state word alone.
fn base_state(state: &str) -> String {
    state
        .split([',', '+', ' '])
        .next()
        .unwrap_or(state)
        .to_string()
}

/// The single-word value of ` Key=` in a `-o` line (`JobId` at its start).
fn field<'a>(line: &'a str, key: &str) -> Option<&'a str> {
    let start = value_start(line, key)?;
    let value = &line[start..];
    Some(value.split_whitespace().next().unwrap_or(""))
}

fn value_start(line: &str, key: &str) -> Option<usize> {
    let prefix = format!("{key}=");
    if line.starts_with(&prefix) {
        return Some(prefix.len());
    }
    line.find(&format!(" {prefix}"))
        .map(|i| i + 1 + prefix.len())
}

/// `JobName=` runs up to ` UserId=`, its next field: a name may hold spaces.
fn job_name(line: &str) -> Option<String> {
    let start = value_start(line, "JobName")?;
    let rest = &line[start..];
    let end = rest.find(" UserId=").unwrap_or(rest.len());
    Some(rest[..end].to_string())
}

#[cfg(test)]
#[path = "slurm_end_tests.rs"]
mod tests;
