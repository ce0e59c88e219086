//! The command line, as clap derive types only. Validation that clap can do
//! (value parsers, ranges) lives here too, so bad input exits 2 before any
//! work starts.

use crate::criteria::{GroupKey, IdSpec, When};
use crate::record::Status;
use crate::regress::render::CheckFormat;
use crate::regress::{Metric, DEFAULT_BASELINE_RUNS};
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

// `defer`: a subcommand's arguments are built only when that subcommand is
// parsed (or help, completions and the man page ask for them), not at every
// `profrun -- COMMAND` start: the run path then never builds eleven query
// commands' arguments (docs/performance.md, own cost).
#[derive(Debug, Subcommand)]
#[command(defer = true)]
pub enum Command {
    /// Run and profile a command (the same as `profrun [OPTIONS] -- COMMAND`)
    Run(RunArgs),
    /// List recorded runs, newest first
    JobHistory(JobHistoryArgs),
    /// Show one recorded run in full
    JobDetails(JobDetailsArgs),
    /// Aggregate recorded runs by tool, script, command, host, status or tag
    JobStats(JobStatsArgs),
    /// Right-size the next run from a group's history: memory, cores, wall time, GPU
    JobAdvice(JobAdviceArgs),
    /// Draw one run (or several overlaid with --compare) as an SVG chart
    Plot(PlotArgs),
    /// Write one self-contained HTML page about the history: stats, trends, plots
    Report(ReportArgs),
    /// Check each group's newest run against its earlier runs (exit 1 on a regression)
    Check(CheckArgs),
    /// Compare two recorded runs figure by figure
    Diff(DiffArgs),
    /// Report one Slurm job from all its tasks' records (seff-like)
    SlurmJob(SlurmJobArgs),
    /// Print a shell completion script on stdout (bash, zsh, fish, ...)
    Completions(CompletionsArgs),
    /// Print the man page (roff) on stdout
    Man,
    /// Print the effective settings and where each came from (cli, env, file, default)
    Config(ConfigArgs),
}

// `profrun config`: the run settings it may be given, to see what wins.
// (A `//` comment: clap would make a doc comment the about text of every
// subcommand that flattens these arguments; see `Command`'s `defer`.)
#[derive(Debug, Clone, Default, Args)]
pub struct ConfigArgs {
    /// As `profrun --history`
    #[arg(long, value_name = "PATH")]
    pub history: Option<PathBuf>,
    /// As `profrun --pushgateway`
    #[arg(long, value_name = "URL")]
    pub pushgateway: Option<String>,
    /// As `profrun --textfile`
    #[arg(long, value_name = "DIR")]
    pub textfile: Option<PathBuf>,
    /// As `profrun --name`
    #[arg(long, value_name = "NAME", value_parser = parse_name)]
    pub name: Option<String>,
    /// As `profrun --interval`
    #[arg(long, value_name = "SECONDS", value_parser = parse_interval, allow_negative_numbers = true)]
    pub interval: Option<f64>,
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

/// `--name`: the grouping label of every exported series and the
/// textfile's name, so it cannot be empty (the config file's `name` is
/// checked the same way).
fn parse_name(s: &str) -> Result<String, String> {
    if s.is_empty() {
        return Err("the name must not be empty".to_string());
    }
    Ok(s.to_string())
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

    /// Rewrite the record so far to a checkpoint file every SECONDS, so a
    /// SIGKILLed profrun's run is recovered as `lost` (0 turns it off)
    #[arg(long, value_name = "SECONDS", default_value = "30", value_parser = parse_seconds,
          allow_negative_numbers = true)]
    pub checkpoint: f64,

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

    /// Grouping name of the exported metrics [default: the detected tool]
    #[arg(long, value_name = "NAME", value_parser = parse_name)]
    pub name: Option<String>,

    /// PUT the run's metrics to this Pushgateway at the end [env: PROFRUN_PUSHGATEWAY]
    #[arg(long, value_name = "URL")]
    pub pushgateway: Option<String>,

    /// Write DIR/profrun-NAME.prom for node_exporter at the end [env: PROFRUN_TEXTFILE_DIR]
    #[arg(long = "textfile", value_name = "DIR")]
    pub textfile: Option<PathBuf>,

    /// Serve live /metrics on ADDR while the job runs (port 0: a free port)
    #[arg(long, value_name = "ADDR")]
    pub metrics_listen: Option<String>,

    /// Whether `--interval` was on the command line (else the config
    /// file's interval applies); set by [`parse`].
    #[arg(skip)]
    pub interval_from_cli: bool,

    /// The config file's named alert rules (name, rule), as written; the
    /// `--alert` parser reads them. Filled by `commands::config::apply`.
    #[arg(skip)]
    pub config_alerts: Vec<(String, String)>,

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

