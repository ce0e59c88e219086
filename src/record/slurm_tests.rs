use super::*;
use std::collections::HashMap;

fn env_of(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
    let map: HashMap<String, String> = pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    move |name| map.get(name).cloned()
}

/// Task 1 of `srun -n 2` on this repository's test cluster (variables
/// copied from a record's `environment`).
const SRUN_TASK: &[(&str, &str)] = &[
    ("SLURM_CLUSTER_NAME", "profrun-test"),
    ("SLURM_CPUS_ON_NODE", "2"),
    ("SLURM_JOBID", "1"),
    ("SLURM_JOB_ID", "1"),
    ("SLURM_JOB_NAME", "profrun"),
    ("SLURM_JOB_NODELIST", "vm"),
    ("SLURM_JOB_NUM_NODES", "1"),
    ("SLURM_JOB_PARTITION", "debug"),
    ("SLURM_LOCALID", "1"),
    ("SLURM_MEM_PER_CPU", "256"),
    ("SLURM_NNODES", "1"),
    ("SLURM_NODEID", "0"),
    ("SLURM_NODELIST", "vm"),
    ("SLURM_NPROCS", "2"),
    ("SLURM_NTASKS", "2"),
    ("SLURM_PROCID", "1"),
    ("SLURM_STEPID", "0"),
    ("SLURM_STEP_ID", "0"),
];

#[test]
fn no_slurm_job_id_means_outside_slurm() {
    assert_eq!(slurm_record(env_of(&[])), None);
    assert_eq!(slurm_record(env_of(&[("SLURM_PROCID", "0")])), None);
    assert_eq!(slurm_record(env_of(&[("SLURM_JOB_ID", "")])), None);
    assert_eq!(slurm_record(env_of(&[("SLURM_JOB_ID", "abc")])), None);
}

#[test]
fn srun_task_gets_its_rank_and_step() {
    let r = slurm_record(env_of(SRUN_TASK)).expect("inside Slurm");
    assert_eq!(
        r,
        SlurmRecord {
            job_id: 1,
            step_id: "0".into(),
            procid: Some(1),
            localid: Some(1),
            nodeid: Some(0),
            ntasks: Some(2),
            nnodes: Some(1),
            nodelist: Some("vm".into()),
            cpus_on_node: Some(2),
            mem_per_cpu_mb: Some(256),
            job_name: Some("profrun".into()),
            partition: Some("debug".into()),
            cluster: Some("profrun-test".into()),
            ..SlurmRecord::default()
        }
    );
}

#[test]
fn batch_script_without_step_id_is_the_batch_step() {
    let r = slurm_record(env_of(&[
        ("SLURM_JOB_ID", "9"),
        ("SLURM_JOB_NAME", "wrap"),
        ("SLURM_PROCID", "0"),
        ("SLURM_MEM_PER_NODE", "4096"),
        ("SLURM_JOB_ACCOUNT", "physics"),
        ("SLURM_CPUS_PER_TASK", "4"),
    ]))
    .expect("inside Slurm");
    assert_eq!(r.step_id, BATCH_STEP);
    assert_eq!(r.mem_per_node_mb, Some(4096));
    assert_eq!(r.mem_per_cpu_mb, None);
    assert_eq!(r.account.as_deref(), Some("physics"));
    assert_eq!(r.cpus_per_task, Some(4));
    assert_eq!(r.ntasks, None, "sbatch without -n sets no SLURM_NTASKS");
}

#[test]
fn array_task_keeps_its_own_job_id_and_the_array_id() {
    // `sbatch --array=0-2`: task 1 ran as job 8 of array job 6.
    let r = slurm_record(env_of(&[
        ("SLURM_JOB_ID", "8"),
        ("SLURM_ARRAY_JOB_ID", "6"),
        ("SLURM_ARRAY_TASK_ID", "1"),
    ]))
    .expect("inside Slurm");
    assert_eq!(
        (r.job_id, r.array_job_id, r.array_task_id),
        (8, Some(6), Some(1))
    );
    assert_eq!(r.step_id, BATCH_STEP);
}

#[test]
fn old_variable_names_are_the_fallback() {
    let r = slurm_record(env_of(&[
        ("SLURM_JOBID", "5"),
        ("SLURM_STEPID", "2"),
        ("SLURM_NPROCS", "8"),
        ("SLURM_NNODES", "2"),
        ("SLURM_NODELIST", "n[1-2]"),
    ]))
    .expect("inside Slurm");
    assert_eq!(r.job_id, 5);
    assert_eq!(r.step_id, "2");
    assert_eq!((r.ntasks, r.nnodes), (Some(8), Some(2)));
    assert_eq!(r.nodelist.as_deref(), Some("n[1-2]"));
}

