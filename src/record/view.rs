//! The typed read model: a stored history line as every reader sees it
//! (`job-history`, `job-stats`, `job-details`' lookups, and the check, plot
//! and metrics code to come). Lenient where records differ: fields written by
//! a newer profrun are ignored, statuses it adds are kept as stored
//! ([`StoredStatus`]), the seed's records without `schema_version` read, and
//! the sampled blocks other issues are still shaping turn into "absent" when
//! their type is unexpected. The time series, per-process lists and every
//! block nobody asked for are stepped over by [`skim`] before serde reads
//! the rest, never tokenised nor built. Core fields are strict: a wrong type
//! makes the line bad.

use super::lenient::{MeanFigure, Num, Obj, Text};
use super::project::project;
use super::skim::{skim, Wanted};
use super::{StoredStatus, BYTES_PER_MB, SCHEMA_VERSION};
use chrono::{DateTime, NaiveDateTime};
use serde::de::{self, value::MapAccessDeserializer, Visitor};
use serde::Deserialize;
use std::cell::RefCell;
use std::collections::BTreeMap;
use std::fmt;

/// One run, as the query commands see it.
#[derive(Debug, Clone, PartialEq)]
pub struct RecordView {
    pub task_id: String,
    pub tool: String,
    pub script: Option<String>,
    pub status: StoredStatus,
    pub returncode: Option<i64>,
    pub exit_code: Option<i64>,
    /// Signal name (`SIGKILL`) when the job died of one.
    pub signal: Option<String>,
    /// As stored (RFC 3339).
    pub start_time: String,
    pub end_time: Option<String>,
    /// Microseconds since the Unix epoch, for ordering and filters.
    pub start_us: i64,
    /// End time in µs; start + duration when the record lacks `end_time`.
    pub end_us: i64,
    pub duration_seconds: f64,
    pub command: Vec<String>,
    pub tags: BTreeMap<String, String>,
    pub host: Option<String>,
    pub cpu_total_seconds: Option<f64>,
    pub memory_peak_mb: Option<f64>,
    pub read_bytes: Option<f64>,
    pub write_bytes: Option<f64>,
    pub gpu_utilization_percent: Option<f64>,
    /// `host.cpus_available`: the CPUs the job could run on.
    pub cpus_available: Option<f64>,
    /// `detailed_profile.memory_efficiency`.
    pub memory_efficiency: Option<f64>,
    /// The `slurm` block's ids, when the run was a Slurm task.
    pub slurm: Option<SlurmView>,
    /// `analysis.bottleneck` as stored (`serial`, `io`, ...); None when the
    /// record has no verdict or predates the analysis block.
    pub bottleneck: Option<String>,
}

/// The ids of a Slurm task's record (`slurm` block).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SlurmView {
    pub job_id: u64,
    pub array_job_id: Option<u64>,
    pub array_task_id: Option<u64>,
    pub step_id: Option<String>,
    pub procid: Option<u64>,
}

impl SlurmView {
    /// The job a task belongs to for grouping: the array's id for an array
    /// task (each has its own job id), else the job id.
    pub fn group_job_id(&self) -> u64 {
        self.array_job_id.unwrap_or(self.job_id)
    }

    /// The task within its job: `ARRAYTASK.STEP.PROCID`, parts absent
    /// left out (`2.batch`, `0.1`).
    pub fn task_label(&self) -> String {
        let mut parts = Vec::new();
        if let Some(t) = self.array_task_id {
            parts.push(format!("[{t}]"));
        }
        parts.push(self.step_id.clone().unwrap_or_else(|| "?".to_string()));
        if let Some(p) = self.procid {
            parts.push(p.to_string());
        }
        parts.join(".")
    }
}

impl RecordView {
    /// Average cores used: CPU seconds over wall seconds.
    pub fn cores(&self) -> Option<f64> {
        let cpu = self.cpu_total_seconds?;
        (self.duration_seconds > 0.0).then(|| cpu / self.duration_seconds)
    }

