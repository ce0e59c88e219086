//! Glue for each subcommand: load → compute → render → print. The only
//! modules that write to stdout/stderr.

pub mod completions;
pub mod filter_args;
pub mod job_details;
pub mod job_history;
pub mod job_stats;
pub mod man;
pub mod output;
pub mod plot;
pub mod report;
pub mod run;
