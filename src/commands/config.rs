//! The config file at the edge: find and read it once per invocation, fill
//! the settings the command line left out (command line > environment >
//! file > default), and `profrun config`, which prints every effective
//! setting with where it came from.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use crate::cli::{Cli, Command, ConfigArgs, KeyValue, RunArgs};
use crate::config::{self, CliSettings, ConfigFile, ConfigLocation, Effective, Source};
use crate::export::push::Pushgateway;
use crate::history;

/// The config file this invocation uses, if any.
#[derive(Debug, Clone, Default)]
pub struct Loaded {
    pub location: Option<ConfigLocation>,
    /// `None`: no file at the default location.
    pub file: Option<ConfigFile>,
}

fn env(key: &str) -> Option<String> {
    std::env::var(key).ok()
}

/// Find and parse the config file. A file that does not parse, holds a bad
/// value (an alert rule, a pushgateway URL, ...), cannot be read, or was
/// named by `$PROFRUN_CONFIG` and is missing is an error.
pub fn load() -> anyhow::Result<Loaded> {
    let Some(location) = config::config_path(env) else {
        return Ok(Loaded::default());
    };
    let text = match std::fs::read_to_string(&location.path) {
        Ok(text) => text,
        // Not there, or behind a folder this user cannot search (a job run
        // as another user with the submitter's HOME, as `sbatch --uid`
        // does): no file. A file that is there and unreadable is an error.
        Err(_) if !location.explicit && std::fs::metadata(&location.path).is_err() => {
            return Ok(Loaded {
                location: Some(location),
                file: None,
            })
        }
        Err(err) => anyhow::bail!(
            "cannot read config file '{}': {err}",
            location.path.display()
        ),
    };
    let bad = |err: config::ConfigError| anyhow::anyhow!("bad config file {err}");
    let file = config::parse(&text, &location.path).map_err(bad)?;
    // The URL parser lives on the OS side (`export`), which the pure
    // `config::parse` may not use: checked here, located the same way.
    if let Some(url) = &file.pushgateway {
        Pushgateway::parse(url).map_err(|err| {
            bad(config::error_at_key(
                &text,
                &location.path,
                None,
                "pushgateway",
                err.to_string(),
            ))
        })?;
    }
    Ok(Loaded {
        location: Some(location),
        file: Some(file),
    })
}

/// Fill what the command line left out from the environment and the file.
pub fn apply(cli: &mut Cli, loaded: &Loaded) {
    let file = loaded.file.as_ref();
    match &mut cli.command {
        Some(Command::Run(args)) => apply_to_run(args, file),
        None => apply_to_run(&mut cli.run, file),
        Some(Command::JobHistory(args)) => apply_to_readers(&mut args.source.history, file),
        Some(Command::JobDetails(args)) => apply_to_readers(&mut args.source.history, file),
        Some(Command::JobStats(args)) => apply_to_readers(&mut args.source.history, file),
        Some(Command::JobAdvice(args)) => apply_to_readers(&mut args.source.history, file),
        Some(Command::Check(args)) => apply_to_readers(&mut args.source.history, file),
        Some(Command::Diff(args)) => apply_to_readers(&mut args.source.history, file),
        Some(Command::SlurmJob(args)) => apply_to_readers(&mut args.source.history, file),
        Some(Command::Plot(args)) => apply_to_readers(&mut args.source.history, file),
        Some(Command::Report(args)) => apply_to_readers(&mut args.source.history, file),
        Some(_) => {}
    }
}

