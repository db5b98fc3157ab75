//! What every panel has in common: the frame with its number and title, the age of its data, a
//! spinner while loading, the last error, filter and sort indicators.

use super::Canvas;
use super::{focused, layout, logs, table};
use crate::app::App;
use crate::config::Theme;
use crate::model::{PanelId, format_age};
use crate::view::Role;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, BorderType, Borders, Paragraph, Wrap};

const SPINNER: [char; 10] = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];

pub fn draw(frame: &mut Canvas, app: &App, theme: &Theme, panel: PanelId, area: Rect) {
    draw_border(frame, area, border(app, theme, panel, area.width));
    let (fetched, error, loading) = app.world.status(panel);
    let inside = layout::inner(area);
    // A tail that says what it waits for (a connection, an SSH greeting) shows that instead.
    let says_why = panel == PanelId::Logs && !app.world.logs.waiting.is_empty();
    if loading && !says_why {
        let text = format!("{} loading…", SPINNER[app.spinner % SPINNER.len()]);
        frame.render_widget(
            Paragraph::new(Span::styled(text, theme.style(Role::Muted))),
            inside,
        );
        return;
    }
    if fetched.is_none() && panel != PanelId::Logs {
        // Never fetched successfully: the error is all there is to show.
        let text = format!("✗ {}", error.unwrap_or("no data"));
        frame.render_widget(
            Paragraph::new(Span::styled(text, theme.style(Role::Problem)))
                .wrap(Wrap { trim: true }),
            inside,
        );
        return;
    }
    match panel {
        PanelId::Logs => logs::draw(frame, app, theme, inside),
        PanelId::Waf => {
            let (rules, samples) = layout::waf_split(area);
            if let Some(p) = app.panels.get(panel) {
                table::draw(frame, p, theme, rules, focused(app, panel));
            }
            if samples.height > 0 {
                draw_samples(frame, app, theme, samples);
            }
        }
        _ => {
            if let Some(p) = app.panels.get(panel) {
                table::draw(frame, p, theme, inside, focused(app, panel));
            }
        }
    }
}

fn draw_samples(frame: &mut Canvas, app: &App, theme: &Theme, area: Rect) {
    let title = match app.selected_rule() {
        Some((_, rule)) => format!("Sampled requests · {}", crate::view::clean(&rule.name)),
        None => "Sampled requests · select a rule".to_string(),
    };
    let [title_row, rest] = ratatui::layout::Layout::vertical([
        ratatui::layout::Constraint::Length(1),
        ratatui::layout::Constraint::Fill(1),
    ])
    .areas(area);
    let s = &app.world.samples;
    let mut spans = vec![Span::styled(title, theme.style(Role::Title))];
    let shown = app.selected_samples();
    // Their own age first, like every figure (what a narrow panel keeps): they are read with
    // the panel, and older ones say so.
    match app.samples_age() {
        Some((age, true)) => spans.push(Span::styled(
            format!("  STALE {}", format_age(age)),
            theme.style(Role::Stale),
        )),
        Some((age, false)) => spans.push(Span::styled(
            format!("  {} ago", format_age(age)),
            theme.style(Role::Muted),
        )),
        None if app.selected_rule().is_some() && s.error.is_none() => {
            spans.push(Span::styled("  reading…", theme.style(Role::Muted)))
        }
        None => {}
    }
    // The time the sample really covers: WAF samples the first 5,000 requests of the window.
    if let Some(samples) = shown
        && let Some((from, to)) = samples.window
    {
        let of = samples
            .population
            .map(|n| format!(", {n} requests"))
            .unwrap_or_default();
        spans.push(Span::styled(
            format!(
                "  {}–{} UTC{of}",
                from.format("%H:%M:%S"),
                to.format("%H:%M:%S")
            ),
            theme.style(Role::Muted),
        ));
    }
    if let Some(e) = &s.error {
        spans.push(Span::styled(format!("  ✗ {e}"), theme.style(Role::Problem)));
    }
    frame.render_widget(Paragraph::new(Line::from(spans)), title_row);
    if shown.is_some() {
        table::draw(frame, &app.panels.samples, theme, rest, false);
    }
}

/// A panel's border: its lines' look, its title and age (on the top line, the age on the
/// right), and the titles on its bottom line.
struct Border<'a> {
    edge: Block<'static>,
    title: Line<'a>,
    age: Line<'a>,
    bottom: Vec<Line<'a>>,
}

