//! Appending one record: serialised to one buffer ending in `\n`, written
//! with ONE `write` on an `O_APPEND` descriptor under an `fcntl` lock. Measured
//! (shared/MEASUREMENTS.md): 16 processes × 500 appends stay intact this way,
//! while `writeln!` or `serde_json::to_writer` on a `File` interleave. If the
//! file's last byte is not `\n` (a torn line left by a crash), the record
//! starts with `\n` so it lands on a line of its own. A short or failed
//! write (a full disk) is cut back to the old length while the lock is held,
//! so no fragment of the record stays behind for readers to skip (issue 11,
//! item 1).

use rustix::fs::{fcntl_lock, FlockOperation};
use rustix::io::Errno;
use std::fs::{File, OpenOptions};
use std::io::{self, Write};
use std::os::unix::fs::{FileExt, FileTypeExt, MetadataExt, OpenOptionsExt};
use std::path::Path;

/// An append that did not happen, and what it left in the file.
#[derive(Debug, thiserror::Error)]
#[error("{error}; {}", on_disk_words(*.left_bytes))]
pub struct AppendError {
    pub error: io::Error,
    /// Bytes of the failed record still at the end of the file: 0 when the
    /// history is as it was before.
    pub left_bytes: u64,
}

fn on_disk_words(left_bytes: u64) -> String {
    match left_bytes {
        0 => "the history is unchanged".to_string(),
        n => format!("{n} bytes of the record are left at its end (a torn line readers skip)"),
    }
}

impl From<io::Error> for AppendError {
    /// A failure before anything was written.
    fn from(error: io::Error) -> Self {
        AppendError {
            error,
            left_bytes: 0,
        }
    }
}

/// Append `line` (which must end in `\n`) to the history at `path`, creating
/// the file (mode 0600) and its parent folders as needed.
pub fn append_line(path: &Path, line: &[u8]) -> Result<(), AppendError> {
    debug_assert!(line.ends_with(b"\n"));
    super::path::create_parent_folders(path)?;
    let file = OpenOptions::new()
        .read(true)
        .append(true)
        .create(true)
        .mode(0o600)
        .open(path)?;
    // Opening read-write succeeds on a FIFO (and a device): the record
    // would go into the pipe and be lost without a word.
    regular_file(&file)?;
    let _lock = FileLock::acquire(&file)?;
    let len = file.metadata()?.len();
    let mut last = [0u8; 1];
    let torn = len > 0 && file.read_at(&mut last, len - 1)? == 1 && last[0] != b'\n';
    let mut buf;
    let bytes = if torn {
        buf = Vec::with_capacity(line.len() + 1);
        buf.push(b'\n');
        buf.extend_from_slice(line);
        &buf[..]
    } else {
        line
    };
    write_once(&file, bytes).map_err(|error| {
        // Still under the lock: no other appender wrote after `len`.
        let left_bytes = match file.set_len(len) {
            Ok(()) => 0,
            Err(_) => file.metadata().map_or(0, |m| m.len().saturating_sub(len)),
        };
        AppendError { error, left_bytes }
    })
}

/// The null device's number (major 1, minor 3).
const NULL_DEVICE: u64 = 0x103;

/// An error unless `file` is a regular file: a history is a file of lines
/// that readers seek in and appenders cut back. `/dev/null` is let be: it
/// is how a user says "record nothing", and refusing it would keep every
/// such run for a next profrun that cannot append it either.
fn regular_file(file: &File) -> io::Result<()> {
    let meta = file.metadata()?;
    let kind = meta.file_type();
    if kind.is_file() || (kind.is_char_device() && meta.rdev() == NULL_DEVICE) {
        return Ok(());
    }
    let what = if kind.is_fifo() {
        "a FIFO"
    } else if kind.is_socket() {
        "a socket"
    } else if kind.is_char_device() || kind.is_block_device() {
        "a device"
    } else if kind.is_dir() {
        "a directory"
    } else {
        "not a file"
    };
    Err(io::Error::new(
        io::ErrorKind::InvalidInput,
        format!("it is {what}, not a regular file"),
    ))
}

/// One `write(2)`; a short write is an error (a second write could interleave
/// with another appender).
fn write_once(file: &File, bytes: &[u8]) -> io::Result<()> {
    loop {
        let n = match rustix::io::write(file, bytes) {
            Ok(n) => n,
            Err(Errno::INTR) => continue,
            Err(err) => return Err(err.into()),
        };
        if n != bytes.len() {
            return Err(io::Error::new(
                io::ErrorKind::WriteZero,
                format!("short write: {n} of {} bytes", bytes.len()),
            ));
        }
        return Ok(());
    }
}

/// A whole-file POSIX write lock, released on drop. Local file systems do not
/// need it for O_APPEND atomicity; network file systems (NFS) do.
struct FileLock<'a>(&'a File);

