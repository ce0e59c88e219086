//! The job's process tree, read at each tick. Discovery walks
//! `task/<tid>/children` from profrun's own pid down, over every thread of
//! each process (a child belongs to the thread that forked it), so the cost
//! follows the tree, not the host. For profrun itself only the main thread
//! is read: its other threads never fork, and the kernel reparents orphans
//! to the subreaper's first live thread (`find_alive_thread`), which is the
//! main thread for as long as profrun runs. Each process is identified by
//! `(pid, starttime)` and keeps its `stat`, `status`, `io`, `children` and
//! `schedstat` files open between ticks.
//!
//! Cheap by design. A single-threaded process is first asked whether it
//! ran at all since its last read: its `schedstat` (time on CPU in ns and
//! the count of times it was switched in) is a third of the cost of `stat`
//! when the caches are cold, as they are after half a second of sleep.
//! When that text is unchanged, the process has not run, so none of the
//! figures it alone moves has changed, nor has its list of children (it
//! would have had to fork, or to reap), and the last reading and list are
//! reused; it is still read afresh every [`IDLE_REREAD_TICKS`] ticks, since
//! its RSS can shrink without it running (reclaim, swap). Otherwise `stat`
//! is read; `status` and `io` only when the `stat` text changed since the
//! last read (an idle process's `stat` is byte-for-byte identical, and any
//! page fault or CPU tick alters it), and the thread list only when the
//! thread count changed or every [`THREAD_RELIST_TICKS`] ticks. A process
//! that vanished mid-read is a normal event: it is left out of the sample.
//!
//! A process's MPI rank comes from its `environ`, read once when it is
//! first seen and once more when its name shows it exec'd (a child seen
//! between fork and exec still has its parent's environment), and a few
//! times more while it reads empty (a process caught inside exec has its
//! new name before its new environment).

use std::collections::HashMap;
use std::io;
use std::sync::Arc;

use super::process::{
    parse_children, parse_io, parse_smaps_rollup_pss_kb, parse_smaps_rollup_rss_kb, parse_stat,
    parse_status, stat_comm, StatusFields,
};
use super::procfile::ProcFile;
use super::{ProcRoot, TreeProbe};
use crate::record::rank_from_environ;
use crate::sample::{IoSample, ProcessReading, TreeSample};

/// A multi-threaded process's thread list is re-read at least this often,
/// in case threads were replaced one for one (same count, new tids).
pub const THREAD_RELIST_TICKS: u64 = 10;

/// A process found idle through `schedstat` still has its `stat` read at
/// least this often (5 s at the default interval).
pub const IDLE_REREAD_TICKS: u64 = 10;

/// The `children` files of a process's threads.
#[derive(Debug, Default)]
struct Tasks {
    files: Vec<ProcFile>,
    listed: bool,
    threads_when_listed: u32,
    listed_at_tick: u64,
    /// The children found by the last read.
    last_children: Vec<i32>,
}

impl Tasks {
    /// Append the process's children (over all its threads) to `out`. A
    /// process that has not run since the last read (`idle`) cannot have
    /// forked, and its children leave the list only when it reaps them (or
    /// when they reap themselves, and then their own reads fail): its last
    /// list is reused.
    fn collect(
        &mut self,
        ctx: &Ctx,
        pid: i32,
        threads: u32,
        idle: bool,
        buf: &mut Vec<u8>,
        out: &mut Vec<i32>,
    ) {
        if idle && self.listed {
            out.extend_from_slice(&self.last_children);
            return;
        }
        let stale = !self.listed
            || threads != self.threads_when_listed
            || (threads > 1 && ctx.tick - self.listed_at_tick >= THREAD_RELIST_TICKS);
        if stale {
            self.relist(ctx, pid, threads);
        }
        let start = out.len();
        for f in &self.files {
            // An empty read is a thread without children, or one that exited.
            if f.read_into(buf).is_ok() {
                parse_children(buf, out);
            }
        }
        self.last_children.clear();
        self.last_children.extend_from_slice(&out[start..]);
    }

