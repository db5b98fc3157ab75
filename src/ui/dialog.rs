//! Dialogs over the panels: the confirmation of a mutation and the help overlay generated from
//! the active keymap.

use super::Canvas;
use crate::app::{App, Confirmation, QuitGuard};
use crate::config::{KeyContext, Theme};
use crate::view::Role;
use ratatui::layout::{Constraint, Flex, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{
    Block, BorderType, Borders, Paragraph, Scrollbar, ScrollbarOrientation, ScrollbarState, Wrap,
};

pub(super) fn centered(area: Rect, width: u16, height: u16) -> Rect {
    let [row] = Layout::vertical([Constraint::Length(height.min(area.height))])
        .flex(Flex::Center)
        .areas(area);
    let [cell] = Layout::horizontal([Constraint::Length(width.min(area.width))])
        .flex(Flex::Center)
        .areas(row);
    cell
}

pub(super) fn dialog_block<'a>(theme: &Theme, title: &'a str) -> Block<'a> {
    Block::default()
        .borders(Borders::ALL)
        .border_type(BorderType::Double)
        .border_style(theme.style(Role::Focus))
        .style(theme.style(Role::Dialog))
        .title(Span::styled(title, theme.style(Role::Title)))
}

pub fn confirm(frame: &mut Canvas, app: &App, theme: &Theme, c: &Confirmation) {
    let mut lines = vec![Line::from(Span::styled(
        c.mutation.summary(),
        theme.style(Role::Title),
    ))];
    // Where several accounts are watched, the account the change is made in, by name and id,
    // under what it does (with one, the details name the account as they always have).
    if let Some(a) = c.mutation.account() {
        lines.push(Line::from(Span::styled(
            format!("In account {}", crate::view::clean(&a.label())),
            theme.style(Role::Title),
        )));
    }
    lines.push(Line::from(""));
    lines.extend(
        c.details
            .iter()
            .map(|d| Line::from(Span::styled(d.clone(), theme.style(Role::Dialog)))),
    );
    if let Some(w) = &c.warning {
        lines.push(Line::from(""));
        lines.push(Line::from(Span::styled(
            format!("⚠ {w}"),
            theme.style(Role::Problem),
        )));
    }
    if !c.lifetimes.is_empty() {
        lines.push(Line::from(""));
        let mut spans = vec![Span::styled("For: ", theme.style(Role::Dialog))];
        for (i, (label, _)) in c.lifetimes.iter().enumerate() {
            let role = if i == c.lifetime {
                Role::Selection
            } else {
                Role::Dialog
            };
            spans.push(Span::styled(format!("{}", i + 1), theme.style(Role::Hint)));
            // Brackets mark the choice where colours don't show.
            let label = if i == c.lifetime {
                format!(" [{label}]")
            } else {
                format!(" {label}")
            };
            spans.push(Span::styled(label, theme.style(role)));
            spans.push(Span::styled("  ", theme.style(Role::Dialog)));
        }
        lines.push(Line::from(spans));
        // A timed choice: who puts things back when its time comes.
        if c.lifetimes
            .get(c.lifetime)
            .is_some_and(|(_, m)| m.is_some())
        {
            lines.push(Line::from(Span::styled(
                crate::app::confirm::undone_by(app.shared_state.as_deref()),
                theme.style(Role::Muted),
            )));
        }
    }
    lines.push(Line::from(""));
    if let Some(why) = &c.refused {
        lines.push(Line::from(Span::styled(
            why.clone(),
            theme.style(Role::Problem),
        )));
    }
    match &c.type_to_confirm {
        Some(_) => lines.push(Line::from(vec![
            Span::styled("Type the target id: ", theme.style(Role::Dialog)),
            Span::styled(c.typed.clone(), theme.style(Role::Warning)),
            Span::styled("█", theme.style(Role::Focus)),
            Span::styled("   Esc cancels", theme.style(Role::Muted)),
        ])),
        None => lines.push(Line::from(vec![
            Span::styled("Proceed? ", theme.style(Role::Dialog)),
            Span::styled("y", theme.style(Role::Hint)),
            Span::styled(" yes  ", theme.style(Role::Dialog)),
            Span::styled("N", theme.style(Role::Hint)),
            Span::styled(" no (default)", theme.style(Role::Dialog)),
        ])),
    }
    wrapped(frame, theme, lines, " Confirm ");
}

