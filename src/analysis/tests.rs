//! The classifier on hand-built runs: every class, each threshold just
//! below and just above its edge, and the precedence between classes.

use super::*;

pub(super) const MIB: u64 = 1 << 20;

/// A 10 s run sampled every 0.5 s, keeping `cores` busy of `cpus`, with no
/// I/O, no memory trouble and no GPU.
pub(super) fn steady(cpus: usize, cores: f64) -> AnalysisInput {
    AnalysisInput {
        duration_seconds: 10.0,
        cpus_available_count: cpus,
        cpu_total_seconds: Some(cores * 10.0),
        memory_peak_bytes: Some(100 * MIB),
        major_page_faults_count: Some(0),
        storage_bytes: Some(0),
        ticks: (1..=20)
            .map(|i| TickInput {
                t_seconds: i as f64 * 0.5,
                cpu_cores: Some(cores),
                io_bytes_per_second: Some(0.0),
                gpu_utilization_percent: None,
            })
            .collect(),
        ..AnalysisInput::default()
    }
}

fn class(input: &AnalysisInput) -> Option<Bottleneck> {
    analyze_input(input).bottleneck
}

fn crossed(input: &AnalysisInput, threshold_name: &str) -> bool {
    analyze_input(input)
        .evidence
        .thresholds_crossed
        .iter()
        .any(|c| c.threshold_name == threshold_name)
}

#[test]
fn parallel_job_on_most_cpus_is_cpu() {
    assert_eq!(class(&steady(2, 1.9)), Some(Bottleneck::Cpu));
    assert!(crossed(&steady(2, 1.9), "cpu_busy_efficiency_percent"));
}

#[test]
fn one_busy_core_of_two_is_serial() {
    assert_eq!(class(&steady(2, 1.0)), Some(Bottleneck::Serial));
}

#[test]
fn one_busy_core_of_one_is_cpu_not_serial() {
    assert_eq!(class(&steady(1, 1.0)), Some(Bottleneck::Cpu));
}

#[test]
fn sleeping_job_is_idle() {
    assert_eq!(class(&steady(2, 0.01)), Some(Bottleneck::Idle));
}

#[test]
fn serial_edge_at_serial_max_cores() {
    // 1.24 and 1.26 of 8 CPUs are both below the CPU-busy efficiency.
    assert_eq!(class(&steady(8, 1.24)), Some(Bottleneck::Serial));
    assert_eq!(class(&steady(8, 1.26)), Some(Bottleneck::Cpu));
}

#[test]
fn busy_cores_edge_between_idle_and_serial() {
    assert_eq!(class(&steady(4, 0.64)), Some(Bottleneck::Idle));
    assert_eq!(class(&steady(4, 0.66)), Some(Bottleneck::Serial));
}

/// Waiting on storage, with `cores` of 4 CPUs busy.
fn waiting_on_storage(cores: f64, iowait_percent: f64) -> AnalysisInput {
    AnalysisInput {
        iowait_mean_percent: Some(iowait_percent),
        storage_bytes: Some(200 * MIB),
        ..steady(4, cores)
    }
}

#[test]
fn storage_wait_is_io() {
    assert_eq!(class(&waiting_on_storage(0.2, 30.0)), Some(Bottleneck::Io));
}

#[test]
fn iowait_edge() {
    assert_eq!(class(&waiting_on_storage(0.2, 9.9)), Some(Bottleneck::Idle));
    assert_eq!(class(&waiting_on_storage(0.2, 10.1)), Some(Bottleneck::Io));
}

#[test]
fn io_pressure_edge() {
    let with = |some| AnalysisInput {
        iowait_mean_percent: None,
        io_pressure_some_percent: Some(some),
        ..waiting_on_storage(0.2, 0.0)
    };
    assert_eq!(class(&with(9.9)), Some(Bottleneck::Idle));
    assert_eq!(class(&with(10.1)), Some(Bottleneck::Io));
}

#[test]
fn io_needs_the_job_to_have_moved_storage_bytes() {
    // Host iowait from another job's I/O is not this job's bottleneck.
    let with = |bytes| AnalysisInput {
        storage_bytes: Some(bytes),
        ..waiting_on_storage(0.2, 30.0)
    };
    assert_eq!(class(&with(MIB - 1)), Some(Bottleneck::Idle));
    assert_eq!(class(&with(MIB)), Some(Bottleneck::Io));
}

