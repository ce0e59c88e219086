//! Real components for the tests, started on loopback without systemd and
//! stopped by pid: `prom` (Prometheus, Pushgateway), `slurm` (munge,
//! slurmctld, slurmd).

#![allow(dead_code)] // each test file uses its own subset

pub mod prom;
pub mod slurm;
