//! The filters shared by `job-history` and `job-stats`, applied to a
//! [`RecordView`]. Times are resolved to µs before filtering
//! (`commands::filter_args` turns the command line into a [`Filter`]).

use crate::record::RecordView;
use std::path::Path;

/// All conditions must hold; an empty filter matches everything.
#[derive(Debug, Clone, Default)]
pub struct Filter {
    pub tool: Option<String>,
    pub script: Option<String>,
    /// A stored status name (`success`, or one a newer profrun wrote).
    pub status: Option<String>,
    pub since_us: Option<i64>,
    pub until_us: Option<i64>,
    pub tags: Vec<(String, String)>,
    pub host: Option<String>,
    pub grep: Option<String>,
}

impl Filter {
    pub fn matches(&self, job: &RecordView) -> bool {
        if let Some(tool) = &self.tool {
            if !job.tool.eq_ignore_ascii_case(tool) {
                return false;
            }
        }
        if let Some(script) = &self.script {
            let Some(js) = &job.script else { return false };
            let name = Path::new(js).file_name().and_then(|n| n.to_str());
            if js != script && name != Some(script.as_str()) {
                return false;
            }
        }
        if self
            .status
            .as_ref()
            .is_some_and(|s| s != job.status.as_str())
        {
            return false;
        }
        if self.since_us.is_some_and(|t| job.start_us < t) {
            return false;
        }
        if self.until_us.is_some_and(|t| job.start_us >= t) {
            return false;
        }
        if !self
            .tags
            .iter()
            .all(|(k, v)| job.tags.get(k).is_some_and(|jv| jv == v))
        {
            return false;
        }
        if let Some(host) = &self.host {
            let Some(jh) = &job.host else { return false };
            // `node1` also matches `node1.cluster.example`.
            let short = jh.split('.').next().unwrap_or(jh);
            if jh != host && short != host {
                return false;
            }
        }
        if let Some(text) = &self.grep {
            if !job.command_line().contains(text.as_str()) {
                return false;
            }
        }
        true
    }
}
