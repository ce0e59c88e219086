//! Per-run advice (memory request, cores, GPU, storage) and the memory
//! rounding and size formatting shared with the group advice.

use super::thresholds::THRESHOLDS;
use super::types::{AdviceKind, AdviceRecord, Bottleneck, Evidence, PhaseRecord};

const MIB: u64 = 1 << 20;
const GIB: u64 = 1 << 30;
/// The smallest memory request (and its step below 1 GiB).
const MEMORY_STEP_MIN: u64 = 128 * MIB;

/// `peak_bytes × memory_request_factor`, rounded up: to 128 MiB below
/// 1 GiB, to 1 GiB below 64 GiB, to 8 GiB above. Never below 128 MiB.
pub fn memory_request_bytes(peak_bytes: u64) -> u64 {
    let wanted = (peak_bytes as f64 * THRESHOLDS.memory_request_factor).ceil() as u64;
    let step = if wanted <= GIB {
        MEMORY_STEP_MIN
    } else if wanted <= 64 * GIB {
        GIB
    } else {
        8 * GIB
    };
    wanted.div_ceil(step).max(1).saturating_mul(step)
}

/// A size as Slurm and docker-compose write it: `4G` when whole GiB,
/// otherwise whole MiB (`512M`, rounded up).
pub fn slurm_size(bytes: u64) -> String {
    if bytes >= GIB && bytes % GIB == 0 {
        format!("{}G", bytes / GIB)
    } else {
        format!("{}M", bytes.div_ceil(MIB))
    }
}

/// A size for people as the run summary writes it (`2.5 MiB`, `300 MiB`,
/// `1.5 GiB`; rounded to whole MiB, a 2.5 MiB peak read `3 MiB` here and
/// `2.5 MiB` in the summary above it).
pub fn human_size(bytes: u64) -> String {
    crate::units::bytes(bytes as f64)
}

/// `1 core`, `4 cores`.
fn cores_word(n: usize) -> String {
    if n == 1 {
        "1 core".to_string()
    } else {
        format!("{n} cores")
    }
}

/// The advice for one run, the kind that matches the bottleneck first.
pub(crate) fn advice_for(
    bottleneck: Bottleneck,
    e: &Evidence,
    phases: &[PhaseRecord],
) -> Vec<AdviceRecord> {
    let t = &THRESHOLDS;
    let mut advice = Vec::new();
    if let Some(peak) = e.memory_peak_bytes {
        let request = memory_request_bytes(peak);
        let wanted = peak as f64 * t.memory_request_factor;
        // Under the smallest step the request is the step, not the peak
        // × 1.2 rounded: `request 128 MiB` for a 3 MiB peak read as a sizing.
        let mut text = if wanted < MEMORY_STEP_MIN as f64 {
            format!(
                "memory peaked at {}; request at least {} (--mem={}: the smallest step, over peak × {})",
                human_size(peak),
                human_size(request),
                slurm_size(request),
                t.memory_request_factor
            )
        } else {
            format!(
                "memory peaked at {}; request {} (--mem={}: peak × {}, rounded up)",
                human_size(peak),
                human_size(request),
                slurm_size(request),
                t.memory_request_factor
            )
        };
        if bottleneck == Bottleneck::Memory {
            text = format!("the job stalled on memory; {text}, or reduce the problem size");
        } else if let (Some(limit), Some(share)) =
            (e.memory_limit_bytes, e.memory_peak_of_limit_percent)
        {
            if share < t.memory_overallocated_below_percent {
                text.push_str(&format!(
                    "; the limit of {} is more than it needs ({share:.0} % used)",
                    human_size(limit)
                ));
            }
        }
        advice.push(AdviceRecord {
            kind: AdviceKind::Memory,
            text,
            request_bytes: Some(request),
            cores_count: None,
        });
    }
    if let Some(a) = cores_advice(bottleneck, e) {
        advice.push(a);
    }
    if let Some(gpu) = e.gpu_utilization_mean_percent {
        if gpu < t.gpu_busy_above_percent {
            let text = if gpu < t.gpu_idle_below_percent {
                format!("the GPU sat mostly idle ({gpu:.0} % busy); run without one, or feed it more work")
            } else {
                format!("the GPU is underused ({gpu:.0} % busy); tune batch size or GPU parameters")
            };
            advice.push(AdviceRecord {
                kind: AdviceKind::Gpu,
                text,
                request_bytes: None,
                cores_count: None,
            });
        }
    }
    let io_phase = phases.iter().any(|p| p.bottleneck == Bottleneck::Io);
    if bottleneck == Bottleneck::Io || io_phase {
        let text = if bottleneck == Bottleneck::Io {
            "the job waited on storage; use faster or node-local storage, or write output less often"
        } else {
            "part of the run waited on storage; faster storage or less frequent output would shorten it"
        };
        advice.push(AdviceRecord {
            kind: AdviceKind::Io,
            text: text.to_string(),
            request_bytes: None,
            cores_count: None,
        });
    }
    let lead = match bottleneck {
        Bottleneck::Memory => Some(AdviceKind::Memory),
        Bottleneck::Cpu | Bottleneck::Serial => Some(AdviceKind::Cores),
        Bottleneck::Io => Some(AdviceKind::Io),
        Bottleneck::Gpu | Bottleneck::GpuIdle => Some(AdviceKind::Gpu),
        Bottleneck::Idle => None,
    };
    advice.sort_by_key(|a| Some(a.kind) != lead);
    advice
}

fn cores_advice(bottleneck: Bottleneck, e: &Evidence) -> Option<AdviceRecord> {
    let t = &THRESHOLDS;
    let cores = e.cpu_mean_cores?;
    let efficiency = e.cpu_efficiency_percent?;
    let available = e.cpus_available_count;
    let (text, cores_count) = if e.cpu_contended {
        (
            format!(
                "the host's CPUs were contended (cpu pressure {:.0} %): the job got {cores:.2} cores of {available}; run where CPUs are not oversubscribed before sizing cores",
                e.cpu_pressure_some_percent.unwrap_or(0.0)
            ),
            None,
        )
    } else if bottleneck == Bottleneck::Serial {
        (
            format!(
                "serial code: about one core busy of {available}; ask for 1 core, or parallelise (OpenMP/MPI) to use more"
            ),
            Some(1),
        )
    } else if available >= 2 && efficiency < t.cpu_advice_efficiency_below_percent {
        let wanted = (cores.ceil() as usize).max(1);
        (
            format!("used {cores:.1} of {available} cores ({efficiency:.0} %); ask for {wanted}"),
            Some(wanted),
        )
    } else if bottleneck == Bottleneck::Cpu {
        (
            format!(
                "CPU-bound on {} ({efficiency:.0} % busy); more cores or more parallelism would help",
                cores_word(available)
            ),
            None,
        )
    } else {
        return None;
    };
    Some(AdviceRecord {
        kind: AdviceKind::Cores,
        text,
        request_bytes: None,
        cores_count,
    })
}
