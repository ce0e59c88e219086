//! Signal forwarding. The terminating signals are blocked in every profrun
//! thread and taken synchronously by one thread with `sigwaitinfo`, which
//! sees `si_code`: SIGTERM and SIGHUP are always forwarded to the child;
//! SIGINT and SIGQUIT only when sent by `kill` (from the terminal the child
//! already got them, being in profrun's process group). After a forwarded
//! SIGTERM, SIGINT or SIGQUIT, a tree still alive `kill_after` later is
//! SIGKILLed; SIGHUP never arms that (a job run under `nohup` chose to
//! outlive its terminal). Once the main child has exited (`--wait-all`, or
//! the run winding down), every such signal — from the terminal too — goes
//! to the rest of the tree, which no terminal may reach.

use crossbeam_channel::{after, select, Receiver, Sender};
use rustix::process::{kill_process, pidfd_open, pidfd_send_signal, Pid, PidfdFlags, Signal};
use std::io;
use std::os::fd::OwnedFd;
use std::sync::atomic::{AtomicBool, AtomicI32, Ordering};
use std::sync::Arc;
use std::time::Duration;

pub const SIGKILL: i32 = libc::SIGKILL;

/// The terminating signals profrun intercepts and forwards (it intercepts
/// these and [`PASSED_ON`]).
pub const TERMINATING: [libc::c_int; 4] =
    [libc::SIGTERM, libc::SIGHUP, libc::SIGINT, libc::SIGQUIT];

/// Signals a job is asked things with (`scancel --signal=USR1`, `sbatch
/// --signal=USR1@60`: "checkpoint now"): their default action would kill
/// profrun and leave the job running unrecorded, so they are taken too and
/// passed on as they are. They do not make the run `interrupted`, name no
/// signal in the record and arm no kill-after.
pub const PASSED_ON: [libc::c_int; 3] = [libc::SIGUSR1, libc::SIGUSR2, libc::SIGALRM];

fn handled_set() -> libc::sigset_t {
    // SAFETY: sigset_t is plain data that sigemptyset initialises before
    // sigaddset adds valid signal numbers; both only write to `set`. rustix
    // leaves signal sets to the C library, so there is no safe wrapper.
    unsafe {
        let mut set: libc::sigset_t = std::mem::zeroed();
        libc::sigemptyset(&mut set);
        for &sig in TERMINATING.iter().chain(&PASSED_ON) {
            libc::sigaddset(&mut set, sig);
        }
        set
    }
}

/// Block the handled signals in the calling thread. Call it first thing, before
/// any thread exists, so every later thread inherits the mask and only the
/// forwarding thread takes them.
pub fn block_handled() -> io::Result<()> {
    // An inherited ignored SIGCHLD makes the kernel reap children itself:
    // `wait` would then fail with ECHILD and the job's status be lost.
    let set = handled_set();
    // SAFETY: SIG_DFL for SIGCHLD installs no handler; pthread_sigmask
    // reads an initialised set and is given null for the old mask. No safe
    // wrapper exists for either (rustix leaves them to the C library).
    let rc = unsafe {
        libc::signal(libc::SIGCHLD, libc::SIG_DFL);
        libc::pthread_sigmask(libc::SIG_BLOCK, &set, std::ptr::null_mut())
    };
    if rc == 0 {
        Ok(())
    } else {
        Err(io::Error::from_raw_os_error(rc))
    }
}

