//! The one error type for bad configuration, pointing at file, line, column and key.

use std::fmt;
use std::ops::Range;
use std::path::{Path, PathBuf};

/// Something wrong in a config, keymap or theme file.
///
/// Displayed as `file:line:column: key: message`, leaving out the parts that are unknown, so an
/// editor or a terminal can jump straight to the spot.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigError {
    /// The file's path, or a display name such as `<builtin keymaps/default.toml>`.
    pub file: PathBuf,
    /// 1-based line.
    pub line: Option<usize>,
    /// 1-based column, counted in characters.
    pub column: Option<usize>,
    /// What the error is about, e.g. `refresh.targets` or `[targets] "x"`.
    pub key: Option<String>,
    pub message: String,
}

impl ConfigError {
    /// An error about a whole file (missing, unreadable, incomplete).
    pub fn new(file: impl Into<PathBuf>, message: impl Into<String>) -> ConfigError {
        ConfigError {
            file: file.into(),
            line: None,
            column: None,
            key: None,
            message: message.into(),
        }
    }

    /// A file that could not be read.
    pub fn io(file: &Path, err: &std::io::Error) -> ConfigError {
        let message = match err.kind() {
            std::io::ErrorKind::NotFound => "file not found".to_string(),
            _ => format!("cannot read: {err}"),
        };
        ConfigError::new(file, message)
    }

    /// An error located at a byte span of `src`.
    pub fn at(
        file: impl Into<PathBuf>,
        src: &str,
        span: Range<usize>,
        key: Option<String>,
        message: impl Into<String>,
    ) -> ConfigError {
        let (line, column) = line_col(src, span.start);
        ConfigError {
            file: file.into(),
            line: Some(line),
            column: Some(column),
            key,
            message: message.into(),
        }
    }

    /// Converts a TOML syntax or type error, guessing the key from the text around its span.
    pub fn from_toml(file: impl Into<PathBuf>, src: &str, err: &toml::de::Error) -> ConfigError {
        let message = err.message().trim().to_string();
        match err.span() {
            Some(span) => {
                let key = key_at(src, span.start);
                ConfigError::at(file, src, span, key, message)
            }
            None => ConfigError::new(file, message),
        }
    }

    pub fn with_key(mut self, key: impl Into<String>) -> ConfigError {
        self.key = Some(key.into());
        self
    }
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.file.display())?;
        if let Some(line) = self.line {
            write!(f, ":{line}")?;
            if let Some(column) = self.column {
                write!(f, ":{column}")?;
            }
        }
        if let Some(key) = &self.key {
            write!(f, ": {key}")?;
        }
        write!(f, ": {}", self.message)
    }
}

impl std::error::Error for ConfigError {}

/// A config text with the name its errors carry; saves passing both around.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Source<'a> {
    pub name: &'a Path,
    pub text: &'a str,
}

impl<'a> Source<'a> {
    pub fn new(name: &'a Path, text: &'a str) -> Source<'a> {
        Source { name, text }
    }

    pub fn error(
        &self,
        span: Range<usize>,
        key: impl Into<String>,
        msg: impl Into<String>,
    ) -> ConfigError {
        ConfigError::at(self.name, self.text, span, Some(key.into()), msg)
    }

    pub fn toml_error(&self, err: &toml::de::Error) -> ConfigError {
        ConfigError::from_toml(self.name, self.text, err)
    }

    pub fn parse<T: serde::de::DeserializeOwned>(&self) -> Result<T, ConfigError> {
        toml::from_str(self.text).map_err(|e| self.toml_error(&e))
    }
}

/// Reads a user file, turning I/O failures into a ConfigError naming it.
pub(crate) fn read_file(path: &Path) -> Result<String, ConfigError> {
    std::fs::read_to_string(path).map_err(|e| ConfigError::io(path, &e))
}

/// 1-based line and character column of a byte offset (clamped to the text).
pub fn line_col(src: &str, offset: usize) -> (usize, usize) {
    let mut offset = offset.min(src.len());
    while !src.is_char_boundary(offset) {
        offset -= 1;
    }
    let before = &src[..offset];
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    let column = before[line_start..].chars().count() + 1;
    (line, column)
}

/// Best-effort dotted key for a position: the nearest `[table]` header above it plus the
/// `key =` pairs on its line that are still open at that point (inline tables nest).
///
/// Only used to label TOML errors; semantic errors name their key exactly.
pub fn key_at(src: &str, offset: usize) -> Option<String> {
    let offset = offset.min(src.len());
    if !src.is_char_boundary(offset) {
        return None;
    }
    let line_start = src[..offset].rfind('\n').map_or(0, |i| i + 1);
    let line_end = src[offset..].find('\n').map_or(src.len(), |i| offset + i);
    let line = &src[line_start..line_end];
    let trimmed = line.trim_start();

    // A header line: the error is about the table itself, e.g. a missing field.
    if trimmed.starts_with('[') {
        return Some(header_name(trimmed));
    }

    let mut path = Vec::new();
    if let Some(header) = src[..line_start]
        .lines()
        .rev()
        .map(str::trim_start)
        .find(|l| l.starts_with('['))
    {
        path.push(header_name(header));
    }

    let prefix = &src[line_start..offset];
    let mut keys = open_keys(prefix);
    if keys.is_empty() {
        // The span is on a key itself (unknown field, duplicate key).
        let word: String = src[offset..line_end]
            .chars()
            .take_while(|c| is_key_char(*c))
            .collect();
        if !word.is_empty() {
            keys.push(word);
        }
    }
    path.extend(keys);
    let joined = path.join(".");
    (!joined.is_empty()).then_some(joined)
}

