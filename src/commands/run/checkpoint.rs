//! Keeping the checkpoint of this run, and appending the orphaned ones of
//! earlier runs (issue 11, item 7). The slot is shared by three threads:
//! the main one (the identity, right after the spawn; the removal at the
//! end), the sampler (an observer rewriting the record so far at most
//! every `--checkpoint` seconds) and the signal forwarder (a rewrite at
//! once, naming the signal, since a SIGKILL may follow within
//! milliseconds).

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use chrono::{SecondsFormat, Utc};

use crate::assemble::{interim, JobIdentity, RunClock};
use crate::checkpoint::{self, CheckpointFile};
use crate::commands::output::say;
use crate::history;
use crate::launch::exit;
use crate::profile::Profiler;
use crate::record::{JobRecord, SignalRecord};
use crate::sampler::TickObserver;

/// The sample at which the first checkpoint is written: the first tick of
/// the sampler's ticker, after the spawn's own sample.
const FIRST_CHECKPOINT_TICK: u64 = 2;

/// This run's checkpoint, shared between the threads that write it.
pub struct Slot {
    state: Mutex<State>,
    /// Set by the forwarder: the sampler's next tick writes fresh figures.
    write_now: AtomicBool,
}

struct State {
    path: PathBuf,
    file: Option<CheckpointFile>,
    history_path: PathBuf,
    /// The header until the identity is known.
    header: Header,
    identity: Option<JobIdentity>,
    cgroup_backend: String,
    interval_seconds: f64,
    started: Instant,
    /// The run ended normally: nothing is written any more.
    done: bool,
}

#[derive(Clone)]
struct Header {
    history: String,
    profrun_start_ticks: u64,
    job_pid: i32,
    signal: Option<SignalRecord>,
    leaves: Vec<String>,
}

