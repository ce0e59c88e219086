//! Keeping secrets out of the recorded command: the job gets its arguments
//! unchanged, the record gets them with passwords, tokens and URL
//! credentials replaced by `***`. Pure: patterns in, strings out.
//!
//! Each pattern is matched against each argument on its own. A pattern
//! without groups replaces its whole match; a pattern with groups replaces
//! only the text of its groups, so `--redact 'key=(\S+)'` keeps `key=`.
//! The defaults always apply, before the user's patterns:
//! - the value of a secret-looking option given inline (`--password=…`,
//!   `--api-key=…`, `-token=…`),
//! - the argument after a secret-looking option given alone (`--token …`),
//! - the user information of a URL (`https://user:pass@host` →
//!   `https://***@host`).

use regex::Regex;
use std::sync::OnceLock;

/// What replaces a secret.
pub const MASK: &str = "***";

/// The last `-`/`_`-separated word of an option that names a secret.
const SECRET_OPTION_WORDS: &str =
    "password|passwd|pass|pwd|token|secret|api[-_]?key|access[-_]?key|private[-_]?key|auth|credentials?|cookie";

struct Defaults {
    /// `--db-password=VALUE`: group 1 is the value.
    inline: Regex,
    /// `--token` alone: the next argument is its value.
    bare: Regex,
    /// `scheme://USERINFO@`: group 1 is the user information.
    url_userinfo: Regex,
}

fn defaults() -> &'static Defaults {
    static DEFAULTS: OnceLock<Defaults> = OnceLock::new();
    DEFAULTS.get_or_init(|| {
        let option = format!(r"(?i)^--?(?:[a-z0-9]+[-_])*(?:{SECRET_OPTION_WORDS})");
        Defaults {
            inline: Regex::new(&format!("{option}=(.+)$")).expect("a valid built-in pattern"),
            bare: Regex::new(&format!("{option}$")).expect("a valid built-in pattern"),
            url_userinfo: Regex::new(r"[A-Za-z][A-Za-z0-9+.-]*://([^/?#\s@]+)@")
                .expect("a valid built-in pattern"),
        }
    })
}

/// Whether the defaults could match `arg` at all: most commands have no
/// option or URL, and then the patterns need not even be compiled.
fn may_hold_secret(arg: &str) -> bool {
    arg.starts_with('-') || arg.contains("://")
}

/// `command` as it goes into the record: the defaults and `extra` applied
/// to every argument.
pub fn redact_command(command: &[String], extra: &[Regex]) -> Vec<String> {
    let use_defaults = command.iter().any(|a| may_hold_secret(a));
    let mut out = Vec::with_capacity(command.len());
    let mut value_follows = false;
    for arg in command {
        if value_follows {
            value_follows = false;
            out.push(MASK.to_string());
            continue;
        }
        let mut arg = arg.clone();
        if use_defaults && may_hold_secret(&arg) {
            let d = defaults();
            value_follows = d.bare.is_match(&arg);
            arg = replace(&d.inline, &arg);
            arg = replace(&d.url_userinfo, &arg);
        }
        for re in extra {
            arg = replace(re, &arg);
        }
        out.push(arg);
    }
    out
}

/// `text` with every match of `re` (or, when it has groups, every group of
/// every match) replaced by [`MASK`].
fn replace(re: &Regex, text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut done = 0;
    for caps in re.captures_iter(text) {
        let whole = caps.get(0).expect("group 0 is the whole match");
        if whole.as_str().is_empty() {
            continue;
        }
        let groups: Vec<_> = caps.iter().skip(1).flatten().collect();
        let spans: Vec<(usize, usize)> = if groups.is_empty() {
            vec![(whole.start(), whole.end())]
        } else {
            groups.iter().map(|m| (m.start(), m.end())).collect()
        };
        for (start, end) in spans {
            // Nested groups: a span inside one already masked is skipped.
            if start < done || start == end {
                continue;
            }
            out.push_str(&text[done..start]);
            out.push_str(MASK);
            done = end;
        }
    }
    out.push_str(&text[done..]);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn redact(args: &[&str], extra: &[&str]) -> Vec<String> {
        let command: Vec<String> = args.iter().map(|s| s.to_string()).collect();
        let extra: Vec<Regex> = extra
            .iter()
            .map(|p| Regex::new(p).expect("pattern"))
            .collect();
        redact_command(&command, &extra)
    }

    #[test]
    fn inline_and_separate_option_values_are_masked() {
        assert_eq!(
            redact(
                &[
                    "db",
                    "--password=hunter2",
                    "--token",
                    "abc",
                    "--API_KEY=k",
                    "-n",
                    "4"
                ],
                &[]
            ),
            [
                "db",
                "--password=***",
                "--token",
                "***",
                "--API_KEY=***",
                "-n",
                "4"
            ]
        );
        assert_eq!(
            redact(&["x", "--db-pass", "p", "--github_token=t"], &[]),
            ["x", "--db-pass", "***", "--github_token=***"]
        );
    }

    #[test]
    fn look_alike_options_are_kept() {
        let args = ["x", "--passes", "3", "--bypass", "y", "--token-file", "f"];
        assert_eq!(redact(&args, &[]), args);
    }

    #[test]
    fn url_credentials_are_masked() {
        assert_eq!(
            redact(
                &[
                    "git",
                    "clone",
                    "https://user:pa55@host/r.git",
                    "--url=http://tok@h/"
                ],
                &[]
            ),
            [
                "git",
                "clone",
                "https://***@host/r.git",
                "--url=http://***@h/"
            ]
        );
        assert_eq!(
            redact(&["curl", "https://host/a@b"], &[]),
            ["curl", "https://host/a@b"]
        );
    }

    #[test]
    fn user_patterns_mask_matches_or_their_groups() {
        assert_eq!(
            redact(
                &["run", "key=abc", "ghp_123 ghp_456"],
                &[r"key=(\w+)", r"ghp_\d+"]
            ),
            ["run", "key=***", "*** ***"]
        );
        // A pattern that can match the empty string masks nothing extra.
        assert_eq!(redact(&["run", "a"], &["x*"]), ["run", "a"]);
    }

    #[test]
    fn a_trailing_secret_option_without_value_is_kept() {
        assert_eq!(redact(&["x", "--token"], &[]), ["x", "--token"]);
    }
}
