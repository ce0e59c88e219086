//! Right-sizing from a group of runs.

use super::*;

const MIB: u64 = 1 << 20;
const GIB: u64 = 1 << 30;

fn run(peak_mib: u64, cores: f64, wall_seconds: f64) -> RunFigures {
    RunFigures {
        memory_peak_bytes: Some(peak_mib * MIB),
        cpu_mean_cores: Some(cores),
        duration_seconds: wall_seconds,
        gpu_utilization_mean_percent: None,
    }
}

/// 20 runs: peaks 100..=2000 MiB, cores 0.1..=2.0, wall 10..=200 s.
fn twenty() -> Vec<RunFigures> {
    (1..=20)
        .map(|i| run(i * 100, i as f64 / 10.0, i as f64 * 10.0))
        .collect()
}

#[test]
fn fewer_than_three_runs_says_so() {
    let advice = advice_for_group(&twenty()[..2]);
    assert_eq!(advice.runs_count, 2);
    assert_eq!(
        advice.reason.as_deref(),
        Some("only 2 runs; right-sizing needs at least 3")
    );
    assert_eq!(advice.memory_request_bytes, None);
    assert_eq!(advice.slurm_directives(), None);
    assert_eq!(advice.compose_resources(), None);
    assert!(advice_for_group(&twenty()[..3]).reason.is_none());
}

#[test]
fn requests_stand_on_the_p95() {
    let advice = advice_for_group(&twenty());
    assert_eq!(advice.runs_count, 20);
    // Nearest rank: the 19th of 20.
    assert_eq!(advice.memory_peak_p95_bytes, Some(1900 * MIB));
    // 1900 MiB × 1.2 = 2280 MiB -> 3 GiB.
    assert_eq!(advice.memory_request_bytes, Some(3 * GIB));
    assert_eq!(advice.cpu_p95_cores, Some(1.9));
    assert_eq!(advice.cpus_count, Some(2));
    assert_eq!(advice.wall_p95_seconds, Some(190.0));
    // 190 s × 1.2 = 228 s -> 4 minutes.
    assert_eq!(advice.time_limit_seconds, Some(240));
    // Medians (10th of 20): 1000 MiB -> 1200 MiB -> 2 GiB; 1.0 core.
    assert_eq!(advice.memory_reservation_bytes, Some(2 * GIB));
    assert_eq!(advice.cpus_reservation_count, Some(1));
}

#[test]
fn slurm_directives_to_paste() {
    let advice = advice_for_group(&twenty());
    assert_eq!(
        advice.slurm_directives().as_deref(),
        Some("--mem=3G --cpus-per-task=2 --time=00:04:00")
    );
}

#[test]
fn compose_block_as_seed_002_lays_it_out() {
    let advice = advice_for_group(&twenty());
    let expected = "deploy:\n  resources:\n    limits:\n      cpus: '2'\n      memory: 3G\n    reservations:\n      cpus: '1'\n      memory: 2G\n";
    assert_eq!(advice.compose_resources().as_deref(), Some(expected));
}

#[test]
fn a_busy_gpu_adds_a_gres_line_an_idle_one_does_not() {
    let with_gpu = |util| {
        let runs: Vec<_> = twenty()
            .into_iter()
            .map(|r| RunFigures {
                gpu_utilization_mean_percent: Some(util),
                ..r
            })
            .collect();
        advice_for_group(&runs)
    };
    let busy = with_gpu(60.0);
    assert_eq!(busy.gpu_runs_count, 20);
    assert!(busy
        .slurm_directives()
        .expect("advice")
        .ends_with(" --gres=gpu:1"));
    assert!(!with_gpu(3.0)
        .slurm_directives()
        .expect("advice")
        .contains("gres"));
}

#[test]
fn slurm_time_format() {
    assert_eq!(format_slurm_time(900), "00:15:00");
    assert_eq!(format_slurm_time(3 * 3600 + 61), "03:01:01");
    assert_eq!(format_slurm_time(86_400 + 3600), "1-01:00:00");
}

#[test]
fn short_runs_get_a_minute_at_least_and_missing_figures_are_left_out() {
    let runs = vec![
        RunFigures {
            duration_seconds: 0.5,
            ..RunFigures::default()
        };
        3
    ];
    let advice = advice_for_group(&runs);
    assert_eq!(advice.time_limit_seconds, Some(60));
    assert_eq!(advice.memory_request_bytes, None);
    assert_eq!(
        advice.slurm_directives().as_deref(),
        Some("--time=00:01:00")
    );
    assert_eq!(advice.compose_resources(), None);
}

#[test]
fn run_figures_from_an_input() {
    let input = AnalysisInput {
        duration_seconds: 10.0,
        cpu_total_seconds: Some(15.0),
        memory_peak_bytes: Some(GIB),
        ..AnalysisInput::default()
    };
    let figures = RunFigures::from_input(&input);
    assert_eq!(figures.cpu_mean_cores, Some(1.5));
    assert_eq!(figures.memory_peak_bytes, Some(GIB));
}

/// `only 1 run(s)`.
#[test]
fn a_group_of_one_run_says_only_1_run() {
    let advice = advice_for_group(&twenty()[..1]);
    assert_eq!(
        advice.reason.as_deref(),
        Some("only 1 run; right-sizing needs at least 3")
    );
}