#[test]
fn gpus_prefer_the_step_and_bad_numbers_are_absent() {
    let r = slurm_record(env_of(&[
        ("SLURM_JOB_ID", "3"),
        ("SLURM_JOB_GPUS", "0,1,2,3"),
        ("SLURM_STEP_GPUS", "2,3"),
        ("SLURM_GPUS_ON_NODE", "2"),
        ("SLURM_PROCID", "-1"),
        ("SLURM_CPUS_ON_NODE", "2(x3)"),
    ]))
    .expect("inside Slurm");
    assert_eq!(r.gpus.as_deref(), Some("2,3"));
    assert_eq!(r.gpus_on_node, Some(2));
    assert_eq!(r.procid, None);
    assert_eq!(r.cpus_on_node, None);
}

#[test]
fn slurm_record_json_omits_absent_fields() {
    let r = slurm_record(env_of(&[("SLURM_JOB_ID", "42")])).expect("inside Slurm");
    assert_eq!(
        serde_json::to_string(&r).expect("json"),
        r#"{"job_id":42,"step_id":"batch"}"#
    );
    let back: SlurmRecord =
        serde_json::from_str(r#"{"job_id":42,"step_id":"batch"}"#).expect("parse");
    assert_eq!(back, r);
}

#[test]
fn rank_takes_the_launchers_variable_before_slurm_procid() {
    let environ = b"PATH=/bin\0SLURM_PROCID=0\0OMPI_COMM_WORLD_RANK=3\0HOME=/root\0";
    assert_eq!(rank_from_environ(environ), Some(3));
    assert_eq!(rank_from_environ(b"PMIX_RANK=5\0PMI_RANK=6\0"), Some(5));
    assert_eq!(
        rank_from_environ(b"PMI_RANK=6\0MV2_COMM_WORLD_RANK=7"),
        Some(6)
    );
    assert_eq!(rank_from_environ(b"MV2_COMM_WORLD_RANK=7\0"), Some(7));
    assert_eq!(rank_from_environ(b"SLURM_PROCID=1\0"), Some(1));
}

#[test]
fn rank_needs_an_exact_name_and_a_number() {
    assert_eq!(rank_from_environ(b""), None);
    assert_eq!(rank_from_environ(b"PATH=/bin\0\0"), None);
    // A longer name that starts like a rank variable is not one.
    assert_eq!(rank_from_environ(b"PMI_RANKS=4\0XPMI_RANK=4\0"), None);
    assert_eq!(rank_from_environ(b"PMI_RANK=\0SLURM_PROCID=x\0"), None);
    // An unset-looking launcher variable falls through to the next.
    assert_eq!(
        rank_from_environ(b"OMPI_COMM_WORLD_RANK=\0SLURM_PROCID=2\0"),
        Some(2)
    );
    assert_eq!(rank_from_environ(b"PMIX_RANK=\xff\0PMI_RANK=1\0"), Some(1));
}

#[test]
fn template_expands_each_placeholder() {
    let t = "/shared/profrun/{host}-{user}/{slurm_job_id}.jsonl";
    assert_eq!(
        expand_history_template(t, "node01", "ada", Some("1234")),
        Ok("/shared/profrun/node01-ada/1234.jsonl".into())
    );
    assert_eq!(
        expand_history_template("{host}{host}", "a", "u", None),
        Ok("aa".into())
    );
}

#[test]
fn template_without_placeholders_is_unchanged() {
    for t in ["", "jobs_history.jsonl", "/a/b c/d.jsonl", "x}y"] {
        assert_eq!(
            expand_history_template(t, "h", "u", None),
            Ok(t.to_string())
        );
    }
}

#[test]
fn template_braces_escape_by_doubling() {
    assert_eq!(
        expand_history_template("{{host}}/{host}}}", "n1", "u", None),
        Ok("{host}/n1}".into())
    );
}

#[test]
fn template_value_stays_one_path_component() {
    assert_eq!(
        expand_history_template("/h/{user}.jsonl", "n", "../etc", None),
        Ok("/h/.._etc.jsonl".into())
    );
}

#[test]
fn template_unknown_placeholder_is_named() {
    let err = expand_history_template("/h/{hostname}.jsonl", "n", "u", Some("1"))
        .expect_err("unknown placeholder");
    assert_eq!(
        err,
        "unknown placeholder '{hostname}' in history path '/h/{hostname}.jsonl' \
         (known: {host}, {user}, {slurm_job_id})"
    );
}

#[test]
fn template_unclosed_brace_is_an_error() {
    assert_eq!(
        expand_history_template("/h/{host.jsonl", "n", "u", None),
        Err("unclosed '{' in history path '/h/{host.jsonl'".into())
    );
}

#[test]
fn template_slurm_job_id_outside_slurm_is_an_error() {
    let err = expand_history_template("/h/{slurm_job_id}.jsonl", "n", "u", None)
        .expect_err("outside Slurm");
    assert!(err.contains("not inside a Slurm job"), "{err}");
    assert!(err.contains("'/h/{slurm_job_id}.jsonl'"), "{err}");
}
