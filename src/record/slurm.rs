//! Slurm context, pure: the `slurm` block a record made inside a Slurm job
//! carries, read from the job's environment; the MPI rank a process's
//! `/proc/<pid>/environ` names; and the `{host}`, `{user}`,
//! `{slurm_job_id}` templates of a history path. Every input is a
//! parameter (an environment lookup, bytes, strings), so all of it is
//! tested on hand-built environments. `docs/slurm.md` documents the fields.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// Where a task ran inside Slurm, from the `SLURM_*` variables Slurm sets
/// for every task (`srun`) and for the batch script (`sbatch`). A field is
/// absent when its variable is absent or not a number where one is due.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct SlurmRecord {
    /// `SLURM_JOB_ID`. An array task has its own job id;
    /// `array_job_id` is the one its array shares.
    pub job_id: u64,
    /// `SLURM_ARRAY_JOB_ID`: the id shared by every task of an array.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub array_job_id: Option<u64>,
    /// `SLURM_ARRAY_TASK_ID`.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub array_task_id: Option<u64>,
    /// `SLURM_STEP_ID` (`0`, `1`, ... for `srun` steps), or `batch` when it
    /// is absent, as in a batch script run by `sbatch`.
    pub step_id: String,
    /// `SLURM_PROCID`: the task's rank in the step.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub procid: Option<u32>,
    /// `SLURM_LOCALID`: the task's rank on its node.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub localid: Option<u32>,
    /// `SLURM_NODEID`: the node's index in the job's node list.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub nodeid: Option<u32>,
    /// `SLURM_NTASKS` (`SLURM_NPROCS` on old releases).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub ntasks: Option<u32>,
    /// `SLURM_JOB_NUM_NODES` (`SLURM_NNODES`).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub nnodes: Option<u32>,
    /// `SLURM_JOB_NODELIST` (`SLURM_NODELIST`), compressed as Slurm
    /// writes it: `node[01-04]`.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub nodelist: Option<String>,
    /// `SLURM_CPUS_ON_NODE`: CPUs allocated to the job on this node.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub cpus_on_node: Option<u32>,
    /// `SLURM_CPUS_PER_TASK`, set only when the job asked for it.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub cpus_per_task: Option<u32>,
    /// `SLURM_MEM_PER_NODE` in MB (Slurm's MB are MiB), when the memory
    /// was given per node (`--mem` or `DefMemPerNode`).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub mem_per_node_mb: Option<u64>,
    /// `SLURM_MEM_PER_CPU` in MB, when it was given per CPU
    /// (`--mem-per-cpu` or `DefMemPerCPU`).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub mem_per_cpu_mb: Option<u64>,
    /// GPU indices allocated on this node: `SLURM_STEP_GPUS`, else
    /// `SLURM_JOB_GPUS` (`0,1`).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub gpus: Option<String>,
    /// `SLURM_GPUS_ON_NODE`.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub gpus_on_node: Option<u32>,
    /// `SLURM_JOB_NAME`.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub job_name: Option<String>,
    /// `SLURM_JOB_PARTITION`.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub partition: Option<String>,
    /// `SLURM_JOB_ACCOUNT`.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub account: Option<String>,
    /// `SLURM_CLUSTER_NAME`.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub cluster: Option<String>,
}

/// The step id of a batch script, which has no `SLURM_STEP_ID`.
pub const BATCH_STEP: &str = "batch";

/// The Slurm context of a process whose environment `env` looks up, or
/// `None` outside Slurm (no `SLURM_JOB_ID`, nor `SLURM_JOBID`, that is a
/// number).
pub fn slurm_record(env: impl Fn(&str) -> Option<String>) -> Option<SlurmRecord> {
    // The first of `names` that is set and not empty.
    let text = |names: &[&str]| {
        names.iter().find_map(|n| {
            env(n)
                .map(|v| v.trim().to_string())
                .filter(|v| !v.is_empty())
        })
    };
    let number = |names: &[&str]| text(names).and_then(|v| v.parse().ok());
    let small = |names: &[&str]| text(names).and_then(|v| v.parse().ok());
    Some(SlurmRecord {
        job_id: number(&["SLURM_JOB_ID", "SLURM_JOBID"])?,
        array_job_id: number(&["SLURM_ARRAY_JOB_ID"]),
        array_task_id: number(&["SLURM_ARRAY_TASK_ID"]),
        step_id: text(&["SLURM_STEP_ID", "SLURM_STEPID"]).unwrap_or_else(|| BATCH_STEP.into()),
        procid: small(&["SLURM_PROCID"]),
        localid: small(&["SLURM_LOCALID"]),
        nodeid: small(&["SLURM_NODEID"]),
        ntasks: small(&["SLURM_NTASKS", "SLURM_NPROCS"]),
        nnodes: small(&["SLURM_JOB_NUM_NODES", "SLURM_NNODES"]),
        nodelist: text(&["SLURM_JOB_NODELIST", "SLURM_NODELIST"]),
        cpus_on_node: small(&["SLURM_CPUS_ON_NODE"]),
        cpus_per_task: small(&["SLURM_CPUS_PER_TASK"]),
        mem_per_node_mb: number(&["SLURM_MEM_PER_NODE"]),
        mem_per_cpu_mb: number(&["SLURM_MEM_PER_CPU"]),
        gpus: text(&["SLURM_STEP_GPUS", "SLURM_JOB_GPUS"]),
        gpus_on_node: small(&["SLURM_GPUS_ON_NODE"]),
        job_name: text(&["SLURM_JOB_NAME"]),
        partition: text(&["SLURM_JOB_PARTITION"]),
        account: text(&["SLURM_JOB_ACCOUNT"]),
        cluster: text(&["SLURM_CLUSTER_NAME"]),
    })
}

