//! Which files make up "the history": the `--history` values (each a path
//! or a quoted glob such as `'runs/*.jsonl'`), else the default path. Several
//! files are read as one history ordered by start time, which is how
//! histories from several hosts are merged.

use std::fs::File;
use std::io;
use std::path::{Path, PathBuf};

/// The history could not be read: commands exit 1 naming the path.
#[derive(Debug, thiserror::Error)]
#[error("cannot read history '{}': {source}", path.display())]
pub struct HistoryError {
    pub path: PathBuf,
    pub source: io::Error,
}

impl HistoryError {
    pub fn new(path: &Path, source: io::Error) -> Self {
        HistoryError {
            path: path.to_path_buf(),
            source,
        }
    }
}

/// The files to read, in the order given, and what named nothing.
#[derive(Debug, Default)]
pub struct Sources {
    pub files: Vec<PathBuf>,
    /// Paths that do not exist and patterns that matched no file.
    pub missing: Vec<String>,
}

impl Sources {
    /// Resolve `--history` values; with none, the default history path.
    pub fn resolve(values: &[String]) -> Result<Sources, HistoryError> {
        let mut sources = Sources::default();
        if values.is_empty() {
            match super::path::resolve(None) {
                Some(p) if super::path::is_template(&p) => {
                    let value = p.to_string_lossy().into_owned();
                    sources.add_value(&value)?;
                }
                Some(p) => sources.add_path(p)?,
                None => sources.missing.push(
                    "the default history (set --history or PROFRUN_HISTORY; HOME is unset)"
                        .to_string(),
                ),
            }
            return Ok(sources);
        }
        for value in values {
            sources.add_value(value)?;
        }
        Ok(sources)
    }

    /// One `--history` value: a path, a glob, or a template (read as the
    /// glob of every file it could have been written to).
    fn add_value(&mut self, value: &str) -> Result<(), HistoryError> {
        let given = Path::new(value);
        if given.exists() {
            return self.add_path(given.to_path_buf());
        }
        let pattern = super::path::expand_for_reader(value).map_err(|e| {
            HistoryError::new(given, io::Error::new(io::ErrorKind::InvalidInput, e))
        })?;
        let path = Path::new(&pattern);
        if path.exists() || !is_pattern(&pattern) {
            return self.add_path(path.to_path_buf());
        }
        let matches = glob::glob(&pattern).map_err(|e| {
            HistoryError::new(path, io::Error::new(io::ErrorKind::InvalidInput, e.msg))
        })?;
        let before = self.files.len();
        for m in matches {
            let p = m.map_err(|e| {
                let path = e.path().to_path_buf();
                HistoryError::new(&path, e.into())
            })?;
            if p.is_file() {
                self.add_path(p)?;
            }
        }
        if self.files.len() == before {
            self.missing.push(value.to_string());
        }
        Ok(())
    }

    fn add_path(&mut self, path: PathBuf) -> Result<(), HistoryError> {
        match std::fs::metadata(&path) {
            Err(e) if e.raw_os_error() == Some(rustix::io::Errno::NOTDIR.raw_os_error()) => {
                return Err(HistoryError::new(&path, not_a_folder_error(&path, e)))
            }
            Err(e) if e.kind() == io::ErrorKind::NotFound => {
                self.missing.push(path.display().to_string());
                return Ok(());
            }
            Err(e) => return Err(HistoryError::new(&path, e)),
            Ok(m) if m.is_dir() => {
                return Err(HistoryError::new(
                    &path,
                    io::Error::new(io::ErrorKind::InvalidInput, "it is a directory"),
                ))
            }
            Ok(_) => {}
        }
        // The same file named twice (a path and a glob) is read once.
        let canonical = std::fs::canonicalize(&path).unwrap_or_else(|_| path.clone());
        let seen = self
            .files
            .iter()
            .any(|f| std::fs::canonicalize(f).unwrap_or_else(|_| f.clone()) == canonical);
        if !seen {
            self.files.push(path);
        }
        Ok(())
    }

    /// Open file `i`; a file deleted since resolution reads as empty.
    pub fn open(&self, i: usize) -> Result<Option<File>, HistoryError> {
        let path = &self.files[i];
        match File::open(path) {
            Ok(f) => Ok(Some(f)),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(HistoryError::new(path, e)),
        }
    }

    /// The files read, and the named paths that do not exist yet (a run
    /// whose profrun was killed before its first append has only a
    /// checkpoint naming its history).
    pub fn named_paths(&self) -> Vec<PathBuf> {
        let mut all = self.files.clone();
        all.extend(
            self.missing
                .iter()
                .filter(|m| !is_pattern(m) && !m.starts_with("the default history"))
                .map(PathBuf::from),
        );
        all
    }

    /// For "no runs" messages: every file and pattern that was looked at.
    pub fn describe(&self) -> String {
        let mut all: Vec<String> = self.files.iter().map(|p| p.display().to_string()).collect();
        all.extend(self.missing.iter().cloned());
        all.iter()
            .map(|p| format!("'{p}'"))
            .collect::<Vec<_>>()
            .join(", ")
    }
}

/// "Not a directory (os error 20)" names no path: say which one above
/// `path` is a file (issue 11, item 6).
fn not_a_folder_error(path: &Path, err: io::Error) -> io::Error {
    let blocker = path
        .ancestors()
        .skip(1)
        .filter(|a| !a.as_os_str().is_empty())
        .find(|a| std::fs::metadata(a).is_ok_and(|m| !m.is_dir()));
    match blocker {
        Some(b) => io::Error::new(err.kind(), format!("'{}' is not a folder", b.display())),
        None => err,
    }
}

fn is_pattern(s: &str) -> bool {
    s.contains(['*', '?', '['])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn globs_expand_sorted_and_paths_dedupe() {
        let dir = tempfile::tempdir().expect("tempdir");
        for name in ["b.jsonl", "a.jsonl", "notes.txt"] {
            std::fs::write(dir.path().join(name), "").expect("write");
        }
        let pattern = format!("{}/*.jsonl", dir.path().display());
        let explicit = dir.path().join("a.jsonl").display().to_string();
        let s = Sources::resolve(&[explicit, pattern]).expect("resolve");
        let names: Vec<_> = s
            .files
            .iter()
            .map(|p| p.file_name().expect("name").to_string_lossy().into_owned())
            .collect();
        assert_eq!(names, ["a.jsonl", "b.jsonl"]);
        assert!(s.missing.is_empty());
    }

    #[test]
    fn missing_paths_and_empty_globs_are_reported_not_fatal() {
        let dir = tempfile::tempdir().expect("tempdir");
        let s = Sources::resolve(&[
            format!("{}/nope.jsonl", dir.path().display()),
            format!("{}/*.jsonl", dir.path().display()),
        ])
        .expect("resolve");
        assert!(s.files.is_empty());
        assert_eq!(s.missing.len(), 2);
    }

    #[test]
    fn a_directory_is_an_error_naming_it() {
        let dir = tempfile::tempdir().expect("tempdir");
        let err = Sources::resolve(&[dir.path().display().to_string()]).expect_err("dir");
        assert!(err.to_string().contains(&dir.path().display().to_string()));
    }
}
