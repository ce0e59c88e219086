//! Checkpoints: the record so far of a run in progress, rewritten atomically
//! (temp file + rename) while the job runs, so that a profrun killed by
//! SIGKILL (the OOM killer, a batch system's hard kill) does not lose the
//! whole run (issue 11, item 7). This module is the OS side: where they
//! live, the file format, whether the profrun that wrote one is alive, and
//! claiming an orphan so that exactly one later profrun appends it. Turning
//! a checkpoint into its record is pure (`assemble::interim`).
//!
//! One file per run, `<task_id>.json`, in `$XDG_RUNTIME_DIR/profrun/`, else
//! `<temp dir>/profrun-<uid>/`; either folder must be ours and mode 0700.

pub mod file;
pub mod slurm;

pub use file::{parse, parse_head, CheckpointFile, CheckpointHead, FORMAT};

use rustix::fs::{Mode, OFlags};
use std::io;
use std::os::unix::fs::{DirBuilderExt, MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};

/// The checkpoint folder for this user, created (mode 0700) if needed. A
/// folder owned by someone else, or open to others, is refused: another user
/// could plant or read checkpoints there.
pub fn dir() -> io::Result<PathBuf> {
    let dir = dir_path();
    match std::fs::DirBuilder::new().mode(0o700).create(&dir) {
        // A missing XDG_RUNTIME_DIR is not ours to make: NotFound, no checkpoint.
        Err(e) if e.kind() != io::ErrorKind::AlreadyExists => return Err(e),
        _ => {}
    }
    check_private(&dir)?;
    Ok(dir)
}

fn dir_path() -> PathBuf {
    match std::env::var_os("XDG_RUNTIME_DIR").filter(|d| Path::new(d).is_absolute()) {
        Some(runtime) => PathBuf::from(runtime).join("profrun"),
        None => {
            std::env::temp_dir().join(format!("profrun-{}", rustix::process::geteuid().as_raw()))
        }
    }
}

/// The checkpoint folder if it exists and is fit, without creating it: for
/// readers, which write nothing, and for recovery.
pub fn existing_dir() -> Option<PathBuf> {
    let dir = dir_path();
    check_private(&dir).ok()?;
    Some(dir)
}

/// Ours, a real folder (not a link), and closed to group and others.
fn check_private(dir: &Path) -> io::Result<()> {
    let meta = std::fs::symlink_metadata(dir)?;
    let refuse = |why: String| Err(io::Error::new(io::ErrorKind::PermissionDenied, why));
    if !meta.is_dir() {
        return refuse(format!("'{}' is not a folder", dir.display()));
    }
    if meta.uid() != rustix::process::geteuid().as_raw() {
        return refuse(format!(
            "'{}' belongs to uid {}, not to this user",
            dir.display(),
            meta.uid()
        ));
    }
    if meta.permissions().mode() & 0o077 != 0 {
        return refuse(format!(
            "'{}' is open to other users (mode {:o}; want 700)",
            dir.display(),
            meta.permissions().mode() & 0o777
        ));
    }
    Ok(())
}

/// The history named the same way by every profrun: absolute, with its
/// folder's links resolved when it exists.
pub fn history_key(history: &Path) -> String {
    let absolute = if history.is_absolute() {
        history.to_path_buf()
    } else {
        std::env::current_dir().unwrap_or_default().join(history)
    };
    let resolved = match (absolute.parent(), absolute.file_name()) {
        (Some(parent), Some(name)) => std::fs::canonicalize(parent)
            .map(|p| p.join(name))
            .unwrap_or(absolute),
        _ => absolute,
    };
    resolved.to_string_lossy().into_owned()
}

/// Field 22 of `/proc/PID/stat`: the start time in clock ticks since boot,
/// which tells a live profrun from a later process that reused its pid.
pub fn start_ticks(pid: i32) -> Option<u64> {
    let stat = std::fs::read(format!("/proc/{pid}/stat")).ok()?;
    let after_comm = &stat[memchr::memrchr(b')', &stat)? + 1..];
    let text = std::str::from_utf8(after_comm).ok()?;
    // After the comm, fields start at 3 (state): field 22 is the 20th.
    text.split_ascii_whitespace().nth(19)?.parse().ok()
}

