//! Fixture tests for every cgroup file format profrun reads, v1 and v2. The
//! texts are copied from real kernels (6.x hybrid and pure-v2 hosts, a
//! Docker container) with values changed.

use super::*;

#[test]
fn proc_cgroup_hybrid_and_pure_v2() {
    let hybrid = "9:name=systemd:/\n4:memory:/process_api/4e21\n2:cpu,cpuacct:/\n0::/\n";
    let lines = proc_cgroup(hybrid);
    assert_eq!(lines.len(), 4);
    assert_eq!(lines[1].controllers, vec!["memory"]);
    assert_eq!(lines[1].path, "/process_api/4e21");
    assert_eq!(lines[2].controllers, vec!["cpu", "cpuacct"]);
    assert_eq!(lines[3].hierarchy_id, 0);
    assert!(lines[3].controllers.is_empty());
    // A path may itself contain ':' (systemd escapes nothing there).
    let v2 = proc_cgroup("0::/user.slice/a:b.scope\n");
    assert_eq!(v2[0].path, "/user.slice/a:b.scope");
    assert!(proc_cgroup("garbage\n\n").is_empty());
}

#[test]
fn mountinfo_finds_v1_and_v2_mounts_with_their_roots() {
    let text = "\
31 23 0:28 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755
32 31 0:29 / /sys/fs/cgroup/cpu,cpuacct rw,relatime shared:9 - cgroup cgroup rw,cpu,cpuacct
35 31 0:32 /docker/abc /sys/fs/cgroup/memory ro,relatime master:1 - cgroup cgroup rw,memory
41 31 0:38 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw,nsdelegate
50 23 0:40 / /mnt/with\\040space rw - cgroup2 none rw
";
    let mounts = mountinfo(text);
    assert_eq!(mounts.len(), 4, "{mounts:?}");
    assert_eq!(
        mounts[0].mount_point,
        PathBuf::from("/sys/fs/cgroup/cpu,cpuacct")
    );
    match &mounts[0].kind {
        MountKind::V1(opts) => assert!(opts.iter().any(|o| o == "cpuacct")),
        other => panic!("expected v1, got {other:?}"),
    }
    assert_eq!(mounts[1].root, "/docker/abc");
    assert_eq!(mounts[2].kind, MountKind::V2);
    assert_eq!(mounts[3].mount_point, PathBuf::from("/mnt/with space"));
}

#[test]
fn v2_cpu_stat() {
    let text = "usage_usec 114091587\nuser_usec 98021492\nsystem_usec 16070094\n\
                nr_periods 0\nnr_throttled 0\nthrottled_usec 0\n";
    assert_eq!(keyed(text, "usage_usec"), Some(114_091_587));
    assert_eq!(keyed(text, "user_usec"), Some(98_021_492));
    assert_eq!(keyed(text, "system_usec"), Some(16_070_094));
    assert_eq!(keyed(text, "nice_usec"), None);
}

#[test]
fn v2_memory_events_and_v1_oom_control() {
    let events = "low 0\nhigh 0\nmax 12\noom 2\noom_kill 1\noom_group_kill 0\n";
    assert_eq!(keyed(events, "oom_kill"), Some(1));
    assert_eq!(keyed(events, "oom"), Some(2));
    let oom_control = "oom_kill_disable 0\nunder_oom 0\noom_kill 3\n";
    assert_eq!(keyed(oom_control, "oom_kill"), Some(3));
    // Kernels before 4.13 have no oom_kill line: no figure, not zero.
    assert_eq!(keyed("oom_kill_disable 0\nunder_oom 0\n", "oom_kill"), None);
}

#[test]
fn single_value_files() {
    // v2 memory.peak / memory.current, v1 memory.max_usage_in_bytes,
    // cpuacct.usage (ns), cpuacct.usage_user.
    assert_eq!(single("8986624\n"), Some(8_986_624));
    assert_eq!(single("179363276893\n"), Some(179_363_276_893));
    assert_eq!(single("max\n"), None);
    assert_eq!(single(""), None);
}

#[test]
fn memory_and_v1_stat_files() {
    let v2 = "anon 1503232\nfile 3791400960\ninactive_file 2826620928\nactive_file 964780032\n";
    assert_eq!(keyed(v2, "inactive_file"), Some(2_826_620_928));
    let v1 = "cache 94208\nrss 1933312\ninactive_file 4096\nhierarchical_memory_limit 9223372036854771712\n\
              total_inactive_file 8192\n";
    assert_eq!(keyed(v1, "total_inactive_file"), Some(8192));
    assert_eq!(
        memory_limit_v1(keyed(v1, "hierarchical_memory_limit").expect("present")),
        MemoryLimit::Unlimited
    );
    // cpuacct.stat is in USER_HZ ticks.
    assert_eq!(keyed("user 18079\nsystem 2618\n", "system"), Some(2618));
}

