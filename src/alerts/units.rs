//! Numbers with units, for rules and limits (see the module docs of
//! [`crate::alerts`]).

/// Seconds in `300s`, `5m`, `2h`, `1.5` (bare: seconds).
pub fn parse_duration(s: &str) -> Result<f64, String> {
    let (number, unit) = split_unit(s);
    let factor = match unit {
        "" | "s" => 1.0,
        "m" => 60.0,
        "h" => 3600.0,
        _ => return Err(format!("'{s}' is not a duration (use s, m or h)")),
    };
    Ok(number_of(number, s)? * factor)
}

/// Bytes in `8GiB`, `500MB`, `64MiB`, `1024` (bare: bytes).
pub fn parse_bytes(s: &str) -> Result<f64, String> {
    let (number, unit) = split_unit(s);
    let factor = match unit {
        "" | "B" => 1.0,
        "KiB" => 1024.0,
        "MiB" => 1024.0 * 1024.0,
        "GiB" => 1024.0 * 1024.0 * 1024.0,
        "TiB" => 1024.0 * 1024.0 * 1024.0 * 1024.0,
        "KB" | "kB" => 1e3,
        "MB" => 1e6,
        "GB" => 1e9,
        "TB" => 1e12,
        _ => {
            return Err(format!(
                "'{s}' is not a size (use B, KiB, MiB, GiB, TiB, KB, MB, GB or TB)"
            ))
        }
    };
    Ok(number_of(number, s)? * factor)
}

/// Percent in `90%` or `90`.
pub fn parse_percent(s: &str) -> Result<f64, String> {
    number_of(s.strip_suffix('%').unwrap_or(s), s)
}

/// Bytes per second in `100MiB/s` or `100MiB`.
pub fn parse_rate(s: &str) -> Result<f64, String> {
    parse_bytes(s.strip_suffix("/s").unwrap_or(s))
}

/// Split `12.5GiB` into `("12.5", "GiB")`.
fn split_unit(s: &str) -> (&str, &str) {
    let end = s
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(s.len());
    s.split_at(end)
}

fn number_of(number: &str, whole: &str) -> Result<f64, String> {
    match number.parse::<f64>() {
        Ok(v) if v.is_finite() && v >= 0.0 => Ok(v),
        _ => Err(format!("'{whole}' is not a number with a unit")),
    }
}

/// `8.3 GiB`, `512 MiB`, `12 B`: the largest binary unit that keeps the
/// figure at or above 1, one decimal at most.
pub fn format_bytes(bytes: f64) -> String {
    const UNITS: [&str; 5] = ["B", "KiB", "MiB", "GiB", "TiB"];
    let mut value = bytes;
    let mut unit = 0;
    while value >= 1024.0 && unit + 1 < UNITS.len() {
        value /= 1024.0;
        unit += 1;
    }
    format!("{} {}", trim(value), UNITS[unit])
}

/// `12.5 s`, `1.03 s` (two decimals at most: a 1 s limit crossed at
/// 1.03 s must not read "1 s > 1 s").
pub fn format_seconds(seconds: f64) -> String {
    format!("{} s", trim_to(seconds, 2))
}

/// One decimal, without a trailing `.0`.
pub(crate) fn trim(v: f64) -> String {
    trim_to(v, 1)
}

fn trim_to(v: f64, decimals: usize) -> String {
    let s = format!("{v:.decimals$}");
    if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_take_s_m_h_or_nothing() {
        assert_eq!(parse_duration("300s"), Ok(300.0));
        assert_eq!(parse_duration("5m"), Ok(300.0));
        assert_eq!(parse_duration("2h"), Ok(7200.0));
        assert_eq!(parse_duration("1.5"), Ok(1.5));
        assert!(parse_duration("5d").is_err());
        assert!(parse_duration("m").is_err());
    }

    #[test]
    fn sizes_are_binary_or_decimal_by_their_unit() {
        assert_eq!(parse_bytes("8GiB"), Ok(8.0 * 1024.0 * 1024.0 * 1024.0));
        assert_eq!(parse_bytes("6GB"), Ok(6e9));
        assert_eq!(parse_bytes("64MiB"), Ok(64.0 * 1024.0 * 1024.0));
        assert_eq!(parse_bytes("0"), Ok(0.0));
        assert!(parse_bytes("8gigs").is_err());
        assert!(parse_bytes("-1GiB").is_err());
    }

    #[test]
    fn figures_print_in_the_largest_fitting_unit() {
        assert_eq!(format_bytes(8.3 * 1024.0 * 1024.0 * 1024.0), "8.3 GiB");
        assert_eq!(format_bytes(8.0 * 1024.0 * 1024.0 * 1024.0), "8 GiB");
        assert_eq!(format_bytes(12.0), "12 B");
        assert_eq!(format_seconds(12.5), "12.5 s");
        assert_eq!(format_seconds(1.034), "1.03 s");
        assert_eq!(format_seconds(300.0), "300 s");
    }
}
