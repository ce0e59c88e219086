use super::*;

const MIB: u64 = 1024 * 1024;

fn run(id: &str, cpu: f64, wall: f64) -> RunFigures {
    RunFigures {
        task_id: id.to_string(),
        status_ok: true,
        cpu_seconds: cpu,
        memory_peak_bytes: 51 * MIB,
        wall_seconds: wall,
        write_bytes: 10 * MIB,
        read_bytes: 0,
    }
}

/// Nine runs of ~12.9 s CPU (s ≈ 0.2), wall ~10 s with ±10 % noise.
fn steady() -> Vec<RunFigures> {
    let cpu = [12.7, 13.1, 12.9, 12.6, 13.2, 12.9, 12.8, 13.0, 12.9];
    let wall = [10.0, 11.0, 9.0, 10.5, 9.5, 10.2, 9.8, 10.9, 9.1];
    cpu.iter()
        .zip(wall)
        .enumerate()
        .map(|(i, (&c, w))| run(&format!("b{i}"), c, w))
        .collect()
}

fn verdict_of(checks: &[MetricCheck], metric: Metric) -> Verdict {
    checks
        .iter()
        .find(|c| c.metric == metric)
        .expect("metric checked")
        .verdict
}

#[test]
fn a_steady_run_passes() {
    let checks = check_group(
        "g",
        &run("new", 13.0, 10.4),
        &steady(),
        &CheckOptions::default(),
    );
    assert_eq!(checks.len(), 4);
    assert!(
        checks.iter().all(|c| c.verdict == Verdict::Ok),
        "{checks:?}"
    );
    let report = CheckReport {
        checks,
        require_baseline: false,
    };
    assert_eq!(report.exit_code(), 0);
}

#[test]
fn twice_the_cpu_is_a_regression_with_its_figures() {
    let checks = check_group(
        "lammps",
        &run("new", 26.1, 10.0),
        &steady(),
        &CheckOptions::default(),
    );
    let cpu = checks
        .iter()
        .find(|c| c.metric == Metric::Cpu)
        .expect("cpu");
    assert_eq!(cpu.verdict, Verdict::Regression);
    assert_eq!(cpu.baseline_n, 9);
    assert_eq!(cpu.task_id, "new");
    let mean = cpu.baseline_mean.expect("mean");
    assert!((mean - 12.9).abs() < 1e-9, "{mean}");
    assert!((cpu.change_percent.expect("change") - 102.3).abs() < 0.1);
    // Σ(x - 12.9)² = 0.28, s = √(0.28 / 8) = 0.18708;
    // mean + t(0.99, 8) · s · √(1 + 1/9) = 12.9 + 2.8965 · 0.18708 · 1.05409.
    let bound = cpu.bound.expect("bound");
    assert!((bound - 13.4712).abs() < 1e-3, "{bound}");
    assert_eq!(verdict_of(&checks, Metric::Wall), Verdict::Ok);
    let report = CheckReport {
        checks,
        require_baseline: false,
    };
    assert_eq!(report.exit_code(), 1);
    assert_eq!(report.count(Verdict::Regression), 1);
}

#[test]
fn wall_noise_of_ten_percent_does_not_fail() {
    // Whatever the bound, ±10 % (and +15 %) stays under wall's 25 %
    // threshold.
    for wall in [11.0, 9.0, 11.5] {
        let checks = check_group(
            "g",
            &run("new", 12.9, wall),
            &steady(),
            &CheckOptions::default(),
        );
        assert_eq!(
            verdict_of(&checks, Metric::Wall),
            Verdict::Ok,
            "wall {wall}"
        );
    }
}

#[test]
fn a_large_change_inside_the_interval_is_not_a_regression() {
    // A noisy baseline: +30 % is above the threshold but well inside the
    // 99 % prediction interval.
    let noisy: Vec<RunFigures> = [5.0, 15.0, 10.0, 6.0, 14.0]
        .iter()
        .map(|&c| run("b", c, 1.0))
        .collect();
    let checks = check_group(
        "g",
        &run("new", 13.0, 1.0),
        &noisy,
        &CheckOptions::default(),
    );
    assert_eq!(verdict_of(&checks, Metric::Cpu), Verdict::Ok);
}

#[test]
fn beyond_the_bound_but_under_the_threshold_is_ok() {
    // A constant baseline: any increase is beyond the bound; +5 % is not
    // beyond 10 %.
    let flat = vec![run("b", 10.0, 1.0); 5];
    let checks = check_group("g", &run("new", 10.5, 1.0), &flat, &CheckOptions::default());
    assert_eq!(verdict_of(&checks, Metric::Cpu), Verdict::Ok);
    let opts = CheckOptions {
        threshold_percent: Some(4.0),
        ..CheckOptions::default()
    };
    let checks = check_group("g", &run("new", 10.5, 1.0), &flat, &opts);
    assert_eq!(verdict_of(&checks, Metric::Cpu), Verdict::Regression);
}

