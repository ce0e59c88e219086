//! The read model's fast path: the keys [`super::view`] reads, read
//! straight from the line into its raw form, without cutting the line
//! ([`super::skim`]) and handing the cut to serde. The skim's cut is
//! small, but serde re-tokenises it, allocates per key and checks it as
//! UTF-8 once more; this walk reads each wanted value where it lies and
//! steps over the rest with the skim's own SIMD step, so a line is
//! crossed once.
//!
//! It reads only what it is sure of: the values and types the records
//! profrun writes hold, read to exactly what serde makes of them
//! ([`super::scalar`]). Anything else (an escape, a field of an unexpected
//! type, a duplicate key, a line the skim cannot cut) is `None`, and the
//! line goes to the skim and serde as before, which read it or say why it
//! is bad. The parts serde checks strictly (the kept blocks such as
//! `gpu_stats`) are stepped over strictly here too, and the parts the skim
//! only checks for shape (the time series) only for shape, so a line reads
//! the same, or is just as bad, on either path.

use super::lenient::{MeanFigure, Num, Obj, Text};
use super::scalar::{self, kind, Kind, Number};
use super::skim::Cursor;
use super::view::{
    MeanNvidia, RawAnalysis, RawDetailed, RawGpu, RawHost, RawIo, RawProcessMemory, RawSignal,
    RawSlurm, RawUsage, RawView,
};
use std::collections::BTreeMap;

/// `line` (trimmed, as `from_line` gets it) as the raw view, or `None`
/// when the serde path must decide.
pub(super) fn project(line: &[u8]) -> Option<RawView> {
    let mut c = Cursor::new(line);
    let mut seen = Seen::default();
    let mut r = Partial::default();
    cut_fields(&mut c, |c, key| match key {
        b"schema_version" => seen.set(0, &mut r.schema_version, opt_u64(c)?),
        b"task_id" => seen.set(1, &mut r.task_id, Some(req_string(c)?)),
        b"tool" => seen.set(2, &mut r.tool, opt_string(c)?),
        b"script" => seen.set(3, &mut r.script, opt_string(c)?),
        b"status" => seen.set(4, &mut r.status, Some(req_string(c)?)),
        b"returncode" => seen.set(5, &mut r.returncode, opt_i64(c)?),
        b"exit_code" => seen.set(6, &mut r.exit_code, opt_i64(c)?),
        b"signal" => seen.set(7, &mut r.signal, signal(c)?),
        b"start_time" => seen.set(8, &mut r.start_time, Some(req_string(c)?)),
        b"end_time" => seen.set(9, &mut r.end_time, opt_string(c)?),
        b"duration_seconds" => seen.set(10, &mut r.duration_seconds, opt_f64(c)?),
        b"command" => seen.set(11, &mut r.command, command(c)?),
        b"tags" => seen.set(12, &mut r.tags, tags(c)?),
        b"host" => seen.set(13, &mut r.host, host(c)?),
        b"resource_usage" => seen.set(14, &mut r.resource_usage, usage(c)?),
        b"detailed_profile" => seen.set(15, &mut r.detailed_profile, detailed(c)?),
        b"slurm" => seen.set(16, &mut r.slurm, slurm(c)?),
        b"analysis" => seen.set(17, &mut r.analysis, analysis(c)?),
        _ => c.value().map(|_| ()),
    })?;
    c.ws();
    if c.i != line.len() {
        return None;
    }
    Some(RawView {
        schema_version: r.schema_version,
        task_id: r.task_id?,
        tool: r.tool,
        script: r.script,
        status: r.status?,
        returncode: r.returncode,
        exit_code: r.exit_code,
        signal: r.signal,
        start_time: r.start_time?,
        end_time: r.end_time,
        duration_seconds: r.duration_seconds,
        command: r.command,
        tags: r.tags,
        host: r.host,
        resource_usage: r.resource_usage,
        detailed_profile: r.detailed_profile,
        slurm: r.slurm,
        analysis: r.analysis,
    })
}

/// The top-level fields read so far.
#[derive(Default)]
struct Partial {
    schema_version: Option<u64>,
    task_id: Option<String>,
    tool: Option<String>,
    script: Option<String>,
    status: Option<String>,
    returncode: Option<i64>,
    exit_code: Option<i64>,
    signal: Option<RawSignal>,
    start_time: Option<String>,
    end_time: Option<String>,
    duration_seconds: Option<f64>,
    command: Option<Vec<String>>,
    tags: Obj<BTreeMap<String, Text>>,
    host: Obj<RawHost>,
    resource_usage: Option<RawUsage>,
    detailed_profile: Obj<RawDetailed>,
    slurm: Obj<RawSlurm>,
    analysis: Obj<RawAnalysis>,
}

