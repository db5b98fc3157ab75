//! Splits a byte stream into sanitised lines: partial lines wait for their end, invalid UTF-8 is
//! replaced, and overlong lines are cut so a hostile writer cannot exhaust memory.

use crate::sanitize::sanitize_owned;

/// Longest line kept whole, in bytes; longer ones arrive as several entries.
pub const MAX_LINE: usize = 64 * 1024;

/// Holds the unfinished end of the stream between reads.
#[derive(Debug, Default)]
pub(crate) struct LineSplitter {
    partial: Vec<u8>,
}

impl LineSplitter {
    /// Adds `data` and appends every line it completes to `out`.
    pub fn push(&mut self, mut data: &[u8], out: &mut Vec<String>) {
        while let Some(pos) = data.iter().position(|&b| b == b'\n') {
            let (line, rest) = (&data[..pos], &data[pos + 1..]);
            if self.partial.is_empty() {
                emit(strip_cr(line), out);
            } else {
                self.partial.extend_from_slice(line);
                let whole = std::mem::take(&mut self.partial);
                emit(strip_cr(&whole), out);
            }
            data = rest;
        }
        self.partial.extend_from_slice(data);
        // Bounded memory: a writer that never sends a newline still gets shown, in pieces.
        while self.partial.len() >= MAX_LINE {
            let cut = char_boundary(&self.partial, MAX_LINE);
            let head: Vec<u8> = self.partial.drain(..cut).collect();
            emit(&head, out);
        }
    }

    /// The unfinished last line, when the stream ends: shown rather than lost.
    pub fn finish(&mut self) -> Option<String> {
        if self.partial.is_empty() {
            return None;
        }
        let rest = std::mem::take(&mut self.partial);
        let mut out = Vec::with_capacity(1);
        emit(&rest, &mut out);
        out.pop()
    }
}

/// CRLF files would otherwise end every line with a visible `\x0d`.
fn strip_cr(line: &[u8]) -> &[u8] {
    line.strip_suffix(b"\r").unwrap_or(line)
}

/// Decodes (lossily) and sanitises one line, in `MAX_LINE` pieces if it is longer.
fn emit(mut bytes: &[u8], out: &mut Vec<String>) {
    loop {
        let cut = if bytes.len() > MAX_LINE {
            char_boundary(bytes, MAX_LINE)
        } else {
            bytes.len()
        };
        let (head, rest) = bytes.split_at(cut);
        out.push(sanitize_owned(String::from_utf8_lossy(head).into_owned()));
        if rest.is_empty() {
            return;
        }
        bytes = rest;
    }
}

/// Where to cut `bytes` near `max` without splitting a UTF-8 sequence (so a long line of
/// non-ASCII text doesn't gain replacement characters at each cut).
fn char_boundary(bytes: &[u8], max: usize) -> usize {
    if bytes.len() <= max {
        return bytes.len();
    }
    let mut cut = max;
    // At most three continuation bytes precede a character's end in valid UTF-8.
    while cut > max.saturating_sub(3) && cut > 0 && bytes[cut] & 0xC0 == 0x80 {
        cut -= 1;
    }
    if cut == 0 { max } else { cut }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn split(chunks: &[&[u8]]) -> Vec<String> {
        let mut s = LineSplitter::default();
        let mut out = Vec::new();
        for c in chunks {
            s.push(c, &mut out);
        }
        out.extend(s.finish());
        out
    }

    #[test]
    fn partial_lines_wait_for_their_end() {
        assert_eq!(split(&[b"ab", b"c\nde", b"f\n"]), ["abc", "def"]);
        assert_eq!(split(&[b"a\r\nb\n", b"tail"]), ["a", "b", "tail"]);
        assert_eq!(split(&[b"\n\n"]), ["", ""]);
    }

    #[test]
    fn invalid_utf8_and_controls_are_made_visible() {
        assert_eq!(split(&[b"bad \xff byte\n"]), ["bad \u{fffd} byte"]);
        assert_eq!(split(&[b"\x1b]0;pwned\x07x\n"]), ["\\x1b]0;pwned\\x07x"]);
        // A C1 control split across two reads is still decoded as one character.
        assert_eq!(split(&[b"a\xc2", b"\x9bb\n"]), ["a\\x9bb"]);
    }

    #[test]
    fn overlong_lines_are_cut_at_character_boundaries() {
        let mut long = vec![b'x'; MAX_LINE - 1];
        long.extend_from_slice("é".as_bytes());
        long.extend_from_slice(b"yz\n");
        let out = split(&[&long]);
        assert_eq!(out.len(), 2);
        assert_eq!(out[0].len(), MAX_LINE - 1);
        assert_eq!(out[1], "éyz");
        // Fed in small reads, a line with no newline is still bounded.
        let mut s = LineSplitter::default();
        let mut out = Vec::new();
        for _ in 0..(3 * MAX_LINE / 1000) {
            s.push(&[b'a'; 1000], &mut out);
        }
        assert!(out.iter().all(|l| l.len() <= MAX_LINE));
        assert_eq!(out.len(), 2);
    }
}
