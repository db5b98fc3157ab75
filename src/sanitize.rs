//! Makes remote text safe for a terminal: every control character becomes visible.
//!
//! Log lines, WAF sampled URIs and headers, resource names and tags are attacker-controlled. A raw
//! ESC could move the cursor, retitle the window or rewrite the clipboard (OSC 52); a bidi override
//! could make a line read backwards. Replacing the introducer with a visible escape (`\x1b`)
//! neutralises the whole sequence: what follows it is then plain printable text.

use std::borrow::Cow;

/// Returns `text` with C0/C1 controls, DEL and bidi/invisible formatting characters shown as
/// escapes (`\x1b`, `\u{202e}`). Tabs become a single space so columns stay predictable.
pub fn sanitize(text: &str) -> Cow<'_, str> {
    if !text.chars().any(needs_escape) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        if c == '\t' {
            out.push(' ');
        } else if needs_escape(c) {
            push_escape(&mut out, c);
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

/// Convenience for owned strings arriving from a source.
pub fn sanitize_owned(text: String) -> String {
    match sanitize(&text) {
        Cow::Borrowed(_) => text,
        Cow::Owned(s) => s,
    }
}

fn needs_escape(c: char) -> bool {
    c.is_control() || is_invisible_format(c)
}

/// Bidi embeddings/overrides/isolates, directional marks and other zero-width formatting that can
/// disguise what a line says.
fn is_invisible_format(c: char) -> bool {
    matches!(c,
        '\u{200B}'..='\u{200F}'
        | '\u{202A}'..='\u{202E}'
        | '\u{2060}'..='\u{2069}'
        | '\u{FEFF}'
        | '\u{061C}')
}

fn push_escape(out: &mut String, c: char) {
    use std::fmt::Write;
    let code = c as u32;
    // Writing to a String cannot fail.
    let _ = if code <= 0xFF {
        write!(out, "\\x{code:02x}")
    } else {
        write!(out, "\\u{{{code:04x}}}")
    };
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_text_is_borrowed_unchanged() {
        assert!(matches!(sanitize("GET /index.html 200"), Cow::Borrowed(_)));
        assert_eq!(sanitize("日本語 ok"), "日本語 ok");
    }

    #[test]
    fn escape_sequences_become_visible() {
        assert_eq!(sanitize("\x1b[31mred\x1b[0m"), "\\x1b[31mred\\x1b[0m");
        assert_eq!(
            sanitize("\x1b]52;c;ZXZpbA==\x07"),
            "\\x1b]52;c;ZXZpbA==\\x07"
        );
        assert_eq!(sanitize("a\u{9b}2Jb"), "a\\x9b2Jb");
        assert_eq!(sanitize("a\rb\nc\x7f"), "a\\x0db\\x0ac\\x7f");
    }

    #[test]
    fn bidi_overrides_become_visible() {
        assert_eq!(sanitize("user\u{202e}gpj.exe"), "user\\u{202e}gpj.exe");
        assert_eq!(sanitize("a\u{2066}b"), "a\\u{2066}b");
    }

    #[test]
    fn tabs_become_spaces() {
        assert_eq!(sanitize("a\tb"), "a b");
    }

    #[test]
    fn output_never_holds_a_control_character() {
        let all: String = (0u32..0x3000).filter_map(char::from_u32).collect();
        let clean = sanitize(&all);
        assert!(
            !clean
                .chars()
                .any(|c| c.is_control() || is_invisible_format(c))
        );
    }
}
