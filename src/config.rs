//! The config file, `$XDG_CONFIG_HOME/profrun/config.toml` (else
//! `~/.config/profrun/config.toml`; `$PROFRUN_CONFIG` names another), and
//! the precedence of every setting it holds: command line, then
//! environment, then file, then default. Pure: text and an environment
//! lookup in, values and their sources out; `commands::config` reads the
//! file and prints.

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};

use serde::Deserialize;

/// The settings a file may hold; every key is optional.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConfigFile {
    /// History file (as `--history`).
    pub history: Option<PathBuf>,
    /// Pushgateway base URL (as `--pushgateway`).
    pub pushgateway: Option<String>,
    /// node_exporter textfile folder (as `--textfile`).
    pub textfile_dir: Option<PathBuf>,
    /// Grouping name of the exported series (as `--name`).
    pub name: Option<String>,
    /// Sampling interval in seconds (as `--interval`).
    pub interval: Option<f64>,
    /// Tags every run gets; a `--tag` of the same key wins.
    #[serde(default)]
    pub tags: BTreeMap<String, String>,
    /// Named alert rules, kept as written (the alert parser reads them).
    #[serde(default)]
    pub alerts: BTreeMap<String, String>,
}

/// A config file that does not parse, located to its line and column.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigError {
    pub path: PathBuf,
    /// 1-based; 0 when the parser gave no position.
    pub line: usize,
    pub column: usize,
    pub message: String,
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.line == 0 {
            write!(f, "{}: {}", self.path.display(), self.message)
        } else {
            write!(
                f,
                "{}:{}:{}: {}",
                self.path.display(),
                self.line,
                self.column,
                self.message
            )
        }
    }
}

impl std::error::Error for ConfigError {}

/// The interval range `--interval` accepts.
const INTERVAL_SECONDS: std::ops::RangeInclusive<f64> = 0.01..=3600.0;

/// Parse the text of the file at `path` (the path only names it in errors),
/// and check every value this module can: the interval's range, that no
/// path, name or URL is empty, and every `[alerts]` rule. A value found bad
/// here is located at its key, as the parser's own errors are, so that a
/// broken file fails where it is read (for `profrun config` and the query
/// commands too), not at every run with no line to look at.
pub fn parse(text: &str, path: &Path) -> Result<ConfigFile, ConfigError> {
    let file: ConfigFile = toml::from_str(text).map_err(|err| {
        located(
            text,
            path,
            err.span().map(|s| s.start),
            err.message().trim().to_string(),
        )
    })?;
    if let Some(interval) = file.interval {
        if !INTERVAL_SECONDS.contains(&interval) {
            return Err(error_at_key(
                text,
                path,
                None,
                "interval",
                format!(
                    "interval {interval} is out of range: it must be between 0.01 and 3600 seconds"
                ),
            ));
        }
    }
    let empty = [
        ("history", file.history.as_ref().map(|p| p.as_os_str())),
        ("name", file.name.as_deref().map(std::ffi::OsStr::new)),
        (
            "textfile_dir",
            file.textfile_dir.as_ref().map(|p| p.as_os_str()),
        ),
        (
            "pushgateway",
            file.pushgateway.as_deref().map(std::ffi::OsStr::new),
        ),
    ]
    .into_iter()
    .find(|(_, value)| value.is_some_and(|v| v.is_empty()));
    if let Some((key, _)) = empty {
        return Err(error_at_key(
            text,
            path,
            None,
            key,
            format!("{key} must not be empty"),
        ));
    }
    for (name, rule) in &file.alerts {
        if let Err(err) = crate::alerts::parse_rule(&format!("{name}={rule}")) {
            return Err(error_at_key(
                text,
                path,
                Some("alerts"),
                name,
                format!("bad alert '{name}': {err}"),
            ));
        }
    }
    Ok(file)
}

/// An error about the value of `key` in `table` (`None`: the top level),
/// found after parsing (here, or by `commands::config` for what only the
/// OS side can check), located at that key.
pub fn error_at_key(
    text: &str,
    path: &Path,
    table: Option<&str>,
    key: &str,
    message: String,
) -> ConfigError {
    // An inline table (`alerts = { fat = "..." }`): at least its line.
    let offset =
        key_offset(text, table, key).or_else(|| table.and_then(|t| key_offset(text, None, t)));
    located(text, path, offset, message)
}

fn located(text: &str, path: &Path, offset: Option<usize>, message: String) -> ConfigError {
    let (line, column) = offset.map_or((0, 0), |o| line_column(text, o));
    ConfigError {
        path: path.to_path_buf(),
        line,
        column,
        message,
    }
}

/// 1-based line and column (in characters) of byte `offset` of `text`.
fn line_column(text: &str, offset: usize) -> (usize, usize) {
    let before = &text[..offset.min(text.len())];
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    (line, before[line_start..].chars().count() + 1)
}

