//! Host parsers on fixture files captured from a Linux 6.18 VM (some
//! values edited so that every field differs), and the probe on a fake root.

use super::*;
use crate::sample::{CpuTimes, DeviceBytes};

const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/proc");

fn fixture(rel: &str) -> Vec<u8> {
    std::fs::read(format!("{FIXTURES}/{rel}")).expect("fixture file")
}

fn dev(name: &str, i: u64, o: u64) -> DeviceBytes {
    DeviceBytes {
        name: name.to_string(),
        in_bytes: i,
        out_bytes: o,
    }
}

#[test]
fn parses_total_and_per_core_cpu() {
    let (total, cores) = parse_stat(&fixture("stat")).expect("stat");
    assert_eq!(
        total,
        CpuTimes {
            user: 17929,
            nice: 120,
            system: 2543,
            idle: 84715,
            iowait: 484,
            irq: 10,
            softirq: 43,
            steal: 13,
        }
    );
    assert_eq!(cores.len(), 2);
    assert_eq!(
        (cores[1].user, cores[1].idle, cores[1].steal),
        (9488, 41931, 7)
    );
    assert_eq!(parse_stat(b"intr 1 2\n"), None);
}

#[test]
fn parses_meminfo() {
    let m = parse_meminfo(&fixture("meminfo")).expect("meminfo");
    assert_eq!(
        (
            m.total_kb,
            m.free_kb,
            m.available_kb,
            m.buffers_kb,
            m.cached_kb
        ),
        (24_683_776, 20_286_004, 24_265_040, 120_012, 4_030_160)
    );
    assert_eq!((m.swap_total_kb, m.swap_free_kb), (2_097_148, 1_048_572));
    assert_eq!(m.used_kb(), 24_683_776 - 24_265_040);
    assert_eq!(m.swap_used_kb(), 1_048_576);
    assert_eq!(parse_meminfo(b"MemFree: 1 kB\n"), None);
}

#[test]
fn parses_every_interface_including_one_without_a_space() {
    assert_eq!(
        parse_net_dev(&fixture("net/dev")),
        vec![
            dev("lo", 3193, 3193),
            dev("ifb0", 0, 0),
            dev("eth0", 56_500_210, 303_111),
            dev("docker0", 1000, 2000),
        ]
    );
}

#[test]
fn keeps_whole_disks_only() {
    assert_eq!(
        parse_diskstats(&fixture("diskstats")),
        vec![
            dev("vda", 1_416_378 * 512, 8_172_992 * 512),
            dev("nvme0n1", 2000 * 512, 1000 * 512),
            dev("mmcblk0", 64 * 512, 32 * 512),
            dev("sda", 8 * 512, 8 * 512),
        ]
    );
    assert!(!is_partition_of("nvme0n10", "nvme0n1"));
    assert!(is_partition_of("nvme0n1p10", "nvme0n1"));
    assert!(!is_partition_of("sdaa", "sda"));
}

#[test]
fn parses_load_and_pressure() {
    assert_eq!(parse_loadavg(&fixture("loadavg")), Some([0.32, 0.30, 0.15]));
    assert_eq!(parse_loadavg(b"0.1 x"), None);
    let cpu = parse_pressure(&fixture("pressure/cpu")).expect("cpu");
    assert_eq!((cpu.some.avg10, cpu.some.total_us), (0.08, 12_572_942));
    let mem = parse_pressure(&fixture("pressure/memory")).expect("memory");
    let full = mem.full.expect("full line");
    assert_eq!((full.avg10, full.total_us), (0.75, 1500));
    // Old kernels have no `full` line for cpu.
    let old = parse_pressure(b"some avg10=1.00 avg60=0.00 avg300=0.00 total=5\n").expect("some");
    assert_eq!((old.some.total_us, old.full), (5, None));
}

#[test]
fn probe_reads_a_fixture_root() {
    let mut probe = ProcHostProbe::new(&ProcRoot(FIXTURES.into()));
    let h = probe.sample(0.0, true).expect("host sample");
    assert_eq!(h.per_core.len(), 2);
    assert_eq!(h.memory.total_kb, 24_683_776);
    let devices = h.devices.expect("devices read on a fresh sample");
    assert_eq!(devices.net.len(), 4);
    assert_eq!(devices.disks.len(), 4);
    assert_eq!(h.load, Some([0.32, 0.30, 0.15]));
    let pressure = h.pressure.expect("pressure read on a fresh sample");
    assert_eq!(pressure.io.map(|p| p.some.total_us), Some(42));
}

#[test]
fn probe_without_pressure_or_net_still_samples() {
    let dir = tempfile::tempdir().expect("tempdir");
    for f in ["stat", "meminfo"] {
        std::fs::copy(format!("{FIXTURES}/{f}"), dir.path().join(f)).expect("copy");
    }
    let mut probe = ProcHostProbe::new(&ProcRoot(dir.path().into()));
    let h = probe.sample(0.0, true).expect("host sample");
    let devices = h.devices.expect("devices");
    assert!(devices.net.is_empty() && devices.disks.is_empty() && h.load.is_none());
    assert_eq!(h.pressure.and_then(|p| p.cpu), None);
    let mut none = ProcHostProbe::new(&ProcRoot("/nonexistent-proc".into()));
    assert_eq!(none.sample(0.0, true), None);
}

#[test]
fn slow_parts_are_read_only_as_often_as_they_change() {
    let mut probe = ProcHostProbe::new(&ProcRoot(FIXTURES.into()));
    let first = probe.sample(0.0, true).expect("sample");
    assert!(first.devices.is_some() && first.pressure.is_some() && first.load.is_some());
    let early = probe.sample(1.0, false).expect("sample");
    assert!(early.devices.is_none() && early.pressure.is_none() && early.load.is_none());
    let two = probe.sample(2.0, false).expect("sample");
    assert_eq!(two.devices.map(|d| d.read_at_seconds), Some(2.0));
    assert_eq!(two.pressure.map(|p| p.read_at_seconds), Some(2.0));
    assert!(two.load.is_none(), "load average: every 5 s");
    assert!(probe.sample(5.0, false).expect("sample").load.is_some());
    // The final sample is always complete.
    let last = probe.sample(5.5, true).expect("sample");
    assert!(last.devices.is_some() && last.pressure.is_some() && last.load.is_some());
}
