//! The classifier: the run's figures against `THRESHOLDS`, in a fixed order
//! of precedence (memory, gpu, io, gpu_idle, contended cpu, cpu, serial,
//! idle), and the
//! same rules on one point of the series for the phases.

use super::input::{finite, finite_opt, AnalysisInput, TickInput};
use super::thresholds::{Thresholds, THRESHOLDS};
use super::types::{Bottleneck, Direction, Evidence, ThresholdCrossed};

/// The run's figures, before any threshold is applied.
pub(crate) fn evidence_of(input: &AnalysisInput, samples_count: usize) -> Evidence {
    let duration = finite(input.duration_seconds).filter(|d| *d > 0.0);
    let per_second = |x: f64| duration.map(|d| x / d);
    let cpu_mean_cores = match (finite_opt(input.cpu_total_seconds), duration) {
        (Some(cpu), Some(_)) if cpu >= 0.0 => per_second(cpu),
        _ => mean(input.ticks.iter().filter_map(|t| t.cpu_cores)),
    };
    let cpus = input.cpus_available_count.max(1) as f64;
    let memory_peak_of_limit_percent = match (input.memory_peak_bytes, input.memory_limit_bytes) {
        (Some(peak), Some(limit)) if limit > 0 => Some(peak as f64 / limit as f64 * 100.0),
        _ => None,
    };
    Evidence {
        samples_count,
        duration_seconds: duration.unwrap_or(0.0),
        cpus_available_count: input.cpus_available_count,
        cpu_mean_cores,
        cpu_efficiency_percent: cpu_mean_cores.map(|c| c / cpus * 100.0),
        cpu_pressure_some_percent: finite_opt(input.cpu_pressure_some_percent),
        involuntary_switches_share_percent: match (
            input.voluntary_switches_count,
            input.involuntary_switches_count,
        ) {
            (Some(v), Some(i)) if v.saturating_add(i) > 0 => {
                Some(i as f64 / (v as f64 + i as f64) * 100.0)
            }
            _ => None,
        },
        involuntary_switches_mean_per_second: input
            .involuntary_switches_count
            .and_then(|n| per_second(n as f64)),
        cpu_active_samples_percent: (samples_count > 0).then(|| {
            let active = input.ticks.iter().filter(|t| tick_is_active(t)).count();
            active as f64 / samples_count as f64 * 100.0
        }),
        cpu_contended: false,
        iowait_mean_percent: finite_opt(input.iowait_mean_percent),
        io_pressure_some_percent: finite_opt(input.io_pressure_some_percent),
        memory_pressure_some_percent: finite_opt(input.memory_pressure_some_percent),
        memory_pressure_full_percent: finite_opt(input.memory_pressure_full_percent),
        swap_max_bytes: input.swap_max_bytes,
        major_faults_mean_per_second: input
            .major_page_faults_count
            .and_then(|n| per_second(n as f64)),
        memory_peak_bytes: input.memory_peak_bytes,
        memory_limit_bytes: input.memory_limit_bytes,
        memory_peak_of_limit_percent,
        oom_kills_count: input.oom_kills_count,
        storage_bytes: input.storage_bytes,
        io_mean_bytes_per_second: input.storage_bytes.and_then(|b| per_second(b as f64)),
        gpu_utilization_mean_percent: finite_opt(input.gpu_utilization_mean_percent),
        thresholds_crossed: Vec::new(),
    }
}

/// The point had a CPU reading with the job running in its interval.
fn tick_is_active(tick: &TickInput) -> bool {
    tick.t_seconds.is_finite()
        && finite_opt(tick.cpu_cores).is_some_and(|c| c >= THRESHOLDS.cpu_active_above_cores)
}

pub(crate) fn mean(values: impl Iterator<Item = f64>) -> Option<f64> {
    let (sum, n) = values
        .filter(|v| v.is_finite())
        .fold((0.0, 0usize), |(s, n), v| (s + v, n + 1));
    (n > 0).then(|| sum / n as f64)
}

