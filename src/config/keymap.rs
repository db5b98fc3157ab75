//! Keymaps: which key runs which action in which context, from a shipped keymap plus the
//! user's overlay.

use std::collections::{BTreeMap, HashMap};
use std::path::Path;

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use serde::Deserialize;
use toml::Spanned;

use super::error::{ConfigError, Source, read_file};
use super::key::KeyCombo;
use crate::app::action::{ACTIONS, Action};
use crate::model::PanelId;

/// Shipped keymaps, embedded so the binary works without any files around it.
const BUILTINS: &[(&str, &str)] = &[
    ("default", include_str!("../../keymaps/default.toml")),
    ("vim", include_str!("../../keymaps/vim.toml")),
];

/// Names accepted by [`Keymap::builtin`] and the `keymap` setting.
pub const BUILTIN_KEYMAPS: &[&str] = &["default", "vim"];

/// Where a key is pressed. Panels fall back to `Global`; dialogs and prompts do not.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum KeyContext {
    Global,
    Panel(PanelId),
    /// The y/n dialog before a mutation.
    Confirm,
    /// The help overlay.
    Help,
    /// The filter text prompt; printable keys are typed text, not bindings.
    Filter,
}

impl KeyContext {
    /// In file order, which is also the order the help overlay lists them.
    pub const ALL: [KeyContext; 9] = [
        KeyContext::Global,
        KeyContext::Panel(PanelId::Targets),
        KeyContext::Panel(PanelId::Waf),
        KeyContext::Panel(PanelId::Dns),
        KeyContext::Panel(PanelId::Instances),
        KeyContext::Panel(PanelId::Logs),
        KeyContext::Confirm,
        KeyContext::Help,
        KeyContext::Filter,
    ];

    /// The table name in keymap files.
    pub fn name(self) -> &'static str {
        match self {
            KeyContext::Global => "global",
            KeyContext::Panel(PanelId::Targets) => "targets",
            KeyContext::Panel(PanelId::Waf) => "waf",
            KeyContext::Panel(PanelId::Dns) => "dns",
            KeyContext::Panel(PanelId::Instances) => "instances",
            KeyContext::Panel(PanelId::Logs) => "logs",
            KeyContext::Confirm => "confirm",
            KeyContext::Help => "help",
            KeyContext::Filter => "filter",
        }
    }

    pub fn from_name(name: &str) -> Option<KeyContext> {
        KeyContext::ALL.into_iter().find(|c| c.name() == name)
    }

    /// Actions that make sense here; `None` means any. Dialogs and prompts are restricted so a
    /// binding that could never do anything is reported instead of silently dead.
    fn allowed(self) -> Option<&'static [Action]> {
        match self {
            KeyContext::Confirm | KeyContext::Filter => {
                Some(&[Action::Confirm, Action::Cancel, Action::Quit])
            }
            KeyContext::Help => Some(&[
                Action::Cancel,
                Action::Help,
                Action::Quit,
                Action::Up,
                Action::Down,
                Action::PageUp,
                Action::PageDown,
                Action::Top,
                Action::Bottom,
            ]),
            KeyContext::Global | KeyContext::Panel(_) => None,
        }
    }
}

/// One key bound to one action, with the text the help overlay shows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Binding {
    pub key: KeyCombo,
    pub action: Action,
    pub desc: String,
}

/// All bindings, by context, in the order they were written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Keymap {
    name: String,
    contexts: HashMap<KeyContext, Vec<Binding>>,
}

/// A keymap file as written. Contexts are listed once here, once in [`KeyContext`]; the unit
/// test `every_context_has_a_table` keeps the two together.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct KeymapFile {
    /// In a user file: which builtin it overlays.
    base: Option<Spanned<String>>,
    #[serde(default)]
    global: Vec<RawBinding>,
    #[serde(default)]
    targets: Vec<RawBinding>,
    #[serde(default)]
    waf: Vec<RawBinding>,
    #[serde(default)]
    dns: Vec<RawBinding>,
    #[serde(default)]
    instances: Vec<RawBinding>,
    #[serde(default)]
    logs: Vec<RawBinding>,
    #[serde(default)]
    confirm: Vec<RawBinding>,
    #[serde(default)]
    help: Vec<RawBinding>,
    #[serde(default)]
    filter: Vec<RawBinding>,
}

