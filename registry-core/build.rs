//! With the `lua` feature, against the Luau that mlua-sys builds (the luau0-src crate of this
//! workspace's Cargo.lock, in cargo's registry; `LUAU_SOURCE_DIR` names another copy of Luau's
//! source):
//! - compiles `cpp/tables.cpp` (filling tables cloned from templates, `lua::tables`) against
//!   the VM's internal headers, with the same flags;
//! - compiles `cpp/syntax.cpp` (the syntax check with Luau's own parser and compiler,
//!   `lua::syntax`) against Luau's headers. For wasm32 the flags are the ones
//!   scripts/build-wasm.sh gives Luau's own C++ (`LUAU_CXXFLAGS`), so both link into the one
//!   module;
//! - compiles the binding's own Lua chunks (`src/lua/chunks/*.lua`) to Luau bytecode in OUT_DIR,
//!   so that a new VM loads them without running Luau's parser and compiler. The compiler is
//!   `cpp/compile_chunk.cpp` linked with Luau's Ast, Bytecode and Compiler sources, built for
//!   the build machine (without `LUAU_CXXFLAGS`, which target wasm32) and kept in OUT_DIR.

use std::env;
use std::path::{Path, PathBuf};
use std::process::Command;

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
    let mut build = luau_cpp("cpp/syntax.cpp");
    for part in ["Common", "Ast", "Bytecode", "Compiler"] {
        build.include(luau.join(part).join("include"));
    }
    build.try_compile("registry_syntax")?;
    compile_table_fill(&luau)?;
    compile_chunks(&luau)
}

/// A build of one of the binding's C++ files for linking with Luau: mlua-sys links the C++
/// standard library with Luau (CXXSTDLIB_<target> picks which); `LUAU_CXXFLAGS` (the module's
/// wasm32 flags, or native builds' `-DNDEBUG`) follow cc's own flags, as luau0-src adds them.
fn luau_cpp(file: &str) -> cc::Build {
    let mut build = cc::Build::new();
    build
        .cpp(true)
        .cpp_link_stdlib(None)
        .std("c++17")
        .warnings(false)
        .file(file);
    if let Ok(flags) = env::var("LUAU_CXXFLAGS") {
        for flag in flags.split_whitespace() {
            build.flag(flag);
        }
    }
    build
}

/// `cpp/tables.cpp`, which reads the VM's internal table and stack layout: against the VM's own
/// headers, with the defines that shape that layout as mlua-sys gives them to Luau (its
/// `find_vendored.rs`: a vector size of 3 without its `luau-vector4` feature, which this
/// workspace does not enable).
fn compile_table_fill(luau: &Path) -> BuildResult<()> {
    println!("cargo:rerun-if-changed=cpp/tables.cpp");
    let mut build = luau_cpp("cpp/tables.cpp");
    build
        .define("LUA_VECTOR_SIZE", "3")
        .define("LUAI_MAXCSTACK", "1000000")
        .define("LUA_API", "extern \"C\"");
    for dir in ["Common/include", "VM/include", "VM/src"] {
        build.include(luau.join(dir));
    }
    build.try_compile("registry_tables")?;
    Ok(())
}

/// The binding's own chunks, `src/lua/chunks/NAME.lua`, each compiled to `OUT_DIR/NAME.luau`.
const CHUNKS: [&str; 2] = ["wrapper", "error_meta"];

fn compile_chunks(luau: &Path) -> BuildResult<()> {
    let out_dir = PathBuf::from(env::var("OUT_DIR")?);
    let compiler = chunk_compiler(luau, &out_dir)?;
    for chunk in CHUNKS {
        let source = Path::new("src/lua/chunks").join(format!("{chunk}.lua"));
        println!("cargo:rerun-if-changed={}", source.display());
        let status = Command::new(&compiler)
            .arg(&source)
            .arg(out_dir.join(format!("{chunk}.luau")))
            .status()?;
        if !status.success() {
            return Err(format!("{} does not compile ({status})", source.display()).into());
        }
    }
    Ok(())
}

/// `cpp/compile_chunk.cpp` with Luau's compiler, built for the build machine once per OUT_DIR
/// (and again when the Luau sources or the program change): unoptimized and without debug
/// information, since it only ever compiles a few short chunks.
fn chunk_compiler(luau: &Path, out_dir: &Path) -> BuildResult<PathBuf> {
    println!("cargo:rerun-if-changed=cpp/compile_chunk.cpp");
    let program = out_dir.join(format!("compile_chunk{}", env::consts::EXE_SUFFIX));
    let stamp = out_dir.join("compile_chunk.stamp");
    let built_from = format!(
        "{}\n{}",
        luau.display(),
        std::fs::read_to_string("cpp/compile_chunk.cpp")?
    );
    if program.exists() && std::fs::read_to_string(&stamp).ok().as_deref() == Some(&built_from) {
        return Ok(program);
    }
    // Luau's parser and compiler as an archive, so the link takes only what luau_compile needs
    // (Bytecode/src also holds tools that need the VM's flags).
    let host = env::var("HOST")?;
    let build_dir = out_dir.join("luau_compiler");
    let mut luau_build = cc::Build::new();
    luau_build
        .cpp(true)
        .std("c++17")
        .target(&host)
        .host(&host)
        .opt_level(0)
        .debug(false)
        .warnings(false)
        .cargo_metadata(false)
        .out_dir(&build_dir);
    for part in ["Common", "Ast", "Bytecode", "Compiler"] {
        luau_build.include(luau.join(part).join("include"));
    }
    let mut program_build = luau_build.clone();
    for part in ["Common", "Ast", "Bytecode", "Compiler"] {
        for file in std::fs::read_dir(luau.join(part).join("src"))? {
            let file = file?.path();
            if file.extension().is_some_and(|ext| ext == "cpp") {
                luau_build.file(file);
            }
        }
    }
    luau_build.try_compile("luau_compiler")?;
    let objects = program_build
        .file("cpp/compile_chunk.cpp")
        .try_compile_intermediates()?;
    let compiler = program_build.try_get_compiler()?;
    let mut link = compiler.to_command();
    link.args(&objects);
    if compiler.is_like_msvc() {
        link.arg(build_dir.join("luau_compiler.lib"))
            .arg(format!("/Fe{}", program.display()));
    } else {
        link.arg(build_dir.join("libluau_compiler.a"))
            .arg("-o")
            .arg(&program);
    }
    let status = link.status()?;
    if !status.success() {
        return Err(format!("linking {} failed ({status})", program.display()).into());
    }
    std::fs::write(&stamp, built_from)?;
    Ok(program)
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
