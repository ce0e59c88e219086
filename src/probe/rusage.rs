//! `getrusage`: exact totals for reaped children, and profrun's own cost.

use nix::sys::resource::{getrusage, UsageWho};
use nix::sys::time::TimeVal;

pub use crate::sample::RusageSample;

fn tv_seconds(tv: TimeVal) -> f64 {
    tv.tv_sec() as f64 + tv.tv_usec() as f64 / 1e6
}

fn read(who: UsageWho) -> RusageSample {
    let Ok(ru) = getrusage(who) else {
        return RusageSample::default();
    };
    let count = |n: std::ffi::c_long| n.max(0) as u64;
    RusageSample {
        user_seconds: tv_seconds(ru.user_time()),
        system_seconds: tv_seconds(ru.system_time()),
        max_rss_kb: count(ru.max_rss()),
        minor_faults: count(ru.minor_page_faults()),
        major_faults: count(ru.major_page_faults()),
        in_blocks: count(ru.block_reads()),
        out_blocks: count(ru.block_writes()),
        voluntary_switches: count(ru.voluntary_context_switches()),
        involuntary_switches: count(ru.involuntary_context_switches()),
    }
}

/// Totals of every child (and descendant) profrun has reaped so far.
pub fn children() -> RusageSample {
    read(UsageWho::RUSAGE_CHILDREN)
}

/// profrun's own usage (all its threads).
pub fn own() -> RusageSample {
    read(UsageWho::RUSAGE_SELF)
}
