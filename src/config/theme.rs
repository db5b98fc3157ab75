//! Themes: a style for every [`Role`], from a shipped theme plus an optional user overlay, and
//! the NO_COLOR fallback.

use std::collections::BTreeMap;
use std::path::Path;
use std::str::FromStr;

use ratatui::style::{Color, Modifier, Style};
use serde::Deserialize;
use toml::Spanned;

use super::error::{ConfigError, Source};
use crate::view::Role;

/// Shipped themes, embedded so the binary works without any files around it.
const BUILTINS: &[(&str, &str)] = &[
    ("dark", include_str!("../../themes/dark.toml")),
    ("light", include_str!("../../themes/light.toml")),
    (
        "high-contrast",
        include_str!("../../themes/high-contrast.toml"),
    ),
];

/// Names accepted by [`Theme::load`] without a file.
pub const BUILTIN_THEMES: &[&str] = &["dark", "light", "high-contrast"];

/// The builtin a user theme overlays when it does not say `base = "..."`.
const DEFAULT_BASE: &str = "dark";

#[derive(Debug, Clone, PartialEq)]
pub struct Theme {
    /// "dark", or the user theme's `name` (its file stem if it has none).
    pub name: String,
    styles: BTreeMap<Role, Style>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ThemeFile {
    name: Option<String>,
    base: Option<Spanned<String>>,
    #[serde(default)]
    roles: BTreeMap<Spanned<String>, RoleStyle>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RoleStyle {
    fg: Option<Spanned<String>>,
    bg: Option<Spanned<String>>,
    #[serde(default)]
    bold: bool,
    #[serde(default)]
    dim: bool,
    #[serde(default)]
    italic: bool,
    #[serde(default)]
    underlined: bool,
    #[serde(default)]
    reversed: bool,
}

/// Parses a colour the way ratatui does, with an error that says what would work.
fn colour(
    src: Source<'_>,
    role: &str,
    field: &str,
    value: &Spanned<String>,
) -> Result<Color, ConfigError> {
    Color::from_str(value.get_ref()).map_err(|_| {
        src.error(
            value.span(),
            format!("roles.{role}.{field}"),
            format!(
                "unknown colour \"{}\" (use a name like \"red\" or \"light-blue\", an index \"0\"..\"255\", or \"#rrggbb\")",
                value.get_ref().escape_debug()
            ),
        )
    })
}

impl RoleStyle {
    fn to_style(&self, src: Source<'_>, role: &str) -> Result<Style, ConfigError> {
        let mut style = Style::new();
        if let Some(fg) = &self.fg {
            style = style.fg(colour(src, role, "fg", fg)?);
        }
        if let Some(bg) = &self.bg {
            style = style.bg(colour(src, role, "bg", bg)?);
        }
        for (on, m) in [
            (self.bold, Modifier::BOLD),
            (self.dim, Modifier::DIM),
            (self.italic, Modifier::ITALIC),
            (self.underlined, Modifier::UNDERLINED),
            (self.reversed, Modifier::REVERSED),
        ] {
            if on {
                style = style.add_modifier(m);
            }
        }
        Ok(style)
    }
}

/// One theme file, checked: the roles it names and, for user files, what it overlays.
struct Parsed {
    name: Option<String>,
    base: Option<Spanned<String>>,
    styles: BTreeMap<Role, Style>,
}

fn parse_file(src: Source<'_>) -> Result<Parsed, ConfigError> {
    let file: ThemeFile = src.parse()?;
    let mut styles = BTreeMap::new();
    for (name, raw) in &file.roles {
        let Some(role) = Role::from_name(name.get_ref()) else {
            let known: Vec<&str> = Role::ALL.iter().map(|r| r.name()).collect();
            return Err(src.error(
                name.span(),
                format!("roles.{}", name.get_ref()),
                format!("unknown role (known: {})", known.join(", ")),
            ));
        };
        styles.insert(role, raw.to_style(src, name.get_ref())?);
    }
    Ok(Parsed {
        name: file.name,
        base: file.base,
        styles,
    })
}

impl Theme {
    /// A shipped theme by name. Shipped themes must style every role.
    pub fn builtin(name: &str) -> Result<Theme, ConfigError> {
        let (file, text) = super::shipped("themes", BUILTINS, name)?;
        let src = Source::new(&file, text);
        let Parsed { base, styles, .. } = parse_file(src)?;
        if let Some(base) = base {
            return Err(src.error(base.span(), "base", "a builtin theme cannot have a base"));
        }
        let missing: Vec<&str> = Role::ALL
            .iter()
            .filter(|r| !styles.contains_key(r))
            .map(|r| r.name())
            .collect();
        if !missing.is_empty() {
            return Err(ConfigError::new(
                file,
                format!("no style for roles: {}", missing.join(", ")),
            ));
        }
        Ok(Theme {
            name: name.to_string(),
            styles,
        })
    }

    /// A builtin by name, or else a user theme file overlaying `dark` (or its own `base`): roles
    /// the file names replace the base's style for that role entirely; the others are kept.
    /// With `no_color`, see [`Theme::without_colour`].
    pub fn load(name_or_path: &str, no_color: bool) -> Result<Theme, ConfigError> {
        let theme = if BUILTIN_THEMES.contains(&name_or_path) {
            Theme::builtin(name_or_path)?
        } else {
            Theme::from_file(Path::new(name_or_path))?
        };
        Ok(if no_color {
            theme.without_colour()
        } else {
            theme
        })
    }

    fn from_file(path: &Path) -> Result<Theme, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|e| {
            if e.kind() == std::io::ErrorKind::NotFound && path.components().count() == 1 {
                // A bare word that is neither a builtin nor a file is most likely a typo.
                ConfigError::new(
                    path,
                    format!(
                        "not a builtin theme ({}) and no such file",
                        BUILTIN_THEMES.join(", ")
                    ),
                )
            } else {
                ConfigError::io(path, &e)
            }
        })?;
        let src = Source::new(path, &text);
        let Parsed { name, base, styles } = parse_file(src)?;
        let mut theme = match &base {
            None => Theme::builtin(DEFAULT_BASE)?,
            Some(b) if BUILTIN_THEMES.contains(&b.get_ref().as_str()) => {
                Theme::builtin(b.get_ref())?
            }
            Some(b) => {
                return Err(src.error(
                    b.span(),
                    "base",
                    format!(
                        "no builtin theme \"{}\" (builtin: {})",
                        b.get_ref(),
                        BUILTIN_THEMES.join(", ")
                    ),
                ));
            }
        };
        theme.styles.extend(styles);
        theme.name = name.unwrap_or_else(|| {
            path.file_stem()
                .map(|s| s.to_string_lossy().into_owned())
                .unwrap_or_else(|| path.display().to_string())
        });
        Ok(theme)
    }

