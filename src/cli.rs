//! The command line, as clap derive types only. Validation that clap can do
//! (value parsers, ranges) lives here too, so bad input exits 2 before any
//! work starts.

use crate::criteria::{GroupKey, IdSpec, When};
use crate::record::Status;
use clap::{Args, Parser, Subcommand};
use std::ffi::OsString;
use std::path::PathBuf;

#[derive(Debug, Parser)]
#[command(
    name = "profrun",
    version,
    about = "Run a job, profile its whole process tree, and remember it",
    long_about = "Run a job like `time` does: profrun launches COMMAND, samples its process tree \
                  and the host, mirrors its exit status, and appends one JSON record per run \
                  to the history (jobs_history.jsonl).\n\n\
                  Examples:\n  profrun -- python3 poisson.py\n  profrun job-history --limit 10\n  \
                  profrun job-details last\n  profrun job-stats --group-by tool",
    args_conflicts_with_subcommands = true,
    subcommand_negates_reqs = true
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,

    #[command(flatten)]
    pub run: RunArgs,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run and profile a command (the same as `profrun [OPTIONS] -- COMMAND`)
    Run(RunArgs),
    /// List recorded runs, newest first
    JobHistory(JobHistoryArgs),
    /// Show one recorded run in full
    JobDetails(JobDetailsArgs),
    /// Aggregate recorded runs by tool, script, command, host, status or tag
    JobStats(JobStatsArgs),
    /// Print a shell completion script on stdout (bash, zsh, fish, ...)
    Completions(CompletionsArgs),
    /// Print the man page (roff) on stdout
    Man,
}

#[derive(Debug, Clone, Args)]
pub struct CompletionsArgs {
    /// The shell to complete for
    #[arg(value_enum, value_name = "SHELL")]
    pub shell: clap_complete::Shell,
}

/// A `KEY=VALUE` pair from `--tag` / `--param`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyValue {
    pub key: String,
    pub value: String,
}

fn parse_key_value(s: &str) -> Result<KeyValue, String> {
    match s.split_once('=') {
        Some((k, v)) if !k.is_empty() => Ok(KeyValue {
            key: k.to_string(),
            value: v.to_string(),
        }),
        _ => Err(format!("expected KEY=VALUE, got '{s}'")),
    }
}

// The numeric options below set `allow_negative_numbers`: without it clap
// reads `-1` as an unknown flag ("unexpected argument '-1'") instead of handing
// it to the parser, which can say that the value is out of range.

fn parse_interval(s: &str) -> Result<f64, String> {
    let v: f64 = s
        .parse()
        .map_err(|_| format!("'{s}' is not a number of seconds"))?;
    if !(0.01..=3600.0).contains(&v) {
        return Err(format!(
            "'{s}' is out of range: the interval must be between 0.01 and 3600 seconds"
        ));
    }
    Ok(v)
}

fn parse_limit(s: &str) -> Result<usize, String> {
    match s.parse::<i128>() {
        Ok(n) if n < 0 => Err(format!(
            "'{s}' is out of range: the limit must be 0 or more"
        )),
        _ => s
            .parse()
            .map_err(|_| format!("'{s}' is not a whole number of runs")),
    }
}

fn parse_redact(s: &str) -> Result<regex::Regex, String> {
    regex::Regex::new(s).map_err(|err| format!("'{s}' is not a valid regex: {err}"))
}

/// The largest `--kill-after` accepted (365 days).
pub const MAX_KILL_AFTER_SECONDS: f64 = 31_536_000.0;

fn parse_seconds(s: &str) -> Result<f64, String> {
    let v: f64 = s
        .parse()
        .map_err(|_| format!("'{s}' is not a number of seconds"))?;
    // A year is plenty, and keeps `Duration::from_secs_f64` far from overflow.
    if !v.is_finite() || !(0.0..=MAX_KILL_AFTER_SECONDS).contains(&v) {
        return Err(format!(
            "'{s}' is out of range: expected seconds between 0 and {MAX_KILL_AFTER_SECONDS}"
        ));
    }
    Ok(v)
}

#[derive(Debug, Clone, Args)]
pub struct RunArgs {
    /// History file to append to [default: $PROFRUN_HISTORY, else
    /// $XDG_DATA_HOME/profrun/jobs_history.jsonl]
    #[arg(long, value_name = "PATH")]
    pub history: Option<PathBuf>,

