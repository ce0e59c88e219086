//! Rendering: records and aggregates to strings. Never prints.

pub mod summary;
pub mod units;
