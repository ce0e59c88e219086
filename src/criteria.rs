//! What a query asks for, as the command line gives it: which runs
//! (`--since`/`--until` times, a `job-details` id) and how `job-stats`
//! groups them. Pure values with their clap value parsers, shared by `cli`,
//! `history` and `report` so that none of them imports another for them.
//!
//! Times: `7d`, `12h`, `30m`, `45s`, `2w` ago; RFC 3339; a local
//! `YYYY-MM-DD` (`--until` includes that whole day) or a local
//! `YYYY-MM-DDTHH:MM[:SS]`.

use chrono::{DateTime, Local, NaiveDate, NaiveDateTime, TimeZone};

/// A `--since`/`--until` value, resolved against "now" when filtering.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum When {
    /// Seconds before now.
    Ago(f64),
    /// An instant, µs since the epoch.
    At(i64),
    /// A local calendar day.
    Day(NaiveDate),
}

/// Parse a `--since`/`--until` value (used as a clap value parser).
pub fn parse_when(s: &str) -> Result<When, String> {
    let t = s.trim();
    let units = [
        ('s', 1.0),
        ('m', 60.0),
        ('h', 3600.0),
        ('d', 86400.0),
        ('w', 604800.0),
    ];
    for (suffix, seconds) in units {
        if let Some(n) = t.strip_suffix(suffix) {
            if let Ok(v) = n.trim().parse::<f64>() {
                if v.is_finite() && v >= 0.0 {
                    return Ok(When::Ago(v * seconds));
                }
            }
        }
    }
    if let Ok(d) = DateTime::parse_from_rfc3339(t) {
        return Ok(When::At(d.timestamp_micros()));
    }
    if let Ok(d) = NaiveDate::parse_from_str(t, "%Y-%m-%d") {
        return Ok(When::Day(d));
    }
    for f in [
        "%Y-%m-%dT%H:%M:%S",
        "%Y-%m-%dT%H:%M",
        "%Y-%m-%d %H:%M:%S",
        "%Y-%m-%d %H:%M",
    ] {
        if let Ok(n) = NaiveDateTime::parse_from_str(t, f) {
            return local_us(n).map(When::At).ok_or_else(|| bad_time(s));
        }
    }
    Err(bad_time(s))
}

fn bad_time(s: &str) -> String {
    format!("'{s}' is not a time: use 7d, 12h, 30m, RFC 3339 or YYYY-MM-DD")
}

fn local_us(n: NaiveDateTime) -> Option<i64> {
    Local
        .from_local_datetime(&n)
        .earliest()
        .map(|t| t.timestamp_micros())
}

impl When {
    /// The instant, µs since the epoch. A day means its first instant, or
    /// with `end_of_day` the first instant of the next day.
    pub fn resolve(self, now_us: i64, end_of_day: bool) -> i64 {
        match self {
            When::Ago(secs) => now_us.saturating_sub((secs * 1e6) as i64),
            When::At(us) => us,
            When::Day(d) => {
                let d = if end_of_day {
                    d.succ_opt().unwrap_or(d)
                } else {
                    d
                };
                local_us(d.and_time(chrono::NaiveTime::MIN)).unwrap_or(i64::MAX)
            }
        }
    }
}

/// What the user typed, understood.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IdSpec {
    /// 1-based: `last` is 1, `-3` is 3.
    Newest(usize),
    Prefix(String),
}

pub fn parse_id(s: &str) -> Result<IdSpec, String> {
    let t = s.trim();
    if t.eq_ignore_ascii_case("last") {
        return Ok(IdSpec::Newest(1));
    }
    if let Some(n) = t.strip_prefix('-') {
        return match n.parse::<usize>() {
            Ok(n) if n > 0 => Ok(IdSpec::Newest(n)),
            _ => Err(format!("'{s}' is not an id, `last` or -N with N ≥ 1")),
        };
    }
    if t.is_empty() {
        return Err("an empty id matches every run".to_string());
    }
    Ok(IdSpec::Prefix(t.to_ascii_lowercase()))
}

/// One part of a group key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum GroupKey {
    Tool,
    Script,
    Command,
    Host,
    Status,
    /// The Slurm job (`slurm.array_job_id` for an array task, else
    /// `slurm.job_id`): a job's tasks read as one.
    SlurmJob,
    Tag(String),
}

/// Parse a `--group-by` value (a clap value parser).
pub fn parse_group_key(s: &str) -> Result<GroupKey, String> {
    match s {
        "tool" => Ok(GroupKey::Tool),
        "script" => Ok(GroupKey::Script),
        "command" => Ok(GroupKey::Command),
        "host" => Ok(GroupKey::Host),
        "status" => Ok(GroupKey::Status),
        "slurm_job" => Ok(GroupKey::SlurmJob),
        _ => match s.strip_prefix("tag:") {
            Some(k) if !k.is_empty() => Ok(GroupKey::Tag(k.to_string())),
            _ => Err(format!(
                "'{s}' is not a group: use tool, script, command, host, status, slurm_job or tag:KEY"
            )),
        },
    }
}

impl GroupKey {
    /// The column name: `tool`, ..., `tag:KEY`.
    pub fn name(&self) -> String {
        match self {
            GroupKey::Tool => "tool".into(),
            GroupKey::Script => "script".into(),
            GroupKey::Command => "command".into(),
            GroupKey::Host => "host".into(),
            GroupKey::Status => "status".into(),
            GroupKey::SlurmJob => "slurm_job".into(),
            GroupKey::Tag(k) => format!("tag:{k}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn relative_and_absolute_times() {
        assert_eq!(parse_when("7d"), Ok(When::Ago(7.0 * 86400.0)));
        assert_eq!(parse_when("12h"), Ok(When::Ago(43200.0)));
        assert_eq!(
            parse_when("2025-11-21T10:30:00Z"),
            Ok(When::At(1_763_721_000_000_000))
        );
        assert!(matches!(parse_when("2025-11-21"), Ok(When::Day(_))));
        assert!(parse_when("yesterday").is_err());
        assert!(parse_when("-3d").is_err());
        assert_eq!(When::Ago(1.0).resolve(5_000_000, false), 4_000_000);
    }

    #[test]
    fn until_a_day_includes_the_whole_day() {
        let d = NaiveDate::from_ymd_opt(2025, 11, 21).expect("date");
        let since = When::Day(d).resolve(0, false);
        let until = When::Day(d).resolve(0, true);
        assert_eq!(until - since, 86_400_000_000);
    }

    #[test]
    fn id_forms() {
        assert_eq!(parse_id("last"), Ok(IdSpec::Newest(1)));
        assert_eq!(parse_id("-3"), Ok(IdSpec::Newest(3)));
        assert_eq!(parse_id("3FA9"), Ok(IdSpec::Prefix("3fa9".into())));
        assert!(parse_id("-0").is_err());
        assert!(parse_id("-x").is_err());
        assert!(parse_id("").is_err());
    }

    #[test]
    fn group_keys_parse() {
        assert_eq!(
            parse_group_key("tag:mesh"),
            Ok(GroupKey::Tag("mesh".into()))
        );
        assert!(parse_group_key("tag:").is_err());
        assert_eq!(parse_group_key("slurm_job"), Ok(GroupKey::SlurmJob));
        assert!(parse_group_key("colour").is_err());
    }
}
