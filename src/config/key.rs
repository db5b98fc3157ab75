//! Key combinations as written in keymap files (`q`, `C-c`, `S-Tab`, `PageDown`) and matching
//! them against crossterm key events.

use std::fmt;
use std::str::FromStr;

use crossterm::event::{KeyCode, KeyEvent, KeyEventKind, KeyModifiers};

/// One key with its modifiers, normalised so that equal keys compare equal:
///
/// - characters never carry SHIFT: `G` is `Char('G')`, because terminals disagree on whether
///   they report SHIFT with an uppercase letter or a `?`;
/// - shift-tab is always `BackTab` without SHIFT (`S-Tab` and `BackTab` are the same key);
/// - with CONTROL, letters are lowercase: terminals cannot tell `C-d` from `C-D`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct KeyCombo {
    pub code: KeyCode,
    pub modifiers: KeyModifiers,
}

/// Why a key name was rejected; the message says what would have been accepted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyParseError {
    pub input: String,
    pub reason: String,
}

impl fmt::Display for KeyParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "bad key \"{}\": {}",
            self.input.escape_debug(),
            self.reason
        )
    }
}

impl std::error::Error for KeyParseError {}

/// Named keys and the names they are written (and displayed) with; aliases follow.
const NAMED: &[(&str, KeyCode)] = &[
    ("Tab", KeyCode::Tab),
    ("Enter", KeyCode::Enter),
    ("Esc", KeyCode::Esc),
    ("Space", KeyCode::Char(' ')),
    ("Backspace", KeyCode::Backspace),
    ("Up", KeyCode::Up),
    ("Down", KeyCode::Down),
    ("Left", KeyCode::Left),
    ("Right", KeyCode::Right),
    ("PageUp", KeyCode::PageUp),
    ("PageDown", KeyCode::PageDown),
    ("Home", KeyCode::Home),
    ("End", KeyCode::End),
    ("Delete", KeyCode::Delete),
    ("Insert", KeyCode::Insert),
    ("BackTab", KeyCode::BackTab),
    // Aliases people type without thinking.
    ("Escape", KeyCode::Esc),
    ("Return", KeyCode::Enter),
    ("PgUp", KeyCode::PageUp),
    ("PgDn", KeyCode::PageDown),
    ("Del", KeyCode::Delete),
];

const HINT: &str = "use a single character (q, ?, G), a name (Tab, S-Tab, Enter, Esc, Space, \
                    Backspace, Up, Down, Left, Right, PageUp, PageDown, Home, End, Delete, Insert, \
                    F1..F12), optionally after C- (ctrl), A- (alt) or S- (shift)";

impl KeyCombo {
    /// A combo in normal form (see the type's documentation).
    pub fn new(code: KeyCode, modifiers: KeyModifiers) -> KeyCombo {
        let mut code = code;
        let mut modifiers = modifiers;
        match code {
            KeyCode::Tab if modifiers.contains(KeyModifiers::SHIFT) => {
                code = KeyCode::BackTab;
                modifiers.remove(KeyModifiers::SHIFT);
            }
            KeyCode::BackTab => modifiers.remove(KeyModifiers::SHIFT),
            KeyCode::Char(c) => {
                if modifiers.contains(KeyModifiers::SHIFT) && c.is_lowercase() {
                    code = KeyCode::Char(c.to_uppercase().next().unwrap_or(c));
                }
                modifiers.remove(KeyModifiers::SHIFT);
                // Terminals send the same byte for C-a, C-A and C-S-a: one combo for all three
                // (so `C-S-a` displays as `C-a`, which parses back to it).
                if modifiers.contains(KeyModifiers::CONTROL) && c.is_ascii_alphabetic() {
                    code = KeyCode::Char(c.to_ascii_lowercase());
                }
            }
            _ => {}
        }
        KeyCombo { code, modifiers }
    }

    /// The combo a key event stands for.
    pub fn from_event(ev: &KeyEvent) -> KeyCombo {
        KeyCombo::new(ev.code, ev.modifiers)
    }

    /// Whether the event is this key being pressed (or auto-repeated). Releases never match, so
    /// terminals that report them (Windows, kitty protocol) do not fire actions twice.
    pub fn matches(&self, ev: &KeyEvent) -> bool {
        ev.kind != KeyEventKind::Release && KeyCombo::from_event(ev) == *self
    }

