//! `profrun completions SHELL` and `profrun man` through the real binary:
//! the scripts parse in their shell and name the subcommands, the man page
//! is roff that `man` renders.

use std::io::Write;
use std::process::{Command, Stdio};

mod wrapper;
use wrapper::profrun;

fn stdout_of(args: &[&str]) -> String {
    let out = profrun().args(args).output().expect("run profrun");
    assert!(out.status.success(), "{args:?}: {out:?}");
    assert!(
        out.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("utf-8")
}

/// Feed `text` to `program args` and return whether it succeeded, with its
/// output; `None` when the program is not installed.
fn pipe_into(program: &str, args: &[&str], text: &str) -> Option<(bool, String)> {
    let mut child = match Command::new(program)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
    {
        Ok(child) => child,
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => return None,
        Err(err) => panic!("spawn {program}: {err}"),
    };
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(text.as_bytes())
        .expect("write");
    let out = child.wait_with_output().expect("wait");
    let text =
        String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr);
    Some((out.status.success(), text))
}

#[test]
fn bash_completion_parses_and_names_the_subcommands() {
    let script = stdout_of(&["completions", "bash"]);
    for word in [
        "job-history",
        "job-details",
        "job-stats",
        "--interval",
        "--redact",
    ] {
        assert!(script.contains(word), "no {word} in the bash script");
    }
    let (ok, text) = pipe_into("bash", &["-n"], &script).expect("bash runs the tests");
    assert!(ok, "bash -n rejects the script: {text}");
    // Sourced, it registers the function for `profrun`.
    let (ok, text) = pipe_into(
        "bash",
        &["-c", "source /dev/stdin && complete -p profrun"],
        &script,
    )
    .expect("bash");
    assert!(ok && text.contains("profrun"), "{text}");
}

#[test]
fn zsh_and_fish_completions_name_the_subcommands() {
    for shell in ["zsh", "fish"] {
        let script = stdout_of(&["completions", shell]);
        assert!(script.contains("job-history"), "{shell}: {script}");
        // Check the syntax where the shell is installed.
        if let Some((ok, text)) = pipe_into(shell, &["-n"], &script) {
            assert!(ok, "{shell} -n rejects the script: {text}");
        } else {
            eprintln!("{shell} is not installed: its script is not syntax-checked");
        }
    }
}

#[test]
fn an_unknown_shell_is_a_usage_error() {
    let out = profrun()
        .args(["completions", "cmd.exe"])
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("cmd.exe"));
}

#[test]
fn man_page_is_roff_with_every_subcommand() {
    let page = stdout_of(&["man"]);
    assert!(
        page.contains(".TH PROFRUN 1"),
        "{}",
        &page[..page.len().min(300)]
    );
    for section in ["NAME", "SYNOPSIS", "OPTIONS"] {
        assert!(page.contains(&format!(".SH {section}")), "no {section}");
    }
    for sub in [
        "JOB\\-HISTORY",
        "JOB\\-DETAILS",
        "JOB\\-STATS",
        "COMPLETIONS",
    ] {
        assert!(page.contains(&format!(".SH \"PROFRUN {sub}\"")), "no {sub}");
    }
    // A subcommand's own options are there too.
    assert!(page.contains("\\-\\-group\\-by"), "no --group-by");
    // Where man is installed, it renders the page.
    match pipe_into("man", &["-l", "-"], &page) {
        Some((ok, text)) => {
            assert!(ok, "man -l fails: {text}");
            assert!(text.contains("PROFRUN JOB-HISTORY"), "{text}");
        }
        None => eprintln!("man is not installed: the page is not rendered"),
    }
}

/// Regression (subcommands built on demand, `#[command(defer = true)]`):
/// a deferred subcommand took the doc comment of the arguments it flattens
/// as its summary ("Filters shared by `job-history` and `job-stats`" for
/// five of them). Each one's own `--help` opens with the summary that
/// `profrun --help` lists for it.
#[test]
fn each_subcommand_is_summarised_by_its_own_line_not_by_its_arguments() {
    let top = stdout_of(&["--help"]);
    let listed: Vec<(String, String)> = top
        .lines()
        .skip_while(|line| !line.starts_with("Commands:"))
        .skip(1)
        .take_while(|line| line.starts_with("  "))
        .filter_map(|line| {
            let (name, summary) = line.trim().split_once(' ')?;
            Some((name.to_string(), summary.trim().to_string()))
        })
        .filter(|(name, _)| name != "help")
        .collect();
    assert!(listed.len() >= 10, "{top}");
    for (name, summary) in &listed {
        let help = stdout_of(&[name, "--help"]);
        assert_eq!(help.lines().next(), Some(summary.as_str()), "{name}");
    }
    // The text the bug showed is nobody's summary.
    assert!(!top.contains("Filters shared"), "{top}");
}
