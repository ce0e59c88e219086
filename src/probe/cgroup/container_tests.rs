//! `container_stats` readers on fixture trees: a Docker container on
//! cgroup1, a Kubernetes pod on cgroup2 with a tighter limit on an ancestor,
//! and a plain unlimited cgroup (not reported).

use super::*;
use crate::sample::cgroup::{IoBytes, NetBytes};
use std::fs;

fn write(root: &Path, rel: &str, text: &str) {
    let path = root.join(rel);
    fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
    fs::write(path, text).expect("write");
}

fn proc_with_net(root: &Path) -> ProcRoot {
    write(
        root,
        "proc/self/net/dev",
        "Inter-|   Receive |  Transmit\n face |bytes packets errs drop fifo frame compressed multicast|bytes packets errs drop fifo colls carrier compressed\n\
         lo: 5 1 0 0 0 0 0 0 5 1 0 0 0 0 0 0\n\
         eth0: 1200000 10 0 0 0 0 0 0 850000 9 0 0 0 0 0 0\n",
    );
    ProcRoot(root.join("proc"))
}

#[test]
fn docker_on_cgroup1() {
    let fx = tempfile::tempdir().expect("tempdir");
    let root = fx.path();
    let mounts = "\
32 31 0:29 /docker/abc /sys/fs/cgroup/cpu,cpuacct ro - cgroup cgroup rw,cpu,cpuacct
35 31 0:32 /docker/abc /sys/fs/cgroup/memory ro - cgroup cgroup rw,memory
38 31 0:35 /docker/abc /sys/fs/cgroup/blkio ro - cgroup cgroup rw,blkio
";
    let cgroup = "4:memory:/docker/abc\n2:cpu,cpuacct:/docker/abc\n7:blkio:/docker/abc\n";
    write(
        root,
        "sys/fs/cgroup/cpu,cpuacct/cpu.cfs_quota_us",
        "200000\n",
    );
    write(
        root,
        "sys/fs/cgroup/cpu,cpuacct/cpu.cfs_period_us",
        "100000\n",
    );
    write(
        root,
        "sys/fs/cgroup/cpu,cpuacct/cpuacct.usage",
        "4500000000\n",
    );
    write(
        root,
        "sys/fs/cgroup/memory/memory.limit_in_bytes",
        "17179869184\n",
    );
    write(
        root,
        "sys/fs/cgroup/memory/memory.usage_in_bytes",
        "3000000000\n",
    );
    write(
        root,
        "sys/fs/cgroup/memory/memory.stat",
        "cache 1000\ninactive_file 1\nhierarchical_memory_limit 9223372036854771712\ntotal_inactive_file 315621376\n",
    );
    write(
        root,
        "sys/fs/cgroup/blkio/blkio.throttle.io_service_bytes_recursive",
        "8:0 Read 128000000\n8:0 Write 64000000\n8:0 Total 192000000\nTotal 192000000\n",
    );
    let layout = CgroupLayout::from_texts(cgroup, mounts, Some(root));
    let markers = ContainerMarkers {
        dockerenv: true,
        ..ContainerMarkers::default()
    };
    let probe = ContainerProbe::detect(&layout, &proc_with_net(root), &markers).expect("container");
    let info = probe.info();
    assert_eq!(info.kind, "docker");
    assert_eq!(info.cgroup_version, 1);
    assert_eq!(info.cgroup_path, "/docker/abc");
    assert_eq!(info.cpu_quota.cores(), Some(2.0));
    assert_eq!(info.memory_limit, MemoryLimit::Bytes(17_179_869_184));
    let s = probe.sample();
    assert_eq!(s.cpu_usage_usec, Some(4_500_000));
    assert_eq!(s.memory_usage_bytes, Some(3_000_000_000 - 315_621_376));
    assert_eq!(
        s.block,
        Some(IoBytes {
            read_bytes: 128_000_000,
            write_bytes: 64_000_000
        })
    );
    assert_eq!(
        s.net,
        Some(NetBytes {
            rx_bytes: 1_200_000,
            tx_bytes: 850_000
        })
    );
}

