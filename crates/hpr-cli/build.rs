//! Link options of the `hpr` binary that make it start sooner (`hpr step` runs once per step of
//! a scripted registration, so its start-up is most of its time).
//!
//! - **A fixed address** (not position-independent). A position-independent `hpr` carries about
//!   21,000 relocations that the loader applies at every start, writing about 80 pages of
//!   pointers before `main`; a fixed-address binary has about 250. The cost is that the
//!   executable's own code and data are not placed at a random address (libraries, stack and
//!   heap still are), as with Go's default builds. `HPR_BUILD_PIE=1` at build time keeps a
//!   position-independent binary.
//! - **The step's functions together** (release builds linked by rust-lld, the default linker
//!   of x86-64 GNU/Linux from Rust 1.90 unless a linker is configured): `link-order.txt` lists
//!   the functions one scripted registration runs (written by `scripts/link-order`), and lld
//!   places them first in the code. The kernel maps code 64 KiB around every page a process
//!   touches and unmaps it all at exit; with the step's functions spread over 10 MB a step
//!   process mapped about 4.9 MB of code, with them together about 1.2 MB. Names missing from the binary (a stale list) are skipped silently: the list
//!   only moves code. `HPR_LINK_ORDER=0` at build time links without it (for another linker).

use std::path::Path;
use std::process::Command;

fn main() {
    println!("cargo:rerun-if-env-changed=HPR_BUILD_PIE");
    println!("cargo:rerun-if-env-changed=HPR_LINK_ORDER");
    println!("cargo:rerun-if-changed=link-order.txt");
    let linux = std::env::var("CARGO_CFG_TARGET_OS").is_ok_and(|os| os == "linux");
    if !linux {
        return;
    }
    let pie = std::env::var_os("HPR_BUILD_PIE").is_some_and(|v| v == "1");
    if !pie {
        println!("cargo:rustc-link-arg-bin=hpr=-no-pie");
    }
    let release = std::env::var("PROFILE").is_ok_and(|p| p == "release");
    let ordered = std::env::var_os("HPR_LINK_ORDER").is_none_or(|v| v != "0");
    let list = Path::new(env!("CARGO_MANIFEST_DIR")).join("link-order.txt");
    if release && ordered && list.is_file() && linked_by_rust_lld() {
        println!(
            "cargo:rustc-link-arg-bin=hpr=-Wl,--symbol-ordering-file={}",
            list.display()
        );
        println!("cargo:rustc-link-arg-bin=hpr=-Wl,--no-warn-symbol-ordering");
    }
}

/// `true` when rustc links with its own lld, which understands `--symbol-ordering-file`: Rust
/// 1.90 or later for x86-64 GNU/Linux, with no linker configured (GNU ld, the linker before,
/// would refuse the option and fail the build).
fn linked_by_rust_lld() -> bool {
    let var = |name: &str| std::env::var(name).unwrap_or_default();
    let target = var("TARGET");
    let flags = var("CARGO_ENCODED_RUSTFLAGS");
    let configured = std::env::var_os("RUSTC_LINKER").is_some()
        || flags.contains("linker")
        || flags.contains("link-self-contained")
        || flags.contains("fuse-ld");
    if target != "x86_64-unknown-linux-gnu" || configured {
        return false;
    }
    let rustc = std::env::var_os("RUSTC").unwrap_or_else(|| "rustc".into());
    let Ok(out) = Command::new(rustc).arg("-vV").output() else {
        return false;
    };
    // `release: 1.95.0`
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .find_map(|l| l.strip_prefix("release: "))
        .and_then(|v| {
            let mut parts = v.split('.').map(|p| p.parse::<u32>().ok());
            Some((parts.next()??, parts.next()??))
        })
        .is_some_and(|version| version >= (1, 90))
}
