//! The end-of-run families of one record, for the Pushgateway and the
//! textfile collector: base units, a `profrun_` prefix, and only the
//! bounded labels of [`Labels`].

use super::exposition::{Labels, MetricFamilies, MetricFamily, MetricKind, Sample};
use crate::record::{JobRecord, Status, BYTES_PER_MB};

/// Set only by a successful run; `export::push` sends it apart from the
/// rest so that a failed run leaves the previous value in the gateway.
pub const LAST_SUCCESS_METRIC: &str = "profrun_job_last_success_timestamp_seconds";

/// Set by every run, whatever its outcome.
const LAST_COMPLETION_METRIC: &str = "profrun_job_last_completion_timestamp_seconds";

/// The families of one finished run. GPU families appear only when the
/// record holds NVML figures; the timestamps only when `end_time` parses.
pub fn job_metrics(record: &JobRecord, labels: &Labels) -> MetricFamilies {
    let usage = &record.resource_usage;
    let plain = labels.pairs(&[]);
    let one = |name: &str, help: &str, value: f64| MetricFamily {
        name: name.to_string(),
        help: help.to_string(),
        kind: MetricKind::Gauge,
        samples: vec![Sample {
            labels: plain.clone(),
            value,
        }],
    };
    let mut out = vec![
        one(
            "profrun_job_duration_seconds",
            "Wall time of the last run, spawn to end of reaping.",
            record.duration_seconds,
        ),
        MetricFamily {
            name: "profrun_job_cpu_seconds".to_string(),
            help: "CPU time of the last run's whole process tree, by mode.".to_string(),
            kind: MetricKind::Gauge,
            samples: vec![
                Sample {
                    labels: labels.pairs(&[("mode", "user")]),
                    value: usage.cpu_user_seconds,
                },
                Sample {
                    labels: labels.pairs(&[("mode", "system")]),
                    value: usage.cpu_system_seconds,
                },
            ],
        },
        one(
            "profrun_job_memory_peak_bytes",
            "Peak memory of the last run's process tree (best available source).",
            (usage.memory_peak_mb * BYTES_PER_MB).round(),
        ),
        one(
            "profrun_job_read_bytes",
            "Bytes the last run read from the storage layer.",
            usage.read_bytes as f64,
        ),
        one(
            "profrun_job_write_bytes",
            "Bytes the last run wrote to the storage layer.",
            usage.write_bytes as f64,
        ),
        one(
            "profrun_job_exit_code",
            "Exit code profrun left with for the last run (128+N for signal N).",
            f64::from(record.exit_code),
        ),
        one(
            "profrun_job_cpus_available",
            "CPUs the job may use (affinity mask).",
            record.host.cpus_available as f64,
        ),
    ];
    if let Some(end) = rfc3339_utc_seconds(&record.end_time) {
        out.push(one(
            LAST_COMPLETION_METRIC,
            "Unix time the last run ended, whatever its outcome.",
            end,
        ));
        if record.status == Status::Success {
            out.push(last_success_family(labels, end));
        }
    }
    out.extend(gpu_families(record, &plain));
    out
}

fn last_success_family(labels: &Labels, end: f64) -> MetricFamily {
    MetricFamily {
        name: LAST_SUCCESS_METRIC.to_string(),
        help: "Unix time the last successful run ended.".to_string(),
        kind: MetricKind::Gauge,
        samples: vec![Sample {
            labels: labels.pairs(&[]),
            value: end,
        }],
    }
}

/// For the textfile, which each run replaces whole: when `families` (a run
/// that did not succeed) have no last-success timestamp, take the one of
/// `previous`, the file's text before this run, so that a job that keeps
/// failing keeps its last success (as the Pushgateway's separate group does)
/// and a staleness alert on it can fire. It goes under this run's labels,
/// after the completion timestamp. A previous text without a readable one
/// adds nothing.
pub fn keep_last_success(families: &mut MetricFamilies, labels: &Labels, previous: &str) {
    if families.iter().any(|f| f.name == LAST_SUCCESS_METRIC) {
        return;
    }
    let Some(end) = last_success_in(previous) else {
        return;
    };
    let at = families
        .iter()
        .position(|f| f.name == LAST_COMPLETION_METRIC)
        .map_or(families.len(), |i| i + 1);
    families.insert(at, last_success_family(labels, end));
}

