//! Properties of the log sanitiser (`opsconsole::sanitize`), on arbitrary text and on text
//! built from terminal escape sequence fragments: the CSI, OSC, DCS and 8-bit C1 forms an
//! attacker would put in a User-Agent, a URI or a resource tag.

use opsconsole::sanitize::{sanitize, sanitize_owned};
use proptest::prelude::*;
use std::borrow::Cow;

/// What the sanitiser promises to escape: every `char::is_control` (C0, DEL, C1), the bidi /
/// zero-width formatting characters, and every other character that shows as nothing or breaks
/// a line where the terminal doesn't: format characters (Unicode category Cf: soft hyphen,
/// interlinear annotations, tags …), line and paragraph separators, Hangul fillers, combining
/// marks that render blank. Written out here independently of the code under test.
fn is_unsafe(c: char) -> bool {
    c.is_control()
        || matches!(c,
            // Cf, Unicode 15.1, in code point order.
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
            | '\u{2060}'..='\u{2064}'
            | '\u{2066}'..='\u{206F}'
            | '\u{FEFF}'
            | '\u{FFF9}'..='\u{FFFB}'
            | '\u{110BD}'
            | '\u{110CD}'
            | '\u{13430}'..='\u{1343F}'
            | '\u{1BCA0}'..='\u{1BCA3}'
            | '\u{1D173}'..='\u{1D17A}'
            // Tags (the whole block), line and paragraph separators.
            | '\u{E0000}'..='\u{E007F}'
            | '\u{2028}'..='\u{2029}'
            // Blank letters and marks: Hangul fillers, combining grapheme joiner, Khmer
            // inherent vowels, Mongolian variation selectors, the variation selectors
            // supplement; and U+2065, the one unassigned code point among the invisible
            // operators (escaped with its neighbours).
            | '\u{115F}'..='\u{1160}'
            | '\u{3164}'
            | '\u{FFA0}'
            | '\u{034F}'
            | '\u{17B4}'..='\u{17B5}'
            | '\u{180B}'..='\u{180D}'
            | '\u{180F}'
            | '\u{2065}'
            | '\u{E0100}'..='\u{E01EF}')
}

/// Characters that show as nothing (or break a line): each must come out as its escape.
const INVISIBLE: &[char] = &[
    '\u{2028}',
    '\u{2029}',
    '\u{00AD}',
    '\u{180E}',
    '\u{FFF9}',
    '\u{FFFA}',
    '\u{FFFB}',
    '\u{E0001}',
    '\u{E0020}',
    '\u{E0041}',
    '\u{E007F}',
    '\u{115F}',
    '\u{1160}',
    '\u{3164}',
    '\u{FFA0}',
    '\u{034F}',
    '\u{206A}',
    '\u{206F}',
    '\u{0600}',
    '\u{1D173}',
    '\u{E0100}',
];

/// The documented visible form of one unsafe character: `\x1b` up to U+00FF, else `\u{202e}`.
fn escape_of(c: char) -> String {
    match c as u32 {
        code @ 0..=0xFF => format!("\\x{code:02x}"),
        code => format!("\\u{{{code:04x}}}"),
    }
}

/// ST: ESC \ (7-bit) or U+009C (8-bit); BEL also ends an OSC in xterm.
fn terminator() -> impl Strategy<Value = &'static str> {
    prop::sample::select(vec!["\x1b\\", "\u{9c}", "\x07"])
}

fn params() -> impl Strategy<Value = String> {
    "[0-9;?]{0,6}"
}

fn printable() -> impl Strategy<Value = String> {
    prop_oneof!["[ -~]{0,8}", "\\PC{0,4}"]
}

/// One piece of a hostile line.
fn fragment() -> BoxedStrategy<String> {
    prop_oneof![
        // CSI, 7-bit and 8-bit: cursor moves, erases, colours.
        (params(), "[@-~]").prop_map(|(p, f)| format!("\x1b[{p}{f}")),
        (params(), "[@-~]").prop_map(|(p, f)| format!("\u{9b}{p}{f}")),
        // OSC: window title, hyperlinks, clipboard (52), ended by BEL or ST.
        ("[0-9]{1,3}", printable(), terminator())
            .prop_map(|(n, t, end)| format!("\x1b]{n};{t}{end}")),
        (printable(), terminator()).prop_map(|(t, end)| format!("\u{9d}52;c;{t}{end}")),
        // DCS, 7-bit and 8-bit.
        (printable(), terminator()).prop_map(|(t, end)| format!("\x1bP{t}{end}")),
        (printable(), terminator()).prop_map(|(t, end)| format!("\u{90}{t}{end}")),
        // Lone C0 (with DEL), C1, bidi and zero-width characters.
        (0u32..0x20).prop_map(|c| char::from_u32(c).map(String::from).unwrap_or_default()),
        Just("\x7f".to_string()),
        (0x80u32..0xA0).prop_map(|c| char::from_u32(c).map(String::from).unwrap_or_default()),
        prop::sample::select(vec![
            '\u{202A}', '\u{202B}', '\u{202C}', '\u{202D}', '\u{202E}', '\u{2066}', '\u{2067}',
            '\u{2068}', '\u{2069}', '\u{200B}', '\u{200E}', '\u{200F}', '\u{FEFF}', '\u{061C}',
        ])
        .prop_map(String::from),
        prop::sample::select(INVISIBLE).prop_map(String::from),
        // A tag sequence spelling hidden text ("flag" emoji style), and any tag character.
        (0xE0000u32..=0xE007F)
            .prop_map(|c| char::from_u32(c).map(String::from).unwrap_or_default()),
        // Ordinary text, including backslashes that look like escapes already.
        printable(),
        Just("\\x1b".to_string()),
    ]
    .boxed()
}

