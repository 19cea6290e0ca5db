//! The wasmtime engine and the registry module: the embedded module (or one from `--module`),
//! compiled once and then loaded from a cache of compiled code that only its owner can write
//! and whose every file is checked against a keyed hash before wasmtime loads it (see [`Cache`]).

use std::borrow::Cow;
use std::collections::hash_map::DefaultHasher;
use std::fs::{DirBuilder, File, OpenOptions};
use std::hash::{Hash, Hasher};
use std::io::{Read, Write};
use std::os::unix::fs::{DirBuilderExt, MetadataExt, OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail, ensure};
use hmac::{Hmac, KeyInit, Mac};
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
            // The outer time fence, see guest.rs. Cranelift's inlining stays off: it won about
            // 10% on long scripts but cost every start 17 ms (BENCHMARKS.md, "Performance
            // candidates").
            .epoch_interruption(true);
        let engine = Engine::new(&config)
            .map_err(anyhow::Error::from)
            .context("cannot configure wasmtime")?;
        let cache = Cache::base_dir().and_then(|dir| {
            Cache::open(&dir)
                .inspect_err(|error| {
                    let error = format!("{error:#}");
                    eprintln!(
                        "warning: not using the compiled-module cache: {}",
                        crate::terminal::text(&error)
                    );
                })
                .ok()
        });
        let name = CacheName::new(&engine, source.sha256());
        if let Some(module) = cache.as_ref().and_then(|cache| cache.load(&engine, &name)) {
            return Ok(Self { engine, module });
        }
        let module = Module::from_binary(&engine, &source.bytes)
            .map_err(anyhow::Error::from)
            .context("cannot compile the registry module")?;
        if let Some(cache) = cache
            && let Err(error) = cache.store(&module, &name)
        {
            eprintln!(
                "warning: cannot cache the compiled module in {}: {error:#}",
                cache.dir.display()
            );
        }
        Ok(Self { engine, module })
    }
}

/// Which module and engine a cached file is for.
struct CacheName {
    sha256: String,
    engine_hash: u64,
}

impl CacheName {
    fn new(engine: &Engine, sha256: &str) -> Self {
        let mut hasher = DefaultHasher::new();
        engine.precompile_compatibility_hash().hash(&mut hasher);
        Self {
            sha256: sha256.to_owned(),
            engine_hash: hasher.finish(),
        }
    }

    fn file_name(&self) -> String {
        format!("{}-{:016x}.cwasm", self.sha256, self.engine_hash)
    }
}

/// The length of a cached file's tag, an HMAC-SHA256.
const TAG_LEN: usize = 32;

/// The cache of compiled modules, `$XDG_CACHE_HOME/registry-host` or `~/.cache/registry-host`.
///
/// Loading compiled code runs it as native code outside the sandbox, so a cached file must be
/// exactly what this program wrote for this module and engine. The folder is the user's alone
/// (mode 0700, owned by the user running registry-host; a folder that others could write is not
/// used), and holds a random 256-bit key (`key`, mode 0600). Each file is an HMAC-SHA256 under
/// that key of the module's SHA-256, the engine's hash and the compiled code, followed by the
/// code. A file whose tag does not match (another module's code copied onto this name, a file
/// written by anyone without the key, a damaged one) is never handed to wasmtime: the module is
/// compiled again and the file replaced. Whoever can read the key is the user, who can also
/// replace registry-host itself.
#[derive(Debug)]
struct Cache {
    dir: PathBuf,
    key: [u8; TAG_LEN],
}

type Tagger = Hmac<Sha256>;

impl Cache {
    /// `$XDG_CACHE_HOME/registry-host` or `~/.cache/registry-host`.
    fn base_dir() -> Option<PathBuf> {
        let base = std::env::var_os("XDG_CACHE_HOME")
            .map(PathBuf::from)
            .filter(|dir| dir.is_absolute())
            .or_else(|| std::env::home_dir().map(|home| home.join(".cache")))?;
        Some(base.join("registry-host"))
    }

    /// The cache in `dir`, created with its key if missing; refused if others could change it.
    fn open(dir: &Path) -> Result<Self> {
        DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(dir)
            .with_context(|| format!("cannot create {}", dir.display()))?;
        private(dir, true)?;
        let key_path = dir.join("key");
        if !key_path.exists() {
            create_key(dir, &key_path)?;
        }
        private(&key_path, false)?;
        let mut key = [0; TAG_LEN];
        let mut file =
            File::open(&key_path).with_context(|| format!("cannot read {}", key_path.display()))?;
        file.read_exact(&mut key)
            .with_context(|| format!("{} is not a key of {TAG_LEN} bytes", key_path.display()))?;
        Ok(Self {
            dir: dir.to_owned(),
            key,
        })
    }

