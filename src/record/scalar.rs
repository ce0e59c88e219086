//! The JSON values the projection ([`super::project`]) reads itself, and a
//! strict step over the ones it does not need but serde would have checked.
//! Each reader accepts only what serde_json accepts and reads it to the same
//! value (bit for bit for numbers); anything else, including much that is
//! valid (escapes, long or far-out numbers, deep nesting), is `None`: the
//! line then goes to the serde path, which decides. So a line this module
//! reads is one serde reads the same, and every doubt costs only speed.

use super::skim::{scan_string, Cursor};

/// Powers of ten that an `f64` holds exactly (serde_json's table starts
/// so; beyond them its table's entries are rounded: left to serde).
const POW10: [f64; 23] = [
    1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16,
    1e17, 1e18, 1e19, 1e20, 1e21, 1e22,
];

/// Digits kept in a significand: serde_json's u64 cannot overflow below 19.
const MAX_DIGITS: u32 = 18;

/// Nesting the strict step follows (serde's own limit is 128).
const MAX_DEPTH: u32 = 16;

/// A JSON number as serde_json reads it: an integer, or the float it
/// makes of `significand × 10^exponent` (one multiplication or division
/// by an exact power of ten, as serde_json's `f64_from_parts`).
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) enum Number {
    U64(u64),
    I64(i64),
    F64(f64),
}

impl Number {
    pub(super) fn as_f64(self) -> f64 {
        match self {
            Number::U64(n) => n as f64,
            Number::I64(n) => n as f64,
            Number::F64(x) => x,
        }
    }
}

/// A value's kind from its first byte.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) enum Kind {
    Null,
    Bool,
    Number,
    String,
    Array,
    Object,
}

pub(super) fn kind(c: &mut Cursor) -> Option<Kind> {
    Some(match c.peek()? {
        b'n' => Kind::Null,
        b't' | b'f' => Kind::Bool,
        b'"' => Kind::String,
        b'[' => Kind::Array,
        b'{' => Kind::Object,
        b'-' | b'0'..=b'9' => Kind::Number,
        _ => return None,
    })
}

fn literal(c: &mut Cursor, word: &[u8]) -> Option<()> {
    c.ws();
    let end = c.i + word.len();
    (c.b.get(c.i..end)? == word).then(|| c.i = end)
}

/// `null`.
pub(super) fn null(c: &mut Cursor) -> Option<()> {
    literal(c, b"null")
}

/// `true` or `false`.
pub(super) fn boolean(c: &mut Cursor) -> Option<bool> {
    if c.peek()? == b't' {
        literal(c, b"true").map(|()| true)
    } else {
        literal(c, b"false").map(|()| false)
    }
}

fn digits(c: &mut Cursor, acc: &mut u64, count: &mut u32) -> Option<()> {
    let start = c.i;
    let mut a = *acc;
    while let Some(d) = c.b.get(c.i).filter(|d| d.is_ascii_digit()) {
        // Wraps only past MAX_DIGITS digits, which are refused below.
        a = a.wrapping_mul(10).wrapping_add(u64::from(d - b'0'));
        c.i += 1;
    }
    let n = u32::try_from(c.i - start).unwrap_or(u32::MAX);
    *count = count.saturating_add(n);
    if n == 0 || *count > MAX_DIGITS {
        return None;
    }
    *acc = a;
    Some(())
}