impl Slot {
    /// The slot for a run, or `None` when checkpoints are off (`--checkpoint
    /// 0`) or there is no history. The folder is looked at only once the
    /// job runs ([`Slot::identified`]), off the path to the spawn.
    pub fn new(
        every_seconds: f64,
        history: Option<&Path>,
        interval_seconds: f64,
        started: Instant,
    ) -> Option<Arc<Slot>> {
        if every_seconds <= 0.0 {
            return None;
        }
        Some(Arc::new(Slot {
            state: Mutex::new(State {
                path: PathBuf::new(),
                file: None,
                history_path: history?.to_path_buf(),
                header: Header {
                    // Set from `history_path` in `identified`.
                    history: String::new(),
                    profrun_start_ticks: 0,
                    job_pid: 0,
                    signal: None,
                    leaves: Vec::new(),
                },
                identity: None,
                cgroup_backend: String::new(),
                interval_seconds,
                started,
                done: false,
            }),
            write_now: AtomicBool::new(false),
        }))
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        // A panic on another thread leaves the state usable: plain data.
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Right after the spawn: the job's pid and its cgroup leaf folders.
    pub fn job_started(&self, job_pid: i32, cgroup_backend: &str, leaves: Vec<String>) {
        let mut s = self.lock();
        s.header.job_pid = job_pid;
        s.header.leaves = leaves;
        s.cgroup_backend = cgroup_backend.to_string();
    }

    /// The identity is known: checkpoints can be written from now on, once
    /// the folder is found fit (else a warning, and none for this run).
    pub fn identified(&self, id: &JobIdentity) {
        let dir = match checkpoint::dir() {
            Ok(d) => d,
            Err(e) => {
                say(&format!(
                    "profrun: warning: no checkpoints for this run: {e}"
                ));
                return;
            }
        };
        let Some(ticks) = checkpoint::start_ticks(std::process::id() as i32) else {
            return;
        };
        let mut s = self.lock();
        s.path = checkpoint::path_for(&dir, &id.task_id);
        s.header.profrun_start_ticks = ticks;
        s.header.history = checkpoint::history_key(&s.history_path);
        s.identity = Some(id.clone());
    }

    /// Rewrite the checkpoint with the figures of `profiler` (or the last
    /// ones written, when `None`).
    fn write(&self, profiler: Option<&Profiler>) {
        let mut s = self.lock();
        if s.done || s.header.job_pid == 0 {
            return;
        }
        let record = match (profiler, &s.identity, &s.file) {
            (Some(p), Some(id), _) => interim::interim(
                id,
                clock(p.now().t_seconds),
                Some(p),
                s.interval_seconds,
                &s.cgroup_backend,
            ),
            (None, _, Some(file)) => file.record.clone(),
            (None, Some(id), None) => interim::interim(
                id,
                clock(s.started.elapsed().as_secs_f64()),
                None,
                s.interval_seconds,
                &s.cgroup_backend,
            ),
            (_, None, _) => return,
        };
        let file = CheckpointFile {
            profrun_checkpoint: checkpoint::FORMAT,
            history: s.header.history.clone(),
            profrun_pid: std::process::id() as i32,
            profrun_start_ticks: s.header.profrun_start_ticks,
            job_pid: s.header.job_pid,
            signal: s.header.signal.clone(),
            leaves: s.header.leaves.clone(),
            record,
        };
        if let Ok(bytes) = file.to_bytes() {
            // A failed write keeps the previous checkpoint: nothing to say
            // mid-run that would help the job.
            let _ = checkpoint::write_atomic(&s.path, &bytes);
        }
        s.file = Some(file);
    }

    /// On the forwarder thread, at every signal profrun forwards: the
    /// checkpoint names the signal at once, with the last figures.
    pub fn signalled(&self, signo: i32) {
        {
            let mut s = self.lock();
            if s.header.signal.is_none() {
                s.header.signal = Some(SignalRecord {
                    number: signo,
                    name: exit::signal_name(signo),
                });
            }
        }
        self.write(None);
        self.write_now.store(true, Ordering::SeqCst);
    }

    /// The run ended normally (its record is being saved): stop writing.
    pub fn close(&self) {
        self.lock().done = true;
    }

    /// After the record was saved: the checkpoint goes.
    pub fn remove(&self) {
        let s = self.lock();
        if s.file.is_some() {
            let _ = std::fs::remove_file(&s.path);
        }
    }
}

fn clock(duration_seconds: f64) -> RunClock {
    RunClock {
        end_time: Utc::now().to_rfc3339_opts(SecondsFormat::Micros, true),
        duration_seconds,
    }
}

/// The sampler's side: the first checkpoint at the sampler's first tick
/// after the spawn's own sample (one `--interval`, 0.5 s by default, into
/// the run), then every `every`, and at the next tick after a signal.
pub struct Observer {
    slot: Arc<Slot>,
    every: Duration,
    last: Instant,
    /// The samples seen so far (the spawn's own is the first).
    ticks: u64,
}

impl Observer {
    pub fn new(slot: Arc<Slot>, every_seconds: f64) -> Observer {
        Observer {
            slot,
            every: Duration::from_secs_f64(every_seconds),
            last: Instant::now(),
            ticks: 0,
        }
    }
}

impl TickObserver for Observer {
    fn on_tick(&mut self, profiler: &Profiler, final_sample: bool) {
        if final_sample {
            return;
        }
        self.ticks += 1;
        let asked = self.slot.write_now.swap(false, Ordering::SeqCst);
        // The first checkpoint, so that a profrun SIGKILLed from now on
        // (with its batch step: issue 16 item 7) leaves a recoverable run.
        // Not at the spawn's own sample: the sampler's stop waits for it,
        // and written then (or on the main thread at the spawn, or on a
        // thread of its own) it cost `profrun -- true` about 0.3 ms
        // (`cargo bench --bench startup`, docs/performance.md); a job that
        // ends within one interval needs none.
        let first = self.ticks == FIRST_CHECKPOINT_TICK;
        if !asked && !first && self.last.elapsed() < self.every {
            return;
        }
        self.last = Instant::now();
        self.slot.write(Some(profiler));
    }
}

/// Append what the checkpoint folder holds for `history`, each exactly
/// once (claimed by a rename first, put back when the append fails):
/// every orphaned checkpoint (its profrun gone) as a `lost` (or
/// `interrupted`: at a forwarded signal, or a Slurm job Slurm ended)
/// record, then every finished record kept after a failed append (see
/// [`keep_unsaved`]) as it is: its profrun need not be gone, it gave the
/// record up when it kept it. Checkpoints of other histories and of live
/// profruns (this run's own, `own_task_id`, is not even opened) are left
/// alone after reading their head; unreadable ones are named in a warning.
/// The folder is listed once.
pub fn recover(history: &Path, own_task_id: Option<&str>) {
    let Some(dir) = checkpoint::existing_dir() else {
        return;
    };
    let key = checkpoint::history_key(history);
    let mut orphans = Vec::new();
    let mut kept = Vec::new();
    let skipped = |path: &Path, why: &str| {
        say(&format!(
            "profrun: warning: skipped checkpoint '{}': {why}",
            path.display()
        ))
    };
    for found in checkpoint::list_heads(&dir, own_task_id) {
        let head = match found.head {
            Err(why) => {
                skipped(&found.path, &why);
                continue;
            }
            Ok(head) => head,
        };
        if head.history != key
            || (!head.is_finished()
                && checkpoint::writer_alive_at(head.profrun_pid, head.profrun_start_ticks))
        {
            continue;
        }
        match checkpoint::read(&found.path) {
            Err(why) => skipped(&found.path, &why),
            Ok(cp) if cp.history != key => {}
            Ok(cp) if cp.is_finished() => kept.push((found.path, cp)),
            Ok(cp) if checkpoint::writer_alive(&cp) => {}
            Ok(cp) => orphans.push((found.path, cp)),
        }
    }
    let mut slurm = checkpoint::slurm::SlurmAsker::default();
    for (path, cp) in orphans {
        let Some(claimed) = checkpoint::claim(&path) else {
            continue; // another profrun took it
        };
        checkpoint::remove_leaves(cp.profrun_pid, &cp.leaves);
        let record = checkpoint::slurm::recovered(cp, &mut slurm);
        if let Err(why) = append_claimed(history, &record, &claimed, &path) {
            say(&format!(
                "profrun: warning: could not append the lost run {} to '{}': {why}",
                record.task_id,
                history.display()
            ));
        }
    }
    for (path, cp) in kept {
        let Some(claimed) = checkpoint::claim(&path) else {
            continue; // another profrun took it
        };
        if let Err(why) = append_claimed(history, &cp.record, &claimed, &path) {
            say(&format!(
                "profrun: warning: could not append the run {} kept in '{}' to '{}': {why}",
                cp.record.task_id,
                path.display(),
                history.display()
            ));
        }
    }
}

/// Append a claimed checkpoint's record; remove the claimed file when it
/// is in, else put it back (at `path`) for the next run.
fn append_claimed(
    history: &Path,
    record: &JobRecord,
    claimed: &Path,
    path: &Path,
) -> Result<(), String> {
    let appended = append(history, record);
    let _ = match appended {
        Ok(()) => std::fs::remove_file(claimed),
        Err(_) => std::fs::rename(claimed, path),
    };
    appended
}

/// Append a recovered record, unless the history already has it: a
/// profrun killed after its own append but before removing its checkpoint
/// left both, and the run must not count twice.
fn append(history: &Path, record: &JobRecord) -> Result<(), String> {
    match history::append::holds_task_id(history, &record.task_id) {
        Ok(true) => return Ok(()),
        Ok(false) => {}
        Err(why) => return Err(format!("cannot read it: {why}")),
    }
    let line = record.to_line().map_err(|e| e.to_string())?;
    history::append::append_line(history, &line).map_err(|e| e.to_string())
}

/// The history could not take this run's record (a full disk, a read-only
/// file): keep the finished record, with its real status, as this run's
/// checkpoint (over the record so far, if any), where the next run on
/// `history` appends it as it is ([`recover`]). The checkpoint folder is
/// usually on another file system (`$XDG_RUNTIME_DIR`, the temp dir). Kept
/// even with `--checkpoint 0`: that turns off the rewrites while the job
/// runs, not this last resort.
pub fn keep_unsaved(history: &Path, record: &JobRecord) -> std::io::Result<PathBuf> {
    let dir = checkpoint::dir()?;
    let pid = std::process::id() as i32;
    let file = CheckpointFile {
        profrun_checkpoint: checkpoint::FORMAT,
        history: checkpoint::history_key(history),
        profrun_pid: pid,
        profrun_start_ticks: checkpoint::start_ticks(pid).unwrap_or(0),
        // The job has ended.
        job_pid: 0,
        signal: None,
        leaves: Vec::new(),
        record: record.clone(),
    };
    let path = checkpoint::path_for(&dir, &record.task_id);
    checkpoint::write_atomic(&path, &file.to_bytes()?)?;
    Ok(path)
}
