//! The GPU summary on scripted fake GPUs, run through `GpuMonitor` the way
//! the sampler drives it: idle devices, a mid-run failure, a figure the
//! driver does not support, energy differences, per-process peaks.

use super::*;
use crate::probe::gpu::fake::FakeGpu;
use crate::probe::gpu::{
    DroppedFigure, GpuDeviceSample, GpuEnergySample, GpuMonitor, GpuProcessSample,
};

const MIB: u64 = 1 << 20;

fn dev(index: u32, util: u32, used_mib: u64, procs: &[(i32, u64, Option<u32>)]) -> GpuDeviceSample {
    GpuDeviceSample {
        index,
        gpu_utilization_percent: Some(util),
        memory_utilization_percent: Some(util / 2),
        memory_used_bytes: Some(used_mib * MIB),
        memory_total_bytes: Some(16_384 * MIB),
        power_milliwatts: Some(100_000 + util * 1000),
        temperature_celsius: Some(40 + util / 10),
        sm_clock_mhz: Some(1500),
        processes: procs
            .iter()
            .map(|&(pid, mib, sm)| GpuProcessSample {
                pid,
                memory_used_bytes: Some(mib * MIB),
                sm_utilization_percent: sm,
            })
            .collect(),
    }
}

fn tick(devices: Vec<GpuDeviceSample>) -> GpuTick {
    GpuTick { devices }
}

fn energy(pairs: &[(u32, Option<u64>)]) -> Vec<GpuEnergySample> {
    pairs
        .iter()
        .map(|&(index, energy_mj)| GpuEnergySample { index, energy_mj })
        .collect()
}

/// Drive `fake` for `ticks` ticks with the job's tree `tree`, like the sampler.
fn run(fake: FakeGpu, tree: &[i32], ticks: usize) -> (GpuStatsRecord, Vec<Option<GpuSeriesPoint>>) {
    let mut monitor = GpuMonitor::from_probe(Box::new(fake));
    let mut builder = GpuStatsBuilder::new();
    let mut points = Vec::new();
    for _ in 0..ticks {
        let t = monitor.tick(tree);
        if let Some(t) = &t {
            builder.push(t);
        }
        points.push(t.as_ref().map(series_point));
    }
    (builder.finish(&monitor.finish()), points)
}

#[test]
fn idle_devices_are_marked_not_used_by_job_and_left_out_of_the_summary() {
    // Job pid 10 on GPU 0; GPU 1 runs someone else's pid 500; GPU 2 idles.
    let fake = FakeGpu::new(3)
        .then_tick(tick(vec![
            dev(0, 80, 4000, &[(10, 3000, Some(70))]),
            dev(1, 90, 8000, &[(500, 8000, Some(90))]),
            dev(2, 0, 0, &[]),
        ]))
        .then_tick(tick(vec![
            dev(0, 100, 6000, &[(10, 5000, Some(90))]),
            dev(1, 90, 8000, &[(500, 8000, Some(90))]),
            dev(2, 0, 0, &[]),
        ]));
    let (rec, points) = run(fake, &[1, 10], 2);
    let used: Vec<bool> = rec.devices.iter().map(|d| d.used_by_job).collect();
    assert_eq!(used, vec![true, false, false]);
    let nv = rec.nvidia.expect("summary");
    assert_eq!(nv.scope, "used_by_job");
    assert_eq!(nv.device_count, 1);
    assert_eq!(nv.gpu_utilization_percent, Some(90.0));
    assert_eq!(nv.gpu_utilization_max_percent, Some(100.0));
    assert_eq!(nv.memory_used_mb, Some(5000.0));
    assert_eq!(nv.memory_used_max_mb, Some(6000.0));
    assert_eq!(nv.memory_total_mb, Some(16_384.0));
    assert_eq!(rec.processes.len(), 1, "pid 500 is not the job's");
    let p = &rec.processes[0];
    assert_eq!((p.pid, p.device_index), (10, 0));
    assert_eq!(p.gpu_memory_peak_mb, Some(5000.0));
    assert_eq!(p.sm_utilization_mean_percent, Some(80.0));
    assert_eq!(p.sm_utilization_max_percent, Some(90.0));
    assert_eq!(p.samples, 2);
    assert_eq!(rec.partial, Some(false));
    assert_eq!(rec.samples_collected, Some(2));
    // The series follows GPU 0 only.
    assert_eq!(
        points[1].and_then(|p| p.gpu_utilization_percent),
        Some(100.0)
    );
    assert_eq!(points[1].and_then(|p| p.gpu_memory_used_mb), Some(6000.0));
}