fn apply_to_run(args: &mut RunArgs, file: Option<&ConfigFile>) {
    let cli = CliSettings {
        history: args.history.clone(),
        pushgateway: args.pushgateway.clone(),
        textfile_dir: args.textfile.clone(),
        name: args.name.clone(),
        interval: args.interval_from_cli.then_some(args.interval),
        tags: Vec::new(),
    };
    let e = effective(&cli, file);
    // The default history path stays for `history::path::resolve` to make
    // (and to warn about when it cannot).
    if e.history.source == Source::File {
        args.history = e.history.value;
    }
    args.pushgateway = e.pushgateway.value;
    args.textfile = e.textfile_dir.value;
    args.name = e.name.value;
    args.interval = e.interval.value;
    if let Some(file) = file {
        // The file's tags first: a `--tag` of the same key comes later and wins.
        let given = std::mem::take(&mut args.tags);
        let from_file: Vec<KeyValue> = file
            .tags
            .iter()
            .filter(|(k, _)| !given.iter().any(|kv| &kv.key == *k))
            .map(|(k, v)| KeyValue {
                key: k.clone(),
                value: v.clone(),
            })
            .collect();
        args.tags = from_file.into_iter().chain(given).collect();
        args.config_alerts = file
            .alerts
            .iter()
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
    }
}

fn apply_to_readers(histories: &mut Vec<String>, file: Option<&ConfigFile>) {
    if !histories.is_empty() {
        return;
    }
    let e = effective(&CliSettings::default(), file);
    if let (Source::File, Some(path)) = (e.history.source, e.history.value) {
        histories.push(path.display().to_string());
    }
}

fn effective(cli: &CliSettings, file: Option<&ConfigFile>) -> Effective {
    // The history default without PROFRUN_HISTORY, which `effective` weighs
    // itself (above the file).
    let default_history =
        history::path::default_history_path_from(|k| env(k).filter(|_| k != "PROFRUN_HISTORY"));
    config::effective(cli, &env, file, default_history)
}

/// `profrun config`: the effective settings on stdout.
pub fn run(args: ConfigArgs, loaded: &Loaded) -> anyhow::Result<ExitCode> {
    let cli = CliSettings {
        history: args.history,
        pushgateway: args.pushgateway,
        textfile_dir: args.textfile,
        name: args.name,
        interval: args.interval,
        tags: Vec::new(),
    };
    let text = render(loaded, &effective(&cli, loaded.file.as_ref()));
    let mut out = std::io::stdout().lock();
    // A closed pipe (`profrun config | head -1`) is not an error.
    let _ = out.write_all(text.as_bytes()).and_then(|_| out.flush());
    Ok(ExitCode::SUCCESS)
}

/// One line per setting: key, value, `(source)`.
pub fn render(loaded: &Loaded, e: &Effective) -> String {
    let mut lines = Vec::new();
    let file_line = match (&loaded.location, &loaded.file) {
        (Some(loc), Some(_)) => format!("{} (read)", loc.path.display()),
        (Some(loc), None) => format!("{} (not found)", loc.path.display()),
        (None, _) => "none (HOME, XDG_CONFIG_HOME and PROFRUN_CONFIG are unset)".to_string(),
    };
    lines.push(format!("{:<14} {file_line}", "config_file"));
    let path = |p: &Option<PathBuf>| p.as_ref().map(|p| p.display().to_string());
    let mut row = |key: &str, value: Option<String>, source: Source| {
        let value = value.unwrap_or_else(|| "-".to_string());
        lines.push(format!("{key:<14} {value}  ({source})"));
    };
    row("history", path(&e.history.value), e.history.source);
    row(
        "pushgateway",
        e.pushgateway.value.clone(),
        e.pushgateway.source,
    );
    row(
        "textfile_dir",
        path(&e.textfile_dir.value),
        e.textfile_dir.source,
    );
    row(
        "name",
        Some(
            e.name
                .value
                .clone()
                .unwrap_or_else(|| "the detected tool".to_string()),
        ),
        e.name.source,
    );
    row(
        "interval",
        Some(format!("{}", e.interval.value)),
        e.interval.source,
    );
    for (key, tag) in &e.tags {
        row(&format!("tags.{key}"), Some(tag.value.clone()), tag.source);
    }
    for (name, rule) in &e.alerts {
        row(&format!("alerts.{name}"), Some(rule.clone()), Source::File);
    }
    lines.push(String::new());
    lines.join("\n")
}