/// Records each threshold a figure crosses.
struct Crossings(Vec<ThresholdCrossed>);

impl Crossings {
    fn check(
        &mut self,
        figure: &str,
        value: Option<f64>,
        threshold_name: &str,
        threshold: f64,
        direction: Direction,
    ) -> bool {
        let Some(value) = value else { return false };
        let crossed = match direction {
            Direction::Above => value >= threshold,
            Direction::Below => value < threshold,
        };
        if crossed {
            self.0.push(ThresholdCrossed {
                figure: figure.to_string(),
                value,
                threshold_name: threshold_name.to_string(),
                threshold,
                direction,
            });
        }
        crossed
    }
}

/// The run's bottleneck; fills `evidence.thresholds_crossed`. Every check is
/// made (not only the first that decides) so the evidence lists them all.
pub(crate) fn classify_run(evidence: &mut Evidence) -> Bottleneck {
    use Direction::{Above, Below};
    let t: &Thresholds = &THRESHOLDS;
    let e = &*evidence;
    let mut c = Crossings(Vec::new());
    let memory = [
        c.check(
            "memory_pressure_some_percent",
            e.memory_pressure_some_percent,
            "memory_pressure_some_above_percent",
            t.memory_pressure_some_above_percent,
            Above,
        ),
        c.check(
            "memory_pressure_full_percent",
            e.memory_pressure_full_percent,
            "memory_pressure_full_above_percent",
            t.memory_pressure_full_above_percent,
            Above,
        ),
        c.check(
            "swap_max_bytes",
            e.swap_max_bytes.map(|b| b as f64),
            "swap_above_bytes",
            t.swap_above_bytes as f64,
            Above,
        ),
        c.check(
            "major_faults_mean_per_second",
            e.major_faults_mean_per_second,
            "major_faults_above_per_second",
            t.major_faults_above_per_second,
            Above,
        ),
        c.check(
            "memory_peak_of_limit_percent",
            e.memory_peak_of_limit_percent,
            "memory_near_limit_above_percent",
            t.memory_near_limit_above_percent,
            Above,
        ),
        c.check(
            "oom_kills_count",
            e.oom_kills_count.map(|n| n as f64),
            "oom_kills_above_count",
            t.oom_kills_above_count as f64,
            Above,
        ),
    ]
    .contains(&true);
    let gpu = e.gpu_utilization_mean_percent;
    let gpu_busy = c.check(
        "gpu_utilization_mean_percent",
        gpu,
        "gpu_busy_above_percent",
        t.gpu_busy_above_percent,
        Above,
    );
    let gpu_idle = c.check(
        "gpu_utilization_mean_percent",
        gpu,
        "gpu_idle_below_percent",
        t.gpu_idle_below_percent,
        Below,
    );
    let cpu_busy = c.check(
        "cpu_efficiency_percent",
        e.cpu_efficiency_percent,
        "cpu_busy_efficiency_percent",
        t.cpu_busy_efficiency_percent,
        Above,
    );
    let waiting = [
        c.check(
            "io_pressure_some_percent",
            e.io_pressure_some_percent,
            "io_pressure_some_above_percent",
            t.io_pressure_some_above_percent,
            Above,
        ),
        c.check(
            "iowait_mean_percent",
            e.iowait_mean_percent,
            "iowait_above_percent",
            t.iowait_above_percent,
            Above,
        ),
    ]
    .contains(&true);
    let moved = c.check(
        "storage_bytes",
        e.storage_bytes.map(|b| b as f64),
        "io_min_storage_bytes",
        t.io_min_storage_bytes as f64,
        Above,
    );
    let io = waiting && moved && !cpu_busy;
    let contended = !cpu_busy
        && [
            c.check(
                "cpu_pressure_some_percent",
                e.cpu_pressure_some_percent,
                "cpu_contended_pressure_some_above_percent",
                t.cpu_contended_pressure_some_above_percent,
                Above,
            ),
            c.check(
                "involuntary_switches_share_percent",
                e.involuntary_switches_share_percent,
                "involuntary_switches_share_above_percent",
                t.involuntary_switches_share_above_percent,
                Above,
            ),
            c.check(
                "involuntary_switches_mean_per_second",
                e.involuntary_switches_mean_per_second,
                "involuntary_switches_above_per_second",
                t.involuntary_switches_above_per_second,
                Above,
            ),
            c.check(
                "cpu_active_samples_percent",
                e.cpu_active_samples_percent,
                "cpu_active_samples_above_percent",
                t.cpu_active_samples_above_percent,
                Above,
            ),
        ]
        .iter()
        .all(|crossed| *crossed);
    let class = if memory {
        Bottleneck::Memory
    } else if gpu_busy {
        Bottleneck::Gpu
    } else if io {
        Bottleneck::Io
    } else if gpu_idle {
        Bottleneck::GpuIdle
    } else if contended {
        Bottleneck::Cpu
    } else {
        cpu_class(e.cpu_mean_cores, e.cpus_available_count, &mut c)
    };
    evidence.thresholds_crossed = c.0;
    evidence.cpu_contended = contended;
    class
}

