//! A status as read back from the history: one of the [`Status`] values this
//! profrun writes, or a name a newer profrun wrote (`running`, `lost`,
//! `limit_exceeded`, ...), which readers show as stored instead of failing.

use super::Status;
use std::fmt;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StoredStatus {
    Known(Status),
    /// A name this profrun does not know, kept as stored.
    Other(String),
}

impl StoredStatus {
    pub fn from_name(name: &str) -> StoredStatus {
        match Status::from_name(name) {
            Some(s) => StoredStatus::Known(s),
            None => StoredStatus::Other(name.to_string()),
        }
    }

    /// The name as stored.
    pub fn as_str(&self) -> &str {
        match self {
            StoredStatus::Known(s) => s.as_str(),
            StoredStatus::Other(name) => name,
        }
    }

    /// The status, when this profrun knows it.
    pub fn known(&self) -> Option<Status> {
        match self {
            StoredStatus::Known(s) => Some(*s),
            StoredStatus::Other(_) => None,
        }
    }

    pub fn is(&self, status: Status) -> bool {
        self.known() == Some(status)
    }
}

impl From<Status> for StoredStatus {
    fn from(s: Status) -> Self {
        StoredStatus::Known(s)
    }
}

impl fmt::Display for StoredStatus {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_status_reads_back_as_itself() {
        for s in Status::ALL {
            assert_eq!(StoredStatus::from_name(s.as_str()), StoredStatus::Known(s));
            assert_eq!(
                serde_json::to_string(&s).expect("json"),
                format!("\"{}\"", s.as_str())
            );
        }
    }

    #[test]
    fn a_newer_status_is_kept_as_stored() {
        // `limit_exceeded` was the example until this profrun learnt it.
        let s = StoredStatus::from_name("preempted");
        assert_eq!(s.known(), None);
        assert_eq!(s.to_string(), "preempted");
    }
}
