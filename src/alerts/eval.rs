//! Rules evaluated tick by tick: a rule fires once its condition has held
//! on every sample for `hold_seconds` (measured between sample times), and
//! resolves at the first sample where it no longer holds. A figure that is
//! not measured breaks the hold, as a false condition does.

use super::rule::{parse_rule, Rule};
use crate::profile::profiler::NowFigures;
use crate::record::AlertRecord;

/// A change of a rule's state, at a sample.
#[derive(Debug, Clone, PartialEq)]
pub enum AlertEvent {
    Fired { rule: usize, message: String },
    Resolved { rule: usize, message: String },
}

impl AlertEvent {
    /// The line for stderr, without `profrun: `.
    pub fn message(&self) -> &str {
        match self {
            AlertEvent::Fired { message, .. } | AlertEvent::Resolved { message, .. } => message,
        }
    }
}

#[derive(Debug, Clone, Default)]
struct RuleState {
    /// Since when the condition has held without a break.
    held_since: Option<f64>,
    /// Index in `records` of the firing in progress.
    firing: Option<usize>,
}

#[derive(Debug, Clone)]
pub struct Evaluator {
    rules: Vec<Rule>,
    states: Vec<RuleState>,
    records: Vec<AlertRecord>,
    cpus_available: usize,
}

impl Evaluator {
    pub fn new(rules: Vec<Rule>, cpus_available: usize) -> Evaluator {
        Evaluator {
            states: vec![RuleState::default(); rules.len()],
            rules,
            records: Vec::new(),
            cpus_available,
        }
    }

    /// Evaluate every rule on one sample; returns what changed.
    pub fn observe(&mut self, now: &NowFigures) -> Vec<AlertEvent> {
        self.observe_sample(now, false)
    }

    /// As [`Evaluator::observe`]; on the `final_sample`, taken after the
    /// reap, the rules on gauges of the live tree (memory, swap, GPU) are
    /// left as they were: an empty tree's 0 B says the job is over, not
    /// that its memory fell. Duration and the rates over the last
    /// interval still count.
    pub fn observe_sample(&mut self, now: &NowFigures, final_sample: bool) -> Vec<AlertEvent> {
        let mut events = Vec::new();
        let t = now.t_seconds;
        for (i, (rule, state)) in self.rules.iter().zip(&mut self.states).enumerate() {
            if final_sample && rule.metric.is_live_tree_gauge() {
                continue;
            }
            let value = rule.metric.value(now, self.cpus_available);
            match value.filter(|v| rule.holds(*v)) {
                Some(v) => {
                    let since = *state.held_since.get_or_insert(t);
                    if state.firing.is_none() && t - since >= rule.hold_seconds {
                        state.firing = Some(self.records.len());
                        self.records.push(AlertRecord {
                            name: rule.name.clone(),
                            rule: rule.text.clone(),
                            fired_at_seconds: round3(t),
                            value: round3(v),
                            resolved_at_seconds: None,
                        });
                        events.push(AlertEvent::Fired {
                            rule: i,
                            message: format!(
                                "alert {} fired at {}: {}",
                                rule.name,
                                super::format_seconds(t),
                                rule.describe(v)
                            ),
                        });
                    }
                }
                None => {
                    state.held_since = None;
                    if let Some(at) = state.firing.take() {
                        self.records[at].resolved_at_seconds = Some(round3(t));
                        let now_is = value
                            .map_or_else(|| "not measured".to_string(), |v| rule.describe_value(v));
                        events.push(AlertEvent::Resolved {
                            rule: i,
                            message: format!(
                                "alert {} resolved at {}: {}",
                                rule.name,
                                super::format_seconds(t),
                                now_is
                            ),
                        });
                    }
                }
            }
        }
        events
    }

    /// Each rule's name and whether it fires now (for the live endpoint's
    /// `profrun_job_alert_firing`).
    pub fn firing(&self) -> Vec<(String, bool)> {
        self.rules
            .iter()
            .zip(&self.states)
            .map(|(rule, state)| (rule.name.clone(), state.firing.is_some()))
            .collect()
    }

    /// Every firing so far, in the order they fired (the record's `alerts`).
    pub fn records(&self) -> &[AlertRecord] {
        &self.records
    }
}

/// One entry of the record's `alerts` in the words of the stderr lines
/// (`job-details` shows it): `big (memory>1MiB) fired at 0 s: 1.9 MiB;
/// resolved at 1.5 s`, the value in the rule's unit. A rule that does not
/// parse (a record of another version) shows the value as stored.
pub fn describe_firing(record: &AlertRecord) -> String {
    let value = parse_rule(&record.rule).map_or_else(
        |_| record.value.to_string(),
        |rule| rule.metric.format(record.value),
    );
    let mut text = format!(
        "{} ({}) fired at {}: {value}",
        record.name,
        record.rule,
        super::format_seconds(record.fired_at_seconds)
    );
    if let Some(at) = record.resolved_at_seconds {
        text.push_str(&format!("; resolved at {}", super::format_seconds(at)));
    }
    text
}

