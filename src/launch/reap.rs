//! The reap loop. As subreaper, profrun is the parent of every orphaned
//! descendant, so `wait4(-1)` reaps them too and folds their CPU, max RSS and
//! I/O into profrun's RUSAGE_CHILDREN and `/proc/self/io`.

use std::io;

pub use crate::assemble::ChildExit;

/// A raw `wait` status decoded.
fn child_exit(status: libc::c_int) -> ChildExit {
    if libc::WIFSIGNALED(status) {
        ChildExit::Signal(libc::WTERMSIG(status))
    } else {
        ChildExit::Code(libc::WEXITSTATUS(status))
    }
}

/// Reap every exiting child until `main_pid` exits; orphans that exit first
/// are reaped along the way. Returns the main child's exit and how many
/// other processes were reaped.
pub fn wait_main(main_pid: libc::pid_t) -> io::Result<(ChildExit, u64)> {
    let mut others = 0;
    loop {
        let mut status: libc::c_int = 0;
        // SAFETY: valid status pointer; null rusage (totals come later).
        let pid = unsafe { libc::wait4(-1, &mut status, 0, std::ptr::null_mut()) };
        if pid < 0 {
            let err = io::Error::last_os_error();
            if err.raw_os_error() == Some(libc::EINTR) {
                continue;
            }
            return Err(err);
        }
        if pid == main_pid {
            return Ok((child_exit(status), others));
        }
        others += 1;
    }
}

/// After the main child: reap what has already exited (`block == false`), or
/// wait for every remaining descendant (`block == true`, `--wait-all`).
/// Returns how many were reaped.
pub fn reap_rest(block: bool) -> u64 {
    let flags = if block { 0 } else { libc::WNOHANG };
    let mut reaped = 0;
    loop {
        let mut status: libc::c_int = 0;
        // SAFETY: as above.
        let pid = unsafe { libc::wait4(-1, &mut status, flags, std::ptr::null_mut()) };
        if pid > 0 {
            reaped += 1;
            continue;
        }
        if pid < 0 && io::Error::last_os_error().raw_os_error() == Some(libc::EINTR) {
            continue;
        }
        return reaped; // 0: none exited yet; ECHILD: none left
    }
}
