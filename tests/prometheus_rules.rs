//! The shipped rules in docs/prometheus/ load in a real `promtool` and pass
//! their unit tests (seed 000's three alerts, the runbook's metric names).

mod support;

use std::path::{Path, PathBuf};
use std::process::Command;

use support::prom;

fn rules_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/prometheus")
}

/// Run `promtool ARGS` in docs/prometheus: (success, output).
fn promtool(args: &[&str]) -> Option<(bool, String)> {
    let binary = prom::component("promtool")?;
    let out = Command::new(binary)
        .args(args)
        .current_dir(rules_dir())
        .output()
        .expect("run promtool");
    let said = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    Some((out.status.success(), said))
}

#[test]
fn the_rules_load() {
    let Some((ok, said)) = promtool(&["check", "rules", "profrun.rules.yml"]) else {
        return;
    };
    assert!(ok, "{said}");
    assert!(said.contains("SUCCESS: 7 rules found"), "{said}");
}

#[test]
fn the_rules_pass_their_promtool_tests() {
    let Some((ok, said)) = promtool(&["test", "rules", "profrun.rules.test.yml"]) else {
        return;
    };
    assert!(ok, "{said}");
}

/// The test file is not vacuous: a wrong expectation fails it.
#[test]
fn a_wrong_expectation_fails_the_rule_tests() {
    let dir = tempfile::tempdir().expect("tempdir");
    let tests = std::fs::read_to_string(rules_dir().join("profrun.rules.test.yml"))
        .expect("read the rule tests");
    assert!(tests.contains("value: 95\n"));
    std::fs::write(
        dir.path().join("wrong.test.yml"),
        tests.replace("value: 95\n", "value: 96\n"),
    )
    .expect("write");
    std::fs::copy(
        rules_dir().join("profrun.rules.yml"),
        dir.path().join("profrun.rules.yml"),
    )
    .expect("copy rules");
    let Some(binary) = prom::component("promtool") else {
        return;
    };
    let out = Command::new(binary)
        .args(["test", "rules", "wrong.test.yml"])
        .current_dir(dir.path())
        .output()
        .expect("run promtool");
    assert!(!out.status.success());
}

/// Every series the Grafana dashboard queries is one the rules record or
/// profrun exports, so a rename cannot leave a panel silently empty.
#[test]
fn the_dashboard_queries_only_known_series() {
    let text = std::fs::read_to_string(rules_dir().join("grafana-dashboard.json"))
        .expect("read the dashboard");
    let dashboard: serde_json::Value = serde_json::from_str(&text).expect("dashboard is JSON");
    let rules = std::fs::read_to_string(rules_dir().join("profrun.rules.yml")).expect("rules");
    let exported =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/monitoring.md"))
            .expect("docs/monitoring.md");
    let panels = dashboard["panels"].as_array().expect("panels");
    assert!(!panels.is_empty());
    for panel in panels {
        for target in panel["targets"].as_array().expect("targets") {
            let expr = target["expr"].as_str().expect("expr");
            for word in expr.split(|c: char| !(c.is_ascii_alphanumeric() || c == '_')) {
                let series = word.ends_with("_percent")
                    || word.ends_with("_seconds")
                    || word.ends_with("_bytes")
                    || word.starts_with("profrun_");
                if series {
                    assert!(
                        rules.contains(&format!("record: {word}")) || exported.contains(word),
                        "panel {:?} queries unknown series {word}",
                        panel["title"]
                    );
                }
            }
        }
    }
}