#[test]
fn without_any_job_process_the_summary_covers_all_devices() {
    let fake = FakeGpu::new(2).then_tick(tick(vec![dev(0, 20, 100, &[]), dev(1, 40, 300, &[])]));
    let (rec, points) = run(fake, &[10], 3);
    let nv = rec.nvidia.expect("summary");
    assert_eq!(nv.scope, "all_devices");
    assert_eq!(nv.device_count, 2);
    assert_eq!(nv.gpu_utilization_percent, Some(30.0));
    assert_eq!(nv.memory_used_mb, Some(400.0));
    assert!(rec.devices.iter().all(|d| !d.used_by_job));
    assert_eq!(
        points[0].and_then(|p| p.gpu_utilization_percent),
        Some(30.0)
    );
}

#[test]
fn an_error_mid_run_keeps_the_figures_so_far_and_marks_partial() {
    let fake = FakeGpu::new(1)
        .then_tick(tick(vec![dev(0, 50, 1000, &[(10, 900, None)])]))
        .then_tick(tick(vec![dev(0, 70, 2000, &[(10, 1900, None)])]))
        .then_fail("gpu 0: device fell off the bus")
        .with_energy(vec![energy(&[(0, Some(1_000_000))]), energy(&[(0, None)])]);
    let (rec, points) = run(fake, &[10], 5);
    assert!(rec.available);
    assert_eq!(rec.partial, Some(true));
    assert_eq!(rec.error.as_deref(), Some("gpu 0: device fell off the bus"));
    assert_eq!(rec.samples_collected, Some(2));
    let d = &rec.devices[0];
    assert_eq!(d.gpu_utilization_mean_percent, Some(60.0));
    assert_eq!(d.memory_used_max_mb, Some(2000.0));
    assert_eq!(d.energy_joules, None, "the lost GPU has no end reading");
    assert_eq!(rec.energy_joules, None);
    assert_eq!(rec.processes[0].gpu_memory_peak_mb, Some(1900.0));
    assert_eq!(points.iter().filter(|p| p.is_some()).count(), 2);
    let json = serde_json::to_value(&rec).expect("json");
    assert_eq!(json["partial"], true);
}

#[test]
fn an_unsupported_figure_drops_alone() {
    // MIG: power and utilisation are not supported; memory still is.
    let mut sample = dev(0, 0, 2048, &[(10, 2000, None)]);
    sample.power_milliwatts = None;
    sample.gpu_utilization_percent = None;
    let fake = FakeGpu::new(1)
        .then_tick(tick(vec![sample]))
        .with_dropped(vec![
            DroppedFigure {
                index: 0,
                figure: "power_watts",
                reason: "the requested operation is not available on the target device".into(),
            },
            DroppedFigure {
                index: 0,
                figure: "gpu_utilization_percent",
                reason: "the requested operation is not available on the target device".into(),
            },
        ]);
    let (rec, points) = run(fake, &[10], 2);
    let d = &rec.devices[0];
    assert_eq!(d.power_mean_watts, None);
    assert_eq!(d.gpu_utilization_mean_percent, None);
    assert_eq!(d.memory_used_mean_mb, Some(2048.0));
    assert_eq!(d.temperature_max_celsius, Some(40.0));
    assert_eq!(d.figures_unavailable.len(), 2);
    assert!(d.figures_unavailable[0].starts_with("power_watts: "));
    assert_eq!(rec.power_mean_watts, None);
    let nv = rec.nvidia.expect("summary");
    assert_eq!(nv.gpu_utilization_percent, None);
    assert_eq!(nv.memory_used_mb, Some(2048.0));
    assert_eq!(points[0].and_then(|p| p.gpu_utilization_percent), None);
    assert_eq!(points[0].and_then(|p| p.gpu_memory_used_mb), Some(2048.0));
}

