//! Launching the job and mirroring its fate: spawn with a clean signal state,
//! forward signals, reap the whole tree as subreaper, and exit the way the
//! child did. Everything here talks to the kernel through `libc`.

pub mod exit;
pub mod reap;
pub mod signals;
pub mod spawn;
pub mod task_id;

/// profrun failed before the child started (as `timeout`/`env` use it).
pub const EXIT_INTERNAL: u8 = 125;
/// The command exists but cannot be executed.
pub const EXIT_NOT_EXECUTABLE: u8 = 126;
/// The command was not found.
pub const EXIT_NOT_FOUND: u8 = 127;

/// Make profrun the subreaper of everything it spawns: orphaned descendants
/// are reparented to it, so they stay in the tree and their CPU is counted
/// when it reaps them.
pub fn become_subreaper() -> std::io::Result<()> {
    // SAFETY: prctl with PR_SET_CHILD_SUBREAPER takes an integer argument only.
    let rc = unsafe { libc::prctl(libc::PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) };
    if rc == 0 {
        Ok(())
    } else {
        Err(std::io::Error::last_os_error())
    }
}
