//! One run named on the command line (a full id, a unique prefix, `last`,
//! `-N`) found in the history for `check --run` and `diff`, or the sentence
//! that says why not, in `job-details`' words.

use crate::criteria::IdSpec;
use crate::history::lookup::{self, Lookup};
use crate::history::query::Entry;
use crate::history::source::HistoryError;
use crate::history::History;

/// How many candidates an ambiguous prefix lists.
const CANDIDATES_SHOWN: usize = 10;

/// Why a run could not be found.
#[derive(Debug)]
pub enum NotFound {
    /// The history could not be read.
    History(HistoryError),
    /// No such run; the message names the nearest ids or the candidates.
    Message(String),
}

impl std::fmt::Display for NotFound {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            NotFound::History(e) => write!(f, "{e}"),
            NotFound::Message(m) => f.write_str(m),
        }
    }
}

pub fn find_run(history: &mut History, spec: &IdSpec) -> Result<Entry, NotFound> {
    match lookup::find(history, spec).map_err(NotFound::History)? {
        Lookup::Found(entry) => Ok(*entry),
        Lookup::TooFew { wanted, runs } => {
            let s = if runs == 1 { "" } else { "s" };
            Err(NotFound::Message(format!(
                "'-{wanted}' asks for run {wanted} from the newest, but the history has {runs} run{s}"
            )))
        }
        Lookup::Unknown { nearest } if nearest.is_empty() => Err(NotFound::Message(format!(
            "no run with id '{}': the history has no runs",
            spec_text(spec)
        ))),
        Lookup::Unknown { nearest } => Err(NotFound::Message(format!(
            "no run with id '{}' in the history; nearest: {}",
            spec_text(spec),
            nearest.join(", ")
        ))),
        Lookup::Ambiguous(jobs) => {
            let mut msg = format!(
                "id prefix '{}' matches {} runs; give more characters:",
                spec_text(spec),
                jobs.len()
            );
            for j in jobs.iter().take(CANDIDATES_SHOWN) {
                msg.push_str(&format!("\n  {}  {}  {}", j.task_id, j.start_time, j.tool));
            }
            if jobs.len() > CANDIDATES_SHOWN {
                msg.push_str(&format!(
                    "\n  ... and {} more",
                    jobs.len() - CANDIDATES_SHOWN
                ));
            }
            Err(NotFound::Message(msg))
        }
    }
}

/// The id as the user typed it (lowercased), or `-N`.
pub fn spec_text(spec: &IdSpec) -> String {
    match spec {
        IdSpec::Newest(n) => format!("-{n}"),
        IdSpec::Prefix(p) => p.clone(),
    }
}