#[test]
fn memory_limits_v1_and_v2() {
    assert_eq!(memory_limit_v2("max\n"), Some(MemoryLimit::Unlimited));
    assert_eq!(
        memory_limit_v2("17179869184\n"),
        Some(MemoryLimit::Bytes(17_179_869_184))
    );
    assert_eq!(memory_limit_v2("lots"), None);
    assert_eq!(
        memory_limit_v1(9_223_372_036_854_771_712),
        MemoryLimit::Unlimited
    );
    assert_eq!(memory_limit_v1(1 << 30), MemoryLimit::Bytes(1 << 30));
    let a = MemoryLimit::Bytes(100);
    assert_eq!(a.min(MemoryLimit::Unlimited), a);
    assert_eq!(MemoryLimit::Unlimited.min(a), a);
    assert_eq!(a.min(MemoryLimit::Bytes(50)), MemoryLimit::Bytes(50));
}

#[test]
fn cpu_quotas_v1_and_v2() {
    assert_eq!(cpu_max_v2("max 100000\n"), Some(CpuQuota::Unlimited));
    let q = cpu_max_v2("150000 100000\n").expect("parses");
    assert_eq!(q.cores(), Some(1.5));
    // An old kernel may print the quota alone; the period defaults to 100 ms.
    assert_eq!(cpu_max_v2("200000").and_then(CpuQuota::cores), Some(2.0));
    assert_eq!(cpu_max_v2(""), None);
    assert_eq!(cpu_quota_v1("-1\n", "100000\n"), Some(CpuQuota::Unlimited));
    assert_eq!(
        cpu_quota_v1("50000\n", "100000\n").and_then(CpuQuota::cores),
        Some(0.5)
    );
    assert_eq!(cpu_quota_v1("x", "100000"), None);
    let two = CpuQuota::Limited {
        quota_us: 200_000,
        period_us: 100_000,
    };
    let half = CpuQuota::Limited {
        quota_us: 50_000,
        period_us: 100_000,
    };
    assert_eq!(two.min(half), half);
    assert_eq!(CpuQuota::Unlimited.min(two), two);
    assert_eq!(
        CpuQuota::Unlimited.min(CpuQuota::Unlimited),
        CpuQuota::Unlimited
    );
}

#[test]
fn v2_io_stat_sums_devices() {
    let text = "8:0 rbytes=1048576 wbytes=4096 rios=10 wios=1 dbytes=0 dios=0\n\
                259:0 rbytes=100 wbytes=200 rios=1 wios=1 dbytes=512 dios=1\n";
    assert_eq!(
        io_stat_v2(text),
        IoBytes {
            read_bytes: 1_048_676,
            write_bytes: 4296
        }
    );
    assert_eq!(io_stat_v2(""), IoBytes::default());
}

#[test]
fn v1_blkio_service_bytes_sums_read_and_write() {
    let text = "8:0 Read 524288\n8:0 Write 1024\n8:0 Sync 2048\n8:0 Async 0\n8:0 Discard 0\n\
                8:0 Total 525312\n8:16 Read 10\n8:16 Write 20\n8:16 Total 30\nTotal 525342\n";
    assert_eq!(
        blkio_v1(text),
        IoBytes {
            read_bytes: 524_298,
            write_bytes: 1044
        }
    );
    // An idle cgroup prints only the grand total.
    assert_eq!(blkio_v1("Total 0\n"), IoBytes::default());
}

#[test]
fn cgroup_procs_list() {
    assert_eq!(pids("6490\n6493\n8141\n"), vec![6490, 6493, 8141]);
    assert!(pids("").is_empty());
}

#[test]
fn proc_net_dev_excludes_loopback() {
    let text = "Inter-|   Receive                                                |  Transmit
 face |bytes    packets errs drop fifo frame compressed multicast|bytes    packets errs drop fifo colls carrier compressed
    lo:    3193      29    0    0    0     0          0         0     3193      29    0    0    0     0       0          0
  eth0: 56500210    3834    0    0    0     0          0         0   303111    3492    0    0    0     0       0          0
  eth1:1000 1 0 0 0 0 0 0 2000 1 0 0 0 0 0 0
";
    assert_eq!(
        net_dev(text),
        NetBytes {
            rx_bytes: 56_501_210,
            tx_bytes: 305_111
        }
    );
    let later = NetBytes {
        rx_bytes: 10,
        tx_bytes: 5,
    };
    assert_eq!(
        later.since(NetBytes {
            rx_bytes: 20,
            tx_bytes: 1
        }),
        NetBytes {
            rx_bytes: 0,
            tx_bytes: 4
        }
    );
}

#[test]
fn controller_lists() {
    assert!(has_controller("cpuset cpu io memory pids\n", "memory"));
    assert!(!has_controller("hugetlb\n", "memory"));
    assert!(!has_controller("memoryx", "memory"));
}
