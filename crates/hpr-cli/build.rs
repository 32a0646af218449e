//! Links the `hpr` binary at a fixed address (not position-independent).
//!
//! A position-independent `hpr` carries about 21,000 relocations that the loader applies at
//! every start, writing about 80 pages of pointers before `main`; a fixed-address binary has
//! about 250 and starts that much sooner (`hpr step` runs once per step of a scripted
//! registration, so its start-up is most of its time). The cost is that the executable's own
//! code and data are not placed at a random address (libraries, stack and heap still are), as
//! with Go's default builds. `HPR_BUILD_PIE=1` at build time keeps a position-independent binary.

fn main() {
    println!("cargo:rerun-if-env-changed=HPR_BUILD_PIE");
    let pie = std::env::var_os("HPR_BUILD_PIE").is_some_and(|v| v == "1");
    let linux = std::env::var("CARGO_CFG_TARGET_OS").is_ok_and(|os| os == "linux");
    if linux && !pie {
        println!("cargo:rustc-link-arg-bin=hpr=-no-pie");
    }
}
