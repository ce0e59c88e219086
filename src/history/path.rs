//! Resolving the history path: `--history`, else `$PROFRUN_HISTORY`, else
//! `$XDG_DATA_HOME/profrun/jobs_history.jsonl`, else
//! `~/.local/share/profrun/jobs_history.jsonl`. Empty variables count as unset.
//!
//! A path may be a template (`/shared/profrun/{host}.jsonl`, see
//! `record::expand_history_template`): the writer expands it to this run's
//! host, user and Slurm job; a reader expands every placeholder to `*`, so
//! the same template read on a login node merges every node's file.

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

/// The values a writer fills a history path template with.
#[derive(Debug, Clone, Copy)]
pub struct TemplateValues<'a> {
    pub host: &'a str,
    pub user: &'a str,
    pub slurm_job_id: Option<&'a str>,
}

/// Whether `path` uses the template syntax (`{` or `}`); a path that is not
/// UTF-8 never does.
pub fn is_template(path: &Path) -> bool {
    path.to_str().is_some_and(|s| s.contains(['{', '}']))
}

/// The path a writer appends to: `template` with its placeholders filled
/// in; a path without braces is returned as it is.
pub fn expand_for_writer(template: &Path, values: TemplateValues) -> Result<PathBuf, String> {
    match template.to_str() {
        Some(text) if is_template(template) => crate::record::expand_history_template(
            text,
            values.host,
            values.user,
            values.slurm_job_id,
        )
        .map(PathBuf::from),
        _ => Ok(template.to_path_buf()),
    }
}

/// The glob a reader reads for `value`: every placeholder becomes `*`
/// (every host, user and job the template could have been written for).
pub fn expand_for_reader(value: &str) -> Result<String, String> {
    if !value.contains(['{', '}']) {
        return Ok(value.to_string());
    }
    crate::record::expand_history_template(value, "*", "*", Some("*"))
}

/// Where this run's record goes, and a warning when the history path could
/// not be used as given: a template that does not expand (`{slurm_job_id}`
/// outside Slurm, an unknown placeholder) falls back to the default path
/// without `PROFRUN_HISTORY`, so that runs never share one file by accident.
pub fn resolve_for_writer(
    flag: Option<&Path>,
    values: TemplateValues,
) -> (Option<PathBuf>, Option<String>) {
    let Some(template) = resolve(flag) else {
        return (None, None);
    };
    match expand_for_writer(&template, values) {
        Ok(path) => (Some(path), None),
        Err(why) => {
            let fallback = default_history_path_from(|k| {
                (k != "PROFRUN_HISTORY")
                    .then(|| std::env::var(k).ok())
                    .flatten()
            });
            let to = fallback
                .as_ref()
                .map_or("nowhere".to_string(), |p| format!("'{}'", p.display()));
            (fallback, Some(format!("{why}; recording to {to} instead")))
        }
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
    fn templates_expand_for_the_writer_and_become_globs_for_readers() {
        let values = TemplateValues {
            host: "node07",
            user: "ada",
            slurm_job_id: Some("4242"),
        };
        let p = expand_for_writer(
            Path::new("/shared/{host}/{user}-{slurm_job_id}.jsonl"),
            values,
        );
        assert_eq!(p, Ok(PathBuf::from("/shared/node07/ada-4242.jsonl")));
        let plain = Path::new("/x/h.jsonl");
        assert_eq!(expand_for_writer(plain, values), Ok(plain.to_path_buf()));
        let outside = TemplateValues {
            slurm_job_id: None,
            ..values
        };
        let err = expand_for_writer(Path::new("/s/{slurm_job_id}.jsonl"), outside)
            .expect_err("not in Slurm");
        assert!(err.contains("not inside a Slurm job"), "{err}");
        assert_eq!(
            expand_for_reader("/shared/{host}/{user}-{slurm_job_id}.jsonl"),
            Ok("/shared/*/*-*.jsonl".to_string())
        );
        assert_eq!(
            expand_for_reader("/x/h.jsonl"),
            Ok("/x/h.jsonl".to_string())
        );
        assert!(expand_for_reader("/x/{hostname}.jsonl").is_err());
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
