//! The families of the live `/metrics` endpoint, from the sampler's latest
//! state: as values ([`live_metrics`], for `encode` and the tests) and as
//! text written directly ([`LiveEncoder`], what a scrape renders with).

use super::exposition::{
    push_family_head, push_label_value, push_value, Labels, MetricFamilies, MetricFamily,
    MetricKind, Sample,
};

/// What the sampler knows at one tick. Cumulative figures are totals since
/// the job started; rates are over the last tick (`None` before a second
/// reading exists).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct LiveState {
    pub elapsed_seconds: f64,
    /// CPU seconds per second of the whole tree over the last tick (`None`
    /// before a second reading exists, as the I/O rates).
    pub cores_in_use: Option<f64>,
    pub cpus_available: usize,
    pub tree_rss_bytes: u64,
    pub processes: usize,
    pub read_bytes_per_second: Option<f64>,
    pub write_bytes_per_second: Option<f64>,
    pub cpu_user_seconds_total: f64,
    pub cpu_system_seconds_total: f64,
    pub read_bytes_total: u64,
    pub write_bytes_total: u64,
    /// `None` when there is no GPU (or NVML is not there).
    pub gpu: Option<LiveGpu>,
    /// Every configured alert, firing or not, so that a resolved alert
    /// reads 0 rather than vanishing.
    pub alerts: Vec<LiveAlert>,
}

/// GPU figures at one tick, over the devices the job uses.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct LiveGpu {
    pub utilization_percent: Option<f64>,
    pub memory_used_bytes: Option<u64>,
    pub power_watts: Option<f64>,
    /// Energy since the job started.
    pub energy_joules_total: Option<f64>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LiveAlert {
    /// The rule's name (bounded: it comes from the command line or config).
    pub name: String,
    pub firing: bool,
}

/// Where [`emit`] puts the families: built as values ([`live_metrics`]) or
/// written straight out as text ([`LiveEncoder`]). One list of families,
/// two ways to take it.
trait Sink {
    fn family(&mut self, name: &'static str, help: &'static str, kind: MetricKind);
    /// A sample of the latest family: the common labels, then `extra`.
    fn sample(&mut self, extra: Option<(&str, &str)>, value: f64);
}

/// The live families for one state, in order, to `sink`.
fn emit(state: &LiveState, sink: &mut impl Sink) {
    let mut one = |name: &'static str, help: &'static str, kind: MetricKind, value: f64| {
        sink.family(name, help, kind);
        sink.sample(None, value);
    };
    let gauge = MetricKind::Gauge;
    let counter = MetricKind::Counter;
    one(
        "profrun_job_elapsed_seconds",
        "Seconds since the running job started.",
        gauge,
        state.elapsed_seconds,
    );
    if let Some(cores) = state.cores_in_use {
        one(
            "profrun_job_cores_in_use",
            "CPU seconds per second of the job's tree over the last tick.",
            gauge,
            cores,
        );
    }
    one(
        "profrun_job_cpus_available",
        "CPUs the job may use (affinity mask).",
        gauge,
        state.cpus_available as f64,
    );
    one(
        "profrun_job_tree_rss_bytes",
        "Resident memory of the job's whole process tree now.",
        gauge,
        state.tree_rss_bytes as f64,
    );
    one(
        "profrun_job_processes",
        "Processes in the job's tree now.",
        gauge,
        state.processes as f64,
    );
    if let Some(rate) = state.read_bytes_per_second {
        one(
            "profrun_job_read_bytes_per_second",
            "Storage-layer read rate of the tree over the last tick.",
            gauge,
            rate,
        );
    }
    if let Some(rate) = state.write_bytes_per_second {
        one(
            "profrun_job_write_bytes_per_second",
            "Storage-layer write rate of the tree over the last tick.",
            gauge,
            rate,
        );
    }
    sink.family(
        "profrun_job_cpu_seconds_total",
        "CPU time of the job's tree since it started, by mode.",
        counter,
    );
    sink.sample(Some(("mode", "user")), state.cpu_user_seconds_total);
    sink.sample(Some(("mode", "system")), state.cpu_system_seconds_total);
    let mut one = |name: &'static str, help: &'static str, kind: MetricKind, value: f64| {
        sink.family(name, help, kind);
        sink.sample(None, value);
    };
    one(
        "profrun_job_read_bytes_total",
        "Storage-layer bytes the tree read since the job started.",
        counter,
        state.read_bytes_total as f64,
    );
    one(
        "profrun_job_write_bytes_total",
        "Storage-layer bytes the tree wrote since the job started.",
        counter,
        state.write_bytes_total as f64,
    );
    if let Some(gpu) = &state.gpu {
        if let Some(percent) = gpu.utilization_percent {
            one(
                "profrun_job_gpu_utilization_ratio",
                "GPU utilisation over the job's devices at the last tick (0-1).",
                gauge,
                percent / 100.0,
            );
        }
        if let Some(bytes) = gpu.memory_used_bytes {
            one(
                "profrun_job_gpu_memory_used_bytes",
                "Device memory in use on the job's devices now.",
                gauge,
                bytes as f64,
            );
        }
        if let Some(watts) = gpu.power_watts {
            one(
                "profrun_job_gpu_power_watts",
                "Power draw of the job's devices now.",
                gauge,
                watts,
            );
        }
        if let Some(joules) = gpu.energy_joules_total {
            one(
                "profrun_job_gpu_energy_joules_total",
                "Energy the job's devices drew since it started.",
                counter,
                joules,
            );
        }
    }
    if !state.alerts.is_empty() {
        sink.family(
            "profrun_job_alert_firing",
            "1 while a profrun alert rule is firing, else 0.",
            gauge,
        );
        for alert in &state.alerts {
            let value = if alert.firing { 1.0 } else { 0.0 };
            sink.sample(Some(("alert", &alert.name)), value);
        }
    }
}

