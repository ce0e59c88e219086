//! The job's identity (everything known about it that does not depend on how
//! it ends) and profrun's own cost, read while the job runs.

use chrono::{SecondsFormat, Utc};

use crate::assemble::JobIdentity;
use crate::cli::RunArgs;
use crate::detect::{self, RealFiles};
use crate::launch;
use crate::probe::{self, ProcRoot};
use crate::record::{self, SelfStats};
use crate::redact;

pub fn identity(args: &RunArgs, proc: &ProcRoot, start_time: chrono::DateTime<Utc>) -> JobIdentity {
    let task_id = launch::task_id::new_task_id();
    let files = RealFiles;
    // The record is JSON text: arguments that are not UTF-8 are recorded
    // lossily (U+FFFD), though the job got them byte for byte.
    let command: Vec<String> = args
        .command
        .iter()
        .map(|a| a.to_string_lossy().into_owned())
        .collect();
    JobIdentity {
        task_id,
        tool: args
            .tool
            .clone()
            .unwrap_or_else(|| detect::detect_tool(&command, &files)),
        script: detect::detect_script(&command, &files),
        params: args
            .params
            .iter()
            .map(|kv| (kv.key.clone(), kv.value.clone()))
            .collect(),
        tags: args
            .tags
            .iter()
            .map(|kv| (kv.key.clone(), kv.value.clone()))
            .collect(),
        // Detection above saw the real arguments; the record keeps them
        // with secrets masked.
        command: redact::redact_command(&command, &args.redact),
        cwd: std::env::current_dir()
            .map(|p| p.display().to_string())
            .unwrap_or_default(),
        start_time: start_time.to_rfc3339_opts(SecondsFormat::Micros, true),
        user: probe::host_info::user_record(),
        host: probe::host_info::host_record(proc),
        // vars_os: std::env::vars panics on a variable that is not UTF-8.
        environment: detect::allowed_environment(
            std::env::vars_os()
                .filter_map(|(k, v)| Some((k.into_string().ok()?, v.into_string().ok()?))),
        ),
        slurm: record::slurm_record(|name| std::env::var(name).ok()),
    }
}

/// profrun's own CPU time and peak RSS so far. VmHWM, not ru_maxrss: after
/// a vfork-style spawn (posix_spawn, as Python and Rust use) the kernel
/// folds the PARENT's RSS at that moment into our ru_maxrss; VmHWM starts
/// afresh at exec.
pub fn own_cost() -> SelfStats {
    let proc = ProcRoot::default();
    let me = probe::rusage::own();
    let hwm_kb = std::fs::read(proc.path("self/status"))
        .map(|text| probe::process::parse_status(&text).vm_hwm_kb)
        .unwrap_or(0);
    SelfStats {
        cpu_seconds: me.user_seconds + me.system_seconds,
        peak_rss_kb: if hwm_kb > 0 { hwm_kb } else { me.max_rss_kb },
    }
}
