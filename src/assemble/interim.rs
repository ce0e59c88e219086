//! The record of a run that has not ended: what a checkpoint holds while the
//! job runs (status `running`), and what it becomes once its profrun is found
//! gone (`lost`, or `interrupted` when the checkpoint was written at a
//! forwarded signal). Pure, like the rest of `assemble`: the figures are the
//! profiler's as of its latest sample (issue 11, item 7).

use super::{assemble, CgroupOutcome, ChildExit, JobEnd, JobIdentity, RanJob, RusageSample};
use super::{IoReadings, RunClock, SampledRun};
use crate::profile::Profiler;
use crate::record::slurm_end::SlurmJobEnd;
use crate::record::{CgroupStatsRecord, JobRecord, ProcessRef, SignalRecord, Status};
use crate::sample::IoSample;

/// The record so far: the identity, the clock at the checkpoint and, once
/// the sampler has a sample, its summaries and series up to now. The
/// kernel's totals for the tree are known only once it is reaped, so CPU is
/// the sampled tree's (all counted as user time) and I/O the sampled
/// counters.
pub fn interim(
    id: &JobIdentity,
    clock: RunClock,
    profiler: Option<&Profiler>,
    interval_seconds: f64,
    cgroup_backend: &str,
) -> JobRecord {
    let now = profiler.map(|p| p.now());
    let cpu_seconds = now.map_or(0.0, |n| n.cpu_seconds_total);
    let io = IoSample {
        read_bytes: now.map_or(0, |n| n.read_bytes_total),
        write_bytes: now.map_or(0, |n| n.write_bytes_total),
        ..IoSample::default()
    };
    let ran = RanJob {
        exit: ChildExit::Code(0),
        signal_name: None,
        wait_error: None,
        interrupted: false,
        children: RusageSample {
            user_seconds: cpu_seconds,
            max_rss_kb: profiler.map_or(0, |p| p.tree_rss_peak_bytes() / 1024),
            ..RusageSample::default()
        },
        io: IoReadings {
            tree_after: io,
            ..IoReadings::default()
        },
        left_running: Vec::new(),
        sampled: profiler.map(|p| SampledRun {
            profile: Ok(p.clone()),
            max_tick_delay_seconds: 0.0,
            gpu_stats: None,
            container_stats: None,
        }),
        cgroup: CgroupOutcome {
            backend: cgroup_backend.to_string(),
            note: None,
            stats: CgroupStatsRecord::default(),
            peak_bytes: None,
        },
        interval_seconds,
        alerts: Vec::new(),
        limit: None,
    };
    let mut record = assemble(id.clone(), clock, JobEnd::Ran(Box::new(ran)), None);
    record.status = Status::Running;
    record.returncode = None;
    record.exit_code = 0;
    record
}

/// A checkpoint whose profrun is gone, as the record appended for it:
/// `lost`, or `interrupted` with the signal profrun was forwarding when it
/// wrote the checkpoint. The job (`job_pid`) may still be running: it is
/// named in `descendants_left_running` and in `error`.
pub fn recovered(record: JobRecord, job_pid: i32, signal: Option<SignalRecord>) -> JobRecord {
    recovered_with_slurm(record, job_pid, signal, None)
}

/// The exit code of a process killed by SIGKILL (128 + 9).
pub const KILLED_EXIT_CODE: i32 = 137;

/// What Slurm sends first when it cancels a job or ends it at its limit.
const SLURM_SIGNAL: (i32, &str) = (15, "SIGTERM");

