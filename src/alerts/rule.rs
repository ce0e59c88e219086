//! One `--alert` rule: `[NAME=]METRIC(>|<)THRESHOLD[forDURATION]`, e.g.
//! `memory>8GiB`, `cpu>90%for5m`, `slow=duration>300s`.

use super::units::{self, parse_bytes, parse_duration, parse_percent, parse_rate};
use crate::profile::profiler::NowFigures;

/// What a rule looks at, as of the latest sample.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Metric {
    /// Seconds since the job started.
    Duration,
    /// Σ RSS of the tree, bytes (`memory` and `rss` are the same figure).
    Memory,
    /// Σ swap of the tree, bytes.
    Swap,
    /// The tree's CPU rate, percent of the CPUs available to the job.
    Cpu,
    /// GPU utilisation over the job's GPUs, percent.
    Gpu,
    ReadRate,
    WriteRate,
}

impl Metric {
    fn from_name(name: &str) -> Option<Metric> {
        Some(match name {
            "duration" => Metric::Duration,
            "memory" | "rss" => Metric::Memory,
            "swap" => Metric::Swap,
            "cpu" => Metric::Cpu,
            "gpu" => Metric::Gpu,
            "read_rate" => Metric::ReadRate,
            "write_rate" => Metric::WriteRate,
            _ => return None,
        })
    }

