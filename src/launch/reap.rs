//! The reap loop. As subreaper, profrun is the parent of every orphaned
//! descendant, so `wait(-1)` reaps them too and folds their CPU, max RSS and
//! I/O into profrun's RUSAGE_CHILDREN and `/proc/self/io`.

use rustix::io::Errno;
use rustix::process::{wait, WaitOptions, WaitStatus};
use std::io;

pub use crate::assemble::ChildExit;

/// A `wait` status decoded.
fn child_exit(status: WaitStatus) -> ChildExit {
    match status.terminating_signal() {
        Some(sig) => ChildExit::Signal(sig),
        None => ChildExit::Code(status.exit_status().unwrap_or(0)),
    }
}

/// Reap every exiting child until `main_pid` exits; orphans that exit first
/// are reaped along the way. Returns the main child's exit and how many
/// other processes were reaped.
pub fn wait_main(main_pid: i32) -> io::Result<(ChildExit, u64)> {
    let mut others = 0;
    loop {
        match wait(WaitOptions::empty()) {
            Err(Errno::INTR) => continue,
            Err(err) => return Err(err.into()),
            Ok(Some((pid, status))) if pid.as_raw_nonzero().get() == main_pid => {
                return Ok((child_exit(status), others));
            }
            Ok(_) => others += 1,
        }
    }
}

/// After the main child: reap what has already exited (`block == false`), or
/// wait for every remaining descendant (`block == true`, `--wait-all`).
/// Returns how many were reaped.
pub fn reap_rest(block: bool) -> u64 {
    let flags = if block {
        WaitOptions::empty()
    } else {
        WaitOptions::NOHANG
    };
    let mut reaped = 0;
    loop {
        match wait(flags) {
            Ok(Some(_)) => reaped += 1,
            Err(Errno::INTR) => continue,
            // None: none exited yet; ECHILD: none left.
            Ok(None) | Err(_) => return reaped,
        }
    }
}