    pub fn style(&self, role: Role) -> Style {
        self.styles.get(&role).copied().unwrap_or_default()
    }

    /// For NO_COLOR: every colour dropped, modifiers kept, and the roles that carry meaning
    /// given fixed, distinct modifiers so they still stand out on a monochrome screen.
    pub fn without_colour(mut self) -> Theme {
        for role in Role::ALL {
            let kept = self.style(role).add_modifier;
            let style = match role {
                Role::Problem => Style::new().add_modifier(Modifier::BOLD | Modifier::REVERSED),
                Role::Warning => Style::new().add_modifier(Modifier::BOLD | Modifier::UNDERLINED),
                Role::Stale => Style::new().add_modifier(Modifier::DIM | Modifier::ITALIC),
                Role::Selection => Style::new().add_modifier(Modifier::REVERSED),
                Role::Focus => Style::new().add_modifier(Modifier::BOLD),
                _ => Style::new().add_modifier(kept),
            };
            self.styles.insert(role, style);
        }
        self
    }
}

impl Default for Theme {
    /// The `dark` builtin. Its parse is covered by tests; should it ever fail, a colourless
    /// theme is returned rather than a panic.
    fn default() -> Theme {
        Theme::builtin(DEFAULT_BASE).unwrap_or_else(|_| {
            Theme {
                name: DEFAULT_BASE.to_string(),
                styles: BTreeMap::new(),
            }
            .without_colour()
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;
    use std::path::PathBuf;

    fn fixture(rel: &str) -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures")
            .join(rel)
    }

    fn user_file(text: &str) -> tempfile::NamedTempFile {
        let mut f = tempfile::Builder::new().suffix(".toml").tempfile().unwrap();
        f.write_all(text.as_bytes()).unwrap();
        f
    }

    #[test]
    fn shipped_themes_style_every_role() {
        for name in BUILTIN_THEMES {
            let t = Theme::load(name, false).unwrap();
            assert_eq!(t.name, *name);
            for role in Role::ALL {
                assert!(t.styles.contains_key(&role), "{name} lacks {}", role.name());
            }
            // The roles that carry meaning must not look like ordinary text.
            for role in [
                Role::Problem,
                Role::Warning,
                Role::Stale,
                Role::Selection,
                Role::Focus,
            ] {
                assert_ne!(
                    t.style(role),
                    t.style(Role::Normal),
                    "{name}: {}",
                    role.name()
                );
            }
            assert_ne!(t.style(Role::Problem), t.style(Role::Warning), "{name}");
        }
        assert_eq!(BUILTIN_THEMES.len(), BUILTINS.len());
        assert_eq!(Theme::default().name, "dark");
    }

    #[test]
    fn high_contrast_is_bold_where_it_matters() {
        let t = Theme::builtin("high-contrast").unwrap();
        for role in [
            Role::Problem,
            Role::Warning,
            Role::Focus,
            Role::Title,
            Role::Header,
        ] {
            assert!(
                t.style(role).add_modifier.contains(Modifier::BOLD),
                "{}",
                role.name()
            );
        }
    }

    #[test]
    fn no_color_keeps_roles_distinguishable() {
        for name in BUILTIN_THEMES {
            let t = Theme::load(name, true).unwrap();
            for role in Role::ALL {
                let s = t.style(role);
                assert_eq!((s.fg, s.bg), (None, None), "{name} {}", role.name());
            }
            let marked = [
                Role::Normal,
                Role::Problem,
                Role::Warning,
                Role::Stale,
                Role::Selection,
                Role::Focus,
            ];
            for (i, a) in marked.iter().enumerate() {
                for b in &marked[i + 1..] {
                    assert_ne!(
                        t.style(*a),
                        t.style(*b),
                        "{name}: {} vs {}",
                        a.name(),
                        b.name()
                    );
                }
            }
        }
    }

    #[test]
    fn user_theme_overlays_its_base() {
        let t = Theme::load(fixture("valid/user-theme.toml").to_str().unwrap(), false).unwrap();
        let light = Theme::builtin("light").unwrap();
        assert_eq!(t.name, "my-light");
        // Named roles are replaced entirely.
        assert_eq!(
            t.style(Role::Problem),
            Style::new()
                .fg(Color::White)
                .bg(Color::Rgb(0xcc, 0, 0))
                .add_modifier(Modifier::BOLD)
        );
        assert_eq!(t.style(Role::Spark), Style::new().fg(Color::Indexed(208)));
        // The rest come from the base it chose.
        assert_eq!(t.style(Role::Normal), light.style(Role::Normal));
        assert_eq!(t.style(Role::Border), light.style(Role::Border));
    }

    #[test]
    fn user_theme_defaults_to_dark_and_its_file_name() {
        let f = user_file("[roles]\nok = { fg = \"light-green\" }\n");
        let t = Theme::load(f.path().to_str().unwrap(), false).unwrap();
        let dark = Theme::builtin("dark").unwrap();
        assert_eq!(t.style(Role::Ok), Style::new().fg(Color::LightGreen));
        assert_eq!(t.style(Role::Problem), dark.style(Role::Problem));
        assert_eq!(
            Some(t.name.as_str()),
            f.path().file_stem().and_then(|s| s.to_str())
        );
    }

    fn load_err(rel: &str) -> String {
        Theme::load(fixture(rel).to_str().unwrap(), false)
            .unwrap_err()
            .to_string()
    }

    #[test]
    fn unknown_colour_is_located() {
        let e = load_err("invalid/unknown-colour-theme.toml");
        assert!(
            e.contains(
                "unknown-colour-theme.toml:7:32: roles.warning.bg: unknown colour \"orangish\""
            ),
            "{e}"
        );
    }

    #[test]
    fn unknown_role_is_located() {
        let e = load_err("invalid/unknown-role-theme.toml");
        assert!(
            e.contains(
                "unknown-role-theme.toml:6:1: roles.eror: unknown role (known: normal, muted"
            ),
            "{e}"
        );
    }

    #[test]
    fn file_mistakes_are_located() {
        let cases = [
            (
                "[roles]\nok = { fg = \"red\", blink = true }\n",
                2,
                "unknown field `blink`",
            ),
            (
                "base = \"solarized\"\n",
                1,
                "no builtin theme \"solarized\"",
            ),
            ("colours = 1\n", 1, "unknown field `colours`"),
            ("[roles]\nok = { bold = \"yes\" }\n", 2, "roles.ok.bold"),
        ];
        for (text, line, needle) in cases {
            let f = user_file(text);
            let e = Theme::load(f.path().to_str().unwrap(), false).unwrap_err();
            assert_eq!(e.line, Some(line), "{e}");
            assert!(e.to_string().contains(needle), "{e}");
        }
        let e = Theme::load("drak", false).unwrap_err().to_string();
        assert_eq!(
            e,
            "drak: not a builtin theme (dark, light, high-contrast) and no such file"
        );
    }
}