    fn relist(&mut self, ctx: &Ctx, pid: i32, threads: u32) {
        self.files.clear();
        self.listed = true;
        self.threads_when_listed = threads;
        self.listed_at_tick = ctx.tick;
        let task_dir = ctx.proc.path(&format!("{pid}/task"));
        if threads <= 1 {
            if let Ok(f) = ProcFile::open(task_dir.join(format!("{pid}/children"))) {
                self.files.push(f);
            }
            return;
        }
        let Ok(entries) = std::fs::read_dir(&task_dir) else {
            return; // exited meanwhile
        };
        for entry in entries.flatten() {
            if let Ok(f) = ProcFile::open(entry.path().join("children")) {
                self.files.push(f);
            }
        }
    }
}

/// One process followed across ticks.
#[derive(Debug)]
struct Tracked {
    starttime: u64,
    name: Arc<str>,
    stat: ProcFile,
    status: Option<ProcFile>,
    io: Option<ProcFile>,
    smaps: Option<ProcFile>,
    tasks: Tasks,
    /// The `stat` text of the last tick: when it has not changed, nothing
    /// else has, and the last reading is reused as it is.
    last_stat: Vec<u8>,
    /// `schedstat`, opened the first time the process could be skipped
    /// (from its second sighting on: a process seen once costs no extra
    /// open).
    schedstat: Option<ProcFile>,
    schedstat_tried: bool,
    /// The `schedstat` text read just before the last `stat` read.
    last_schedstat: Vec<u8>,
    /// When `stat` was last read.
    stat_read_at_tick: u64,
    reading: Option<ProcessReading>,
    io_fields: IoSample,
    pss_kb: Option<u64>,
    /// The RSS that `pss_kb` was taken with (`Rss:` of the same read).
    pss_rss_kb: Option<u64>,
    pss_read_at: Option<f64>,
    seen_at_tick: u64,
    /// From `environ` (see the module comment).
    rank: Option<u32>,
    /// Further reads of an `environ` that read empty or failed: a process
    /// caught inside exec, after its new name but before its new
    /// environment is set up, reads so (as does one started with none, or
    /// another user's).
    environ_retries: u8,
}

/// How many more times an empty `environ` is read, at the process's next
/// readings that see it run.
const ENVIRON_RETRIES: u8 = 3;

/// What every read in one tick shares.
struct Ctx<'a> {
    proc: &'a ProcRoot,
    tick: u64,
    now_seconds: f64,
    clk_tck: f64,
    page_size: u64,
    pss_every_seconds: Option<f64>,
    full_reads: bool,
    idle_skip: bool,
}

/// The real tree probe over a `/proc` root.
#[derive(Debug)]
pub struct ProcTreeProbe {
    proc: ProcRoot,
    root_children: ProcFile,
    tracked: HashMap<i32, Tracked>,
    stack: Vec<i32>,
    buf: Vec<u8>,
    tick: u64,
    clk_tck: f64,
    page_size: u64,
    pss_every_seconds: Option<f64>,
    full_reads: bool,
    idle_skip: bool,
}

impl ProcTreeProbe {
    /// Follow the descendants of `root_pid` (profrun itself, or a process
    /// whose other threads never fork). Fails when the root's `children`
    /// file cannot be opened: /proc is missing or hidden, or the kernel
    /// lacks `CONFIG_PROC_CHILDREN`.
    pub fn new(proc: ProcRoot, root_pid: i32) -> io::Result<ProcTreeProbe> {
        let path = proc.path(&format!("{root_pid}/task/{root_pid}/children"));
        let root_children = ProcFile::open(path.clone()).map_err(|err| {
            io::Error::new(
                err.kind(),
                format!("cannot read '{}': {err}", path.display()),
            )
        })?;
        Ok(ProcTreeProbe {
            proc,
            root_children,
            tracked: HashMap::new(),
            stack: Vec::new(),
            buf: Vec::with_capacity(4096),
            tick: 0,
            clk_tck: clock_ticks_per_second(),
            page_size: page_size(),
            pss_every_seconds: None,
            full_reads: false,
            idle_skip: true,
        })
    }

