//! The run path driven by a fake OS: spawn failure, exit codes, signals and
//! interrupts reach the record without spawning anything.

use super::*;
use crate::assemble::{CgroupOutcome, IoReadings, JobIdentity, RunClock, RusageSample};
use crate::cli::Cli;
use crate::launch::EXIT_NOT_FOUND;
use crate::record::{CgroupStatsRecord, HostRecord, ProcessRef, SelfStats, Status, UserRecord};
use crate::sample::IoSample;
use clap::Parser;
use std::ffi::OsString;
use std::io;

/// Plays back one scripted run and notes the calls it got.
#[derive(Default)]
struct FakeOs {
    spawn_error: Option<u8>,
    exit: Option<ChildExit>,
    wait_fails: bool,
    received: bool,
    left_running: Vec<ProcessRef>,
    calls: Vec<String>,
}

impl FakeOs {
    fn exiting(exit: ChildExit) -> FakeOs {
        FakeOs {
            exit: Some(exit),
            ..FakeOs::default()
        }
    }
}

impl JobOs for FakeOs {
    fn spawn(&mut self, argv: &[OsString]) -> Result<(), SpawnError> {
        self.calls.push(format!("spawn {}", argv.len()));
        match self.spawn_error {
            Some(exit_code) => Err(SpawnError {
                exit_code,
                message: "command not found: 'nope'".to_string(),
            }),
            None => Ok(()),
        }
    }

    fn identity(&mut self, args: &RunArgs) -> JobIdentity {
        self.calls.push("identity".to_string());
        JobIdentity {
            task_id: "0abc1def2ghj".to_string(),
            tool: args.tool.clone().unwrap_or_default(),
            script: None,
            params: Default::default(),
            tags: Default::default(),
            command: args
                .command
                .iter()
                .map(|a| a.to_string_lossy().into_owned())
                .collect(),
            cwd: "/".to_string(),
            start_time: "2026-01-01T00:00:00.000000Z".to_string(),
            user: UserRecord { name: None, uid: 0 },
            host: HostRecord {
                hostname: "fake".to_string(),
                kernel: "0".to_string(),
                cpu_model: None,
                logical_cpus: 1,
                cpus_available: 1,
                memory_total_mb: 1.0,
            },
            environment: Default::default(),
            slurm: None,
        }
    }

    fn wait(&mut self) -> io::Result<ChildExit> {
        self.calls.push("wait".to_string());
        if self.wait_fails {
            return Err(io::Error::from_raw_os_error(libc_echild()));
        }
        Ok(self.exit.expect("the script names an exit"))
    }

    fn reap(&mut self, wait_all: bool) -> Vec<ProcessRef> {
        self.calls.push(format!("reap wait_all={wait_all}"));
        self.left_running.clone()
    }

    fn stop_clock(&mut self) {
        self.calls.push("stop_clock".to_string());
    }

    fn clock(&mut self) -> RunClock {
        RunClock {
            end_time: "2026-01-01T00:00:01.000000Z".to_string(),
            duration_seconds: 1.0,
        }
    }

    fn measure(&mut self) -> Measured {
        self.calls.push("measure".to_string());
        Measured {
            children: RusageSample {
                user_seconds: 0.5,
                max_rss_kb: 2048,
                ..RusageSample::default()
            },
            io: IoReadings {
                tree_after: IoSample {
                    wchar: 10,
                    ..IoSample::default()
                },
                ..IoReadings::default()
            },
            sampled: None,
            cgroup: CgroupOutcome {
                backend: "none".to_string(),
                note: None,
                stats: CgroupStatsRecord::default(),
                peak_bytes: None,
            },
            alerts: Vec::new(),
            limit: None,
        }
    }

    fn received_signal(&self) -> bool {
        self.received
    }

    fn cgroup_names(&self) -> (String, Option<String>) {
        ("none".to_string(), Some("--no-cgroup".to_string()))
    }

    fn own_cost(&self) -> SelfStats {
        SelfStats {
            cpu_seconds: 0.001,
            peak_rss_kb: 100,
        }
    }
}

/// ECHILD, without naming libc here.
fn libc_echild() -> i32 {
    10
}

fn args(extra: &[&str]) -> RunArgs {
    let mut argv = vec!["profrun"];
    argv.extend_from_slice(extra);
    argv.extend_from_slice(&["--", "job", "arg"]);
    Cli::try_parse_from(argv).expect("arguments parse").run
}

#[test]
fn a_command_that_cannot_start_is_recorded_without_waiting() {
    let mut os = FakeOs {
        spawn_error: Some(EXIT_NOT_FOUND),
        ..FakeOs::default()
    };
    let record = execute(&mut os, &args(&[]));
    assert_eq!(os.calls, ["spawn 2", "identity"]);
    assert_eq!(record.status, Status::FailedToStart);
    assert_eq!(record.exit_code, 127);
    assert_eq!(record.returncode, None);
    assert_eq!(record.error.as_deref(), Some("command not found: 'nope'"));
    assert_eq!(
        record.measurement.cgroup_note.as_deref(),
        Some("--no-cgroup")
    );
    assert_eq!(record.end_time, "2026-01-01T00:00:01.000000Z");
}

#[test]
fn an_exit_code_is_the_record_and_the_mirror() {
    let mut os = FakeOs::exiting(ChildExit::Code(3));
    let record = execute(&mut os, &args(&["--wait-all"]));
    assert_eq!(
        os.calls,
        [
            "spawn 2",
            "identity",
            "wait",
            "reap wait_all=true",
            "stop_clock",
            "measure"
        ]
    );
    assert_eq!(record.status, Status::Failed);
    assert_eq!((record.returncode, record.exit_code), (Some(3), 3));
    assert_eq!(record.resource_usage.cpu_user_seconds, 0.5);
    assert_eq!(record.resource_usage.wchar, 10);
    assert_eq!(mirror(&record), ExitCode::from(3));
    assert_eq!(record.profrun_self, None);
}

#[test]
fn a_signal_death_is_signaled_with_its_name() {
    let mut os = FakeOs::exiting(ChildExit::Signal(9));
    os.left_running = vec![ProcessRef {
        pid: 7,
        name: "sleep".to_string(),
    }];
    let record = execute(&mut os, &args(&["--self-stats"]));
    assert_eq!(record.status, Status::Signaled);
    assert_eq!((record.returncode, record.exit_code), (Some(-9), 137));
    assert_eq!(record.signal.map(|s| s.name), Some("SIGKILL".to_string()));
    assert_eq!(record.descendants_left_running.len(), 1);
    assert!(record.profrun_self.is_some());
}

#[test]
fn a_signal_to_profrun_makes_the_run_interrupted() {
    let mut os = FakeOs::exiting(ChildExit::Signal(15));
    os.received = true;
    let record = execute(&mut os, &args(&[]));
    assert_eq!(record.status, Status::Interrupted);
    assert_eq!(record.exit_code, 143);
}

#[test]
fn a_failed_wait_still_gives_a_record_with_the_internal_code() {
    let mut os = FakeOs {
        wait_fails: true,
        ..FakeOs::default()
    };
    let record = execute(&mut os, &args(&[]));
    assert_eq!(record.status, Status::Failed);
    assert_eq!(record.exit_code, 125);
    assert!(record
        .error
        .as_deref()
        .is_some_and(|e| e.starts_with("cannot wait for the job")));
    assert_eq!(mirror(&record), ExitCode::from(125));
}
