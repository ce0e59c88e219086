//! Cutting a history line down to the keys the read model reads, before
//! serde sees it. Most of a line's bytes are the time series and the
//! per-process lists, which no list or aggregate view reads; serde's
//! `IgnoredAny` still tokenises every number and validates every string
//! there. The skim steps over a value by its shape instead: sixty-four
//! bytes at a time, with SIMD compares (the `wide` crate), it finds the
//! quotes, backslashes and brackets as bit masks, takes the strings'
//! extent from the quotes by a prefix XOR (as simdjson does), and matches
//! only the brackets outside strings on a small stack. So the skipped
//! blocks are checked for shape (closed strings, matching brackets), not parsed: a
//! damaged number inside the time series does not make a line bad for the
//! list and aggregate views (`job-details` parses the line whole). The
//! wanted values are copied, whole, into a small object that serde then
//! reads strictly.
//!
//! A line the skim cannot cut (not an object, unbalanced, a key with an
//! escape, nesting deeper than [`MAX_DEPTH`]) is left to the full parser,
//! which then says why it is bad, so a line is classified the same either
//! way.

use wide::u8x16;

/// Deeper values are left to serde (whose own limit is 128).
const MAX_DEPTH: usize = 64;

/// Which keys to keep: top-level ones, and in some of their objects
/// (`within`: key, nested keys) some of the nested keys only.
pub struct Wanted {
    pub top: &'static [&'static str],
    pub within: &'static [(&'static str, &'static [&'static str])],
}

#[derive(Clone, Copy, PartialEq)]
enum Class {
    /// Whitespace, `,` and `:`: skipped inside a value.
    Gap,
    Open,
    Close,
    Quote,
    /// A character of a number or of `true`/`false`/`null`.
    Scalar,
    Bad,
}

const CLASS: [Class; 256] = {
    let mut t = [Class::Bad; 256];
    let gaps = b" \t\r\n,:";
    let mut i = 0;
    while i < gaps.len() {
        t[gaps[i] as usize] = Class::Gap;
        i += 1;
    }
    let scalars = b"0123456789+-.eEtrufalsn";
    let mut i = 0;
    while i < scalars.len() {
        t[scalars[i] as usize] = Class::Scalar;
        i += 1;
    }
    t[b'{' as usize] = Class::Open;
    t[b'[' as usize] = Class::Open;
    t[b'}' as usize] = Class::Close;
    t[b']' as usize] = Class::Close;
    t[b'"' as usize] = Class::Quote;
    t
};

/// A position in a line, for the skim and for the projection
/// ([`super::project`]) that reads the same keys without serde.
pub(super) struct Cursor<'a> {
    pub(super) b: &'a [u8],
    pub(super) i: usize,
}

impl<'a> Cursor<'a> {
    pub(super) fn new(b: &'a [u8]) -> Self {
        Cursor { b, i: 0 }
    }

    pub(super) fn ws(&mut self) {
        while matches!(self.b.get(self.i), Some(b' ' | b'\t' | b'\r' | b'\n')) {
            self.i += 1;
        }
    }

    pub(super) fn eat(&mut self, c: u8) -> Option<()> {
        self.ws();
        (self.b.get(self.i) == Some(&c)).then(|| self.i += 1)
    }

    pub(super) fn peek(&mut self) -> Option<u8> {
        self.ws();
        self.b.get(self.i).copied()
    }

    /// Past the string that starts at `self.i` (on its `"`).
    fn string(&mut self) -> Option<()> {
        let mut j = self.i + 1;
        loop {
            j = scan_string(self.b, j)?.end;
            if self.b[j] == b'\\' {
                j += 2;
            } else {
                self.i = j + 1;
                return Some(());
            }
        }
    }

