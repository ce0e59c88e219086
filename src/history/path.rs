//! Resolving the history path: `--history`, else `$PROFRUN_HISTORY`, else
//! `$XDG_DATA_HOME/profrun/jobs_history.jsonl`, else
//! `~/.local/share/profrun/jobs_history.jsonl`. Empty variables count as unset.

use std::path::PathBuf;

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
}