    /// The command line as one string (arguments joined by spaces).
    pub fn command_line(&self) -> String {
        self.command.join(" ")
    }
}

#[derive(Debug, PartialEq, Deserialize)]
pub(super) struct RawView {
    #[serde(default)]
    pub(super) schema_version: Option<u64>,
    pub(super) task_id: String,
    #[serde(default)]
    pub(super) tool: Option<String>,
    #[serde(default)]
    pub(super) script: Option<String>,
    pub(super) status: String,
    #[serde(default)]
    pub(super) returncode: Option<i64>,
    #[serde(default)]
    pub(super) exit_code: Option<i64>,
    #[serde(default)]
    pub(super) signal: Option<RawSignal>,
    pub(super) start_time: String,
    #[serde(default)]
    pub(super) end_time: Option<String>,
    #[serde(default)]
    pub(super) duration_seconds: Option<f64>,
    #[serde(default)]
    pub(super) command: Option<Vec<String>>,
    #[serde(default)]
    pub(super) tags: Obj<BTreeMap<String, Text>>,
    #[serde(default)]
    pub(super) host: Obj<RawHost>,
    #[serde(default)]
    pub(super) resource_usage: Option<RawUsage>,
    #[serde(default)]
    pub(super) detailed_profile: Obj<RawDetailed>,
    #[serde(default)]
    pub(super) slurm: Obj<RawSlurm>,
    #[serde(default)]
    pub(super) analysis: Obj<RawAnalysis>,
}

#[derive(Debug, PartialEq, Deserialize, Default)]
#[serde(default)]
pub(super) struct RawSlurm {
    pub(super) job_id: Num,
    pub(super) array_job_id: Num,
    pub(super) array_task_id: Num,
    pub(super) step_id: Text,
    pub(super) procid: Num,
}

impl RawSlurm {
    fn into_view(self) -> Option<SlurmView> {
        let id = |n: Num| n.0.filter(|x| x.is_finite() && *x >= 0.0).map(|x| x as u64);
        Some(SlurmView {
            job_id: id(self.job_id)?,
            array_job_id: id(self.array_job_id),
            array_task_id: id(self.array_task_id),
            step_id: self.step_id.0,
            procid: id(self.procid),
        })
    }
}

#[derive(Debug, PartialEq, Deserialize, Default)]
#[serde(default)]
pub(super) struct RawAnalysis {
    pub(super) bottleneck: Text,
}

#[derive(Debug, PartialEq, Deserialize)]
pub(super) struct RawSignal {
    #[serde(default)]
    pub(super) name: Option<String>,
}

#[derive(Debug, PartialEq, Deserialize, Default)]
#[serde(default)]
pub(super) struct RawHost {
    pub(super) hostname: Text,
    pub(super) cpus_available: Num,
}

#[derive(Debug, PartialEq, Deserialize, Default)]
#[serde(default)]
pub(super) struct RawUsage {
    pub(super) cpu_total_seconds: Option<f64>,
    pub(super) cpu_user_seconds: Option<f64>,
    pub(super) cpu_system_seconds: Option<f64>,
    pub(super) memory_peak_mb: Option<f64>,
    pub(super) read_bytes: Option<f64>,
    pub(super) write_bytes: Option<f64>,
}

#[derive(Debug, PartialEq, Deserialize, Default)]
#[serde(default)]
pub(super) struct RawDetailed {
    pub(super) io_stats: Obj<RawIo>,
    pub(super) process_memory: Obj<RawProcessMemory>,
    pub(super) gpu_stats: Obj<RawGpu>,
    pub(super) memory_efficiency: Num,
}

#[derive(Debug, PartialEq, Deserialize, Default)]
#[serde(default)]
pub(super) struct RawIo {
    pub(super) read_mb: Num,
    pub(super) write_mb: Num,
}

#[derive(Debug, PartialEq, Deserialize, Default)]
#[serde(default)]
pub(super) struct RawProcessMemory {
    pub(super) max_mb: Num,
}