    /// A key without escapes (the read model's keys have none).
    pub(super) fn key(&mut self) -> Option<&'a [u8]> {
        if self.peek()? != b'"' {
            return None;
        }
        let start = self.i + 1;
        let end = scan_string(self.b, start)?.end;
        if self.b[end] == b'\\' {
            return None;
        }
        self.i = end + 1;
        self.eat(b':')?;
        Some(&self.b[start..end])
    }

    /// Past the array or object that starts at `self.i`. Sixty-four bytes
    /// at a time, the quotes, backslashes and brackets become one bit each
    /// in three masks; the strings' extent follows from the quotes by a
    /// prefix XOR, so only the brackets outside strings are looked at, one
    /// by one, on a small stack.
    fn container(&mut self) -> Option<()> {
        let b = self.b;
        let mut stack = [0u8; MAX_DEPTH];
        let mut depth = 0;
        // All ones when the block starts inside a string.
        let mut in_string = 0u64;
        // 1 when the block's first byte is escaped.
        let mut escape_carry = 0u64;
        let mut i = self.i;
        while i < b.len() {
            let masks = Masks::at(b, i);
            let escaped = escaped(masks.backslash, &mut escape_carry);
            let strings = prefix_xor(masks.quote & !escaped) ^ in_string;
            in_string = ((strings as i64) >> 63) as u64;
            // The brackets outside strings, and any backslash there (bad).
            let mut brackets = (masks.bracket | masks.backslash) & !strings;
            while brackets != 0 {
                let p = i + brackets.trailing_zeros() as usize;
                brackets &= brackets - 1;
                let c = b[p];
                if c == b'\\' {
                    return None;
                }
                if c == b'{' || c == b'[' {
                    *stack.get_mut(depth)? = if c == b'{' { b'}' } else { b']' };
                    depth += 1;
                } else {
                    if depth == 0 || stack[depth - 1] != c {
                        return None;
                    }
                    depth -= 1;
                    if depth == 0 {
                        self.i = p + 1;
                        return Some(());
                    }
                }
            }
            i += 64;
        }
        None
    }

    /// Past one value of any kind; its bytes are `b[start..self.i]`.
    pub(super) fn value(&mut self) -> Option<usize> {
        self.ws();
        let start = self.i;
        let c = *self.b.get(self.i)?;
        match CLASS[usize::from(c)] {
            Class::Open => self.container()?,
            Class::Quote => self.string()?,
            Class::Scalar => {
                while self
                    .b
                    .get(self.i)
                    .is_some_and(|&c| CLASS[usize::from(c)] == Class::Scalar)
                {
                    self.i += 1;
                }
            }
            Class::Close | Class::Gap | Class::Bad => return None,
        }
        Some(start)
    }

    /// Walk an object, copying the keys `keep` accepts as `"key":value,`.
    /// `nest` is called instead for the key it names, when its value is an
    /// object.
    fn object(
        &mut self,
        keep: &[&str],
        out: &mut Vec<u8>,
        mut nest: impl FnMut(&mut Self, &[u8], &mut Vec<u8>) -> Option<bool>,
    ) -> Option<()> {
        self.eat(b'{')?;
        if self.eat(b'}').is_some() {
            return Some(());
        }
        loop {
            let key = self.key()?;
            if !nest(self, key, out)? {
                let start = self.value()?;
                if keep.iter().any(|k| k.as_bytes() == key) {
                    push_key(out, key);
                    out.extend_from_slice(&self.b[start..self.i]);
                    out.push(b',');
                }
            }
            match self.peek()? {
                b',' => self.i += 1,
                b'}' => {
                    self.i += 1;
                    return Some(());
                }
                _ => return None,
            }
        }
    }
}

/// Where a string's text (from `from`) stops: its first `"` or `\\`.
pub(super) struct StringScan {
    pub(super) end: usize,
    /// A control character (below 0x20, not allowed in a JSON string)
    /// before `end`.
    pub(super) control: bool,
    /// A byte of 0x80 or above before `end` (not ASCII).
    pub(super) non_ascii: bool,
}

/// Sixteen bytes at a time: most keys and short strings end within the
/// first sixteen, where `memchr2`'s set-up costs more than the search.
/// `None` when neither byte comes before the end of the line.
pub(super) fn scan_string(b: &[u8], from: usize) -> Option<StringScan> {
    let (mut control, mut non_ascii) = (false, false);
    let mut i = from;
    while i < b.len() {
        let x = match b.get(i..i + 16) {
            Some(s) => u8x16::new(s.try_into().unwrap_or([0; 16])),
            None => {
                // Padded with quotes: a stop found there is past the end.
                let mut w = [b'"'; 16];
                w[..b.len() - i].copy_from_slice(&b[i..]);
                u8x16::new(w)
            }
        };
        let stop = (x.simd_eq(u8x16::splat(b'"')) | x.simd_eq(u8x16::splat(b'\\'))).to_bitmask();
        // `x <= 0x1f` as `min(x, 0x1f) == x` (SSE2 has no unsigned `<`).
        let ctl = x.min(u8x16::splat(0x1f)).simd_eq(x).to_bitmask();
        let high = x.to_bitmask();
        let before = if stop == 0 {
            u32::MAX
        } else {
            (1u32 << stop.trailing_zeros()) - 1
        };
        control |= ctl & before != 0;
        non_ascii |= high & before != 0;
        if stop != 0 {
            let end = i + stop.trailing_zeros() as usize;
            return (end < b.len()).then_some(StringScan {
                end,
                control,
                non_ascii,
            });
        }
        i += 16;
    }
    None
}

/// One bit per byte of 64 bytes of a line.
struct Masks {
    quote: u64,
    backslash: u64,
    bracket: u64,
}