/// A dialog 90 wide over the panels, tall enough for every line as wrapped, so the question
/// at the bottom is never cut off (a word wrap can cost a row more than the width alone says).
fn wrapped(frame: &mut Canvas, theme: &Theme, lines: Vec<Line>, title: &str) {
    let inner = usize::from(frame.area().width.min(90).saturating_sub(2)).max(1);
    let rows: usize = lines
        .iter()
        .map(|l| match l.width() {
            0 => 1,
            w if w <= inner => 1,
            w => w.div_ceil(inner) + 1,
        })
        .sum();
    let height = u16::try_from(rows).unwrap_or(u16::MAX).saturating_add(4);
    let area = centered(frame.area(), 90, height);
    frame.render_kept(
        Paragraph::new(lines)
            .wrap(Wrap { trim: false })
            .block(dialog_block(theme, title)),
        area,
    );
}

/// Quitting with undos scheduled: what they are and who would carry them out, then `r`
/// (carry them out, then quit), `k` (keep them and quit) or `Esc` (stay, the default); while
/// `r` runs, its progress; when one was not carried out, why, and the console stays.
pub fn quit(frame: &mut Canvas, app: &App, theme: &Theme, guard: &QuitGuard) {
    let text = |t: String, role: Role| Line::from(Span::styled(t, theme.style(role)));
    let choice = |key: &'static str, what: &'static str| {
        Line::from(vec![
            Span::styled(format!("{key:<5}"), theme.style(Role::Hint)),
            Span::styled(what, theme.style(Role::Dialog)),
        ])
    };
    let lines = match guard {
        QuitGuard::Asking => vec![
            text(app.quit_question(), Role::Warning),
            Line::from(""),
            choice("r", "carry them out now, then quit"),
            choice("k", "keep them scheduled and quit"),
            choice("Esc", "stay (the default)"),
        ],
        QuitGuard::CarryingOut { count, failed } => {
            let mut lines = vec![text(
                format!(
                    "carrying out {count} undo{}…",
                    if *count == 1 { "" } else { "s" }
                ),
                Role::Dialog,
            )];
            lines.extend(failed.iter().map(|f| text(format!("✗ {f}"), Role::Problem)));
            lines.push(Line::from(""));
            lines.push(text(
                "The console quits when they are done · Esc stays (they still finish)".into(),
                Role::Muted,
            ));
            lines
        }
        QuitGuard::NotDone(why) => vec![
            text(
                "Not every undo was carried out, so the console stays.".into(),
                Role::Title,
            ),
            text(why.clone(), Role::Problem),
            Line::from(""),
            text("Esc or Enter closes · q asks again".into(), Role::Muted),
        ],
    };
    wrapped(frame, theme, lines, " Quit ");
}

/// A message to read in full (wrapped), closed by any answer key.
pub fn notice(frame: &mut Canvas, theme: &Theme, title: &str, text: &str) {
    let lines = vec![
        Line::from(Span::styled(
            crate::view::clean(text),
            theme.style(Role::Problem),
        )),
        Line::from(""),
        Line::from(Span::styled(
            "Esc, Enter, y or n closes",
            theme.style(Role::Muted),
        )),
    ];
    let width = 90u16;
    // Room for the wrapped text plus the border, the blank line and the hint.
    let height = (text.chars().count() as u16 / (width - 4)) + 6;
    let area = centered(frame.area(), width, height);
    frame.render_kept(
        Paragraph::new(lines)
            .wrap(Wrap { trim: false })
            .block(dialog_block(theme, title)),
        area,
    );
}