#[test]
fn energy_is_end_minus_start_per_device_and_in_total() {
    let fake = FakeGpu::new(3)
        .then_tick(tick(vec![
            dev(0, 10, 1, &[]),
            dev(1, 10, 1, &[]),
            dev(2, 10, 1, &[]),
        ]))
        .with_energy(vec![
            energy(&[(0, Some(10_000)), (1, Some(500_000)), (2, Some(9_000))]),
            // Device 2's counter went backwards (driver reload): no figure.
            energy(&[(0, Some(70_500)), (1, Some(800_000)), (2, Some(10))]),
        ]);
    let (rec, _) = run(fake, &[], 4);
    let joules: Vec<Option<f64>> = rec.devices.iter().map(|d| d.energy_joules).collect();
    assert_eq!(joules, vec![Some(60.5), Some(300.0), None]);
    assert_eq!(rec.energy_joules, Some(360.5));
    // 110 W on each device, three devices.
    assert_eq!(rec.power_mean_watts, Some(330.0));
}

#[test]
fn unavailable_is_exactly_available_false_and_the_reason() {
    let mut monitor = GpuMonitor::disabled();
    assert!(monitor.tick(&[]).is_none());
    let rec = GpuStatsBuilder::new().finish(&monitor.finish());
    let json = serde_json::to_string(&rec).expect("json");
    assert_eq!(
        json,
        r#"{"available":false,"reason":"disabled by --no-gpu"}"#
    );
}

#[test]
fn the_seed_field_names_are_kept() {
    let fake = FakeGpu::new(1).then_tick(tick(vec![dev(0, 85, 5832, &[(7, 5000, Some(80))])]));
    let (rec, _) = run(fake, &[7], 1);
    let json = serde_json::to_value(&rec).expect("json");
    let nv = &json["nvidia"];
    for key in [
        "gpu_utilization_percent",
        "memory_utilization_percent",
        "memory_used_mb",
        "memory_total_mb",
        "temperature_celsius",
    ] {
        assert!(nv[key].is_number(), "{key}: {nv}");
    }
    assert_eq!(nv["gpu_utilization_percent"], 85.0);
    assert_eq!(json["devices"][0]["name"], "Fake GPU 0");
    assert_eq!(json["devices"][0]["used_by_job"], true);
}

#[test]
fn series_points_merge_and_become_columns() {
    let a = GpuSeriesPoint {
        gpu_utilization_percent: Some(100.0),
        gpu_memory_used_mb: Some(10.0),
    };
    let b = GpuSeriesPoint {
        gpu_utilization_percent: Some(40.0),
        gpu_memory_used_mb: Some(30.0),
    };
    let m = a.merge(1.0, b, 2.0);
    assert_eq!(m.gpu_utilization_percent, Some(60.0));
    assert_eq!(m.gpu_memory_used_mb, Some(30.0));
    let none = GpuSeriesPoint::default();
    assert_eq!(none.merge(1.0, b, 1.0), b);
    let cols = series_columns(&[Some(m), None, Some(a)]);
    assert_eq!(
        cols.gpu_utilization_percent,
        vec![Some(60.0), None, Some(100.0)]
    );
    assert_eq!(cols.gpu_memory_used_mb, vec![Some(30.0), None, Some(10.0)]);
}

#[test]
fn power_is_summed_over_the_jobs_devices_or_all_when_it_has_none() {
    // dev() draws 100 W + 1 W per utilisation percent.
    let busy = tick(vec![
        dev(0, 20, 100, &[(7, 50, None)]),
        dev(1, 40, 100, &[]),
    ]);
    assert_eq!(power_watts(&busy), Some(120.0));
    let idle = tick(vec![dev(0, 20, 100, &[]), dev(1, 40, 100, &[])]);
    assert_eq!(power_watts(&idle), Some(260.0));
    let mut unsupported = dev(0, 20, 100, &[]);
    unsupported.power_milliwatts = None;
    assert_eq!(power_watts(&tick(vec![unsupported])), None);
    assert_eq!(power_watts(&tick(vec![])), None);
}

#[test]
fn energy_is_the_trapezoid_of_the_power_and_skips_gaps() {
    let mut e = EnergyIntegral::default();
    assert_eq!(e.push(0.0, None), None, "nothing before a first reading");
    assert_eq!(e.push(0.5, Some(100.0)), Some(0.0));
    assert_eq!(e.push(1.0, Some(200.0)), Some(75.0));
    // A tick without a reading: the intervals on both sides are left out.
    assert_eq!(e.push(1.5, None), Some(75.0));
    assert_eq!(e.push(2.0, Some(400.0)), Some(75.0));
    assert_eq!(e.push(3.0, Some(400.0)), Some(475.0));
    // A clock that did not move adds nothing (and the total never drops).
    assert_eq!(e.push(3.0, Some(1000.0)), Some(475.0));
}
