//! The job's memory allocation, and its memory efficiency against it, as
//! seff defines it: the peak memory over the memory the job was given. The
//! allocation is the memory limit of the cgroup profrun runs in (what the
//! kernel enforces: a container's, or Slurm's `task/cgroup` with
//! `ConstrainRAMSpace`), else what Slurm says it allocated on this node
//! (`SLURM_MEM_PER_NODE`, or `SLURM_MEM_PER_CPU` × `SLURM_CPUS_ON_NODE`).

use crate::profile::stats::round_to;
use crate::record::{ContainerStatsRecord, SlurmRecord};

/// Slurm's MB are MiB.
const SLURM_MB_BYTES: u64 = 1024 * 1024;

/// How much memory the job was given, and where that figure came from
/// (`memory_allocation_source`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MemoryAllocation {
    pub bytes: u64,
    pub source: &'static str,
}

/// The allocation: the cgroup's limit first, then Slurm's figures; `None`
/// when neither is known (a workstation without a limit).
pub fn memory_allocation(
    container: Option<&ContainerStatsRecord>,
    slurm: Option<&SlurmRecord>,
) -> Option<MemoryAllocation> {
    let limit = container
        .and_then(|c| c.memory_limit_bytes)
        .filter(|&b| b > 0);
    if let Some(bytes) = limit {
        return Some(MemoryAllocation {
            bytes,
            source: "cgroup_limit",
        });
    }
    let slurm = slurm?;
    if let Some(mb) = slurm.mem_per_node_mb.filter(|&mb| mb > 0) {
        return Some(MemoryAllocation {
            bytes: mb * SLURM_MB_BYTES,
            source: "slurm_mem_per_node",
        });
    }
    let per_cpu = slurm.mem_per_cpu_mb.filter(|&mb| mb > 0)?;
    let cpus = slurm.cpus_on_node.filter(|&c| c > 0)?;
    Some(MemoryAllocation {
        bytes: per_cpu * u64::from(cpus) * SLURM_MB_BYTES,
        source: "slurm_mem_per_cpu",
    })
}

/// Peak over allocation (4 decimals); above 1 only when the peak counts
/// pages the allocation does not (no cgroup to cap it).
pub fn memory_efficiency(peak_bytes: f64, allocation_bytes: u64) -> Option<f64> {
    (allocation_bytes > 0 && peak_bytes.is_finite() && peak_bytes >= 0.0)
        .then(|| round_to(peak_bytes / allocation_bytes as f64, 4))
}

#[cfg(test)]
mod tests {
    use super::*;

    const MIB: u64 = 1024 * 1024;

    fn limited(bytes: Option<u64>) -> ContainerStatsRecord {
        ContainerStatsRecord {
            available: true,
            memory_limit_bytes: bytes,
            ..ContainerStatsRecord::default()
        }
    }

    #[test]
    fn the_cgroup_limit_wins_over_slurm() {
        let slurm = SlurmRecord {
            mem_per_node_mb: Some(4096),
            ..SlurmRecord::default()
        };
        let a = memory_allocation(Some(&limited(Some(100 * MIB))), Some(&slurm));
        assert_eq!(
            a,
            Some(MemoryAllocation {
                bytes: 100 * MIB,
                source: "cgroup_limit"
            })
        );
        let a = memory_allocation(Some(&limited(None)), Some(&slurm));
        assert_eq!(
            a,
            Some(MemoryAllocation {
                bytes: 4096 * MIB,
                source: "slurm_mem_per_node"
            })
        );
    }

    #[test]
    fn mem_per_cpu_counts_the_cpus_on_the_node() {
        let slurm = SlurmRecord {
            mem_per_cpu_mb: Some(256),
            cpus_on_node: Some(3),
            ..SlurmRecord::default()
        };
        let a = memory_allocation(None, Some(&slurm)).expect("allocation");
        assert_eq!((a.bytes, a.source), (768 * MIB, "slurm_mem_per_cpu"));
        // Without the CPU count the per-CPU figure says nothing.
        let no_cpus = SlurmRecord {
            cpus_on_node: None,
            ..slurm
        };
        assert_eq!(memory_allocation(None, Some(&no_cpus)), None);
        assert_eq!(memory_allocation(None, None), None);
        assert_eq!(memory_allocation(Some(&limited(Some(0))), None), None);
    }

    #[test]
    fn efficiency_is_peak_over_allocation() {
        assert_eq!(memory_efficiency(25.0 * MIB as f64, 100 * MIB), Some(0.25));
        assert_eq!(memory_efficiency(1.0, 0), None);
        assert_eq!(memory_efficiency(f64::NAN, 10), None);
    }
}