    /// Also read PSS from `smaps_rollup`, at most once per `every_seconds`
    /// per process (it walks the whole memory map).
    pub fn with_pss(mut self, every_seconds: f64) -> ProcTreeProbe {
        self.pss_every_seconds = Some(every_seconds);
        self
    }

    /// Re-read `status` and `io` every tick even when `stat` did not change:
    /// the cost of a tree whose every process is busy (benchmarks).
    #[cfg(any(test, feature = "testing"))]
    pub fn with_full_reads(mut self) -> ProcTreeProbe {
        self.full_reads = true;
        self
    }

    /// Read `stat` every tick even for a process that `schedstat` shows
    /// idle: the cost before that check (benchmarks).
    #[cfg(any(test, feature = "testing"))]
    pub fn without_idle_skip(mut self) -> ProcTreeProbe {
        self.idle_skip = false;
        self
    }

    /// Override the clock-tick rate and page size (fixtures).
    #[cfg(any(test, feature = "testing"))]
    pub fn with_units(mut self, clk_tck: f64, page_size: u64) -> ProcTreeProbe {
        self.clk_tck = clk_tck;
        self.page_size = page_size;
        self
    }

    /// Processes followed right now (open-file sets held).
    #[cfg(any(test, feature = "testing"))]
    pub fn tracked(&self) -> usize {
        self.tracked.len()
    }
}

impl TreeProbe for ProcTreeProbe {
    fn sample(&mut self, now_seconds: f64, out: &mut TreeSample) -> io::Result<()> {
        self.tick += 1;
        out.processes.clear();
        let ctx = Ctx {
            proc: &self.proc,
            tick: self.tick,
            now_seconds,
            clk_tck: self.clk_tck,
            page_size: self.page_size,
            pss_every_seconds: self.pss_every_seconds,
            full_reads: self.full_reads,
            idle_skip: self.idle_skip,
        };
        let buf = &mut self.buf;
        self.stack.clear();
        match self.root_children.read_into(buf) {
            Ok(()) => parse_children(buf, &mut self.stack),
            // An empty file: no children right now.
            Err(err) if err.kind() == io::ErrorKind::NotFound => {}
            Err(err) => return Err(err),
        }
        // Depth-first, parents read before their children.
        while let Some(pid) = self.stack.pop() {
            if self
                .tracked
                .get(&pid)
                .is_some_and(|t| t.seen_at_tick == ctx.tick)
            {
                continue;
            }
            let Some((reading, idle)) = read_process(&ctx, &mut self.tracked, pid, buf) else {
                continue; // vanished: normal
            };
            let threads = reading.threads;
            out.processes.push(reading);
            if let Some(t) = self.tracked.get_mut(&pid) {
                t.tasks
                    .collect(&ctx, pid, threads, idle, buf, &mut self.stack);
            }
        }
        let tick = ctx.tick;
        self.tracked.retain(|_, t| t.seen_at_tick == tick);
        Ok(())
    }
}

