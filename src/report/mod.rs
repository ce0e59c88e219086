//! Rendering: records and aggregates to strings. Never prints; the commands
//! decide where the text goes.

pub mod advice_view;
pub mod analysis_view;
pub mod details;
pub mod export;
pub mod fields;
pub mod history_view;
pub mod slurm_job;
pub mod sparkline;
pub mod stats;
pub mod stats_view;
pub mod summary;
pub mod table;
/// The human units every view writes in (a leaf module of its own, so
/// that `analysis` can write sizes as the views do).
pub use crate::units;
