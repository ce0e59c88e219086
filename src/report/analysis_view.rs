//! The "Analysis" part of `job-details`: the stored `analysis` block, or,
//! for a record from before it existed, the analysis computed from the
//! record's own totals and series (the same pure function profrun runs when
//! it writes a record). Rendered from the typed `AnalysisRecord`.

use super::fields::format_value;
use super::units;
pub use crate::analysis::stored::AnalysisSource;
use crate::record::analysis::{AnalysisRecord, Bottleneck, Direction, PhaseRecord};
use crate::record::details_view::Item;

/// One letter per class on the phase timeline.
fn letter(b: Bottleneck) -> char {
    match b {
        Bottleneck::Cpu => 'C',
        Bottleneck::Serial => 'S',
        Bottleneck::Io => 'I',
        Bottleneck::Memory => 'M',
        Bottleneck::Gpu => 'G',
        Bottleneck::GpuIdle => 'g',
        Bottleneck::Idle => '.',
    }
}

/// The "Analysis" section's rows: the verdict (or why there is none),
/// where it came from, the evidence figures and the thresholds crossed.
pub fn verdict_rows(a: &AnalysisRecord, source: AnalysisSource) -> Vec<(String, String)> {
    let mut rows = vec![(
        "bottleneck".to_string(),
        a.bottleneck
            .map_or("none".to_string(), |b| b.as_str().to_string()),
    )];
    if let Some(reason) = &a.reason {
        rows.push(("reason".to_string(), reason.clone()));
    }
    if source == AnalysisSource::Computed {
        rows.push((
            "computed".to_string(),
            "now, from the record (it has no analysis block)".to_string(),
        ));
    }
    if a.evidence.cpu_contended {
        rows.push((
            "cpu contended".to_string(),
            "yes: the host's CPUs were taken; CPU figures understate the job".to_string(),
        ));
    }
    rows
}

/// The evidence figures that the record had (nulls left out), then each
/// threshold crossed as `figure value >= name threshold`.
pub fn evidence_rows(a: &AnalysisRecord) -> Vec<(String, String)> {
    let e = &a.evidence;
    let count = |n: usize| Some(n as f64);
    let bytes = |n: Option<u64>| n.map(|n| n as f64);
    // In the block's written order.
    let figures: [(&str, Option<f64>); 22] = [
        ("samples_count", count(e.samples_count)),
        ("duration_seconds", Some(e.duration_seconds)),
        ("cpus_available_count", count(e.cpus_available_count)),
        ("cpu_mean_cores", e.cpu_mean_cores),
        ("cpu_efficiency_percent", e.cpu_efficiency_percent),
        ("cpu_pressure_some_percent", e.cpu_pressure_some_percent),
        (
            "involuntary_switches_share_percent",
            e.involuntary_switches_share_percent,
        ),
        (
            "involuntary_switches_mean_per_second",
            e.involuntary_switches_mean_per_second,
        ),
        ("cpu_active_samples_percent", e.cpu_active_samples_percent),
        ("iowait_mean_percent", e.iowait_mean_percent),
        ("io_pressure_some_percent", e.io_pressure_some_percent),
        (
            "memory_pressure_some_percent",
            e.memory_pressure_some_percent,
        ),
        (
            "memory_pressure_full_percent",
            e.memory_pressure_full_percent,
        ),
        ("swap_max_bytes", bytes(e.swap_max_bytes)),
        (
            "major_faults_mean_per_second",
            e.major_faults_mean_per_second,
        ),
        ("memory_peak_bytes", bytes(e.memory_peak_bytes)),
        ("memory_limit_bytes", bytes(e.memory_limit_bytes)),
        (
            "memory_peak_of_limit_percent",
            e.memory_peak_of_limit_percent,
        ),
        ("oom_kills_count", bytes(e.oom_kills_count)),
        ("storage_bytes", bytes(e.storage_bytes)),
        ("io_mean_bytes_per_second", e.io_mean_bytes_per_second),
        (
            "gpu_utilization_mean_percent",
            e.gpu_utilization_mean_percent,
        ),
    ];
    let mut rows: Vec<(String, String)> = figures
        .iter()
        .filter_map(|(key, v)| v.map(|v| (key.to_string(), format_value(key, &Item::Number(v)))))
        .collect();
    for c in &a.evidence.thresholds_crossed {
        let op = match c.direction {
            Direction::Above => ">=",
            Direction::Below => "<",
        };
        rows.push((
            "crossed".to_string(),
            format!(
                "{} {} {op} {} {}",
                c.figure,
                compact(c.value),
                c.threshold_name,
                compact(c.threshold)
            ),
        ));
    }
    rows
}

/// A number with as few digits as it needs (3 decimals at most).
fn compact(x: f64) -> String {
    let s = format!("{x:.3}");
    let s = s.trim_end_matches('0').trim_end_matches('.');
    s.to_string()
}

/// The phases: a timeline of `width` cells (one letter per class), its
/// legend, and one line per phase.
pub fn phases_text(phases: &[PhaseRecord], width: usize) -> String {
    let Some(end) = phases
        .last()
        .map(|p| p.end_seconds)
        .filter(|e| e.is_finite() && *e > 0.0)
    else {
        return String::new();
    };
    let cells: String = (0..width)
        .map(|i| {
            let mid = (i as f64 + 0.5) / width as f64 * end;
            let phase = phases
                .iter()
                .find(|p| mid < p.end_seconds)
                .or(phases.last());
            phase.map_or(' ', |p| letter(p.bottleneck))
        })
        .collect();
    let mut legend: Vec<String> = Vec::new();
    for p in phases {
        let item = format!("{} {}", letter(p.bottleneck), p.bottleneck.as_str());
        if !legend.contains(&item) {
            legend.push(item);
        }
    }
    let mut out = format!(
        "  0 s |{cells}| {}   ({})\n",
        units::duration(end),
        legend.join(", ")
    );
    for p in phases {
        let mut figures = Vec::new();
        if let Some(c) = p.cpu_mean_cores {
            figures.push(format!("{c:.2} cores"));
        }
        if let Some(io) = p.io_mean_bytes_per_second {
            figures.push(format!("{}/s storage", units::bytes(io)));
        }
        if let Some(g) = p.gpu_utilization_mean_percent {
            figures.push(format!("GPU {g:.0} %"));
        }
        out.push_str(&format!(
            "  {:>8} - {:<8}  {:<9} {}\n",
            units::duration(p.start_seconds),
            units::duration(p.end_seconds),
            p.bottleneck.as_str(),
            figures.join(", ")
        ));
    }
    out
}

/// One row per advice: `kind  text`.
pub fn advice_rows(a: &AnalysisRecord) -> Vec<(String, String)> {
    a.advice
        .iter()
        .map(|x| (x.kind.as_str().to_string(), x.text.clone()))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_timeline_gives_each_phase_its_share_of_the_cells() {
        let phase = |start, end, bottleneck| PhaseRecord {
            start_seconds: start,
            end_seconds: end,
            bottleneck,
            cpu_mean_cores: Some(1.0),
            io_mean_bytes_per_second: None,
            gpu_utilization_mean_percent: None,
        };
        let text = phases_text(
            &[
                phase(0.0, 5.0, Bottleneck::Io),
                phase(5.0, 10.0, Bottleneck::Serial),
            ],
            10,
        );
        assert!(text.contains("|IIIIISSSSS|"), "{text}");
        assert!(text.contains("(I io, S serial)"), "{text}");
        assert_eq!(phases_text(&[], 10), "");
    }
}
