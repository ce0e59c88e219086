//! `profrun check --format junit`: one `<testsuite>`, a `<testcase>` per
//! group × metric (classname = group, name = metric). Regressions and
//! failed runs are `<failure>`s whose message carries the figures; groups
//! without a baseline are `<skipped>` (a `<failure>` with
//! `--require-baseline`). GitLab's and Jenkins' JUnit readers take this
//! layout.

use super::render;
use super::verdict::{CheckReport, MetricCheck, Verdict};

/// The report as a JUnit XML document.
pub fn junit(report: &CheckReport) -> String {
    let failures = report
        .checks
        .iter()
        .filter(|c| outcome(c, report.require_baseline) == Outcome::Failure)
        .count();
    let skipped = report
        .checks
        .iter()
        .filter(|c| outcome(c, report.require_baseline) == Outcome::Skipped)
        .count();
    let tests = report.checks.len();
    let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    out.push_str(&format!(
        "<testsuites name=\"profrun check\" tests=\"{tests}\" failures=\"{failures}\" errors=\"0\" skipped=\"{skipped}\">\n"
    ));
    out.push_str(&format!(
        "  <testsuite name=\"profrun check\" tests=\"{tests}\" failures=\"{failures}\" errors=\"0\" skipped=\"{skipped}\">\n"
    ));
    for c in &report.checks {
        out.push_str(&testcase(c, report.require_baseline));
    }
    out.push_str("  </testsuite>\n</testsuites>\n");
    out
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Outcome {
    Pass,
    Failure,
    Skipped,
}

fn outcome(c: &MetricCheck, require_baseline: bool) -> Outcome {
    match c.verdict {
        Verdict::Ok | Verdict::Improvement => Outcome::Pass,
        Verdict::Regression | Verdict::FailedRun => Outcome::Failure,
        Verdict::NoBaseline if require_baseline => Outcome::Failure,
        Verdict::NoBaseline => Outcome::Skipped,
    }
}

fn testcase(c: &MetricCheck, require_baseline: bool) -> String {
    let open = format!(
        "    <testcase classname=\"{}\" name=\"{}\"",
        escape(&c.group),
        c.metric.name()
    );
    let message = escape(&message(c));
    let verdict = c.verdict.label().replace(' ', "_");
    match outcome(c, require_baseline) {
        Outcome::Failure => format!(
            "{open}>\n      <failure type=\"{verdict}\" message=\"{message}\">{message}</failure>\n    </testcase>\n"
        ),
        Outcome::Skipped => {
            format!("{open}>\n      <skipped message=\"{message}\"/>\n    </testcase>\n")
        }
        Outcome::Pass => {
            format!("{open}>\n      <system-out>{message}</system-out>\n    </testcase>\n")
        }
    }
}

/// `cpu regression: 26.1 s against 12.9 s ± 0.2 over 9 runs (+102 %, bound
/// 13.5 s, threshold 10 %), run 6agq3p7jfa4a`.
fn message(c: &MetricCheck) -> String {
    let new = render::value(c.unit, c.new);
    let label = c.metric.label();
    let run = &c.task_id;
    match (c.verdict, c.baseline_mean) {
        (Verdict::FailedRun, _) => format!("{label}: run {run} did not succeed ({new})"),
        (_, None) => format!("{label}: no earlier successful run to compare with, run {run}"),
        (Verdict::NoBaseline, Some(_)) => {
            let runs = if c.baseline_n == 1 { "run" } else { "runs" };
            format!(
                "{label}: only {} earlier successful {runs} to compare with, run {run}",
                c.baseline_n
            )
        }
        (v, Some(mean)) => {
            let bound = c
                .bound
                .map_or_else(|| "-".to_string(), |b| render::value(c.unit, b));
            format!(
                "{label} {}: {new} against {} over {} runs ({}, bound {bound}, threshold {} %), run {run}",
                v.label(),
                render::mean_sd(c.unit, mean, c.baseline_sd),
                c.baseline_n,
                render::change(c),
                c.threshold_percent,
            )
        }
    }
}

/// Text for an attribute or element: the five XML escapes, and characters
/// XML 1.0 does not allow dropped.
fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for ch in s.chars() {
        match ch {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\t' => out.push_str("&#9;"),
            '\n' => out.push_str("&#10;"),
            '\r' => out.push_str("&#13;"),
            c if (c as u32) < 0x20 || c == '\u{FFFE}' || c == '\u{FFFF}' => {}
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::regress::verdict::{Metric, Unit};

    fn check(group: &str, metric: Metric, verdict: Verdict) -> MetricCheck {
        MetricCheck {
            group: group.to_string(),
            metric,
            unit: metric.unit(),
            task_id: "6agq3p7jfa4a".to_string(),
            baseline_n: 9,
            baseline_mean: Some(12.9),
            baseline_sd: Some(0.2),
            new: 26.1,
            change_percent: Some(102.3),
            bound: Some(13.47),
            threshold_percent: 10.0,
            verdict,
        }
    }

    #[test]
    fn a_real_xml_parser_reads_every_testcase_and_the_failure_figures() {
        let nasty = "lammps <in.melt> & \"quoted\" 'x'\u{1}";
        let mut short = check("short", Metric::Wall, Verdict::NoBaseline);
        short.baseline_n = 1;
        short.unit = Unit::Seconds;
        let report = CheckReport {
            checks: vec![
                check(nasty, Metric::Cpu, Verdict::Regression),
                check(nasty, Metric::MemoryPeak, Verdict::Ok),
                short,
            ],
            require_baseline: false,
        };
        let xml = junit(&report);
        let doc = roxmltree::Document::parse(&xml).expect("valid XML");
        let suite = doc
            .descendants()
            .find(|n| n.has_tag_name("testsuite"))
            .expect("a testsuite");
        assert_eq!(suite.attribute("tests"), Some("3"));
        assert_eq!(suite.attribute("failures"), Some("1"));
        assert_eq!(suite.attribute("skipped"), Some("1"));
        let cases: Vec<_> = suite
            .children()
            .filter(|n| n.has_tag_name("testcase"))
            .collect();
        assert_eq!(cases.len(), 3);
        assert_eq!(
            cases[0].attribute("classname"),
            Some("lammps <in.melt> & \"quoted\" 'x'")
        );
        assert_eq!(cases[0].attribute("name"), Some("cpu"));
        let failure = cases[0]
            .children()
            .find(|n| n.has_tag_name("failure"))
            .expect("a failure");
        assert_eq!(failure.attribute("type"), Some("regression"));
        let msg = failure.attribute("message").expect("message");
        assert!(
            msg.contains("26.1 s against 12.9 s ± 0.2 over 9 runs"),
            "{msg}"
        );
        assert!(
            msg.contains("+102 %") && msg.contains("bound 13.5 s"),
            "{msg}"
        );
        assert!(cases[1].children().all(|n| !n.has_tag_name("failure")));
        assert!(cases[2].children().any(|n| n.has_tag_name("skipped")));
    }

    #[test]
    fn require_baseline_turns_skips_into_failures() {
        let report = CheckReport {
            checks: vec![check("g", Metric::Cpu, Verdict::NoBaseline)],
            require_baseline: true,
        };
        let xml = junit(&report);
        let doc = roxmltree::Document::parse(&xml).expect("valid XML");
        let failure = doc
            .descendants()
            .find(|n| n.has_tag_name("failure"))
            .expect("a failure");
        assert_eq!(failure.attribute("type"), Some("no_baseline"));
    }
}
