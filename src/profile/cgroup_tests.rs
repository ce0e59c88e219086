//! The cgroup block and `container_stats` from hand-built samples.

use super::*;
use crate::sample::cgroup::{CgroupSample, CpuQuota, IoBytes, MemoryLimit, NetBytes};

#[test]
fn v1_leaf_record_names_its_peak_source() {
    let run = CgroupRun {
        backend: Some(CgroupBackend::V1),
        leaf: Some("/sys/fs/cgroup/memory/x/profrun-1-0".into()),
        note: Some("cgroup2: memory controller not available".into()),
        end: Some(CgroupSample {
            cpu_usage_usec: Some(2_500_000),
            cpu_user_usec: Some(2_000_000),
            cpu_system_usec: Some(500_000),
            memory_current_bytes: Some(0),
            memory_peak_bytes: Some(512 << 20),
            io: Some(IoBytes {
                read_bytes: 1,
                write_bytes: 2,
            }),
            oom_kills: Some(0),
        }),
        sampled_peak_bytes: Some(100 << 20),
        left_in_place: None,
    };
    let rec = cgroup_record(&run);
    assert_eq!(rec.backend, "cgroup1");
    assert_eq!(rec.cpu_total_seconds, Some(2.5));
    assert_eq!(rec.cpu_system_seconds, Some(0.5));
    assert_eq!(
        rec.memory_peak_mb,
        Some(512.0),
        "the kernel's peak wins over samples"
    );
    assert_eq!(
        rec.memory_peak_source.as_deref(),
        Some("memory.max_usage_in_bytes (page cache included)")
    );
    assert_eq!((rec.read_bytes, rec.write_bytes), (Some(1), Some(2)));
    assert_eq!(rec.oom_kills, Some(0));
}

#[test]
fn without_a_kernel_peak_the_sampled_maximum_is_used_and_said() {
    let run = CgroupRun {
        backend: Some(CgroupBackend::V2),
        end: Some(CgroupSample {
            cpu_usage_usec: Some(1),
            ..CgroupSample::default()
        }),
        sampled_peak_bytes: Some(3 << 20),
        left_in_place: Some("cgroup leaf '/x' left in place: processes 7 still in it".into()),
        ..CgroupRun::default()
    };
    let rec = cgroup_record(&run);
    assert_eq!(rec.memory_peak_mb, Some(3.0));
    assert_eq!(
        rec.memory_peak_source.as_deref(),
        Some("memory.current (sampled)")
    );
    assert!(rec.left_in_place.expect("named").contains("/x"));
    let none = cgroup_record(&CgroupRun::default());
    assert_eq!(none.backend, "none");
    assert_eq!(none.cpu_total_seconds, None);
}

fn info(quota: CpuQuota, limit: MemoryLimit) -> ContainerInfo {
    ContainerInfo {
        kind: "docker".into(),
        cgroup_version: 2,
        cgroup_path: "/system.slice/docker-abc.scope".into(),
        cpu_quota: quota,
        memory_limit: limit,
    }
}

fn sample(cpu_s: f64, mem: u64, io: (u64, u64), net: (u64, u64)) -> ContainerSample {
    ContainerSample {
        cpu_usage_usec: Some((cpu_s * 1e6) as u64),
        memory_usage_bytes: Some(mem),
        block: Some(IoBytes {
            read_bytes: io.0,
            write_bytes: io.1,
        }),
        net: Some(NetBytes {
            rx_bytes: net.0,
            tx_bytes: net.1,
        }),
    }
}

#[test]
fn container_stats_read_like_docker_stats() {
    let mut b = ContainerStatsBuilder::new();
    b.push(0.0, sample(100.0, 1 << 30, (1_000, 0), (5_000, 10_000)));
    b.push(5.0, sample(101.0, 5 << 29, (0, 0), (0, 0))); // 2.5 GiB at its peak
    b.push(
        10.0,
        sample(
            104.5,
            1 << 30,
            (128_001_000, 64_000_000),
            (1_205_000, 860_000),
        ),
    );
    let limited = info(
        CpuQuota::Limited {
            quota_us: 150_000,
            period_us: 100_000,
        },
        MemoryLimit::Bytes(16 << 30),
    );
    let rec = b.finish(&limited);
    assert!(rec.available);
    assert_eq!(rec.cpu_percent.as_deref(), Some("45.00"), "4.5 s over 10 s");
    assert_eq!(rec.cpu_usage_seconds, Some(4.5));
    assert_eq!(rec.cpu_limit.as_deref(), Some("1.5 cpus"));
    assert_eq!(rec.memory_usage.as_deref(), Some("2.5GiB / 16GiB"));
    assert_eq!(rec.memory_percent.as_deref(), Some("15.62"));
    assert_eq!(rec.memory_used_bytes, Some(5 << 29));
    assert_eq!(rec.block_io.as_deref(), Some("128MB / 64MB"));
    assert_eq!(rec.net_io.as_deref(), Some("1.2MB / 850kB"));
    assert_eq!(rec.net_rx_bytes, Some(1_200_000));

    let rec = b.finish(&info(CpuQuota::Unlimited, MemoryLimit::Unlimited));
    assert_eq!(rec.cpu_limit.as_deref(), Some("unlimited"));
    assert_eq!(rec.memory_usage.as_deref(), Some("2.5GiB / unlimited"));
    assert_eq!(rec.memory_percent, None);
    assert_eq!(rec.memory_limit_bytes, None);
}

#[test]
fn one_sample_gives_no_rate_and_none_gives_a_reason() {
    let mut b = ContainerStatsBuilder::new();
    let i = info(CpuQuota::Unlimited, MemoryLimit::Unlimited);
    assert_eq!(
        b.finish(&i).reason.as_deref(),
        Some("no container sample taken")
    );
    b.push(1.0, sample(1.0, 10, (0, 0), (0, 0)));
    let rec = b.finish(&i);
    assert_eq!(rec.cpu_percent, None);
    assert_eq!(rec.cpu_usage_seconds, Some(0.0));
    assert_eq!(rec.memory_usage.as_deref(), Some("10B / unlimited"));
    let json = serde_json::to_string(&ContainerStatsRecord::unavailable("not in a container"))
        .expect("json");
    assert_eq!(json, r#"{"available":false,"reason":"not in a container"}"#);
}

#[test]
fn docker_size_formats() {
    assert_eq!(binary_size(0), "0B");
    assert_eq!(binary_size(1023), "1023B");
    assert_eq!(binary_size(1536), "1.5KiB");
    assert_eq!(binary_size(16 << 30), "16GiB");
    assert_eq!(binary_size(1_288_490_189), "1.2GiB");
    assert_eq!(decimal_size(999), "999B");
    assert_eq!(decimal_size(850_000), "850kB");
    assert_eq!(decimal_size(1_234_567), "1.23MB");
    assert_eq!(sig(2.0, 4), "2");
    assert_eq!(sig(0.5, 4), "0.5");
    assert_eq!(sig(0.001234, 2), "0.0012");
    assert_eq!(sig(-12.34, 3), "-12.3");
}

#[test]
fn decimal_exponent_matches_log10_floor() {
    for a in [
        1e-22, 0.000999, 0.001, 0.5, 0.1, 1.0, 9.999, 10.0, 123.0, 1e15, 1e22, 9.9e22,
    ] {
        assert_eq!(decimal_exponent(a), a.log10().floor() as i32, "{a}");
    }
}
