//! Rendering any JSON value of a record for people, by the unit its name
//! carries (`_bytes`, `_mb`, `_seconds`, `_percent`, ...). The details view
//! uses it for the blocks it knows and for the ones added after it was
//! written, so a new field shows up instead of being dropped.

use super::units::{self, text};
use serde_json::Value;

/// Arrays of numbers longer than this are summarised, not listed.
const MAX_LISTED: usize = 8;

/// A scalar (or short list) as text, using the unit its key names.
pub fn format_value(key: &str, v: &Value) -> String {
    format_with(key, v, false)
}

/// As [`format_value`], without exact figures in parentheses (for tables).
pub fn format_compact(key: &str, v: &Value) -> String {
    format_with(key, v, true)
}

fn format_with(key: &str, v: &Value, compact: bool) -> String {
    match v {
        Value::Null => "-".to_string(),
        Value::Bool(b) => if *b { "yes" } else { "no" }.to_string(),
        Value::String(s) => s.clone(),
        Value::Number(n) => n
            .as_f64()
            .map_or_else(|| n.to_string(), |x| number(key, x, compact)),
        Value::Array(items) if items.iter().all(|i| !i.is_object() && !i.is_array()) => {
            if items.len() > MAX_LISTED {
                format!("{} values", items.len())
            } else {
                let parts: Vec<String> =
                    items.iter().map(|i| format_with(key, i, compact)).collect();
                parts.join(", ")
            }
        }
        Value::Array(items) => format!("{} entries", items.len()),
        Value::Object(map) => format!("{} fields", map.len()),
    }
}

fn number(key: &str, x: f64, compact: bool) -> String {
    let k = key.rsplit('.').next().unwrap_or(key);
    if k.ends_with("_bytes_per_second") {
        format!("{}/s", units::bytes(x))
    } else if is_bytes(k) && !compact && x >= 1024.0 {
        format!("{} ({x:.0} B)", units::bytes(x))
    } else if is_bytes(k) {
        units::bytes(x)
    } else if k.ends_with("_mb") {
        units::mebibytes(x)
    } else if k.ends_with("_seconds") {
        if x >= 60.0 && !compact {
            format!("{} ({x:.1} s)", units::duration(x))
        } else {
            units::duration(x)
        }
    } else if k.ends_with("_percent") {
        text::percent(x)
    } else if k.ends_with("_celsius") {
        format!("{x:.0} °C")
    } else if k.ends_with("_watts") {
        format!("{x:.1} W")
    } else if k.ends_with("_joules") {
        format!("{x:.0} J")
    } else if k.ends_with("_kb") {
        units::bytes(x * 1024.0)
    } else if x.fract() == 0.0 && x.abs() < 1e15 {
        format!("{x:.0}")
    } else {
        format!("{x:.3}")
    }
}

/// `_bytes` fields, and `/proc/<pid>/io`'s `rchar`/`wchar` (bytes too).
fn is_bytes(k: &str) -> bool {
    k.ends_with("_bytes") || k == "rchar" || k == "wchar"
}

/// Every scalar under `v` as `(dotted.label, text)`, in stored order.
/// Lists of objects become `name[i].field`; `skip` names top-level keys to
/// leave out (they are shown elsewhere).
pub fn flatten(v: &Value, skip: &[&str]) -> Vec<(String, String)> {
    let mut out = Vec::new();
    if let Value::Object(map) = v {
        for (k, child) in map {
            if !skip.contains(&k.as_str()) {
                walk(k, child, &mut out);
            }
        }
    } else if !v.is_null() {
        out.push((String::new(), format_value("", v)));
    }
    out
}

fn walk(label: &str, v: &Value, out: &mut Vec<(String, String)>) {
    match v {
        Value::Object(map) if map.is_empty() => out.push((label.to_string(), "-".to_string())),
        Value::Object(map) => {
            for (k, child) in map {
                walk(&format!("{label}.{k}"), child, out);
            }
        }
        Value::Array(items) if items.iter().any(|i| i.is_object()) && items.len() <= MAX_LISTED => {
            for (i, item) in items.iter().enumerate() {
                walk(&format!("{label}[{i}]"), item, out);
            }
        }
        _ => out.push((label.to_string(), format_value(label, v))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn units_follow_the_name() {
        assert_eq!(format_value("memory_peak_mb", &json!(612)), "612 MiB");
        assert_eq!(
            format_value("x.cpu_total_seconds", &json!(330)),
            "5m 30s (330.0 s)"
        );
        assert_eq!(format_value("mean_percent", &json!(45.25)), "45.2 %");
        assert_eq!(format_value("read_bytes", &json!(2048)), "2.0 KiB (2048 B)");
        assert_eq!(format_value("samples", &json!([1, 2])), "1, 2");
        assert_eq!(format_value("t", &json!(null)), "-");
    }

    #[test]
    fn flatten_dots_nested_and_indexes_lists() {
        let v = json!({"a": {"b_mb": 1}, "devs": [{"name": "x"}], "skip": 1, "e": {}});
        let got = flatten(&v, &["skip"]);
        let want = [("a.b_mb", "1.0 MiB"), ("devs[0].name", "x"), ("e", "-")];
        assert_eq!(
            got,
            want.map(|(a, b)| (a.to_string(), b.to_string())).to_vec()
        );
    }
}