/// The live families for one state, as values.
pub fn live_metrics(state: &LiveState, labels: &Labels) -> MetricFamilies {
    struct Families<'a> {
        labels: &'a Labels,
        out: MetricFamilies,
    }
    impl Sink for Families<'_> {
        fn family(&mut self, name: &'static str, help: &'static str, kind: MetricKind) {
            self.out.push(MetricFamily {
                name: name.to_string(),
                help: help.to_string(),
                kind,
                samples: Vec::new(),
            });
        }
        fn sample(&mut self, extra: Option<(&str, &str)>, value: f64) {
            let labels = self.labels.pairs(extra.as_slice());
            if let Some(family) = self.out.last_mut() {
                family.samples.push(Sample { labels, value });
            }
        }
    }
    let mut families = Families {
        labels,
        out: Vec::new(),
    };
    emit(state, &mut families);
    families.out
}

/// The live families written as text without building them: the same
/// text as `encode(&live_metrics(..))`, with the common labels escaped once
/// and no allocation per family or sample. A scrape renders with this.
#[derive(Debug, Clone)]
pub struct LiveEncoder {
    /// `name="…",tool="…",host="…"`, escaped.
    labels: String,
}

impl LiveEncoder {
    pub fn new(labels: &Labels) -> LiveEncoder {
        let mut text = String::new();
        for (i, (key, value)) in labels.pairs(&[]).iter().enumerate() {
            if i > 0 {
                text.push(',');
            }
            text.push_str(key);
            text.push_str("=\"");
            push_label_value(&mut text, value);
            text.push('"');
        }
        LiveEncoder { labels: text }
    }

