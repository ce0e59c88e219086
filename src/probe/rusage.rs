//! `getrusage`: exact totals for reaped children, and profrun's own cost.

/// The fields of `struct rusage` profrun records, in SI units.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct RusageSample {
    pub user_seconds: f64,
    pub system_seconds: f64,
    /// `ru_maxrss` in KiB (largest single process for RUSAGE_CHILDREN).
    pub max_rss_kb: u64,
    pub minor_faults: u64,
    pub major_faults: u64,
    pub in_blocks: u64,
    pub out_blocks: u64,
    pub voluntary_switches: u64,
    pub involuntary_switches: u64,
}

fn tv_seconds(tv: libc::timeval) -> f64 {
    tv.tv_sec as f64 + tv.tv_usec as f64 / 1e6
}

fn read(who: libc::c_int) -> RusageSample {
    // SAFETY: rusage is plain data filled by getrusage.
    let mut ru: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: valid pointer; `who` is one of the RUSAGE_* constants.
    let rc = unsafe { libc::getrusage(who, &mut ru) };
    if rc != 0 {
        return RusageSample::default();
    }
    RusageSample {
        user_seconds: tv_seconds(ru.ru_utime),
        system_seconds: tv_seconds(ru.ru_stime),
        max_rss_kb: ru.ru_maxrss.max(0) as u64,
        minor_faults: ru.ru_minflt.max(0) as u64,
        major_faults: ru.ru_majflt.max(0) as u64,
        in_blocks: ru.ru_inblock.max(0) as u64,
        out_blocks: ru.ru_oublock.max(0) as u64,
        voluntary_switches: ru.ru_nvcsw.max(0) as u64,
        involuntary_switches: ru.ru_nivcsw.max(0) as u64,
    }
}

/// Totals of every child (and descendant) profrun has reaped so far.
pub fn children() -> RusageSample {
    read(libc::RUSAGE_CHILDREN)
}

/// profrun's own usage (all its threads).
pub fn own() -> RusageSample {
    read(libc::RUSAGE_SELF)
}