/// A number in JSON's grammar, read as serde_json reads it.
pub(super) fn number(c: &mut Cursor) -> Option<Number> {
    c.ws();
    let negative = c.b.get(c.i) == Some(&b'-');
    if negative {
        c.i += 1;
    }
    let (mut sig, mut count) = (0u64, 0u32);
    if c.b.get(c.i) == Some(&b'0') {
        c.i += 1;
        // A leading zero stands alone ("01" is not JSON).
        if c.b.get(c.i).is_some_and(u8::is_ascii_digit) {
            return None;
        }
    } else {
        digits(c, &mut sig, &mut count)?;
    }
    let mut exponent: i32 = 0;
    let mut float = false;
    if c.b.get(c.i) == Some(&b'.') {
        c.i += 1;
        float = true;
        let before = count;
        // Leading zeros of the fraction count as digits too: fine, as the
        // limit is only there to keep the significand exact.
        digits(c, &mut sig, &mut count)?;
        exponent -= (count - before) as i32;
    }
    if matches!(c.b.get(c.i), Some(b'e' | b'E')) {
        c.i += 1;
        float = true;
        let sign = match c.b.get(c.i) {
            Some(b'-') => {
                c.i += 1;
                -1
            }
            Some(b'+') => {
                c.i += 1;
                1
            }
            _ => 1,
        };
        let (mut e, mut n) = (0u64, 0u32);
        digits(c, &mut e, &mut n)?;
        if n > 3 {
            return None;
        }
        exponent += sign * e as i32;
    }
    if !float {
        return Some(if !negative {
            Number::U64(sig)
        } else if sig == 0 {
            // serde_json reads "-0" as the float -0.0: leave it to serde.
            return None;
        } else {
            // At most 18 digits: fits an i64.
            Number::I64(-(sig as i64))
        });
    }
    // serde_json's `f64_from_parts` (without its `float_roundtrip`
    // feature): the significand as an f64, then one multiplication or
    // division by the power of ten; the proptest below holds the two to
    // the same bits.
    let pow = *POW10.get(exponent.unsigned_abs() as usize)?;
    let f = sig as f64;
    let f = if exponent >= 0 { f * pow } else { f / pow };
    Some(Number::F64(if negative { -f } else { f }))
}

/// A string without escapes or control characters, and valid UTF-8 (not
/// checked here when it is all ASCII, the common case: [`string`] gives it
/// as text).
pub(super) fn bytes<'a>(c: &mut Cursor<'a>) -> Option<&'a [u8]> {
    if c.peek()? != b'"' {
        return None;
    }
    let start = c.i + 1;
    let scan = scan_string(c.b, start)?;
    if c.b[scan.end] != b'"' || scan.control {
        return None;
    }
    let body = &c.b[start..scan.end];
    if scan.non_ascii {
        std::str::from_utf8(body).ok()?;
    }
    c.i = scan.end + 1;
    Some(body)
}

/// [`bytes`] as text.
pub(super) fn string<'a>(c: &mut Cursor<'a>) -> Option<&'a str> {
    std::str::from_utf8(bytes(c)?).ok()
}

/// `"key":` of an object serde reads whole: a string as above.
pub(super) fn map_key<'a>(c: &mut Cursor<'a>) -> Option<&'a [u8]> {
    let k = bytes(c)?;
    c.eat(b':')?;
    Some(k)
}

/// After a member: `true` when another follows (`,`), `false` at `}`.
pub(super) fn more(c: &mut Cursor, close: u8) -> Option<bool> {
    match c.peek()? {
        b',' => {
            c.i += 1;
            Some(true)
        }
        x if x == close => {
            c.i += 1;
            Some(false)
        }
        _ => None,
    }
}

/// Open an object or array: `true` when it has members.
pub(super) fn open(c: &mut Cursor, open: u8, close: u8) -> Option<bool> {
    c.eat(open)?;
    Some(c.eat(close).is_none())
}

/// Step over one value as serde's `IgnoredAny` would, checking it as
/// strictly: numbers in JSON's grammar, strings (keys too) without
/// escapes and in UTF-8, literals spelled out.
pub(super) fn strict_skip(c: &mut Cursor) -> Option<()> {
    skip_at(c, 0)
}

