//! The log sanitiser on arbitrary bytes, decoded the way the SSH line splitter does (lossily).
//!
//! Its doc comment promises that every control character becomes visible: so no C0/C1 control,
//! DEL or bidi/zero-width formatting character may survive, every other character keeps its
//! place, and a second pass has nothing left to do (idempotence follows from the first).
#![no_main]

use libfuzzer_sys::fuzz_target;
use opsconsole::sanitize::{sanitize, sanitize_owned};
use opsconsole_fuzz::{assert_terminal_safe, is_unsafe};
use std::borrow::Cow;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let out = sanitize(&text);

    assert_terminal_safe("sanitize", &out, &[]);
    assert!(!out.contains('\x1b'), "ESC survived");

    // Borrowed exactly when there was nothing to do (a tab is rewritten to a space).
    let untouched = !text.chars().any(|c| c == '\t' || is_unsafe(c));
    assert_eq!(matches!(out, Cow::Borrowed(_)), untouched, "{text:?}");

    keeps_printable_in_order(&text, &out);

    let twice = sanitize(&out);
    assert!(
        matches!(twice, Cow::Borrowed(_)),
        "second pass changed {out:?}"
    );
    assert_eq!(sanitize_owned(text.to_string()), *out);
});

/// Every safe input character (a tab as its space) appears in the output, in order, and the
/// output grows only by the escapes: at most 10 characters (`\u{10ffff}`) per unsafe one.
fn keeps_printable_in_order(text: &str, out: &str) {
    let mut rest = out.chars();
    let mut escaped = 0usize;
    for c in text.chars() {
        let want = match c {
            '\t' => ' ',
            c if is_unsafe(c) => {
                escaped += 1;
                continue;
            }
            c => c,
        };
        assert!(
            rest.any(|o| o == want),
            "{want:?} lost or out of order: {text:?} -> {out:?}"
        );
    }
    let kept = text.chars().count() - escaped;
    assert!(
        out.chars().count() <= kept + 10 * escaped,
        "output grew more than its escapes: {text:?} -> {out:?}"
    );
}