impl Masks {
    /// The 64 bytes from `i`, padded with NULs (not special) past the end.
    fn at(b: &[u8], i: usize) -> Masks {
        match b.get(i..i + 64) {
            Some(s) => Self::of(s),
            None => {
                let mut w = [0u8; 64];
                w[..b.len() - i].copy_from_slice(&b[i..]);
                Self::of(&w)
            }
        }
    }

    /// Sixteen bytes at a time (SSE2 on x86-64, NEON on aarch64,
    /// plain code elsewhere: the `wide` crate picks).
    #[inline]
    fn of(s: &[u8]) -> Masks {
        let (mut quote, mut backslash, mut bracket) = (0, 0, 0);
        for (k, chunk) in s.chunks_exact(16).enumerate() {
            let x = u8x16::new(chunk.try_into().unwrap_or([0; 16]));
            // `[` | 0x20 is `{` and `]` | 0x20 is `}`; no other byte maps there.
            let folded = x | u8x16::splat(0x20);
            let shift = 16 * k;
            quote |= u64::from(x.simd_eq(u8x16::splat(b'"')).to_bitmask()) << shift;
            backslash |= u64::from(x.simd_eq(u8x16::splat(b'\\')).to_bitmask()) << shift;
            bracket |= u64::from(
                (folded.simd_eq(u8x16::splat(b'{')) | folded.simd_eq(u8x16::splat(b'}')))
                    .to_bitmask(),
            ) << shift;
        }
        Masks {
            quote,
            backslash,
            bracket,
        }
    }
}

/// Each bit the XOR of itself and all lower bits: 1 from an opening quote
/// up to (not including) its closing one.
fn prefix_xor(mut x: u64) -> u64 {
    x ^= x << 1;
    x ^= x << 2;
    x ^= x << 4;
    x ^= x << 8;
    x ^= x << 16;
    x ^= x << 32;
    x
}

/// The bytes escaped by a backslash (simdjson's odd-sequence method):
/// a run of backslashes escapes the byte after it when it is odd in
/// length. `carry` says whether this block's first byte is escaped, and
/// is set for the next block.
fn escaped(backslash: u64, carry: &mut u64) -> u64 {
    const EVEN: u64 = 0x5555_5555_5555_5555;
    let backslash = backslash & !*carry;
    let follows_escape = (backslash << 1) | *carry;
    let odd_starts = backslash & !EVEN & !follows_escape;
    let (even_starts, overflow) = odd_starts.overflowing_add(backslash);
    *carry = u64::from(overflow);
    (EVEN ^ (even_starts << 1)) & follows_escape
}

fn push_key(out: &mut Vec<u8>, key: &[u8]) {
    out.push(b'"');
    out.extend_from_slice(key);
    out.extend_from_slice(b"\":");
}

/// Replace a trailing `,` by `}` (or add `}` after an opening `{`).
fn close(out: &mut Vec<u8>) {
    if out.last() == Some(&b',') {
        out.pop();
    }
    out.push(b'}');
}