/// Arbitrary text, or text assembled from escape fragments.
fn hostile() -> impl Strategy<Value = String> {
    prop_oneof![
        any::<String>(),
        prop::collection::vec(fragment(), 0..12).prop_map(|v| v.concat()),
    ]
}

#[test]
fn invisible_characters_come_out_as_their_escapes() {
    for &c in INVISIBLE {
        let text = format!("a{c}b");
        assert_eq!(
            sanitize(&text),
            format!("a{}b", escape_of(c)),
            "U+{:04X}",
            c as u32
        );
    }
    // Hidden text written in tag characters ("ignore previous instructions" style) is shown.
    let hidden: String = "hi"
        .chars()
        .filter_map(|c| char::from_u32(0xE0000 + c as u32))
        .collect();
    assert_eq!(sanitize(&format!("ok{hidden}")), "ok\\u{e0068}\\u{e0069}");
}

/// Every code point, in one string: nothing the promise names survives, and nothing else is
/// touched (letters, marks and symbols of every script stay as they are).
#[test]
fn every_code_point_is_kept_or_escaped_as_promised() {
    let all: String = (0u32..=0x10FFFF).filter_map(char::from_u32).collect();
    let out = sanitize(&all);
    let bad = out.chars().find(|&c| is_unsafe(c));
    assert!(bad.is_none(), "{bad:?} left");
    let expected: String = all
        .chars()
        .map(|c| match c {
            '\t' => " ".to_string(),
            c if is_unsafe(c) => escape_of(c),
            c => c.to_string(),
        })
        .collect();
    assert!(out == expected, "the escapes differ from the promise");
}

proptest! {
    #[test]
    fn output_holds_no_control_or_escape_character(text in hostile()) {
        let out = sanitize(&text);
        let bad = out.chars().find(|&c| is_unsafe(c) || c == '\x1b' || c == '\x7f');
        prop_assert!(bad.is_none(), "{:?} left in {:?}", bad, out);
    }

    #[test]
    fn printable_characters_are_kept_in_order(text in hostile()) {
        let out = sanitize(&text);
        let mut rest = out.chars();
        for c in text.chars().filter(|&c| !is_unsafe(c) || c == '\t') {
            // Tabs become one space, so columns stay predictable.
            let want = if c == '\t' { ' ' } else { c };
            prop_assert!(rest.any(|o| o == want), "{:?} lost from {:?} in {:?}", want, text, out);
        }
    }

    #[test]
    fn each_control_becomes_its_visible_escape(text in hostile()) {
        let expected: String = text
            .chars()
            .map(|c| match c {
                '\t' => " ".to_string(),
                c if is_unsafe(c) => escape_of(c),
                c => c.to_string(),
            })
            .collect();
        prop_assert_eq!(sanitize(&text), expected);
    }

    /// Not a stated goal but a consequence of the promise: the output has nothing left to
    /// escape, so cleaning text twice (a cell cleaned by the view, then by the markdown
    /// escaper) changes nothing.
    #[test]
    fn sanitising_is_idempotent(text in hostile()) {
        let once = sanitize(&text).into_owned();
        let twice = sanitize(&once);
        prop_assert!(matches!(twice, Cow::Borrowed(_)));
        prop_assert_eq!(twice.as_ref(), once.as_str());
    }

    #[test]
    fn clean_text_is_borrowed_and_owned_text_agrees(text in hostile()) {
        let out = sanitize(&text);
        let untouched = !text.chars().any(|c| c == '\t' || is_unsafe(c));
        prop_assert_eq!(matches!(out, Cow::Borrowed(_)), untouched);
        prop_assert_eq!(sanitize_owned(text.clone()), out.into_owned());
    }
}