#[derive(Debug, PartialEq, Deserialize, Default)]
#[serde(default)]
pub(super) struct RawGpu {
    pub(super) nvidia: MeanNvidia,
}

/// `gpu_stats.nvidia`: one object (the seed), or a list of per-device ones.
#[derive(Debug, PartialEq, Default)]
pub(super) struct MeanNvidia(pub(super) Option<f64>);

#[derive(Debug, PartialEq, Deserialize, Default)]
#[serde(default)]
pub(super) struct RawNvidia {
    pub(super) gpu_utilization_percent: MeanFigure,
}

struct NvidiaVisitor;

impl<'de> Visitor<'de> for NvidiaVisitor {
    type Value = MeanNvidia;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an object or a list of objects")
    }
    fn visit_map<A: de::MapAccess<'de>>(self, map: A) -> Result<MeanNvidia, A::Error> {
        let n = RawNvidia::deserialize(MapAccessDeserializer::new(map))?;
        Ok(MeanNvidia(n.gpu_utilization_percent.0))
    }
    fn visit_seq<A: de::SeqAccess<'de>>(self, mut seq: A) -> Result<MeanNvidia, A::Error> {
        let (mut sum, mut n) = (0.0, 0u32);
        while let Some(device) = seq.next_element::<Obj<RawNvidia>>()? {
            if let Some(x) = device.0.and_then(|d| d.gpu_utilization_percent.0) {
                sum += x;
                n += 1;
            }
        }
        Ok(MeanNvidia((n > 0).then(|| sum / f64::from(n))))
    }
    fn visit_f64<E: de::Error>(self, _: f64) -> Result<MeanNvidia, E> {
        Ok(MeanNvidia(None))
    }
    fn visit_i64<E: de::Error>(self, _: i64) -> Result<MeanNvidia, E> {
        Ok(MeanNvidia(None))
    }
    fn visit_u64<E: de::Error>(self, _: u64) -> Result<MeanNvidia, E> {
        Ok(MeanNvidia(None))
    }
    fn visit_str<E: de::Error>(self, _: &str) -> Result<MeanNvidia, E> {
        Ok(MeanNvidia(None))
    }
    fn visit_bool<E: de::Error>(self, _: bool) -> Result<MeanNvidia, E> {
        Ok(MeanNvidia(None))
    }
    fn visit_unit<E: de::Error>(self) -> Result<MeanNvidia, E> {
        Ok(MeanNvidia(None))
    }
}

impl<'de> Deserialize<'de> for MeanNvidia {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(NvidiaVisitor)
    }
}

/// A timestamp as µs since the epoch: RFC 3339, or a naive
/// `YYYY-MM-DDTHH:MM:SS[.f]` (the seed system's format) read as UTC.
pub fn parse_time_us(s: &str) -> Option<i64> {
    if let Ok(t) = DateTime::parse_from_rfc3339(s) {
        return Some(t.timestamp_micros());
    }
    ["%Y-%m-%dT%H:%M:%S%.f", "%Y-%m-%d %H:%M:%S%.f"]
        .iter()
        .find_map(|f| NaiveDateTime::parse_from_str(s, f).ok())
        .map(|t| t.and_utc().timestamp_micros())
}

/// A run's end in µs: its `end_time`, else start + duration.
pub fn end_us(start_us: i64, end_time: Option<&str>, duration_seconds: f64) -> i64 {
    end_time
        .and_then(parse_time_us)
        // Saturating: a damaged duration (1e300) must not overflow.
        .unwrap_or_else(|| start_us.saturating_add((duration_seconds * 1e6) as i64))
}

/// Why a line is not a usable record.
#[derive(Debug)]
pub enum ViewError {
    /// Not JSON, or JSON of the wrong shape (the reader classifies it).
    Json(serde_json::Error),
    /// Written by a newer profrun whose `schema_version` says the meaning of
    /// a field changed.
    NewerSchema(u64),
    BadStartTime,
    EmptyId,
}