/// `line` as an object of only the wanted keys, written into `out`
/// (cleared first). `None` when the line is not shaped like one JSON
/// object; the caller then gives the line to the full parser.
pub(super) fn skim(line: &[u8], wanted: &Wanted, out: &mut Vec<u8>) -> Option<()> {
    out.clear();
    out.push(b'{');
    let mut c = Cursor { b: line, i: 0 };
    c.object(wanted.top, out, |c, key, out| {
        let Some((_, nested)) = wanted.within.iter().find(|(k, _)| k.as_bytes() == key) else {
            return Some(false);
        };
        if c.peek()? != b'{' {
            return Some(false);
        }
        push_key(out, key);
        out.push(b'{');
        c.object(nested, out, |_, _, _| Some(false))?;
        close(out);
        out.push(b',');
        Some(true)
    })?;
    c.ws();
    if c.i != line.len() {
        return None;
    }
    close(out);
    Some(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const WANTED: Wanted = Wanted {
        top: &["a", "s", "d"],
        within: &[("d", &["k"])],
    };

    fn skimmed(line: &str) -> Option<String> {
        let mut out = Vec::new();
        skim(line.as_bytes(), &WANTED, &mut out)?;
        Some(String::from_utf8(out).expect("utf-8"))
    }

    #[test]
    fn keeps_only_the_wanted_keys() {
        let line = r#" {"a": [1, {"x": "]}\"["}], "big": {"ts": [1.5e3, -2, null, true]},
            "d": {"k": {"n": 1}, "timeseries": [[1,2],[3]]}, "s": "t\"x"} "#;
        assert_eq!(
            skimmed(line).as_deref(),
            Some(r#"{"a":[1, {"x": "]}\"["}],"d":{"k":{"n": 1}},"s":"t\"x"}"#)
        );
        assert_eq!(
            skimmed(r#"{"d": 3, "z": {}}"#).as_deref(),
            Some(r#"{"d":3}"#)
        );
        assert_eq!(
            skimmed(r#"{"z": {"a": ["x\\", "\"]", [{}]], "b": "\\\\"}, "s": 1}"#).as_deref(),
            Some(r#"{"s":1}"#)
        );
        assert_eq!(skimmed("{}").as_deref(), Some("{}"));
    }

    #[test]
    fn lines_not_shaped_like_an_object_are_left_to_serde() {
        for line in [
            r#"{"a": [1, 2}"#,
            r#"{"a": 1"#,
            r#"{"a": "open}"#,
            r#"{"a": 1} x"#,
            r#"{"a": }"#,
            r#"{"a": 1,}"#,
            r#"{"a": [1, 2]]}"#,
            r#"{"a": [1, {"b": 2]}}"#,
            r#"{"a": [1, \"b\"]}"#,
            r#"{"a": ["x\"]}"#,
            r#"{"a\u0041": 1}"#,
            r#"[1]"#,
            "",
        ] {
            assert_eq!(skimmed(line), None, "{line}");
        }
        let deep = format!("{{\"a\":{}{}}}", "[".repeat(70), "]".repeat(70));
        assert_eq!(skimmed(&deep), None);
    }

    /// Where a container starting at `i` ends, a byte at a time: the
    /// rules the block-wise [`Cursor::container`] must follow exactly.
    fn reference_container(b: &[u8], i: usize) -> Option<usize> {
        let mut stack = Vec::new();
        let (mut in_string, mut p) = (false, i);
        while p < b.len() {
            let c = b[p];
            if in_string {
                match c {
                    b'\\' => p += 1,
                    b'"' => in_string = false,
                    _ => {}
                }
            } else {
                match c {
                    b'"' => in_string = true,
                    b'{' => stack.push(b'}'),
                    b'[' => stack.push(b']'),
                    b'}' | b']' => {
                        if stack.pop() != Some(c) {
                            return None;
                        }
                        if stack.is_empty() {
                            return Some(p + 1);
                        }
                    }
                    b'\\' => return None,
                    _ => {}
                }
            }
            if stack.len() > MAX_DEPTH {
                return None;
            }
            p += 1;
        }
        None
    }

    fn container_end(b: &[u8]) -> Option<usize> {
        let mut c = Cursor { b, i: 0 };
        c.container().map(|()| c.i)
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(3000))]

        /// Bytes drawn mostly from the ones that matter (quotes, runs of
        /// backslashes, brackets), long enough to cross several 64-byte
        /// blocks: the block-wise skip ends where the byte-wise one does.
        #[test]
        fn container_ends_where_a_byte_at_a_time_walk_ends(
            body in proptest::collection::vec(
                proptest::sample::select(b"{}[]\"\\\\ax,".to_vec()), 0..400),
            open in proptest::sample::select(b"{[".to_vec()),
        ) {
            let mut line = vec![open];
            line.extend_from_slice(&body);
            proptest::prop_assert_eq!(container_end(&line), reference_container(&line, 0));
        }

        /// The sixteen-byte string scan stops where a byte-wise one does,
        /// and sees the same control and non-ASCII bytes before it.
        #[test]
        fn string_scan_matches_a_byte_at_a_time_scan(
            bytes in proptest::collection::vec(
                proptest::sample::select(b"ab\"\\\x01\x1f \x7f\x80\xc3\xff".to_vec()), 0..70),
            from in 0usize..70,
        ) {
            let from = from.min(bytes.len());
            let want = bytes[from..].iter().position(|&c| c == b'"' || c == b'\\').map(|n| {
                let body = &bytes[from..from + n];
                (from + n, body.iter().any(|&c| c < 0x20), body.iter().any(|&c| c >= 0x80))
            });
            let got = scan_string(&bytes, from).map(|s| (s.end, s.control, s.non_ascii));
            proptest::prop_assert_eq!(got, want);
        }

        /// Real JSON values (strings with escapes and brackets in them)
        /// are stepped over whole.
        #[test]
        fn json_values_are_stepped_over_whole(
            strings in proptest::collection::vec("[a-z\"\\\\\\[\\]{}é]{0,90}", 1..12),
        ) {
            let value = serde_json::json!({"s": strings, "n": [1.5, {"t": strings.first()}]});
            let text = serde_json::to_string(&value).expect("json");
            let line = format!(r#"{{"skipped": {text}, "a": 1}}"#);
            let cut = skimmed(&line);
            proptest::prop_assert_eq!(cut.as_deref(), Some(r#"{"a":1}"#));
            proptest::prop_assert_eq!(container_end(text.as_bytes()), Some(text.len()));
        }
    }
}
