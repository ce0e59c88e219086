//! Glue for each subcommand: load → compute → render → print. The only
//! modules that write to stdout/stderr.

pub mod check;
pub mod completions;
pub mod config;
pub mod diff;
pub mod filter_args;
pub mod find_run;
pub mod job_advice;
pub mod job_details;
pub mod job_history;
pub mod job_stats;
pub mod man;
pub mod output;
pub mod pending;
pub mod plot;
pub mod report;
pub mod run;
pub mod slurm_job;