// Filters shared by `job-history` and `job-stats` (a `//` comment, as
// `ConfigArgs`'s).
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
    /// Group by tool, script, command, host, status, slurm_job or tag:KEY (repeatable) [default: tool, script]
    #[arg(long = "group-by", value_name = "KEY", value_parser = crate::criteria::parse_group_key)]
    pub group_by: Vec<GroupKey>,
    /// Output format (table, json or csv)
    #[arg(long, value_enum, default_value = "table")]
    pub format: StatsFormat,
}

/// Parse `std::env::args`, noting which settings the command line itself
/// gave (a config file fills only the others). Exits on a usage error, as
/// `Cli::parse` does.
pub fn parse() -> Cli {
    use clap::{CommandFactory, FromArgMatches};
    let matches = Cli::command().get_matches();
    let mut cli = Cli::from_arg_matches(&matches).unwrap_or_else(|err| err.exit());
    let given = |m: &clap::ArgMatches| {
        m.value_source("interval") == Some(clap::parser::ValueSource::CommandLine)
    };
    match &mut cli.command {
        Some(Command::Run(args)) => {
            args.interval_from_cli = matches.subcommand_matches("run").is_some_and(given);
        }
        None => cli.run.interval_from_cli = given(&matches),
        Some(_) => {}
    }
    cli
}

fn parse_metric(s: &str) -> Result<Metric, String> {
    Metric::parse(s).ok_or_else(|| {
        let names: Vec<&str> = Metric::ALL.iter().map(|m| m.name()).collect();
        format!(
            "unknown metric '{s}' (expected one of {})",
            names.join(", ")
        )
    })
}

fn parse_percent(s: &str) -> Result<f64, String> {
    let v: f64 = s
        .trim_end_matches('%')
        .trim()
        .parse()
        .map_err(|_| format!("'{s}' is not a percentage"))?;
    if !v.is_finite() || v < 0.0 {
        return Err(format!(
            "'{s}' is out of range: the threshold must be a percentage of 0 or more"
        ));
    }
    Ok(v)
}

fn parse_min_baseline(s: &str) -> Result<usize, String> {
    let n = parse_limit(s)?;
    if n < 2 {
        return Err(format!(
            "'{s}' is out of range: a baseline needs at least 2 runs (a spread needs two)"
        ));
    }
    Ok(n)
}

fn parse_baseline_runs(s: &str) -> Result<usize, String> {
    let n = parse_limit(s)?;
    if n < 1 {
        return Err(format!(
            "'{s}' is out of range: the baseline must be at least 1 run"
        ));
    }
    Ok(n)
}

/// `--format` of `check`: the names [`CheckFormat::parse`] takes, offered
/// to completions.
fn check_format_parser() -> impl clap::builder::TypedValueParser<Value = CheckFormat> {
    use clap::builder::TypedValueParser;
    clap::builder::PossibleValuesParser::new(["text", "json", "junit", "markdown"])
        .map(|s| CheckFormat::parse(&s).expect("every possible value is a format"))
}

#[derive(Debug, Clone, Args)]
pub struct CheckArgs {
    #[command(flatten)]
    pub source: HistorySource,
    #[command(flatten)]
    pub filter: FilterArgs,
    /// Group by tool, script, command, host, status or tag:KEY (repeatable) [default: tool, script]
    #[arg(long = "group-by", value_name = "KEY", value_parser = crate::criteria::parse_group_key)]
    pub group_by: Vec<GroupKey>,
    /// Check this run (an id, a unique prefix, `last` or `-N`) instead of each group's newest
    #[arg(long, allow_hyphen_values = true, value_name = "ID", value_parser = crate::criteria::parse_id)]
    pub run: Option<IdSpec>,
    /// Compare with the N previous successful runs of the group
    #[arg(long, value_name = "N", default_value_t = DEFAULT_BASELINE_RUNS,
          value_parser = parse_baseline_runs, allow_negative_numbers = true)]
    pub baseline: usize,
    /// Metric to check: cpu, memory_peak, wall, write_bytes, read_bytes (repeatable)
    /// [default: cpu, memory_peak, wall, write_bytes]
    #[arg(long = "metric", value_name = "M", value_parser = parse_metric)]
    pub metrics: Vec<Metric>,
    /// One threshold in percent for every metric [default: 10, wall 25]
    #[arg(long, value_name = "PCT", value_parser = parse_percent, allow_negative_numbers = true)]
    pub threshold: Option<f64>,
    /// Fewer earlier successful runs than this is "no baseline"
    #[arg(long, value_name = "N", default_value = "3", value_parser = parse_min_baseline,
          allow_negative_numbers = true)]
    pub min_baseline: usize,
    /// Fail (exit 1) when a group has no baseline
    #[arg(long)]
    pub require_baseline: bool,
    /// Output format: text, json, junit or markdown
    #[arg(long, default_value = "text", value_name = "FORMAT", value_parser = check_format_parser())]
    pub format: CheckFormat,
    /// Write the report to FILE (replaced atomically) instead of stdout
    #[arg(long, value_name = "FILE")]
    pub output: Option<PathBuf>,
}

