//! Launching the job and mirroring its fate: spawn with a clean signal state,
//! forward signals, reap the whole tree as subreaper, and exit the way the
//! child did. Syscalls go through `rustix`; `libc` stays only for the signal
//! mask and dispositions, which rustix leaves to the C library.

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
    // Any non-zero argument sets the attribute; our own pid is one.
    rustix::process::set_child_subreaper(Some(rustix::process::getpid()))?;
    Ok(())
}