/// `cpu`, `serial` or `idle` from the cores kept busy.
fn cpu_class(cores: Option<f64>, cpus_available: usize, c: &mut Crossings) -> Bottleneck {
    let t = &THRESHOLDS;
    let cores = cores.unwrap_or(0.0);
    let efficiency = cores / cpus_available.max(1) as f64 * 100.0;
    if efficiency >= t.cpu_busy_efficiency_percent {
        return Bottleneck::Cpu;
    }
    let busy = c.check(
        "cpu_mean_cores",
        Some(cores),
        "cpu_min_busy_cores",
        t.cpu_min_busy_cores,
        Direction::Above,
    );
    if !busy {
        c.check(
            "cpu_mean_cores",
            Some(cores),
            "cpu_min_busy_cores",
            t.cpu_min_busy_cores,
            Direction::Below,
        );
        return Bottleneck::Idle;
    }
    let one_core = c.check(
        "cpu_mean_cores",
        Some(cores),
        "serial_max_cores",
        t.serial_max_cores,
        Direction::Below,
    );
    if one_core && cpus_available >= 2 {
        Bottleneck::Serial
    } else {
        Bottleneck::Cpu
    }
}

/// The class of one point of the series; None when it has no CPU reading.
/// With `contended`, a point that looks idle but ran at all is taken as
/// starved of CPU.
pub(crate) fn classify_tick(
    tick: &TickInput,
    cpus_available: usize,
    contended: bool,
) -> Option<Bottleneck> {
    let t = &THRESHOLDS;
    let cores = finite_opt(tick.cpu_cores)?;
    let gpu = finite_opt(tick.gpu_utilization_percent);
    if gpu.is_some_and(|g| g >= t.gpu_busy_above_percent) {
        return Some(Bottleneck::Gpu);
    }
    let efficiency = cores / cpus_available.max(1) as f64 * 100.0;
    let io_rate = finite_opt(tick.io_bytes_per_second).unwrap_or(0.0);
    if io_rate >= t.io_tick_above_bytes_per_second && efficiency < t.cpu_busy_efficiency_percent {
        return Some(Bottleneck::Io);
    }
    let class = cpu_class(Some(cores), cpus_available, &mut Crossings(Vec::new()));
    if class == Bottleneck::Idle && gpu.is_some_and(|g| g < t.gpu_idle_below_percent) {
        return Some(Bottleneck::GpuIdle);
    }
    if class == Bottleneck::Idle && contended && tick_is_active(tick) {
        return Some(Bottleneck::Cpu);
    }
    Some(class)
}