/// Where `key = ...` of `table` (`None`: the top level) starts: under a
/// `[table]` header, bare or quoted, or as `table.key` among the top-level
/// keys. `None` when it is written some other way.
fn key_offset(text: &str, table: Option<&str>, key: &str) -> Option<usize> {
    let dotted = table.map(|t| format!("{t}.{key}"));
    let mut offset = 0;
    // The `[section]` the line is in; `None` before the first header.
    let mut section: Option<&str> = None;
    for line in text.split_inclusive('\n') {
        let trimmed = line.trim_start();
        let at = offset + line.len() - trimmed.len();
        offset += line.len();
        if let Some(header) = trimmed.strip_prefix('[') {
            section = Some(header.split_once(']').map_or(header, |(h, _)| h).trim());
            continue;
        }
        let wanted = match (table, section) {
            (None, None) => key,
            (Some(t), Some(s)) if t == s => key,
            (Some(_), None) => dotted.as_deref().unwrap_or(key),
            _ => continue,
        };
        if defines(trimmed, wanted) {
            return Some(at);
        }
    }
    None
}

/// Whether `line` (trimmed at the start) is `key = ...`, the key bare or
/// in quotes.
fn defines(line: &str, key: &str) -> bool {
    let rest = line.strip_prefix(key).or_else(|| {
        ['"', '\'']
            .into_iter()
            .find_map(|q| line.strip_prefix(q)?.strip_prefix(key)?.strip_prefix(q))
    });
    rest.is_some_and(|rest| rest.trim_start().starts_with('='))
}

/// Where the config file is looked for: `$PROFRUN_CONFIG` (`explicit`:
/// it must exist), else `$XDG_CONFIG_HOME/profrun/config.toml` (an
/// absolute `XDG_CONFIG_HOME` only, as the XDG spec says), else
/// `$HOME/.config/profrun/config.toml`. Empty variables count as unset.
pub fn config_path(get: impl Fn(&str) -> Option<String>) -> Option<ConfigLocation> {
    let non_empty = |k: &str| get(k).filter(|v| !v.is_empty());
    if let Some(p) = non_empty("PROFRUN_CONFIG") {
        return Some(ConfigLocation {
            path: PathBuf::from(p),
            explicit: true,
        });
    }
    let base = non_empty("XDG_CONFIG_HOME")
        .filter(|d| d.starts_with('/'))
        .map(PathBuf::from)
        .or_else(|| non_empty("HOME").map(|h| PathBuf::from(h).join(".config")))?;
    Some(ConfigLocation {
        path: base.join("profrun").join("config.toml"),
        explicit: false,
    })
}

/// A config file's path and whether the user named it (a named file that
/// is missing is an error; a missing default file is no file).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigLocation {
    pub path: PathBuf,
    pub explicit: bool,
}

/// Where an effective setting came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    Cli,
    Env(&'static str),
    File,
    Default,
}

impl fmt::Display for Source {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Source::Cli => f.write_str("cli"),
            Source::Env(var) => write!(f, "env {var}"),
            Source::File => f.write_str("file"),
            Source::Default => f.write_str("default"),
        }
    }
}

/// One setting's value and where it came from.
#[derive(Debug, Clone, PartialEq)]
pub struct Setting<T> {
    pub value: T,
    pub source: Source,
}

/// The first of command line, environment variable `env_var` (non-empty),
/// file; else `default`.
pub fn pick<T>(
    cli: Option<T>,
    env_var: Option<&'static str>,
    get: &dyn Fn(&str) -> Option<String>,
    parse_env: impl Fn(String) -> T,
    file: Option<T>,
    default: T,
) -> Setting<T> {
    if let Some(value) = cli {
        return Setting {
            value,
            source: Source::Cli,
        };
    }
    if let Some(var) = env_var {
        if let Some(text) = get(var).filter(|v| !v.is_empty()) {
            return Setting {
                value: parse_env(text),
                source: Source::Env(var),
            };
        }
    }
    match file {
        Some(value) => Setting {
            value,
            source: Source::File,
        },
        None => Setting {
            value: default,
            source: Source::Default,
        },
    }
}

/// The settings as given on a command line (`None`: not given).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct CliSettings {
    pub history: Option<PathBuf>,
    pub pushgateway: Option<String>,
    pub textfile_dir: Option<PathBuf>,
    pub name: Option<String>,
    pub interval: Option<f64>,
    pub tags: Vec<(String, String)>,
}