/// Draws `border` on the cells of `area`'s edge only. ratatui's `Block` first styles every cell
/// of its area, the inside too, which the panel's body then covers anyway: on a wall, a fifth
/// of each second's frame (BENCHMARKS.md §20). Blocks as thin as the edge draw the same cells:
/// the top line in two (the title, and the age with its corner: the one part that moves
/// every second), the two sides, the bottom line with its corners and titles. All but the age
/// are kept from the frame before when they did not change (§21).
fn draw_border(frame: &mut Canvas, area: Rect, border: Border<'_>) {
    let Border {
        edge,
        title,
        age,
        bottom,
    } = border;
    let age = age.right_aligned();
    if area.width < 2 || area.height < 2 {
        let whole = edge.borders(Borders::ALL).title(title).title(age);
        frame.render_widget(bottom.into_iter().fold(whole, Block::title_bottom), area);
        return;
    }
    let (x, y, w, h) = (area.x, area.y, area.width, area.height);
    let sides = Borders::LEFT | Borders::RIGHT;
    // The age and the corner after it; the title's cells under the age are the age's, as when
    // one block draws both (ratatui draws right-aligned titles over left ones).
    let age_cells = u16::try_from(age.width())
        .unwrap_or(u16::MAX)
        .saturating_add(1);
    if w >= age_cells.saturating_add(2) {
        let left = w - age_cells;
        let titled = edge
            .clone()
            .borders(Borders::TOP | Borders::LEFT)
            .title(title);
        frame.render_kept(titled, Rect::new(x, y, left, 1));
        let aged = edge
            .clone()
            .borders(Borders::TOP | Borders::RIGHT)
            .title(age);
        frame.render_widget(aged, Rect::new(x + left, y, age_cells, 1));
    } else {
        let top_line = edge
            .clone()
            .borders(Borders::TOP | sides)
            .title(title)
            .title(age);
        frame.render_widget(top_line, Rect::new(x, y, w, 1));
    }
    if h > 2 {
        let left = edge.clone().borders(Borders::LEFT);
        frame.render_kept(left, Rect::new(x, y + 1, 1, h - 2));
        let right = edge.clone().borders(Borders::RIGHT);
        frame.render_kept(right, Rect::new(x + w - 1, y + 1, 1, h - 2));
    }
    let bottom_line = bottom
        .into_iter()
        .fold(edge.borders(Borders::BOTTOM | sides), Block::title_bottom);
    frame.render_kept(bottom_line, Rect::new(x, y + h - 1, w, 1));
}

fn border<'a>(app: &'a App, theme: &Theme, panel: PanelId, width: u16) -> Border<'a> {
    let is_focused = focused(app, panel);
    let border = theme.style(if is_focused {
        Role::Focus
    } else {
        Role::Border
    });
    let mut title = vec![Span::styled(
        format!(" {} {} ", panel.number(), panel.title()),
        theme.style(if is_focused { Role::Focus } else { Role::Title }),
    )];
    if panel == PanelId::Logs {
        title.extend(logs::title(app, theme));
    }
    let filter = app.panels.filter(panel);
    if !filter.is_empty() {
        title.push(Span::styled(
            format!("/{} ", crate::view::clean(filter)),
            theme.style(Role::Hint),
        ));
    }
    if let Some(p) = app.panels.get(panel)
        && p.sort != crate::view::SortOrder::Natural
    {
        title.push(Span::styled(
            format!("↓{} ", p.sort.label()),
            theme.style(Role::Hint),
        ));
    }
    if panel == PanelId::Logs && !app.panels.logs.search.is_empty() {
        title.push(Span::styled(
            format!("search: {} ", crate::view::clean(&app.panels.logs.search)),
            theme.style(Role::Hint),
        ));
    }
    if panel == PanelId::Logs && app.panels.logs.paused {
        title.push(Span::styled("PAUSED ", theme.style(Role::Warning)));
    }
    let (fetched, error, loading) = app.world.status(panel);
    // A log's age is its newest line's, not its last (possibly empty) batch's.
    let fetched = match panel {
        PanelId::Logs => app.newest_log_line_at(),
        _ => fetched,
    };
    // Stale data must be impossible to miss, on a wall seen from across the room too.
    let (age, age_role) = match (loading, fetched, app.stale_secs(panel)) {
        (true, _, _) => (
            format!(" {} ", SPINNER[app.spinner % SPINNER.len()]),
            Role::Muted,
        ),
        (false, Some(_), Some(stale)) => (format!(" STALE {} ", format_age(stale)), Role::Stale),
        (false, Some(at), None) => (
            format!(" {} ago ", format_age((app.now - at).num_seconds().max(0))),
            Role::Muted,
        ),
        (false, None, _) => (" never ".to_string(), Role::Stale),
    };
    let edge = Block::default()
        .border_type(if is_focused {
            BorderType::Thick
        } else {
            BorderType::Rounded
        })
        .border_style(border);
    let title = Line::from(title);
    let age = Line::from(Span::styled(age, theme.style(age_role)));
    let mut bottom = Vec::new();
    if let Some(e) = error {
        bottom.push(Line::from(Span::styled(
            format!(" ✗ {} ", crate::view::clean(e)),
            theme.style(Role::Problem),
        )));
    }
    // The selected row's whole name or ARN, which its cells may have cut; not on a wall, which
    // nobody selects on.
    if is_focused
        && app.wall.is_none()
        && let Some(full) = app.selected_detail()
    {
        // Beside an error, half the border each; cut in the middle, like the cells.
        let room = if error.is_some() { width / 2 } else { width }.saturating_sub(4);
        let full = super::table::fit(full, room);
        bottom.push(
            Line::from(Span::styled(format!(" {full} "), theme.style(Role::Hint))).right_aligned(),
        );
    }
    Border {
        edge,
        title,
        age,
        bottom,
    }
}