impl<'a> FileLock<'a> {
    /// `F_SETLKW` with `F_WRLCK` over the whole file.
    fn acquire(file: &'a File) -> io::Result<Self> {
        loop {
            match fcntl_lock(file, FlockOperation::LockExclusive) {
                Ok(()) => return Ok(FileLock(file)),
                Err(Errno::INTR) => continue,
                // File systems without lock support: append unlocked.
                Err(Errno::NOLCK) | Err(Errno::OPNOTSUPP) => return Ok(FileLock(file)),
                Err(err) => return Err(err.into()),
            }
        }
    }
}

impl Drop for FileLock<'_> {
    fn drop(&mut self) {
        // `F_SETLK` with `F_UNLCK`.
        let _ = fcntl_lock(self.0, FlockOperation::NonBlockingUnlock);
    }
}

/// Write a record to a file of its own (`--record-out`), replacing it. A new
/// file is created 0600 like the history, whatever the umask; an existing
/// file keeps the mode its owner gave it.
pub fn write_record_file(path: &Path, line: &[u8]) -> io::Result<()> {
    super::path::create_parent_folders(path)?;
    OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(path)?
        .write_all(line)
}

/// Whether the history at `path` already holds a record with this task id,
/// as profrun writes it (`"task_id":"ID"`). Read backwards from the end in
/// 1 MiB pieces, so a record appended lately is found at once; only a run
/// that is not there costs a read of the whole file. Recovery asks before
/// it appends a checkpoint's record: a profrun killed between its append
/// and the checkpoint's removal left both.
pub fn holds_task_id(path: &Path, task_id: &str) -> io::Result<bool> {
    const PIECE: u64 = 1 << 20;
    // Non-blocking, so that a FIFO in the history's place is refused
    // below rather than waited on for a writer that never comes.
    let file = match OpenOptions::new()
        .read(true)
        .custom_flags(rustix::fs::OFlags::NONBLOCK.bits() as i32)
        .open(path)
    {
        Ok(f) => f,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(false),
        Err(e) => return Err(e),
    };
    regular_file(&file)?;
    let needle = format!("\"task_id\":\"{task_id}\"");
    let finder = memchr::memmem::Finder::new(needle.as_bytes());
    let overlap = needle.len() as u64 - 1;
    let len = file.metadata()?.len();
    let mut end = len;
    let mut buf = Vec::new();
    while end > 0 {
        let start = end.saturating_sub(PIECE);
        // The piece runs on past `end` by the needle's length less one, so
        // a match across two pieces is seen.
        let stop = (end + overlap).min(len);
        buf.resize((stop - start) as usize, 0);
        file.read_exact_at(&mut buf, start)?;
        if finder.find(&buf).is_some() {
            return Ok(true);
        }
        end = start;
    }
    Ok(false)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    #[test]
    fn creates_parents_with_mode_0600() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("a/b/h.jsonl");
        append_line(&path, b"{}\n").expect("append");
        let mode = std::fs::metadata(&path).expect("meta").permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
        assert_eq!(std::fs::read(&path).expect("read"), b"{}\n");
    }

    /// A FIFO as the history took the record into the pipe: rc of the job,
    /// no warning, nothing kept (review finding, query item 6).
    #[test]
    fn a_fifo_in_the_history_s_place_is_refused_not_written_into() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("ff");
        rustix::fs::mknodat(
            rustix::fs::CWD,
            &path,
            rustix::fs::FileType::Fifo,
            rustix::fs::Mode::from_raw_mode(0o600),
            0,
        )
        .expect("mkfifo");
        let err = append_line(&path, b"{}\n").expect_err("a FIFO is refused");
        assert_eq!(err.left_bytes, 0);
        assert_eq!(
            err.to_string(),
            "it is a FIFO, not a regular file; the history is unchanged"
        );
        // Asked before a recovered record goes in: refused, not blocked on.
        let err = holds_task_id(&path, "x").expect_err("a FIFO is refused");
        assert_eq!(err.kind(), io::ErrorKind::InvalidInput);
    }

    #[test]
    fn torn_last_line_gets_a_newline_before_the_record() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("h.jsonl");
        std::fs::write(&path, b"{\"task_id\":\"a\"}\n{\"task_id\":\"tor").expect("write");
        append_line(&path, b"{\"task_id\":\"b\"}\n").expect("append");
        let text = std::fs::read_to_string(&path).expect("read");
        assert_eq!(text.lines().last(), Some("{\"task_id\":\"b\"}"));
        assert!(text.ends_with('\n'));
    }

    #[test]
    fn a_task_id_is_found_anywhere_even_across_two_pieces() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("h.jsonl");
        assert!(!holds_task_id(&path, "x").expect("no file"));
        let needle = "\"task_id\":\"abc\"";
        // The needle starts `k` bytes before the last piece's start: the
        // pieces split it unless k is 0 (all in the last) or its length.
        for k in [0, 1, 5, needle.len() - 1, needle.len()] {
            let mut text = "{\"pad\":1}\n".repeat(3000).into_bytes();
            text.extend_from_slice(needle.as_bytes());
            text.extend(std::iter::repeat_n(b' ', (1 << 20) + k - needle.len()));
            std::fs::write(&path, &text).expect("write");
            assert!(holds_task_id(&path, "abc").expect("read"), "k {k}");
            assert!(!holds_task_id(&path, "abd").expect("read"));
        }
    }
}