/// Every setting the config file can hold, resolved.
#[derive(Debug, Clone, PartialEq)]
pub struct Effective {
    /// `None` value: no history path can be made (no HOME and so on).
    pub history: Setting<Option<PathBuf>>,
    pub pushgateway: Setting<Option<String>>,
    pub textfile_dir: Setting<Option<PathBuf>>,
    /// `None` value: the detected tool.
    pub name: Setting<Option<String>>,
    pub interval: Setting<f64>,
    /// Each tag with its source: the file's, overridden key by key by the
    /// command line's.
    pub tags: BTreeMap<String, Setting<String>>,
    /// Named rules from the file, as written.
    pub alerts: BTreeMap<String, String>,
}

/// The default sampling interval (as `--interval`'s default).
pub const DEFAULT_INTERVAL_SECONDS: f64 = 0.5;

/// Resolve every setting: command line > environment > file > default.
/// `default_history` is the history path without any of them (the XDG
/// data path).
pub fn effective(
    cli: &CliSettings,
    get: &dyn Fn(&str) -> Option<String>,
    file: Option<&ConfigFile>,
    default_history: Option<PathBuf>,
) -> Effective {
    let empty = ConfigFile::default();
    let file = file.unwrap_or(&empty);
    let mut tags: BTreeMap<String, Setting<String>> = file
        .tags
        .iter()
        .map(|(k, v)| {
            (
                k.clone(),
                Setting {
                    value: v.clone(),
                    source: Source::File,
                },
            )
        })
        .collect();
    for (k, v) in &cli.tags {
        tags.insert(
            k.clone(),
            Setting {
                value: v.clone(),
                source: Source::Cli,
            },
        );
    }
    Effective {
        history: pick(
            cli.history.clone().map(Some),
            Some("PROFRUN_HISTORY"),
            get,
            |v| Some(PathBuf::from(v)),
            file.history.clone().map(Some),
            default_history,
        ),
        pushgateway: pick(
            cli.pushgateway.clone().map(Some),
            Some("PROFRUN_PUSHGATEWAY"),
            get,
            Some,
            file.pushgateway.clone().map(Some),
            None,
        ),
        textfile_dir: pick(
            cli.textfile_dir.clone().map(Some),
            Some("PROFRUN_TEXTFILE_DIR"),
            get,
            |v| Some(PathBuf::from(v)),
            file.textfile_dir.clone().map(Some),
            None,
        ),
        name: pick(
            cli.name.clone().map(Some),
            None,
            get,
            Some,
            file.name.clone().map(Some),
            None,
        ),
        interval: pick(
            cli.interval,
            None,
            get,
            |_| DEFAULT_INTERVAL_SECONDS,
            file.interval,
            DEFAULT_INTERVAL_SECONDS,
        ),
        tags,
        alerts: file.alerts.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env<'a>(pairs: &'a [(&'a str, &'a str)]) -> impl Fn(&str) -> Option<String> + 'a {
        move |k| {
            pairs
                .iter()
                .find(|(n, _)| *n == k)
                .map(|(_, v)| v.to_string())
        }
    }

    const FULL: &str = r#"
history = "/data/h.jsonl"
pushgateway = "http://gw:9091"
textfile_dir = "/var/lib/node_exporter/textfile"
name = "md"
interval = 2.0

[tags]
project = "alpha"

