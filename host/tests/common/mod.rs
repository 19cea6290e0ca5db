//! What the hardening tests share: the built `registry-host`, with one cache of the compiled
//! module for every test crate (under the target folder, kept between runs, so the module is
//! compiled once), at a fixed time.

// Each test crate uses its own part of this module.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::Once;

use serde_json::Value;

pub use registry_conformance::NOW_MS;

pub mod etcd;

/// Commits v1: `svc:api` and `cfg:db`.
pub const CREATE: &str = r#"local r = require("registry")
assert(r.snapshot():changes():create({id = "svc:api", kind = "service", data = {port = 8080}})
    :create({id = "cfg:db", kind = "config"}):apply())
"#;

/// Commits the next version: `svc:api` on port 9090.
pub const UPDATE: &str = r#"local r = require("registry")
assert(r.snapshot():changes():update({id = "svc:api", kind = "service", data = {port = 9090}}):apply())
print(r.get("svc:api").data.port)
"#;

/// `registry-host` in `dir` at [`NOW_MS`], with the shared module cache.
pub fn host(dir: &Path) -> Command {
    static WARM: Once = Once::new();
    WARM.call_once(|| {
        // Compile the module once, before tests running in parallel would all compile it.
        let output = bare()
            .args(["--ephemeral", "log"])
            .output()
            .expect("registry-host starts");
        assert!(output.status.success(), "{output:?}");
    });
    let mut command = bare();
    command
        .current_dir(dir)
        .args(["--now", &NOW_MS.to_string()])
        .stdin(Stdio::null());
    command
}

fn bare() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_registry-host"));
    command.env("XDG_CACHE_HOME", cache_dir());
    command
}

fn cache_dir() -> PathBuf {
    Path::new(env!("CARGO_TARGET_TMPDIR")).join("registry-host-cache")
}

/// What a finished command did.
#[derive(Debug)]
pub struct Outcome {
    /// The exit status, or `None` when a signal ended the process.
    pub code: Option<i32>,
    pub stdout: String,
    pub stderr: String,
}

impl From<Output> for Outcome {
    fn from(output: Output) -> Self {
        Self {
            code: output.status.code(),
            stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
        }
    }
}

/// Runs `registry-host ARGS` in `dir`.
pub fn run_host(dir: &Path, args: &[&str]) -> Outcome {
    host(dir)
        .args(args)
        .output()
        .expect("registry-host starts")
        .into()
}

/// Runs `args`, which must succeed, and returns what it printed.
pub fn stdout(dir: &Path, args: &[&str]) -> String {
    let outcome = run_host(dir, args);
    assert_eq!(outcome.code, Some(0), "registry-host {args:?}: {outcome:?}");
    outcome.stdout
}

/// Writes `source` to `dir/name` and runs it on `state` with `options` before the script.
pub fn run_script(dir: &Path, state: &str, name: &str, source: &str, options: &[&str]) -> Outcome {
    std::fs::write(dir.join(name), source).expect("a writable temporary folder");
    let mut args = vec!["--state", state, "run"];
    args.extend_from_slice(options);
    args.push(name);
    run_host(dir, &args)
}

/// The store's history as `export` writes it.
pub fn export(dir: &Path, state: &str) -> Value {
    let text = stdout(dir, &["--state", state, "export", "-"]);
    serde_json::from_str(&text).expect("export writes JSON")
}

/// The store's head, as `log` marks it (and `log` must succeed).
pub fn head(dir: &Path, state: &str) -> u64 {
    let log = stdout(dir, &["--state", state, "log"]);
    let head = log
        .lines()
        .find_map(|line| line.strip_prefix("* v"))
        .and_then(|rest| rest.split_whitespace().next())
        .and_then(|id| id.parse().ok());
    assert!(head.is_some(), "log marks head with *: {log}");
    head.unwrap_or_default()
}

/// A small deterministic generator (xorshift64*), so that a failing sequence can be replayed from
/// its seed.
#[derive(Debug)]
pub struct Random(u64);

impl Random {
    /// Seeded from `REGISTRY_TEST_SEED` when set, else from the clock; the seed is printed.
    pub fn from_env_or_clock() -> Self {
        let seed = std::env::var("REGISTRY_TEST_SEED")
            .ok()
            .and_then(|seed| seed.parse().ok())
            .unwrap_or_else(|| {
                std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .map_or(1, |since| since.as_nanos() as u64)
            });
        eprintln!("seed {seed} (set REGISTRY_TEST_SEED={seed} to replay)");
        Self::new(seed)
    }

    pub fn new(seed: u64) -> Self {
        Self(seed.max(1))
    }

    pub fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    /// A number in `0..n`.
    pub fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
}
