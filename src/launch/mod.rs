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

/// Fit glibc's allocator to a wrapper that mostly waits. One arena for the
/// whole run: glibc gives each new thread that allocates an arena of its
/// own (64 MiB reserved), and the sampler's pages there added ~80 KiB to
/// profrun's resident memory while the main thread's heap, idle in
/// `wait4`, held the free space the argument parser left; the threads
/// allocate a few times a tick at most, so sharing costs no measurable
/// contention. And that free space (the parser's whole command tree, ~175
/// KB with every subcommand's arguments) is handed back, so the run's own
/// allocations grow from a trimmed heap (docs/performance.md, "own cost").
/// Call after parsing the arguments and before starting any thread.
pub fn tune_malloc() {
    #[cfg(target_env = "gnu")]
    // SAFETY: mallopt and malloc_trim take plain integers and touch only
    // glibc's allocator state, under its own locks; no other thread exists
    // yet to race with the tunable.
    unsafe {
        libc::mallopt(libc::M_ARENA_MAX, 1);
        libc::malloc_trim(0);
    }
}
