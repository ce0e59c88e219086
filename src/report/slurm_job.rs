//! `profrun slurm-job JOBID`: one Slurm job read back from its tasks'
//! records, as seff and jobstats read it from Slurm's accounting: the job's
//! totals and efficiencies, then per node and per task, then advice (each
//! task's from `analysis::analyze`, and the job's right-sizing from
//! `analysis::advice_for_group`). Pure: records in, text out.
//!
//! seff's definitions: CPU efficiency is the CPU time of all tasks over
//! (wall time × CPUs) summed over the tasks, each task's CPUs being those it
//! could run on (`host.cpus_available`); memory efficiency is a task's
//! peak over its allocation (`detailed_profile.memory_efficiency`), and the
//! job's is its largest task's.

use std::collections::BTreeMap;

use super::table::{self, TableStyle};
use super::units::{self, text};
use crate::analysis::{self, AnalysisInput, RunFigures};
use crate::record::{JobRecord, BYTES_PER_MB};

/// A task's place in its job: `[ARRAY_TASK].STEP.PROCID`.
pub fn task_label(r: &JobRecord) -> String {
    let Some(s) = &r.slurm else {
        return "-".to_string();
    };
    let mut parts = Vec::new();
    if let Some(t) = s.array_task_id {
        parts.push(format!("[{t}]"));
    }
    parts.push(s.step_id.clone());
    if let Some(p) = s.procid {
        parts.push(p.to_string());
    }
    parts.join(".")
}

/// CPU seconds used and wall × CPUs, summed over `tasks`.
fn cpu_use<'a>(tasks: impl Iterator<Item = &'a JobRecord>) -> (f64, f64) {
    tasks.fold((0.0, 0.0), |(used, capacity), r| {
        (
            used + r.resource_usage.cpu_total_seconds,
            capacity + r.duration_seconds * r.host.cpus_available as f64,
        )
    })
}

fn efficiency(used: f64, capacity: f64) -> String {
    if capacity > 0.0 && used.is_finite() {
        text::percent(used / capacity * 100.0)
    } else {
        "-".to_string()
    }
}

fn memory_efficiency(r: &JobRecord) -> Option<f64> {
    r.detailed_profile.as_ref()?.memory_efficiency
}

fn max_of(values: impl Iterator<Item = f64>) -> Option<f64> {
    values
        .filter(|v| v.is_finite())
        .fold(None, |m, v| Some(m.map_or(v, |x: f64| x.max(v))))
}

