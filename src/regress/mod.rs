//! Regression gating for CI: `profrun check` holds a group's newest run
//! against the group's previous successful runs, `profrun diff` sets two
//! records side by side. Pure: figures in, verdicts and text out; the
//! commands pick the runs from the history and decide where output goes.
//! docs/ci.md documents the decision rule and every output format.

pub mod diff;
pub mod diff_view;
pub mod junit;
pub mod render;
pub mod select;
pub mod stats;
pub mod verdict;

pub use select::{baseline_at, check_groups, GroupRuns, RunChoice, DEFAULT_BASELINE_RUNS};
pub use verdict::{
    check_group, CheckOptions, CheckReport, Metric, MetricCheck, RunFigures, Unit, Verdict,
};
