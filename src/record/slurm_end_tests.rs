//! On `scontrol show job -o` output captured from Slurm 22.05 (the test
//! cluster of `tests/support/slurm.rs`, `AccountingStorageType=none`, so
//! the `sacct` rows are written by hand in its `-P` format).

use super::*;

fn scontrol(name: &str) -> &'static str {
    match name {
        "running" => include_str!("slurm_end_testdata/scontrol-running.txt"),
        "completing" => include_str!("slurm_end_testdata/scontrol-completing.txt"),
        "cancelled" => include_str!("slurm_end_testdata/scontrol-cancelled.txt"),
        "cancelled-pending" => include_str!("slurm_end_testdata/scontrol-cancelled-pending.txt"),
        "timeout" => include_str!("slurm_end_testdata/scontrol-timeout.txt"),
        "completed" => include_str!("slurm_end_testdata/scontrol-completed.txt"),
        "failed" => include_str!("slurm_end_testdata/scontrol-failed.txt"),
        "array" => include_str!("slurm_end_testdata/scontrol-array.txt"),
        _ => unreachable!("no capture {name}"),
    }
}

fn slurm(job_id: u64, job_name: &str) -> SlurmRecord {
    SlurmRecord {
        job_id,
        job_name: Some(job_name.to_string()),
        step_id: "batch".into(),
        ..SlurmRecord::default()
    }
}

#[test]
fn a_cancelled_running_batch_job_was_ended_by_slurm() {
    let end = parse_scontrol(scontrol("cancelled"), 1).expect("job 1");
    assert_eq!(end.state, "CANCELLED");
    assert_eq!(end.reason, None, "Reason=None is no reason");
    assert_eq!(end.uid, Some(0));
    assert_eq!(end.job_name.as_deref(), Some("plain-32397"));
    assert!(end.ended_by_slurm() && end.settled() && !end.completing());
    assert_eq!(end.describe(), "Slurm: CANCELLED");
    assert!(end.is_job_of(&slurm(1, "plain-32397"), 0));
}

#[test]
fn a_timed_out_job_names_its_reason() {
    let end = parse_scontrol(scontrol("timeout"), 3).expect("job 3");
    assert_eq!(end.state, "TIMEOUT");
    assert!(end.ended_by_slurm());
    assert_eq!(end.describe(), "Slurm: TIMEOUT, reason TimeLimit");
}

#[test]
fn a_job_just_cancelled_is_completing_first() {
    let end = parse_scontrol(scontrol("completing"), 1).expect("job 1");
    assert_eq!(end.state, "COMPLETING");
    assert!(end.completing() && !end.settled() && !end.ended_by_slurm());
}

#[test]
fn running_pending_completed_and_failed_jobs_were_not_ended_by_slurm() {
    for (name, id, state, settled) in [
        ("running", 1, "RUNNING", false),
        ("completed", 1, "COMPLETED", true),
        ("failed", 2, "FAILED", true),
    ] {
        let end = parse_scontrol(scontrol(name), id).expect(name);
        assert_eq!(end.state, state);
        assert!(!end.ended_by_slurm(), "{name}");
        assert_eq!(end.settled(), settled, "{name}");
    }
    let failed = parse_scontrol(scontrol("failed"), 2).expect("job 2");
    assert_eq!(failed.describe(), "Slurm: FAILED, reason NonZeroExitCode");
    // Cancelled while still pending: Slurm's state, whatever the reason.
    let pending = parse_scontrol(scontrol("cancelled-pending"), 5).expect("job 5");
    assert_eq!(pending.state, "CANCELLED");
    assert_eq!(pending.reason.as_deref(), Some("Priority"));
}

#[test]
fn a_job_name_with_spaces_is_read_whole() {
    let end = parse_scontrol(scontrol("completed"), 1).expect("job 1");
    assert_eq!(end.job_name.as_deref(), Some("done job"));
}

#[test]
fn an_array_answer_gives_the_line_of_the_task_asked_about() {
    let text = scontrol("array");
    assert_eq!(text.lines().count(), 3, "one line per task");
    // Task 1 has job id 7; `ArrayJobId=4` on every line is not `JobId=4`.
    let task = parse_scontrol(text, 7).expect("job 7");
    assert_eq!((task.job_id, task.state.as_str()), (7, "COMPLETED"));
    assert!(
        parse_scontrol(text, 4).is_some(),
        "task 2 keeps the array's id"
    );
    assert_eq!(parse_scontrol(text, 5), None);
}

#[test]
fn an_unknown_job_or_no_answer_parses_to_nothing() {
    // `scontrol show job -o 999999`: nothing on stdout, the error on stderr.
    assert_eq!(parse_scontrol("", 999999), None);
    assert_eq!(parse_scontrol(scontrol("cancelled"), 2), None);
    assert_eq!(parse_scontrol("JobId=1 JobName=x UserId=root(0)", 1), None);
    assert_eq!(parse_sacct("", 1), None);
}

#[test]
fn another_users_job_or_another_name_under_the_same_id_is_not_ours() {
    let end = parse_scontrol(scontrol("cancelled"), 1).expect("job 1");
    assert!(!end.is_job_of(&slurm(1, "plain-32397"), 1000), "uid");
    assert!(!end.is_job_of(&slurm(1, "another"), 0), "name");
    assert!(!end.is_job_of(&slurm(2, "plain-32397"), 0), "id");
    let unnamed = SlurmRecord {
        job_name: None,
        ..slurm(1, "")
    };
    assert!(end.is_job_of(&unnamed, 0), "no name to compare");
}

#[test]
fn sacct_rows_give_the_state_and_who_cancelled() {
    let text = "70|CANCELLED by 0|plain|0\n71|TIMEOUT|long one|1000\n72|CANCELLED+|x|0\n";
    let cancelled = parse_sacct(text, 70).expect("70");
    assert_eq!(
        (cancelled.state.as_str(), cancelled.cancelled_by_uid),
        ("CANCELLED", Some(0))
    );
    assert_eq!(cancelled.describe(), "Slurm: CANCELLED by uid 0");
    let timeout = parse_sacct(text, 71).expect("71");
    assert_eq!(timeout.state, "TIMEOUT");
    assert_eq!(
        (timeout.job_name.as_deref(), timeout.uid),
        (Some("long one"), Some(1000))
    );
    assert_eq!(parse_sacct(text, 72).expect("72").state, "CANCELLED");
    assert_eq!(parse_sacct(text, 73), None);
}
