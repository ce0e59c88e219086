//! Tests of the host accumulator on hand-built samples.

use super::*;
use crate::sample::{MemorySample, PressureLine};

fn cpu(busy: u64, idle: u64, iowait: u64) -> CpuTimes {
    CpuTimes {
        user: busy,
        idle,
        iowait,
        ..Default::default()
    }
}

fn dev(name: &str, i: u64, o: u64) -> DeviceBytes {
    DeviceBytes {
        name: name.to_string(),
        in_bytes: i,
        out_bytes: o,
    }
}

fn host(busy: u64, idle: u64, used_mb: u64, net: u64, stall_us: u64) -> HostSample {
    let t = stall_us as f64 / 100_000.0;
    HostSample {
        cpu: cpu(busy * 2, idle * 2, 0),
        per_core: vec![cpu(busy, idle, 0), cpu(busy, idle, 0)],
        memory: MemorySample {
            total_kb: 4 << 20,
            available_kb: (4 << 20) - used_mb * 1024,
            ..Default::default()
        },
        devices: Some(DevicesSample {
            net: vec![dev("lo", net * 10, net * 10), dev("eth0", net, 2 * net)],
            disks: vec![dev("vda", net, net)],
            read_at_seconds: t,
        }),
        pressure: Some(PressureSet {
            cpu: Some(PressureSample {
                some: PressureLine {
                    avg10: stall_us as f64 / 1e5,
                    total_us: stall_us,
                },
                full: None,
            }),
            memory: None,
            io: None,
            read_at_seconds: t,
        }),
        load: Some([busy as f64 / 100.0, 0.5, 0.25]),
    }
}

#[test]
fn busy_percent_handles_idle_and_backwards_counters() {
    assert_eq!(busy_percent(&cpu(0, 0, 0), &cpu(30, 60, 10)), Some(30.0));
    assert_eq!(busy_percent(&cpu(30, 60, 10), &cpu(30, 60, 10)), None);
    assert_eq!(busy_percent(&cpu(30, 60, 10), &cpu(20, 60, 10)), None);
}

#[test]
fn host_figures_over_three_samples() {
    let mut acc = HostAccumulator::default();
    let p0 = acc.push(0.0, host(0, 0, 100, 0, 0));
    assert_eq!(p0.cpu_percent, None);
    assert_eq!(p0.memory_used_bytes, 100 * 1024 * 1024);
    // 1 s: 25 % busy, 1000 B/s in on eth0; 1 s: 75 % busy.
    let p1 = acc.push(1.0, host(25, 75, 300, 1000, 100_000));
    assert_eq!(p1.cpu_percent, Some(25.0));
    acc.push(2.0, host(100, 100, 200, 1500, 200_000));

    let c = acc.cpu().expect("cpu");
    assert_eq!(
        (c.mean_percent, c.min_percent, c.max_percent),
        (50.0, 25.0, 75.0)
    );
    assert_eq!(c.per_core_mean_percent, vec![50.0, 50.0]);
    assert_eq!(c.iowait_mean_percent, 0.0);

    let m = acc.memory().expect("memory");
    assert_eq!(
        (m.min_used_mb, m.mean_used_mb, m.max_used_mb),
        (100.0, 200.0, 300.0)
    );
    assert_eq!(m.total_mb, 4096.0);

    let n = acc.network().expect("network");
    // Loopback moved 15 000 bytes each way and is not in the totals.
    assert_eq!((n.rx_bytes, n.tx_bytes), (1500, 3000));
    assert_eq!(n.max_rx_bytes_per_second, 1000.0);
    assert_eq!(n.interfaces.len(), 2);

    let d = acc.disk().expect("disk");
    assert_eq!((d.read_bytes, d.write_bytes), (1500, 1500));

    let p = acc.pressure().expect("pressure");
    let cpu_p = p.cpu.expect("cpu pressure");
    assert_eq!(cpu_p.some_percent, 10.0); // 0.2 s stalled over 2 s
    assert_eq!(cpu_p.full_percent, None);
    assert_eq!(cpu_p.max_some_avg10_percent, 2.0);
    assert!(p.memory.is_none() && p.io.is_none());

    let l = acc.load_average().expect("load");
    assert_eq!((l.min_1m, l.max_1m, l.last_5m), (0.0, 1.0, 0.5));
}

#[test]
fn a_single_sample_has_memory_but_no_rates() {
    let mut acc = HostAccumulator::default();
    acc.push(0.0, host(10, 10, 100, 0, 0));
    assert!(acc.cpu().is_none());
    assert!(acc.memory().is_some());
    assert_eq!(acc.network().map(|n| n.rx_bytes), Some(0));
}

#[test]
fn slow_parts_read_less_often_give_rates_over_their_own_interval() {
    let mut acc = HostAccumulator::default();
    acc.push(0.0, host(0, 0, 100, 0, 0));
    // A tick without a device read, then a read 2 s after the first.
    let mut between = host(10, 10, 100, 999_999, 0);
    between.devices = None;
    between.pressure = None;
    between.load = None;
    acc.push(0.5, between);
    acc.push(2.0, host(20, 20, 100, 4000, 200_000));
    let n = acc.network().expect("network");
    assert_eq!(n.rx_bytes, 4000);
    assert_eq!(
        n.max_rx_bytes_per_second, 2000.0,
        "4000 B over 2 s, not 0.5 s"
    );
    assert_eq!(acc.load_average().map(|l| l.mean_1m), Some(0.1));
}
