//! `GpuMonitor` with the fake probe: tree filtering, energy at start and
//! end, a failure mid-run, and the absent states.

use super::fake::FakeGpu;
use super::*;

fn device(index: u32, pids: &[i32]) -> GpuDeviceSample {
    GpuDeviceSample {
        index,
        gpu_utilization_percent: Some(10),
        processes: pids
            .iter()
            .map(|&pid| GpuProcessSample {
                pid,
                memory_used_bytes: Some(1 << 20),
                sm_utilization_percent: None,
            })
            .collect(),
        ..GpuDeviceSample::default()
    }
}

fn energy(index: u32, mj: u64) -> GpuEnergySample {
    GpuEnergySample {
        index,
        energy_mj: Some(mj),
    }
}

#[test]
fn reports_only_the_tree_and_reads_energy_at_both_ends() {
    let fake = FakeGpu::new(2)
        .then_tick(GpuTick {
            devices: vec![device(0, &[10, 99]), device(1, &[98])],
        })
        .with_energy(vec![
            vec![energy(0, 5_000), energy(1, 7_000)],
            vec![energy(0, 9_000), energy(1, 8_000)],
        ]);
    let mut monitor = GpuMonitor::from_probe(Box::new(fake));
    let tick = monitor.tick(&[10, 11]).expect("tick");
    let pids: Vec<Vec<i32>> = tick
        .devices
        .iter()
        .map(|d| d.processes.iter().map(|p| p.pid).collect())
        .collect();
    assert_eq!(
        pids,
        vec![vec![10], vec![]],
        "pids 99 and 98 are not the job's"
    );
    assert!(monitor.tick(&[10]).is_some(), "last step repeats");
    let end = monitor.finish();
    assert_eq!(end.backend, "fake");
    assert_eq!(end.unavailable, None);
    assert_eq!(end.devices.len(), 2);
    assert_eq!(end.energy_start, vec![energy(0, 5_000), energy(1, 7_000)]);
    assert_eq!(end.energy_end, vec![energy(0, 9_000), energy(1, 8_000)]);
    assert_eq!(end.error, None);
}

#[test]
fn a_failure_mid_run_stops_sampling_and_is_kept() {
    let fake = FakeGpu::new(1)
        .then_tick(GpuTick {
            devices: vec![device(0, &[])],
        })
        .then_fail("gpu 0: device fell off the bus")
        .then_tick(GpuTick {
            devices: vec![device(0, &[])],
        });
    let mut monitor = GpuMonitor::from_probe(Box::new(fake));
    assert!(monitor.tick(&[]).is_some());
    assert!(monitor.tick(&[]).is_none());
    assert!(monitor.tick(&[]).is_none(), "no sampling after the failure");
    let end = monitor.finish();
    assert_eq!(end.error.as_deref(), Some("gpu 0: device fell off the bus"));
    assert_eq!(end.devices.len(), 1, "devices are kept for the record");
}

#[test]
fn absent_gpus_give_a_reason() {
    let mut none = GpuMonitor::from_probe(Box::new(NoGpu(GpuAbsence::NoDevices)));
    assert!(none.tick(&[1]).is_none());
    assert_eq!(
        none.finish().unavailable.as_deref(),
        Some("no NVIDIA GPU found")
    );
    let mut off = GpuMonitor::disabled();
    assert!(off.tick(&[1]).is_none());
    let end = off.finish();
    assert_eq!(end.unavailable.as_deref(), Some("disabled by --no-gpu"));
    assert!(end.devices.is_empty());
}

#[test]
fn nvml_initialises_off_thread_and_finishes_either_way() {
    let mut monitor = GpuMonitor::start_nvml();
    let _ = monitor.tick(&[]); // never blocks, whatever the init's state
    let end = monitor.finish();
    match &end.unavailable {
        Some(reason) => {
            eprintln!("no NVML here: {reason}");
            assert!(end.devices.is_empty());
            assert!(!reason.is_empty());
        }
        None => {
            assert_eq!(end.backend, "nvml");
            assert!(!end.devices.is_empty());
        }
    }
}

#[test]
fn only_a_monitor_that_can_still_read_asks_for_ticks() {
    assert!(!GpuMonitor::disabled().is_active());
    assert!(!GpuMonitor::from_probe(Box::new(NoGpu(GpuAbsence::NoDevices))).is_active());
    let mut gpu = GpuMonitor::from_probe(Box::new(
        FakeGpu::new(1)
            .then_tick(GpuTick {
                devices: vec![device(0, &[1])],
            })
            .then_fail("GPU is lost"),
    ));
    assert!(gpu.is_active());
    assert!(gpu.tick(&[1]).is_some());
    assert!(gpu.tick(&[1]).is_none()); // the failure stops it
    assert!(!gpu.is_active());
}
