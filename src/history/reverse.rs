//! Reading a history from its end, newest line first, one block at a time:
//! `job-history --limit 10` reads a few blocks whether the file holds 100 or
//! 100 000 records. Line numbers are unknown when reading backwards, so
//! lines carry their byte offset; [`line_number_at`] turns one into a number
//! (by counting newlines before it) only when a bad line must be reported.

use std::fs::File;
use std::io::{self, Read};
use std::os::unix::fs::FileExt;
use std::path::Path;

const BLOCK: usize = 64 * 1024;

pub struct ReverseLines {
    file: File,
    /// Bytes `[0, pos)` of the file have not been read yet.
    pos: u64,
    /// Bytes `[pos, pos + end)` not yet returned; `buf[end..]` is stale.
    buf: Vec<u8>,
    end: usize,
    done: bool,
}

impl ReverseLines {
    pub fn new(file: File) -> io::Result<Self> {
        let len = file.metadata()?.len();
        let mut r = ReverseLines {
            file,
            pos: len,
            buf: Vec::new(),
            end: 0,
            done: len == 0,
        };
        if len > 0 {
            r.read_block()?;
            // The newline ending the last record ends no further line.
            if r.end > 0 && r.buf[r.end - 1] == b'\n' {
                r.end -= 1;
            }
        }
        Ok(r)
    }

    /// The file being read (for reads elsewhere in it).
    pub fn file(&self) -> &File {
        &self.file
    }

    /// The previous line (without `\n`) and its byte offset.
    pub fn next_line(&mut self) -> io::Result<Option<(&[u8], u64)>> {
        loop {
            if self.done {
                return Ok(None);
            }
            if let Some(i) = memchr::memrchr(b'\n', &self.buf[..self.end]) {
                let line_end = self.end;
                self.end = i;
                return Ok(Some((&self.buf[i + 1..line_end], self.pos + i as u64 + 1)));
            }
            if self.pos == 0 {
                self.done = true;
                return Ok(Some((&self.buf[..self.end], 0)));
            }
            self.read_block()?;
        }
    }

    /// Prepend the block before `pos` to the unreturned bytes.
    fn read_block(&mut self) -> io::Result<()> {
        let n = (self.pos as usize).min(BLOCK.max(self.end));
        let at = self.pos - n as u64;
        let mut next = vec![0; n + self.end];
        self.file.read_exact_at(&mut next[..n], at)?;
        next[n..].copy_from_slice(&self.buf[..self.end]);
        self.buf = next;
        self.end += n;
        self.pos = at;
        Ok(())
    }
}

/// The 1-based number of the line starting at byte `offset`.
pub fn line_number_at(path: &Path, offset: u64) -> io::Result<u64> {
    let mut file = File::open(path)?.take(offset);
    let mut buf = vec![0; 1 << 20];
    let mut newlines = 0u64;
    loop {
        let n = file.read(&mut buf)?;
        if n == 0 {
            return Ok(newlines + 1);
        }
        newlines += memchr::memchr_iter(b'\n', &buf[..n]).count() as u64;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn reversed(content: &[u8]) -> Vec<(Vec<u8>, u64)> {
        let mut f = tempfile::NamedTempFile::new().expect("tempfile");
        f.write_all(content).expect("write");
        let mut r = ReverseLines::new(File::open(f.path()).expect("open")).expect("new");
        let mut out = Vec::new();
        while let Some((l, off)) = r.next_line().expect("read") {
            out.push((l.to_vec(), off));
        }
        out
    }

    #[test]
    fn newest_first_with_offsets() {
        let out = reversed(b"a\n\nbcd\n");
        let want: Vec<(Vec<u8>, u64)> =
            vec![(b"bcd".to_vec(), 3), (b"".to_vec(), 2), (b"a".to_vec(), 0)];
        assert_eq!(out, want);
        let out = reversed(b"a\nunterminated");
        assert_eq!(out[0], (b"unterminated".to_vec(), 2));
        assert!(reversed(b"").is_empty());
    }

    #[test]
    fn lines_across_blocks_match_a_forward_split() {
        let mut content = Vec::new();
        for i in 0..5000 {
            content.extend_from_slice(format!("line {i} {}\n", "y".repeat(i % 97)).as_bytes());
        }
        content.extend_from_slice(&vec![b'z'; BLOCK * 3]);
        content.push(b'\n');
        let out = reversed(&content);
        let mut forward: Vec<&[u8]> = content[..content.len() - 1]
            .split(|b| *b == b'\n')
            .collect();
        forward.reverse();
        assert_eq!(out.len(), forward.len());
        for ((line, off), want) in out.iter().zip(forward) {
            assert_eq!(line.as_slice(), want);
            assert_eq!(&content[*off as usize..*off as usize + line.len()], want);
        }
    }

    #[test]
    fn offsets_become_line_numbers() {
        let mut f = tempfile::NamedTempFile::new().expect("tempfile");
        f.write_all(b"a\nb\nc\n").expect("write");
        assert_eq!(line_number_at(f.path(), 0).expect("n"), 1);
        assert_eq!(line_number_at(f.path(), 4).expect("n"), 3);
    }
}
