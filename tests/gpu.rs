//! The GPU block end to end through the public API: NVML started off the
//! spawn path, ticked like the sampler does, finished into `gpu_stats`.
//! Where the machine has no NVIDIA driver (this one), the block must be
//! `{"available": false, "reason": ...}` naming the missing library; where
//! it has one, it must list the devices.

use std::time::Instant;

use profrun::probe::gpu::nvml::NvmlProbe;
use profrun::probe::gpu::{GpuAbsence, GpuMonitor};
use profrun::profile::gpu::{series_point, GpuStatsBuilder};

#[test]
fn gpu_stats_say_why_nvml_is_missing_or_list_the_devices() {
    let started = Instant::now();
    let mut monitor = GpuMonitor::start_nvml();
    let start_cost = started.elapsed();
    let mut builder = GpuStatsBuilder::new();
    let tree = [std::process::id() as i32];
    for _ in 0..3 {
        if let Some(tick) = monitor.tick(&tree) {
            let _ = series_point(&tick);
            builder.push(&tick);
        }
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
    let record = builder.finish(&monitor.finish());
    let json = serde_json::to_value(&record).expect("json");
    eprintln!("start_nvml returned in {start_cost:?}; gpu_stats = {json}");

    match NvmlProbe::open() {
        Err(GpuAbsence::LibraryMissing(_)) => {
            assert_eq!(json["available"], false);
            let reason = json["reason"].as_str().expect("reason");
            assert!(reason.contains("libnvidia-ml.so.1"), "{reason}");
            assert!(reason.contains("not found"), "{reason}");
            assert_eq!(json.as_object().map(|o| o.len()), Some(2), "{json}");
        }
        Err(other) => {
            assert_eq!(json["available"], false);
            assert_eq!(json["reason"], other.reason());
        }
        Ok(_) => {
            assert_eq!(json["available"], true);
            assert_eq!(json["backend"], "nvml");
            assert!(json["devices"].as_array().is_some_and(|d| !d.is_empty()));
        }
    }
}
