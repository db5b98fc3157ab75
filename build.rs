//! Link-time settings of the binary.
//!
//! On x86-64 Linux with glibc the binary's relative relocations are packed (`DT_RELR`): the
//! loader reads a few kilobytes instead of the 1.3 MB `.rela.dyn` it would otherwise page in
//! whole at every start, and the binary stays position-independent (address randomisation).
//! The linker there is the toolchain's own LLD, which supports it, and glibc reads it from 2.36
//! on (BENCHMARKS.md §16).

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    let var = |name: &str| std::env::var(name).unwrap_or_default();
    if var("CARGO_CFG_TARGET_ARCH") == "x86_64"
        && var("CARGO_CFG_TARGET_OS") == "linux"
        && var("CARGO_CFG_TARGET_ENV") == "gnu"
    {
        println!("cargo:rustc-link-arg-bins=-Wl,-z,pack-relative-relocs");
    }
}