    /// Parses keymap syntax; see [`KeyCombo::from_str`].
    pub fn parse(s: &str) -> Result<KeyCombo, KeyParseError> {
        let err = |reason: String| KeyParseError {
            input: s.to_string(),
            reason,
        };
        if s.is_empty() {
            return Err(err(format!("empty key; {HINT}")));
        }

        let mut rest = s;
        let mut modifiers = KeyModifiers::NONE;
        // A prefix is only a modifier when something follows it, so "C--" is ctrl+minus.
        while rest.len() > 2 {
            let m = match rest.get(..2) {
                Some("C-") => KeyModifiers::CONTROL,
                Some("A-") => KeyModifiers::ALT,
                Some("S-") => KeyModifiers::SHIFT,
                _ => break,
            };
            if modifiers.contains(m) {
                return Err(err("modifier given twice".to_string()));
            }
            modifiers |= m;
            rest = &rest[2..];
        }

        let mut chars = rest.chars();
        let code = match (chars.next(), chars.next()) {
            (Some(c), None) => {
                if c.is_whitespace() {
                    return Err(err("write a space as \"Space\"".to_string()));
                }
                if c.is_control() {
                    return Err(err(format!("control character; {HINT}")));
                }
                if modifiers.contains(KeyModifiers::SHIFT) && !c.is_alphabetic() {
                    return Err(err(
                        "S- only combines with letters and named keys; write the shifted \
                         character itself (e.g. \"?\" rather than \"S-/\")"
                            .to_string(),
                    ));
                }
                KeyCode::Char(c)
            }
            _ => named(rest).ok_or_else(|| {
                if is_function_key_like(rest) {
                    err("function keys go from F1 to F12".to_string())
                } else {
                    err(format!("unknown key name \"{rest}\"; {HINT}"))
                }
            })?,
        };
        Ok(KeyCombo::new(code, modifiers))
    }
}

/// A named (multi-character) key, case-insensitively; `F1`..`F12` included.
fn named(name: &str) -> Option<KeyCode> {
    if let Some((_, code)) = NAMED.iter().find(|(n, _)| n.eq_ignore_ascii_case(name)) {
        return Some(*code);
    }
    let digits = name.strip_prefix('F').or_else(|| name.strip_prefix('f'))?;
    // "F01" or "F+1" would parse as numbers but are not key names.
    if digits.starts_with('0') || !digits.chars().all(|c| c.is_ascii_digit()) {
        return None;
    }
    match digits.parse::<u8>() {
        Ok(n @ 1..=12) => Some(KeyCode::F(n)),
        _ => None,
    }
}

/// `F13`, `F0`, `F01`: meant as a function key, but not one terminals send.
fn is_function_key_like(name: &str) -> bool {
    name.strip_prefix(['F', 'f'])
        .is_some_and(|d| !d.is_empty() && d.chars().all(|c| c.is_ascii_digit()))
}

impl FromStr for KeyCombo {
    type Err = KeyParseError;

    /// Single characters (`q`, `?`, `G`), named keys (`Tab`, `S-Tab`, `Enter`, `Esc`, `Space`,
    /// `Backspace`, arrows, `PageUp`, `PageDown`, `Home`, `End`, `Delete`, `Insert`, `F1`..`F12`)
    /// with optional `C-`, `A-`, `S-` prefixes.
    fn from_str(s: &str) -> Result<KeyCombo, KeyParseError> {
        KeyCombo::parse(s)
    }
}