/// Asks for a key file's passphrase; what is typed shows as one dot per character.
pub fn passphrase(frame: &mut Canvas, theme: &Theme, key_file: &str, typed: usize) {
    let lines = vec![
        Line::from(Span::styled(
            "A log tail needs the passphrase of",
            theme.style(Role::Dialog),
        )),
        Line::from(Span::styled(key_file.to_string(), theme.style(Role::Title))),
        Line::from(""),
        Line::from(vec![
            Span::styled("Passphrase: ", theme.style(Role::Dialog)),
            Span::styled("•".repeat(typed.min(64)), theme.style(Role::Warning)),
            Span::styled("█", theme.style(Role::Focus)),
        ]),
        Line::from(""),
        Line::from(Span::styled(
            "Enter sends it (kept in memory for this tail's reconnects) · Esc skips this key",
            theme.style(Role::Muted),
        )),
    ];
    let area = centered(frame.area(), 90, lines.len() as u16 + 2);
    frame.render_kept(
        Paragraph::new(lines)
            .wrap(Wrap { trim: false })
            .block(dialog_block(theme, " SSH key passphrase ")),
        area,
    );
}

/// What this session has asked of AWS so far, and what CloudWatch will bill for it.
pub fn stats(frame: &mut Canvas, app: &App, theme: &Theme) {
    let text = match &app.api_stats {
        Some(stats) => stats.report().to_text(),
        None => "The demo world makes no API calls.\n".to_string(),
    };
    let mut lines: Vec<Line> = text
        .lines()
        .map(|l| Line::from(Span::styled(l.to_string(), theme.style(Role::Dialog))))
        .collect();
    lines.push(Line::from(""));
    lines.push(Line::from(Span::styled(
        "Rates are averages since the start (first minute counted as one). Esc closes",
        theme.style(Role::Muted),
    )));
    let area = centered(frame.area(), 96, lines.len() as u16 + 2);
    frame.render_kept(
        Paragraph::new(lines).block(dialog_block(theme, " API calls · S ")),
        area,
    );
}

/// Every problem, worst first: severity, panel, what it concerns and what is wrong. The
/// selected one is highlighted; Enter jumps to its row.
pub fn problems(frame: &mut Canvas, app: &App, theme: &Theme, selected: usize) {
    let area = centered(frame.area(), 120, frame.area().height.saturating_sub(4));
    let inner_rows = usize::from(area.height.saturating_sub(4)).max(1);
    let first = selected.saturating_sub(inner_rows.saturating_sub(1));
    let mut lines: Vec<Line> = if app.problems.is_empty() {
        vec![Line::from(Span::styled(
            "No problems in the data shown.",
            theme.style(Role::Ok),
        ))]
    } else {
        app.problems
            .iter()
            .enumerate()
            .skip(first)
            .take(inner_rows)
            .map(|(i, p)| {
                let (text, role) = super::wall::described(p);
                let style = if i == selected {
                    theme.style(Role::Selection)
                } else {
                    theme.style(role)
                };
                Line::from(Span::styled(text, style))
            })
            .collect()
    };
    lines.push(Line::from(""));
    lines.push(Line::from(Span::styled(
        "Up/Down choose · Enter go to its row · Esc or p close",
        theme.style(Role::Muted),
    )));
    frame.render_kept(
        Paragraph::new(lines).block(dialog_block(
            theme,
            &format!(" Problems ({}) · p ", app.problems.len()),
        )),
        area,
    );
}

