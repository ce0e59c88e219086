//! Where the exposition text of `metrics/` goes: a Pushgateway at the end
//! of a run (`push`), a node_exporter textfile (`textfile`), or a live
//! `/metrics` endpoint while the job runs (`listen`, its sockets in
//! `endpoint`).

pub mod endpoint;
pub mod listen;
pub mod push;
pub mod textfile;
