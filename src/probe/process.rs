//! Parsers for one process's `/proc/<pid>/{stat,status,io,smaps_rollup}`.
//! They take the file's bytes, so tests feed them fixture text; the tree
//! probe (`process_tree.rs`) owns the open files and calls these.

use crate::sample::IoSample;

/// The fields of `/proc/<pid>/stat` the sampler uses (times in clock ticks).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct StatFields {
    pub state: u8,
    pub ppid: i32,
    pub minflt: u64,
    pub majflt: u64,
    pub utime: u64,
    pub stime: u64,
    pub cutime: u64,
    pub cstime: u64,
    pub num_threads: u32,
    pub starttime: u64,
    pub vsize: u64,
    /// Resident pages.
    pub rss_pages: u64,
}

/// The command name: between the first `(` and the LAST `)`, since `comm`
/// may itself contain spaces and parentheses.
pub fn stat_comm(stat: &[u8]) -> Option<&str> {
    let open = stat.iter().position(|&b| b == b'(')?;
    let close = stat.iter().rposition(|&b| b == b')')?;
    std::str::from_utf8(stat.get(open + 1..close)?).ok()
}

/// An unsigned decimal field (no sign, no spaces).
pub fn parse_u64(field: &[u8]) -> Option<u64> {
    if field.is_empty() {
        return None;
    }
    field.iter().try_fold(0u64, |acc, &b| {
        b.is_ascii_digit()
            .then(|| acc.wrapping_mul(10).wrapping_add(u64::from(b - b'0')))
    })
}

/// A field that the kernel prints as signed: negative values clamp to 0.
fn parse_signed(field: &[u8]) -> Option<u64> {
    match field.first() {
        Some(b'-') => parse_u64(&field[1..]).map(|_| 0),
        _ => parse_u64(field),
    }
}

pub fn parse_stat(stat: &[u8]) -> Option<StatFields> {
    let close = stat.iter().rposition(|&b| b == b')')?;
    // Fields after the comm, numbered from 3 (state) as in proc(5).
    let mut fields = stat
        .get(close + 1..)?
        .split(|&b| b == b' ' || b == b'\n')
        .filter(|f| !f.is_empty());
    let mut f = [&b""[..]; 22];
    for slot in f.iter_mut() {
        *slot = fields.next()?;
    }
    let n = |i: usize| parse_u64(f[i - 3]);
    Some(StatFields {
        state: *f[0].first()?,
        ppid: i32::try_from(parse_signed(f[1])?).ok()?,
        minflt: n(10)?,
        majflt: n(12)?,
        utime: n(14)?,
        stime: n(15)?,
        cutime: parse_signed(f[16 - 3])?,
        cstime: parse_signed(f[17 - 3])?,
        num_threads: u32::try_from(parse_signed(f[20 - 3])?).ok()?,
        starttime: n(22)?,
        vsize: n(23)?,
        rss_pages: parse_signed(f[24 - 3])?,
    })
}

/// The memory lines of `/proc/<pid>/status`, KiB. A zombie (or kernel
/// thread) has no `Vm*` lines: they read as 0.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct StatusFields {
    pub vm_rss_kb: u64,
    pub vm_hwm_kb: u64,
    pub rss_anon_kb: u64,
    pub rss_file_kb: u64,
    pub rss_shmem_kb: u64,
    pub vm_swap_kb: u64,
    pub threads: u32,
}

fn kb_value(rest: &[u8]) -> Option<u64> {
    rest.split(|&b| b == b' ' || b == b'\t')
        .find(|f| !f.is_empty())
        .and_then(parse_u64)
}

pub fn parse_status(status: &[u8]) -> StatusFields {
    let mut s = StatusFields::default();
    for line in status.split(|&b| b == b'\n') {
        let Some(colon) = line.iter().position(|&b| b == b':') else {
            continue;
        };
        let (key, rest) = (&line[..colon], &line[colon + 1..]);
        let slot = match key {
            b"VmRSS" => &mut s.vm_rss_kb,
            b"VmHWM" => &mut s.vm_hwm_kb,
            b"RssAnon" => &mut s.rss_anon_kb,
            b"RssFile" => &mut s.rss_file_kb,
            b"RssShmem" => &mut s.rss_shmem_kb,
            b"VmSwap" => &mut s.vm_swap_kb,
            b"Threads" => {
                s.threads = kb_value(rest)
                    .and_then(|v| u32::try_from(v).ok())
                    .unwrap_or(0);
                continue;
            }
            _ => continue,
        };
        *slot = kb_value(rest).unwrap_or(0);
    }
    s
}