pub fn help(frame: &mut Canvas, app: &App, theme: &Theme, scroll: usize) {
    let mut lines = Vec::new();
    let contexts = [
        (
            format!("{} panel", app.focus.title()),
            KeyContext::Panel(app.focus),
        ),
        ("Everywhere".to_string(), KeyContext::Global),
        ("Confirmation".to_string(), KeyContext::Confirm),
    ];
    let here = app.keymap.bindings(KeyContext::Panel(app.focus));
    for (title, ctx) in contexts {
        let bindings = app.keymap.bindings(ctx);
        if bindings.is_empty() {
            continue;
        }
        lines.push(Line::from(Span::styled(title, theme.style(Role::Header))));
        // A global key the focused panel binds to something else does not do its global job
        // here: listed once, under the panel.
        let shadowed = |b: &&crate::config::Binding| {
            ctx == KeyContext::Global && here.iter().any(|h| h.key == b.key)
        };
        for b in bindings.iter().filter(|b| !shadowed(b)) {
            let disabled = app.read_only && b.action.mutates();
            let desc = if disabled {
                format!("{} (read-only)", b.desc)
            } else {
                b.desc.clone()
            };
            lines.push(Line::from(vec![
                Span::styled(
                    format!("  {:<10}", b.key.to_string()),
                    theme.style(Role::Hint),
                ),
                Span::styled(
                    desc,
                    theme.style(if disabled { Role::Muted } else { Role::Dialog }),
                ),
            ]));
        }
        lines.push(Line::from(""));
    }
    lines.push(Line::from(Span::styled(
        format!("What the {} panel shows", app.focus.title()),
        theme.style(Role::Header),
    )));
    let legend = crate::view::legend::legend(app.focus);
    let pad = legend
        .iter()
        .map(|(s, _)| s.chars().count())
        .max()
        .unwrap_or(0)
        + 2;
    for (shown, means) in legend {
        lines.push(Line::from(vec![
            Span::styled(format!("  {shown:<pad$}"), theme.style(Role::Hint)),
            Span::styled(*means, theme.style(Role::Dialog)),
        ]));
    }
    let area = centered(frame.area(), 90, frame.area().height.saturating_sub(4));
    // Never past the last screenful: End shows the last keys, not an empty box.
    let visible = usize::from(area.height.saturating_sub(2));
    let total = lines.len();
    let last = total.saturating_sub(visible);
    let skip = scroll.min(last);
    let mut block = dialog_block(theme, " Keys · Esc closes ");
    // Taller than the screen: a scrollbar on the right border, and the border says which way
    // there is more and the keys that get there.
    if last > 0 {
        let key = |action: crate::app::Action| {
            app.keymap
                .key_for(KeyContext::Help, action)
                .map(|k| k.to_string())
        };
        let keys = |actions: [crate::app::Action; 2]| {
            actions
                .into_iter()
                .filter_map(key)
                .collect::<Vec<_>>()
                .join(" ")
        };
        use crate::app::Action::{Down, PageDown, PageUp, Up};
        let below = total - skip - visible;
        let more = match (skip, below) {
            (0, n) => format!(" ↓ {n} more lines · {} ", keys([Down, PageDown])),
            (n, 0) => format!(" ↑ {n} more lines above · {} ", keys([Up, PageUp])),
            (up, down) => format!(
                " ↑ {up} · ↓ {down} more lines · {} {} ",
                keys([Up, PageUp]),
                keys([Down, PageDown])
            ),
        };
        block = block
            .title_bottom(Line::from(Span::styled(more, theme.style(Role::Hint))).right_aligned());
    }
    frame.render_kept(
        Paragraph::new(lines.into_iter().skip(skip).collect::<Vec<_>>()).block(block),
        area,
    );
    if last > 0 {
        let mut state = ScrollbarState::new(last + 1)
            .position(skip)
            .viewport_content_length(visible);
        frame.render_stateful_widget(
            Scrollbar::new(ScrollbarOrientation::VerticalRight)
                .begin_symbol(Some("↑"))
                .end_symbol(Some("↓"))
                .style(theme.style(Role::Hint)),
            area.inner(ratatui::layout::Margin {
                horizontal: 0,
                vertical: 1,
            }),
            &mut state,
        );
    }
}
