//! `--limit RESOURCE=VALUE`: `memory=8GiB` (Σ RSS + swap of the tree: a
//! job pushed into swap at its leaf's `memory.max` still counts), `wall=2h`
//! (seconds since the start), `cpu=SECONDS` (CPU seconds of the tree, live
//! and reaped). Crossed when the figure at a sample is above the limit.

use super::units::{parse_bytes, parse_duration};
use crate::profile::profiler::NowFigures;
use crate::record::LimitRecord;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LimitResource {
    Memory,
    Wall,
    Cpu,
}

impl LimitResource {
    /// `memory`, `wall` or `cpu`, as `--limit` and the record name them.
    pub fn from_name(name: &str) -> Option<LimitResource> {
        match name {
            "memory" => Some(LimitResource::Memory),
            "wall" => Some(LimitResource::Wall),
            "cpu" => Some(LimitResource::Cpu),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            LimitResource::Memory => "memory",
            LimitResource::Wall => "wall",
            LimitResource::Cpu => "cpu",
        }
    }

    fn value(self, now: &NowFigures) -> f64 {
        match self {
            LimitResource::Memory => (now.rss_bytes + now.swap_bytes) as f64,
            LimitResource::Wall => now.t_seconds,
            LimitResource::Cpu => now.cpu_seconds_total,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Limit {
    pub resource: LimitResource,
    /// Bytes for memory, seconds for wall and cpu.
    pub limit: f64,
}

/// A limit crossed at a sample.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LimitHit {
    pub limit: Limit,
    pub value: f64,
    pub at_seconds: f64,
}

impl Limit {
    /// The crossing, if the figure at this sample is above the limit.
    pub fn check(&self, now: &NowFigures) -> Option<LimitHit> {
        let value = self.resource.value(now);
        (value > self.limit).then_some(LimitHit {
            limit: *self,
            value,
            at_seconds: now.t_seconds,
        })
    }
}

impl LimitHit {
    /// `memory 80 MiB > 64 MiB`.
    pub fn describe(&self) -> String {
        let show = |v: f64| match self.limit.resource {
            LimitResource::Memory => super::format_bytes(v),
            LimitResource::Wall | LimitResource::Cpu => super::format_seconds(v),
        };
        format!(
            "{} {} > {}",
            self.limit.resource.as_str(),
            show(self.value),
            show(self.limit.limit)
        )
    }

    /// The record's `limit`, naming the mechanism that acted.
    pub fn record(&self, mechanism: &str) -> LimitRecord {
        LimitRecord {
            resource: self.limit.resource.as_str().to_string(),
            limit: self.limit.limit,
            value: (self.value * 1000.0).round() / 1000.0,
            at_seconds: (self.at_seconds * 1000.0).round() / 1000.0,
            mechanism: mechanism.to_string(),
        }
    }
}

/// A stored `limit` block as a line: `memory 61.8 MiB > 50 MiB at 1.02 s
/// (stopped by profrun at a tick)`; `None` for a resource profrun does
/// not know.
pub fn describe_limit(record: &LimitRecord) -> Option<String> {
    let resource = LimitResource::from_name(&record.resource)?;
    let hit = LimitHit {
        limit: Limit {
            resource,
            limit: record.limit,
        },
        value: record.value,
        at_seconds: record.at_seconds,
    };
    if record.mechanism == "cgroup" {
        // The leaf cannot pass its limit, and the kernel does not say when
        // it killed: `at_seconds` is when the main child ended.
        return Some(format!(
            "{} reached its {} limit by {} (the kernel OOM-killed the job in its cgroup leaf)",
            resource.as_str(),
            super::format_bytes(record.limit),
            super::format_seconds(record.at_seconds)
        ));
    }
    let by = match record.mechanism.as_str() {
        "sampler" => "stopped by profrun at a tick",
        other => other,
    };
    Some(format!(
        "{} at {} ({by})",
        hit.describe(),
        super::format_seconds(record.at_seconds)
    ))
}

/// Parse `memory=8GiB`, `wall=2h` or `cpu=3600` (the `--limit` value parser).
pub fn parse_limit(s: &str) -> Result<Limit, String> {
    let Some((resource, value)) = s.split_once('=') else {
        return Err(format!(
            "'{s}' is not a limit: expected RESOURCE=VALUE, e.g. memory=8GiB, wall=2h or cpu=3600"
        ));
    };
    let Some(resource) = LimitResource::from_name(resource) else {
        return Err(format!(
            "'{resource}' is not a limited resource (memory, wall or cpu)"
        ));
    };
    let limit = match resource {
        LimitResource::Memory => parse_bytes(value)?,
        LimitResource::Wall | LimitResource::Cpu => parse_duration(value)?,
    };
    if limit <= 0.0 {
        return Err(format!("'{s}': a limit must be above zero"));
    }
    Ok(Limit { resource, limit })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_stored_limit_reads_as_a_line_with_units_not_raw_numbers() {
        let record = LimitRecord {
            resource: "memory".into(),
            limit: 50.0 * 1024.0 * 1024.0,
            value: 64_819_200.0,
            at_seconds: 1.02,
            mechanism: "sampler".into(),
        };
        assert_eq!(
            describe_limit(&record).as_deref(),
            Some("memory 61.8 MiB > 50 MiB at 1.02 s (stopped by profrun at a tick)")
        );
        let unknown = LimitRecord {
            resource: "heat".into(),
            ..record.clone()
        };
        assert_eq!(describe_limit(&unknown), None);
        let by_the_kernel = LimitRecord {
            mechanism: "cgroup".into(),
            value: 50.0 * 1024.0 * 1024.0,
            at_seconds: 0.06,
            ..record
        };
        assert_eq!(
            describe_limit(&by_the_kernel).as_deref(),
            Some("memory reached its 50 MiB limit by 0.06 s (the kernel OOM-killed the job in its cgroup leaf)")
        );
    }

    #[test]
    fn limits_parse_with_units() {
        let l = parse_limit("memory=8GiB").expect("valid");
        assert_eq!(
            (l.resource, l.limit),
            (LimitResource::Memory, 8.0 * 1024.0 * 1024.0 * 1024.0)
        );
        assert_eq!(parse_limit("wall=2h").expect("valid").limit, 7200.0);
        assert_eq!(parse_limit("cpu=90").expect("valid").limit, 90.0);
        for bad in ["memory", "heat=3", "wall=soon", "memory=0"] {
            assert!(parse_limit(bad).is_err(), "{bad} should not parse");
        }
    }

    #[test]
    fn swapped_out_memory_counts_against_the_limit() {
        let memory = parse_limit("memory=64MiB").expect("valid");
        let mib = 1024 * 1024;
        let now = NowFigures {
            rss_bytes: 40 * mib,
            swap_bytes: 30 * mib,
            ..NowFigures::default()
        };
        assert_eq!(
            memory.check(&now).expect("crossed").value,
            (70 * mib) as f64
        );
    }

    #[test]
    fn a_limit_is_crossed_above_it_not_at_it() {
        let wall = parse_limit("wall=1s").expect("valid");
        let at = |t| NowFigures {
            t_seconds: t,
            ..NowFigures::default()
        };
        assert_eq!(wall.check(&at(1.0)), None);
        let hit = wall.check(&at(1.2)).expect("crossed");
        assert_eq!(hit.describe(), "wall 1.2 s > 1 s");
        let hit = wall.check(&at(1.034)).expect("crossed");
        assert_eq!(hit.describe(), "wall 1.03 s > 1 s");
        assert_eq!(hit.record("sampler").mechanism, "sampler");
    }
}
