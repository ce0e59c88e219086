//! A stored record's analysis: its `analysis` block when it reads as one,
//! else the analysis computed from the record's own totals and series (the
//! same pure function profrun runs when it writes a record), for records
//! from before the block existed. Lenient: a line that is not a whole
//! `JobRecord` is read by the same field paths, each absent figure `None`.

use super::{analyze, analyze_input, AnalysisInput, TickInput};
use crate::record::analysis::AnalysisRecord;
use crate::record::{JobRecord, BYTES_PER_MB};
use serde_json::Value;

/// Where the analysis shown came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AnalysisSource {
    /// The record's own `analysis` block.
    Stored,
    /// Computed now: the record predates the block (or its block is
    /// unreadable).
    Computed,
}

/// The record's analysis: its stored block when that reads as one, else
/// computed from the record (strictly typed when the line is a whole
/// `JobRecord`, else from whatever figures it has).
pub fn analysis_of(record: &Value) -> (AnalysisRecord, AnalysisSource) {
    if let Some(stored) = record
        .get("analysis")
        .and_then(|a| serde_json::from_value::<AnalysisRecord>(a.clone()).ok())
    {
        return (stored, AnalysisSource::Stored);
    }
    let computed = match serde_json::from_value::<JobRecord>(record.clone()) {
        Ok(typed) => analyze(&typed),
        Err(_) => analyze_input(&input_of_value(record)),
    };
    (computed, AnalysisSource::Computed)
}

fn f64_at(v: &Value, pointer: &str) -> Option<f64> {
    v.pointer(pointer)
        .and_then(Value::as_f64)
        .filter(|x| x.is_finite())
}

fn u64_at(v: &Value, pointer: &str) -> Option<u64> {
    v.pointer(pointer).and_then(Value::as_u64)
}

fn mb_bytes(mb: Option<f64>) -> Option<u64> {
    mb.filter(|mb| *mb >= 0.0)
        .map(|mb| (mb * BYTES_PER_MB).round() as u64)
}

/// The analysis view of a line that is not a whole `JobRecord` (an older
/// or hand-written record): the figures `AnalysisInput::from_record` reads,
/// by the same paths, each absent one left `None`.
pub fn input_of_value(v: &Value) -> AnalysisInput {
    let read = u64_at(v, "/resource_usage/read_bytes");
    let write = u64_at(v, "/resource_usage/write_bytes");
    let storage_bytes = match (read, write) {
        (None, None) => None,
        (r, w) => Some(r.unwrap_or(0).saturating_add(w.unwrap_or(0))),
    };
    let gpu_available = v
        .pointer("/detailed_profile/gpu_stats/available")
        .and_then(Value::as_bool)
        == Some(true);
    AnalysisInput {
        duration_seconds: f64_at(v, "/duration_seconds").unwrap_or(f64::NAN),
        cpus_available_count: u64_at(v, "/host/cpus_available")
            .or_else(|| u64_at(v, "/host/logical_cpus"))
            .map_or(0, |n| n as usize),
        cpu_total_seconds: f64_at(v, "/detailed_profile/cgroup/cpu_total_seconds")
            .or_else(|| f64_at(v, "/resource_usage/cpu_total_seconds")),
        memory_peak_bytes: mb_bytes(f64_at(v, "/resource_usage/memory_peak_mb")).filter(|b| *b > 0),
        memory_limit_bytes: u64_at(v, "/detailed_profile/container_stats/memory_limit_bytes"),
        swap_max_bytes: mb_bytes(f64_at(v, "/detailed_profile/process_memory/max_swap_mb")),
        major_page_faults_count: u64_at(v, "/resource_usage/major_page_faults"),
        storage_bytes,
        iowait_mean_percent: f64_at(v, "/detailed_profile/cpu/iowait_mean_percent"),
        io_pressure_some_percent: f64_at(v, "/detailed_profile/pressure/io/some_percent"),
        cpu_pressure_some_percent: f64_at(v, "/detailed_profile/pressure/cpu/some_percent"),
        voluntary_switches_count: u64_at(v, "/resource_usage/voluntary_context_switches"),
        involuntary_switches_count: u64_at(v, "/resource_usage/involuntary_context_switches"),
        memory_pressure_some_percent: f64_at(v, "/detailed_profile/pressure/memory/some_percent"),
        memory_pressure_full_percent: f64_at(v, "/detailed_profile/pressure/memory/full_percent"),
        oom_kills_count: u64_at(v, "/detailed_profile/cgroup/oom_kills"),
        gpu_utilization_mean_percent: f64_at(
            v,
            "/detailed_profile/gpu_stats/nvidia/gpu_utilization_percent",
        )
        .filter(|_| gpu_available),
        ticks: v
            .pointer("/detailed_profile/timeseries")
            .map(ticks_of_value)
            .unwrap_or_default(),
    }
}

