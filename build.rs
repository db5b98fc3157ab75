//! Link-time settings of the binary.
//!
//! On x86-64 Linux with glibc the binary's relative relocations are packed (`DT_RELR`): the
//! loader reads a few kilobytes instead of the 1.3 MB `.rela.dyn` it would otherwise page in
//! whole at every start, and the binary stays position-independent (address randomisation).
//! The linker there is the toolchain's own LLD, which supports it, and glibc reads it from 2.36
//! on (BENCHMARKS.md §16).
//!
//! There too, an optimised build lays out first, side by side, the functions a wall and a
//! console run (`bench/code-order.txt`, written by `bench/code_order.sh`). The kernel maps code
//! 64 KB around each page a process touches; scattered over 15 MB, the few thousand functions a
//! wall runs kept most of it resident (BENCHMARKS.md §22). A name the build no longer has is
//! skipped, a function not named goes after the named ones: a stale list costs memory, never
//! correctness.

use std::path::Path;

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    let var = |name: &str| std::env::var(name).unwrap_or_default();
    if var("CARGO_CFG_TARGET_ARCH") == "x86_64"
        && var("CARGO_CFG_TARGET_OS") == "linux"
        && var("CARGO_CFG_TARGET_ENV") == "gnu"
    {
        println!("cargo:rustc-link-arg-bins=-Wl,-z,pack-relative-relocs");
        let order = Path::new(&var("CARGO_MANIFEST_DIR")).join("bench/code-order.txt");
        // Only the optimised builds: a debug build's symbols are others, and its size no matter;
        // nor does a debug build depend on the list, so a new list rebuilds only optimised ones.
        if var("PROFILE") == "release" && order.is_file() {
            println!("cargo:rerun-if-changed={}", order.display());
            // -Xlinker passes each argument whole (`-Wl,` would split a path at its commas).
            for arg in [
                format!("--symbol-ordering-file={}", order.display()),
                "--no-warn-symbol-ordering".to_string(),
            ] {
                println!("cargo:rustc-link-arg-bins=-Xlinker");
                println!("cargo:rustc-link-arg-bins={arg}");
            }
        }
    }
}
