//! A static description of the host for the record: name, kernel, CPU model,
//! CPU counts and memory. Read once per run, off the hot path.

use nix::unistd::{getuid, sysconf, SysconfVar, Uid, User};

use super::ProcRoot;
use crate::record::{HostRecord, UserRecord, BYTES_PER_MB};

pub fn host_record(proc: &ProcRoot) -> HostRecord {
    let read = |rel: &str| std::fs::read_to_string(proc.path(rel)).unwrap_or_default();
    let hostname = read("sys/kernel/hostname").trim().to_string();
    let kernel = read("sys/kernel/osrelease").trim().to_string();
    let cpuinfo = read("cpuinfo");
    let meminfo = read("meminfo");
    HostRecord {
        hostname,
        kernel,
        cpu_model: cpu_model(&cpuinfo),
        logical_cpus: online_cpus(),
        cpus_available: available_cpus(),
        memory_total_mb: meminfo_kb(&meminfo, "MemTotal").unwrap_or(0) as f64 * 1024.0
            / BYTES_PER_MB,
    }
}

/// First `model name` (x86) or `Model`/`Hardware` line (Arm) of /proc/cpuinfo.
pub fn cpu_model(cpuinfo: &str) -> Option<String> {
    cpuinfo.lines().find_map(|line| {
        let (key, value) = line.split_once(':')?;
        let key = key.trim();
        (key == "model name" || key == "Model" || key == "Hardware")
            .then(|| value.trim().to_string())
    })
}

/// A `Key:   123 kB` value of /proc/meminfo, in KiB.
pub fn meminfo_kb(meminfo: &str, key: &str) -> Option<u64> {
    meminfo.lines().find_map(|line| {
        let rest = line.strip_prefix(key)?.strip_prefix(':')?;
        rest.split_whitespace().next()?.parse().ok()
    })
}

pub fn online_cpus() -> usize {
    match sysconf(SysconfVar::_NPROCESSORS_ONLN) {
        Ok(Some(n)) if n > 0 => n as usize,
        _ => 1,
    }
}

/// CPUs in profrun's affinity mask from `Cpus_allowed_list` of
/// `/proc/self/status` (the job inherits the mask; a CPU quota does not
/// narrow it). `None` when the file has no such line.
pub fn affinity_cpus(proc: &ProcRoot) -> Option<usize> {
    let status = std::fs::read_to_string(proc.path("self/status")).ok()?;
    let list = status
        .lines()
        .find_map(|line| line.strip_prefix("Cpus_allowed_list:"))?;
    cpu_list_count(list.trim())
}

/// How many CPUs a kernel CPU list names (`0-3,8,10-11` is 7).
pub fn cpu_list_count(list: &str) -> Option<usize> {
    let mut n = 0;
    for part in list.split(',') {
        n += match part.split_once('-') {
            Some((a, b)) => {
                let (a, b): (usize, usize) = (a.parse().ok()?, b.parse().ok()?);
                b.checked_sub(a)? + 1
            }
            None => part.parse::<usize>().map(|_| 1).ok()?,
        };
    }
    (n > 0).then_some(n)
}

/// CPUs in profrun's affinity mask (what the job may use, e.g. under Slurm).
pub fn available_cpus() -> usize {
    std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or_else(|_| online_cpus())
}

pub fn user_record() -> UserRecord {
    let uid = getuid();
    let name = std::env::var("USER")
        .or_else(|_| std::env::var("LOGNAME"))
        .ok()
        .filter(|s| !s.is_empty())
        .or_else(|| user_name(uid));
    UserRecord {
        name,
        uid: uid.as_raw(),
    }
}

/// The account name of `uid` through NSS (`getpwuid_r`), so that users
/// from LDAP or SSSD, absent from `/etc/passwd`, are found too.
fn user_name(uid: Uid) -> Option<String> {
    User::from_uid(uid).ok().flatten().map(|user| user.name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_user_name_comes_from_nss() {
        // root is uid 0 on every Linux, in /etc/passwd or not.
        assert_eq!(user_name(Uid::from_raw(0)).as_deref(), Some("root"));
        // No account database holds this uid.
        assert_eq!(user_name(Uid::from_raw(4_000_000_000)), None);
    }

    #[test]
    fn parses_cpu_model_and_meminfo() {
        let cpuinfo = "processor\t: 0\nvendor_id\t: GenuineIntel\nmodel name\t: Intel(R) Xeon(R) CPU @ 2.20GHz\n";
        assert_eq!(
            cpu_model(cpuinfo).as_deref(),
            Some("Intel(R) Xeon(R) CPU @ 2.20GHz")
        );
        let meminfo = "MemTotal:       24575284 kB\nMemFree:        23000000 kB\n";
        assert_eq!(meminfo_kb(meminfo, "MemTotal"), Some(24_575_284));
        assert_eq!(meminfo_kb(meminfo, "MemAvailable"), None);
    }

    #[test]
    fn counts_the_cpus_of_a_kernel_cpu_list() {
        assert_eq!(cpu_list_count("0"), Some(1));
        assert_eq!(cpu_list_count("0-1"), Some(2));
        assert_eq!(cpu_list_count("0-3,8,10-11"), Some(7));
        assert_eq!(cpu_list_count(""), None);
        assert_eq!(cpu_list_count("3-1"), None);
        assert_eq!(cpu_list_count("x"), None);
        // This process's own mask names at least one CPU.
        assert!(affinity_cpus(&ProcRoot::default()).is_some_and(|n| n >= 1));
    }
}
