//! The serde types of the `analysis` block live with the record they are
//! part of (`record::analysis`), so that the record does not depend on the
//! analysis; they are re-exported here under their old path.

pub use crate::record::analysis::*;
