//! Finding one run for `job-details`: a full id, a unique prefix of one,
//! `last`, or `-N` (the N-th newest, as `job-history` numbers them). An
//! ambiguous prefix lists its candidates; an unknown id names the nearest
//! ids (longest common prefix first, then edit distance).

use super::filter::Filter;
use super::query::{Entry, History};
use super::source::HistoryError;
use crate::criteria::IdSpec;
use crate::record::RecordView;

/// How many nearest ids an "unknown id" error names.
const NEAREST: usize = 5;

#[derive(Debug)]
pub enum Lookup {
    Found(Box<Entry>),
    /// Several ids start with the prefix (newest first).
    Ambiguous(Vec<RecordView>),
    /// No id matches; the nearest ones, best first.
    Unknown {
        nearest: Vec<String>,
    },
    /// `-N` asked for more runs than there are.
    TooFew {
        wanted: usize,
        runs: usize,
    },
}

/// Find the run `spec` names. The bad lines this pass counts replace an
/// earlier pass's count when they say more (see [`BadLines::fuller`]), so a
/// command that looks up two runs reports each bad line once.
///
/// [`BadLines::fuller`]: super::line::BadLines::fuller
pub fn find(history: &mut History, spec: &IdSpec) -> Result<Lookup, HistoryError> {
    let before = std::mem::take(&mut history.bad);
    let found = find_in_one_pass(history, spec);
    let this_pass = std::mem::take(&mut history.bad);
    history.bad = before.fuller(this_pass);
    found
}

fn find_in_one_pass(history: &mut History, spec: &IdSpec) -> Result<Lookup, HistoryError> {
    match spec {
        IdSpec::Newest(n) => {
            let mut newest = history.newest(*n, &Filter::default())?;
            if newest.len() < *n {
                return Ok(Lookup::TooFew {
                    wanted: *n,
                    runs: newest.len(),
                });
            }
            Ok(Lookup::Found(Box::new(newest.swap_remove(n - 1))))
        }
        IdSpec::Prefix(prefix) => find_prefix(history, prefix),
    }
}

fn find_prefix(history: &mut History, prefix: &str) -> Result<Lookup, HistoryError> {
    // A line whose task_id starts with the prefix contains `"prefix`; only
    // those lines are parsed. Ids are compared lowercased.
    // Hand-written ids in upper case are found too; mixed case is not.
    let needle = format!("\"{prefix}");
    let lower = memchr::memmem::Finder::new(needle.as_bytes());
    let upper_needle = needle.to_ascii_uppercase();
    let upper = memchr::memmem::Finder::new(upper_needle.as_bytes());
    let mut found: Vec<Entry> = Vec::new();
    history.scan_lines(
        |bytes| lower.find(bytes).is_some() || upper.find(bytes).is_some(),
        |job, at| {
            if job.task_id.to_ascii_lowercase().starts_with(prefix) {
                found.push(Entry {
                    job,
                    file: at.file,
                    offset: at.offset,
                    len: at.len,
                });
            }
        },
    )?;
    // The same record in two merged files counts once.
    found.sort_by(|a, b| a.job.task_id.cmp(&b.job.task_id));
    found.dedup_by(|a, b| a.job.task_id == b.job.task_id);
    if let Some(i) = found
        .iter()
        .position(|e| e.job.task_id.eq_ignore_ascii_case(prefix))
    {
        return Ok(Lookup::Found(Box::new(found.swap_remove(i))));
    }
    match found.len() {
        1 => Ok(Lookup::Found(Box::new(found.swap_remove(0)))),
        0 => {
            // Slow path, errors only: read every id to suggest the nearest.
            history.bad = Default::default();
            let mut ids = Vec::new();
            history.scan(|job, _| ids.push(job.task_id))?;
            Ok(Lookup::Unknown {
                nearest: nearest_ids(prefix, ids),
            })
        }
        _ => {
            let mut jobs: Vec<RecordView> = found.into_iter().map(|e| e.job).collect();
            jobs.sort_by(|a, b| (b.start_us, &b.task_id).cmp(&(a.start_us, &a.task_id)));
            Ok(Lookup::Ambiguous(jobs))
        }
    }
}

/// The ids closest to `wanted`: longest common prefix, then edit distance.
pub fn nearest_ids(wanted: &str, mut ids: Vec<String>) -> Vec<String> {
    ids.sort();
    ids.dedup();
    let mut scored: Vec<(usize, usize, String)> = ids
        .into_iter()
        .map(|id| {
            let lower = id.to_ascii_lowercase();
            let common = lower
                .bytes()
                .zip(wanted.bytes())
                .take_while(|(a, b)| a == b)
                .count();
            let prefix: String = lower.chars().take(wanted.chars().count()).collect();
            (usize::MAX - common, edit_distance(wanted, &prefix), id)
        })
        .collect();
    scored.sort();
    scored.into_iter().take(NEAREST).map(|s| s.2).collect()
}

fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut cur = vec![i + 1; b.len() + 1];
        for (j, cb) in b.iter().enumerate() {
            let sub = prev[j] + usize::from(ca != *cb);
            cur[j + 1] = sub.min(prev[j + 1] + 1).min(cur[j] + 1);
        }
        prev = cur;
    }
    prev[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nearest_prefers_common_prefix_then_edits() {
        let ids = [
            "3fa9c2e1aaaa",
            "3fb0000000aa",
            "zzzzzzzzzzzz",
            "3fa8c2e1aaaa",
        ]
        .map(String::from)
        .to_vec();
        let near = nearest_ids("3fa9x", ids);
        assert_eq!(near[0], "3fa9c2e1aaaa");
        assert_eq!(near[1], "3fa8c2e1aaaa");
        assert_eq!(near.last().map(String::as_str), Some("zzzzzzzzzzzz"));
        assert_eq!(edit_distance("kitten", "sitting"), 3);
    }
}
