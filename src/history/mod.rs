//! The history file: where it lives, appending records safely, and reading
//! it back for the query commands — newest first from the end of the file,
//! or streamed front to back — tolerating bad lines and merging several
//! files into one history ordered by start time. Reading backwards stops
//! early only in files that are in end-time order (`order`).

pub mod append;
pub mod filter;
pub mod forward;
pub mod line;
pub mod lookup;
pub mod order;
pub mod path;
pub mod query;
pub mod reverse;
pub mod source;
pub mod stream;

pub use line::{BadKind, BadLines};
pub use query::{Entry, History};
pub use source::HistoryError;