    /// Append the text for `state` to `out`.
    pub fn encode_into(&self, state: &LiveState, out: &mut String) {
        struct Text<'a> {
            labels: &'a str,
            name: &'static str,
            out: &'a mut String,
        }
        impl Sink for Text<'_> {
            fn family(&mut self, name: &'static str, help: &'static str, kind: MetricKind) {
                self.name = name;
                push_family_head(self.out, name, help, kind);
            }
            fn sample(&mut self, extra: Option<(&str, &str)>, value: f64) {
                self.out.push_str(self.name);
                self.out.push('{');
                self.out.push_str(self.labels);
                if let Some((key, label)) = extra {
                    self.out.push(',');
                    self.out.push_str(key);
                    self.out.push_str("=\"");
                    push_label_value(self.out, label);
                    self.out.push('"');
                }
                self.out.push_str("} ");
                push_value(self.out, value);
                self.out.push('\n');
            }
        }
        emit(
            state,
            &mut Text {
                labels: &self.labels,
                name: "",
                out,
            },
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::metrics::encode;
    use crate::metrics::exposition::tests::parse_exposition;

    fn labels() -> Labels {
        Labels {
            name: "md".into(),
            tool: "lammps".into(),
            host: "node1".into(),
        }
    }

    #[test]
    fn first_tick_has_no_rates_and_no_gpu() {
        let state = LiveState {
            elapsed_seconds: 0.5,
            cpus_available: 4,
            tree_rss_bytes: 1 << 20,
            processes: 1,
            ..LiveState::default()
        };
        let text = encode(&live_metrics(&state, &labels()));
        assert!(!text.contains("per_second"), "{text}");
        // Regression (issue 13 review): it read 0 before the first rate.
        assert!(!text.contains("cores_in_use"), "{text}");
        assert!(!text.contains("gpu"), "{text}");
        assert!(!text.contains("alert"), "{text}");
        assert!(text.contains(
            "# TYPE profrun_job_cpu_seconds_total counter\n\
             profrun_job_cpu_seconds_total{name=\"md\",tool=\"lammps\",host=\"node1\",mode=\"user\"} 0\n"
        ));
        assert!(text.contains(
            "profrun_job_tree_rss_bytes{name=\"md\",tool=\"lammps\",host=\"node1\"} 1048576\n"
        ));
    }

    fn full_state() -> LiveState {
        LiveState {
            elapsed_seconds: 61.0,
            cores_in_use: Some(3.5),
            cpus_available: 4,
            tree_rss_bytes: 8 << 30,
            processes: 11,
            read_bytes_per_second: Some(1e6),
            write_bytes_per_second: Some(0.0),
            cpu_user_seconds_total: 200.0,
            cpu_system_seconds_total: 13.25,
            read_bytes_total: 61_000_000,
            write_bytes_total: 0,
            gpu: Some(LiveGpu {
                utilization_percent: Some(87.0),
                memory_used_bytes: Some(2 << 30),
                power_watts: Some(250.5),
                energy_joules_total: Some(15_000.0),
            }),
            alerts: vec![
                LiveAlert {
                    name: "cpu_high".into(),
                    firing: true,
                },
                LiveAlert {
                    name: "gpu_idle".into(),
                    firing: false,
                },
            ],
        }
    }

    #[test]
    fn every_figure_appears_once_measured() {
        let state = full_state();
        let parsed = parse_exposition(&encode(&live_metrics(&state, &labels()))).expect("parses");
        let value = |name: &str, extra: &[(&str, &str)]| {
            let want = labels().pairs(extra);
            parsed
                .iter()
                .find(|(n, l, _)| n == name && *l == want)
                .map(|(_, _, v)| *v)
        };
        assert_eq!(value("profrun_job_cores_in_use", &[]), Some(3.5));
        assert_eq!(value("profrun_job_elapsed_seconds", &[]), Some(61.0));
        assert_eq!(value("profrun_job_read_bytes_per_second", &[]), Some(1e6));
        assert_eq!(
            value("profrun_job_cpu_seconds_total", &[("mode", "system")]),
            Some(13.25)
        );
        assert_eq!(value("profrun_job_gpu_utilization_ratio", &[]), Some(0.87));
        assert_eq!(
            value("profrun_job_gpu_energy_joules_total", &[]),
            Some(15_000.0)
        );
        assert_eq!(
            value("profrun_job_alert_firing", &[("alert", "cpu_high")]),
            Some(1.0)
        );
        assert_eq!(
            value("profrun_job_alert_firing", &[("alert", "gpu_idle")]),
            Some(0.0)
        );
        assert_eq!(parsed.len(), 17);
    }

    /// What a scrape writes is exactly what the families encode to, for
    /// the smallest and the fullest state and labels that need escaping.
    #[test]
    fn the_direct_encoder_writes_what_encode_writes() {
        let odd = Labels {
            name: "a \"quoted\" \\ name\n".into(),
            tool: "lammps".into(),
            host: "node1".into(),
        };
        let mut with_odd_alert = full_state();
        with_odd_alert.alerts[1].name = "say \"hi\"".into();
        let smallest = LiveState::default();
        for labels in [labels(), odd] {
            let encoder = LiveEncoder::new(&labels);
            for state in [&smallest, &full_state(), &with_odd_alert] {
                let mut direct = String::from("kept\n");
                encoder.encode_into(state, &mut direct);
                let want = format!("kept\n{}", encode(&live_metrics(state, &labels)));
                assert_eq!(direct, want);
            }
        }
    }
}