fn round3(v: f64) -> f64 {
    (v * 1000.0).round() / 1000.0
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::alerts::parse_rule;

    fn cpu_at(t: f64, percent: f64) -> NowFigures {
        NowFigures {
            t_seconds: t,
            cpu_percent: Some(percent),
            ..NowFigures::default()
        }
    }

    fn evaluator(rule: &str) -> Evaluator {
        Evaluator::new(vec![parse_rule(rule).expect("valid rule")], 1)
    }

    /// Skipping the whole final sample dropped a `duration>300s` crossed
    /// only by the job's last half second; evaluating all of it fired
    /// `memory<…` on the empty tree.
    #[test]
    fn the_final_sample_counts_for_duration_and_rates_not_for_memory() {
        let mut e = Evaluator::new(
            [
                "duration>300s",
                "small=memory<1KiB",
                "big=memory>1KiB",
                "cpu>90%",
            ]
            .into_iter()
            .map(|r| parse_rule(r).expect("valid rule"))
            .collect(),
            1,
        );
        let live = NowFigures {
            t_seconds: 299.9,
            rss_bytes: 2 << 20,
            cpu_percent: Some(50.0),
            ..NowFigures::default()
        };
        assert_eq!(e.observe_sample(&live, false).len(), 1, "big fires");
        let after_reap = NowFigures {
            t_seconds: 300.4,
            rss_bytes: 0,
            cpu_percent: Some(95.0),
            ..NowFigures::default()
        };
        let events = e.observe_sample(&after_reap, true);
        let said: Vec<&str> = events.iter().map(AlertEvent::message).collect();
        assert_eq!(
            said,
            [
                "alert duration>300s fired at 300.4 s: duration 300.4 s > 300 s",
                "alert cpu>90% fired at 300.4 s: cpu 95% > 90%",
            ],
            "{said:?}"
        );
        let names: Vec<(&str, Option<f64>)> = e
            .records()
            .iter()
            .map(|r| (r.name.as_str(), r.resolved_at_seconds))
            .collect();
        assert_eq!(
            names,
            [("big", None), ("duration>300s", None), ("cpu>90%", None)]
        );
    }

    #[test]
    fn a_rule_without_for_fires_on_the_first_sample_that_holds() {
        let mut e = evaluator("cpu>90%");
        assert!(e.observe(&cpu_at(0.5, 50.0)).is_empty());
        let events = e.observe(&cpu_at(1.0, 95.0));
        assert_eq!(events.len(), 1);
        assert_eq!(
            events[0].message(),
            "alert cpu>90% fired at 1 s: cpu 95% > 90%"
        );
        assert!(
            e.observe(&cpu_at(1.5, 99.0)).is_empty(),
            "fires once, not every tick"
        );
        assert_eq!(e.records()[0].fired_at_seconds, 1.0);
        assert_eq!(e.firing(), vec![("cpu>90%".to_string(), true)]);
    }

    #[test]
    fn for_needs_the_condition_to_hold_without_a_break() {
        let mut e = evaluator("cpu>90%for2s");
        assert!(e.observe(&cpu_at(0.0, 95.0)).is_empty());
        assert!(e.observe(&cpu_at(1.0, 95.0)).is_empty());
        assert!(
            e.observe(&cpu_at(1.5, 10.0)).is_empty(),
            "the break restarts the hold"
        );
        assert!(e.observe(&cpu_at(2.0, 95.0)).is_empty());
        assert!(e.observe(&cpu_at(3.5, 95.0)).is_empty());
        assert_eq!(
            e.observe(&cpu_at(4.0, 95.0)).len(),
            1,
            "held 2.0 s since t=2"
        );
        assert_eq!(e.records()[0].fired_at_seconds, 4.0);
    }

    #[test]
    fn a_cleared_rule_is_resolved_and_may_fire_again() {
        let mut e = evaluator("cpu>90%");
        e.observe(&cpu_at(1.0, 95.0));
        let events = e.observe(&cpu_at(2.0, 20.0));
        assert!(matches!(events[..], [AlertEvent::Resolved { rule: 0, .. }]));
        assert_eq!(
            events[0].message(),
            "alert cpu>90% resolved at 2 s: cpu 20%"
        );
        assert_eq!(e.records()[0].resolved_at_seconds, Some(2.0));
        assert_eq!(e.firing(), vec![("cpu>90%".to_string(), false)]);
        e.observe(&cpu_at(3.0, 95.0));
        assert_eq!(e.records().len(), 2);
        assert_eq!(e.records()[1].resolved_at_seconds, None);
    }

    #[test]
    fn a_figure_not_measured_never_fires() {
        let mut e = evaluator("gpu<10%");
        for t in 0..5 {
            assert!(e.observe(&cpu_at(f64::from(t), 0.0)).is_empty());
        }
        assert!(e.records().is_empty());
    }

    #[test]
    fn a_record_entry_reads_as_the_stderr_lines_do() {
        let mut record = AlertRecord {
            name: "big".into(),
            rule: "memory>1MiB".into(),
            fired_at_seconds: 0.002,
            value: 1_957_888.0,
            resolved_at_seconds: Some(1.5),
        };
        assert_eq!(
            describe_firing(&record),
            "big (memory>1MiB) fired at 0 s: 1.9 MiB; resolved at 1.5 s"
        );
        record.resolved_at_seconds = None;
        record.rule = "cpu>90%for5m".into();
        record.value = 95.26;
        assert_eq!(
            describe_firing(&record),
            "big (cpu>90%for5m) fired at 0 s: 95.3%"
        );
        record.rule = "heat>3".into();
        assert_eq!(describe_firing(&record), "big (heat>3) fired at 0 s: 95.26");
    }

    #[test]
    fn memory_fires_with_its_figure_in_binary_units() {
        let mut e = evaluator("memory>50MiB");
        let now = NowFigures {
            t_seconds: 12.5,
            rss_bytes: 80 * 1024 * 1024,
            ..NowFigures::default()
        };
        let events = e.observe(&now);
        assert_eq!(
            events[0].message(),
            "alert memory>50MiB fired at 12.5 s: memory 80 MiB > 50 MiB"
        );
    }
}