/// Whether the profrun that wrote `cp` is still running. A zombie is not:
/// a profrun SIGKILLed with its batch step may wait a while to be reaped.
pub fn writer_alive(cp: &CheckpointFile) -> bool {
    writer_alive_at(cp.profrun_pid, cp.profrun_start_ticks)
}

/// Whether the profrun `pid` that started at `start_ticks` still runs.
pub fn writer_alive_at(pid: i32, start_ticks: u64) -> bool {
    self::start_ticks(pid) == Some(start_ticks) && !zombie(pid)
}

/// Field 3 of `/proc/PID/stat`: Z (zombie) or X (dead).
fn zombie(pid: i32) -> bool {
    let Ok(stat) = std::fs::read(format!("/proc/{pid}/stat")) else {
        return true;
    };
    let state = memchr::memrchr(b')', &stat)
        .and_then(|close| stat.get(close + 1..))
        .and_then(|rest| rest.split(|&b| b == b' ').find(|f| !f.is_empty()))
        .and_then(|f| f.first().copied());
    matches!(state, Some(b'Z' | b'X'))
}

/// Where a run's checkpoint goes.
pub fn path_for(dir: &Path, task_id: &str) -> PathBuf {
    dir.join(format!("{task_id}.json"))
}

/// Replace the checkpoint at `path` with `bytes`: written to a temp file
/// beside it (0600), then renamed over it, so a reader or a SIGKILL mid-way
/// sees the old checkpoint or the new one, never part of one. No fsync: a
/// checkpoint is for a killed profrun, not for a crashed machine.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> io::Result<()> {
    let name = path
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or("checkpoint");
    let tmp = path.with_file_name(format!(".{name}.{}.tmp", std::process::id()));
    let fd = rustix::fs::open(
        &tmp,
        OFlags::WRONLY | OFlags::CREATE | OFlags::TRUNC | OFlags::CLOEXEC | OFlags::NOFOLLOW,
        Mode::from_raw_mode(0o600),
    )?;
    let mut written = 0;
    while written < bytes.len() {
        match rustix::io::write(&fd, &bytes[written..]) {
            Ok(0) => return Err(io::ErrorKind::WriteZero.into()),
            Ok(n) => written += n,
            Err(rustix::io::Errno::INTR) => {}
            Err(e) => {
                let _ = std::fs::remove_file(&tmp);
                return Err(e.into());
            }
        }
    }
    drop(fd);
    std::fs::rename(&tmp, path).inspect_err(|_| {
        let _ = std::fs::remove_file(&tmp);
    })
}

/// Remove the empty cgroup `leaves` of the dead `profrun_pid`: those a
/// profrun killed by SIGKILL could not (the next profrun in the same parent
/// would, but under a batch system there may be none). Only folders named
/// as the dead profrun's own leaves go; rmdir fails on a populated one.
pub fn remove_leaves(profrun_pid: i32, leaves: &[String]) {
    let owned = format!("profrun-{profrun_pid}-");
    for leaf in leaves {
        let path = Path::new(leaf);
        let named = path
            .file_name()
            .and_then(|n| n.to_str())
            .and_then(|n| n.strip_prefix(&owned))
            .is_some_and(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()));
        if named && path.is_absolute() {
            let _ = std::fs::remove_dir(path);
        }
    }
}

/// A checkpoint found in the folder: its path and what it holds, or why it
/// could not be read.
pub struct Found {
    pub path: PathBuf,
    pub checkpoint: Result<CheckpointFile, String>,
}

/// Every checkpoint in `dir` (`*.json`; temp and claimed files are skipped).
pub fn list(dir: &Path) -> Vec<Found> {
    checkpoint_paths(dir, None)
        .into_iter()
        .map(|path| {
            let checkpoint = read(&path);
            Found { path, checkpoint }
        })
        .collect()
}

/// A checkpoint file's head, or why it could not be read.
pub struct FoundHead {
    pub path: PathBuf,
    pub head: Result<CheckpointHead, String>,
}