/// [`recovered`], knowing also what Slurm says became of the job (issue
/// 16 item 7): a checkpoint written before any signal, of a job Slurm
/// cancelled, timed out, preempted or lost with its node, was a profrun
/// killed with its step (`sbatch --wrap "profrun ..."`: SIGKILLed within
/// milliseconds of the SIGTERM, before it could note it): `interrupted`,
/// SIGTERM, and Slurm's state in `error`. Any other state of Slurm's is
/// named in `error` and leaves the run `lost`.
pub fn recovered_with_slurm(
    mut record: JobRecord,
    job_pid: i32,
    mut signal: Option<SignalRecord>,
    slurm: Option<&SlurmJobEnd>,
) -> JobRecord {
    let cause = match (&signal, slurm) {
        (Some(s), _) => format!("profrun was killed after it forwarded {}", s.name),
        (None, Some(end)) if end.ended_by_slurm() => {
            signal = Some(SignalRecord {
                number: SLURM_SIGNAL.0,
                name: SLURM_SIGNAL.1.to_string(),
            });
            format!(
                "profrun was killed with its job by Slurm ({}), before it noted the signal",
                end.describe()
            )
        }
        (None, Some(end)) => format!("profrun was killed ({})", end.describe()),
        (None, None) => "profrun was killed".to_string(),
    };
    // A Slurm job that ended took every process of its steps with it.
    let job_ended = slurm.is_some_and(SlurmJobEnd::settled);
    let job = if job_ended {
        "the job ended with its Slurm job".to_string()
    } else {
        format!("the job (pid {job_pid}) may still be running")
    };
    record.error = Some(format!(
        "{cause}; figures up to its last checkpoint ({}); {job}",
        record.end_time
    ));
    record.status = match signal {
        Some(_) => Status::Interrupted,
        None => Status::Lost,
    };
    record.signal = signal;
    record.returncode = None;
    // Assumed SIGKILL, the one signal profrun cannot take (OOM killer, a
    // batch system's hard kill, `kill -9`), and what the shell then saw;
    // a crash or a node that went down leave a checkpoint too. Not 0:
    // scripts read 0 as success.
    record.exit_code = KILLED_EXIT_CODE;
    if !job_ended
        && !record
            .descendants_left_running
            .iter()
            .any(|p| p.pid == job_pid)
    {
        record.descendants_left_running.push(ProcessRef {
            pid: job_pid,
            name: String::new(),
        });
    }
    record
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::record::{HostRecord, UserRecord};

    fn identity() -> JobIdentity {
        JobIdentity {
            task_id: "0000000000ab".into(),
            tool: "sleep".into(),
            script: None,
            params: Default::default(),
            tags: Default::default(),
            command: vec!["sleep".into(), "5".into()],
            cwd: "/".into(),
            start_time: "2026-01-01T00:00:00.000000Z".into(),
            user: UserRecord { name: None, uid: 0 },
            host: HostRecord {
                hostname: "node1".into(),
                kernel: "6.1.0".into(),
                cpu_model: None,
                logical_cpus: 2,
                cpus_available: 2,
                memory_total_mb: 1024.0,
            },
            environment: Default::default(),
            slurm: None,
        }
    }

    fn clock() -> RunClock {
        RunClock {
            end_time: "2026-01-01T00:00:02.000000Z".into(),
            duration_seconds: 2.0,
        }
    }

    #[test]
    fn an_interim_record_is_running_with_the_clock_at_the_checkpoint() {
        let r = interim(&identity(), clock(), None, 1.0, "none");
        assert_eq!(r.status, Status::Running);
        assert_eq!(
            (r.end_time.as_str(), r.duration_seconds),
            ("2026-01-01T00:00:02.000000Z", 2.0)
        );
        assert_eq!(
            (r.returncode, r.exit_code, r.signal.clone()),
            (None, 0, None)
        );
        assert!(r.detailed_profile.is_none());
    }

    #[test]
    fn a_lost_record_names_the_job_pid() {
        let r = recovered(interim(&identity(), clock(), None, 1.0, "none"), 4242, None);
        assert_eq!(r.status, Status::Lost);
        // `lost` runs read `exit_code 0`, which scripts took for success.
        assert_eq!((r.returncode, r.exit_code), (None, KILLED_EXIT_CODE));
        let error = r.error.clone().expect("note");
        assert!(
            error.contains("pid 4242") && error.contains("may still be running"),
            "{error}"
        );
        assert_eq!(r.descendants_left_running[0].pid, 4242);
        assert_eq!(r.end_time, "2026-01-01T00:00:02.000000Z");
    }

    #[test]
    fn a_checkpoint_written_at_a_signal_is_interrupted_with_it() {
        let sig = SignalRecord {
            number: 15,
            name: "SIGTERM".into(),
        };
        let r = recovered(
            interim(&identity(), clock(), None, 1.0, "none"),
            7,
            Some(sig),
        );
        assert_eq!(r.status, Status::Interrupted);
        assert_eq!(r.signal.as_ref().map(|s| s.number), Some(15));
        assert!(r.error.expect("note").contains("forwarded SIGTERM"));
    }

    fn slurm_end(state: &str) -> SlurmJobEnd {
        SlurmJobEnd {
            job_id: 7,
            state: state.into(),
            cancelled_by_uid: None,
            reason: None,
            job_name: None,
            uid: None,
        }
    }

    /// Issue 16 item 7: `sbatch --wrap "profrun ..."` cancelled, profrun
    /// SIGKILLed before its checkpoint at the SIGTERM.
    #[test]
    fn a_checkpoint_of_a_job_slurm_cancelled_is_interrupted_by_sigterm() {
        for state in ["CANCELLED", "TIMEOUT", "PREEMPTED", "NODE_FAIL"] {
            let r = recovered_with_slurm(
                interim(&identity(), clock(), None, 1.0, "none"),
                7,
                None,
                Some(&slurm_end(state)),
            );
            assert_eq!(r.status, Status::Interrupted, "{state}");
            let signal = r.signal.as_ref().expect("a signal");
            assert_eq!((signal.number, signal.name.as_str()), (15, "SIGTERM"));
            let error = r.error.clone().expect("note");
            assert!(error.contains(&format!("Slurm: {state}")), "{error}");
            assert!(error.contains("ended with its Slurm job"), "{error}");
            assert!(r.descendants_left_running.is_empty(), "{state}");
        }
    }

    #[test]
    fn a_checkpoint_of_a_job_that_failed_or_runs_on_stays_lost() {
        let failed = recovered_with_slurm(
            interim(&identity(), clock(), None, 1.0, "none"),
            7,
            None,
            Some(&slurm_end("FAILED")),
        );
        assert_eq!((failed.status, failed.signal.clone()), (Status::Lost, None));
        let error = failed.error.clone().expect("note");
        assert!(error.contains("(Slurm: FAILED)"), "{error}");
        let running = recovered_with_slurm(
            interim(&identity(), clock(), None, 1.0, "none"),
            7,
            None,
            Some(&slurm_end("RUNNING")),
        );
        assert_eq!(running.status, Status::Lost);
        assert!(running
            .error
            .expect("note")
            .contains("may still be running"));
        assert_eq!(running.descendants_left_running[0].pid, 7);
    }

    #[test]
    fn a_signal_profrun_noted_wins_over_slurms_word() {
        let sig = SignalRecord {
            number: 1,
            name: "SIGHUP".into(),
        };
        let r = recovered_with_slurm(
            interim(&identity(), clock(), None, 1.0, "none"),
            7,
            Some(sig),
            Some(&slurm_end("CANCELLED")),
        );
        assert_eq!(r.signal.map(|s| s.name), Some("SIGHUP".to_string()));
    }
}