/// The report of job `job_id` from its tasks' records (any order; they
/// are listed by task).
pub fn report(job_id: u64, tasks: &[JobRecord], style: &TableStyle) -> String {
    let mut tasks: Vec<&JobRecord> = tasks.iter().collect();
    tasks.sort_by_key(|r| {
        let s = r.slurm.as_ref();
        (
            s.and_then(|s| s.array_task_id),
            s.map(|s| s.step_id.clone()),
            s.and_then(|s| s.procid),
            r.start_time.clone(),
        )
    });
    let mut out = String::new();
    let first = tasks.first().and_then(|r| r.slurm.as_ref());
    let mut nodes: BTreeMap<&str, Vec<&JobRecord>> = BTreeMap::new();
    for r in &tasks {
        nodes.entry(r.host.hostname.as_str()).or_default().push(r);
    }
    out.push_str(&format!("Slurm job {job_id}"));
    if let Some(name) = first.and_then(|s| s.job_name.as_deref()) {
        out.push_str(&format!(" ({name})"));
    }
    out.push('\n');
    let mut line = |label: &str, value: String| out.push_str(&format!("{label:<20}{value}\n"));
    if let Some(s) = first {
        let place: Vec<String> = [
            s.cluster.as_ref().map(|c| format!("cluster {c}")),
            s.partition.as_ref().map(|p| format!("partition {p}")),
            s.account.as_ref().map(|a| format!("account {a}")),
        ]
        .into_iter()
        .flatten()
        .collect();
        if !place.is_empty() {
            line("Where:", place.join(", "));
        }
    }
    let mut statuses: BTreeMap<&str, usize> = BTreeMap::new();
    for r in &tasks {
        *statuses.entry(r.status.as_str()).or_default() += 1;
    }
    let states: Vec<String> = statuses.iter().map(|(s, n)| format!("{n} {s}")).collect();
    line(
        "Tasks:",
        format!(
            "{} on {} node{} ({})",
            tasks.len(),
            nodes.len(),
            if nodes.len() == 1 { "" } else { "s" },
            states.join(", ")
        ),
    );
    let wall = max_of(tasks.iter().map(|r| r.duration_seconds)).unwrap_or(0.0);
    line("Wall (longest):", units::duration(wall));
    let (used, capacity) = cpu_use(tasks.iter().copied());
    line(
        "CPU utilized:",
        format!(
            "{} of {} core-walltime",
            units::duration(used),
            units::duration(capacity)
        ),
    );
    line("CPU efficiency:", efficiency(used, capacity));
    let peak = max_of(tasks.iter().map(|r| r.resource_usage.memory_peak_mb));
    line(
        "Memory (largest):",
        peak.map_or("-".to_string(), units::mebibytes),
    );
    let allocation = tasks
        .iter()
        .filter_map(|r| r.detailed_profile.as_ref()?.memory_allocation_bytes)
        .max();
    let mem_eff = max_of(tasks.iter().filter_map(|r| memory_efficiency(r)));
    line(
        "Memory efficiency:",
        match (mem_eff, allocation) {
            (Some(e), Some(a)) => format!(
                "{} of {} (largest task)",
                text::percent(e * 100.0),
                units::mebibytes(a as f64 / BYTES_PER_MB)
            ),
            _ => "- (allocation unknown)".to_string(),
        },
    );

    out.push_str("\nPer node\n");
    let head = ["NODE", "TASKS", "CPU total", "CPU EFF", "PEAK MEM max"];
    let mut t = table::new_table(style, &head, &[1, 2, 3, 4]);
    for (host, on_node) in &nodes {
        let (used, capacity) = cpu_use(on_node.iter().copied());
        t.add_row(vec![
            host.to_string(),
            on_node.len().to_string(),
            units::duration(used),
            efficiency(used, capacity),
            max_of(on_node.iter().map(|r| r.resource_usage.memory_peak_mb))
                .map_or("-".to_string(), units::mebibytes),
        ]);
    }
    out.push_str(&table::finish(&t));

    out.push_str("\nPer task\n");
    let head = [
        "TASK",
        "NODE",
        "STATUS",
        "WALL",
        "CPU",
        "CPU EFF",
        "PEAK MEM",
        "MEM EFF",
        "BOTTLENECK",
        "ID",
    ];
    let mut t = table::new_table(style, &head, &[3, 4, 5, 6, 7]);
    let analyses: Vec<analysis::AnalysisRecord> =
        tasks.iter().map(|r| analysis::analyze(r)).collect();
    for (r, a) in tasks.iter().zip(&analyses) {
        let (used, capacity) = cpu_use(std::iter::once(*r));
        t.add_row(vec![
            task_label(r),
            r.host.hostname.clone(),
            r.status.as_str().to_string(),
            units::duration(r.duration_seconds),
            units::duration(used),
            efficiency(used, capacity),
            units::mebibytes(r.resource_usage.memory_peak_mb),
            memory_efficiency(r).map_or("-".to_string(), |e| text::percent(e * 100.0)),
            a.bottleneck.map_or("-", |b| b.as_str()).to_string(),
            r.task_id.clone(),
        ]);
    }
    out.push_str(&table::finish(&t));

    out.push_str("\nAdvice\n");
    // The same advice for several tasks is given once, naming them.
    let mut advice: BTreeMap<&str, Vec<String>> = BTreeMap::new();
    for (r, a) in tasks.iter().zip(&analyses) {
        for item in &a.advice {
            advice
                .entry(item.text.as_str())
                .or_default()
                .push(task_label(r));
        }
    }
    for (text, labels) in &advice {
        out.push_str(&format!("- task {}: {text}\n", labels.join(", ")));
    }
    let figures: Vec<RunFigures> = tasks
        .iter()
        .map(|r| RunFigures::from_input(&AnalysisInput::from_record(r)))
        .collect();
    let group = analysis::advice_for_group(&figures);
    match (group.slurm_directives(), &group.reason) {
        (Some(directives), _) => {
            out.push_str(&format!("- per task, ask for: {directives}\n"));
        }
        (None, Some(reason)) => out.push_str(&format!("- no sizing advice: {reason}\n")),
        (None, None) => {}
    }
    if advice.is_empty() && group.reason.is_none() && group.slurm_directives().is_none() {
        out.push_str("- none\n");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::record::SlurmRecord;

    /// The assembler's golden record, as task `procid` of job 42 on `host`.
    fn task(procid: u32, host: &str) -> JobRecord {
        let line = include_str!("../assemble/testdata/success.jsonl");
        let mut r: JobRecord = serde_json::from_str(line).expect("golden record");
        r.host.hostname = host.to_string();
        r.slurm = Some(SlurmRecord {
            job_id: 42,
            step_id: "0".to_string(),
            procid: Some(procid),
            job_name: Some("solver".to_string()),
            ..SlurmRecord::default()
        });
        r
    }

    #[test]
    fn reports_the_job_per_node_and_per_task() {
        let style = TableStyle {
            width: Some(140),
            colour: false,
        };
        let text = report(42, &[task(1, "n2"), task(0, "n1")], &style);
        assert!(text.starts_with("Slurm job 42 (solver)\n"), "{text}");
        assert!(text.contains("2 on 2 nodes (2 success)"), "{text}");
        // 1.5 CPU s of 2.5 s × 2 CPUs, per task and for the job.
        assert!(text.contains("CPU efficiency:     30.0 %"), "{text}");
        assert!(text.contains("- (allocation unknown)"), "{text}");
        let per_task = text.split("Per task").nth(1).expect("per task");
        let first = per_task.find(" 0.0 ").expect("task 0");
        let second = per_task.find(" 0.1 ").expect("task 1");
        assert!(first < second, "tasks in order: {per_task}");
        assert!(text.contains("\nAdvice\n"), "{text}");
    }
}