/// The fields of one object seen so far: serde rejects a field given twice.
#[derive(Default)]
struct Seen(u32);

impl Seen {
    fn set<T>(&mut self, bit: u32, slot: &mut T, value: T) -> Option<()> {
        if self.0 & (1 << bit) != 0 {
            return None;
        }
        self.0 |= 1 << bit;
        *slot = value;
        Some(())
    }
}

/// The members of an object that the skim cuts (the top level and the
/// blocks it reads some keys of): keys as the skim reads them; `each`
/// reads or steps over the value (with [`Cursor::value`], as the skim).
fn cut_fields(
    c: &mut Cursor,
    mut each: impl FnMut(&mut Cursor, &[u8]) -> Option<()>,
) -> Option<()> {
    if scalar::open(c, b'{', b'}')? {
        loop {
            let key = c.key()?;
            each(c, key)?;
            if !scalar::more(c, b'}')? {
                break;
            }
        }
    }
    Some(())
}

/// The members of an object the skim keeps whole, so serde reads it all:
/// keys checked as serde checks them; `each` steps over the values it does
/// not read with [`scalar::strict_skip`].
fn kept_fields(
    c: &mut Cursor,
    mut each: impl FnMut(&mut Cursor, &[u8]) -> Option<()>,
) -> Option<()> {
    if scalar::open(c, b'{', b'}')? {
        loop {
            let key = scalar::map_key(c)?;
            each(c, key)?;
            if !scalar::more(c, b'}')? {
                break;
            }
        }
    }
    Some(())
}

fn opt_string(c: &mut Cursor) -> Option<Option<String>> {
    match kind(c)? {
        Kind::Null => scalar::null(c).map(|()| None),
        Kind::String => scalar::string(c).map(|s| Some(s.to_string())),
        _ => None,
    }
}

fn req_string(c: &mut Cursor) -> Option<String> {
    scalar::string(c).map(str::to_string)
}

fn opt_number(c: &mut Cursor) -> Option<Option<Number>> {
    match kind(c)? {
        Kind::Null => scalar::null(c).map(|()| None),
        Kind::Number => scalar::number(c).map(Some),
        _ => None,
    }
}

fn opt_f64(c: &mut Cursor) -> Option<Option<f64>> {
    Some(opt_number(c)?.map(Number::as_f64))
}

fn opt_i64(c: &mut Cursor) -> Option<Option<i64>> {
    match opt_number(c)? {
        None => Some(None),
        Some(Number::U64(n)) => i64::try_from(n).ok().map(Some),
        Some(Number::I64(n)) => Some(Some(n)),
        Some(Number::F64(_)) => None,
    }
}

fn opt_u64(c: &mut Cursor) -> Option<Option<u64>> {
    match opt_number(c)? {
        None => Some(None),
        Some(Number::U64(n)) => Some(Some(n)),
        Some(_) => None,
    }
}

/// A value serde's lenient types turn into "absent": checked as serde
/// checks it, then dropped.
fn absent(c: &mut Cursor) -> Option<()> {
    scalar::strict_skip(c)
}

/// [`Num`]: a number, or absent for any other value.
fn num(c: &mut Cursor) -> Option<Num> {
    if kind(c)? == Kind::Number {
        return Some(Num(Some(scalar::number(c)?.as_f64())));
    }
    absent(c).map(|()| Num(None))
}

/// [`Text`]: a string, a number as serde writes it out, or absent.
fn text(c: &mut Cursor) -> Option<Text> {
    Some(Text(match kind(c)? {
        Kind::String => Some(scalar::string(c)?.to_string()),
        Kind::Number => Some(match scalar::number(c)? {
            Number::U64(n) => n.to_string(),
            Number::I64(n) => n.to_string(),
            Number::F64(x) => x.to_string(),
        }),
        _ => {
            absent(c)?;
            None
        }
    }))
}

/// [`Obj`]: the object read by `read`, or absent for any other value.
fn obj<T>(c: &mut Cursor, read: impl FnOnce(&mut Cursor) -> Option<T>) -> Option<Obj<T>> {
    if kind(c)? == Kind::Object {
        return read(c).map(|v| Obj(Some(v)));
    }
    absent(c).map(|()| Obj(None))
}

