//! Prometheus figures of a run, as text: the end-of-run families of one
//! record (`job`), the gauges and counters of a live endpoint (`live`), and
//! the text-format encoder they share (`exposition`). Pure: values in,
//! `String` out; `export/` moves the bytes.

pub mod exposition;
pub mod job;
pub mod live;

pub use exposition::{encode, Labels, MetricFamilies, MetricFamily, MetricKind, Sample};
pub use job::{job_metrics, keep_last_success, LAST_SUCCESS_METRIC};
pub use live::{live_metrics, LiveAlert, LiveEncoder, LiveGpu, LiveState};