/// The value of the first last-success sample of an exposition text.
fn last_success_in(text: &str) -> Option<f64> {
    text.lines().find_map(|line| {
        let rest = line.strip_prefix(LAST_SUCCESS_METRIC)?;
        // The value follows the label set (label values may hold `}`, the
        // value cannot), or the name directly.
        let rest = match rest.strip_prefix('{') {
            Some(labelled) => &labelled[labelled.rfind('}')? + 1..],
            None => rest,
        };
        if !rest.starts_with([' ', '\t']) {
            return None; // a longer metric name
        }
        let value: f64 = rest.split_whitespace().next()?.parse().ok()?;
        value.is_finite().then_some(value)
    })
}

fn gpu_families(record: &JobRecord, labels: &[(String, String)]) -> MetricFamilies {
    let Some(gpu) = record
        .detailed_profile
        .as_ref()
        .and_then(|d| d.gpu_stats.as_ref())
        .filter(|g| g.available)
    else {
        return Vec::new();
    };
    let nvidia = gpu.nvidia.as_ref();
    let figures = [
        (
            "profrun_job_gpu_utilization_mean_ratio",
            "Mean GPU utilisation over the last run (0-1).",
            nvidia
                .and_then(|n| n.gpu_utilization_percent)
                .map(|p| p / 100.0),
        ),
        (
            "profrun_job_gpu_utilization_max_ratio",
            "Highest GPU utilisation of one tick of the last run (0-1).",
            nvidia
                .and_then(|n| n.gpu_utilization_max_percent)
                .map(|p| p / 100.0),
        ),
        (
            "profrun_job_gpu_memory_peak_bytes",
            "Peak device memory in use over the last run.",
            nvidia
                .and_then(|n| n.memory_used_max_mb)
                .map(|mb| (mb * BYTES_PER_MB).round()),
        ),
        (
            "profrun_job_gpu_energy_joules",
            "Energy all GPUs drew over the last run.",
            gpu.energy_joules,
        ),
    ];
    figures
        .into_iter()
        .filter_map(|(name, help, value)| {
            value.map(|value| MetricFamily {
                name: name.to_string(),
                help: help.to_string(),
                kind: MetricKind::Gauge,
                samples: vec![Sample {
                    labels: labels.to_vec(),
                    value,
                }],
            })
        })
        .collect()
}