impl KeymapFile {
    fn into_contexts(self) -> [(KeyContext, Vec<RawBinding>); 9] {
        [
            (KeyContext::Global, self.global),
            (KeyContext::Panel(PanelId::Targets), self.targets),
            (KeyContext::Panel(PanelId::Waf), self.waf),
            (KeyContext::Panel(PanelId::Dns), self.dns),
            (KeyContext::Panel(PanelId::Instances), self.instances),
            (KeyContext::Panel(PanelId::Logs), self.logs),
            (KeyContext::Confirm, self.confirm),
            (KeyContext::Help, self.help),
            (KeyContext::Filter, self.filter),
        ]
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawBinding {
    on: Spanned<String>,
    run: Spanned<String>,
    desc: Option<String>,
}

/// A checked binding from one file; `action == None` is `run = "none"` (unbind).
struct Entry {
    key: KeyCombo,
    action: Option<Action>,
    desc: String,
}

fn known_actions() -> String {
    let mut names: Vec<&str> = ACTIONS.iter().map(|(n, _, _)| *n).collect();
    names.push("none");
    names.join(", ")
}

fn known_contexts() -> String {
    KeyContext::ALL.map(KeyContext::name).join(", ")
}

/// One keymap file, checked: what it overlays (user files only) and its entries by context.
struct Parsed {
    base: Option<Spanned<String>>,
    contexts: Vec<(KeyContext, Vec<Entry>)>,
}

fn parse_file(src: Source<'_>) -> Result<Parsed, ConfigError> {
    // First only the top-level names, so an unknown context gets its own message.
    let top: BTreeMap<Spanned<String>, serde::de::IgnoredAny> = src.parse()?;
    for name in top.keys() {
        if name.get_ref() != "base" && KeyContext::from_name(name.get_ref()).is_none() {
            return Err(src.error(
                name.span(),
                format!("[[{}]]", name.get_ref()),
                format!("unknown context (known: {})", known_contexts()),
            ));
        }
    }

    let file: KeymapFile = src.parse().map_err(|mut e: ConfigError| {
        // `[global]` instead of `[[global]]`: serde's wording does not say what to write.
        if e.message.contains("expected a sequence")
            && let Some(ctx) = e.key.as_deref().and_then(KeyContext::from_name)
        {
            e.message = format!(
                "each binding is one table of an array: write [[{0}]] (two brackets) or {0} = [ {{ on = ..., run = ... }} ]",
                ctx.name()
            );
        }
        e
    })?;
    let base = file.base.clone();
    let mut out = Vec::new();
    for (ctx, raws) in file.into_contexts() {
        let mut seen: HashMap<KeyCombo, usize> = HashMap::new();
        let mut entries = Vec::with_capacity(raws.len());
        for raw in raws {
            let entry = check_binding(src, ctx, &raw)?;
            let line = super::error::line_col(src.text, raw.on.span().start).0;
            if let Some(first) = seen.insert(entry.key, line) {
                return Err(src.error(
                    raw.on.span(),
                    format!("[{}] \"{}\"", ctx.name(), raw.on.get_ref()),
                    format!("key bound twice in this context (first on line {first})"),
                ));
            }
            entries.push(entry);
        }
        out.push((ctx, entries));
    }
    Ok(Parsed {
        base,
        contexts: out,
    })
}

fn check_binding(src: Source<'_>, ctx: KeyContext, raw: &RawBinding) -> Result<Entry, ConfigError> {
    let label = format!("[{}] \"{}\"", ctx.name(), raw.on.get_ref().escape_debug());
    let key = KeyCombo::parse(raw.on.get_ref())
        .map_err(|e| src.error(raw.on.span(), &label, e.to_string()))?;

    // Typing into the filter prompt would be impossible if plain characters were bindings.
    if ctx == KeyContext::Filter
        && matches!(key.code, KeyCode::Char(_))
        && !key
            .modifiers
            .intersects(KeyModifiers::CONTROL | KeyModifiers::ALT)
    {
        return Err(src.error(
            raw.on.span(),
            &label,
            "printable keys are typed into the filter; bind a named key (Enter, Esc, ...) or a C-/A- combination",
        ));
    }

    let run = raw.run.get_ref().as_str();
    if run == "none" {
        return Ok(Entry {
            key,
            action: None,
            desc: String::new(),
        });
    }
    let Some(action) = Action::from_name(run) else {
        return Err(src.error(
            raw.run.span(),
            &label,
            format!(
                "unknown action \"{}\" (known: {})",
                run.escape_debug(),
                known_actions()
            ),
        ));
    };
    if let Some(allowed) = ctx.allowed()
        && !allowed.contains(&action)
    {
        let names: Vec<&str> = allowed.iter().map(|a| a.name()).collect();
        return Err(src.error(
            raw.run.span(),
            &label,
            format!(
                "action \"{run}\" does nothing in [{}] (allowed: {})",
                ctx.name(),
                names.join(", ")
            ),
        ));
    }
    let desc = match &raw.desc {
        Some(d) => d.clone(),
        None => ACTIONS
            .iter()
            .find(|(_, a, _)| *a == action)
            .map(|(_, _, d)| (*d).to_string())
            .unwrap_or_default(),
    };
    Ok(Entry {
        key,
        action: Some(action),
        desc,
    })
}

impl Keymap {
    /// A shipped keymap by name (`default` or `vim`).
    pub fn builtin(name: &str) -> Result<Keymap, ConfigError> {
        let (file, text) = super::shipped("keymaps", BUILTINS, name)?;
        let src = Source::new(&file, text);
        let Parsed { base, contexts } = parse_file(src)?;
        if let Some(base) = base {
            return Err(src.error(base.span(), "base", "a builtin keymap cannot have a base"));
        }
        let mut keymap = Keymap {
            name: name.to_string(),
            contexts: HashMap::new(),
        };
        keymap.overlay(contexts);
        Ok(keymap)
    }

    /// The builtin `base`, overlaid by the user file if one is given (a missing file is an
    /// error). A `base = "..."` in the user file wins over the `base` argument, since the file
    /// was written against that keymap.
    pub fn load(base: &str, user: Option<&Path>) -> Result<Keymap, ConfigError> {
        let Some(path) = user else {
            return Keymap::builtin(base);
        };
        let text = read_file(path)?;
        let src = Source::new(path, &text);
        let Parsed {
            base: file_base,
            contexts,
        } = parse_file(src)?;
        let mut keymap = match &file_base {
            Some(b) => {
                if !BUILTIN_KEYMAPS.contains(&b.get_ref().as_str()) {
                    return Err(src.error(
                        b.span(),
                        "base",
                        format!(
                            "no builtin keymap \"{}\" (builtin: {})",
                            b.get_ref(),
                            BUILTIN_KEYMAPS.join(", ")
                        ),
                    ));
                }
                Keymap::builtin(b.get_ref())?
            }
            None => Keymap::builtin(base)?,
        };
        keymap.name = format!("{} + {}", keymap.name, path.display());
        keymap.overlay(contexts);
        Ok(keymap)
    }

    /// What the `keymap` setting or `--keymap` flag means: a builtin name (overlaid by
    /// `keymap.toml` in the config directory, if there is one) or a path to a user keymap
    /// (overlaying `default`, or its own `base`). `None` is `default`.
    pub fn resolve(spec: Option<&str>) -> Result<Keymap, ConfigError> {
        let spec = spec.unwrap_or("default");
        let path = Path::new(spec);
        if BUILTIN_KEYMAPS.contains(&spec) {
            Keymap::load(spec, super::paths::user_keymap_path().as_deref())
        } else if path.components().count() == 1 && !path.exists() {
            // A bare word that is neither a builtin nor a file is most likely a typo.
            Err(ConfigError::new(
                path,
                format!(
                    "not a builtin keymap ({}) and no such file",
                    BUILTIN_KEYMAPS.join(", ")
                ),
            ))
        } else {
            Keymap::load("default", Some(path))
        }
    }

    /// A key in a file replaces the same key in the same context; `none` removes it.
    fn overlay(&mut self, contexts: Vec<(KeyContext, Vec<Entry>)>) {
        for (ctx, entries) in contexts {
            let list = self.contexts.entry(ctx).or_default();
            for entry in entries {
                let existing = list.iter().position(|b| b.key == entry.key);
                match (entry.action, existing) {
                    (None, Some(i)) => {
                        list.remove(i);
                    }
                    (None, None) => {}
                    (Some(action), Some(i)) => {
                        list[i] = Binding {
                            key: entry.key,
                            action,
                            desc: entry.desc,
                        }
                    }
                    (Some(action), None) => list.push(Binding {
                        key: entry.key,
                        action,
                        desc: entry.desc,
                    }),
                }
            }
        }
    }

    /// "default", "vim", or "vim + /path/to/keymap.toml".
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The action for a key event. Panels look in their own bindings, then `global`; dialogs,
    /// help and the filter prompt look only in their own, so a stray key there cannot act on
    /// the panel behind them.
    pub fn lookup(&self, ctx: KeyContext, ev: &KeyEvent) -> Option<Action> {
        let find = |c: KeyContext| {
            self.bindings(c)
                .iter()
                .find(|b| b.key.matches(ev))
                .map(|b| b.action)
        };
        match ctx {
            KeyContext::Panel(_) => find(ctx).or_else(|| find(KeyContext::Global)),
            _ => find(ctx),
        }
    }

    /// The bindings written for one context (not including the global fallback), in order.
    pub fn bindings(&self, ctx: KeyContext) -> &[Binding] {
        self.contexts.get(&ctx).map_or(&[], Vec::as_slice)
    }

    /// The first key that runs `action` in `ctx` (with the global fallback for panels); for
    /// footer hints such as "d drain".
    pub fn key_for(&self, ctx: KeyContext, action: Action) -> Option<KeyCombo> {
        let find = |c: KeyContext| {
            self.bindings(c)
                .iter()
                .find(|b| b.action == action)
                .map(|b| b.key)
        };
        match ctx {
            KeyContext::Panel(_) => find(ctx).or_else(|| find(KeyContext::Global)),
            _ => find(ctx),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crossterm::event::KeyModifiers as M;
    use std::io::Write;
    use std::path::PathBuf;

    fn press(s: &str) -> KeyEvent {
        let k: KeyCombo = s.parse().unwrap();
        KeyEvent::new(k.code, k.modifiers)
    }

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
    fn every_context_has_a_table() {
        let file = KeymapFile::default();
        let names: Vec<&str> = file.into_contexts().iter().map(|(c, _)| c.name()).collect();
        assert_eq!(names, KeyContext::ALL.map(KeyContext::name));
        for c in KeyContext::ALL {
            assert_eq!(KeyContext::from_name(c.name()), Some(c));
        }
    }

    #[test]
    fn shipped_keymaps_parse() {
        for name in BUILTIN_KEYMAPS {
            let k = Keymap::builtin(name).unwrap();
            assert!(!k.bindings(KeyContext::Global).is_empty(), "{name}");
            for ctx in KeyContext::ALL {
                for b in k.bindings(ctx) {
                    assert!(!b.desc.is_empty(), "{name} [{}] {}", ctx.name(), b.key);
                    assert!(
                        b.desc.chars().count() <= 32,
                        "{name}: long desc {:?}",
                        b.desc
                    );
                }
            }
        }
        assert!(
            Keymap::builtin("emacs")
                .unwrap_err()
                .to_string()
                .contains("default, vim")
        );
    }

    /// The bindings the docs and operators' habits rely on, in every shipped keymap.
    #[test]
    fn required_bindings_resolve() {
        use Action::*;
        let (global, confirm, help, filter) = (
            KeyContext::Global,
            KeyContext::Confirm,
            KeyContext::Help,
            KeyContext::Filter,
        );
        let t = KeyContext::Panel(PanelId::Targets);
        for name in BUILTIN_KEYMAPS {
            let k = Keymap::builtin(name).unwrap();
            let at = |ctx, key: &str| k.lookup(ctx, &press(key));
            assert_eq!(at(t, "Tab"), Some(NextPanel), "{name}");
            assert_eq!(at(t, "S-Tab"), Some(PrevPanel), "{name}");
            for p in PanelId::ALL {
                assert_eq!(
                    at(t, &p.number().to_string()),
                    Some(FocusPanel(p)),
                    "{name}"
                );
            }
            assert_eq!(at(t, "Enter"), Some(Zoom), "{name}");
            assert_eq!(at(t, "/"), Some(Filter), "{name}");
            assert_eq!(at(t, "s"), Some(Sort), "{name}");
            assert_eq!(at(t, "r"), Some(Refresh), "{name}");
            assert_eq!(at(t, "d"), Some(Drain), "{name}");
            assert_eq!(at(t, "u"), Some(Undo), "{name}");
            assert_eq!(
                at(KeyContext::Panel(PanelId::Waf), "t"),
                Some(ToggleRule),
                "{name}"
            );
            assert_eq!(
                at(KeyContext::Panel(PanelId::Instances), "l"),
                Some(TailLogs),
                "{name}"
            );
            assert_eq!(
                at(KeyContext::Panel(PanelId::Logs), "f"),
                Some(Follow),
                "{name}"
            );
            // Mutations stay in their own panel.
            assert_eq!(at(KeyContext::Panel(PanelId::Waf), "d"), None, "{name}");
            assert_eq!(at(KeyContext::Panel(PanelId::Dns), "t"), None, "{name}");
            assert_eq!(at(global, "?"), Some(Help), "{name}");
            assert_eq!(at(global, "q"), Some(Quit), "{name}");
            assert_eq!(at(global, "C-c"), Some(Quit), "{name}");
            assert_eq!(at(global, "Esc"), Some(Cancel), "{name}");
            for (key, action) in [
                ("Up", Up),
                ("Down", Down),
                ("PageUp", PageUp),
                ("PageDown", PageDown),
                ("Home", Top),
                ("End", Bottom),
            ] {
                assert_eq!(at(t, key), Some(action), "{name} {key}");
                assert_eq!(at(help, key), Some(action), "{name} help {key}");
            }
            assert_eq!(at(confirm, "y"), Some(Confirm), "{name}");
            assert_eq!(at(confirm, "n"), Some(Cancel), "{name}");
            assert_eq!(at(confirm, "Esc"), Some(Cancel), "{name}");
            // The default answer is No.
            assert_eq!(at(confirm, "Enter"), Some(Cancel), "{name}");
            assert_eq!(at(confirm, "q"), None, "{name}");
            for key in ["Esc", "?", "q"] {
                assert_eq!(at(help, key), Some(Cancel), "{name} help {key}");
            }
            assert_eq!(at(filter, "Enter"), Some(Confirm), "{name}");
            assert_eq!(at(filter, "Esc"), Some(Cancel), "{name}");
            assert_eq!(at(filter, "q"), None, "{name}: q is typed text");
        }
    }

    #[test]
    fn vim_adds_movement_without_stealing_panel_keys() {
        use Action::*;
        let k = Keymap::builtin("vim").unwrap();
        let t = KeyContext::Panel(PanelId::Targets);
        let at = |ctx, key: &str| k.lookup(ctx, &press(key));
        assert_eq!(at(t, "j"), Some(Down));
        assert_eq!(at(t, "k"), Some(Up));
        assert_eq!(at(t, "g"), Some(Top));
        assert_eq!(at(t, "G"), Some(Bottom));
        assert_eq!(at(t, "C-d"), Some(PageDown));
        assert_eq!(at(t, "C-u"), Some(PageUp));
        assert_eq!(at(t, "C-f"), Some(PageDown));
        assert_eq!(at(t, "C-b"), Some(PageUp));
        assert_eq!(at(t, "L"), Some(NextPanel));
        assert_eq!(at(t, "H"), Some(PrevPanel));
        assert_eq!(
            at(KeyContext::Panel(PanelId::Instances), "l"),
            Some(TailLogs)
        );
        assert_eq!(at(KeyContext::Help, "j"), Some(Down));
        // SHIFT reported or not, G is G.
        let shifted = KeyEvent::new(KeyCode::Char('G'), M::SHIFT);
        assert_eq!(k.lookup(t, &shifted), Some(Bottom));
    }

    #[test]
    fn panel_bindings_win_over_global() {
        let f = user_file(
            "[[global]]\non = \"x\"\nrun = \"refresh\"\n\n[[targets]]\non = \"x\"\nrun = \"sort\"\n",
        );
        let k = Keymap::load("default", Some(f.path())).unwrap();
        assert_eq!(
            k.lookup(KeyContext::Panel(PanelId::Targets), &press("x")),
            Some(Action::Sort)
        );
        assert_eq!(
            k.lookup(KeyContext::Panel(PanelId::Waf), &press("x")),
            Some(Action::Refresh)
        );
        assert_eq!(k.lookup(KeyContext::Confirm, &press("x")), None);
    }

    #[test]
    fn user_overlay_replaces_and_unbinds() {
        let k = Keymap::load("default", Some(&fixture("valid/user-keymap.toml"))).unwrap();
        let t = KeyContext::Panel(PanelId::Targets);
        // Replaced: D drains instead of d; d is unbound in targets.
        assert_eq!(k.lookup(t, &press("D")), Some(Action::Drain));
        assert_eq!(k.lookup(t, &press("d")), None);
        // Replaced in place: same key, new action and description.
        let q = k
            .bindings(KeyContext::Global)
            .iter()
            .find(|b| b.key.to_string() == "q")
            .unwrap();
        assert_eq!(q.action, Action::Help);
        assert_eq!(q.desc, "Keys (q no longer quits)");
        // Untouched contexts keep the base bindings.
        assert_eq!(
            k.lookup(KeyContext::Confirm, &press("Enter")),
            Some(Action::Cancel)
        );
        assert_eq!(k.lookup(t, &press("u")), Some(Action::Undo));
        // Description defaults to the action's.
        let x = k
            .bindings(KeyContext::Global)
            .iter()
            .find(|b| b.key.to_string() == "C-r")
            .unwrap();
        assert_eq!(x.desc, "Refresh now");
        assert!(k.name().starts_with("default + "));
    }

    #[test]
    fn user_file_can_choose_its_base() {
        let f = user_file("base = \"vim\"\n[[global]]\non = \"x\"\nrun = \"quit\"\n");
        let k = Keymap::load("default", Some(f.path())).unwrap();
        let t = KeyContext::Panel(PanelId::Targets);
        assert_eq!(k.lookup(t, &press("j")), Some(Action::Down));
        assert_eq!(k.lookup(t, &press("x")), Some(Action::Quit));

        let f = user_file("# a\nbase = \"emacs\"\n");
        let e = Keymap::load("default", Some(f.path())).unwrap_err();
        assert_eq!(e.line, Some(2));
        assert!(e.message.contains("emacs"), "{e}");
    }

    #[test]
    fn missing_user_file_is_an_error() {
        let e = Keymap::load("default", Some(Path::new("/nonexistent/keymap.toml"))).unwrap_err();
        assert_eq!(e.to_string(), "/nonexistent/keymap.toml: file not found");
        assert!(Keymap::resolve(Some("/nonexistent/keymap.toml")).is_err());
    }

    fn load_err(rel: &str) -> String {
        Keymap::load("default", Some(&fixture(rel)))
            .unwrap_err()
            .to_string()
    }

    #[test]
    fn unknown_action_is_located() {
        let e = load_err("invalid/unknown-action-keymap.toml");
        assert!(
            e.contains(
                "unknown-action-keymap.toml:7:7: [targets] \"x\": unknown action \"explode\""
            ),
            "{e}"
        );
        assert!(e.contains("known: quit, next-panel"), "{e}");
    }

    #[test]
    fn bad_key_is_located() {
        let e = load_err("invalid/bad-key-keymap.toml");
        assert!(
            e.contains("bad-key-keymap.toml:10:6: [global] \"F13\": bad key"),
            "{e}"
        );
    }

    #[test]
    fn file_mistakes_are_located() {
        let cases = [
            (
                "[[bogus]]\non = \"x\"\nrun = \"quit\"\n",
                1,
                "[[bogus]]: unknown context (known: global, targets",
            ),
            (
                "[[global]]\non = \"x\"\nrun = \"quit\"\nwhen = 1\n",
                4,
                "unknown field `when`",
            ),
            ("[[global]]\non = \"x\"\n", 1, "missing field `run`"),
            (
                "[[global]]\non = \"x\"\nrun = \"quit\"\n[[global]]\non = \"x\"\nrun = \"help\"\n",
                5,
                "[global] \"x\": key bound twice in this context (first on line 2)",
            ),
            (
                "[[global]]\non = \"S-Tab\"\nrun = \"quit\"\n[[global]]\non = \"BackTab\"\nrun = \"help\"\n",
                5,
                "bound twice",
            ),
            (
                "[[filter]]\non = \"x\"\nrun = \"cancel\"\n",
                2,
                "printable keys are typed into the filter",
            ),
            (
                "[global]\non = \"x\"\nrun = \"quit\"\n",
                1,
                "global: each binding is one table of an array: write [[global]]",
            ),
            (
                "[[confirm]]\non = \"d\"\nrun = \"drain\"\n",
                3,
                "action \"drain\" does nothing in [confirm]",
            ),
        ];
        for (text, line, needle) in cases {
            let f = user_file(text);
            let e = Keymap::load("default", Some(f.path())).unwrap_err();
            assert_eq!(e.line, Some(line), "{e}");
            let shown = e.to_string();
            assert!(
                shown.starts_with(&f.path().display().to_string()),
                "{shown}"
            );
            assert!(shown.contains(needle), "{shown}");
        }
    }

    #[test]
    fn the_same_key_in_another_context_is_fine() {
        let f = user_file(
            "[[global]]\non = \"x\"\nrun = \"quit\"\n[[waf]]\non = \"x\"\nrun = \"sort\"\n",
        );
        assert!(Keymap::load("default", Some(f.path())).is_ok());
    }

    #[test]
    fn footer_hints_find_keys() {
        let k = Keymap::builtin("default").unwrap();
        let t = KeyContext::Panel(PanelId::Targets);
        assert_eq!(
            k.key_for(t, Action::Drain)
                .map(|k| k.to_string())
                .as_deref(),
            Some("d")
        );
        assert_eq!(
            k.key_for(t, Action::Quit).map(|k| k.to_string()).as_deref(),
            Some("q")
        );
        assert_eq!(k.key_for(KeyContext::Confirm, Action::Drain), None);
    }
}
