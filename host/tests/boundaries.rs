//! The host's trust boundaries (issue 15): the compiled-module cache cannot change what runs,
//! nothing a script stored reaches the terminal raw, everything a run hands back stays within the
//! output limit, and no option value panics.

mod common;

use std::path::Path;
use std::process::Command;

use common::{CHILD_DEADLINE, CREATE, Outcome, Spawned, head, run_host, run_script, stdout};

const STATE: &str = "b.db";

/// An empty WebAssembly module: it compiles, but is not the registry.
const EMPTY_MODULE: &[u8] = b"\0asm\x01\0\0\0";

/// `registry-host ARGS` with its own cache folder.
fn with_cache(cache: &Path, dir: &Path, args: &[&str]) -> Outcome {
    Spawned::new(
        Command::new(env!("CARGO_BIN_EXE_registry-host"))
            .env("XDG_CACHE_HOME", cache)
            .current_dir(dir)
            .args(args),
    )
    .finish(CHILD_DEADLINE, &format!("registry-host {args:?} to exit"))
}

/// The one cached file whose name starts with `sha256`.
fn cached_file(cache: &Path, sha256: &str) -> std::path::PathBuf {
    let files: Vec<_> = std::fs::read_dir(cache.join("registry-host"))
        .expect("the cache exists")
        .map(|entry| entry.expect("a readable cache").path())
        .filter(|path| {
            path.file_name()
                .is_some_and(|name| name.to_string_lossy().starts_with(sha256))
        })
        .collect();
    assert_eq!(files.len(), 1, "{files:?}");
    files[0].clone()
}

/// A private cache holding the shared test cache's key and compiled embedded module, so that
/// only what a test changes is compiled again (a compile takes long in a debug build).
fn warm_cache(dir: &Path) -> std::path::PathBuf {
    let embedded_hash = stdout(dir, &["module-hash"]);
    assert_eq!(run_host(dir, &["--ephemeral", "log"]).code, Some(0));
    let shared = Path::new(env!("CARGO_TARGET_TMPDIR")).join("registry-host-cache");
    let cache = dir.join("cache");
    let folder = cache.join("registry-host");
    std::fs::create_dir_all(&folder).expect("writable");
    let compiled = cached_file(&shared, embedded_hash.trim());
    for from in [shared.join("registry-host/key"), compiled] {
        let name = from.file_name().expect("a file name").to_owned();
        std::fs::copy(&from, folder.join(name)).expect("copied");
    }
    cache
}

#[test]
fn another_modules_compiled_code_copied_onto_the_cache_name_is_not_run() {
    let dir = tempfile::tempdir().expect("a temporary folder");
    let dir = dir.path();
    let cache = warm_cache(dir);
    std::fs::write(dir.join("empty.wasm"), EMPTY_MODULE).expect("a writable folder");
    std::fs::write(dir.join("s.lua"), "print('the registry') return 1").expect("writable");
    let run = |args: &[&str]| with_cache(&cache, dir, args);
    // Compiles (and caches) the empty module; it cannot serve as the registry.
    let foreign = run(&["--module", "empty.wasm", "--ephemeral", "log"]);
    assert_eq!(foreign.code, Some(2), "{foreign:?}");
    let foreign_hash = run(&["--module", "empty.wasm", "module-hash"]).stdout;
    let embedded_hash = run(&["module-hash"]).stdout;
    let embedded = cached_file(&cache, embedded_hash.trim());
    let foreign = std::fs::read(cached_file(&cache, foreign_hash.trim())).expect("cached");
    std::fs::write(&embedded, &foreign).expect("a writable cache");
    let outcome = run(&["--ephemeral", "run", "s.lua"]);
    assert_eq!(
        (
            outcome.code,
            outcome.stdout.as_str(),
            outcome.stderr.as_str()
        ),
        (Some(0), "the registry\n1\n", ""),
        "the embedded module ran"
    );
    assert_ne!(
        std::fs::read(&embedded).expect("cached"),
        foreign,
        "the copied file was replaced"
    );
}

