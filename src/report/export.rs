//! Machine formats shared by the views: CSV (RFC 4180 quoting) and JSON
//! rows built from `(column, value)` pairs, so one column list defines the
//! JSON keys and the CSV header alike.

use serde_json::{Map, Value};

/// One row: stable column names with their values.
pub type Row = Vec<(&'static str, Value)>;

/// A CSV field: quoted when it holds a comma, quote, CR or LF, with
/// quotes doubled.
pub fn csv_field(s: &str) -> String {
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}

/// A JSON value as CSV text: null is empty, strings raw, numbers as JSON
/// writes them, anything else as compact JSON.
fn csv_text(v: &Value) -> String {
    match v {
        Value::Null => String::new(),
        Value::String(s) => s.clone(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => n.to_string(),
        other => other.to_string(),
    }
}

/// Header plus one line per row; `header` names the columns in order.
pub fn csv<H: AsRef<str>>(header: &[H], rows: &[Vec<Value>]) -> String {
    let mut out = csv_header(header);
    for row in rows {
        csv_row(&mut out, row.iter());
    }
    out
}

/// The header line.
pub fn csv_header<H: AsRef<str>>(header: &[H]) -> String {
    let fields: Vec<String> = header.iter().map(|h| csv_field(h.as_ref())).collect();
    fields.join(",") + "\n"
}

/// Append one line of values to `out`.
pub fn csv_row<'a>(out: &mut String, values: impl Iterator<Item = &'a Value>) {
    for (i, v) in values.enumerate() {
        if i > 0 {
            out.push(',');
        }
        out.push_str(&csv_field(&csv_text(v)));
    }
    out.push('\n');
}

/// A row as a JSON object, keys in column order.
pub fn object<K: Into<String>>(row: Vec<(K, Value)>) -> Value {
    let mut map = Map::new();
    for (k, v) in row {
        map.insert(k.into(), v);
    }
    Value::Object(map)
}

/// An optional float as JSON (null when absent or not finite).
pub fn num(v: Option<f64>) -> Value {
    v.and_then(serde_json::Number::from_f64)
        .map_or(Value::Null, Value::Number)
}

/// Pretty JSON ending in a newline.
pub fn json_pretty(v: &Value) -> String {
    let mut s = serde_json::to_string_pretty(v).unwrap_or_else(|_| "null".to_string());
    s.push('\n');
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_quotes_what_needs_quoting() {
        assert_eq!(csv_field("plain"), "plain");
        assert_eq!(csv_field("a,b"), "\"a,b\"");
        assert_eq!(csv_field("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(csv_field("two\nlines"), "\"two\nlines\"");
        let out = csv(&["a", "b"], &[vec![Value::Null, Value::from(1.5)]]);
        assert_eq!(out, "a,b\n,1.5\n");
    }
}