    fn tagger(&self, name: &CacheName) -> Tagger {
        let mut tagger = <Tagger as KeyInit>::new_from_slice(&self.key)
            .unwrap_or_else(|_| unreachable!("HMAC takes keys of any length"));
        tagger.update(b"registry-host compiled module\0");
        tagger.update(name.sha256.as_bytes());
        tagger.update(&name.engine_hash.to_le_bytes());
        tagger
    }

    /// The cached module, if there is one whose tag matches.
    #[expect(unsafe_code)]
    fn load(&self, engine: &Engine, name: &CacheName) -> Option<Module> {
        // Read once into memory: the bytes checked are the bytes loaded.
        let bytes = std::fs::read(self.dir.join(name.file_name())).ok()?;
        let (tag, code) = bytes.split_at_checked(TAG_LEN)?;
        let mut tagger = self.tagger(name);
        tagger.update(code);
        tagger.verify_slice(tag).ok()?;
        // SAFETY: deserializing trusts the bytes to be wasmtime's own compiled code for this
        // module and engine. Their tag proves that this program wrote them for exactly this
        // module and engine (see `Cache`); wasmtime still checks the header and compatibility.
        unsafe { Module::deserialize(engine, code) }.ok()
    }

    /// Writes the compiled module with its tag, atomically (a new file renamed into place).
    fn store(&self, module: &Module, name: &CacheName) -> Result<()> {
        let code = module.serialize()?;
        let mut tagger = self.tagger(name);
        tagger.update(&code);
        let path = self.dir.join(name.file_name());
        let temporary = path.with_extension(format!("{}.tmp", std::process::id()));
        let tag = tagger.finalize().into_bytes();
        let written = write_new(&temporary, &[tag.as_slice(), &code])
            .and_then(|()| Ok(std::fs::rename(&temporary, &path)?));
        if written.is_err() {
            let _ = std::fs::remove_file(&temporary);
        }
        written
    }
}

/// Checks that `path` is a folder (or a file) of the user running registry-host that no one else
/// can write (or, for a file, read), tightening the mode of the user's own folder if needed.
fn private(path: &Path, folder: bool) -> Result<()> {
    let metadata = std::fs::symlink_metadata(path)
        .with_context(|| format!("cannot inspect {}", path.display()))?;
    ensure!(
        metadata.is_dir() == folder && (folder || metadata.is_file()),
        "{} is not a {}",
        path.display(),
        if folder { "folder" } else { "plain file" }
    );
    ensure!(
        metadata.uid() == effective_uid(),
        "{} belongs to another user (uid {})",
        path.display(),
        metadata.uid()
    );
    if metadata.mode() & 0o077 != 0 {
        if !folder {
            bail!(
                "{} can be read or written by other users (mode {:o})",
                path.display(),
                metadata.mode() & 0o777
            );
        }
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o700))
            .with_context(|| format!("cannot make {} private", path.display()))?;
    }
    Ok(())
}

/// A fresh random key, linked into place only once complete (another process may race to make it).
fn create_key(dir: &Path, key_path: &Path) -> Result<()> {
    let mut key = [0; TAG_LEN];
    File::open("/dev/urandom")
        .and_then(|mut random| random.read_exact(&mut key))
        .context("cannot read /dev/urandom for the cache's key")?;
    let temporary = dir.join(format!("key.{}.tmp", std::process::id()));
    let linked = write_new(&temporary, &[key.as_slice()]).and_then(|()| {
        match std::fs::hard_link(&temporary, key_path) {
            Err(error) if error.kind() != std::io::ErrorKind::AlreadyExists => {
                Err(error).with_context(|| format!("cannot create {}", key_path.display()))
            }
            _ => Ok(()),
        }
    });
    let _ = std::fs::remove_file(&temporary);
    linked
}

/// Writes `parts` to a new file only the user can read, synced before it is renamed or linked.
fn write_new(path: &Path, parts: &[&[u8]]) -> Result<()> {
    let mut file = OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
        .with_context(|| format!("cannot create {}", path.display()))?;
    for part in parts {
        file.write_all(part)?;
    }
    file.sync_all()?;
    Ok(())
}

/// The user registry-host runs as, who must own the cache.
#[expect(unsafe_code)]
fn effective_uid() -> u32 {
    // SAFETY: geteuid has no preconditions and cannot fail.
    unsafe { libc::geteuid() }
}