/// The variables that name an MPI rank, most specific first: a launcher's
/// own rank wins over `SLURM_PROCID`, which every process of a task
/// inherits (so `mpirun` inside a batch script, whose `SLURM_PROCID` is 0,
/// still gives its children their Open MPI ranks).
pub const RANK_VARIABLES: [&str; 5] = [
    "OMPI_COMM_WORLD_RANK",
    "PMIX_RANK",
    "PMI_RANK",
    "MV2_COMM_WORLD_RANK",
    "SLURM_PROCID",
];

/// The MPI rank named by a `/proc/<pid>/environ` blob (`KEY=VALUE` entries
/// separated by NUL), taking [`RANK_VARIABLES`] in order; `None` when none
/// is set to a number.
pub fn rank_from_environ(environ_bytes: &[u8]) -> Option<u32> {
    let value_of = |name: &str| {
        environ_bytes.split(|&b| b == 0).find_map(|entry| {
            let rest = entry.strip_prefix(name.as_bytes())?;
            rest.strip_prefix(b"=")
        })
    };
    RANK_VARIABLES.iter().find_map(|name| {
        let value = std::str::from_utf8(value_of(name)?).ok()?;
        value.trim().parse().ok()
    })
}

/// The placeholders of a history path.
pub const HISTORY_PLACEHOLDERS: [&str; 3] = ["host", "user", "slurm_job_id"];

/// Expand `{host}`, `{user}` and `{slurm_job_id}` in a history path
/// (`--history` or `PROFRUN_HISTORY`); `{{` and `}}` stand for a literal
/// brace. A `/` in a value becomes `_`, so a value stays one path
/// component.
///
/// Errors (lowercase, quoting the template): an unknown placeholder, an
/// unclosed `{`, and `{slurm_job_id}` when `slurm_job_id` is `None`
/// (outside Slurm). The last is an error rather than a fixed word so that
/// runs outside Slurm never silently share one file across hosts: the
/// caller reports it and falls back to a path without the placeholder.
pub fn expand_history_template(
    template: &str,
    host: &str,
    user: &str,
    slurm_job_id: Option<&str>,
) -> Result<String, String> {
    let mut out = String::with_capacity(template.len());
    let mut rest = template;
    while let Some(i) = rest.find(['{', '}']) {
        out.push_str(&rest[..i]);
        let tail = &rest[i..];
        if let Some(after) = tail.strip_prefix("{{").or(tail.strip_prefix("}}")) {
            out.push_str(&tail[..1]);
            rest = after;
            continue;
        }
        if let Some(after) = tail.strip_prefix('}') {
            out.push('}');
            rest = after;
            continue;
        }
        let end = tail
            .find('}')
            .ok_or_else(|| format!("unclosed '{{' in history path '{template}'"))?;
        let name = &tail[1..end];
        let value = match name {
            "host" => host,
            "user" => user,
            "slurm_job_id" => slurm_job_id.ok_or_else(|| {
                format!(
                    "history path '{template}' uses {{slurm_job_id}} but this run is not \
                     inside a Slurm job (no SLURM_JOB_ID)"
                )
            })?,
            _ => {
                let known: Vec<String> = HISTORY_PLACEHOLDERS
                    .iter()
                    .map(|p| format!("{{{p}}}"))
                    .collect();
                return Err(format!(
                    "unknown placeholder '{{{name}}}' in history path '{template}' (known: {})",
                    known.join(", ")
                ));
            }
        };
        out.push_str(&value.replace('/', "_"));
        rest = &tail[end + 1..];
    }
    out.push_str(rest);
    Ok(out)
}

#[cfg(test)]
#[path = "slurm_tests.rs"]
mod tests;
