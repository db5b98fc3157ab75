//! The man page: clap's sections for the command line, then the ones a man page reader looks
//! for that clap cannot know (KEYS from the shipped keymap, FILES, EXIT STATUS).

use crate::config::{KeyContext, Keymap};
use roff::{Roff, bold, roman};

/// The whole page, as roff.
pub fn render(w: &mut dyn std::io::Write) -> std::io::Result<()> {
    let man = clap_mangen::Man::new(crate::cli::command());
    man.render_title(w)?;
    man.render_name_section(w)?;
    man.render_synopsis_section(w)?;
    man.render_description_section(w)?;
    man.render_options_section(w)?;
    let mut page = Roff::new();
    keys(&mut page);
    files(&mut page);
    exit_status(&mut page);
    page.to_writer(w)?;
    man.render_version_section(w)
}

fn keys(page: &mut Roff) {
    page.control("SH", ["KEYS"]);
    page.text([roman(
        "The default keymap; --keymap vim adds vim's motions, and keymap.toml changes any key.",
    )]);
    // Quitting is not always immediate: an operator reading the keys should know why.
    page.control("PP", []);
    page.text([roman(
        "Quitting a console with write access while undos it scheduled are pending (a timed block's removal, a timed Count's restore) asks first: r carries them out now, then quits; k keeps them scheduled and quits; Esc stays. SIGTERM and SIGHUP journal them as left-scheduled, and the next start says so.",
    )]);
    let Ok(keymap) = Keymap::builtin("default") else {
        return;
    };
    for ctx in KeyContext::ALL {
        let bindings = keymap.bindings(ctx);
        if bindings.is_empty() {
            continue;
        }
        page.control("SS", [ctx.name()]);
        for b in bindings {
            page.control("TP", []);
            page.text([bold(b.key.to_string())]);
            page.text([roman(b.desc.clone())]);
        }
    }
}

fn files(page: &mut Roff) {
    page.control("SH", ["FILES"]);
    for (what, path) in crate::cli::files() {
        page.control("TP", []);
        page.text([bold(path)]);
        page.text([roman(what)]);
    }
}

fn exit_status(page: &mut Roff) {
    page.control("SH", ["EXIT STATUS"]);
    for (code, means) in crate::cli::EXIT_STATUS {
        page.control("TP", []);
        page.text([bold(code.to_string())]);
        page.text([roman(*means)]);
    }
}
