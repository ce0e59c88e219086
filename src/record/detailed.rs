//! `detailed_profile`: the sampled view of the run (filled by the sampler).
//! Kept in its own file because the sampler, GPU and cgroup work extend it.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct DetailedProfile {
    /// False when /proc could not be read; `reason` says why.
    pub available: bool,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub reason: Option<String>,
    pub duration_seconds: f64,
    pub samples_collected: u64,
    pub sampling_interval_seconds: f64,
}
