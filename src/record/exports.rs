//! What became of the run's exports to monitoring (`--pushgateway`,
//! `--textfile`): written into the record so that a push that failed at
//! the end of a night's runs can be found later, not only in a scrolled-away
//! warning.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// One entry per export that was asked for; `None` fields were not asked for.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct ExportsRecord {
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub pushgateway: Option<PushgatewayExportRecord>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub textfile: Option<TextfileExportRecord>,
}

/// The push of the run's group to a Pushgateway.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct PushgatewayExportRecord {
    /// The gateway's base URL, as given.
    pub url: String,
    pub ok: bool,
    /// Why the push failed (`ok` is false).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub error: Option<String>,
}

/// The node_exporter textfile written at the end of the run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct TextfileExportRecord {
    /// The `.prom` file written (or that could not be written).
    pub path: String,
    pub ok: bool,
    /// Why the write failed (`ok` is false).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub error: Option<String>,
}