#[test]
fn cpu_busy_edge_decides_between_io_and_cpu() {
    // 4 CPUs: 2.596 cores = 64.9 %, 2.604 cores = 65.1 %.
    assert_eq!(
        class(&waiting_on_storage(2.596, 30.0)),
        Some(Bottleneck::Io)
    );
    assert!(!crossed(
        &waiting_on_storage(2.596, 30.0),
        "cpu_busy_efficiency_percent"
    ));
    assert_eq!(
        class(&waiting_on_storage(2.604, 30.0)),
        Some(Bottleneck::Cpu)
    );
    assert!(crossed(
        &waiting_on_storage(2.604, 30.0),
        "cpu_busy_efficiency_percent"
    ));
}

#[test]
fn memory_pressure_edges() {
    let some = |p| AnalysisInput {
        memory_pressure_some_percent: Some(p),
        ..steady(2, 1.9)
    };
    assert_eq!(class(&some(9.9)), Some(Bottleneck::Cpu));
    assert_eq!(class(&some(10.1)), Some(Bottleneck::Memory));
    let full = |p| AnalysisInput {
        memory_pressure_full_percent: Some(p),
        ..steady(2, 1.9)
    };
    assert_eq!(class(&full(4.9)), Some(Bottleneck::Cpu));
    assert_eq!(class(&full(5.1)), Some(Bottleneck::Memory));
}

#[test]
fn swap_edge() {
    let swap = |b| AnalysisInput {
        swap_max_bytes: Some(b),
        ..steady(2, 1.0)
    };
    assert_eq!(class(&swap(16 * MIB - 1)), Some(Bottleneck::Serial));
    assert_eq!(class(&swap(16 * MIB)), Some(Bottleneck::Memory));
}

#[test]
fn major_faults_edge() {
    // 10 s run: 999 faults = 99.9/s, 1001 = 100.1/s.
    let faults = |n| AnalysisInput {
        major_page_faults_count: Some(n),
        ..steady(2, 0.5)
    };
    assert_eq!(class(&faults(999)), Some(Bottleneck::Idle));
    assert_eq!(class(&faults(1001)), Some(Bottleneck::Memory));
}

#[test]
fn pressed_against_the_cgroup_limit_is_memory() {
    let peak_of_limit = |percent: u64| AnalysisInput {
        memory_peak_bytes: Some(percent * 10 * MIB),
        memory_limit_bytes: Some(1000 * MIB),
        ..steady(2, 1.9)
    };
    assert_eq!(class(&peak_of_limit(94)), Some(Bottleneck::Cpu));
    assert_eq!(class(&peak_of_limit(96)), Some(Bottleneck::Memory));
    assert!(crossed(
        &peak_of_limit(96),
        "memory_near_limit_above_percent"
    ));
}

#[test]
fn an_oom_kill_is_memory() {
    let oom = |n| AnalysisInput {
        oom_kills_count: Some(n),
        ..steady(2, 1.9)
    };
    assert_eq!(class(&oom(0)), Some(Bottleneck::Cpu));
    assert_eq!(class(&oom(1)), Some(Bottleneck::Memory));
}

fn with_gpu(cores: f64, utilization: f64) -> AnalysisInput {
    let mut input = steady(2, cores);
    input.gpu_utilization_mean_percent = Some(utilization);
    for t in &mut input.ticks {
        t.gpu_utilization_percent = Some(utilization);
    }
    input
}

#[test]
fn gpu_busy_edge() {
    assert_eq!(class(&with_gpu(1.0, 24.9)), Some(Bottleneck::Serial));
    assert_eq!(class(&with_gpu(1.0, 25.1)), Some(Bottleneck::Gpu));
}

#[test]
fn gpu_idle_edge() {
    assert_eq!(class(&with_gpu(0.05, 14.9)), Some(Bottleneck::GpuIdle));
    assert_eq!(class(&with_gpu(0.05, 15.1)), Some(Bottleneck::Idle));
}

#[test]
fn gpu_idle_outranks_a_busy_cpu() {
    // The held GPU is the costly waste: the user should hear about it first.
    assert_eq!(class(&with_gpu(1.9, 2.0)), Some(Bottleneck::GpuIdle));
}

#[test]
fn memory_outranks_a_busy_gpu() {
    let input = AnalysisInput {
        swap_max_bytes: Some(1 << 30),
        ..with_gpu(1.0, 90.0)
    };
    assert_eq!(class(&input), Some(Bottleneck::Memory));
}