#[test]
fn the_cache_folder_and_key_are_private() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().expect("a temporary folder");
    let (cache, dir) = (dir.path().join("cache"), dir.path());
    std::fs::write(dir.join("empty.wasm"), EMPTY_MODULE).expect("a writable folder");
    // The empty module compiles at once; it then fails as a registry (exit 2).
    let run = || {
        with_cache(
            &cache,
            dir,
            &["--module", "empty.wasm", "--ephemeral", "log"],
        )
    };
    let folder = cache.join("registry-host");
    std::fs::create_dir_all(&folder).expect("writable");
    std::fs::set_permissions(&folder, std::fs::Permissions::from_mode(0o777)).expect("chmod");
    let outcome = run();
    assert!(!outcome.stderr.contains("warning"), "{outcome:?}");
    let mode = |path: &Path| {
        std::fs::metadata(path)
            .expect("exists")
            .permissions()
            .mode()
            & 0o777
    };
    assert_eq!(
        mode(&folder),
        0o700,
        "the user's own folder is made private"
    );
    assert_eq!(mode(&folder.join("key")), 0o600);
    // A key others can read is not trusted: the module is compiled, nothing is cached.
    std::fs::set_permissions(folder.join("key"), std::fs::Permissions::from_mode(0o644))
        .expect("chmod");
    let outcome = run();
    assert!(
        outcome.stderr.starts_with(&format!(
            "warning: not using the compiled-module cache: {} can be read or written by other \
             users (mode 644)\n",
            folder.join("key").display()
        )),
        "{outcome:?}"
    );
}

/// Moves the cursor up, erases the line and writes a forged one, as in the issue.
const FORGING_ID: &str = r"prod:\r\27[2K\27[1A~ prod:db forged\u{9b}";

