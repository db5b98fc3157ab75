//! The snapshot renderers (markdown, JSON, text) on arbitrary worlds.
//!
//! The model types have no `Arbitrary` derive (and src/ gets none for fuzzing), so the input
//! mirrors them with small fuzzer-friendly types and `opsconsole_fuzz::world` builds the real
//! values by hand.
//! Every name, tag, reason, URI and log line is attacker-controlled text: markdown and text
//! output may hold no control character but the newlines between lines, and JSON must parse.
#![no_main]

use libfuzzer_sys::fuzz_target;
use opsconsole::snapshot::{Format, Report, render};
use opsconsole::view::SortOrder;
use opsconsole_fuzz::assert_terminal_safe;

fuzz_target!(|input: opsconsole_fuzz::world::Input| {
    let (collected, now, filter) = input.build();

    let md = render(&collected, Format::Md, now);
    assert_terminal_safe("markdown", &md, &['\n']);
    log_fence_holds(&md);
    let text = render(&collected, Format::Text, now);
    assert_terminal_safe("text", &text, &['\n']);

    let json = render(&collected, Format::Json, now);
    let value: serde_json::Value = serde_json::from_str(&json)
        .unwrap_or_else(|e| panic!("JSON does not parse back: {e}\n{json}"));
    assert!(value.is_object(), "{json}");
    // serde_json escapes C0 controls itself; the sanitiser must catch C1 and bidi characters.
    assert_terminal_safe("json", &json, &['\n']);

    // The console filters and sorts the same tables: the tree must survive both.
    for (_, table, _) in Report::new(&collected, now).tables() {
        let Some(mut table) = table else { continue };
        let rows = table.rows.len();
        for order in [SortOrder::Name, SortOrder::ProblemsFirst] {
            table.sort(order);
            assert_eq!(table.rows.len(), rows, "sorting {order:?} lost rows");
        }
        table.filter(&filter);
        assert!(table.rows.len() <= rows);
    }
});

/// The log lines sit in a fenced block: no line inside may close it early, or what follows
/// (log text an attacker wrote) would be read as markdown: links, images, HTML.
fn log_fence_holds(md: &str) {
    let mut lines = md.lines().skip_while(|l| !l.starts_with("## Logs ("));
    let Some(open) = lines.find(|l| l.starts_with("```")) else {
        return;
    };
    let fence = open.len() - open.trim_start_matches('`').len();
    let body: Vec<&str> = lines
        .take_while(|l| l.len() != fence || !l.bytes().all(|b| b == b'`'))
        .collect();
    for l in &body {
        let t = l.trim_end();
        let closes = t.len() >= fence && t.bytes().all(|b| b == b'`');
        assert!(
            !closes,
            "log line {l:?} closes the {fence}-backtick fence early"
        );
    }
}