/// Unix seconds of a UTC RFC 3339 time as records write it
/// (`2026-12-01T13:54:57.123456Z`); `None` for anything else.
fn rfc3339_utc_seconds(text: &str) -> Option<f64> {
    let text = text.strip_suffix('Z')?;
    let (date, time) = text.split_once('T')?;
    let mut date_parts = date.splitn(3, '-');
    let year: i64 = date_parts.next()?.parse().ok()?;
    let month: i64 = date_parts.next()?.parse().ok()?;
    let day: i64 = date_parts.next()?.parse().ok()?;
    let (hms, fraction) = time.split_once('.').unwrap_or((time, ""));
    let mut time_parts = hms.splitn(3, ':');
    let hour: i64 = time_parts.next()?.parse().ok()?;
    let minute: i64 = time_parts.next()?.parse().ok()?;
    let second: i64 = time_parts.next()?.parse().ok()?;
    if !(1..=12).contains(&month) || !(1..=31).contains(&day) || hour > 23 || minute > 59 {
        return None;
    }
    let fraction: f64 = if fraction.is_empty() {
        0.0
    } else {
        format!("0.{fraction}").parse().ok()?
    };
    // Howard Hinnant's days_from_civil.
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    Some((days * 86_400 + hour * 3600 + minute * 60 + second) as f64 + fraction)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::metrics::encode;

    /// Line `n` (0-based) of tests/fixtures/history.jsonl.
    fn fixture(n: usize) -> JobRecord {
        let line = include_str!("../../tests/fixtures/history.jsonl")
            .lines()
            .nth(n)
            .expect("fixture line");
        serde_json::from_str(line).expect("fixture record")
    }

    const FAILED_LAMMPS: &str = r#"# HELP profrun_job_duration_seconds Wall time of the last run, spawn to end of reaping.
# TYPE profrun_job_duration_seconds gauge
profrun_job_duration_seconds{name="lammps",tool="lammps",host="node2"} 151
# HELP profrun_job_cpu_seconds CPU time of the last run's whole process tree, by mode.
# TYPE profrun_job_cpu_seconds gauge
profrun_job_cpu_seconds{name="lammps",tool="lammps",host="node2",mode="user"} 126
profrun_job_cpu_seconds{name="lammps",tool="lammps",host="node2",mode="system"} 14
# HELP profrun_job_memory_peak_bytes Peak memory of the last run's process tree (best available source).
# TYPE profrun_job_memory_peak_bytes gauge
profrun_job_memory_peak_bytes{name="lammps",tool="lammps",host="node2"} 1572864000
# HELP profrun_job_read_bytes Bytes the last run read from the storage layer.
# TYPE profrun_job_read_bytes gauge
profrun_job_read_bytes{name="lammps",tool="lammps",host="node2"} 1048576
# HELP profrun_job_write_bytes Bytes the last run wrote to the storage layer.
# TYPE profrun_job_write_bytes gauge
profrun_job_write_bytes{name="lammps",tool="lammps",host="node2"} 2097152
# HELP profrun_job_exit_code Exit code profrun left with for the last run (128+N for signal N).
# TYPE profrun_job_exit_code gauge
profrun_job_exit_code{name="lammps",tool="lammps",host="node2"} 1
# HELP profrun_job_cpus_available CPUs the job may use (affinity mask).
# TYPE profrun_job_cpus_available gauge
profrun_job_cpus_available{name="lammps",tool="lammps",host="node2"} 8
# HELP profrun_job_last_completion_timestamp_seconds Unix time the last run ended, whatever its outcome.
# TYPE profrun_job_last_completion_timestamp_seconds gauge
profrun_job_last_completion_timestamp_seconds{name="lammps",tool="lammps",host="node2"} 1763632951
"#;

    #[test]
    fn a_failed_run_has_no_last_success() {
        let record = fixture(2);
        assert_eq!(record.status, Status::Failed);
        let text = encode(&job_metrics(&record, &Labels::for_record(&record, None)));
        assert_eq!(text, FAILED_LAMMPS);
    }

    #[test]
    fn a_successful_run_sets_last_success_to_its_end() {
        let record = fixture(7);
        let families = job_metrics(&record, &Labels::for_record(&record, Some("md")));
        let end = families
            .iter()
            .find(|f| f.name == "profrun_job_last_completion_timestamp_seconds")
            .expect("completion");
        let success = families
            .iter()
            .find(|f| f.name == LAST_SUCCESS_METRIC)
            .expect("success");
        assert_eq!(success.samples, end.samples);
        assert_eq!(
            success.samples[0].labels,
            Labels {
                name: "md".into(),
                tool: "lammps".into(),
                host: "node2".into()
            }
            .pairs(&[])
        );
    }

    /// Regression (issue 13 review): the textfile is replaced whole, so a
    /// failed run wiped the last success and the staleness alert on it went
    /// silent exactly while the job kept failing.
    #[test]
    fn a_failed_run_keeps_the_previous_files_last_success() {
        let failed = fixture(2);
        let labels = Labels::for_record(&failed, None);
        let previous = "# TYPE profrun_job_last_success_timestamp_seconds gauge\n\
            profrun_job_last_success_timestamp_seconds{name=\"a}b\",tool=\"x\"} 1700000000.5\n";
        let mut families = job_metrics(&failed, &labels);
        keep_last_success(&mut families, &labels, previous);
        let text = encode(&families);
        let want = format!(
            "{FAILED_LAMMPS}# HELP {LAST_SUCCESS_METRIC} Unix time the last successful run ended.\n\
             # TYPE {LAST_SUCCESS_METRIC} gauge\n\
             {LAST_SUCCESS_METRIC}{{name=\"lammps\",tool=\"lammps\",host=\"node2\"}} 1700000000.5\n"
        );
        assert_eq!(text, want);

        // The file of a run that had kept one already keeps it again.
        let mut again = job_metrics(&failed, &labels);
        keep_last_success(&mut again, &labels, &text);
        assert_eq!(encode(&again), want);
    }

    #[test]
    fn a_success_or_an_unreadable_previous_file_carries_nothing_over() {
        let failed = fixture(2);
        let labels = Labels::for_record(&failed, None);
        for previous in [
            "",
            "garbage\n",
            "profrun_job_last_success_timestamp_seconds{name=\"md\"} soon\n",
            "profrun_job_last_success_timestamp_seconds{name=\"md\" 17\n",
            "profrun_job_last_success_timestamp_seconds_x 17\n",
            "profrun_job_last_success_timestamp_seconds NaN\n",
        ] {
            let mut families = job_metrics(&failed, &labels);
            keep_last_success(&mut families, &labels, previous);
            assert_eq!(encode(&families), FAILED_LAMMPS, "{previous:?}");
        }
        let ok = fixture(7);
        let labels = Labels::for_record(&ok, None);
        let mut families = job_metrics(&ok, &labels);
        let before = families.clone();
        keep_last_success(
            &mut families,
            &labels,
            "profrun_job_last_success_timestamp_seconds 17\n",
        );
        assert_eq!(families, before, "a success keeps its own");
    }

    #[test]
    fn gpu_families_appear_only_when_measured() {
        let mut record = fixture(7);
        let none = job_metrics(&record, &Labels::for_record(&record, None));
        assert!(none.iter().all(|f| !f.name.contains("_gpu_")));

        let detailed = record.detailed_profile.get_or_insert_with(Default::default);
        detailed.gpu_stats = Some(crate::record::GpuStatsRecord {
            available: true,
            nvidia: Some(crate::record::NvidiaSummaryRecord {
                gpu_utilization_percent: Some(42.5),
                gpu_utilization_max_percent: Some(99.0),
                memory_used_max_mb: Some(1024.0),
                ..Default::default()
            }),
            energy_joules: Some(1234.5),
            ..Default::default()
        });
        let text = encode(&job_metrics(&record, &Labels::for_record(&record, None)));
        let tail: Vec<&str> = text
            .lines()
            .filter(|l| !l.starts_with('#'))
            .rev()
            .take(4)
            .collect();
        assert_eq!(
            tail,
            [
                r#"profrun_job_gpu_energy_joules{name="lammps",tool="lammps",host="node2"} 1234.5"#,
                r#"profrun_job_gpu_memory_peak_bytes{name="lammps",tool="lammps",host="node2"} 1073741824"#,
                r#"profrun_job_gpu_utilization_max_ratio{name="lammps",tool="lammps",host="node2"} 0.99"#,
                r#"profrun_job_gpu_utilization_mean_ratio{name="lammps",tool="lammps",host="node2"} 0.425"#,
            ]
        );
    }

    #[test]
    fn no_per_run_value_becomes_a_label() {
        let record = fixture(7);
        let families = job_metrics(&record, &Labels::for_record(&record, None));
        for family in &families {
            for sample in &family.samples {
                for (key, value) in &sample.labels {
                    assert!(
                        ["name", "tool", "host", "mode"].contains(&key.as_str()),
                        "{key}"
                    );
                    assert_ne!(value, &record.task_id);
                }
            }
        }
    }

    proptest::proptest! {
        /// Whatever the names and figures, the text parses back to the same
        /// label values.
        #[test]
        fn output_always_parses(
            name in "\\PC{0,12}",
            tool in "[a-z\\\\\"\n]{0,8}",
            host in "\\PC{0,12}",
            duration in proptest::num::f64::ANY,
            user in proptest::num::f64::ANY,
            exit_code in proptest::num::i32::ANY,
            peak_mb in 0.0f64..1e9,
        ) {
            let mut record = fixture(7);
            record.tool = tool;
            record.host.hostname = host;
            record.duration_seconds = duration;
            record.resource_usage.cpu_user_seconds = user;
            record.resource_usage.memory_peak_mb = peak_mb;
            record.exit_code = exit_code;
            let labels = Labels::for_record(&record, Some(&name));
            let families = job_metrics(&record, &labels);
            let parsed = crate::metrics::exposition::tests::parse_exposition(&encode(&families))
                .map_err(proptest::test_runner::TestCaseError::fail)?;
            let expected: usize = families.iter().map(|f| f.samples.len()).sum();
            proptest::prop_assert_eq!(parsed.len(), expected);
            for (_, pairs, _) in &parsed {
                proptest::prop_assert_eq!(&pairs[..3], &labels.pairs(&[])[..]);
            }
        }
    }

    #[test]
    fn rfc3339_times_become_unix_seconds() {
        assert_eq!(rfc3339_utc_seconds("1970-01-01T00:00:00Z"), Some(0.0));
        assert_eq!(
            rfc3339_utc_seconds("2026-12-01T13:54:57.250000Z"),
            Some(1_796_133_297.25)
        );
        assert_eq!(
            rfc3339_utc_seconds("2000-02-29T00:00:00Z"),
            Some(951_782_400.0)
        );
        assert_eq!(rfc3339_utc_seconds("2026-12-01T13:54:57+01:00"), None);
        assert_eq!(rfc3339_utc_seconds("garbage"), None);
    }
}