#[test]
fn kubernetes_on_cgroup2_takes_the_tightest_ancestor_limit() {
    let fx = tempfile::tempdir().expect("tempdir");
    let root = fx.path();
    let mounts = "30 23 0:26 / /sys/fs/cgroup rw - cgroup2 cgroup2 rw\n";
    let pod = "sys/fs/cgroup/kubepods.slice/pod1";
    write(root, &format!("{pod}/memory.max"), "max\n");
    write(root, &format!("{pod}/cpu.max"), "max 100000\n");
    write(root, &format!("{pod}/c1/memory.max"), "4294967296\n");
    write(root, &format!("{pod}/c1/cpu.max"), "50000 100000\n");
    write(
        root,
        "sys/fs/cgroup/kubepods.slice/memory.max",
        "2147483648\n",
    );
    write(root, "sys/fs/cgroup/kubepods.slice/cpu.max", "max 100000\n");
    write(
        root,
        &format!("{pod}/c1/cpu.stat"),
        "usage_usec 1000\nuser_usec 600\nsystem_usec 400\n",
    );
    write(root, &format!("{pod}/c1/memory.current"), "1000000\n");
    write(
        root,
        &format!("{pod}/c1/memory.stat"),
        "anon 1\ninactive_file 1000\n",
    );
    write(
        root,
        &format!("{pod}/c1/io.stat"),
        "8:0 rbytes=10 wbytes=20 rios=1 wios=1 dbytes=0 dios=0\n",
    );
    let layout = CgroupLayout::from_texts("0::/kubepods.slice/pod1/c1\n", mounts, Some(root));
    let probe = ContainerProbe::detect(&layout, &proc_with_net(root), &ContainerMarkers::default())
        .expect("container");
    let info = probe.info();
    assert_eq!(info.kind, "kubernetes");
    assert_eq!(info.cgroup_version, 2);
    assert_eq!(
        info.memory_limit,
        MemoryLimit::Bytes(2_147_483_648),
        "ancestor binds"
    );
    assert_eq!(info.cpu_quota.cores(), Some(0.5));
    let s = probe.sample();
    assert_eq!(s.cpu_usage_usec, Some(1000));
    assert_eq!(s.memory_usage_bytes, Some(999_000));
    assert_eq!(
        s.block,
        Some(IoBytes {
            read_bytes: 10,
            write_bytes: 20
        })
    );
}

#[test]
fn unlimited_plain_cgroup_is_not_reported_but_a_limited_one_is() {
    let fx = tempfile::tempdir().expect("tempdir");
    let root = fx.path();
    let mounts = "30 23 0:26 / /sys/fs/cgroup rw - cgroup2 cgroup2 rw\n";
    write(root, "sys/fs/cgroup/user.slice/s.scope/memory.max", "max\n");
    let layout = CgroupLayout::from_texts("0::/user.slice/s.scope\n", mounts, Some(root));
    let proc = proc_with_net(root);
    let err =
        ContainerProbe::detect(&layout, &proc, &ContainerMarkers::default()).expect_err("plain");
    assert!(
        err.contains("not in a container or limited cgroup"),
        "{err}"
    );
    assert!(err.contains("/user.slice/s.scope"), "{err}");

    write(
        root,
        "sys/fs/cgroup/user.slice/s.scope/memory.max",
        "1073741824\n",
    );
    let probe =
        ContainerProbe::detect(&layout, &proc, &ContainerMarkers::default()).expect("limited");
    assert_eq!(probe.info().kind, "cgroup");
    // Files the fixture lacks give no figure rather than zero.
    assert_eq!(probe.sample().cpu_usage_usec, None);

    let none = ContainerProbe::detect(
        &CgroupLayout::default(),
        &proc,
        &ContainerMarkers::default(),
    );
    assert!(none.is_err());
}

#[test]
fn container_kinds() {
    let none = ContainerMarkers::default();
    assert_eq!(
        container_kind(&none, "/kubepods/burstable/pod1/c").as_deref(),
        Some("kubernetes")
    );
    assert_eq!(
        container_kind(&none, "/machine.slice/libpod-1.scope").as_deref(),
        Some("podman")
    );
    assert_eq!(
        container_kind(&none, "/system.slice/docker-1.scope").as_deref(),
        Some("docker")
    );
    assert_eq!(
        container_kind(&none, "/lxc.payload.c1").as_deref(),
        Some("lxc")
    );
    assert_eq!(
        container_kind(&none, "/system.slice/slurmstepd.scope/job_7/step_0").as_deref(),
        Some("slurm")
    );
    assert_eq!(container_kind(&none, "/user.slice"), None);
    let nspawn = ContainerMarkers {
        container_env: Some("systemd-nspawn".into()),
        ..ContainerMarkers::default()
    };
    assert_eq!(
        container_kind(&nspawn, "/").as_deref(),
        Some("systemd-nspawn")
    );
    let docker = ContainerMarkers {
        dockerenv: true,
        ..ContainerMarkers::default()
    };
    assert_eq!(container_kind(&docker, "/").as_deref(), Some("docker"));
}