/// The head of every checkpoint in `dir` but `<skip>.json` (this run's
/// own), in name order. Read through a small buffer: a live run's
/// checkpoint can hold a few hundred KiB of series, which need not be in
/// memory to be skipped.
pub fn list_heads(dir: &Path, skip: Option<&str>) -> Vec<FoundHead> {
    checkpoint_paths(dir, skip)
        .into_iter()
        .map(|path| {
            let head = open_small(&path).and_then(|(file, _)| {
                let bounded = io::Read::take(file, MAX_BYTES);
                parse_head(io::BufReader::with_capacity(HEAD_BUFFER_BYTES, bounded))
            });
            FoundHead { path, head }
        })
        .collect()
}

/// The whole checkpoint at `path`.
pub fn read(path: &Path) -> Result<CheckpointFile, String> {
    read_small(path).and_then(|bytes| parse(&bytes))
}

/// The checkpoint files in `dir` in name order, `<skip>.json` left out.
fn checkpoint_paths(dir: &Path, skip: Option<&str>) -> Vec<PathBuf> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let skip = skip.map(|task_id| format!("{task_id}.json"));
    let mut paths: Vec<PathBuf> = entries
        .filter_map(Result::ok)
        .filter(|e| {
            let name = e.file_name();
            let name = name.to_string_lossy();
            !name.starts_with('.')
                && name.ends_with(".json")
                && skip.as_deref() != Some(name.as_ref())
        })
        .map(|e| e.path())
        .collect();
    paths.sort();
    paths
}

/// The buffer a checkpoint's head is read through.
const HEAD_BUFFER_BYTES: usize = 8 * 1024;

/// A checkpoint is a few hundred KiB at most (series are capped); a larger
/// file is not one of ours.
const MAX_BYTES: u64 = 64 << 20;

fn open_small(path: &Path) -> Result<(std::fs::File, u64), String> {
    let file = std::fs::File::open(path).map_err(|e| e.to_string())?;
    let len = file.metadata().map_err(|e| e.to_string())?.len();
    if len > MAX_BYTES {
        return Err(format!("{len} bytes is too large for a checkpoint"));
    }
    Ok((file, len))
}

fn read_small(path: &Path) -> Result<Vec<u8>, String> {
    let (file, len) = open_small(path)?;
    let mut bytes = Vec::with_capacity(len as usize);
    io::Read::read_to_end(&mut io::Read::take(file, MAX_BYTES), &mut bytes)
        .map_err(|e| e.to_string())?;
    Ok(bytes)
}

/// Take an orphaned checkpoint for appending: renamed to a name of our own,
/// which only one of several profruns racing for it can do. `None` when
/// another one got it first.
pub fn claim(path: &Path) -> Option<PathBuf> {
    let name = path.file_name()?.to_string_lossy().into_owned();
    let claimed = path.with_file_name(format!(".{name}.claimed.{}", std::process::id()));
    std::fs::rename(path, &claimed).ok()?;
    Some(claimed)
}

/// A run known only by its checkpoint, as readers show it: `running` while
/// its profrun lives, else as the record the next run will append (`lost`,
/// or `interrupted` at a forwarded signal or when Slurm ended the job: see
/// [`slurm`]; a finished record kept after a failed append as it is).
/// Readers never write anything.
#[derive(Clone)]
pub struct Pending {
    pub view: crate::record::RecordView,
    /// The record's line, as `job-details --json` prints it.
    pub line: Vec<u8>,
}

/// The checkpoints of the histories `files`, and a warning for each file in
/// the folder that is not a checkpoint.
pub fn pending_for(files: &[PathBuf]) -> (Vec<Pending>, Vec<String>) {
    let mut warnings = Vec::new();
    let Some(dir) = existing_dir() else {
        return (Vec::new(), warnings);
    };
    let keys: Vec<String> = files.iter().map(|f| history_key(f)).collect();
    let mut pending = Vec::new();
    let mut asker = slurm::SlurmAsker::default();
    for found in list(&dir) {
        let cp = match found.checkpoint {
            Ok(cp) => cp,
            Err(why) => {
                warnings.push(format!(
                    "profrun: warning: skipped checkpoint '{}': {why}",
                    found.path.display()
                ));
                continue;
            }
        };
        if !keys.contains(&cp.history) {
            continue;
        }
        let record = if cp.is_finished() || writer_alive(&cp) {
            cp.record
        } else {
            slurm::recovered(cp, &mut asker)
        };
        let Ok(line) = record.to_line() else { continue };
        if let Ok(view) = crate::record::RecordView::from_line(&line) {
            pending.push(Pending { view, line });
        }
    }
    (pending, warnings)
}

