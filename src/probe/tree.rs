//! Process-tree discovery by walking `task/<tid>/children` from a root pid,
//! over every thread (an orphan may be reparented to any thread of profrun).
//! Cost is proportional to the tree, not to the host.

use super::ProcRoot;

/// Direct children of `pid`, over all its threads.
pub fn children_of(proc: &ProcRoot, pid: i32) -> Vec<i32> {
    let mut out = Vec::new();
    let Ok(tasks) = std::fs::read_dir(proc.path(&format!("{pid}/task"))) else {
        return out;
    };
    for task in tasks.flatten() {
        let Ok(text) = std::fs::read_to_string(task.path().join("children")) else {
            continue; // thread exited mid-walk: normal
        };
        out.extend(
            text.split_whitespace()
                .filter_map(|t| t.parse::<i32>().ok()),
        );
    }
    out
}

/// Every descendant of `pid` (not `pid` itself), parents before children.
pub fn descendants(proc: &ProcRoot, pid: i32) -> Vec<i32> {
    let mut out = Vec::new();
    let mut stack = children_of(proc, pid);
    while let Some(p) = stack.pop() {
        if out.contains(&p) {
            continue;
        }
        out.push(p);
        stack.extend(children_of(proc, p));
    }
    out
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
        }
        dir
    }

    #[test]
    fn walks_the_whole_tree_and_tolerates_vanished_pids() {
        // 30 is listed as a child but has no /proc entry: it exited mid-walk.
        let dir = fixture(&[(1, &[10, 20]), (10, &[11]), (11, &[]), (20, &[30])]);
        let proc = ProcRoot(dir.path().to_path_buf());
        let mut d = descendants(&proc, 1);
        d.sort();
        assert_eq!(d, vec![10, 11, 20, 30]);
        assert_eq!(comm(&proc, 11).as_deref(), Some("p11"));
        assert_eq!(comm(&proc, 30), None);
    }
}
