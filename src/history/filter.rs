//! The filters shared by `job-history` and `job-stats`, applied to a
//! [`JobSummary`]. Times: `7d`, `12h`, `30m`, `45s`, `2w` ago; RFC 3339; a
//! local `YYYY-MM-DD` (`--until` includes that whole day) or a local
//! `YYYY-MM-DDTHH:MM[:SS]`.

use super::summary::JobSummary;
use chrono::{DateTime, Local, NaiveDate, NaiveDateTime, TimeZone};
use std::path::Path;

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

/// All conditions must hold; an empty filter matches everything.
#[derive(Debug, Clone, Default)]
pub struct Filter {
    pub tool: Option<String>,
    pub script: Option<String>,
    pub status: Option<String>,
    pub since_us: Option<i64>,
    pub until_us: Option<i64>,
    pub tags: Vec<(String, String)>,
    pub host: Option<String>,
    pub grep: Option<String>,
}

impl Filter {
    pub fn from_args(args: &crate::cli::FilterArgs, now_us: i64) -> Filter {
        Filter {
            tool: args.tool.clone(),
            script: args.script.clone(),
            status: args.status.clone(),
            since_us: args.since.map(|w| w.resolve(now_us, false)),
            until_us: args.until.map(|w| w.resolve(now_us, true)),
            tags: args
                .tags
                .iter()
                .map(|kv| (kv.key.clone(), kv.value.clone()))
                .collect(),
            host: args.host.clone(),
            grep: args.grep.clone(),
        }
    }

    pub fn matches(&self, job: &JobSummary) -> bool {
        if let Some(tool) = &self.tool {
            if !job.tool.eq_ignore_ascii_case(tool) {
                return false;
            }
        }
        if let Some(script) = &self.script {
            let Some(js) = &job.script else { return false };
            let name = Path::new(js).file_name().and_then(|n| n.to_str());
            if js != script && name != Some(script.as_str()) {
                return false;
            }
        }
        if self.status.as_ref().is_some_and(|s| *s != job.status) {
            return false;
        }
        if self.since_us.is_some_and(|t| job.start_us < t) {
            return false;
        }
        if self.until_us.is_some_and(|t| job.start_us >= t) {
            return false;
        }
        if !self
            .tags
            .iter()
            .all(|(k, v)| job.tags.get(k).is_some_and(|jv| jv == v))
        {
            return false;
        }
        if let Some(host) = &self.host {
            let Some(jh) = &job.host else { return false };
            // `node1` also matches `node1.cluster.example`.
            let short = jh.split('.').next().unwrap_or(jh);
            if jh != host && short != host {
                return false;
            }
        }
        if let Some(text) = &self.grep {
            if !job.command_line().contains(text.as_str()) {
                return false;
            }
        }
        true
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
}