/// Read one process, following it across ticks, and whether it has not
/// run since the last read; `None` if it is gone.
fn read_process(
    ctx: &Ctx,
    tracked: &mut HashMap<i32, Tracked>,
    pid: i32,
    buf: &mut Vec<u8>,
) -> Option<(ProcessReading, bool)> {
    let idle = tracked
        .get_mut(&pid)
        .is_some_and(|t| t.has_not_run(ctx, buf));
    let mut known = idle;
    if let (false, Some(t)) = (idle, tracked.get(&pid)) {
        // The descriptor pins the process it was opened for: ESRCH once that
        // one was reaped, even when the pid was reused since.
        known = t.stat.read_into(buf).is_ok()
            && (buf.as_slice() == t.last_stat.as_slice()
                || parse_stat(buf).is_some_and(|s| s.starttime == t.starttime));
        if !known {
            tracked.remove(&pid);
        }
    }
    if !known {
        let file = ProcFile::open(ctx.proc.path(&format!("{pid}/stat"))).ok()?;
        file.read_into(buf).ok()?;
        let s = parse_stat(buf)?;
        let open = |rel: &str| ProcFile::open(ctx.proc.path(&format!("{pid}/{rel}"))).ok();
        let mut fresh = Tracked {
            starttime: s.starttime,
            name: Arc::from(stat_comm(buf).unwrap_or("?")),
            stat: file,
            status: open("status"),
            io: open("io"),
            smaps: None,
            tasks: Tasks::default(),
            last_stat: Vec::new(),
            schedstat: None,
            schedstat_tried: false,
            last_schedstat: Vec::new(),
            stat_read_at_tick: 0,
            reading: None,
            io_fields: IoSample::default(),
            pss_kb: None,
            pss_rss_kb: None,
            pss_read_at: None,
            seen_at_tick: 0,
            rank: None,
            environ_retries: 0,
        };
        read_rank_into(ctx, &mut fresh, pid);
        tracked.insert(pid, fresh);
    }
    let t = tracked.get_mut(&pid)?;
    t.seen_at_tick = ctx.tick;
    if !idle {
        t.stat_read_at_tick = ctx.tick;
    }
    let unchanged = idle || (!ctx.full_reads && buf.as_slice() == t.last_stat.as_slice());
    let mut reading = match t.reading.take() {
        Some(r) if unchanged => r,
        _ => fresh_reading(ctx, t, pid, buf)?,
    };
    if let Some(every) = ctx.pss_every_seconds {
        let due = t
            .pss_read_at
            .map_or(true, |at| ctx.now_seconds - at >= every);
        if due && !reading.is_zombie() {
            t.pss_read_at = Some(ctx.now_seconds);
            if t.smaps.is_none() {
                t.smaps = ProcFile::open(ctx.proc.path(&format!("{pid}/smaps_rollup"))).ok();
            }
            if let Some(f) = &t.smaps {
                if f.read_into(buf).is_ok() {
                    if let Some(pss) = parse_smaps_rollup_pss_kb(buf) {
                        t.pss_kb = Some(pss);
                        t.pss_rss_kb = Some(
                            parse_smaps_rollup_rss_kb(buf).unwrap_or(reading.rss_bytes / 1024),
                        );
                    }
                }
            }
        }
        reading.pss_bytes = t.pss_kb.map(|kb| kb * 1024);
        reading.rss_at_pss_bytes = t.pss_rss_kb.map(|kb| kb * 1024);
    }
    t.reading = Some(reading.clone());
    Some((reading, idle))
}

impl Tracked {
    /// Whether `schedstat` shows that this single-threaded process has not
    /// run since its last `stat` read, so that reading still holds. Reads
    /// `schedstat` into `buf` and keeps it for the next tick; false (read
    /// `stat`) whenever that cannot be told: several threads (the file is
    /// the main thread's only), a zombie, a re-read due, a kernel that
    /// prints `0 0 0` (no scheduler statistics), any read error.
    fn has_not_run(&mut self, ctx: &Ctx, buf: &mut Vec<u8>) -> bool {
        let Some(r) = &self.reading else {
            return false;
        };
        if ctx.full_reads || !ctx.idle_skip || r.threads != 1 || r.is_zombie() {
            return false;
        }
        if !self.schedstat_tried {
            self.schedstat_tried = true;
            self.schedstat = ProcFile::open(ctx.proc.path(&format!("{}/schedstat", r.pid))).ok();
        }
        let Some(f) = &self.schedstat else {
            return false;
        };
        if f.read_into(buf).is_err() {
            self.last_schedstat.clear();
            return false;
        }
        let idle = buf.as_slice() == self.last_schedstat.as_slice()
            && !buf.starts_with(b"0 ")
            && ctx.tick - self.stat_read_at_tick < IDLE_REREAD_TICKS;
        if !idle {
            self.last_schedstat.clear();
            self.last_schedstat.extend_from_slice(buf);
        }
        idle
    }
}

