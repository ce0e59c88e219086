//! Release builds of the `profrun` binary lay out the functions a run
//! touches (`link/profrun.order`) side by side at the start of `.text`.
//!
//! Why: the kernel maps up to 64 KiB of a file's cached pages around every
//! page fault ("fault-around"), so profrun's resident memory grows with how
//! widely its run path is spread over the binary, not with how much of it
//! runs. Packed together, the ~600 KB the run path executes cost ~0.9 MiB
//! less resident memory than when scattered among the query commands
//! (docs/performance.md). Regenerate the list with `scripts/order-file.sh`.
//!
//! The list is handed to LLD's `--symbol-ordering-file`, so only where LLD
//! links: x86_64-unknown-linux-gnu from Rust 1.90, unless a build picks
//! another linker. Symbols the list names but the binary lacks are skipped
//! by the linker; the build never fails for a stale list, it only packs less.
//! `PROFRUN_NO_ORDER_FILE=1` turns it off.
//!
//! Where LLD links and the build host's glibc reads them (2.36 and later),
//! the relative relocations are also packed (`-z pack-relative-relocs`,
//! DT_RELR): the loader reads a few KiB instead of a 224 KiB `.rela.dyn`
//! at every start (docs/performance.md). Such a binary asks for glibc's
//! `GLIBC_ABI_DT_RELR`, so an older glibc refuses to load it with a clear
//! error; `PROFRUN_NO_RELR=1` builds one for such hosts.

use std::env;
use std::path::Path;
use std::process::Command;

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    println!("cargo:rerun-if-changed=link/profrun.order");
    for var in [
        "PROFRUN_NO_ORDER_FILE",
        "PROFRUN_NO_RELR",
        "RUSTC_LINKER",
        "CARGO_TARGET_X86_64_UNKNOWN_LINUX_GNU_LINKER",
    ] {
        println!("cargo:rerun-if-env-changed={var}");
    }
    let order = Path::new(&env::var("CARGO_MANIFEST_DIR").unwrap_or_default())
        .join("link")
        .join("profrun.order");
    let release = env::var("PROFILE").as_deref() == Ok("release");
    let lld = links_with_lld();
    if release && order.is_file() && lld && !set("PROFRUN_NO_ORDER_FILE") {
        println!(
            "cargo:rustc-link-arg-bin=profrun=-Wl,--symbol-ordering-file={}",
            order.display()
        );
    }
    if release && lld && !set("PROFRUN_NO_RELR") && host_glibc_reads_relr() {
        println!("cargo:rustc-link-arg-bin=profrun=-Wl,-z,pack-relative-relocs");
    }
}

/// An opt-out variable is set (to anything but `0`).
fn set(var: &str) -> bool {
    env::var_os(var).is_some_and(|v| v != "0")
}

/// The build host's glibc loads DT_RELR relocations (2.36 and later): the
/// binary is meant to run where it is built (`cargo install`), and
/// `getconf` names the glibc it would run on.
fn host_glibc_reads_relr() -> bool {
    let Ok(out) = Command::new("getconf").arg("GNU_LIBC_VERSION").output() else {
        return false;
    };
    // "glibc 2.36"
    major_minor(&String::from_utf8_lossy(&out.stdout)).is_some_and(|v| v >= (2, 36))
}

/// The `MAJOR.MINOR` of the second word of a `--version`-style line
/// ("rustc 1.95.0 (...)", "glibc 2.36").
fn major_minor(text: &str) -> Option<(u32, u32)> {
    let mut parts = text.split_whitespace().nth(1)?.split('.');
    Some((parts.next()?.parse().ok()?, parts.next()?.parse().ok()?))
}

/// Rust links x86_64-unknown-linux-gnu with its own LLD from 1.90 on; a
/// build that names its own linker or linker features may not.
fn links_with_lld() -> bool {
    if env::var("TARGET").as_deref() != Ok("x86_64-unknown-linux-gnu")
        || env::var_os("RUSTC_LINKER").is_some()
        || env::var_os("CARGO_TARGET_X86_64_UNKNOWN_LINUX_GNU_LINKER").is_some()
    {
        return false;
    }
    let flags = env::var("CARGO_ENCODED_RUSTFLAGS").unwrap_or_default();
    if flags.contains("linker") || flags.contains("link-self-contained") {
        return false;
    }
    rustc_minor().is_some_and(|minor| minor >= 90)
}

/// The minor version of the compiler building this crate (`1.95.0` → 95).
fn rustc_minor() -> Option<u32> {
    let rustc = env::var_os("RUSTC")?;
    let out = Command::new(rustc).arg("--version").output().ok()?;
    let (major, minor) = major_minor(&String::from_utf8(out.stdout).ok()?)?;
    (major == 1).then_some(minor)
}
