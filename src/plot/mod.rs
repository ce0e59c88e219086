//! Pictures of runs: SVG charts of one run (`profrun plot`), of several
//! overlaid (`plot --compare`), and the self-contained HTML page of a
//! history (`profrun report`). Pure: records in, text out; `commands/`
//! writes the files.

pub mod chart;
pub mod html;
pub mod overlays;
pub mod run_chart;
pub mod scale;
pub mod svg;
pub mod trend;

pub use run_chart::{compare_chart, run_chart, Overlays};

use crate::record::JobRecord;

/// `profrun plot ID` as SVG text.
pub fn run_svg(record: &JobRecord, overlays: &Overlays) -> String {
    chart::render(&run_chart(record, overlays))
}

/// `profrun plot --compare A B ...` as SVG text.
pub fn compare_svg(records: &[&JobRecord]) -> String {
    chart::render(&compare_chart(records))
}

#[cfg(test)]
mod tests;
