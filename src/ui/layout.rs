//! Where things go on the screen. Pure functions of the screen size, zoom and focus, so the
//! update function can map a mouse click to the same rectangles the renderer draws.

use crate::model::PanelId;
use ratatui::layout::{Constraint, Layout, Rect};

pub struct Screen {
    pub header: Rect,
    pub panels: Vec<(PanelId, Rect)>,
    pub footer: Rect,
}

pub fn screen(area: Rect, zoomed: bool, focus: PanelId) -> Screen {
    let [header, body, footer] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Min(3),
        Constraint::Length(1),
    ])
    .areas(area);
    let panels = if zoomed {
        vec![(focus, body)]
    } else {
        let [top, middle, bottom] = Layout::vertical([
            Constraint::Percentage(42),
            Constraint::Percentage(32),
            Constraint::Fill(1),
        ])
        .areas(body);
        let [targets, waf] =
            Layout::horizontal([Constraint::Percentage(50), Constraint::Fill(1)]).areas(top);
        let [dns, instances] =
            Layout::horizontal([Constraint::Percentage(45), Constraint::Fill(1)]).areas(middle);
        vec![
            (PanelId::Targets, targets),
            (PanelId::Waf, waf),
            (PanelId::Dns, dns),
            (PanelId::Instances, instances),
            (PanelId::Logs, bottom),
        ]
    };
    Screen {
        header,
        panels,
        footer,
    }
}

pub fn panel_area(area: Rect, zoomed: bool, focus: PanelId, panel: PanelId) -> Option<Rect> {
    screen(area, zoomed, focus)
        .panels
        .into_iter()
        .find(|(p, _)| *p == panel)
        .map(|(_, r)| r)
}

/// The panel under a screen position.
pub fn panel_at(area: Rect, zoomed: bool, focus: PanelId, x: u16, y: u16) -> Option<PanelId> {
    screen(area, zoomed, focus)
        .panels
        .into_iter()
        .find(|(_, r)| r.contains(ratatui::layout::Position { x, y }))
        .map(|(p, _)| p)
}

/// Inside the border.
pub fn inner(r: Rect) -> Rect {
    r.inner(ratatui::layout::Margin {
        horizontal: 1,
        vertical: 1,
    })
}

/// The WAF panel's inside split into the rules table and the sampled requests below it.
pub fn waf_split(panel: Rect) -> (Rect, Rect) {
    let inside = inner(panel);
    let samples_height = if inside.height >= 12 {
        (inside.height / 3).max(5)
    } else {
        0
    };
    let [rules, samples] =
        Layout::vertical([Constraint::Fill(1), Constraint::Length(samples_height)]).areas(inside);
    (rules, samples)
}

/// The rows of a panel's table (below its header line), if the panel is on screen.
pub fn table_viewport(area: Rect, zoomed: bool, focus: PanelId, panel: PanelId) -> Option<Rect> {
    let r = panel_area(area, zoomed, focus, panel)?;
    let table = if panel == PanelId::Waf {
        waf_split(r).0
    } else {
        inner(r)
    };
    Some(below_header(table))
}

/// Rows of the sampled-requests table.
pub fn samples_viewport(area: Rect, zoomed: bool, focus: PanelId) -> usize {
    panel_area(area, zoomed, focus, PanelId::Waf)
        .map(|r| below_header(waf_split(r).1).height as usize)
        .unwrap_or(0)
}

fn below_header(r: Rect) -> Rect {
    Rect {
        y: r.y.saturating_add(1),
        height: r.height.saturating_sub(1),
        ..r
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn all_panels_fit_a_160_by_45_terminal() {
        let s = screen(Rect::new(0, 0, 160, 45), false, PanelId::Targets);
        assert_eq!(s.panels.len(), 5);
        for (p, r) in &s.panels {
            assert!(r.height >= 8, "{p:?} too short: {r:?}");
            assert!(r.width >= 60, "{p:?} too narrow: {r:?}");
        }
    }

    #[test]
    fn zoom_gives_the_focused_panel_the_body() {
        let s = screen(Rect::new(0, 0, 160, 45), true, PanelId::Dns);
        assert_eq!(s.panels.len(), 1);
        assert_eq!(s.panels[0].0, PanelId::Dns);
        assert_eq!(s.panels[0].1.height, 43);
    }

    #[test]
    fn clicks_land_in_the_panel_drawn_there() {
        let area = Rect::new(0, 0, 160, 45);
        assert_eq!(
            panel_at(area, false, PanelId::Targets, 5, 3),
            Some(PanelId::Targets)
        );
        assert_eq!(
            panel_at(area, false, PanelId::Targets, 120, 3),
            Some(PanelId::Waf)
        );
        assert_eq!(
            panel_at(area, false, PanelId::Targets, 5, 43),
            Some(PanelId::Logs)
        );
        assert_eq!(panel_at(area, false, PanelId::Targets, 5, 0), None);
    }
}
