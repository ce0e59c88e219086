//! One-shot questions about profrun's process tree (who is still alive,
//! what is it called), answered by the same walker the sampler uses,
//! [`ProcTreeProbe`]: one sample from a fresh probe. Cost follows the tree,
//! not the host.

use super::process_tree::ProcTreeProbe;
use super::{ProcRoot, TreeProbe};
use crate::sample::TreeSample;

/// Every live descendant of `pid` (not `pid` itself), parents before
/// children; empty when `pid`'s `children` file cannot be read. `pid` is
/// profrun itself, or a process whose other threads never fork.
pub fn descendants(proc: &ProcRoot, pid: i32) -> Vec<i32> {
    let Ok(mut probe) = ProcTreeProbe::new(proc.clone(), pid) else {
        return Vec::new();
    };
    let mut tree = TreeSample::default();
    if probe.sample(0.0, &mut tree).is_err() {
        return Vec::new();
    }
    tree.processes.iter().map(|p| p.pid).collect()
}

/// The command name (`comm`) of a process, if it still exists.
pub fn comm(proc: &ProcRoot, pid: i32) -> Option<String> {
    std::fs::read_to_string(proc.path(&format!("{pid}/comm")))
        .ok()
        .map(|s| s.trim_end().to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::fs;

    fn fixture(tree: &[(i32, &[i32])]) -> tempfile::TempDir {
        let dir = tempfile::tempdir().expect("tempdir");
        for (pid, kids) in tree {
            let task = dir.path().join(format!("{pid}/task/{pid}"));
            fs::create_dir_all(&task).expect("mkdir");
            let text: Vec<String> = kids.iter().map(|k| k.to_string()).collect();
            fs::write(task.join("children"), text.join(" ")).expect("write");
            fs::write(dir.path().join(format!("{pid}/comm")), format!("p{pid}\n")).expect("write");
            let stat = format!(
                "{pid} (p{pid}) S 1 1 1 0 -1 0 10 0 0 0 1 5 7 3 20 0 1 0 {pid} 1000 1 0 0 0 0 0 0 0 0 0 0 0 0 17 0 0 0 0 0 0\n"
            );
            fs::write(dir.path().join(format!("{pid}/stat")), stat).expect("write");
        }
        dir
    }

    #[test]
    fn walks_the_whole_tree_and_tolerates_vanished_pids() {
        // 30 is listed as a child but has no /proc entry: it exited mid-walk,
        // so there is nothing left to signal or to report.
        let dir = fixture(&[(1, &[10, 20]), (10, &[11]), (11, &[]), (20, &[30])]);
        let proc = ProcRoot(dir.path().to_path_buf());
        let mut d = descendants(&proc, 1);
        d.sort();
        assert_eq!(d, vec![10, 11, 20]);
        assert_eq!(comm(&proc, 11).as_deref(), Some("p11"));
        assert_eq!(comm(&proc, 30), None);
    }

    #[test]
    fn an_unreadable_root_has_no_descendants() {
        let dir = tempfile::tempdir().expect("tempdir");
        assert!(descendants(&ProcRoot(dir.path().to_path_buf()), 1).is_empty());
    }

    #[test]
    fn descendants_of_this_test_process_include_a_live_child() {
        let mut child = std::process::Command::new("sleep")
            .arg("5")
            .spawn()
            .expect("spawn sleep");
        // The kernel lists a child under the thread that forked it: this
        // test's thread, not the main one profrun forks from.
        let link = std::fs::read_link("/proc/thread-self").expect("thread-self");
        let tid: i32 = link
            .file_name()
            .and_then(|n| n.to_str())
            .and_then(|n| n.parse().ok())
            .expect("tid");
        let found = descendants(&ProcRoot::default(), tid);
        child.kill().expect("kill");
        child.wait().expect("wait");
        assert!(found.contains(&(child.id() as i32)), "{found:?}");
    }
}
