//! Rendering a value of the details view ([`Item`]) for people, by the unit
//! its name carries (`_bytes`, `_mb`, `_seconds`, `_percent`, ...). The
//! details view uses it for the typed blocks it knows and for the keys added
//! after it was written (the blocks' extras), so a new field shows up instead
//! of being dropped.

use super::units::{self, text};
use crate::record::details_view::{Block, Item, ToItem};

/// Arrays of numbers longer than this are summarised, not listed.
const MAX_LISTED: usize = 8;

/// A scalar (or short list) as text, using the unit its key names.
pub fn format_value(key: &str, v: &Item) -> String {
    format_with(key, v, false)
}

/// As [`format_value`], without exact figures in parentheses (for tables).
pub fn format_compact(key: &str, v: &Item) -> String {
    format_with(key, v, true)
}

fn format_with(key: &str, v: &Item, compact: bool) -> String {
    match v {
        Item::Null => "-".to_string(),
        Item::Bool(b) => if *b { "yes" } else { "no" }.to_string(),
        Item::Text(s) => s.to_string(),
        Item::Number(x) => number(key, *x, compact),
        Item::List(list) => {
            let items = list.items();
            if items
                .iter()
                .any(|i| matches!(i, Item::List(_) | Item::Block(_)))
            {
                format!("{} entries", items.len())
            } else if items.len() > MAX_LISTED {
                format!("{} values", items.len())
            } else {
                let parts: Vec<String> =
                    items.iter().map(|i| format_with(key, i, compact)).collect();
                parts.join(", ")
            }
        }
        Item::Block(block) => format!("{} fields", block.fields().len()),
        Item::Unreadable(v) => format!("unreadable: {}", format_with(key, &v.item(), compact)),
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

/// Every scalar of `block` as `(dotted.label, text)`, in the block's field
/// order. Lists of blocks become `name[i].field`; `skip` names fields to
/// leave out (they are shown elsewhere).
pub fn flatten(block: &dyn Block, skip: &[&str]) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for (k, child) in block.fields() {
        if !skip.contains(&k) {
            walk(k, &child, &mut out);
        }
    }
    out
}

/// The rows of a whole block that may be missing or of the wrong shape: a
/// block is flattened, anything else is one row without a label.
pub fn block_rows(item: Option<Item>) -> Vec<(String, String)> {
    match item {
        None | Some(Item::Null) => Vec::new(),
        Some(Item::Block(block)) => flatten(block, &[]),
        Some(other) => vec![(String::new(), format_value("", &other))],
    }
}

fn walk(label: &str, v: &Item, out: &mut Vec<(String, String)>) {
    match v {
        Item::Block(block) => {
            let fields = block.fields();
            if fields.is_empty() {
                out.push((label.to_string(), "-".to_string()));
            }
            for (k, child) in fields {
                walk(&format!("{label}.{k}"), &child, out);
            }
        }
        Item::List(list) => {
            let items = list.items();
            if items.iter().any(|i| matches!(i, Item::Block(_))) && items.len() <= MAX_LISTED {
                for (i, item) in items.iter().enumerate() {
                    walk(&format!("{label}[{i}]"), item, out);
                }
            } else {
                out.push((label.to_string(), format_value(label, v)));
            }
        }
        _ => out.push((label.to_string(), format_value(label, v))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::record::details_view::ExtraValue;

    fn extra(json: &str) -> ExtraValue {
        serde_json::from_str(json).expect("json")
    }

    #[test]
    fn units_follow_the_name() {
        assert_eq!(
            format_value("memory_peak_mb", &Item::Number(612.0)),
            "612 MiB"
        );
        assert_eq!(
            format_value("x.cpu_total_seconds", &Item::Number(330.0)),
            "5m 30s (330.0 s)"
        );
        assert_eq!(format_value("mean_percent", &Item::Number(45.25)), "45.2 %");
        assert_eq!(
            format_value("read_bytes", &Item::Number(2048.0)),
            "2.0 KiB (2048 B)"
        );
        assert_eq!(format_value("samples", &extra("[1, 2]").item()), "1, 2");
        assert_eq!(format_value("t", &Item::Null), "-");
    }

    #[test]
    fn flatten_dots_nested_and_indexes_lists() {
        let v = extra(r#"{"a": {"b_mb": 1}, "devs": [{"name": "x"}], "skip": 1, "e": {}}"#);
        let got = flatten(&v, &["skip"]);
        let want = [("a.b_mb", "1.0 MiB"), ("devs[0].name", "x"), ("e", "-")];
        assert_eq!(
            got,
            want.map(|(a, b)| (a.to_string(), b.to_string())).to_vec()
        );
    }

    #[test]
    fn a_value_of_the_wrong_shape_says_so() {
        let v = ExtraValue::Text("fast".to_string());
        assert_eq!(
            format_value("cpu_total_seconds", &Item::Unreadable(&v)),
            "unreadable: fast"
        );
    }
}