impl fmt::Display for KeyCombo {
    /// The canonical spelling, which parses back to the same combo.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.modifiers.contains(KeyModifiers::CONTROL) {
            f.write_str("C-")?;
        }
        if self.modifiers.contains(KeyModifiers::ALT) {
            f.write_str("A-")?;
        }
        if self.modifiers.contains(KeyModifiers::SHIFT) || self.code == KeyCode::BackTab {
            f.write_str("S-")?;
        }
        match self.code {
            KeyCode::BackTab => f.write_str("Tab"),
            KeyCode::Char(' ') => f.write_str("Space"),
            KeyCode::Char(c) => write!(f, "{c}"),
            KeyCode::F(n) => write!(f, "F{n}"),
            code => match NAMED.iter().find(|(_, c)| *c == code) {
                Some((name, _)) => f.write_str(name),
                // Only reachable for combos built from events of keys keymaps cannot name.
                None => write!(f, "{code:?}"),
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(s: &str) -> KeyCombo {
        s.parse().unwrap()
    }

    /// Found by fuzzing (fuzz/regressions/config): `C-S-a` displayed as `C-A`, which parsed
    /// back as `C-a`, another combo.
    #[test]
    fn ctrl_shift_letter_is_ctrl_letter_and_round_trips() {
        for s in ["C-S-a", "C-A", "C-a", "S-C-a"] {
            let k = key(s);
            assert_eq!(k, key("C-a"), "{s}");
            assert_eq!(key(&k.to_string()), k, "{s}");
        }
    }

    fn ev(code: KeyCode, m: KeyModifiers) -> KeyEvent {
        KeyEvent::new(code, m)
    }

    #[test]
    fn parse_display_round_trip() {
        for s in [
            "q",
            "?",
            "/",
            "1",
            "G",
            "-",
            "C-c",
            "C--",
            "A-x",
            "C-A-x",
            "S-Tab",
            "Tab",
            "Enter",
            "Esc",
            "Space",
            "C-Space",
            "Backspace",
            "Up",
            "S-Up",
            "Down",
            "Left",
            "Right",
            "PageUp",
            "PageDown",
            "Home",
            "End",
            "Delete",
            "Insert",
            "F1",
            "F12",
            "C-F5",
            "é",
        ] {
            let k = key(s);
            assert_eq!(k.to_string(), s, "display of {s}");
            assert_eq!(key(&k.to_string()), k, "round trip of {s}");
        }
    }

    #[test]
    fn spellings_normalise() {
        assert_eq!(key("BackTab"), key("S-Tab"));
        assert_eq!(key("S-g"), key("G"));
        assert_eq!(key("S-G"), key("G"));
        assert_eq!(key("C-D"), key("C-d"));
        assert_eq!(key("enter"), key("Enter"));
        assert_eq!(key("Escape"), key("Esc"));
        assert_eq!(key("f3"), key("F3"));
        assert_eq!(
            key("Space"),
            KeyCombo::new(KeyCode::Char(' '), KeyModifiers::NONE)
        );
    }

    #[test]
    fn bad_keys_are_rejected_with_reasons() {
        for s in [
            "", "F13", "F0", "F01", "Ctrl-c", "c-x", "qq", "Foo", "C-C-x", " ", "S-1", "S-",
        ] {
            let e = KeyCombo::parse(s).unwrap_err();
            assert!(!e.reason.is_empty(), "{s}");
            assert!(e.to_string().contains("bad key"), "{e}");
        }
        assert!(
            KeyCombo::parse("F13")
                .unwrap_err()
                .to_string()
                .contains("F1 to F12")
        );
    }

    #[test]
    fn matches_what_terminals_send() {
        let none = KeyModifiers::NONE;
        let shift = KeyModifiers::SHIFT;
        let ctrl = KeyModifiers::CONTROL;
        // Uppercase letters and shifted symbols, with or without SHIFT reported.
        assert!(key("G").matches(&ev(KeyCode::Char('G'), shift)));
        assert!(key("G").matches(&ev(KeyCode::Char('G'), none)));
        assert!(!key("G").matches(&ev(KeyCode::Char('g'), none)));
        assert!(key("?").matches(&ev(KeyCode::Char('?'), shift)));
        // Shift-tab arrives as BackTab, usually with SHIFT; some protocols send Tab+SHIFT.
        assert!(key("S-Tab").matches(&ev(KeyCode::BackTab, shift)));
        assert!(key("S-Tab").matches(&ev(KeyCode::BackTab, none)));
        assert!(key("S-Tab").matches(&ev(KeyCode::Tab, shift)));
        assert!(!key("Tab").matches(&ev(KeyCode::BackTab, shift)));
        // Ctrl.
        assert!(key("C-c").matches(&ev(KeyCode::Char('c'), ctrl)));
        assert!(key("C-c").matches(&ev(KeyCode::Char('C'), ctrl | shift)));
        assert!(!key("c").matches(&ev(KeyCode::Char('c'), ctrl)));
        assert!(!key("C-c").matches(&ev(KeyCode::Char('c'), none)));
        // Named keys keep SHIFT.
        assert!(!key("Up").matches(&ev(KeyCode::Up, shift)));
        assert!(key("S-Up").matches(&ev(KeyCode::Up, shift)));
        // Releases never fire.
        let mut release = ev(KeyCode::Char('q'), none);
        release.kind = KeyEventKind::Release;
        assert!(!key("q").matches(&release));
    }
}
