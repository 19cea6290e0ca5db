//! The wasmtime engine and the registry module: the embedded module (or one from `--module`),
//! compiled once and then loaded from a cache of compiled code keyed by the module's SHA-256 and
//! the engine's compatibility hash.

use std::borrow::Cow;
use std::collections::hash_map::DefaultHasher;
use std::hash::{Hash, Hasher};
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use sha2::{Digest, Sha256};
use wasmtime::{Config, Engine, Module};

/// The module built by `scripts/build-wasm.sh` and its SHA-256, embedded at build time (see
/// build.rs); none when the build found no module.
#[cfg(embedded_module)]
const EMBEDDED: Option<(&[u8], &str)> = Some((
    include_bytes!(env!("REGISTRY_WASM_PATH")),
    env!("REGISTRY_WASM_SHA256"),
));
#[cfg(not(embedded_module))]
const EMBEDDED: Option<(&[u8], &str)> = None;

/// Luau's parser recurses deeply; wasmtime's default 512 KiB of wasm stack is not enough.
/// 2 MiB is also the most wasmtime allows without its `async` feature (its async stack size).
const MAX_WASM_STACK: usize = 2 << 20;

/// The bytes of a registry module and their SHA-256.
#[derive(Debug)]
pub struct ModuleSource {
    bytes: Cow<'static, [u8]>,
    sha256: String,
}

impl ModuleSource {
    /// The module at `path`, or the embedded one.
    pub fn new(path: Option<&Path>) -> Result<Self> {
        match path {
            None => {
                let (bytes, sha256) = EMBEDDED.context(
                    "this registry-host was built without the registry module (dist/registry.wasm \
                     was missing): run scripts/build-wasm.sh and build it again, or pass --module \
                     PATH",
                )?;
                Ok(Self {
                    bytes: Cow::Borrowed(bytes),
                    sha256: sha256.to_owned(),
                })
            }
            Some(path) => {
                let bytes = std::fs::read(path)
                    .with_context(|| format!("cannot read the module {}", path.display()))?;
                let sha256 = hex::encode(Sha256::digest(&bytes));
                Ok(Self {
                    bytes: Cow::Owned(bytes),
                    sha256,
                })
            }
        }
    }

    /// The SHA-256 of the module's bytes, in hex.
    pub fn sha256(&self) -> &str {
        &self.sha256
    }
}

/// An engine configured for the registry module, and the module compiled for it.
#[derive(Debug)]
pub struct Runtime {
    pub engine: Engine,
    pub module: Module,
}

impl Runtime {
    /// Compiles `source`, or loads it from the cache when it was compiled before.
    pub fn load(source: &ModuleSource) -> Result<Self> {
        let mut config = Config::new();
        config
            .wasm_exceptions(true) // Luau's C++ reports errors by throwing
            .max_wasm_stack(MAX_WASM_STACK)
            .epoch_interruption(true); // the outer time fence, see guest.rs
        let engine = Engine::new(&config)
            .map_err(anyhow::Error::from)
            .context("cannot configure wasmtime")?;
        let cached = cache_path(&engine, source.sha256());
        if let Some(path) = cached.as_deref()
            && let Some(module) = load_cached(&engine, path)
        {
            return Ok(Self { engine, module });
        }
        let module = Module::from_binary(&engine, &source.bytes)
            .map_err(anyhow::Error::from)
            .context("cannot compile the registry module")?;
        if let Some(path) = cached
            && let Err(error) = store_cached(&module, &path)
        {
            eprintln!(
                "warning: cannot cache the compiled module in {}: {error:#}",
                path.display()
            );
        }
        Ok(Self { engine, module })
    }
}

/// `$XDG_CACHE_HOME/registry-host` or `~/.cache/registry-host`, one file per module and engine.
fn cache_path(engine: &Engine, sha256: &str) -> Option<PathBuf> {
    let base = std::env::var_os("XDG_CACHE_HOME")
        .map(PathBuf::from)
        .filter(|dir| dir.is_absolute())
        .or_else(|| std::env::home_dir().map(|home| home.join(".cache")))?;
    let mut hasher = DefaultHasher::new();
    engine.precompile_compatibility_hash().hash(&mut hasher);
    let engine_hash = hasher.finish();
    Some(
        base.join("registry-host")
            .join(format!("{sha256}-{engine_hash:016x}.cwasm")),
    )
}

/// The cached compiled module, if there is a usable one.
#[allow(unsafe_code)]
fn load_cached(engine: &Engine, path: &Path) -> Option<Module> {
    if !path.exists() {
        return None;
    }
    // SAFETY: deserializing trusts the file to be wasmtime's own compiled code. Only this program
    // writes this cache, through `Module::serialize`, and always by renaming a complete file into
    // place, so a file is never changed while it is mapped; wasmtime still checks its header and
    // engine compatibility. A file it refuses is compiled again and replaced.
    unsafe { Module::deserialize_file(engine, path) }.ok()
}

/// Writes the compiled module to the cache, atomically (a temporary file renamed into place).
fn store_cached(module: &Module, path: &Path) -> Result<()> {
    let dir = path.parent().context("the cache path has no folder")?;
    std::fs::create_dir_all(dir)?;
    let temporary = path.with_extension(format!("{}.tmp", std::process::id()));
    std::fs::write(&temporary, module.serialize()?)?;
    std::fs::rename(&temporary, path).inspect_err(|_| {
        let _ = std::fs::remove_file(&temporary);
    })?;
    Ok(())
}