    fn name(self) -> &'static str {
        match self {
            Metric::Duration => "duration",
            Metric::Memory => "memory",
            Metric::Swap => "swap",
            Metric::Cpu => "cpu",
            Metric::Gpu => "gpu",
            Metric::ReadRate => "read_rate",
            Metric::WriteRate => "write_rate",
        }
    }

    fn parse_threshold(self, s: &str) -> Result<f64, String> {
        match self {
            Metric::Duration => parse_duration(s),
            Metric::Memory | Metric::Swap => parse_bytes(s),
            Metric::Cpu | Metric::Gpu => parse_percent(s),
            Metric::ReadRate | Metric::WriteRate => parse_rate(s),
        }
    }

    /// A reading of the tree's processes at one instant (memory, swap,
    /// GPU), which says nothing once they are gone.
    pub fn is_live_tree_gauge(self) -> bool {
        matches!(self, Metric::Memory | Metric::Swap | Metric::Gpu)
    }

    /// The figure now; `None` when not measured (yet): no GPU, or no CPU
    /// rate before the second sample. A rule on a missing figure never
    /// fires (`gpu<10%` on a host without GPUs stays quiet).
    pub fn value(self, now: &NowFigures, cpus_available: usize) -> Option<f64> {
        match self {
            Metric::Duration => Some(now.t_seconds),
            Metric::Memory => Some(now.rss_bytes as f64),
            Metric::Swap => Some(now.swap_bytes as f64),
            Metric::Cpu => now.cpu_percent.map(|p| p / cpus_available.max(1) as f64),
            Metric::Gpu => now.gpu_utilization_percent,
            Metric::ReadRate => now.read_bytes_per_second,
            Metric::WriteRate => now.write_bytes_per_second,
        }
    }

    /// `8.3 GiB`, `95%`, `312 s`, `10 MiB/s`.
    pub fn format(self, v: f64) -> String {
        match self {
            Metric::Duration => units::format_seconds(v),
            Metric::Memory | Metric::Swap => units::format_bytes(v),
            Metric::Cpu | Metric::Gpu => format!("{}%", units::trim(v)),
            Metric::ReadRate | Metric::WriteRate => format!("{}/s", units::format_bytes(v)),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Comparison {
    Above,
    Below,
}

impl Comparison {
    fn holds(self, value: f64, threshold: f64) -> bool {
        match self {
            Comparison::Above => value > threshold,
            Comparison::Below => value < threshold,
        }
    }

    fn symbol(self) -> char {
        match self {
            Comparison::Above => '>',
            Comparison::Below => '<',
        }
    }
}

/// A parsed `--alert`.
#[derive(Debug, Clone, PartialEq)]
pub struct Rule {
    /// `NAME=` if given, else the rule text itself.
    pub name: String,
    /// The rule as written, without the name (`cpu>90%for5m`).
    pub text: String,
    pub metric: Metric,
    pub comparison: Comparison,
    /// In the metric's base unit: seconds, bytes, percent, bytes per second.
    pub threshold: f64,
    /// How long the condition must hold before the rule fires (0: at once).
    pub hold_seconds: f64,
}

impl Rule {
    /// Whether the condition holds for `value`.
    pub fn holds(&self, value: f64) -> bool {
        self.comparison.holds(value, self.threshold)
    }

    /// `memory 8.3 GiB > 8 GiB`.
    pub fn describe(&self, value: f64) -> String {
        format!(
            "{} {} {}",
            self.describe_value(value),
            self.comparison.symbol(),
            self.metric.format(self.threshold)
        )
    }

    /// `memory 2 MiB`.
    pub fn describe_value(&self, value: f64) -> String {
        format!("{} {}", self.metric.name(), self.metric.format(value))
    }
}

/// Parse `[NAME=]METRIC(>|<)THRESHOLD[forDURATION]` (the `--alert` value
/// parser: an error here is a usage error and nothing runs).
pub fn parse_rule(s: &str) -> Result<Rule, String> {
    let (name, text) = match s.split_once('=') {
        Some((name, text)) => {
            if name.is_empty()
                || !name
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
            {
                return Err(format!(
                    "'{name}' is not an alert name (letters, digits, '_' and '-')"
                ));
            }
            (Some(name), text)
        }
        None => (None, s),
    };
    let Some(at) = text.find(['>', '<']) else {
        return Err(format!(
            "'{s}' is not an alert rule: expected METRIC>VALUE or METRIC<VALUE, e.g. memory>8GiB or cpu>90%for5m"
        ));
    };
    let (metric_name, rest) = text.split_at(at);
    let metric = Metric::from_name(metric_name.trim()).ok_or_else(|| {
        format!(
            "'{metric_name}' is not an alert metric (duration, memory, rss, swap, cpu, gpu, read_rate, write_rate)"
        )
    })?;
    let comparison = if rest.starts_with('>') {
        Comparison::Above
    } else {
        Comparison::Below
    };
    let rest = rest[1..].trim();
    let (threshold, hold) = match rest.split_once("for") {
        Some((threshold, hold)) => (threshold.trim(), Some(hold.trim())),
        None => (rest, None),
    };
    let threshold = metric.parse_threshold(threshold)?;
    let hold_seconds = hold.map(parse_duration).transpose()?.unwrap_or(0.0);
    Ok(Rule {
        name: name.unwrap_or(text).to_string(),
        text: text.to_string(),
        metric,
        comparison,
        threshold,
        hold_seconds,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const GIB: f64 = 1024.0 * 1024.0 * 1024.0;

    #[test]
    fn the_issues_rules_parse() {
        let r = parse_rule("memory>8GiB").expect("valid");
        assert_eq!(
            (r.metric, r.comparison, r.threshold),
            (Metric::Memory, Comparison::Above, 8.0 * GIB)
        );
        assert_eq!(r.name, "memory>8GiB");
        let r = parse_rule("cpu>90%for5m").expect("valid");
        assert_eq!(
            (r.metric, r.threshold, r.hold_seconds),
            (Metric::Cpu, 90.0, 300.0)
        );
        let r = parse_rule("gpu<10%for10m").expect("valid");
        assert_eq!(
            (r.comparison, r.threshold, r.hold_seconds),
            (Comparison::Below, 10.0, 600.0)
        );
        assert_eq!(parse_rule("duration>300s").expect("valid").threshold, 300.0);
        assert_eq!(parse_rule("swap>0").expect("valid").threshold, 0.0);
        assert_eq!(
            parse_rule("write_rate>100MB/s").expect("valid").threshold,
            1e8
        );
    }

    #[test]
    fn a_name_prefix_names_the_rule() {
        let r = parse_rule("MemoryUsageHigh=memory>8GB").expect("valid");
        assert_eq!(r.name, "MemoryUsageHigh");
        assert_eq!(r.text, "memory>8GB");
    }

    #[test]
    fn malformed_rules_say_what_is_wrong() {
        for bad in [
            "bogus",
            "memory=8GiB",
            "heat>9000",
            "memory>lots",
            "cpu>90%for5d",
            "=memory>1",
            "memory>",
        ] {
            assert!(parse_rule(bad).is_err(), "{bad} should not parse");
        }
        assert!(parse_rule("heat>1")
            .expect_err("unknown")
            .contains("'heat'"));
    }

    #[test]
    fn cpu_is_a_share_of_the_available_cpus() {
        let now = NowFigures {
            cpu_percent: Some(380.0),
            ..NowFigures::default()
        };
        assert_eq!(Metric::Cpu.value(&now, 4), Some(95.0));
        assert_eq!(Metric::Gpu.value(&now, 4), None);
    }

    #[test]
    fn the_description_names_figure_and_threshold() {
        let r = parse_rule("memory>8GiB").expect("valid");
        assert_eq!(r.describe(8.3 * GIB), "memory 8.3 GiB > 8 GiB");
    }
}
