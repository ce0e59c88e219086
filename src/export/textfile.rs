//! `DIR/profrun-<name>.prom` for node_exporter's textfile collector,
//! replaced atomically: the text goes to a temporary file in DIR (named
//! `.profrun-<name>.prom.<pid>.<n>.tmp`, which the collector ignores), is
//! fsynced, then renamed over the target. A reader, or a second job of the
//! same name finishing at the same moment, sees one whole file or the other,
//! never a mix.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

/// Distinguishes temp files of threads in one process (the pid covers
/// processes).
static TEMP_SEQUENCE: AtomicU64 = AtomicU64::new(0);

/// The file a run of `name` writes in `dir`. Characters other than ASCII
/// letters, digits, `-`, `_` and `.` become `_`, so a name never leaves
/// `dir` or hides the file from the collector's `*.prom` glob.
pub fn textfile_path(dir: &Path, name: &str) -> PathBuf {
    let safe: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.') {
                c
            } else {
                '_'
            }
        })
        .collect();
    dir.join(format!("profrun-{safe}.prom"))
}

/// Write `text` to `textfile_path(dir, name)` atomically; returns that path.
pub fn write_textfile(dir: &Path, name: &str, text: &str) -> io::Result<PathBuf> {
    let target = textfile_path(dir, name);
    let file_name = target
        .file_name()
        .expect("textfile_path always ends in a file name")
        .to_string_lossy()
        .into_owned();
    let temp = dir.join(format!(
        ".{file_name}.{}.{}.tmp",
        std::process::id(),
        TEMP_SEQUENCE.fetch_add(1, Ordering::Relaxed)
    ));
    let result = write_then_rename(&temp, &target, text);
    if result.is_err() {
        let _ = fs::remove_file(&temp);
    }
    result.map(|()| target)
}

fn write_then_rename(temp: &Path, target: &Path, text: &str) -> io::Result<()> {
    let mut file = OpenOptions::new().write(true).create_new(true).open(temp)?;
    file.write_all(text.as_bytes())?;
    file.sync_all()?;
    drop(file);
    fs::rename(temp, target)?;
    // The rename itself survives a crash only once the directory is synced;
    // some file systems refuse to open a directory for that, which is fine.
    if let Some(parent) = target.parent() {
        if let Ok(dir) = File::open(parent) {
            let _ = dir.sync_all();
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_stay_inside_the_directory() {
        let dir = Path::new("/d");
        assert_eq!(textfile_path(dir, "md"), Path::new("/d/profrun-md.prom"));
        assert_eq!(
            textfile_path(dir, "../x y/z"),
            Path::new("/d/profrun-.._x_y_z.prom")
        );
    }

    #[test]
    fn a_write_replaces_the_file_and_leaves_no_temp() {
        let dir = tempfile::tempdir().expect("tempdir");
        write_textfile(dir.path(), "md", "a 1\n").expect("first");
        let path = write_textfile(dir.path(), "md", "a 2\n").expect("second");
        assert_eq!(fs::read_to_string(&path).expect("read"), "a 2\n");
        let names: Vec<_> = fs::read_dir(dir.path())
            .expect("ls")
            .map(|e| e.expect("entry").file_name())
            .collect();
        assert_eq!(names, vec![std::ffi::OsString::from("profrun-md.prom")]);
    }

    #[test]
    fn a_missing_directory_is_an_error() {
        let dir = tempfile::tempdir().expect("tempdir");
        let missing = dir.path().join("nope");
        assert!(write_textfile(&missing, "md", "a 1\n").is_err());
    }

    /// Eight threads rewrite the same name while a reader checks that every
    /// read is one writer's whole text.
    #[test]
    fn concurrent_writers_never_leave_a_torn_file() {
        let dir = tempfile::tempdir().expect("tempdir");
        let texts: Vec<String> = (0..8)
            .map(|i| {
                format!(
                    "# writer {i}\n{}",
                    format!("x{{w=\"{i}\"}} {i}\n").repeat(2000)
                )
            })
            .collect();
        write_textfile(dir.path(), "same", &texts[0]).expect("seed");
        let path = textfile_path(dir.path(), "same");
        std::thread::scope(|s| {
            for text in &texts {
                let dir = dir.path();
                s.spawn(move || {
                    for _ in 0..20 {
                        write_textfile(dir, "same", text).expect("write");
                    }
                });
            }
            s.spawn(|| {
                for _ in 0..200 {
                    let read = fs::read_to_string(&path).expect("target always exists");
                    assert!(texts.contains(&read), "torn read of {} bytes", read.len());
                }
            });
        });
        let leftovers = fs::read_dir(dir.path()).expect("ls").count();
        assert_eq!(leftovers, 1, "temp files left behind");
    }
}
