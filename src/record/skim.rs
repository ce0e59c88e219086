//! Cutting a history line down to the keys the read model reads, before
//! serde sees it. Most of a line's bytes are the time series and the
//! per-process lists, which no list or aggregate view reads; serde's
//! `IgnoredAny` still tokenises every number and validates every string
//! there. The skim steps over a value by its shape instead: eight bytes at
//! a time, it looks only at quotes, backslashes and brackets, which it
//! matches on a small stack. So the skipped blocks are
//! checked for shape (closed strings, matching brackets), not parsed: a
//! damaged number inside the time series does not make a line bad for the
//! list and aggregate views (`job-details` parses the line whole). The
//! wanted values are copied, whole, into a small object that serde then
//! reads strictly.
//!
//! A line the skim cannot cut (not an object, unbalanced, a key with an
//! escape, nesting deeper than [`MAX_DEPTH`]) is left to the full parser,
//! which then says why it is bad, so a line is classified the same either
//! way.

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

struct Cursor<'a> {
    b: &'a [u8],
    i: usize,
}

impl<'a> Cursor<'a> {
    fn ws(&mut self) {
        while matches!(self.b.get(self.i), Some(b' ' | b'\t' | b'\r' | b'\n')) {
            self.i += 1;
        }
    }

    fn eat(&mut self, c: u8) -> Option<()> {
        self.ws();
        (self.b.get(self.i) == Some(&c)).then(|| self.i += 1)
    }

    fn peek(&mut self) -> Option<u8> {
        self.ws();
        self.b.get(self.i).copied()
    }

    /// Past the string that starts at `self.i` (on its `"`).
    fn string(&mut self) -> Option<()> {
        let mut j = self.i + 1;
        loop {
            j += memchr::memchr2(b'"', b'\\', self.b.get(j..)?)?;
            if self.b[j] == b'\\' {
                j += 2;
            } else {
                self.i = j + 1;
                return Some(());
            }
        }
    }

    /// A key without escapes (the read model's keys have none).
    fn key(&mut self) -> Option<&'a [u8]> {
        if self.peek()? != b'"' {
            return None;
        }
        let start = self.i + 1;
        let len = memchr::memchr2(b'"', b'\\', self.b.get(start..)?)?;
        if self.b[start + len] == b'\\' {
            return None;
        }
        self.i = start + len + 1;
        self.eat(b':')?;
        Some(&self.b[start..start + len])
    }

    /// Past the array or object that starts at `self.i`. Eight bytes at a
    /// time, only the bytes that matter (`"`, `\\`, brackets) are looked
    /// at, one bit each in a mask: most of a time series is digits and
    /// commas.
    fn container(&mut self) -> Option<()> {
        let b = self.b;
        let mut stack = [0u8; MAX_DEPTH];
        let mut depth = 0;
        let mut in_string = false;
        // Bytes before this one are escaped or already seen.
        let mut resume = 0;
        let mut i = self.i;
        while i < b.len() {
            let (word, n) = match b.get(i..i + 8) {
                Some(w) => (w.try_into().expect("8 bytes"), 8),
                None => {
                    // The last few bytes, padded with NULs (not special).
                    let mut w = [0u8; 8];
                    w[..b.len() - i].copy_from_slice(&b[i..]);
                    (w, b.len() - i)
                }
            };
            let mut mask = special_bytes(u64::from_le_bytes(word));
            while mask != 0 {
                let p = i + (mask.trailing_zeros() / 8) as usize;
                mask &= mask - 1;
                if p < resume {
                    continue;
                }
                let c = b[p];
                if in_string {
                    match c {
                        b'\\' => resume = p + 2,
                        b'"' => in_string = false,
                        _ => {}
                    }
                    continue;
                }
                match c {
                    b'"' => in_string = true,
                    b'{' | b'[' => {
                        *stack.get_mut(depth)? = if c == b'{' { b'}' } else { b']' };
                        depth += 1;
                    }
                    b'}' | b']' => {
                        if depth == 0 || stack[depth - 1] != c {
                            return None;
                        }
                        depth -= 1;
                        if depth == 0 {
                            self.i = p + 1;
                            return Some(());
                        }
                    }
                    // A backslash outside a string.
                    _ => return None,
                }
            }
            i += n;
        }
        None
    }

    /// Past one value of any kind; its bytes are `b[start..self.i]`.
    fn value(&mut self) -> Option<usize> {
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

/// One high bit per byte of `x` that is `"`, `\\`, `[`, `]`, `{` or `}`.
fn special_bytes(x: u64) -> u64 {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const LOW7: u64 = 0x7f7f_7f7f_7f7f_7f7f;
    // Exact per byte (no borrow between bytes): high bit set where x == b.
    let equal = |x: u64, b: u8| {
        let v = x ^ (ONES * u64::from(b));
        !(((v & LOW7) + LOW7) | v) & !LOW7
    };
    // `[` | 0x20 is `{` and `]` | 0x20 is `}`; no other byte maps there.
    let folded = x | (ONES * 0x20);
    equal(x, b'"') | equal(x, b'\\') | equal(folded, b'{') | equal(folded, b'}')
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
pub fn skim(line: &[u8], wanted: &Wanted, out: &mut Vec<u8>) -> Option<()> {
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
}