#[test]
fn evidence_names_its_figures() {
    let a = analyze_input(&waiting_on_storage(0.2, 30.0));
    assert_eq!(a.evidence.cpus_available_count, 4);
    assert!((a.evidence.cpu_mean_cores.expect("cores") - 0.2).abs() < 1e-9);
    assert!((a.evidence.cpu_efficiency_percent.expect("eff") - 5.0).abs() < 1e-9);
    assert_eq!(a.evidence.samples_count, 20);
    let iowait = a
        .evidence
        .thresholds_crossed
        .iter()
        .find(|c| c.threshold_name == "iowait_above_percent")
        .expect("iowait crossed");
    assert_eq!((iowait.value, iowait.threshold), (30.0, 10.0));
    assert_eq!(iowait.direction, Direction::Above);
}

#[test]
fn serialized_block_uses_snake_case_classes() {
    let json = serde_json::to_value(analyze_input(&with_gpu(0.05, 1.0))).expect("serializes");
    assert_eq!(json["bottleneck"], "gpu_idle");
    assert_eq!(json["bottleneck"], Bottleneck::GpuIdle.as_str());
    assert_eq!(json["advice"][0]["kind"], AdviceKind::Gpu.as_str());
    assert!(json.get("reason").is_none());
    let back: AnalysisRecord = serde_json::from_value(json).expect("parses back");
    assert_eq!(back.bottleneck, Some(Bottleneck::GpuIdle));
}

/// 10 s on a host whose CPUs were contended: the job got `cores` of 2 and
/// was preempted `involuntary` times against `voluntary` sleeps.
fn contended(cores: f64, pressure: f64, voluntary: u64, involuntary: u64) -> AnalysisInput {
    AnalysisInput {
        cpu_pressure_some_percent: Some(pressure),
        voluntary_switches_count: Some(voluntary),
        involuntary_switches_count: Some(involuntary),
        ..steady(2, cores)
    }
}

#[test]
fn a_job_starved_of_cpu_is_cpu_not_idle() {
    // Measured here: a shell loop on a 2-CPU host at load 13 got 0.09
    // cores, cpu pressure 99.6 %, 146 involuntary and 2 voluntary switches.
    let a = analyze_input(&contended(0.09, 99.6, 2, 146));
    assert_eq!(a.bottleneck, Some(Bottleneck::Cpu));
    assert!(a.evidence.cpu_contended);
    assert!(a.phases.iter().all(|p| p.bottleneck == Bottleneck::Cpu));
    let cores = a
        .advice
        .iter()
        .find(|x| x.kind == AdviceKind::Cores)
        .expect("cores advice");
    assert!(cores.text.contains("contended"), "{}", cores.text);
    assert_eq!(cores.cores_count, None);
}

#[test]
fn a_sleeping_job_on_a_contended_host_is_still_idle() {
    // Measured here: `sleep 3` at cpu pressure 98.8 %: 3 voluntary, 1 involuntary.
    let a = analyze_input(&contended(0.001, 98.8, 3, 1));
    assert_eq!(a.bottleneck, Some(Bottleneck::Idle));
    assert!(!a.evidence.cpu_contended);
}

/// Measured (tests/insight.rs at load 14 on 2 CPUs): one busy thread got
/// 0.6 cores with CPU pressure at 35 % and 98.7 % of its switches
/// involuntary, and was classed `idle` while the contended test wanted 50 %
/// pressure.
#[test]
fn a_busy_thread_starved_at_35_percent_pressure_is_cpu_not_idle() {
    let a = analyze_input(&contended(0.6, 35.2, 3, 224));
    assert_eq!(a.bottleneck, Some(Bottleneck::Cpu));
    assert!(a.evidence.cpu_contended);
}

#[test]
fn contention_edges() {
    let class_of = |input: &AnalysisInput| analyze_input(input).bottleneck;
    // cpu pressure 19.9 / 20.1 %.
    assert_eq!(
        class_of(&contended(0.1, 19.9, 0, 100)),
        Some(Bottleneck::Idle)
    );
    assert_eq!(
        class_of(&contended(0.1, 20.1, 0, 100)),
        Some(Bottleneck::Cpu)
    );
    // Involuntary share 29.9 / 30.1 % (over 5/s either way).
    assert_eq!(
        class_of(&contended(0.1, 99.0, 701, 299)),
        Some(Bottleneck::Idle)
    );
    assert_eq!(
        class_of(&contended(0.1, 99.0, 699, 301)),
        Some(Bottleneck::Cpu)
    );
    // 10 s run: 49 and 51 involuntary switches = 4.9 and 5.1 per second.
    assert_eq!(
        class_of(&contended(0.1, 99.0, 0, 49)),
        Some(Bottleneck::Idle)
    );
    assert_eq!(
        class_of(&contended(0.1, 99.0, 0, 51)),
        Some(Bottleneck::Cpu)
    );
}