#[cfg(test)]
mod tests {
    use super::*;

    // The run's own checkpoint is not opened at its end (it held the whole
    // series: parsing it only to skip it cost heap and code pages).
    #[test]
    fn the_runs_own_checkpoint_is_left_out_of_the_heads() {
        let dir = tempfile::tempdir().expect("tempdir");
        for name in ["b.json", "own.json", "a.json", ".a.json.tmp", "c.txt"] {
            std::fs::write(dir.path().join(name), "{}").expect("write");
        }
        let names = |skip| -> Vec<String> {
            list_heads(dir.path(), skip)
                .into_iter()
                .map(|f| {
                    f.path
                        .file_name()
                        .expect("name")
                        .to_string_lossy()
                        .into_owned()
                })
                .collect()
        };
        assert_eq!(names(Some("own")), ["a.json", "b.json"]);
        assert_eq!(names(None), ["a.json", "b.json", "own.json"]);
    }

    #[test]
    fn a_folder_open_to_others_is_refused() {
        let dir = tempfile::tempdir().expect("tempdir");
        std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755))
            .expect("chmod");
        let err = check_private(dir.path()).expect_err("refused");
        assert!(err.to_string().contains("mode 755"), "{err}");
        std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o700))
            .expect("chmod");
        check_private(dir.path()).expect("ours, 0700");
    }

    #[test]
    fn a_folder_of_another_user_is_refused() {
        let dir = tempfile::tempdir().expect("tempdir");
        let nobody = rustix::process::Uid::from_raw(65534);
        match rustix::fs::chown(dir.path(), Some(nobody), None) {
            Ok(()) => {
                let err = check_private(dir.path()).expect_err("refused");
                assert!(err.to_string().contains("belongs to uid 65534"), "{err}");
            }
            // Only root can give a folder away.
            Err(e) => assert_eq!(e, rustix::io::Errno::PERM),
        }
    }

    #[test]
    fn own_start_ticks_are_read_and_a_missing_pid_has_none() {
        assert!(start_ticks(std::process::id() as i32).is_some());
        assert_eq!(start_ticks(i32::MAX), None);
    }

    #[test]
    fn only_the_dead_profruns_own_empty_leaves_are_removed() {
        let dir = tempfile::tempdir().expect("tempdir");
        let leaf = |name: &str| {
            let path = dir.path().join(name);
            std::fs::create_dir_all(&path).expect("mkdir");
            path
        };
        let own = leaf("profrun-42-0");
        let populated = leaf("profrun-42-1");
        std::fs::write(populated.join("cgroup.procs"), b"7").expect("write");
        let other = leaf("profrun-43-0");
        let unrelated = leaf("task_0");
        let leaves: Vec<String> = [&own, &populated, &other, &unrelated]
            .iter()
            .map(|p| p.to_string_lossy().into_owned())
            .chain(["profrun-42-2".to_string()])
            .collect();
        remove_leaves(42, &leaves);
        assert!(!own.exists(), "its empty leaf goes");
        assert!(populated.exists() && other.exists() && unrelated.exists());
    }

    #[test]
    fn a_zombie_writer_is_not_alive() {
        let mut child = std::process::Command::new("true").spawn().expect("spawn");
        let pid = child.id() as i32;
        // Not reaped yet: a zombie once it has exited.
        std::thread::sleep(std::time::Duration::from_millis(200));
        assert!(zombie(pid));
        assert!(!zombie(std::process::id() as i32));
        child.wait().expect("reap");
    }

    #[test]
    fn an_orphan_is_claimed_once() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = path_for(dir.path(), "abc");
        write_atomic(&path, b"{}").expect("write");
        write_atomic(&path, b"{\"x\":1}").expect("rewrite");
        assert_eq!(std::fs::read(&path).expect("read"), b"{\"x\":1}");
        let found = list(dir.path());
        assert_eq!(found.len(), 1, "no temp file is left or listed");
        assert!(found[0].checkpoint.is_err(), "not a checkpoint");
        let claimed = claim(&path).expect("first claim");
        assert!(claim(&path).is_none(), "second claim");
        assert!(claimed.exists() && list(dir.path()).is_empty());
    }
}
