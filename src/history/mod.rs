//! The history file: where it lives, appending records safely, and (for the
//! query commands) reading it back.

pub mod append;
pub mod path;