#[test]
fn improvements_are_reported_and_never_fail() {
    let checks = check_group(
        "g",
        &run("new", 6.0, 10.0),
        &steady(),
        &CheckOptions::default(),
    );
    let cpu = checks
        .iter()
        .find(|c| c.metric == Metric::Cpu)
        .expect("cpu");
    assert_eq!(cpu.verdict, Verdict::Improvement);
    assert!(cpu.bound.expect("bound") < 12.9);
    let report = CheckReport {
        checks,
        require_baseline: true,
    };
    assert_eq!(report.exit_code(), 0);
}

#[test]
fn a_short_baseline_is_no_baseline_unless_required() {
    let base = &steady()[..2];
    let checks = check_group("g", &run("new", 26.0, 10.0), base, &CheckOptions::default());
    assert!(checks.iter().all(|c| c.verdict == Verdict::NoBaseline));
    assert_eq!(checks[0].baseline_n, 2);
    assert_eq!(checks[0].bound, None);
    let mut report = CheckReport {
        checks,
        require_baseline: false,
    };
    assert_eq!(report.exit_code(), 0);
    report.require_baseline = true;
    assert_eq!(report.exit_code(), 1);
}

#[test]
fn a_failed_newest_run_fails_the_gate() {
    let mut new = run("new", 12.9, 10.0);
    new.status_ok = false;
    let checks = check_group("g", &new, &steady(), &CheckOptions::default());
    assert!(checks.iter().all(|c| c.verdict == Verdict::FailedRun));
    let report = CheckReport {
        checks,
        require_baseline: false,
    };
    assert_eq!(report.exit_code(), 1);
}

#[test]
fn tiny_absolute_changes_are_below_the_noise_floor() {
    // Nothing written before, 4 KiB now: infinite percent, but under 1 MiB.
    let mut base = steady();
    for r in &mut base {
        r.write_bytes = 0;
    }
    let mut new = run("new", 12.9, 10.0);
    new.write_bytes = 4096;
    let checks = check_group("g", &new, &base, &CheckOptions::default());
    let w = checks
        .iter()
        .find(|c| c.metric == Metric::WriteBytes)
        .expect("write");
    assert_eq!(w.change_percent, None);
    assert_eq!(w.verdict, Verdict::Ok);
    new.write_bytes = 64 * MIB;
    let checks = check_group("g", &new, &base, &CheckOptions::default());
    assert_eq!(verdict_of(&checks, Metric::WriteBytes), Verdict::Regression);
}

#[test]
fn metric_names_parse_and_options_validate() {
    assert_eq!(Metric::parse("memory-peak"), Some(Metric::MemoryPeak));
    assert_eq!(Metric::parse("CPU"), Some(Metric::Cpu));
    assert_eq!(Metric::parse("read_bytes"), Some(Metric::ReadBytes));
    assert_eq!(Metric::parse("gpu"), None);
    for m in Metric::ALL {
        assert_eq!(Metric::parse(m.name()), Some(m));
    }
    assert!(CheckOptions::default().validate().is_ok());
    let bad = CheckOptions {
        min_baseline: 1,
        ..CheckOptions::default()
    };
    assert!(bad.validate().is_err());
    let bad = CheckOptions {
        threshold_percent: Some(-1.0),
        ..CheckOptions::default()
    };
    assert!(bad.validate().is_err());
    assert_eq!(CheckOptions::default().threshold_for(Metric::Wall), 25.0);
}

// The command reads the history through the read model, the core's tests
// through JobRecord: both must give the same figures for a stored line.
#[test]
fn figures_from_the_read_model_equal_those_of_the_full_record() {
    let golden = [
        include_str!("../assemble/testdata/success.jsonl"),
        include_str!("../assemble/testdata/failed.jsonl"),
        include_str!("../assemble/testdata/failed_to_start.jsonl"),
        include_str!("../assemble/testdata/interrupted.jsonl"),
        include_str!("../assemble/testdata/signaled.jsonl"),
    ];
    let mut seen = 0;
    for line in golden
        .iter()
        .flat_map(|g| g.lines())
        .filter(|l| !l.trim().is_empty())
    {
        let record: JobRecord = serde_json::from_str(line).expect("a golden record");
        let view = RecordView::from_line(line.as_bytes()).expect("a readable line");
        assert_eq!(
            RunFigures::from_view(view),
            RunFigures::from_record(&record)
        );
        seen += 1;
    }
    assert!(seen > 0);
}
