//! Reading a history front to back in large blocks, one line at a time,
//! without copying lines out of the block. The length is taken when the file
//! is opened: records appended while reading are left for the next command,
//! and the only line that can be incomplete is the last one.

use std::fs::File;
use std::io;
use std::os::unix::fs::FileExt;

const BLOCK: usize = 256 * 1024;

/// One line of the file, without its `\n`.
pub struct Line<'a> {
    pub bytes: &'a [u8],
    /// 1-based line number.
    pub number: u64,
    /// Byte offset of the line's first byte.
    pub offset: u64,
}

pub struct ForwardLines {
    file: File,
    buf: Vec<u8>,
    start: usize,
    end: usize,
    /// Bytes of the snapshot (or range) not yet read into `buf`.
    remaining: u64,
    /// File offset of the next byte to read into `buf` (reads are `pread`s,
    /// so several readers may share one file description).
    next_read: u64,
    /// File offset of `buf[start]`.
    offset: u64,
    number: u64,
}

impl ForwardLines {
    pub fn new(file: File) -> io::Result<Self> {
        let len = file.metadata()?.len();
        Ok(ForwardLines::range(file, 0, len))
    }

    /// The lines of bytes `start..end` of the file; `start` should be the
    /// first byte of a line. Line numbers count from 1 at `start`.
    pub fn range(file: File, start: u64, end: u64) -> Self {
        ForwardLines {
            file,
            buf: vec![0; BLOCK],
            start: 0,
            end: 0,
            remaining: end.saturating_sub(start),
            next_read: start,
            offset: start,
            number: 0,
        }
    }

    /// Lines returned so far.
    pub fn lines_read(&self) -> u64 {
        self.number
    }

    pub fn next_line(&mut self) -> io::Result<Option<Line<'_>>> {
        loop {
            if let Some(i) = memchr::memchr(b'\n', &self.buf[self.start..self.end]) {
                let (a, b) = (self.start, self.start + i);
                return Ok(Some(self.take(a, b, i + 1)));
            }
            if self.remaining == 0 {
                if self.start == self.end {
                    return Ok(None);
                }
                let (a, b) = (self.start, self.end);
                return Ok(Some(self.take(a, b, b - a)));
            }
            self.fill()?;
        }
    }

    fn take(&mut self, a: usize, b: usize, consumed: usize) -> Line<'_> {
        self.number += 1;
        let offset = self.offset;
        self.start += consumed;
        self.offset += consumed as u64;
        Line {
            bytes: &self.buf[a..b],
            number: self.number,
            offset,
        }
    }

    /// Move the partial line to the front and read the next block after it,
    /// growing the buffer when one line is longer than it.
    fn fill(&mut self) -> io::Result<()> {
        self.buf.copy_within(self.start..self.end, 0);
        self.end -= self.start;
        self.start = 0;
        if self.end == self.buf.len() {
            self.buf.resize(self.buf.len() * 2, 0);
        }
        let want = (self.buf.len() - self.end).min(self.remaining as usize);
        let n = loop {
            match self
                .file
                .read_at(&mut self.buf[self.end..self.end + want], self.next_read)
            {
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                r => break r?,
            }
        };
        self.next_read += n as u64;
        if n == 0 {
            // Truncated under us: treat what we have as the end.
            self.remaining = 0;
        }
        self.end += n;
        self.remaining -= n as u64;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn lines_of(content: &[u8]) -> Vec<(Vec<u8>, u64, u64)> {
        let mut f = tempfile::tempfile().expect("tempfile");
        f.write_all(content).expect("write");
        let mut r = ForwardLines::new(f.try_clone().expect("clone")).expect("open");
        use std::io::Seek;
        let _ = f.rewind();
        let mut out = Vec::new();
        while let Some(l) = r.next_line().expect("read") {
            out.push((l.bytes.to_vec(), l.number, l.offset));
        }
        out
    }

    #[test]
    fn a_range_starts_at_its_first_byte() {
        let mut f = tempfile::tempfile().expect("tempfile");
        f.write_all(b"a\nbcd\nef\ngh").expect("write");
        let mut r = ForwardLines::range(f, 2, 9);
        let mut out = Vec::new();
        while let Some(l) = r.next_line().expect("read") {
            out.push((l.bytes.to_vec(), l.number, l.offset));
        }
        assert_eq!(out, [(b"bcd".to_vec(), 1, 2), (b"ef".to_vec(), 2, 6)]);
        assert_eq!(r.lines_read(), 2);
    }

    #[test]
    fn lines_numbers_and_offsets() {
        let out = lines_of(b"a\n\nbcd\nlast");
        let want: Vec<(Vec<u8>, u64, u64)> = vec![
            (b"a".to_vec(), 1, 0),
            (b"".to_vec(), 2, 2),
            (b"bcd".to_vec(), 3, 3),
            (b"last".to_vec(), 4, 7),
        ];
        assert_eq!(out, want);
    }

    #[test]
    fn lines_longer_than_a_block() {
        let long = vec![b'x'; BLOCK * 2 + 17];
        let mut content = long.clone();
        content.extend_from_slice(b"\nshort\n");
        let out = lines_of(&content);
        assert_eq!(out.len(), 2);
        assert_eq!(out[0].0, long);
        assert_eq!(out[1], (b"short".to_vec(), 2, long.len() as u64 + 1));
    }
}
