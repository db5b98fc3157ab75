//! Splits a byte stream into sanitised lines: partial lines wait for their end, invalid UTF-8 is
//! replaced, and overlong lines are cut so a hostile writer cannot exhaust memory. The pieces of
//! a cut line are marked as such: none of them is a whole line to read a client from.

use crate::model::Piece;
use crate::sanitize::sanitize_owned;

/// Longest line kept whole, in bytes; longer ones arrive as several pieces.
pub const MAX_LINE: usize = 64 * 1024;

/// One line as shown: whole, or a piece of a line that was too long.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Split {
    pub text: String,
    pub piece: Option<Piece>,
}

/// Holds the unfinished end of the stream between reads.
#[derive(Debug, Default)]
pub(crate) struct LineSplitter {
    partial: Vec<u8>,
    /// The line being collected already lost its start to a cut: what follows is its rest.
    cut: bool,
}

impl LineSplitter {
    /// Adds `data` and appends every line (or piece) it completes to `out`.
    pub fn push(&mut self, mut data: &[u8], out: &mut Vec<Split>) {
        while let Some(pos) = data.iter().position(|&b| b == b'\n') {
            let (line, rest) = (&data[..pos], &data[pos + 1..]);
            let continued = std::mem::take(&mut self.cut);
            if self.partial.is_empty() {
                emit(strip_cr(line), continued, out);
            } else {
                self.partial.extend_from_slice(line);
                let whole = std::mem::take(&mut self.partial);
                emit(strip_cr(&whole), continued, out);
            }
            data = rest;
        }
        self.partial.extend_from_slice(data);
        // Bounded memory: a writer that never sends a newline still gets shown, in pieces.
        while self.partial.len() > MAX_LINE {
            let cut = char_boundary(&self.partial, MAX_LINE);
            let head: Vec<u8> = self.partial.drain(..cut).collect();
            out.push(piece(&head, self.cut_piece()));
            self.cut = true;
        }
    }

    /// The unfinished last line, when the stream ends: shown rather than lost.
    pub fn finish(&mut self) -> Option<Split> {
        if self.partial.is_empty() {
            return None;
        }
        let rest = std::mem::take(&mut self.partial);
        let continued = std::mem::take(&mut self.cut);
        let mut out = Vec::with_capacity(1);
        emit(&rest, continued, &mut out);
        out.pop()
    }

    /// What the next piece cut off the collected line is.
    fn cut_piece(&self) -> Piece {
        if self.cut {
            Piece::Continuation
        } else {
            Piece::Head
        }
    }
}

/// CRLF files would otherwise end every line with a visible `\x0d`.
fn strip_cr(line: &[u8]) -> &[u8] {
    line.strip_suffix(b"\r").unwrap_or(line)
}

/// Decodes (lossily) and sanitises one piece of a cut line.
fn piece(bytes: &[u8], piece: Piece) -> Split {
    Split {
        text: sanitize_owned(String::from_utf8_lossy(bytes).into_owned()),
        piece: Some(piece),
    }
}

/// Decodes (lossily) and sanitises one line, in `MAX_LINE` pieces if it is longer. `continued`:
/// the line's start was already cut off and shown.
fn emit(mut bytes: &[u8], continued: bool, out: &mut Vec<Split>) {
    if !continued && bytes.len() <= MAX_LINE {
        out.push(Split {
            text: sanitize_owned(String::from_utf8_lossy(bytes).into_owned()),
            piece: None,
        });
        return;
    }
    let mut kind = if continued {
        Piece::Continuation
    } else {
        Piece::Head
    };
    loop {
        let cut = char_boundary(bytes, MAX_LINE);
        let (head, rest) = bytes.split_at(cut);
        out.push(piece(head, kind));
        if rest.is_empty() {
            return;
        }
        kind = Piece::Continuation;
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

    fn pieces(chunks: &[&[u8]]) -> Vec<Split> {
        let mut s = LineSplitter::default();
        let mut out = Vec::new();
        for c in chunks {
            s.push(c, &mut out);
        }
        out.extend(s.finish());
        out
    }

    fn split(chunks: &[&[u8]]) -> Vec<String> {
        pieces(chunks).into_iter().map(|s| s.text).collect()
    }

    fn kinds(chunks: &[&[u8]]) -> Vec<Option<Piece>> {
        pieces(chunks).into_iter().map(|s| s.piece).collect()
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
        assert!(out.iter().all(|l| l.text.len() <= MAX_LINE));
        assert_eq!(out.len(), 2);
    }

    /// Every piece of a cut line says it is one, however the line arrived; the lines around it
    /// stay whole, and a line of exactly the limit is not cut.
    #[test]
    fn pieces_of_a_cut_line_are_marked() {
        let mut long = b"198.51.100.7 - - [x] \"GET /".to_vec();
        long.resize(2 * MAX_LINE + 10, b'a');
        // The sender's text where the continuation starts: it reads as a combined line.
        long.truncate(MAX_LINE);
        long.extend_from_slice(b"192.0.2.66 - - [x] \"GET / HTTP/1.1\" 200 1");
        long.resize(2 * MAX_LINE + 10, b'b');
        let mut text = b"before\n".to_vec();
        text.extend_from_slice(&long);
        text.extend_from_slice(b"\nafter\n");
        let expected = vec![
            None,
            Some(Piece::Head),
            Some(Piece::Continuation),
            Some(Piece::Continuation),
            None,
        ];
        // In one read, and in reads that split the line before its newline arrives.
        assert_eq!(kinds(&[&text]), expected);
        let chunks: Vec<&[u8]> = text.chunks(4096).collect();
        assert_eq!(kinds(&chunks), expected);
        assert!(
            pieces(&chunks)[2].text.starts_with("192.0.2.66 "),
            "the continuation starts with the sender's text"
        );
        // A line cut while no newline has come, ended by the stream: its rest is a piece too.
        let unfinished = vec![b'c'; MAX_LINE + 5];
        assert_eq!(
            kinds(&[&unfinished]),
            vec![Some(Piece::Head), Some(Piece::Continuation)]
        );
        let exact = [vec![b'd'; MAX_LINE], b"\nnext\n".to_vec()].concat();
        assert_eq!(kinds(&[&exact]), vec![None, None]);
        let chunks: Vec<&[u8]> = exact.chunks(1000).collect();
        assert_eq!(kinds(&chunks), vec![None, None]);
    }
}
