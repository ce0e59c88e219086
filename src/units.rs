//! Human units: binary sizes (KiB, MiB, GiB) and durations ("5m 30s").

/// `1536` → `1.5 KiB`; values under 10 of a unit keep one decimal.
pub fn bytes(n: f64) -> String {
    const UNITS: [&str; 6] = ["B", "KiB", "MiB", "GiB", "TiB", "PiB"];
    if !n.is_finite() || n < 0.0 {
        return "-".to_string();
    }
    let mut v = n;
    let mut unit = 0;
    while v >= 1024.0 && unit + 1 < UNITS.len() {
        v /= 1024.0;
        unit += 1;
    }
    if unit == 0 {
        format!("{} B", v.round() as u64)
    } else if v < 10.0 {
        format!("{v:.1} {}", UNITS[unit])
    } else {
        format!("{} {}", v.round() as u64, UNITS[unit])
    }
}

/// A size given in MiB (the record's `_mb` unit).
pub fn mebibytes(mb: f64) -> String {
    bytes(mb * 1024.0 * 1024.0)
}

/// Seconds as `850 ms`, `12.4 s`, `5m 30s`, `2h 03m`, `3d 04h`.
pub fn duration(secs: f64) -> String {
    if !secs.is_finite() || secs < 0.0 {
        return "-".to_string();
    }
    if secs < 1.0 {
        return format!("{} ms", (secs * 1000.0).round() as u64);
    }
    if secs < 60.0 {
        return format!("{secs:.1} s");
    }
    let total = secs.round() as u64;
    let (d, h, m, s) = (
        total / 86_400,
        total / 3600 % 24,
        total / 60 % 60,
        total % 60,
    );
    if d > 0 {
        format!("{d}d {h:02}h")
    } else if h > 0 {
        format!("{h}h {m:02}m")
    } else {
        format!("{m}m {s:02}s")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_use_binary_units() {
        assert_eq!(bytes(512.0), "512 B");
        assert_eq!(bytes(1536.0), "1.5 KiB");
        assert_eq!(bytes(612.0 * 1048576.0), "612 MiB");
        assert_eq!(mebibytes(2867.2), "2.8 GiB");
    }

    #[test]
    fn durations_read_humanly() {
        assert_eq!(duration(0.05), "50 ms");
        assert_eq!(duration(12.41), "12.4 s");
        assert_eq!(duration(330.0), "5m 30s");
        assert_eq!(duration(7380.0), "2h 03m");
        assert_eq!(duration(90000.0), "1d 01h");
    }
}

/// Extra helpers for the query views, kept beside the units they use.
pub mod text {
    /// `f64` with at most `digits` decimals, or `-` when absent.
    pub fn opt_fixed(v: Option<f64>, digits: usize) -> String {
        match v {
            Some(x) if x.is_finite() => format!("{x:.digits$}"),
            _ => "-".to_string(),
        }
    }

    /// A percentage, `85.5 %`.
    pub fn percent(v: f64) -> String {
        if v.is_finite() {
            format!("{v:.1} %")
        } else {
            "-".to_string()
        }
    }

    /// argv as one line a shell would split back into the same words.
    pub fn shell_join(argv: &[String]) -> String {
        argv.iter()
            .map(|a| {
                let plain = !a.is_empty()
                    && a.bytes()
                        .all(|b| b.is_ascii_alphanumeric() || b"-_./=:,+@%^".contains(&b));
                if plain {
                    a.clone()
                } else {
                    format!("'{}'", a.replace('\'', r"'\''"))
                }
            })
            .collect::<Vec<_>>()
            .join(" ")
    }

    #[cfg(test)]
    mod tests {
        use super::*;

        #[test]
        fn shell_join_quotes_only_what_needs_it() {
            let argv = ["python3", "run it.py", "it's", "-n=4"].map(String::from);
            assert_eq!(shell_join(&argv), r"python3 'run it.py' 'it'\''s' -n=4");
        }
    }
}
