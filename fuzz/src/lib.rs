//! Shared by the fuzz targets: what "safe for a terminal" means, stated once, and the
//! fuzzer-built world the snapshot target renders.

pub mod world;

/// Characters remote text must never bring to a terminal raw: every `char::is_control` (C0,
/// DEL, C1) and the bidi / zero-width formatting characters `opsconsole::sanitize` promises to
/// escape (a bidi override can make a line read backwards).
pub fn is_unsafe(c: char) -> bool {
    c.is_control()
        || matches!(c,
            '\u{200B}'..='\u{200F}'
            | '\u{202A}'..='\u{202E}'
            | '\u{2060}'..='\u{2069}'
            | '\u{FEFF}'
            | '\u{061C}')
}

/// Panics, naming the character and its surroundings, if `text` holds an unsafe character
/// other than those in `allowed` (e.g. the newlines between the lines of a report).
pub fn assert_terminal_safe(what: &str, text: &str, allowed: &[char]) {
    if let Some((at, c)) = text
        .char_indices()
        .find(|&(_, c)| is_unsafe(c) && !allowed.contains(&c))
    {
        let start = text.floor_char_boundary(at.saturating_sub(40));
        let end = text.ceil_char_boundary((at + 40).min(text.len()));
        panic!(
            "{what}: raw {c:?} (U+{:04X}) at byte {at}, in {:?}",
            c as u32,
            &text[start..end]
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn knows_the_dangerous_characters() {
        for c in [
            '\x1b', '\x07', '\x7f', '\u{9b}', '\u{202e}', '\u{2066}', '\u{feff}',
        ] {
            assert!(is_unsafe(c), "{c:?}");
        }
        for c in ['a', ' ', '\\', 'é', '日', '\u{a0}'] {
            assert!(!is_unsafe(c), "{c:?}");
        }
    }
}