[alerts]
long = "duration>300s"
fat = "memory>8GiB"
"#;

    #[test]
    fn every_key_parses() {
        let file = parse(FULL, Path::new("c.toml")).expect("parses");
        assert_eq!(file.history, Some(PathBuf::from("/data/h.jsonl")));
        assert_eq!(file.pushgateway.as_deref(), Some("http://gw:9091"));
        assert_eq!(file.name.as_deref(), Some("md"));
        assert_eq!(file.interval, Some(2.0));
        assert_eq!(file.tags["project"], "alpha");
        assert_eq!(file.alerts["fat"], "memory>8GiB");
        assert_eq!(parse("", Path::new("c.toml")), Ok(ConfigFile::default()));
    }

    #[test]
    fn errors_name_the_line_and_column() {
        let err = parse("name = \"md\"\ninterval = \"fast\"\n", Path::new("c.toml"))
            .expect_err("a string interval");
        assert_eq!((err.line, err.column), (2, 12), "{err}");
        assert!(err.to_string().starts_with("c.toml:2:12: "), "{err}");

        let err = parse("\n\nnmae = \"md\"\n", Path::new("c.toml")).expect_err("unknown key");
        assert_eq!((err.line, err.column), (3, 1), "{err}");
        assert!(err.message.contains("nmae"), "{err}");

        let err = parse("name = \"md\n", Path::new("c.toml")).expect_err("unterminated");
        assert_eq!(err.line, 1, "{err}");

        let err = parse("name = \"md\"\n  interval = 0\n", Path::new("c.toml"))
            .expect_err("out of range");
        assert_eq!((err.line, err.column), (2, 3), "{err}");
        assert!(err.message.contains("out of range"), "{err}");
    }

    /// Regression (issue 13 review): `[alerts] x = "cpu>>3"` passed
    /// `profrun config` and the queries, then failed every run without a
    /// file, line or column.
    #[test]
    fn a_bad_alert_rule_is_an_error_at_its_key_in_the_alerts_table() {
        let text = "name = \"md\"\n\n[tags]\nx = \"cpu>>3\"\n\n[alerts]\nok = \"cpu>90%\"\n  x = \"cpu>>3\"\n";
        let err = parse(text, Path::new("c.toml")).expect_err("a bad rule");
        assert_eq!((err.line, err.column), (8, 3), "{err}");
        assert!(
            err.to_string().starts_with("c.toml:8:3: bad alert 'x': "),
            "{err}"
        );

        for (text, at) in [
            ("[alerts]\n\"x\" = \"memory>lots\"\n", (2, 1)),
            ("alerts.x = \"memory>lots\"\n", (1, 1)),
            ("name = \"md\"\nalerts = { x = \"memory>lots\" }\n", (2, 1)),
            // A name the rule grammar does not allow.
            ("[alerts]\n\"a b\" = \"memory>1\"\n", (2, 1)),
        ] {
            let err = parse(text, Path::new("c.toml")).expect_err(text);
            assert_eq!((err.line, err.column), at, "{text}: {err}");
        }
    }

    #[test]
    fn an_empty_path_name_or_url_is_an_error_at_its_key() {
        for key in ["history", "name", "textfile_dir", "pushgateway"] {
            let text = format!("interval = 1.0\n{key} = \"\"\n");
            let err = parse(&text, Path::new("c.toml")).expect_err(key);
            assert_eq!((err.line, err.column), (2, 1), "{err}");
            assert_eq!(err.message, format!("{key} must not be empty"));
        }
    }

    #[test]
    fn keys_are_found_in_their_table_only() {
        let text = "name = \"a\"\n[tags]\nname = \"b\"\n[alerts]\nname = \"c\"\n";
        assert_eq!(key_offset(text, None, "name"), Some(0));
        assert_eq!(
            key_offset(text, Some("alerts"), "name").map(|o| line_column(text, o)),
            Some((5, 1))
        );
        assert_eq!(key_offset(text, Some("other"), "name"), None);
        assert_eq!(key_offset("names = 1\n", None, "name"), None);
    }

    #[test]
    fn the_path_follows_profrun_config_then_xdg_then_home() {
        let at = |pairs: &[(&str, &str)]| config_path(env(pairs)).map(|l| (l.path, l.explicit));
        assert_eq!(
            at(&[("PROFRUN_CONFIG", "/c.toml"), ("HOME", "/h")]),
            Some((PathBuf::from("/c.toml"), true))
        );
        assert_eq!(
            at(&[("XDG_CONFIG_HOME", "/x"), ("HOME", "/h")]),
            Some((PathBuf::from("/x/profrun/config.toml"), false))
        );
        assert_eq!(
            at(&[
                ("PROFRUN_CONFIG", ""),
                ("XDG_CONFIG_HOME", "rel"),
                ("HOME", "/h")
            ]),
            Some((PathBuf::from("/h/.config/profrun/config.toml"), false))
        );
        assert_eq!(at(&[]), None);
    }

    #[test]
    fn cli_beats_env_beats_file_beats_default() {
        let file = parse(FULL, Path::new("c.toml")).expect("parses");
        let default = Some(PathBuf::from("/xdg/h.jsonl"));
        let get = env(&[("PROFRUN_PUSHGATEWAY", "http://env:9091")]);
        let cli = CliSettings {
            textfile_dir: Some(PathBuf::from("/cli")),
            tags: vec![("project".into(), "beta".into())],
            ..CliSettings::default()
        };
        let e = effective(&cli, &get, Some(&file), default.clone());
        assert_eq!(e.textfile_dir.source, Source::Cli);
        assert_eq!(e.textfile_dir.value, Some(PathBuf::from("/cli")));
        assert_eq!(e.pushgateway.source, Source::Env("PROFRUN_PUSHGATEWAY"));
        assert_eq!(e.pushgateway.value.as_deref(), Some("http://env:9091"));
        assert_eq!(e.history.source, Source::File);
        assert_eq!(e.interval.value, 2.0);
        assert_eq!(e.tags["project"].value, "beta");
        assert_eq!(e.tags["project"].source, Source::Cli);
        assert_eq!(e.alerts.len(), 2);

        let none = effective(&CliSettings::default(), &env(&[]), None, default.clone());
        assert_eq!(none.history.value, default);
        assert_eq!(none.history.source, Source::Default);
        assert_eq!(none.interval.value, DEFAULT_INTERVAL_SECONDS);
        assert_eq!(none.pushgateway.value, None);
        assert_eq!(none.name.source, Source::Default);
    }
}
