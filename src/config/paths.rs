//! Where opsconsole looks for its files: the config and state directories, and the user's
//! keymap, with environment overrides for tests and unusual setups.

use std::ffi::OsString;
use std::path::{Path, PathBuf};

use directories::{BaseDirs, ProjectDirs};

/// Overrides the config directory (config.toml, keymap.toml, themes).
pub const CONFIG_DIR_ENV: &str = "OPSCONSOLE_CONFIG_DIR";
/// Overrides the state directory (logs, undo journal and the like).
pub const STATE_DIR_ENV: &str = "OPSCONSOLE_STATE_DIR";

fn project() -> Option<ProjectDirs> {
    ProjectDirs::from("", "", "opsconsole")
}

/// An environment override, if set to something non-empty (an empty value is treated as unset
/// so `OPSCONSOLE_CONFIG_DIR= opsconsole` does not mean "the current directory").
fn from_env(value: Option<OsString>) -> Option<PathBuf> {
    value.filter(|v| !v.is_empty()).map(PathBuf::from)
}

/// `$OPSCONSOLE_CONFIG_DIR`, else the platform config directory (`~/.config/opsconsole` on
/// Linux, following XDG_CONFIG_HOME).
pub fn config_dir() -> Option<PathBuf> {
    from_env(std::env::var_os(CONFIG_DIR_ENV))
        .or_else(|| project().map(|p| p.config_dir().to_path_buf()))
}

/// `$OPSCONSOLE_STATE_DIR`, else the platform state directory (`~/.local/state/opsconsole` on
/// Linux), else the local data directory on platforms without one (macOS, Windows).
pub fn state_dir() -> Option<PathBuf> {
    from_env(std::env::var_os(STATE_DIR_ENV)).or_else(|| {
        project().map(|p| match p.state_dir() {
            Some(dir) => dir.to_path_buf(),
            None => p.data_local_dir().to_path_buf(),
        })
    })
}

/// `<config dir>/config.toml`, whether or not it exists.
pub fn user_config_path() -> Option<PathBuf> {
    config_dir().map(|d| d.join("config.toml"))
}

/// `<config dir>/keymap.toml` if it exists: the overlay applied to a builtin keymap.
pub fn user_keymap_path() -> Option<PathBuf> {
    config_dir()
        .map(|d| d.join("keymap.toml"))
        .filter(|p| p.is_file())
}

/// Resolves a path written in a config file: `~/` is the home directory, and a relative path
/// is relative to the directory of the file it was written in (not the current directory,
/// which depends on where opsconsole happened to be started).
pub fn resolve(written: &Path, relative_to: Option<&Path>) -> PathBuf {
    if let Ok(rest) = written.strip_prefix("~")
        && let Some(home) = BaseDirs::new().map(|b| b.home_dir().to_path_buf())
    {
        return home.join(rest);
    }
    match relative_to {
        Some(dir) if written.is_relative() => dir.join(written),
        _ => written.to_path_buf(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_env_means_unset() {
        assert_eq!(from_env(None), None);
        assert_eq!(from_env(Some(OsString::new())), None);
        assert_eq!(
            from_env(Some("/tmp/x".into())),
            Some(PathBuf::from("/tmp/x"))
        );
    }

    #[test]
    fn config_paths_end_in_their_files() {
        if let Some(p) = user_config_path() {
            assert!(p.ends_with("config.toml"));
        }
        if let Some(p) = user_keymap_path() {
            assert!(p.ends_with("keymap.toml") && p.is_file());
        }
    }

    #[test]
    fn written_paths_resolve_against_their_file() {
        let dir = Path::new("/etc/opsconsole");
        assert_eq!(resolve(Path::new("t.toml"), Some(dir)), dir.join("t.toml"));
        assert_eq!(
            resolve(Path::new("/abs/t.toml"), Some(dir)),
            PathBuf::from("/abs/t.toml")
        );
        assert_eq!(resolve(Path::new("t.toml"), None), PathBuf::from("t.toml"));
        if let Some(home) = BaseDirs::new().map(|b| b.home_dir().to_path_buf()) {
            assert_eq!(
                resolve(Path::new("~/.ssh/id"), Some(dir)),
                home.join(".ssh/id")
            );
        }
    }
}