/// Under Slurm, when profrun's parent is the step's task (`sbatch --wrap
/// "profrun ..."`: the batch shell), ask the kernel for a SIGTERM when that
/// parent dies. slurmstepd's proctrack/cgroup signals only its own
/// children at `scancel` (every other process gets nothing but the SIGKILL
/// that follows once the task is gone): the shell dies of the SIGTERM and
/// profrun would hear nothing in time to write its checkpoint. The kernel
/// sends the parent-death signal before it tells slurmstepd the shell
/// ended. Only there: elsewhere a parent's end (`nohup profrun &`, a login
/// shell that exits) must not stop the job, but a step whose task is gone is
/// killed whole anyway.
pub fn term_when_slurm_task_parent_dies(proc: &crate::probe::ProcRoot) {
    let Some(parent) = rustix::process::getppid() else {
        return;
    };
    let grandparent = std::fs::read(proc.path(&format!("{}/stat", parent.as_raw_nonzero())))
        .ok()
        .and_then(|stat| crate::probe::process::parse_stat(&stat))
        .map(|stat| stat.ppid);
    let under_slurmstepd = grandparent
        .and_then(|pid| crate::probe::tree::comm(proc, pid))
        .is_some_and(|comm| comm == "slurmstepd");
    if !under_slurmstepd {
        return;
    }
    // Failure only costs the checkpoint at `scancel`.
    let _ = rustix::process::set_parent_process_death_signal(Some(Signal::TERM));
    // The parent may have died before the request: then no signal comes.
    if rustix::process::getppid() != Some(parent) {
        // Blocked here: it waits for the forwarding thread.
        let _ = kill_process(rustix::process::getpid(), Signal::TERM);
    }
}

/// Whether a signal with this `si_code` should be passed on to the child.
/// `si_code <= 0` means it came from a process (kill, sigqueue, tgkill);
/// SI_KERNEL means the terminal sent it to the whole foreground group.
pub fn should_forward(signo: i32, si_code: i32) -> bool {
    match signo {
        libc::SIGTERM | libc::SIGHUP => true,
        s if PASSED_ON.contains(&s) => true,
        libc::SIGINT | libc::SIGQUIT => si_code <= 0,
        _ => false,
    }
}

/// Whether forwarding `signo` also starts the kill-after timer.
pub fn arms_kill_after(signo: i32) -> bool {
    signo != libc::SIGHUP
}

/// What the forwarding thread saw, read by the run after the child ended.
#[derive(Debug, Default)]
pub struct SignalState {
    /// First terminating signal profrun received (0 if none).
    pub received: AtomicI32,
    /// First signal profrun forwarded that arms the kill-after (0 if none).
    pub forwarded: AtomicI32,
    /// Set by the run once the main child has been reaped: signals then go
    /// to the remaining descendants.
    pub main_exited: AtomicBool,
}

/// Handle to the forwarding thread. Dropping it cancels a pending kill-after.
pub struct Forwarder {
    pub state: Arc<SignalState>,
    _done: Sender<()>,
}

/// Called on the forwarding thread with each signal about to be forwarded,
/// before it is: a checkpoint written here survives a SIGKILL that follows
/// the SIGTERM within milliseconds. It must be quick.
pub type OnForward = Box<dyn Fn(i32) + Send>;

/// Start the forwarding thread for `child_pid`. The whole tree is SIGKILLed
/// if the job outlives a forwarded signal by `kill_after`.
pub fn start_forwarder(
    child_pid: i32,
    kill_after: Duration,
    on_forward: Option<OnForward>,
) -> io::Result<Forwarder> {
    let state = Arc::new(SignalState::default());
    let (done_tx, done_rx) = crossbeam_channel::bounded::<()>(0);
    let thread_state = Arc::clone(&state);
    // Opened here, while the child cannot have been reaped yet (the caller
    // reaps it only after this returns): a pidfd opened later could name a
    // process that reused the pid.
    let pidfd = open_pidfd(child_pid);
    std::thread::Builder::new()
        .name("profrun-signals".into())
        .spawn(move || {
            let target = Target {
                pid: child_pid,
                pidfd,
                kill_after,
            };
            forward_loop(&target, &thread_state, done_rx, on_forward)
        })?;
    Ok(Forwarder {
        state,
        _done: done_tx,
    })
}

/// Who the forwarding thread signals.
struct Target {
    pid: i32,
    /// Closed when the forwarding thread ends with it.
    pidfd: Option<OwnedFd>,
    kill_after: Duration,
}