    /// Also write the record, alone, to this file (e.g. a CI artifact)
    #[arg(long, value_name = "FILE")]
    pub record_out: Option<PathBuf>,

    /// Print the record as JSON on stdout after the job
    #[arg(long)]
    pub json: bool,

    /// Override the detected tool name (lammps, openfoam, fenicsx, ...)
    #[arg(long, value_name = "NAME")]
    pub tool: Option<String>,

    /// Attach a tag to the record (repeatable)
    #[arg(long = "tag", value_name = "KEY=VALUE", value_parser = parse_key_value)]
    pub tags: Vec<KeyValue>,

    /// Record a job parameter (repeatable)
    #[arg(long = "param", value_name = "KEY=VALUE", value_parser = parse_key_value)]
    pub params: Vec<KeyValue>,

    /// Wait for every descendant, not just the main child, before finishing
    #[arg(long)]
    pub wait_all: bool,

    /// Seconds after a forwarded signal before the remaining tree is SIGKILLed
    #[arg(long, value_name = "SECONDS", default_value = "10", value_parser = parse_seconds,
          allow_negative_numbers = true)]
    pub kill_after: f64,

    /// Sampling interval in seconds (0.01 to 3600)
    #[arg(long, value_name = "SECONDS", default_value = "0.5", value_parser = parse_interval,
          allow_negative_numbers = true)]
    pub interval: f64,

    /// Replace what REGEX matches in the recorded command with `***`
    /// (repeatable; a pattern with groups replaces only the groups). Always
    /// on: the values of --password=..., --token ... style options and the
    /// `user:pass@` of URLs
    #[arg(long = "redact", value_name = "REGEX", value_parser = parse_redact,
          allow_hyphen_values = true)]
    pub redact: Vec<regex::Regex>,

    /// Also read PSS from smaps_rollup (costly on big processes; at most every 5 s)
    #[arg(long)]
    pub pss: bool,

    /// Do not query NVIDIA GPUs
    #[arg(long)]
    pub no_gpu: bool,

    /// Do not place the job in a cgroup of its own
    #[arg(long)]
    pub no_cgroup: bool,

    /// Alert when a rule holds, e.g. memory>8GiB, cpu>90%for5m,
    /// NAME=duration>300s (repeatable; metrics: duration, memory, rss, swap,
    /// cpu (% of the available CPUs), gpu, read_rate, write_rate)
    #[arg(long = "alert", value_name = "RULE", value_parser = crate::alerts::parse_rule)]
    pub alerts: Vec<crate::alerts::Rule>,

    /// Stop the job (SIGTERM, SIGKILL after --kill-after) when it crosses a
    /// limit: memory=8GiB, wall=2h, cpu=SECONDS (repeatable; exit code 124)
    #[arg(long = "limit", value_name = "RESOURCE=VALUE", value_parser = crate::alerts::parse_limit)]
    pub limits: Vec<crate::alerts::Limit>,

    /// Do not print the summary on stderr
    #[arg(short, long)]
    pub quiet: bool,

    /// Debug: add profrun's own CPU time and peak RSS to the summary and record
    #[arg(long, hide = true)]
    pub self_stats: bool,

    /// The command to run, after `--` (passed as given: bytes that are not
    /// UTF-8 are fine)
    #[arg(last = true, required = true, value_name = "COMMAND", value_parser = clap::value_parser!(OsString))]
    pub command: Vec<OsString>,
}

/// Output formats shared by the query commands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    Table,
    Json,
    Jsonl,
    Csv,
}

/// Output formats of `job-stats` (one row per group: no JSONL).
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum StatsFormat {
    Table,
    Json,
    Csv,
}

