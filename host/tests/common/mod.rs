//! What the hardening tests share: the built `registry-host`, with one cache of the compiled
//! module for every test crate (under the target folder, kept between runs, so the module is
//! compiled once), at a fixed time.

// Each test crate uses its own part of this module.
#![allow(dead_code)]

use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::Once;
use std::sync::mpsc::{Receiver, RecvTimeoutError};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

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

/// Runs `registry-host ARGS` in `dir`, within [`CHILD_DEADLINE`].
pub fn run_host(dir: &Path, args: &[&str]) -> Outcome {
    Spawned::new(host(dir).args(args))
        .finish(CHILD_DEADLINE, &format!("registry-host {args:?} to exit"))
}

/// How long a test waits for a child process to exit when nothing else is said: far more than
/// any command of the tests takes, and a hang still fails in minutes, not hours.
pub const CHILD_DEADLINE: Duration = Duration::from_secs(180);

/// A child process that a test reads and waits on, always with a deadline: one it misses kills
/// the child and fails the test, saying what was awaited. A dropped one is killed.
#[derive(Debug)]
pub struct Spawned {
    child: Child,
    /// Standard output, a line (with its line break) at a time, as it comes.
    lines: Receiver<String>,
    /// What came of standard output so far.
    stdout: String,
    stderr: Option<JoinHandle<String>>,
}

impl Spawned {
    /// Starts `command` with its standard output and error piped, its standard input closed.
    pub fn new(command: &mut Command) -> Self {
        let mut child = command
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("the child process starts");
        let stdout = child.stdout.take().expect("a piped stdout");
        let (send, lines) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let mut stdout = BufReader::new(stdout);
            loop {
                let mut line = Vec::new();
                match stdout.read_until(b'\n', &mut line) {
                    Ok(0) | Err(_) => return,
                    Ok(_) => {
                        let line = String::from_utf8_lossy(&line).into_owned();
                        if send.send(line).is_err() {
                            return;
                        }
                    }
                }
            }
        });
        let mut stderr = child.stderr.take().expect("a piped stderr");
        let stderr = std::thread::spawn(move || {
            let mut text = Vec::new();
            let _ = stderr.read_to_end(&mut text);
            String::from_utf8_lossy(&text).into_owned()
        });
        Self {
            child,
            lines,
            stdout: String::new(),
            stderr: Some(stderr),
        }
    }

    /// The next line of standard output, without its line break, within `deadline`.
    pub fn next_line(&mut self, deadline: Duration, awaited: &str) -> String {
        match self.lines.recv_timeout(deadline) {
            Ok(line) => {
                self.stdout.push_str(&line);
                line.trim_end_matches('\n').to_owned()
            }
            Err(RecvTimeoutError::Timeout) => {
                self.fail(&format!("awaited {awaited} for {deadline:?} in vain"))
            }
            Err(RecvTimeoutError::Disconnected) => self.fail(&format!(
                "awaited {awaited}, but the child closed its output"
            )),
        }
    }

    /// Waits for the child to exit within `deadline`; what it did.
    pub fn finish(mut self, deadline: Duration, awaited: &str) -> Outcome {
        let started = Instant::now();
        while self.child.try_wait().expect("the child's status").is_none() {
            if started.elapsed() > deadline {
                self.fail(&format!("awaited {awaited} for {deadline:?} in vain"));
            }
            std::thread::sleep(Duration::from_millis(5));
        }
        self.outcome()
    }

    /// Kills the child (if it still runs); what it did.
    pub fn kill(&mut self) -> Outcome {
        let _ = self.child.kill();
        self.outcome()
    }

    /// Kills the child and fails the test with `problem`.
    #[expect(clippy::panic, reason = "fails the test, as an assertion does")]
    fn fail(&mut self, problem: &str) -> ! {
        let outcome = self.kill();
        panic!("{problem}; killed the child: {outcome:?}")
    }

    /// What the child did, once it ended.
    fn outcome(&mut self) -> Outcome {
        let status = self.child.wait().expect("the child's status");
        // Its output ends with it (registry-host starts no process of its own).
        while let Ok(line) = self.lines.recv_timeout(Duration::from_secs(10)) {
            self.stdout.push_str(&line);
        }
        let stderr = self
            .stderr
            .take()
            .map(|reader| reader.join().unwrap_or_default());
        Outcome {
            code: status.code(),
            stdout: std::mem::take(&mut self.stdout),
            stderr: stderr.unwrap_or_default(),
        }
    }
}

impl Drop for Spawned {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
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