/// Output formats of `diff`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum DiffFormat {
    Text,
    Json,
}

#[derive(Debug, Clone, Args)]
pub struct DiffArgs {
    #[command(flatten)]
    pub source: HistorySource,
    /// The first run: a task id, a unique prefix, `last`, or `-N` for the N-th newest
    #[arg(allow_hyphen_values = true, value_name = "A", value_parser = crate::criteria::parse_id)]
    pub a: IdSpec,
    /// The second run, compared with the first
    #[arg(allow_hyphen_values = true, value_name = "B", value_parser = crate::criteria::parse_id)]
    pub b: IdSpec,
    /// Output format
    #[arg(long, value_enum, default_value = "text")]
    pub format: DiffFormat,
}

#[derive(Debug, Clone, Args)]
pub struct SlurmJobArgs {
    #[command(flatten)]
    pub source: HistorySource,
    /// The Slurm job id (an array's job id gathers all its tasks)
    #[arg(value_name = "JOBID")]
    pub job_id: u64,
}

#[derive(Debug, Clone, Args)]
pub struct JobAdviceArgs {
    #[command(flatten)]
    pub source: HistorySource,
    #[command(flatten)]
    pub filter: FilterArgs,
    /// Group by tool, script, command, host, status or tag:KEY (repeatable) [default: tool, script]
    #[arg(long = "group-by", value_name = "KEY", value_parser = crate::criteria::parse_group_key)]
    pub group_by: Vec<GroupKey>,
    /// Output format (text or json)
    #[arg(long, value_enum, default_value = "text")]
    pub format: AdviceFormat,
}

/// Output formats of `job-advice`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum AdviceFormat {
    Text,
    Json,
}

#[derive(Debug, Clone, Args)]
pub struct PlotArgs {
    #[command(flatten)]
    pub source: HistorySource,
    /// A task id, a unique prefix of one, `last`, or `-N` for the N-th newest
    #[arg(allow_hyphen_values = true, value_name = "ID", default_value = "last",
          value_parser = crate::criteria::parse_id, conflicts_with = "compare")]
    pub id: IdSpec,
    /// Overlay the series of these runs (two or more ids) on one chart
    #[arg(long, num_args = 2.., value_name = "ID", allow_negative_numbers = true,
          value_parser = crate::criteria::parse_id)]
    pub compare: Vec<IdSpec>,
    /// Where to write the SVG (`-` for stdout) [default: profrun-<id>.svg]
    #[arg(long, short = 'o', value_name = "FILE", allow_hyphen_values = true)]
    pub output: Option<PathBuf>,
}

#[derive(Debug, Clone, Args)]
pub struct ReportArgs {
    #[command(flatten)]
    pub source: HistorySource,
    #[command(flatten)]
    pub filter: FilterArgs,
    /// Group by tool, script, command, host, status or tag:KEY (repeatable) [default: tool, script]
    #[arg(long = "group-by", value_name = "KEY", value_parser = crate::criteria::parse_group_key)]
    pub group_by: Vec<GroupKey>,
    /// Where to write the page (`-` for stdout)
    #[arg(
        long,
        short = 'o',
        value_name = "FILE",
        default_value = "report.html",
        allow_hyphen_values = true
    )]
    pub output: PathBuf,
    /// How many of the newest runs to draw in full
    #[arg(long, default_value = "5", value_name = "N")]
    pub runs: usize,
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