/// The keys [`RawView`] reads; the rest of a line is skimmed over.
pub(super) const WANTED: Wanted = Wanted {
    top: &[
        "schema_version",
        "task_id",
        "tool",
        "script",
        "status",
        "returncode",
        "exit_code",
        "signal",
        "start_time",
        "end_time",
        "duration_seconds",
        "command",
        "tags",
        "host",
        "resource_usage",
        "detailed_profile",
        "slurm",
        "analysis",
    ],
    within: &[
        (
            "detailed_profile",
            &[
                "io_stats",
                "process_memory",
                "gpu_stats",
                "memory_efficiency",
            ],
        ),
        ("host", &["hostname", "cpus_available"]),
        (
            "slurm",
            &[
                "job_id",
                "array_job_id",
                "array_task_id",
                "step_id",
                "procid",
            ],
        ),
        ("analysis", &["bottleneck"]),
        (
            "resource_usage",
            &[
                "cpu_total_seconds",
                "cpu_user_seconds",
                "cpu_system_seconds",
                "memory_peak_mb",
                "read_bytes",
                "write_bytes",
            ],
        ),
    ],
};

thread_local! {
    /// The skimmed line, reused: one buffer per reading thread.
    static SKIMMED: RefCell<Vec<u8>> = const { RefCell::new(Vec::new()) };
}

impl RecordView {
    /// Read one history line (without its `\n`). Most lines are read
    /// straight into the model by the projection ([`super::project`]);
    /// one it is not sure of takes [`Self::from_line_by_serde`]'s path,
    /// which decides.
    pub fn from_line(line: &[u8]) -> Result<RecordView, ViewError> {
        match project(line) {
            Some(raw) => raw.checked(),
            None => Self::from_line_by_serde(line),
        }
    }

    /// [`from_line`](Self::from_line) without the projection: the wanted
    /// keys are cut out first ([`skim`]); a line the skim cannot cut, or
    /// whose cut serde rejects, is parsed whole, so the error is that of
    /// the whole line. Public for the tests that hold the two paths to the
    /// same result.
    #[doc(hidden)]
    pub fn from_line_by_serde(line: &[u8]) -> Result<RecordView, ViewError> {
        let skimmed = SKIMMED.with_borrow_mut(|buf| {
            skim(line, &WANTED, buf)?;
            // One UTF-8 check of the cut line, not one per string in it.
            let text = std::str::from_utf8(buf).ok()?;
            serde_json::from_str::<RawView>(text).ok()
        });
        let raw = match skimmed {
            Some(raw) => raw,
            None => serde_json::from_slice(line).map_err(ViewError::Json)?,
        };
        raw.checked()
    }

    /// [`from_line`](Self::from_line) without the skim.
    #[cfg(test)]
    fn from_whole_line(line: &[u8]) -> Result<RecordView, ViewError> {
        serde_json::from_slice::<RawView>(line)
            .map_err(ViewError::Json)?
            .checked()
    }
}

impl RawView {
    /// A record from a newer profrun stays readable as long as the fields
    /// this model reads still fit it: a newer `schema_version` alone is no
    /// reason to skip a run. Only a line that does not fit is reported, and
    /// then as newer rather than as garbage.
    fn checked(self) -> Result<RecordView, ViewError> {
        let newer = self
            .schema_version
            .filter(|v| *v > u64::from(SCHEMA_VERSION));
        self.into_view().map_err(|err| match newer {
            Some(v) => ViewError::NewerSchema(v),
            None => err,
        })
    }

