//! With the `lua` feature, compiles `cpp/syntax.cpp` (the syntax check with Luau's own parser and
//! compiler, `lua::syntax`) against the headers of the Luau that mlua-sys builds: the luau0-src
//! crate of this workspace's Cargo.lock, in cargo's registry (`LUAU_SOURCE_DIR` names another
//! copy of Luau's source). For wasm32 the flags are the ones scripts/build-wasm.sh gives Luau's
//! own C++ (`LUAU_CXXFLAGS`), so both link into the one module.

use std::env;
use std::path::{Path, PathBuf};

type BuildResult<T> = Result<T, Box<dyn std::error::Error>>;

fn main() -> BuildResult<()> {
    println!("cargo:rerun-if-changed=build.rs");
    if env::var_os("CARGO_FEATURE_LUA").is_none() {
        return Ok(());
    }
    println!("cargo:rerun-if-changed=cpp/syntax.cpp");
    println!("cargo:rerun-if-env-changed=LUAU_SOURCE_DIR");
    println!("cargo:rerun-if-env-changed=LUAU_CXXFLAGS");
    let luau = match env::var_os("LUAU_SOURCE_DIR") {
        Some(dir) => PathBuf::from(dir),
        None => luau0_src()?.join("luau"),
    };
    let mut build = cc::Build::new();
    // mlua-sys links the C++ standard library with Luau (CXXSTDLIB_<target> picks which).
    build
        .cpp(true)
        .cpp_link_stdlib(None)
        .std("c++17")
        .warnings(false)
        .file("cpp/syntax.cpp");
    for part in ["Common", "Ast", "Bytecode", "Compiler"] {
        build.include(luau.join(part).join("include"));
    }
    if let Ok(flags) = env::var("LUAU_CXXFLAGS") {
        for flag in flags.split_whitespace() {
            build.flag(flag);
        }
    }
    build.try_compile("registry_syntax")?;
    Ok(())
}

/// The luau0-src crate that Cargo.lock pins, in the registry sources of cargo's home.
fn luau0_src() -> BuildResult<PathBuf> {
    let manifest_dir = PathBuf::from(env::var("CARGO_MANIFEST_DIR")?);
    let lock = manifest_dir
        .ancestors()
        .map(|dir| dir.join("Cargo.lock"))
        .find(|lock| lock.exists())
        .ok_or("no Cargo.lock above registry-core")?;
    println!("cargo:rerun-if-changed={}", lock.display());
    let text = std::fs::read_to_string(&lock)?;
    let version = text
        .split("\n[[package]]\n")
        .find_map(|package| {
            let mut lines = package.lines();
            (lines.next() == Some("name = \"luau0-src\""))
                .then(|| {
                    lines
                        .next()?
                        .strip_prefix("version = \"")?
                        .strip_suffix('"')
                })
                .flatten()
        })
        .ok_or_else(|| format!("{} pins no luau0-src", lock.display()))?;
    let home = env::var_os("CARGO_HOME")
        .map(PathBuf::from)
        .or_else(|| env::var_os("HOME").map(|home| Path::new(&home).join(".cargo")))
        .ok_or("neither CARGO_HOME nor HOME is set")?;
    let registries = home.join("registry").join("src");
    for registry in std::fs::read_dir(&registries)? {
        let crate_dir = registry?.path().join(format!("luau0-src-{version}"));
        if crate_dir.join("luau").is_dir() {
            return Ok(crate_dir);
        }
    }
    Err(format!(
        "luau0-src-{version} is not in {}: set LUAU_SOURCE_DIR to Luau's source",
        registries.display()
    )
    .into())
}