#[test]
fn ids_and_values_from_scripts_reach_the_terminal_escaped() {
    let dir = tempfile::tempdir().expect("a temporary folder");
    let dir = dir.path();
    let setup = format!(
        r#"local r = require("registry")
assert(r.snapshot():changes():create({{id = "prod:db", kind = "db"}}):apply())
assert(r.snapshot():changes():delete("prod:db")
    :create({{id = "{FORGING_ID}", kind = "\27[31m", meta = {{note = "\u{{202e}}"}}}}):apply())
return "\27[2J", {{["\127"] = "\194\155"}}"#
    );
    let outcome = run_script(dir, STATE, "forge.lua", &setup, &[]);
    assert_eq!(
        (outcome.code, outcome.stdout.as_str()),
        (Some(0), "\"\\u001b[2J\"\n{\"\\u007f\":\"\\u009b\"}\n"),
        "{outcome:?}"
    );
    let escaped_id = r"prod:\r\u001b[2K\u001b[1A~ prod:db forged\u009b";
    let entry =
        format!(r#"{{"id":"{escaped_id}","kind":"\u001b[31m","meta":{{"note":"\u202e"}}}}"#);
    assert_eq!(
        stdout(dir, &["--state", STATE, "diff", "v1", "v2"]),
        format!("- prod:db\n+ {escaped_id} {entry}\n")
    );
    assert_eq!(
        stdout(dir, &["--state", STATE, "show"]),
        format!("{entry}\n")
    );
    let exported = stdout(dir, &["--state", STATE, "export", "-"]);
    assert!(
        !exported.contains(['\u{1b}', '\u{9b}', '\u{202e}', '\r']),
        "{exported}"
    );
    // Error messages carry script data too.
    let outcome = run_script(dir, STATE, "fail.lua", "error('\\27[1A\\r forged')", &[]);
    assert_eq!(
        (outcome.code, outcome.stderr.as_str()),
        (Some(1), "fail.lua:1: \\u001b[1A\\u000d forged\n")
    );
    let outcome = run_host(dir, &["--state", STATE, "show", "--where", "\u{1b}[2K"]);
    assert_eq!(outcome.code, Some(1));
    assert!(
        outcome.stderr.contains("[2K") && !outcome.stderr.contains('\u{1b}'),
        "{outcome:?}"
    );
}

const OUTPUT_LIMIT: &str = "error: the script's returned values exceed its output limit of \
                            1048576 bytes (with what it printed)\n";

#[test]
fn a_50_mb_returned_value_is_refused_at_the_output_limit() {
    let dir = tempfile::tempdir().expect("a temporary folder");
    let dir = dir.path();
    let outcome = run_script(
        dir,
        STATE,
        "big.lua",
        &format!("{CREATE}print('v1')\nreturn string.rep('r', 50 * 2^20)"),
        &[],
    );
    assert_eq!(
        (
            outcome.code,
            outcome.stdout.as_str(),
            outcome.stderr.as_str()
        ),
        (Some(3), "v1\n", OUTPUT_LIMIT)
    );
    assert_eq!(head(dir, STATE), 1, "the script's commit is kept");
    let outcome = run_script(
        dir,
        STATE,
        "small.lua",
        "return string.rep('r', 2000)",
        &["--output-limit", "1KiB"],
    );
    assert_eq!(
        (outcome.code, outcome.stderr.as_str()),
        (
            Some(3),
            "error: the script's returned values exceed its output limit of 1024 bytes (with \
             what it printed)\n"
        )
    );
}

#[test]
fn a_40_mib_error_message_is_cut_to_the_output_limit() {
    let dir = tempfile::tempdir().expect("a temporary folder");
    let outcome = run_script(
        dir.path(),
        STATE,
        "e.lua",
        "error(string.rep('e', 40 * 2^20))",
        &[],
    );
    assert_eq!(outcome.code, Some(1));
    assert!(
        outcome.stderr.len() < (1 << 20) + 100,
        "{}",
        outcome.stderr.len()
    );
    assert!(
        outcome
            .stderr
            .ends_with("e [error message truncated: 41943040 bytes]\n")
    );
}

#[test]
fn returned_values_tostring_runs_under_the_limits_and_cannot_commit() {
    let dir = tempfile::tempdir().expect("a temporary folder");
    let dir = dir.path();
    let late = format!(
        "{CREATE}local r = require('registry')
return setmetatable({{f = print}}, {{__tostring = function()
    assert(r.snapshot():changes():create({{id = 'a:late', kind = 'k'}}):apply())
    return 'late'
end}})"
    );
    let outcome = run_script(dir, STATE, "late.lua", &late, &[]);
    assert_eq!(
        (outcome.code, outcome.stderr.as_str()),
        (
            Some(1),
            "late.lua: a returned value's __tostring changed the registry after the script \
             ended: the change is undone\n"
        )
    );
    assert_eq!(head(dir, STATE), 1, "the late commit was not stored");
    let looping =
        "return setmetatable({f = print}, {__tostring = function() while true do end end})";
    let outcome = run_script(dir, STATE, "loop.lua", looping, &["--timeout", "300ms"]);
    assert_eq!(
        (outcome.code, outcome.stderr.as_str()),
        (
            Some(3),
            "error: loop.lua:1: script exceeded its time limit of 300 ms\n"
        )
    );
    let raised = "error(setmetatable({}, {__tostring = function() while true do end end}))";
    let outcome = run_script(dir, STATE, "raise.lua", raised, &["--timeout", "300ms"]);
    assert_eq!(
        (outcome.code, outcome.stderr.as_str()),
        (
            Some(3),
            "error: raise.lua:1: script exceeded its time limit of 300 ms (in the __tostring of \
             the value it raised)\n"
        )
    );
}

/// Every option with values at and past the edges of its range: a usage error (exit 2) naming
/// the problem, never a panic.
#[test]
fn extreme_option_values_are_usage_errors() {
    let dir = tempfile::tempdir().expect("a temporary folder");
    let dir = dir.path();
    std::fs::write(dir.join("s.lua"), "return 1").expect("writable");
    let cases: &[(&[&str], &str)] = &[
        (
            &["--wait", "25days", "log"],
            "the wait must be at most 24h, got 25days",
        ),
        (
            &["--wait", "18446744073709551615s", "log"],
            "the wait must be at most 24h",
        ),
        (&["--wait", "-1s", "log"], "unexpected argument '-1'"),
        (
            &["run", "--timeout", "18446744073709551615s", "s.lua"],
            "the timeout must be at most 24h",
        ),
        (
            &["run", "--timeout", "99999999999999999999999s", "s.lua"],
            "expected a duration",
        ),
        (
            &["run", "--timeout", "0s", "s.lua"],
            "the timeout must be at least 1ms",
        ),
        (
            &["run", "--timeout", "1ns", "s.lua"],
            "the timeout must be at least 1ms",
        ),
        (
            &["run", "--memory", "18446744073709551615B", "s.lua"],
            "the memory limit must be between 1 MiB and 3 GiB",
        ),
        (
            &["run", "--memory", "99999999999999999999EiB", "s.lua"],
            "the memory limit must be between 1 MiB and 3 GiB",
        ),
        (
            &["run", "--memory", "0", "s.lua"],
            "the memory limit must be between",
        ),
        (
            &["run", "--output-limit", "0", "s.lua"],
            "the output limit must be between 1 KiB and 64 MiB, got 0",
        ),
        (
            &["run", "--output-limit", "18446744073709551615B", "s.lua"],
            "the output limit must be between 1 KiB and 64 MiB",
        ),
        (
            &["--now", "9223372036854775807", "log"],
            "the time must be within 8640000000000000 ms of 1970",
        ),
        (
            &["--now", "-9223372036854775808", "log"],
            "the time must be within 8640000000000000 ms of 1970",
        ),
        (
            &["--now", "1e400", "log"],
            "expected milliseconds since 1970",
        ),
        (
            &["show", "v18446744073709551616"],
            "expected a version such as 3 or v3",
        ),
        (&["diff", "0", "-1"], "unexpected argument '-1'"),
        (&["checkout", "v99999999999999999999"], "expected a version"),
        (&["--state", "", "log"], ""),
        (&["--module", "/", "log"], "cannot read the module /"),
    ];
    let shared_cache = Path::new(env!("CARGO_TARGET_TMPDIR")).join("registry-host-cache");
    // run_host passes --now: the cases that set it run without.
    let run = |args: &[&str]| match args.first() {
        Some(&"--now") => with_cache(&shared_cache, dir, args),
        _ => run_host(dir, args),
    };
    for (args, message) in cases {
        let outcome = run(args);
        assert_eq!(outcome.code, Some(2), "{args:?}: {outcome:?}");
        assert!(
            outcome.stderr.contains(message) && !outcome.stderr.contains("panicked"),
            "{args:?}: {outcome:?}"
        );
    }
    // The largest values in range work.
    for args in [
        &[
            "--wait",
            "24h",
            "--state",
            STATE,
            "run",
            "--timeout",
            "24h",
            "s.lua",
        ][..],
        &["--now", "8640000000000000", "--ephemeral", "run", "s.lua"],
        &[
            "--now",
            "-8640000000000000",
            "--ephemeral",
            "run",
            "--output-limit",
            "64MiB",
            "s.lua",
        ],
        &["--state", STATE, "show", "v18446744073709551615"],
    ] {
        let outcome = run(args);
        assert!(
            outcome.code.is_some_and(|code| code <= 1) && !outcome.stderr.contains("panicked"),
            "{args:?}: {outcome:?}"
        );
    }
}

/// Readers need no write access: a WAL store in a folder they cannot write is read as the file it
/// is. Run as `nobody` when the tests run as root (root may write anywhere).
#[test]
fn readers_read_a_store_in_a_folder_they_cannot_write() {
    use std::os::unix::fs::{MetadataExt, PermissionsExt, chown};
    let dir = tempfile::tempdir().expect("a temporary folder");
    let dir = dir.path();
    let cache = warm_cache(dir);
    let store = dir.join("store");
    std::fs::create_dir(&store).expect("writable");
    assert_eq!(
        run_script(&store, STATE, "c.lua", CREATE, &[]).code,
        Some(0)
    );
    let root = std::fs::metadata(dir.join("cache")).expect("exists").uid() == 0;
    let mut command = if root {
        const NOBODY: u32 = 65534;
        for entry in walk(&cache) {
            chown(&entry, Some(NOBODY), Some(NOBODY)).expect("root may chown");
        }
        let mut command = Command::new("setpriv");
        command.args(["--reuid=65534", "--regid=65534", "--clear-groups"]);
        command.arg(env!("CARGO_BIN_EXE_registry-host"));
        command
    } else {
        Command::new(env!("CARGO_BIN_EXE_registry-host"))
    };
    for folder in [dir, &store] {
        std::fs::set_permissions(folder, std::fs::Permissions::from_mode(0o555)).expect("chmod");
    }
    let outcome = Spawned::new(
        command
            .env("XDG_CACHE_HOME", &cache)
            .current_dir(&store)
            .args(["--state", STATE, "log"]),
    )
    .finish(CHILD_DEADLINE, "`log` in a folder it cannot write to exit");
    for folder in [dir, &store] {
        std::fs::set_permissions(folder, std::fs::Permissions::from_mode(0o755)).expect("chmod");
    }
    assert_eq!(
        (outcome.code, outcome.stderr.as_str()),
        (Some(0), ""),
        "{outcome:?}"
    );
    assert!(outcome.stdout.starts_with("* v1 "), "{outcome:?}");
}

/// `path` and everything under it.
fn walk(path: &Path) -> Vec<std::path::PathBuf> {
    let mut all = vec![path.to_owned()];
    if path.is_dir() {
        for entry in std::fs::read_dir(path).expect("readable") {
            all.extend(walk(&entry.expect("readable").path()));
        }
    }
    all
}
