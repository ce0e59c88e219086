//! `profrun [run] -- COMMAND`: spawn, sample, wait, reap, assemble, save,
//! report, mirror.
//!
//! Order matters for cost and correctness: only what the spawn needs happens
//! before it (signal mask, subreaper, the I/O baseline, the cgroup leaf the
//! child joins before exec); NVML, host description, tool detection and the
//! rest happen while the job runs. The OS side sits behind [`JobOs`] (the
//! real one in `os.rs`), so the path below is also tested with a fake; the
//! record itself is assembled by the pure [`crate::assemble`].

mod alerts;
mod checkpoint;
mod export;
mod identity;
mod limits;
pub mod live;
mod os;
mod save;
#[cfg(test)]
mod tests;

use std::process::ExitCode;

use crate::assemble::{self, ChildExit, JobEnd, RanJob};
use crate::cli::RunArgs;
use crate::commands::output::say;
use crate::launch::{self, exit, spawn::SpawnError};
use crate::record::{JobRecord, Status};

pub use alerts::{AlertBoard, AlertObserver};
pub use os::{JobOs, ListenError, Measured, RealOs};

pub fn run(mut args: RunArgs) -> anyhow::Result<ExitCode> {
    // Usage errors (exit 2) are found before anything runs.
    if let Err(err) = add_config_alerts(&mut args) {
        say(&format!("profrun: error: {err}"));
        return Ok(ExitCode::from(2));
    }
    if let Err(err) = export::gateway(&args) {
        say(&format!("profrun: error: {err}"));
        return Ok(ExitCode::from(2));
    }
    let mut os = match RealOs::prepare(&args) {
        Ok(os) => os,
        Err(err) if err.is::<os::ListenError>() => {
            say(&format!("profrun: error: {err}"));
            return Ok(ExitCode::from(2));
        }
        Err(err) => return Err(err),
    };
    let mut record = execute(&mut os, &args);
    os.close_checkpoint();
    // Before saving: the record notes whether the exports worked.
    export::export(&args, &mut record);
    let saved = save::save(&args, &record);
    if !matches!(saved, save::Saved::Kept(_)) {
        // A kept record replaced the checkpoint: the next run appends it.
        os.remove_checkpoint();
    }
    save::report(&args, &record, &saved);
    // Cancels a pending kill-after; the leaf was removed by `measure`.
    drop(os);
    if args.self_stats {
        // Again, now that the record was serialised, written and reported:
        // the figure benchmarks use, read as late as profrun can.
        let me = identity::own_cost();
        say(&format!(
            "profrun: self-stats at exit: cpu_seconds={:.6} peak_rss_kb={}",
            me.cpu_seconds, me.peak_rss_kb
        ));
    }
    Ok(mirror(&record))
}

/// The config file's named alert rules join `--alert`'s; a rule of the same
/// name on the command line wins. Two `--alert`s of one name (or the same
/// unnamed rule twice) are a usage error: the live endpoint would show two
/// `profrun_job_alert_firing{alert="NAME"}` series, of which Prometheus
/// keeps one, and that one may hide the firing rule.
fn add_config_alerts(args: &mut RunArgs) -> Result<(), String> {
    for (i, rule) in args.alerts.iter().enumerate() {
        if args.alerts[..i].iter().any(|r| r.name == rule.name) {
            return Err(format!(
                "--alert '{}' is given twice: give each rule a name of its own (NAME=RULE)",
                rule.name
            ));
        }
    }
    for (name, text) in std::mem::take(&mut args.config_alerts) {
        if args.alerts.iter().any(|r| r.name == name) {
            continue;
        }
        // `commands::config::load` checked every rule of the file already.
        let rule = crate::alerts::parse_rule(&format!("{name}={text}"))
            .map_err(|err| format!("bad alert '{name}' in the config file: {err}"))?;
        args.alerts.push(rule);
    }
    Ok(())
}

/// Run the job through `os` and return its record. Once the job runs
/// nothing returns early: it gets a record and profrun exits the way it did.
pub fn execute(os: &mut impl JobOs, args: &RunArgs) -> JobRecord {
    let spawned = os.spawn(&args.command);
    let id = os.identity(args);
    os.identified(&id);
    let end = match spawned {
        Err(err) => failed_to_start(os, err),
        Ok(()) => JobEnd::Ran(Box::new(ran(os, args))),
    };
    let clock = os.clock();
    let own = args.self_stats.then(|| os.own_cost());
    assemble::assemble(id, clock, end, own)
}

fn failed_to_start(os: &mut impl JobOs, err: SpawnError) -> JobEnd {
    let (cgroup_backend, cgroup_note) = os.cgroup_names();
    JobEnd::FailedToStart {
        exit_code: err.exit_code,
        error: err.message,
        cgroup_backend,
        cgroup_note,
    }
}

fn ran(os: &mut impl JobOs, args: &RunArgs) -> RanJob {
    let (exit, wait_error) = match os.wait() {
        Ok(exit) => (exit, None),
        Err(err) => {
            let why = format!("cannot wait for the job: {err}");
            say(&format!("profrun: error: {why}"));
            (ChildExit::Code(i32::from(launch::EXIT_INTERNAL)), Some(why))
        }
    };
    let left_running = os.reap(args.wait_all);
    os.stop_clock();
    let measured = os.measure();
    RanJob {
        exit,
        signal_name: match exit {
            ChildExit::Signal(sig) => Some(exit::signal_name(sig)),
            ChildExit::Code(_) => None,
        },
        wait_error,
        // Read last, so a signal that arrived while reaping still counts.
        interrupted: os.received_signal(),
        children: measured.children,
        io: measured.io,
        left_running,
        sampled: measured.sampled,
        cgroup: measured.cgroup,
        interval_seconds: args.interval,
        alerts: measured.alerts,
        limit: measured.limit,
    }
}

/// Exit the way the child did: die of its signal, or return its code;
/// after a `--limit` stopped it, exit 124 (`assemble::EXIT_LIMIT_EXCEEDED`).
fn mirror(record: &JobRecord) -> ExitCode {
    if record.status == Status::LimitExceeded {
        return ExitCode::from((record.exit_code & 0xff) as u8);
    }
    if let Some(signal) = &record.signal {
        exit::reraise(signal.number);
    }
    ExitCode::from((record.exit_code & 0xff) as u8)
}