fn forward_loop(
    target: &Target,
    state: &SignalState,
    done: Receiver<()>,
    on_forward: Option<OnForward>,
) {
    let set = handled_set();
    let mut killer_started = false;
    // The checkpoint written at a signal and the walks of /proc are not
    // the job's I/O.
    let mut meter = crate::probe::io::OwnIoMeter::start();
    loop {
        // SAFETY: siginfo_t is plain data (all zeroes is a valid value) that
        // sigwaitinfo fills in; `set` is initialised. rustix offers
        // sigwaitinfo only in its `runtime` module, with no safe form.
        let (signo, info) = unsafe {
            let mut info: libc::siginfo_t = std::mem::zeroed();
            (libc::sigwaitinfo(&set, &mut info), info)
        };
        if signo < 0 {
            continue; // EINTR
        }
        if PASSED_ON.contains(&signo) {
            if state.main_exited.load(Ordering::SeqCst) {
                signal_descendants(signo);
                meter.note();
            } else {
                send(target, signo);
            }
            continue;
        }
        let _ = state
            .received
            .compare_exchange(0, signo, Ordering::SeqCst, Ordering::SeqCst);
        let main_exited = state.main_exited.load(Ordering::SeqCst);
        if let Some(hook) = on_forward
            .as_ref()
            .filter(|_| main_exited || should_forward(signo, info.si_code))
        {
            hook(signo);
        }
        if main_exited {
            // Descendants in other sessions get nothing from the terminal.
            signal_descendants(signo);
        }
        meter.note();
        if !main_exited {
            if !should_forward(signo, info.si_code) {
                continue;
            }
            send(target, signo);
        }
        if !arms_kill_after(signo) {
            continue;
        }
        let _ = state
            .forwarded
            .compare_exchange(0, signo, Ordering::SeqCst, Ordering::SeqCst);
        if !killer_started {
            killer_started = true;
            let done = done.clone();
            let kill_after = target.kill_after;
            let _ = std::thread::Builder::new()
                .name("profrun-kill-after".into())
                .spawn(move || {
                    select! {
                        recv(done) -> _ => {}
                        recv(after(kill_after)) -> _ => signal_descendants(SIGKILL),
                    }
                    crate::probe::io::count_ending_thread();
                });
        }
    }
}

/// A pidfd for the child (Linux ≥ 5.3): signals sent through it cannot reach
/// an unrelated process that reused the pid after the child was reaped.
fn open_pidfd(pid: i32) -> Option<OwnedFd> {
    pidfd_open(Pid::from_raw(pid)?, PidfdFlags::empty()).ok()
}

/// Send `signo` to every live descendant of profrun.
pub fn signal_descendants(signo: i32) {
    let Some(sig) = Signal::from_named_raw(signo) else {
        return;
    };
    let proc = crate::probe::ProcRoot::default();
    for pid in crate::probe::tree::descendants(&proc, std::process::id() as i32) {
        if let Some(pid) = Pid::from_raw(pid) {
            // ESRCH when it is gone already: nothing to do.
            let _ = kill_process(pid, sig);
        }
    }
}

/// Signal the child through its pidfd, or by pid on kernels without one.
fn send(target: &Target, signo: i32) {
    let Some(sig) = Signal::from_named_raw(signo) else {
        return;
    };
    let _ = match &target.pidfd {
        Some(fd) => pidfd_send_signal(fd, sig),
        None => Pid::from_raw(target.pid).map_or(Ok(()), |pid| kill_process(pid, sig)),
    };
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn terminal_interrupts_are_not_forwarded_twice() {
        assert!(!should_forward(libc::SIGINT, libc::SI_KERNEL));
        assert!(!should_forward(libc::SIGQUIT, libc::SI_KERNEL));
        assert!(should_forward(libc::SIGINT, libc::SI_USER));
        assert!(should_forward(libc::SIGQUIT, libc::SI_TKILL));
        assert!(should_forward(libc::SIGTERM, libc::SI_KERNEL));
        assert!(should_forward(libc::SIGHUP, libc::SI_USER));
        assert!(should_forward(libc::SIGUSR1, libc::SI_USER));
    }

    #[test]
    fn sighup_is_forwarded_but_never_arms_the_kill() {
        assert!(!arms_kill_after(libc::SIGHUP));
        assert!(arms_kill_after(libc::SIGTERM));
        assert!(arms_kill_after(libc::SIGINT));
    }
}