fn signal(c: &mut Cursor) -> Option<Option<RawSignal>> {
    match kind(c)? {
        Kind::Null => scalar::null(c).map(|()| None),
        Kind::Object => {
            let (mut seen, mut name) = (Seen::default(), None);
            kept_fields(c, |c, key| match key {
                b"name" => seen.set(0, &mut name, opt_string(c)?),
                _ => scalar::strict_skip(c),
            })?;
            Some(Some(RawSignal { name }))
        }
        // serde reads a struct from an array too, by position: left to it.
        _ => None,
    }
}

fn command(c: &mut Cursor) -> Option<Option<Vec<String>>> {
    match kind(c)? {
        Kind::Null => scalar::null(c).map(|()| None),
        Kind::Array => {
            let mut out = Vec::new();
            if scalar::open(c, b'[', b']')? {
                loop {
                    out.push(req_string(c)?);
                    if !scalar::more(c, b']')? {
                        break;
                    }
                }
            }
            Some(Some(out))
        }
        _ => None,
    }
}

fn tags(c: &mut Cursor) -> Option<Obj<BTreeMap<String, Text>>> {
    obj(c, |c| {
        let mut out = BTreeMap::new();
        if scalar::open(c, b'{', b'}')? {
            loop {
                let key = std::str::from_utf8(scalar::map_key(c)?).ok()?.to_string();
                // A key given twice: the last value, as serde's map.
                out.insert(key, text(c)?);
                if !scalar::more(c, b'}')? {
                    break;
                }
            }
        }
        Some(out)
    })
}

fn host(c: &mut Cursor) -> Option<Obj<RawHost>> {
    obj(c, |c| {
        let (mut seen, mut h) = (Seen::default(), RawHost::default());
        cut_fields(c, |c, key| match key {
            b"hostname" => seen.set(0, &mut h.hostname, text(c)?),
            b"cpus_available" => seen.set(1, &mut h.cpus_available, num(c)?),
            _ => c.value().map(|_| ()),
        })?;
        Some(h)
    })
}

fn usage(c: &mut Cursor) -> Option<Option<RawUsage>> {
    match kind(c)? {
        Kind::Null => scalar::null(c).map(|()| None),
        Kind::Object => {
            let (mut seen, mut u) = (Seen::default(), RawUsage::default());
            cut_fields(c, |c, key| match key {
                b"cpu_total_seconds" => seen.set(0, &mut u.cpu_total_seconds, opt_f64(c)?),
                b"cpu_user_seconds" => seen.set(1, &mut u.cpu_user_seconds, opt_f64(c)?),
                b"cpu_system_seconds" => seen.set(2, &mut u.cpu_system_seconds, opt_f64(c)?),
                b"memory_peak_mb" => seen.set(3, &mut u.memory_peak_mb, opt_f64(c)?),
                b"read_bytes" => seen.set(4, &mut u.read_bytes, opt_f64(c)?),
                b"write_bytes" => seen.set(5, &mut u.write_bytes, opt_f64(c)?),
                _ => c.value().map(|_| ()),
            })?;
            Some(Some(u))
        }
        _ => None,
    }
}

fn detailed(c: &mut Cursor) -> Option<Obj<RawDetailed>> {
    obj(c, |c| {
        let (mut seen, mut d) = (Seen::default(), RawDetailed::default());
        cut_fields(c, |c, key| match key {
            b"io_stats" => seen.set(0, &mut d.io_stats, io(c)?),
            b"process_memory" => seen.set(1, &mut d.process_memory, process_memory(c)?),
            b"gpu_stats" => seen.set(2, &mut d.gpu_stats, gpu(c)?),
            b"memory_efficiency" => seen.set(3, &mut d.memory_efficiency, num(c)?),
            _ => c.value().map(|_| ()),
        })?;
        Some(d)
    })
}

fn io(c: &mut Cursor) -> Option<Obj<RawIo>> {
    obj(c, |c| {
        let (mut seen, mut io) = (Seen::default(), RawIo::default());
        kept_fields(c, |c, key| match key {
            b"read_mb" => seen.set(0, &mut io.read_mb, num(c)?),
            b"write_mb" => seen.set(1, &mut io.write_mb, num(c)?),
            _ => scalar::strict_skip(c),
        })?;
        Some(io)
    })
}

fn process_memory(c: &mut Cursor) -> Option<Obj<RawProcessMemory>> {
    obj(c, |c| {
        let (mut seen, mut m) = (Seen::default(), RawProcessMemory::default());
        kept_fields(c, |c, key| match key {
            b"max_mb" => seen.set(0, &mut m.max_mb, num(c)?),
            _ => scalar::strict_skip(c),
        })?;
        Some(m)
    })
}

