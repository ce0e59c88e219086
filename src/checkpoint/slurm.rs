//! Asking Slurm what became of the job of an orphaned checkpoint (issue 16
//! item 7). In `sbatch --wrap "profrun ..."`, `scancel` or the time limit
//! SIGTERMs only the batch shell, and slurmstepd SIGKILLs the rest of the
//! step within milliseconds of the shell's end: profrun may die before its
//! checkpoint names the signal. Its checkpoint then says only that profrun
//! was killed; Slurm knows why. Only a checkpoint of a Slurm job (a
//! `slurm` block) without a signal is asked about, once per job per pass,
//! with `scontrol show job -o ID` (slurmctld keeps an ended job for
//! `MinJobAge`, 300 s by default), else `sacct` (where an accounting
//! database exists). Each job gets [`BOUND`] in all; a Slurm that does not
//! answer in time is not asked again in that pass. No answer, no Slurm
//! commands, or a job Slurm does not know: the run stays `lost`. Parsing
//! is pure: `record::slurm_end`.

use std::collections::HashMap;
use std::io::Read;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use super::CheckpointFile;
use crate::assemble::interim;
use crate::record::slurm_end::{parse_sacct, parse_scontrol, SlurmJobEnd};
use crate::record::{JobRecord, SlurmRecord};

/// How long one job's question may take, all tries together: this runs on
/// profrun's path (before its own record is appended), only when there is
/// such an orphan.
pub const BOUND: Duration = Duration::from_secs(2);

/// A job still `COMPLETING` (its steps being killed) is asked again this
/// often until it settles or the bound passes.
const RETRY: Duration = Duration::from_millis(100);

/// Slurm's answers within one recovery or read pass.
#[derive(Default)]
pub struct SlurmAsker {
    answers: HashMap<u64, Option<SlurmJobEnd>>,
    /// Slurm did not answer in time once: not asked again in this pass.
    unreachable: bool,
}

impl SlurmAsker {
    /// What Slurm says of the job `slurm` names, run by `uid`; `None` when
    /// it does not know the job (or a job of that id is another's).
    pub fn job_end(&mut self, slurm: &SlurmRecord, uid: u32) -> Option<SlurmJobEnd> {
        if let Some(known) = self.answers.get(&slurm.job_id) {
            return known.clone().filter(|end| end.is_job_of(slurm, uid));
        }
        if self.unreachable {
            return None;
        }
        let (answer, timed_out) = ask(slurm.job_id, Instant::now() + BOUND);
        self.unreachable = timed_out;
        self.answers.insert(slurm.job_id, answer.clone());
        answer.filter(|end| end.is_job_of(slurm, uid))
    }
}

/// The record an orphaned checkpoint becomes: [`interim::recovered`], told
/// what Slurm says when the checkpoint is of a Slurm job and names no
/// signal.
pub fn recovered(cp: CheckpointFile, asker: &mut SlurmAsker) -> JobRecord {
    let slurm = match (&cp.signal, &cp.record.slurm) {
        (None, Some(slurm)) => asker.job_end(slurm, cp.record.user.uid),
        _ => None,
    };
    interim::recovered_with_slurm(cp.record, cp.job_pid, cp.signal, slurm.as_ref())
}

/// scontrol, asked again while the job is completing; then sacct when
/// scontrol does not know the job. The flag: the bound passed.
fn ask(job_id: u64, deadline: Instant) -> (Option<SlurmJobEnd>, bool) {
    let id = job_id.to_string();
    let mut last = None;
    // Without scontrol (or without an answer from it), sacct may know.
    while let Some(text) = output_by("scontrol", &["show", "job", "-o", &id], deadline) {
        match parse_scontrol(&text, job_id) {
            Some(end) if end.completing() => last = Some(end),
            Some(end) => return (Some(end), false),
            None => break,
        }
        if Instant::now() + RETRY >= deadline {
            return (last, false);
        }
        std::thread::sleep(RETRY);
    }
    if Instant::now() >= deadline {
        return (last, true);
    }
    let args = [
        "-n",
        "-X",
        "-P",
        "-o",
        "JobIDRaw,State,JobName,UID",
        "-j",
        &id,
    ];
    match output_by("sacct", &args, deadline) {
        Some(text) => (parse_sacct(&text, job_id).or(last), false),
        None => (last, Instant::now() >= deadline),
    }
}

/// The standard output of `program args`, or `None` when it cannot start
/// or is still running at `deadline` (then it is killed). Its exit status
/// does not matter: an unknown job is an empty answer either way.
fn output_by(program: &str, args: &[&str], deadline: Instant) -> Option<String> {
    let mut child = Command::new(program)
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .ok()?;
    // Read on a thread of its own: an array job's answer (a line per task)
    // may not fit the pipe, and the child would wait on a reader.
    let mut stdout = child.stdout.take()?;
    let reader = std::thread::spawn(move || {
        let mut bytes = Vec::new();
        stdout.read_to_end(&mut bytes).map(|_| bytes)
    });
    loop {
        match child.try_wait() {
            Ok(Some(_)) => break,
            Ok(None) if Instant::now() < deadline => std::thread::sleep(Duration::from_millis(5)),
            _ => {
                let _ = child.kill();
                let _ = child.wait();
                return None;
            }
        }
    }
    // A grandchild holding the pipe open would keep the reader waiting:
    // scontrol and sacct start none.
    let bytes = reader.join().ok()?.ok()?;
    Some(String::from_utf8_lossy(&bytes).into_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_answer_is_read_whole_even_past_the_pipe_buffer() {
        let deadline = Instant::now() + BOUND;
        let text = output_by(
            "sh",
            &["-c", "head -c 200000 /dev/zero | tr '\\0' x"],
            deadline,
        )
        .expect("an answer");
        assert_eq!(text.len(), 200_000);
    }

    #[test]
    fn a_command_past_its_deadline_is_killed_and_gives_nothing() {
        let started = Instant::now();
        let answer = output_by("sleep", &["5"], started + Duration::from_millis(100));
        assert_eq!(answer, None);
        assert!(
            started.elapsed() < Duration::from_secs(2),
            "{:?}",
            started.elapsed()
        );
    }

    #[test]
    fn a_missing_command_gives_nothing_at_once() {
        let started = Instant::now();
        assert_eq!(
            output_by("profrun-no-such-scontrol", &[], started + BOUND),
            None
        );
        assert!(started.elapsed() < Duration::from_millis(500));
    }
}