/// `/proc/<pid>/io` (unknown lines ignored).
pub fn parse_io(io: &[u8]) -> IoSample {
    let mut s = IoSample::default();
    for line in io.split(|&b| b == b'\n') {
        let Some(colon) = line.iter().position(|&b| b == b':') else {
            continue;
        };
        let value = kb_value(&line[colon + 1..]).unwrap_or(0);
        match &line[..colon] {
            b"rchar" => s.rchar = value,
            b"wchar" => s.wchar = value,
            b"syscr" => s.syscr = value,
            b"syscw" => s.syscw = value,
            b"read_bytes" => s.read_bytes = value,
            b"write_bytes" => s.write_bytes = value,
            _ => {}
        }
    }
    s
}

/// `Pss:` of `/proc/<pid>/smaps_rollup`, KiB.
pub fn parse_smaps_rollup_pss_kb(smaps: &[u8]) -> Option<u64> {
    smaps_rollup_kb(smaps, b"Pss:")
}

/// `Rss:` of `/proc/<pid>/smaps_rollup`, KiB: the RSS of the same walk of
/// the memory map as its `Pss:`.
pub fn parse_smaps_rollup_rss_kb(smaps: &[u8]) -> Option<u64> {
    smaps_rollup_kb(smaps, b"Rss:")
}

fn smaps_rollup_kb(smaps: &[u8], field: &[u8]) -> Option<u64> {
    smaps
        .split(|&b| b == b'\n')
        .find_map(|line| line.strip_prefix(field).and_then(kb_value))
}

/// Pids listed in a `task/<tid>/children` file.
pub fn parse_children(text: &[u8], out: &mut Vec<i32>) {
    out.extend(
        text.split(|&b| b == b' ' || b == b'\n')
            .filter_map(|f| parse_u64(f).and_then(|v| i32::try_from(v).ok())),
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/proc");

    fn fixture(rel: &str) -> Vec<u8> {
        std::fs::read(format!("{FIXTURES}/{rel}")).expect("fixture file")
    }

    #[test]
    fn parses_every_stat_field() {
        let stat = fixture("4242/stat");
        assert_eq!(stat_comm(&stat), Some("lmp (rank) 0"));
        let s = parse_stat(&stat).expect("stat");
        assert_eq!(
            s,
            StatFields {
                state: b'R',
                ppid: 4241,
                minflt: 15_000,
                majflt: 3,
                utime: 1234,
                stime: 56,
                cutime: 78,
                cstime: 9,
                num_threads: 4,
                starttime: 987_654,
                vsize: 1_073_741_824,
                rss_pages: 25_600,
            }
        );
    }

    #[test]
    fn stat_of_a_vanished_or_garbled_process_is_none() {
        assert_eq!(parse_stat(b""), None);
        assert_eq!(parse_stat(b"12 (sh) S 1 2"), None);
        let s = parse_stat(b"5 (x) Z 1 5 5 0 -1 4 0 0 0 0 0 0 -3 0 20 0 1 0 77 0 0\n")
            .expect("zombie stat");
        assert_eq!(
            (s.state, s.cutime, s.starttime, s.rss_pages),
            (b'Z', 0, 77, 0)
        );
    }

    #[test]
    fn parses_every_status_field() {
        let s = parse_status(&fixture("4242/status"));
        assert_eq!(
            s,
            StatusFields {
                vm_rss_kb: 102_400,
                vm_hwm_kb: 524_800,
                rss_anon_kb: 100_000,
                rss_file_kb: 2_300,
                rss_shmem_kb: 100,
                vm_swap_kb: 64,
                threads: 4,
            }
        );
        // A zombie has no memory lines.
        let z = parse_status(b"Name:\tx\nState:\tZ (zombie)\nThreads:\t1\n");
        assert_eq!((z.vm_rss_kb, z.vm_hwm_kb, z.threads), (0, 0, 1));
    }

    #[test]
    fn parses_every_io_field() {
        let io = parse_io(&fixture("4242/io"));
        assert_eq!(
            io,
            IoSample {
                rchar: 3924,
                wchar: 1218,
                syscr: 9,
                syscw: 4,
                read_bytes: 4096,
                write_bytes: 8192,
            }
        );
    }

    #[test]
    fn parses_pss_and_children() {
        assert_eq!(
            parse_smaps_rollup_pss_kb(&fixture("4242/smaps_rollup")),
            Some(81_920)
        );
        assert_eq!(
            parse_smaps_rollup_rss_kb(&fixture("4242/smaps_rollup")),
            Some(102_400)
        );
        assert_eq!(parse_smaps_rollup_pss_kb(b"Rss: 10 kB\n"), None);
        let mut kids = Vec::new();
        parse_children(b"4243 4250 \n", &mut kids);
        parse_children(b"", &mut kids);
        assert_eq!(kids, vec![4243, 4250]);
    }
}
