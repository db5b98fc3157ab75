//! Makes remote text safe for a terminal: every control character becomes visible.
//!
//! Log lines, WAF sampled URIs and headers, resource names and tags are attacker-controlled. A raw
//! ESC could move the cursor, retitle the window or rewrite the clipboard (OSC 52); a bidi override
//! could make a line read backwards. Replacing the introducer with a visible escape (`\x1b`)
//! neutralises the whole sequence: what follows it is then plain printable text.

use std::borrow::Cow;

/// Returns `text` with C0/C1 controls, DEL and bidi/invisible formatting characters shown as
/// escapes (`\x1b`, `\u{202e}`, `\xad`). Tabs become a single space so columns stay predictable.
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
    // Printable ASCII and the Latin-1 letters before the soft hyphen: the common case, decided
    // without the table.
    if c < '\u{AD}' {
        return c.is_control();
    }
    c.is_control() || is_invisible_format(c)
}

/// Characters that show as nothing, or break a line where the terminal doesn't, so they can
/// disguise what a line says or hide text in it: every format character (Unicode category Cf:
/// bidi embeddings, overrides and isolates, directional and zero-width marks, the soft hyphen,
/// interlinear annotations, tags), the line and paragraph separators, and letters and marks
/// that render blank (Hangul fillers, the combining grapheme joiner, Khmer inherent vowels,
/// Mongolian and supplementary variation selectors). Emoji variation selectors (U+FE0E/F) are
/// kept: they only choose how the character before them looks.
fn is_invisible_format(c: char) -> bool {
    matches!(c,
        // Cf (Unicode 15.1).
        '\u{00AD}'
        | '\u{0600}'..='\u{0605}'
        | '\u{061C}'
        | '\u{06DD}'
        | '\u{070F}'
        | '\u{0890}'..='\u{0891}'
        | '\u{08E2}'
        | '\u{180E}'
        | '\u{200B}'..='\u{200F}'
        | '\u{202A}'..='\u{202E}'
        | '\u{2060}'..='\u{206F}'
        | '\u{FEFF}'
        | '\u{FFF9}'..='\u{FFFB}'
        | '\u{110BD}'
        | '\u{110CD}'
        | '\u{13430}'..='\u{1343F}'
        | '\u{1BCA0}'..='\u{1BCA3}'
        | '\u{1D173}'..='\u{1D17A}'
        // Tags: the whole block, so hidden text spelled in them is shown.
        | '\u{E0000}'..='\u{E007F}'
        // Line and paragraph separators.
        | '\u{2028}'..='\u{2029}'
        // Blank letters and marks.
        | '\u{115F}'..='\u{1160}'
        | '\u{3164}'
        | '\u{FFA0}'
        | '\u{034F}'
        | '\u{17B4}'..='\u{17B5}'
        | '\u{180B}'..='\u{180D}'
        | '\u{180F}'
        | '\u{E0100}'..='\u{E01EF}')
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
    fn invisible_characters_become_visible() {
        assert_eq!(sanitize("pay\u{00AD}pal"), "pay\\xadpal");
        assert_eq!(sanitize("a\u{2028}b\u{2029}"), "a\\u{2028}b\\u{2029}");
        assert_eq!(sanitize("\u{3164}\u{115F}"), "\\u{3164}\\u{115f}");
        assert_eq!(sanitize("x\u{E0041}"), "x\\u{e0041}");
        assert_eq!(
            sanitize("\u{FFF9}a\u{FFFA}b\u{FFFB}"),
            "\\u{fff9}a\\u{fffa}b\\u{fffb}"
        );
        // Emoji keep their presentation selector.
        assert_eq!(sanitize("\u{2764}\u{FE0F}"), "\u{2764}\u{FE0F}");
    }

    #[test]
    fn output_never_holds_a_control_character() {
        let all: String = (0u32..=0x10FFFF).filter_map(char::from_u32).collect();
        let clean = sanitize(&all);
        assert!(
            !clean
                .chars()
                .any(|c| c.is_control() || is_invisible_format(c))
        );
    }
}
