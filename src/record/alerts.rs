//! `alerts` and `limit`: what the `--alert` rules and `--limit`s saw.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// One firing of an `--alert` rule.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct AlertRecord {
    pub name: String,
    /// The rule as written, without its name (`cpu>90%for5m`).
    pub rule: String,
    /// Seconds since the job started when the rule fired.
    pub fired_at_seconds: f64,
    /// The figure when it fired, in the metric's base unit (bytes, seconds,
    /// percent, bytes per second).
    pub value: f64,
    /// When the condition stopped holding; absent if it held to the end.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub resolved_at_seconds: Option<f64>,
}

/// The `--limit` that stopped the job (status `limit_exceeded`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct LimitRecord {
    /// `memory` (tree RSS + swap, bytes), `wall` (seconds) or `cpu` (CPU seconds).
    pub resource: String,
    /// The limit, in the resource's unit.
    pub limit: f64,
    /// The figure that crossed it (for `cgroup`: the leaf's peak, bytes).
    pub value: f64,
    /// Seconds since the job started when it was crossed.
    pub at_seconds: f64,
    /// `sampler` (profrun saw it on a tick and stopped the tree) or
    /// `cgroup` (the kernel OOM-killed in the job's leaf at `memory.max`).
    pub mechanism: String,
}