fn ticks_of_value(series: &Value) -> Vec<TickInput> {
    let column = |key: &str| -> Vec<Option<f64>> {
        series
            .get(key)
            .and_then(Value::as_array)
            .map(|a| {
                a.iter()
                    .map(|x| x.as_f64().filter(|x| x.is_finite()))
                    .collect()
            })
            .unwrap_or_default()
    };
    let at = |c: &[Option<f64>], i: usize| c.get(i).copied().flatten();
    let t = column("t_seconds");
    let (cpu, read, write, gpu) = (
        column("cpu_percent"),
        column("read_bytes_per_second"),
        column("write_bytes_per_second"),
        column("gpu_utilization_percent"),
    );
    t.iter()
        .enumerate()
        .map(|(i, t)| TickInput {
            t_seconds: t.unwrap_or(f64::NAN),
            cpu_cores: at(&cpu, i).map(|p| p / 100.0),
            io_bytes_per_second: match (at(&read, i), at(&write, i)) {
                (None, None) => None,
                (r, w) => Some(r.unwrap_or(0.0) + w.unwrap_or(0.0)),
            },
            gpu_utilization_percent: at(&gpu, i),
        })
        .collect()
}

/// [`analysis_of`] for a stored history line; `None` when it is not JSON.
pub fn analysis_of_line(line: &[u8]) -> Option<(AnalysisRecord, AnalysisSource)> {
    serde_json::from_slice::<Value>(line)
        .ok()
        .map(|v| analysis_of(&v))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn golden(name: &str) -> Value {
        let path = format!(
            "{}/src/assemble/testdata/{name}.jsonl",
            env!("CARGO_MANIFEST_DIR")
        );
        let line = std::fs::read_to_string(path).expect("golden record");
        serde_json::from_str(line.trim()).expect("json")
    }

    /// The lenient reader must see a whole record as the typed one does,
    /// or old and new records would be judged differently.
    #[test]
    fn the_value_reader_matches_the_typed_reader_on_whole_records() {
        for name in [
            "success",
            "failed",
            "signaled",
            "interrupted",
            "failed_to_start",
        ] {
            let v = golden(name);
            let typed: JobRecord = serde_json::from_value(v.clone()).expect("a JobRecord");
            assert_eq!(
                input_of_value(&v),
                AnalysisInput::from_record(&typed),
                "{name}"
            );
        }
    }

    #[test]
    fn a_stored_block_is_shown_as_stored_and_a_missing_one_is_computed() {
        let v = golden("success");
        let (stored, source) = analysis_of(&v);
        assert_eq!(source, AnalysisSource::Stored);
        let mut old = v.clone();
        old.as_object_mut().expect("object").remove("analysis");
        let (computed, source) = analysis_of(&old);
        assert_eq!(source, AnalysisSource::Computed);
        assert_eq!(computed, stored);
        // Not a whole record: still computed, never a panic.
        let (bare, _) = analysis_of(&serde_json::json!({"duration_seconds": 0.02}));
        assert_eq!(bare.bottleneck, None);
        assert_eq!(
            bare.reason.as_deref(),
            Some("the record has no sampled series")
        );
    }
}