#[test]
fn writes_then_a_starved_loop_is_cpu_with_an_io_phase_first() {
    // Measured here: dd of 300 MiB (direct) then a shell loop, at load 13:
    // 262 voluntary, 189 involuntary switches in 6.9 s, cpu pressure 98.7 %.
    let mut input = contended(0.09, 98.7, 262, 189);
    input.duration_seconds = 6.9;
    for t in &mut input.ticks[..4] {
        t.io_bytes_per_second = Some(300.0 * MIB as f64);
    }
    let a = analyze_input(&input);
    assert_eq!(a.bottleneck, Some(Bottleneck::Cpu));
    let classes: Vec<_> = a.phases.iter().map(|p| p.bottleneck).collect();
    assert_eq!(classes, [Bottleneck::Io, Bottleneck::Cpu]);
}

#[test]
fn a_busy_job_is_not_called_contended() {
    let a = analyze_input(&contended(1.9, 99.0, 0, 1000));
    assert_eq!(a.bottleneck, Some(Bottleneck::Cpu));
    assert!(!a.evidence.cpu_contended);
}

#[test]
fn a_job_starved_only_while_it_started_then_slept_is_idle() {
    // Measured here: `workload alloc 500 3000` (touch 500 MiB, sleep 4 s)
    // at cpu pressure 98 %: 6 voluntary, 131 involuntary switches, all of
    // them while touching.
    let mut input = contended(0.055, 98.3, 6, 131);
    for (i, t) in input.ticks.iter_mut().enumerate() {
        t.cpu_cores = Some(if i < 3 { 0.3 } else { 0.0 });
    }
    let a = analyze_input(&input);
    assert_eq!(a.bottleneck, Some(Bottleneck::Idle), "{:?}", a.evidence);
    assert!(!a.evidence.cpu_contended);
    assert_eq!(a.evidence.cpu_active_samples_percent, Some(15.0));
}

#[test]
fn active_samples_edge() {
    // 9 of 20 points active = 45 %, 11 of 20 = 55 %.
    let active = |n: usize| {
        let mut input = contended(0.05, 99.0, 0, 100);
        for (i, t) in input.ticks.iter_mut().enumerate() {
            t.cpu_cores = Some(if i < n { 0.1 } else { 0.01 });
        }
        analyze_input(&input).bottleneck
    };
    assert_eq!(active(9), Some(Bottleneck::Idle));
    assert_eq!(active(11), Some(Bottleneck::Cpu));
}

fn advice_text(input: &AnalysisInput, kind: AdviceKind) -> String {
    analyze_input(input)
        .advice
        .into_iter()
        .find(|a| a.kind == kind)
        .map(|a| a.text)
        .unwrap_or_else(|| panic!("no {kind:?} advice"))
}

/// `CPU-bound on 1 cores`.
#[test]
fn cpu_bound_advice_on_one_cpu_says_one_core() {
    let text = advice_text(&steady(1, 1.0), AdviceKind::Cores);
    assert!(text.starts_with("CPU-bound on 1 core ("), "{text}");
    let text = advice_text(&steady(2, 1.95), AdviceKind::Cores);
    assert!(text.starts_with("CPU-bound on 2 cores ("), "{text}");
}

/// `memory peaked at 3 MiB; request 128 MiB (… peak × 1.2, rounded up)`
/// under a summary saying `peak 2.5 MiB`: the peak is written as the
/// summary writes it, and the floor is called a floor.
#[test]
fn a_small_peak_is_shown_as_the_summary_shows_it_and_its_request_as_at_least_the_floor() {
    let mut input = steady(2, 0.1);
    input.memory_peak_bytes = Some(5 * MIB / 2);
    let text = advice_text(&input, AdviceKind::Memory);
    assert!(
        text.starts_with("memory peaked at 2.5 MiB; request at least 128 MiB (--mem=128M"),
        "{text}"
    );
    assert!(!text.contains("rounded up"), "{text}");
    input.memory_peak_bytes = Some(500 * MIB);
    let text = advice_text(&input, AdviceKind::Memory);
    assert!(
        text.starts_with(
            "memory peaked at 500 MiB; request 640 MiB (--mem=640M: peak × 1.2, rounded up)"
        ),
        "{text}"
    );
}
