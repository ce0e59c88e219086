//! The Prometheus text exposition format 0.0.4: `# HELP` and `# TYPE` lines,
//! then one `name{label="value"} number` line per sample.
//!
//! Hand-written rather than the `prometheus` or `prometheus-client` crates:
//! both are built around a registry of long-lived, atomically updated
//! metric objects (and `prometheus` pulls protobuf), while profrun renders a
//! handful of values it already holds into a string once per run or once
//! per tick. What the format asks for is escaping and number formatting,
//! which fit in this file and are pinned by its tests and by `promtool check
//! metrics` in `tests/metrics_export.rs`.

use std::fmt::Write;

/// Prometheus metric types profrun emits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MetricKind {
    Gauge,
    Counter,
}

impl MetricKind {
    fn as_str(self) -> &'static str {
        match self {
            MetricKind::Gauge => "gauge",
            MetricKind::Counter => "counter",
        }
    }
}

/// One line of a family: its labels (in order) and its value.
#[derive(Debug, Clone, PartialEq)]
pub struct Sample {
    pub labels: Vec<(String, String)>,
    pub value: f64,
}

/// A metric name with its help text, type and samples.
#[derive(Debug, Clone, PartialEq)]
pub struct MetricFamily {
    pub name: String,
    pub help: String,
    pub kind: MetricKind,
    pub samples: Vec<Sample>,
}

pub type MetricFamilies = Vec<MetricFamily>;

/// The bounded labels every profrun series carries: a grouping name
/// (`--name`, default the detected tool), the tool and the host. Nothing
/// per run (task id, pid, command line, Slurm job id, commit) goes here:
/// each distinct label set is a new series that Prometheus keeps for its
/// whole retention (see docs/monitoring.md).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Labels {
    pub name: String,
    pub tool: String,
    pub host: String,
}

impl Labels {
    /// `name` as given, else the record's tool; host from the record.
    pub fn for_record(record: &crate::record::JobRecord, name: Option<&str>) -> Labels {
        Labels {
            name: name.unwrap_or(&record.tool).to_string(),
            tool: record.tool.clone(),
            host: record.host.hostname.clone(),
        }
    }

    /// The labels as pairs, with `extra` appended (e.g. `mode="user"`).
    pub fn pairs(&self, extra: &[(&str, &str)]) -> Vec<(String, String)> {
        let mut out = vec![
            ("name".to_string(), self.name.clone()),
            ("tool".to_string(), self.tool.clone()),
            ("host".to_string(), self.host.clone()),
        ];
        out.extend(extra.iter().map(|(k, v)| (k.to_string(), v.to_string())));
        out
    }
}

/// Families as exposition text, in the order given, ending in `\n`.
pub fn encode(families: &[MetricFamily]) -> String {
    let mut out = String::new();
    encode_into(families, &mut out);
    out
}

/// [`encode`], appended to `out` (a buffer reused from scrape to scrape).
fn encode_into(families: &[MetricFamily], out: &mut String) {
    for family in families {
        push_family_head(out, &family.name, &family.help, family.kind);
        for sample in &family.samples {
            out.push_str(&family.name);
            if !sample.labels.is_empty() {
                out.push('{');
                for (i, (key, value)) in sample.labels.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    out.push_str(key);
                    out.push_str("=\"");
                    push_label_value(out, value);
                    out.push('"');
                }
                out.push('}');
            }
            out.push(' ');
            push_value(out, sample.value);
            out.push('\n');
        }
    }
}

/// A label value with `\`, `"` and newline escaped, as 0.0.4 requires.
pub fn escape_label_value(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    push_label_value(&mut out, value);
    out
}

/// [`escape_label_value`], appended to `out`.
pub fn push_label_value(out: &mut String, value: &str) {
    for ch in value.chars() {
        match ch {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '\n' => out.push_str("\\n"),
            c => out.push(c),
        }
    }
}

/// `# HELP` and `# TYPE` lines of a family, appended to `out`.
pub fn push_family_head(out: &mut String, name: &str, help: &str, kind: MetricKind) {
    debug_assert!(is_valid_name(name), "{name:?}");
    let _ = writeln!(out, "# HELP {name} {}", escape_help(help));
    let _ = writeln!(out, "# TYPE {name} {}", kind.as_str());
}

/// [`format_value`], appended to `out` without a `String` of its own.
pub fn push_value(out: &mut String, value: f64) {
    if value.is_nan() {
        out.push_str("NaN");
    } else if value == f64::INFINITY {
        out.push_str("+Inf");
    } else if value == f64::NEG_INFINITY {
        out.push_str("-Inf");
    } else if value.fract() == 0.0 && value.abs() < 1e15 {
        let _ = write!(out, "{}", value as i64);
    } else {
        let _ = write!(out, "{value}");
    }
}

/// HELP text escapes `\` and newline only (quotes stay as they are).
fn escape_help(help: &str) -> std::borrow::Cow<'_, str> {
    if help.contains(['\\', '\n']) {
        help.replace('\\', "\\\\").replace('\n', "\\n").into()
    } else {
        help.into()
    }
}

/// A sample value: integers without a fraction, `+Inf`, `-Inf`, `NaN`,
/// anything else in Rust's shortest round-trip form (which Go's
/// `strconv.ParseFloat`, used by Prometheus, reads back exactly).
pub fn format_value(value: f64) -> String {
    let mut out = String::new();
    push_value(&mut out, value);
    out
}