    fn into_view(self) -> Result<RecordView, ViewError> {
        if self.task_id.is_empty() {
            return Err(ViewError::EmptyId);
        }
        let start_us = parse_time_us(&self.start_time).ok_or(ViewError::BadStartTime)?;
        let duration_seconds = self.duration_seconds.unwrap_or(0.0);
        let end_us = end_us(start_us, self.end_time.as_deref(), duration_seconds);
        let usage = self.resource_usage.unwrap_or_default();
        let detailed = self.detailed_profile.0.unwrap_or_default();
        let io = detailed.io_stats.0.unwrap_or_default();
        let mb = |v: Num| v.0.map(|x| x * BYTES_PER_MB);
        Ok(RecordView {
            task_id: self.task_id,
            tool: self.tool.unwrap_or_default(),
            script: self.script,
            status: StoredStatus::from_name(&self.status),
            returncode: self.returncode,
            exit_code: self.exit_code,
            signal: self.signal.and_then(|s| s.name),
            start_time: self.start_time,
            end_time: self.end_time,
            start_us,
            end_us,
            duration_seconds,
            command: self.command.unwrap_or_default(),
            tags: self
                .tags
                .0
                .unwrap_or_default()
                .into_iter()
                .filter_map(|(k, v)| v.0.map(|v| (k, v)))
                .collect(),
            cpus_available: self.host.0.as_ref().and_then(|h| h.cpus_available.0),
            host: self.host.0.and_then(|h| h.hostname.0),
            memory_efficiency: detailed.memory_efficiency.0,
            slurm: self.slurm.0.and_then(RawSlurm::into_view),
            cpu_total_seconds: usage.cpu_total_seconds.or_else(|| {
                Some(usage.cpu_user_seconds? + usage.cpu_system_seconds.unwrap_or(0.0))
            }),
            memory_peak_mb: usage
                .memory_peak_mb
                .or_else(|| detailed.process_memory.0.and_then(|m| m.max_mb.0)),
            read_bytes: usage.read_bytes.or_else(|| mb(io.read_mb)),
            write_bytes: usage.write_bytes.or_else(|| mb(io.write_mb)),
            gpu_utilization_percent: detailed.gpu_stats.0.and_then(|g| g.nvidia.0),
            bottleneck: self.analysis.0.and_then(|a| a.bottleneck.0),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The skim keeps every key the view reads: each fixture line reads the
    /// same with and without it.
    #[test]
    fn skimmed_and_whole_lines_read_the_same() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
        let mut read = 0;
        for name in ["history.jsonl", "real20.jsonl"] {
            let text = std::fs::read_to_string(dir.join(name)).expect("fixture");
            for line in text.lines() {
                let whole = RecordView::from_whole_line(line.as_bytes());
                let skimmed = RecordView::from_line(line.as_bytes());
                match (whole, skimmed) {
                    (Ok(w), Ok(s)) => {
                        assert_eq!(w, s, "{line}");
                        read += 1;
                    }
                    (Err(_), Err(_)) => {}
                    (w, s) => panic!("{line}: whole {w:?}, skimmed {s:?}"),
                }
            }
        }
        assert!(read >= 9, "{read} lines read");
    }

    #[test]
    fn the_bottleneck_is_read_from_the_analysis_block() {
        let line = r#"{"task_id":"a1","status":"success","start_time":"2025-01-01T00:00:00Z","analysis":{"bottleneck":"serial","evidence":{"samples_count":20,"thresholds_crossed":[{"figure":"x"}]},"phases":[{"bottleneck":"io"}],"advice":[]}}"#;
        let skimmed = RecordView::from_line(line.as_bytes()).expect("view");
        assert_eq!(skimmed.bottleneck.as_deref(), Some("serial"));
        let whole = RecordView::from_whole_line(line.as_bytes()).expect("view");
        assert_eq!(skimmed, whole);
        // Null (not judged), a block of the wrong type, or none at all.
        for other in [
            r#","analysis":{"bottleneck":null}"#,
            r#","analysis":[1]"#,
            "",
        ] {
            let line = format!(
                r#"{{"task_id":"a1","status":"success","start_time":"2025-01-01T00:00:00Z"{other}}}"#
            );
            let view = RecordView::from_line(line.as_bytes()).expect("view");
            assert_eq!(view.bottleneck, None, "{line}");
        }
    }
}
