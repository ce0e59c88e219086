//! Alert rules and resource limits: the `--alert` and `--limit` grammars
//! and their evaluation on the job's figures as of each sample
//! ([`NowFigures`](crate::profile::profiler::NowFigures)). Pure: the
//! sampler-thread observers in `commands::run` feed the ticks in, print the
//! events and signal the tree.
//!
//! Units: durations in `s`, `m`, `h` (bare numbers are seconds); sizes in
//! `B`, `KiB`/`MiB`/`GiB`/`TiB` (powers of 1024) or `KB`/`MB`/`GB`/`TB`
//! (powers of 1000), bare numbers are bytes; `cpu` in percent of the CPUs
//! available to the job (seed 000's `cpu_utilization_percent`: 100 % = every
//! available CPU busy), `gpu` in percent utilisation over the job's GPUs.

mod eval;
mod limit;
mod rule;
mod units;

pub use eval::{describe_firing, AlertEvent, Evaluator};
pub use limit::{describe_limit, parse_limit, Limit, LimitHit, LimitResource};
pub use rule::{parse_rule, Comparison, Metric, Rule};
pub use units::{format_bytes, format_seconds};
