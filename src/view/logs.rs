//! Highlighting of log lines: HTTP status classes in nginx access logs, and ERROR/WARN levels.

use super::Role;
use regex::Regex;
use std::sync::LazyLock;

/// `"GET /path HTTP/1.1" 503 123` → the status after the quoted request.
static STATUS: LazyLock<Option<Regex>> =
    LazyLock::new(|| Regex::new(r#""[^"]*" (\d)\d\d (?:\d+|-)"#).ok());
static LEVEL: LazyLock<Option<Regex>> =
    LazyLock::new(|| Regex::new(r"\b(ERROR|FATAL|CRIT|WARN|WARNING)\b").ok());

pub fn line_role(text: &str) -> Role {
    if let Some(class) = STATUS
        .as_ref()
        .and_then(|re| re.captures(text))
        .and_then(|c| c.get(1))
    {
        return match class.as_str() {
            "5" => Role::Problem,
            "4" => Role::Warning,
            "3" => Role::Muted,
            _ => Role::Normal,
        };
    }
    match LEVEL
        .as_ref()
        .and_then(|re| re.captures(text))
        .and_then(|c| c.get(1))
    {
        Some(m) if m.as_str().starts_with('W') => Role::Warning,
        Some(_) => Role::Problem,
        None => Role::Normal,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const LINE: &str = r#"198.51.100.7:51234 10.0.1.5:40000 - [21/Nov/2026:10:00:00 +0000] "GET /v4/ws/usdt HTTP/1.1" 200 2676 "-" "Go-http-client/1.1" 443"#;

    #[test]
    fn status_classes() {
        assert_eq!(line_role(LINE), Role::Normal);
        assert_eq!(
            line_role(&LINE.replace("\" 200 ", "\" 404 ")),
            Role::Warning
        );
        assert_eq!(
            line_role(&LINE.replace("\" 200 ", "\" 502 ")),
            Role::Problem
        );
        assert_eq!(line_role(&LINE.replace("\" 200 ", "\" 301 ")), Role::Muted);
    }

    #[test]
    fn levels() {
        assert_eq!(line_role("2026-11-21 ERROR db timeout"), Role::Problem);
        assert_eq!(line_role("WARN slow"), Role::Warning);
        assert_eq!(line_role("INFO fine"), Role::Normal);
    }
}
