//! Real monitoring components for the tests: see `prom`.

#![allow(dead_code)] // each test file uses its own subset

pub mod prom;
pub mod slurm;
