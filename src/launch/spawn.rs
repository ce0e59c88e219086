//! Starting the child: argv executed as given (no shell), stdio, terminal
//! and process group inherited, and a clean signal state (empty mask, default
//! dispositions), which `std::process::Command` does not give on its own.

use rustix::io::Errno;
use std::ffi::OsStr;
use std::io;
use std::os::fd::OwnedFd;
use std::os::unix::process::CommandExt;
use std::process::Command;

use super::{EXIT_INTERNAL, EXIT_NOT_EXECUTABLE, EXIT_NOT_FOUND};

/// Extra set-up done in the child between fork and exec.
#[derive(Debug, Default)]
pub struct SpawnOptions {
    /// Open `cgroup.procs` files of the leaf the child must join before
    /// exec: one per hierarchy (cgroup1 has one per controller mount).
    pub cgroup_procs: Vec<OwnedFd>,
}

/// Why the command did not start, with the exit code profrun reports.
#[derive(Debug)]
pub struct SpawnError {
    pub exit_code: u8,
    pub message: String,
}

/// Spawn `argv` and return the child's pid. The child is not waited for here:
/// the reap loop owns all `wait4` calls.
pub fn spawn<S: AsRef<OsStr>>(argv: &[S], options: SpawnOptions) -> Result<i32, SpawnError> {
    let Some((program, args)) = argv.split_first() else {
        return Err(SpawnError {
            exit_code: EXIT_INTERNAL,
            message: "no command given".to_string(),
        });
    };
    let program = program.as_ref();
    let mut cmd = Command::new(program);
    cmd.args(args);
    // The descriptors live as long as `cmd` (closed in the parent after the
    // spawn, in the child by exec: they are O_CLOEXEC).
    let cgroup_procs = options.cgroup_procs;
    // SAFETY: the closure runs in the forked child before exec; it allocates
    // nothing and makes only async-signal-safe calls (write, sigprocmask,
    // rt_sigaction). `pre_exec` has no safe form.
    unsafe {
        cmd.pre_exec(move || {
            for fd in &cgroup_procs {
                // Failing to join the leaf must not stop the job; the
                // parent notices (`CgroupLeaf::verify_member`) and records it.
                let _ = rustix::io::write(fd, b"0");
            }
            reset_signal_state()
        });
    }
    match cmd.spawn() {
        Ok(child) => {
            let pid = child.id() as i32;
            // Dropping a std Child neither waits for nor kills it.
            drop(child);
            Ok(pid)
        }
        Err(err) => Err(classify_spawn_error(program, &err)),
    }
}

/// Empty signal mask and default handlers for every catchable signal: the
/// job must not inherit profrun's blocked set or an ignored SIGINT. The raw
/// `rt_sigaction` syscall is used because glibc's `sigaction` refuses its
/// reserved signals (32, 33), whose ignored state would otherwise leak through.
fn reset_signal_state() -> io::Result<()> {
    /// The kernel's `struct sigaction` (handler, flags, restorer, mask).
    #[repr(C)]
    struct KernelSigaction {
        handler: usize,
        flags: libc::c_ulong,
        restorer: usize,
        mask: u64,
    }
    let dfl = KernelSigaction {
        handler: libc::SIG_DFL,
        flags: 0,
        restorer: 0,
        mask: 0,
    };
    // SAFETY: sigprocmask reads an initialised empty set; rt_sigaction reads
    // a `KernelSigaction` laid out as the kernel's struct, for valid signal
    // numbers, with a null old action and the kernel's 8-byte mask size.
    // Both are async-signal-safe. No wrapper: glibc's sigaction refuses
    // signals 32 and 33, and rustix has it only in `runtime`, with no safe form.
    unsafe {
        let mut empty: libc::sigset_t = std::mem::zeroed();
        libc::sigemptyset(&mut empty);
        if libc::sigprocmask(libc::SIG_SETMASK, &empty, std::ptr::null_mut()) != 0 {
            return Err(io::Error::last_os_error());
        }
        for sig in 1..=64 {
            if sig == libc::SIGKILL || sig == libc::SIGSTOP {
                continue;
            }
            libc::syscall(
                libc::SYS_rt_sigaction,
                sig,
                &dfl as *const KernelSigaction,
                std::ptr::null_mut::<KernelSigaction>(),
                std::mem::size_of::<u64>(),
            );
        }
    }
    Ok(())
}

fn classify_spawn_error(program: &OsStr, err: &io::Error) -> SpawnError {
    let program = program.to_string_lossy();
    let (exit_code, what) = match err.raw_os_error().map(Errno::from_raw_os_error) {
        Some(Errno::NOENT) => (EXIT_NOT_FOUND, "command not found"),
        Some(Errno::ACCESS | Errno::NOEXEC | Errno::ISDIR | Errno::PERM) => {
            (EXIT_NOT_EXECUTABLE, "command not executable")
        }
        _ => (EXIT_INTERNAL, "could not start command"),
    };
    SpawnError {
        exit_code,
        message: format!("{what}: '{program}': {err}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn missing_program_is_127() {
        let err = spawn(
            &["/nonexistent/profrun-test".to_string()],
            SpawnOptions::default(),
        )
        .expect_err("must fail");
        assert_eq!(err.exit_code, EXIT_NOT_FOUND);
        assert!(err.message.contains("/nonexistent/profrun-test"));
    }

    #[test]
    fn directory_is_not_executable_126() {
        let err = spawn(&["/".to_string()], SpawnOptions::default()).expect_err("must fail");
        assert_eq!(err.exit_code, EXIT_NOT_EXECUTABLE);
    }
}
