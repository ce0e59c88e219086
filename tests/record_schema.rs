//! The record's JSON Schema, published at `docs/record.schema.json`, is
//! generated from the record types: this test fails when the two drift
//! (regenerate with `UPDATE_SCHEMA=1 cargo test --test record_schema`), and
//! checks a real record from the binary against it.

use serde_json::Value;

mod wrapper;
use wrapper::{last_record, profrun, workload};

const PUBLISHED: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/docs/record.schema.json");

fn generated() -> Value {
    let schema = schemars::schema_for!(profrun::record::JobRecord);
    serde_json::to_value(&schema).expect("schema as JSON")
}

#[test]
fn published_schema_matches_the_record_types() {
    let text = serde_json::to_string_pretty(&generated()).expect("pretty") + "\n";
    if std::env::var_os("UPDATE_SCHEMA").is_some() {
        std::fs::write(PUBLISHED, &text).expect("write schema");
    }
    let published = std::fs::read_to_string(PUBLISHED).expect("docs/record.schema.json");
    assert!(
        published == text,
        "docs/record.schema.json is out of date: run UPDATE_SCHEMA=1 cargo test --test record_schema"
    );
}

/// The object schema `name` (the root, or one of `$defs`).
fn object<'a>(schema: &'a Value, name: Option<&str>) -> &'a Value {
    match name {
        None => schema,
        Some(n) => &schema["$defs"][n],
    }
}

/// Every key of `value` is a property of `def`, and every required
/// property is present.
fn conforms(schema: &Value, def: Option<&str>, value: &Value, at: &str) {
    let def_schema = object(schema, def);
    let props = def_schema["properties"].as_object().expect("properties");
    let obj = value
        .as_object()
        .unwrap_or_else(|| panic!("{at} is not an object"));
    for key in obj.keys() {
        assert!(props.contains_key(key), "{at}.{key} is not in the schema");
    }
    for req in def_schema["required"].as_array().into_iter().flatten() {
        let req = req.as_str().expect("name");
        assert!(obj.contains_key(req), "{at}.{req} is required but missing");
    }
}

#[test]
fn a_real_record_conforms_to_the_published_schema() {
    let dir = tempfile::tempdir().expect("tempdir");
    let history = dir.path().join("h.jsonl");
    let st = profrun()
        .args(["--quiet", "--tag", "k=v", "--history"])
        .arg(&history)
        .arg("--")
        .arg(workload())
        .args(["spawn", "3", "20"])
        .status()
        .expect("run");
    assert!(st.success());
    let rec = last_record(&history);
    let schema = generated();
    conforms(&schema, None, &rec, "record");
    for (field, def) in [
        ("resource_usage", "ResourceUsage"),
        ("measurement", "Measurement"),
        ("host", "HostRecord"),
        ("detailed_profile", "DetailedProfile"),
    ] {
        conforms(&schema, Some(def), &rec[field], field);
    }
    let detailed = &rec["detailed_profile"];
    for (field, def) in [
        ("timeseries", "TimeSeries"),
        ("gpu_stats", "GpuStatsRecord"),
        ("container_stats", "ContainerStatsRecord"),
        ("cgroup", "CgroupStatsRecord"),
    ] {
        if detailed.get(field).is_some() {
            conforms(&schema, Some(def), &detailed[field], field);
        }
    }
}