fn header_name(line: &str) -> String {
    line.trim_start_matches('[')
        .split(']')
        .next()
        .unwrap_or("")
        .trim()
        .to_string()
}

fn is_key_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_' || c == '-' || c == '.'
}

/// Keys whose values are still open at the end of `prefix` (one line of TOML).
fn open_keys(prefix: &str) -> Vec<String> {
    // Each frame: is it an inline table (`{`) or an array (`[`), and how many keys were open
    // when it started, so closing it restores the parent's state.
    let mut keys: Vec<String> = Vec::new();
    let mut frames: Vec<(char, usize)> = Vec::new();
    let mut token = String::new();
    let mut in_string: Option<char> = None;
    let mut escaped = false;
    for c in prefix.chars() {
        if let Some(q) = in_string {
            if escaped {
                escaped = false;
            } else if c == '\\' && q == '"' {
                escaped = true;
            } else if c == q {
                in_string = None;
            }
            continue;
        }
        match c {
            '"' | '\'' => {
                in_string = Some(c);
                token.clear();
            }
            '#' => break,
            '=' => {
                keys.push(std::mem::take(&mut token));
            }
            '{' | '[' => {
                frames.push((c, keys.len()));
                token.clear();
            }
            '}' | ']' => {
                if let Some((_, depth)) = frames.pop() {
                    keys.truncate(depth);
                }
                token.clear();
            }
            ',' => {
                // A comma ends a `key = value` pair inside an inline table; in an array it
                // only separates elements.
                if let Some(('{', depth)) = frames.last().copied() {
                    keys.truncate(depth);
                }
                token.clear();
            }
            c if is_key_char(c) => token.push(c),
            _ => {
                if !token.is_empty() && !c.is_whitespace() {
                    token.clear();
                }
            }
        }
    }
    keys.retain(|k| !k.is_empty());
    keys
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_and_column_are_one_based_characters() {
        let src = "a = 1\nbé = \"x\"\n";
        assert_eq!(line_col(src, 0), (1, 1));
        assert_eq!(line_col(src, 6), (2, 1));
        // 'é' is two bytes but one column.
        let quote = src.find('"').unwrap();
        assert_eq!(line_col(src, quote), (2, 6));
        assert_eq!(line_col(src, 10_000), (3, 1));
    }

    #[test]
    fn display_has_every_known_part() {
        let e = ConfigError {
            file: PathBuf::from("/home/u/.config/opsconsole/keymap.toml"),
            line: Some(12),
            column: Some(7),
            key: Some("[targets] \"x\"".into()),
            message: "unknown action \"explode\"".into(),
        };
        assert_eq!(
            e.to_string(),
            "/home/u/.config/opsconsole/keymap.toml:12:7: [targets] \"x\": unknown action \"explode\""
        );
        assert_eq!(
            ConfigError::new("c.toml", "file not found").to_string(),
            "c.toml: file not found"
        );
    }

    #[test]
    fn keys_are_guessed_from_the_text() {
        let src = "[refresh]\ntargets = 0\n[roles]\nnormal = { fg = \"x\", bold = 1 }\n";
        let at = |needle: &str| key_at(src, src.find(needle).unwrap());
        assert_eq!(at("0").as_deref(), Some("refresh.targets"));
        assert_eq!(at("targets").as_deref(), Some("refresh.targets"));
        assert_eq!(at("\"x\"").as_deref(), Some("roles.normal.fg"));
        assert_eq!(at("1 }").as_deref(), Some("roles.normal.bold"));
        assert_eq!(at("[roles]").as_deref(), Some("roles"));
    }

    #[test]
    fn toml_errors_keep_their_position() {
        let src = "[refresh]\ntargets = \"often\"\n";
        #[derive(serde::Deserialize, Debug)]
        #[allow(dead_code)]
        struct R {
            refresh: std::collections::BTreeMap<String, u64>,
        }
        let err = toml::from_str::<R>(src).unwrap_err();
        let e = ConfigError::from_toml("c.toml", src, &err);
        assert_eq!((e.line, e.column), (Some(2), Some(11)));
        assert_eq!(e.key.as_deref(), Some("refresh.targets"));
        assert!(
            e.to_string().starts_with("c.toml:2:11: refresh.targets: "),
            "{e}"
        );
    }
}
