//! What is drawn over a run's series besides the series: the insight
//! phases (the record's `analysis` block, else computed from the record),
//! the moments alerts fired and a limit acted, and the analysis as lines of
//! text for the report. The alert and limit blocks are read from the stored
//! line by name, so a record written before (or after) they existed still
//! draws.

use super::chart::{Mark, Phase};
use super::run_chart::Overlays;
use crate::analysis::{self, AnalysisRecord};
use crate::record::JobRecord;
use serde_json::Value;

const ALERT_COLOR: &str = "#D55E00";
const LIMIT_COLOR: &str = "#B00020";

/// The record's own `analysis` block when it has a readable one, else the
/// analysis computed from its series.
pub fn analysis_of(record: &JobRecord, raw: &Value) -> AnalysisRecord {
    raw.get("analysis")
        .and_then(|a| serde_json::from_value(a.clone()).ok())
        .unwrap_or_else(|| analysis::analyze(record))
}

/// Phases, alert marks and the limit mark of one stored run.
pub fn overlays_of(analysis: &AnalysisRecord, raw: &Value) -> Overlays {
    let phases = analysis
        .phases
        .iter()
        .map(|p| Phase {
            start_seconds: p.start_seconds,
            end_seconds: p.end_seconds,
            label: p.bottleneck.as_str().to_string(),
        })
        .collect();
    let mut marks = Vec::new();
    for alert in raw
        .get("alerts")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        if let Some(t) = alert.get("fired_at_seconds").and_then(Value::as_f64) {
            let name = alert.get("name").and_then(Value::as_str).unwrap_or("alert");
            marks.push(Mark {
                t_seconds: t,
                label: format!("alert: {name}"),
                color: ALERT_COLOR.into(),
            });
        }
    }
    if let Some(limit) = raw.get("limit") {
        if let Some(t) = limit.get("at_seconds").and_then(Value::as_f64) {
            let what = ["resource", "name", "kind", "metric"]
                .iter()
                .find_map(|k| limit.get(*k).and_then(Value::as_str))
                .map_or_else(|| "limit".to_string(), |w| format!("limit: {w}"));
            marks.push(Mark {
                t_seconds: t,
                label: what,
                color: LIMIT_COLOR.into(),
            });
        }
    }
    Overlays { marks, phases }
}

/// The analysis as lines of text: the bottleneck (or why there is none),
/// then each piece of advice.
pub fn analysis_notes(analysis: &AnalysisRecord) -> Vec<String> {
    let mut notes = vec![match (&analysis.bottleneck, &analysis.reason) {
        (Some(b), _) => format!("bottleneck: {}", b.as_str()),
        (None, Some(reason)) => format!("bottleneck: not judged ({reason})"),
        (None, None) => "bottleneck: not judged".to_string(),
    }];
    notes.extend(analysis.advice.iter().map(|a| a.text.clone()));
    notes
}