/// Build a reading from the `stat` text in `buf`, re-reading `status` and
/// `io` (which overwrite `buf`).
fn fresh_reading(
    ctx: &Ctx,
    t: &mut Tracked,
    pid: i32,
    buf: &mut Vec<u8>,
) -> Option<ProcessReading> {
    let s = parse_stat(buf)?;
    t.last_stat.clear();
    t.last_stat.extend_from_slice(buf);
    if let Some(comm) = stat_comm(buf).filter(|c| *c != &*t.name) {
        t.name = Arc::from(comm); // exec'd since first seen
        read_rank_into(ctx, t, pid);
    } else if t.rank.is_none() && t.environ_retries > 0 {
        t.environ_retries -= 1;
        t.rank = read_rank(ctx, pid).0;
    }
    let mut st = StatusFields::default();
    if let Some(f) = &t.status {
        if f.read_into(buf).is_ok() {
            st = parse_status(buf);
        }
    }
    // Unreadable io (setuid program, zombie): keep the last values.
    if let Some(f) = &t.io {
        if f.read_into(buf).is_ok() {
            t.io_fields = parse_io(buf);
        }
    }
    let secs = |ticks: u64| ticks as f64 / ctx.clk_tck;
    let kb = |v: u64| v * 1024;
    // `stat`'s rss is the approximate per-CPU counter (0 for a small, new
    // process on Linux 6.x); `status` gives the exact sum.
    let rss_bytes = if st.vm_rss_kb > 0 || s.state == b'Z' {
        kb(st.vm_rss_kb)
    } else {
        s.rss_pages * ctx.page_size
    };
    Some(ProcessReading {
        pid,
        starttime_ticks: s.starttime,
        start_seconds_since_boot: secs(s.starttime),
        name: t.name.clone(),
        state: s.state,
        utime_seconds: secs(s.utime),
        stime_seconds: secs(s.stime),
        cutime_seconds: secs(s.cutime),
        cstime_seconds: secs(s.cstime),
        threads: s.num_threads,
        rss_bytes,
        hwm_bytes: kb(st.vm_hwm_kb).max(rss_bytes),
        rss_anon_bytes: kb(st.rss_anon_kb),
        rss_file_bytes: kb(st.rss_file_kb),
        rss_shmem_bytes: kb(st.rss_shmem_kb),
        swap_bytes: kb(st.vm_swap_kb),
        pss_bytes: None,
        rss_at_pss_bytes: None,
        io: t.io_fields,
        rank: t.rank,
    })
}

/// The MPI rank `/proc/<pid>/environ` names (`None` when it names none or
/// cannot be read: another user's process, a zombie), and whether it read
/// empty or not at all (worth another try: inside exec, the old memory
/// being torn down reads as either).
fn read_rank(ctx: &Ctx, pid: i32) -> (Option<u32>, bool) {
    match std::fs::read(ctx.proc.path(&format!("{pid}/environ"))) {
        Ok(environ) => (rank_from_environ(&environ), environ.is_empty()),
        Err(_) => (None, true),
    }
}

/// Read the rank afresh (first seen, or exec'd), to be read again a few
/// times if `environ` was empty.
fn read_rank_into(ctx: &Ctx, t: &mut Tracked, pid: i32) {
    let (rank, empty) = read_rank(ctx, pid);
    t.rank = rank;
    t.environ_retries = if empty { ENVIRON_RETRIES } else { 0 };
}

/// `_SC_CLK_TCK`: the unit of `stat` times (100 on Linux), from the
/// auxiliary vector as glibc's `sysconf` reads it.
pub fn clock_ticks_per_second() -> f64 {
    match rustix::param::clock_ticks_per_second() {
        0 => 100.0,
        n => n as f64,
    }
}

pub fn page_size() -> u64 {
    match rustix::param::page_size() {
        0 => 4096,
        n => n as u64,
    }
}

#[cfg(test)]
#[path = "process_tree_tests.rs"]
mod tests;
