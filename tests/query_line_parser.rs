//! Property tests of the line parser: arbitrary bytes, and damaged copies
//! of a real record, never panic; whatever parses has an id and a time.

use profrun::history::line::{parse_summary, parse_value};
use proptest::prelude::*;

const RECORD: &str = r#"{"schema_version":1,"task_id":"6a1b2c3d4e5f","tool":"fenicsx","script":"poisson.py","params":{},"tags":{"mesh":"64"},"command":["python3","poisson.py"],"start_time":"2025-11-20T09:00:00.000000Z","end_time":"2025-11-20T09:05:30.120000Z","duration_seconds":330.12,"status":"success","returncode":0,"exit_code":0,"signal":null,"host":{"hostname":"node1"},"resource_usage":{"cpu_total_seconds":297.79,"memory_peak_mb":2048.5,"read_bytes":1,"write_bytes":2},"detailed_profile":{"gpu_stats":{"nvidia":{"gpu_utilization_percent":85.5}},"timeseries":{"t_seconds":[0,1],"cpu_percent":[5,50]}}}"#;

fn check(bytes: &[u8]) {
    if let Ok(s) = parse_summary(bytes) {
        assert!(!s.task_id.is_empty());
    }
    let _ = parse_value(bytes);
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
        check(&bytes);
    }

    #[test]
    fn damaged_records_never_panic(cut in 0..RECORD.len(), at in 0..RECORD.len(), byte in any::<u8>()) {
        let mut damaged = RECORD.as_bytes().to_vec();
        damaged[at] = byte;
        check(&damaged);
        check(&RECORD.as_bytes()[..cut]);
        // A cut record is never accepted: the closing brace is missing.
        prop_assert!(parse_summary(&RECORD.as_bytes()[..cut]).is_err());
    }
}

#[test]
fn the_undamaged_record_parses() {
    let s = parse_summary(RECORD.as_bytes()).expect("good record");
    assert_eq!(s.gpu_utilization_percent, Some(85.5));
    assert_eq!(s.tags.get("mesh").map(String::as_str), Some("64"));
}