/// Filters shared by `job-history` and `job-stats`.
#[derive(Debug, Clone, Default, Args)]
pub struct FilterArgs {
    /// Only runs of this tool
    #[arg(long)]
    pub tool: Option<String>,
    /// Only runs of this script (matches the path or its file name)
    #[arg(long)]
    pub script: Option<String>,
    /// Only runs with this status
    #[arg(long, value_parser = clap::builder::PossibleValuesParser::new(Status::ALL.map(Status::as_str)))]
    pub status: Option<String>,
    /// Only runs started at or after this time (7d, 12h, 30m, RFC 3339 or YYYY-MM-DD)
    #[arg(long, value_name = "WHEN", value_parser = crate::criteria::parse_when)]
    pub since: Option<When>,
    /// Only runs started before this time (same forms as --since; a date includes its whole day)
    #[arg(long, value_name = "WHEN", value_parser = crate::criteria::parse_when)]
    pub until: Option<When>,
    /// Only runs carrying this tag (repeatable; all must match)
    #[arg(long = "tag", value_name = "KEY=VALUE", value_parser = parse_key_value)]
    pub tags: Vec<KeyValue>,
    /// Only runs on this host
    #[arg(long)]
    pub host: Option<String>,
    /// Only runs whose command line contains TEXT
    #[arg(long, value_name = "TEXT", allow_hyphen_values = true)]
    pub grep: Option<String>,
}

#[derive(Debug, Clone, Args)]
pub struct HistorySource {
    /// History file(s) to read; repeat, or give a quoted glob, to merge several
    /// [default: $PROFRUN_HISTORY, else $XDG_DATA_HOME/profrun/jobs_history.jsonl]
    #[arg(long, value_name = "PATH")]
    pub history: Vec<String>,
    /// Table width in columns (default: the terminal's, or $COLUMNS)
    #[arg(long, hide = true, value_name = "COLUMNS")]
    pub width: Option<u16>,
}

#[derive(Debug, Clone, Args)]
pub struct JobHistoryArgs {
    #[command(flatten)]
    pub source: HistorySource,
    #[command(flatten)]
    pub filter: FilterArgs,
    /// Show at most N runs
    #[arg(long, short = 'n', default_value = "20", value_name = "N", value_parser = parse_limit,
          allow_negative_numbers = true)]
    pub limit: usize,
    /// Show every matching run
    #[arg(long, conflicts_with = "limit")]
    pub all: bool,
    /// Output format
    #[arg(long, value_enum, default_value = "table")]
    pub format: Format,
}

#[derive(Debug, Clone, Args)]
pub struct JobDetailsArgs {
    #[command(flatten)]
    pub source: HistorySource,
    /// A task id, a unique prefix of one, `last`, or `-N` for the N-th newest
    #[arg(allow_hyphen_values = true, value_name = "ID", value_parser = crate::criteria::parse_id)]
    pub id: IdSpec,
    /// Print the record exactly as stored
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Clone, Args)]
pub struct JobStatsArgs {
    #[command(flatten)]
    pub source: HistorySource,
    #[command(flatten)]
    pub filter: FilterArgs,
    /// Group by tool, script, command, host, status or tag:KEY (repeatable) [default: tool, script]
    #[arg(long = "group-by", value_name = "KEY", value_parser = crate::criteria::parse_group_key)]
    pub group_by: Vec<GroupKey>,
    /// Output format (table, json or csv)
    #[arg(long, value_enum, default_value = "table")]
    pub format: StatsFormat,
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn cli_definition_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn interval_bounds_are_enforced() {
        assert!(parse_interval("0").is_err());
        assert!(parse_interval("abc").is_err());
        assert!(parse_interval("3601").is_err());
        assert_eq!(parse_interval("0.5"), Ok(0.5));
    }

    // Regression: `--kill-after 1e20` passed the parser and then panicked in
    // Duration::from_secs_f64 after the job had started.
    #[test]
    fn huge_kill_after_is_rejected_by_the_parser() {
        assert!(parse_seconds("1e20").is_err());
        assert!(parse_seconds("-1").is_err());
        assert!(parse_seconds("inf").is_err());
        assert_eq!(parse_seconds("10"), Ok(10.0));
    }

    #[test]
    fn negative_values_are_out_of_range() {
        for err in [
            parse_interval("-1"),
            parse_seconds("-1"),
            parse_limit("-1").map(|n| n as f64),
        ] {
            assert!(err.expect_err("rejected").contains("out of range"));
        }
        assert_eq!(parse_limit("0"), Ok(0));
        assert!(parse_limit("x").is_err());
    }

    #[test]
    fn key_value_needs_equals_and_a_key() {
        assert!(parse_key_value("novalue").is_err());
        assert!(parse_key_value("=v").is_err());
        let kv = parse_key_value("mesh=64=x").expect("valid");
        assert_eq!((kv.key.as_str(), kv.value.as_str()), ("mesh", "64=x"));
    }
}