fn gpu(c: &mut Cursor) -> Option<Obj<RawGpu>> {
    obj(c, |c| {
        let (mut seen, mut g) = (Seen::default(), RawGpu::default());
        kept_fields(c, |c, key| match key {
            b"nvidia" => seen.set(0, &mut g.nvidia, nvidia(c)?),
            _ => scalar::strict_skip(c),
        })?;
        Some(g)
    })
}

/// `gpu_stats.nvidia` as one object; a list of devices is left to serde.
fn nvidia(c: &mut Cursor) -> Option<MeanNvidia> {
    match kind(c)? {
        Kind::Object => {
            let (mut seen, mut mean) = (Seen::default(), MeanFigure::default());
            kept_fields(c, |c, key| match key {
                b"gpu_utilization_percent" => seen.set(0, &mut mean, mean_figure(c)?),
                _ => scalar::strict_skip(c),
            })?;
            Some(MeanNvidia(mean.0))
        }
        Kind::Array => None,
        _ => absent(c).map(|()| MeanNvidia(None)),
    }
}

/// [`MeanFigure`] as a plain number (or absent); its object and list
/// forms are left to serde.
fn mean_figure(c: &mut Cursor) -> Option<MeanFigure> {
    match kind(c)? {
        Kind::Number => Some(MeanFigure(Some(scalar::number(c)?.as_f64()))),
        Kind::Object | Kind::Array => None,
        _ => absent(c).map(|()| MeanFigure(None)),
    }
}

fn slurm(c: &mut Cursor) -> Option<Obj<RawSlurm>> {
    obj(c, |c| {
        let (mut seen, mut s) = (Seen::default(), RawSlurm::default());
        cut_fields(c, |c, key| match key {
            b"job_id" => seen.set(0, &mut s.job_id, num(c)?),
            b"array_job_id" => seen.set(1, &mut s.array_job_id, num(c)?),
            b"array_task_id" => seen.set(2, &mut s.array_task_id, num(c)?),
            b"step_id" => seen.set(3, &mut s.step_id, text(c)?),
            b"procid" => seen.set(4, &mut s.procid, num(c)?),
            _ => c.value().map(|_| ()),
        })?;
        Some(s)
    })
}

fn analysis(c: &mut Cursor) -> Option<Obj<RawAnalysis>> {
    obj(c, |c| {
        let (mut seen, mut a) = (Seen::default(), RawAnalysis::default());
        cut_fields(c, |c, key| match key {
            b"bottleneck" => seen.set(0, &mut a.bottleneck, text(c)?),
            _ => c.value().map(|_| ()),
        })?;
        Some(a)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What the serde path makes of the line's cut.
    fn by_serde(line: &str) -> Option<RawView> {
        let mut cut = Vec::new();
        super::super::skim::skim(line.as_bytes(), &super::super::view::WANTED, &mut cut)?;
        serde_json::from_slice(&cut).ok()
    }

    /// Every line profrun writes (the fixtures) is read here, not handed
    /// on, and read as serde reads its cut.
    #[test]
    fn written_records_are_read_without_serde() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
        let text = std::fs::read_to_string(dir.join("real20.jsonl")).expect("fixture");
        let mut read = 0;
        for line in text.lines() {
            let got = project(line.trim().as_bytes());
            assert!(got.is_some(), "not projected: {line}");
            assert_eq!(got, by_serde(line.trim()), "{line}");
            read += 1;
        }
        assert!(read >= 1, "{read} lines");
    }

    #[test]
    fn what_it_is_not_sure_of_is_handed_on() {
        let base = r#""task_id":"a","status":"success","start_time":"2025-01-01T00:00:00Z""#;
        for extra in [
            r#""task_id":"b""#,
            r#""tool":"a\"b""#,
            r#""resource_usage":[1,2]"#,
            r#""signal":["SIGKILL"]"#,
            r#""returncode":1.0"#,
            r#""detailed_profile":{"gpu_stats":{"nvidia":[{"gpu_utilization_percent":5}]}}"#,
            r#""detailed_profile":{"gpu_stats":{"devices":[1.]}}"#,
            r#""detailed_profile":{"io_stats":{"read_mb":-0}}"#,
            r#""host":{"hostname":"n1","hostname":"n2"}"#,
        ] {
            let line = format!("{{{base},{extra}}}");
            assert_eq!(project(line.as_bytes()), None, "{line}");
        }
        // A damaged number in a block only the skim steps over is no reason.
        let line = format!(r#"{{{base},"detailed_profile":{{"timeseries":[1.,2x]}}}}"#);
        assert!(project(line.as_bytes()).is_some());
    }
}
