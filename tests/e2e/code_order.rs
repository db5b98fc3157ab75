//! `bench/code-order.txt`, the functions an optimised build lays out first (build.rs): a list the
//! linker reads as it is, so it must be one symbol per line, each once, and still name the code
//! a wall runs every second and every refresh. A list gone stale costs memory, not correctness:
//! these tests are what notice it.

use std::collections::HashSet;
use std::path::Path;

fn code_order() -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("bench/code-order.txt");
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

#[test]
fn the_code_order_is_one_linker_symbol_a_line_each_once() {
    let text = code_order();
    let mut seen = HashSet::new();
    for (n, line) in text.lines().enumerate() {
        // A symbol as the linker names it: Rust's mangled (`_ZN…E`, `_R…`) or a C function's.
        assert!(
            !line.is_empty()
                && !line.starts_with(|c: char| c.is_ascii_digit())
                && line
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || "_.$".contains(c)),
            "line {}: not a symbol: {line:?}",
            n + 1
        );
        assert!(seen.insert(line), "line {}: {line} twice", n + 1);
    }
    // A wall runs about 4,600 of the binary's functions (BENCHMARKS.md §22).
    assert!(seen.len() > 2_000, "only {} symbols", seen.len());
}

#[test]
fn the_code_order_names_what_a_wall_runs_every_second_and_every_refresh() {
    let text = code_order();
    // Path segments as legacy mangling writes them: the length, then the name.
    let names = |path: &[&str]| {
        path.iter()
            .map(|part| format!("{}{part}", part.len()))
            .collect::<String>()
    };
    for path in [
        // A frame: drawn, compared with the screen, written.
        &["opsconsole", "ui", "draw_on"][..],
        &["opsconsole", "tui"],
        // A refresh: the app taking the data in, the SDK decoding and signing the answers.
        &["opsconsole", "app"],
        &["aws_smithy_xml", "decode"],
        &["aws_sigv4"],
        &["tokio", "runtime"],
    ] {
        let mangled = format!("_ZN{}", names(path));
        assert!(
            text.lines().any(|line| line.starts_with(&mangled)),
            "no symbol under {} ({mangled}): run bench/code_order.sh",
            path.join("::")
        );
    }
}
