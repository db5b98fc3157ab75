//! The config loaders on arbitrary text. The first byte picks the loader (mod 4): settings
//! (`config.toml`), a user keymap, a user theme, or one key name as written in a keymap.
//!
//! Loaders must return a `ConfigError` for any bad text, never panic, and point at a line
//! that exists; whatever loads must survive a round trip through its own output.
#![no_main]

use libfuzzer_sys::fuzz_target;
use opsconsole::config::{ConfigError, KeyCombo, KeyContext, Keymap, Settings, Theme};
use opsconsole::view::Role;
use std::path::{Path, PathBuf};

fuzz_target!(|data: &[u8]| {
    let Some((&which, rest)) = data.split_first() else {
        return;
    };
    // The loaders read files with read_to_string, which rejects invalid UTF-8 before parsing.
    let Ok(text) = std::str::from_utf8(rest) else {
        return;
    };
    match which % 4 {
        0 => settings(text),
        1 => keymap(text),
        2 => theme(text, which & 0x80 != 0),
        _ => key(text),
    }
});

/// An absolute, non-existent directory: relative paths in the file resolve to absolute ones,
/// so re-parsing the serialised settings resolves them to themselves.
const CONFIG_FILE: &str = "/nonexistent-opsconsole-fuzz/config.toml";

fn settings(text: &str) {
    let file = Path::new(CONFIG_FILE);
    match Settings::parse(text, file) {
        Ok(s) => {
            let again = toml::to_string(&s).expect("loaded settings serialise");
            let back = Settings::parse(&again, file)
                .unwrap_or_else(|e| panic!("serialised settings reload: {e}\n{again}"));
            assert_eq!(s, back, "settings round trip through\n{again}");
        }
        Err(e) => check_error(&e, text),
    }
}

fn keymap(text: &str) {
    let path = scratch_file("keymap.toml", text);
    match Keymap::load("default", Some(&path)) {
        Ok(k) => {
            for ctx in KeyContext::ALL {
                for b in k.bindings(ctx) {
                    let shown = b.key.to_string();
                    assert_eq!(
                        KeyCombo::parse(&shown).ok(),
                        Some(b.key),
                        "bound key {shown:?}"
                    );
                }
            }
        }
        Err(e) => check_error(&e, text),
    }
}

fn theme(text: &str, no_color: bool) {
    let path = scratch_file("theme.toml", text);
    let Some(name) = path.to_str() else { return };
    match Theme::load(name, no_color) {
        Ok(t) => {
            for r in Role::ALL {
                let _ = t.style(r);
            }
        }
        Err(e) => check_error(&e, text),
    }
}

/// The documented promise of `Display for KeyCombo`: the canonical spelling parses back to
/// the same combo.
fn key(text: &str) {
    match KeyCombo::parse(text) {
        Ok(k) => {
            let shown = k.to_string();
            let back = KeyCombo::parse(&shown);
            assert_eq!(
                back.as_ref().ok(),
                Some(&k),
                "{text:?} shows as {shown:?}, which parses as {back:?}"
            );
        }
        Err(e) => {
            let _ = e.to_string();
        }
    }
}

/// An error must render, and a location it gives must be inside the text.
fn check_error(e: &ConfigError, text: &str) {
    let _ = e.to_string();
    if let Some(line) = e.line {
        let lines = text.split('\n').count();
        assert!(line >= 1 && line <= lines, "line {line} of {lines}: {e}");
        if let Some(col) = e.column {
            let len = text
                .split('\n')
                .nth(line - 1)
                .map_or(0, |l| l.chars().count());
            assert!(col >= 1 && col <= len + 1, "column {col} of {len}: {e}");
        }
    }
}

/// Keymaps and themes load only from files, so each input goes through one scratch file per
/// process (libFuzzer runs one input at a time).
fn scratch_file(name: &str, text: &str) -> PathBuf {
    let path = std::env::temp_dir().join(format!("opsconsole-fuzz-{}-{name}", std::process::id()));
    std::fs::write(&path, text).expect("scratch file is writable");
    path
}