/// `name` is a valid metric or label name (`[a-zA-Z_:][a-zA-Z0-9_:]*`;
/// label names may not contain `:`, which profrun never uses).
pub fn is_valid_name(name: &str) -> bool {
    let mut chars = name.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_alphabetic() || c == '_' || c == ':')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == ':')
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// One sample line read back: name, labels, value.
    pub(crate) type Parsed = (String, Vec<(String, String)>, f64);

    /// A strict reader of what `encode` writes: every sample's family has
    /// HELP and TYPE lines before it, names are valid, label values
    /// unescape, values parse as Prometheus reads them.
    pub(crate) fn parse_exposition(text: &str) -> Result<Vec<Parsed>, String> {
        let mut typed = Vec::new();
        let mut out = Vec::new();
        if !text.is_empty() && !text.ends_with('\n') {
            return Err("no final newline".into());
        }
        for line in text.lines() {
            if let Some(rest) = line.strip_prefix("# HELP ") {
                let name = rest.split(' ').next().unwrap_or("");
                if !is_valid_name(name) {
                    return Err(format!("bad HELP name in {line:?}"));
                }
            } else if let Some(rest) = line.strip_prefix("# TYPE ") {
                let (name, kind) = rest.split_once(' ').ok_or(format!("bad TYPE {line:?}"))?;
                if !["gauge", "counter"].contains(&kind) {
                    return Err(format!("bad type in {line:?}"));
                }
                typed.push(name.to_string());
            } else {
                out.push(parse_sample(line, &typed)?);
            }
        }
        Ok(out)
    }

    fn parse_sample(line: &str, typed: &[String]) -> Result<Parsed, String> {
        let name_end = line
            .find(['{', ' '])
            .ok_or(format!("no value in {line:?}"))?;
        let name = &line[..name_end];
        if !is_valid_name(name) || typed.last().map(String::as_str) != Some(name) {
            return Err(format!("sample {name:?} outside its family"));
        }
        let mut rest = &line[name_end..];
        let mut labels = Vec::new();
        if let Some(inner) = rest.strip_prefix('{') {
            let mut pos = 0;
            loop {
                let eq = inner[pos..].find('=').ok_or("label without =")? + pos;
                let key = &inner[pos..eq];
                if !is_valid_name(key) || !inner[eq + 1..].starts_with('"') {
                    return Err(format!("bad label in {line:?}"));
                }
                let mut value = String::new();
                let mut chars = inner[eq + 2..].char_indices();
                let end = loop {
                    match chars.next().ok_or("unterminated value")? {
                        (i, '"') => break eq + 2 + i,
                        (_, '\\') => match chars.next().ok_or("dangling escape")?.1 {
                            '\\' => value.push('\\'),
                            '"' => value.push('"'),
                            'n' => value.push('\n'),
                            c => return Err(format!("bad escape \\{c}")),
                        },
                        (_, '\n') => return Err("raw newline in value".into()),
                        (_, c) => value.push(c),
                    }
                };
                labels.push((key.to_string(), value));
                match inner[end + 1..].chars().next() {
                    Some(',') => pos = end + 2,
                    Some('}') => {
                        rest = &inner[end + 2..];
                        break;
                    }
                    _ => return Err(format!("bad label list in {line:?}")),
                }
            }
        }
        let value = rest
            .strip_prefix(' ')
            .ok_or(format!("no space before value in {line:?}"))?;
        let value = match value {
            "+Inf" => f64::INFINITY,
            "-Inf" => f64::NEG_INFINITY,
            "NaN" => f64::NAN,
            v => v.parse().map_err(|_| format!("bad value {v:?}"))?,
        };
        Ok((name.to_string(), labels, value))
    }

    #[test]
    fn values_format_as_prometheus_reads_them() {
        assert_eq!(format_value(3.0), "3");
        assert_eq!(format_value(-1.0), "-1");
        assert_eq!(format_value(0.25), "0.25");
        assert_eq!(format_value(1e20), "100000000000000000000");
        assert_eq!(format_value(1.5e-7), "0.00000015");
        assert_eq!(format_value(f64::INFINITY), "+Inf");
        assert_eq!(format_value(f64::NEG_INFINITY), "-Inf");
        assert_eq!(format_value(f64::NAN), "NaN");
    }

    #[test]
    fn label_values_escape_backslash_quote_and_newline() {
        assert_eq!(escape_label_value(r#"a\b"c"#), r#"a\\b\"c"#);
        assert_eq!(escape_label_value("x\ny"), "x\\ny");
        assert_eq!(escape_label_value("plain é"), "plain é");
    }

    #[test]
    fn encode_writes_help_type_and_samples() {
        let families = vec![MetricFamily {
            name: "profrun_x_bytes".into(),
            help: "A \"help\" with \\ and\nnewline.".into(),
            kind: MetricKind::Counter,
            samples: vec![
                Sample {
                    labels: vec![("a".into(), "q\"".into()), ("b".into(), "2".into())],
                    value: 1.5,
                },
                Sample {
                    labels: vec![],
                    value: f64::NAN,
                },
            ],
        }];
        assert_eq!(
            encode(&families),
            "# HELP profrun_x_bytes A \"help\" with \\\\ and\\nnewline.\n\
             # TYPE profrun_x_bytes counter\n\
             profrun_x_bytes{a=\"q\\\"\",b=\"2\"} 1.5\n\
             profrun_x_bytes NaN\n"
        );
    }

    #[test]
    fn names_are_checked() {
        assert!(is_valid_name("profrun_job_duration_seconds"));
        assert!(!is_valid_name("9x"));
        assert!(!is_valid_name("a-b"));
        assert!(!is_valid_name(""));
    }
}