fn skip_at(c: &mut Cursor, depth: u32) -> Option<()> {
    match kind(c)? {
        Kind::Null => null(c),
        Kind::Bool => boolean(c).map(|_| ()),
        Kind::Number => number(c).map(|_| ()),
        Kind::String => bytes(c).map(|_| ()),
        Kind::Array if depth < MAX_DEPTH => {
            if open(c, b'[', b']')? {
                loop {
                    skip_at(c, depth + 1)?;
                    if !more(c, b']')? {
                        break;
                    }
                }
            }
            Some(())
        }
        Kind::Object if depth < MAX_DEPTH => {
            if open(c, b'{', b'}')? {
                loop {
                    map_key(c)?;
                    skip_at(c, depth + 1)?;
                    if !more(c, b'}')? {
                        break;
                    }
                }
            }
            Some(())
        }
        Kind::Array | Kind::Object => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn num(text: &str) -> Option<Number> {
        let mut c = Cursor::new(text.as_bytes());
        let n = number(&mut c)?;
        (c.i == text.len()).then_some(n)
    }

    /// What serde_json makes of the number, as the same variant.
    fn serde_num(text: &str) -> Option<Number> {
        let v: serde_json::Value = serde_json::from_str(text).ok()?;
        let n = v.as_number()?;
        Some(if let Some(u) = n.as_u64() {
            Number::U64(u)
        } else if let Some(i) = n.as_i64() {
            Number::I64(i)
        } else {
            Number::F64(n.as_f64()?)
        })
    }

    fn same_bits(a: Number, b: Number) -> bool {
        match (a, b) {
            (Number::F64(x), Number::F64(y)) => x.to_bits() == y.to_bits(),
            (x, y) => x == y,
        }
    }

    #[test]
    fn numbers_read_as_serde_reads_them_or_not_at_all() {
        for text in [
            "0",
            "7",
            "-9",
            "1.5",
            "-2.25",
            "1e5",
            "1E-5",
            "12.5e+3",
            "0.000123",
            "123456.12345678",
            "4242.00000001",
            "1e22",
            "9e-22",
            "0.1",
            "17976931348623157",
            "-0.5",
            "9007199254740.992",
            "23.993695606705163",
            "90071992547409.93",
        ] {
            let got = num(text).expect(text);
            let want = serde_num(text).expect(text);
            assert!(same_bits(got, want), "{text}: {got:?} vs {want:?}");
        }
        // Not JSON, or left to serde.
        for text in [
            "01",
            "-",
            "1.",
            ".5",
            "1e",
            "1e+",
            "+1",
            "-0",
            "1e400",
            "1e-23",
            "1234567890123456789",
            "0x10",
            "--1",
        ] {
            assert_eq!(num(text), None, "{text}");
        }
    }

    #[test]
    fn strings_with_escapes_or_control_characters_are_left_to_serde() {
        let s = |t: &str| string(&mut Cursor::new(t.as_bytes())).map(str::to_string);
        assert_eq!(s(r#""abc""#).as_deref(), Some("abc"));
        assert_eq!(s(r#""é x""#).as_deref(), Some("é x"));
        assert_eq!(s(r#""a\"b""#), None);
        assert_eq!(s("\"a\tb\""), None);
        assert_eq!(s(r#""open"#), None);
        let bad_utf8 = [b'"', 0xff, b'"'];
        assert_eq!(string(&mut Cursor::new(&bad_utf8)), None);
    }

    #[test]
    fn the_strict_step_accepts_only_json() {
        let ok = |t: &str| {
            let mut c = Cursor::new(t.as_bytes());
            strict_skip(&mut c).is_some() && c.i == t.len()
        };
        for good in [
            r#"{"a": [1, 2.5, null, true, false, "x"], "b": {}}"#,
            "[]",
            r#"[{"k": [[]]}]"#,
        ] {
            assert!(ok(good), "{good}");
            assert!(serde_json::from_str::<serde_json::Value>(good).is_ok());
        }
        for bad in [
            "[1, 2,]",
            r#"{"a" 1}"#,
            "[1 2]",
            "[nul]",
            "[01]",
            r#"{"a": 1,}"#,
            "[",
            r#"{1: 2}"#,
        ] {
            assert!(!ok(bad), "{bad}");
        }
        let deep = format!("{}{}", "[".repeat(20), "]".repeat(20));
        assert!(!ok(&deep));
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(5000))]

        /// Whatever number this module reads, serde reads to the same bits.
        #[test]
        fn read_numbers_are_serdes_numbers(
            int in "-?[0-9]{1,19}",
            frac in proptest::option::of("[0-9]{1,19}"),
            exp in proptest::option::of("[eE][+-]?[0-9]{1,3}"),
        ) {
            let text = format!("{int}{}{}", frac.map_or(String::new(), |f| format!(".{f}")), exp.unwrap_or_default());
            if let Some(got) = num(&text) {
                let want = serde_num(&text);
                proptest::prop_assert!(want.is_some_and(|w| same_bits(got, w)), "{text}: {got:?} vs {want:?}");
            }
        }
    }
}
