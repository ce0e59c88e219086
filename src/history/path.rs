//! Resolving the history path: `--history`, else `$PROFRUN_HISTORY`, else
//! `$XDG_DATA_HOME/profrun/jobs_history.jsonl`, else
//! `~/.local/share/profrun/jobs_history.jsonl`. Empty variables count as unset.

use std::io;
use std::path::{Path, PathBuf};

pub const FILE_NAME: &str = "jobs_history.jsonl";

/// The environment as path resolution sees it.
pub fn default_history_path_from(get: impl Fn(&str) -> Option<String>) -> Option<PathBuf> {
    let non_empty = |k: &str| get(k).filter(|v| !v.is_empty());
    if let Some(p) = non_empty("PROFRUN_HISTORY") {
        return Some(PathBuf::from(p));
    }
    // XDG says relative values are invalid and must be ignored.
    if let Some(d) = non_empty("XDG_DATA_HOME").filter(|d| d.starts_with('/')) {
        return Some(PathBuf::from(d).join("profrun").join(FILE_NAME));
    }
    let home = non_empty("HOME")?;
    Some(
        PathBuf::from(home)
            .join(".local/share/profrun")
            .join(FILE_NAME),
    )
}

/// The history path for this process: the flag if given, else the default.
pub fn resolve(flag: Option<&std::path::Path>) -> Option<PathBuf> {
    match flag {
        Some(p) => Some(p.to_path_buf()),
        None => default_history_path_from(|k| std::env::var(k).ok()),
    }
}

/// Create the folders above `path`. When one of them exists but is not a
/// folder, the error names it (`create_dir_all` alone says only "File exists
/// (os error 17)" or "Not a directory").
pub fn create_parent_folders(path: &Path) -> io::Result<()> {
    let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) else {
        return Ok(());
    };
    std::fs::create_dir_all(parent).map_err(|err| match not_a_folder(parent) {
        Some(blocker) => io::Error::new(
            err.kind(),
            format!("'{}' is not a folder", blocker.display()),
        ),
        None => err,
    })
}

/// The nearest of `dir` and its ancestors that exists and is not a folder.
fn not_a_folder(dir: &Path) -> Option<&Path> {
    dir.ancestors()
        .filter(|a| !a.as_os_str().is_empty())
        .find(|a| std::fs::metadata(a).is_ok_and(|m| !m.is_dir()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env<'a>(pairs: &'a [(&'a str, &'a str)]) -> impl Fn(&str) -> Option<String> + 'a {
        move |k| {
            pairs
                .iter()
                .find(|(n, _)| *n == k)
                .map(|(_, v)| v.to_string())
        }
    }

    #[test]
    fn precedence_and_empty_values() {
        let p =
            default_history_path_from(env(&[("PROFRUN_HISTORY", "/x/h.jsonl"), ("HOME", "/h")]));
        assert_eq!(p, Some(PathBuf::from("/x/h.jsonl")));
        // Empty PROFRUN_HISTORY is treated as unset.
        let p = default_history_path_from(env(&[
            ("PROFRUN_HISTORY", ""),
            ("XDG_DATA_HOME", "/d"),
            ("HOME", "/h"),
        ]));
        assert_eq!(p, Some(PathBuf::from("/d/profrun/jobs_history.jsonl")));
        let p = default_history_path_from(env(&[("XDG_DATA_HOME", "rel"), ("HOME", "/h")]));
        assert_eq!(
            p,
            Some(PathBuf::from("/h/.local/share/profrun/jobs_history.jsonl"))
        );
        assert_eq!(default_history_path_from(env(&[])), None);
    }

    #[test]
    fn a_parent_that_is_a_file_is_named() {
        let dir = tempfile::tempdir().expect("tempdir");
        let file = dir.path().join("plain");
        std::fs::write(&file, b"x").expect("write");
        for path in [file.join("h.jsonl"), file.join("sub/h.jsonl")] {
            let err = create_parent_folders(&path).expect_err("a file is in the way");
            assert_eq!(
                err.to_string(),
                format!("'{}' is not a folder", file.display())
            );
        }
        create_parent_folders(&dir.path().join("a/b/h.jsonl")).expect("folders");
        assert!(dir.path().join("a/b").is_dir());
        create_parent_folders(Path::new("h.jsonl")).expect("no parent to create");
    }
}
