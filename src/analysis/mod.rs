//! What held a job back, when, and what to ask for next time: a pure
//! function of a record's own series and totals (`analyze`), and
//! right-sizing from a group of runs (`advice_for_group`). No I/O; the
//! thresholds are one table (`THRESHOLDS`), documented in
//! `docs/analysis.md`.

mod advice;
mod classify;
mod group;
mod input;
mod phases;
pub mod stored;
mod thresholds;
mod types;

#[cfg(test)]
mod tests;
#[cfg(test)]
mod tests_group;
#[cfg(test)]
mod tests_phases;

pub use advice::{human_size, memory_request_bytes, slurm_size};
pub use group::{advice_for_group, format_slurm_time, GroupAdvice, RunFigures};
pub use input::{AnalysisInput, TickInput};
pub use thresholds::{Thresholds, THRESHOLDS};
pub use types::*;

use crate::record::JobRecord;

/// The `analysis` block for a record.
pub fn analyze(record: &JobRecord) -> AnalysisRecord {
    analyze_input(&AnalysisInput::from_record(record))
}

/// The analysis of one run's view. Too short or too sparse a run gets
/// `bottleneck: null` with the reason and no advice.
pub fn analyze_input(input: &AnalysisInput) -> AnalysisRecord {
    let samples_count = input
        .ticks
        .iter()
        .filter(|t| t.t_seconds.is_finite() && t.cpu_cores.is_some_and(f64::is_finite))
        .count();
    let mut evidence = classify::evidence_of(input, samples_count);
    if let Some(reason) = too_thin(input, samples_count) {
        return AnalysisRecord {
            bottleneck: None,
            reason: Some(reason),
            evidence,
            phases: Vec::new(),
            advice: Vec::new(),
        };
    }
    let bottleneck = classify::classify_run(&mut evidence);
    let phases = phases::phases_of(input, evidence.cpu_contended);
    let advice = advice::advice_for(bottleneck, &evidence, &phases);
    AnalysisRecord {
        bottleneck: Some(bottleneck),
        reason: None,
        evidence,
        phases,
        advice,
    }
}

/// Why there is no verdict, if there is none.
fn too_thin(input: &AnalysisInput, samples_count: usize) -> Option<String> {
    let t = &THRESHOLDS;
    let duration = input.duration_seconds;
    if !duration.is_finite() {
        return Some("the record has no valid duration".to_string());
    }
    if input.ticks.is_empty() {
        return Some("the record has no sampled series".to_string());
    }
    if duration < t.min_duration_seconds {
        return Some(format!(
            "the run lasted {duration:.3} s, under the {} s needed to judge it",
            t.min_duration_seconds
        ));
    }
    if samples_count < t.min_samples_count {
        return Some(format!(
            "the series has {samples_count} CPU readings, under the {} needed to judge it",
            t.min_samples_count
        ));
    }
    None
}
