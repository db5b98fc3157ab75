//! Shipped defaults plus user overlays: settings, keymaps and themes.
//!
//! The shipped keymaps (`keymaps/`) and themes (`themes/`) are embedded in the binary; the
//! user's files in the config directory (see [`paths`]) overlay them. Every mistake in a file
//! comes back as a [`ConfigError`] naming file, line, column and key. docs/CONFIG.md is the
//! user-facing description.

pub mod accounts;
pub mod error;
pub mod key;
pub mod keymap;
pub mod paths;
pub mod settings;
pub mod theme;

use std::path::{Path, PathBuf};

pub use accounts::{AccountConfig, OrganizationConfig};
pub use error::ConfigError;
pub use key::{KeyCombo, KeyParseError};
pub use keymap::{BUILTIN_KEYMAPS, Binding, KeyContext, Keymap};
pub use paths::{config_dir, state_dir, user_config_path, user_keymap_path};
pub use settings::{
    AddressKind, Filters, FollowMode, InstanceLogs, LogSettings, LogSourceConfig, Refresh,
    Settings, WafSettings,
};
pub use theme::{BUILTIN_THEMES, Theme};

/// A shipped file (embedded keymap or theme) by name: its display path and text, or an error
/// listing the names that exist. `kind` is the folder, e.g. "keymaps".
fn shipped(
    kind: &str,
    files: &[(&'static str, &'static str)],
    name: &str,
) -> Result<(PathBuf, &'static str), ConfigError> {
    match files.iter().find(|(n, _)| *n == name) {
        Some((_, text)) => Ok((PathBuf::from(format!("<builtin {kind}/{name}.toml>")), text)),
        None => {
            let names: Vec<&str> = files.iter().map(|(n, _)| *n).collect();
            Err(ConfigError::new(
                format!("<builtin {kind}>"),
                format!(
                    "no builtin {} \"{name}\" (builtin: {})",
                    kind.trim_end_matches('s'),
                    names.join(", ")
                ),
            ))
        }
    }
}

/// What the command line can say about configuration; flags win over the config file.
#[derive(Debug, Clone, Default)]
pub struct Overrides<'a> {
    /// `--config`: this file instead of `<config dir>/config.toml` (must exist).
    pub config: Option<&'a Path>,
    /// `--theme`: builtin name or path.
    pub theme: Option<&'a str>,
    /// `--keymap`: builtin name or path.
    pub keymap: Option<&'a str>,
    /// `--interval`: seconds for every panel.
    pub interval: Option<u64>,
    /// NO_COLOR (or a `--no-color` flag).
    pub no_color: bool,
}

/// Everything configurable, loaded and checked.
#[derive(Debug, Clone)]
pub struct Config {
    pub settings: Settings,
    /// The config file used, if any.
    pub settings_file: Option<PathBuf>,
    pub keymap: Keymap,
    pub theme: Theme,
}

impl Config {
    /// Loads settings, then the keymap and theme they (or the overrides) name. The first
    /// error stops it: a half-applied config is worse than a clear message.
    pub fn load(o: &Overrides<'_>) -> Result<Config, ConfigError> {
        let (mut settings, settings_file) = Settings::load(o.config)?;
        if let Some(secs) = o.interval {
            settings.apply_interval_override(secs);
        }
        let keymap = Keymap::resolve(o.keymap.or(settings.keymap.as_deref()))?;
        let theme = Theme::load(
            o.theme.or(settings.theme.as_deref()).unwrap_or("dark"),
            o.no_color,
        )?;
        Ok(Config {
            settings,
            settings_file,
            keymap,
            theme,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::app::Action;
    use crate::model::PanelId;
    use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

    fn fixture(rel: &str) -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures")
            .join(rel)
    }

    #[test]
    fn config_file_names_keymap_and_theme() {
        let config = fixture("valid/config.toml");
        let c = Config::load(&Overrides {
            config: Some(&config),
            ..Overrides::default()
        })
        .unwrap();
        assert_eq!(c.settings_file.as_deref(), Some(config.as_path()));
        assert_eq!(c.theme.name, "high-contrast");
        let d = KeyEvent::new(KeyCode::Char('D'), KeyModifiers::SHIFT);
        let targets = KeyContext::Panel(PanelId::Targets);
        assert_eq!(c.keymap.lookup(targets, &d), Some(Action::Drain));
    }

    #[test]
    fn flags_win_over_the_file() {
        let config = fixture("valid/config.toml");
        let theme = fixture("valid/user-theme.toml");
        let c = Config::load(&Overrides {
            config: Some(&config),
            theme: theme.to_str(),
            keymap: Some("vim"),
            interval: Some(2),
            no_color: true,
        })
        .unwrap();
        assert_eq!(c.theme.name, "my-light");
        assert_eq!(c.theme.style(crate::view::Role::Problem).bg, None);
        assert!(c.keymap.name().starts_with("vim"));
        assert_eq!(
            c.settings.interval(PanelId::Dns),
            std::time::Duration::from_secs(2)
        );
    }
}
