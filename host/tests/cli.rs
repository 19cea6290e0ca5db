//! `registry-host` as a user runs it: scripts, exit statuses, the store across runs, the
//! inspection commands, and the sandbox's limits.

use std::path::{Path, PathBuf};
use std::sync::Once;
use std::time::{Duration, Instant};

use assert_cmd::Command;
use assert_cmd::assert::Assert;
use predicates::prelude::*;
use registry_conformance::NOW_MS;
use tempfile::TempDir;

mod common;

use common::etcd::Etcd;
use common::{CHILD_DEADLINE, Spawned};

/// Defines each test once, as a function of the workspace, and runs it on both stores:
/// `sqlite::NAME` and `etcd::NAME`.
macro_rules! on_both_stores {
    ($(fn $name:ident($ws:ident: &Workspace) $body:block)*) => {
        $(fn $name($ws: &Workspace) $body)*
        mod sqlite {
            $(#[test]
            fn $name() {
                super::$name(&super::Workspace::sqlite());
            })*
        }
        mod etcd {
            $(#[test]
            fn $name() {
                super::$name(&super::Workspace::etcd());
            })*
        }
    };
}

const CREATE_API: &str = r#"local r = require("registry")
assert(r.snapshot():changes():create({id = "svc:api", kind = "service", meta = {env = "prod"}, data = {port = 8080}})
    :create({id = "cfg:db", kind = "config"}):apply())
"#;

const UPDATE_API: &str = r#"local r = require("registry")
print(r.get("svc:api").data.port)
assert(r.snapshot():changes():update({id = "svc:api", kind = "service", meta = {env = "prod"}, data = {port = 9090}})
    :delete("cfg:db"):create({id = "svc:web", kind = "service", meta = {env = "dev"}}):apply())
"#;

/// The compiled module's cache, shared by every test crate (see tests/common/mod.rs).
fn cache_dir() -> PathBuf {
    Path::new(env!("CARGO_TARGET_TMPDIR")).join("registry-host-cache")
}

/// A scratch folder to run the host in, on one of the two stores: `registry.db` there, or a
/// one-member etcd of its own, prefix `registry`.
struct Workspace {
    dir: TempDir,
    etcd: Option<Etcd>,
}

impl Workspace {
    fn new() -> Self {
        // Compile the module once, before parallel tests would all compile it.
        static WARM: Once = Once::new();
        let dir = tempfile::tempdir().expect("a temporary folder");
        WARM.call_once(|| {
            Command::new(env!("CARGO_BIN_EXE_registry-host"))
                .env("XDG_CACHE_HOME", cache_dir())
                .timeout(CHILD_DEADLINE)
                .current_dir(dir.path())
                .args(["run", "--ephemeral", "-"])
                .write_stdin("return 1")
                .assert()
                .success();
        });
        Self { dir, etcd: None }
    }

    fn sqlite() -> Self {
        Self::new()
    }

    fn etcd() -> Self {
        Self {
            etcd: Some(Etcd::start()),
            ..Self::new()
        }
    }

    /// The options that name a second store: `copy.db`, or prefix `copy` on the same etcd.
    fn other_store(&self) -> [String; 2] {
        match &self.etcd {
            None => ["--state".to_owned(), "copy.db".to_owned()],
            Some(etcd) => ["--store".to_owned(), etcd.url("copy")],
        }
    }

    /// Whether anything is stored in the workspace's store.
    fn stored(&self) -> bool {
        match &self.etcd {
            None => self.path("registry.db").exists(),
            Some(etcd) => !etcd.keys("/registry/").is_empty(),
        }
    }

    /// The host, in this folder, at a fixed time, then `args`, on the workspace's store unless
    /// `args` name another.
    fn host_with(&self, args: &[&str]) -> Command {
        let mut command = self.host_for(args);
        command.args(args);
        command
    }

    /// The host on the workspace's store unless `args`, to come, name another.
    fn host_for(&self, args: &[&str]) -> Command {
        let mut command = self.bare_host();
        if !args
            .iter()
            .any(|arg| ["--store", "--state", "--ephemeral"].contains(arg))
        {
            command.args(self.store_args());
        }
        command
    }

    /// `--store URL` for etcd; nothing for `registry.db`, the default.
    fn store_args(&self) -> Vec<String> {
        match &self.etcd {
            None => Vec::new(),
            Some(etcd) => vec!["--store".to_owned(), etcd.url("registry")],
        }
    }

    fn host(&self) -> Command {
        self.host_with(&[])
    }

    fn bare_host(&self) -> Command {
        let mut command = Command::new(env!("CARGO_BIN_EXE_registry-host"));
        command
            .env("XDG_CACHE_HOME", cache_dir())
            // A hang fails the test, its child killed, rather than stalling the suite.
            .timeout(CHILD_DEADLINE)
            .current_dir(self.dir.path())
            .args(["--now", &NOW_MS.to_string()]);
        command
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    /// The host, in this folder, at a fixed time.
    fn write(&self, name: &str, text: &str) {
        std::fs::write(self.path(name), text).expect("a writable temporary folder");
    }

    /// Writes `source` to `name` and runs it with `args` before the script.
    fn run(&self, name: &str, source: &str, args: &[&str]) -> Assert {
        self.write(name, source);
        self.host_for(args).arg("run").args(args).arg(name).assert()
    }

    fn stdout(&self, args: &[&str]) -> String {
        let output = self.host_with(args).assert().success();
        String::from_utf8_lossy(&output.get_output().stdout).into_owned()
    }
}

#[test]
fn unseeded_runs_draw_different_numbers_and_a_seed_repeats_them() {
    let ws = Workspace::new();
    let printed = |source: &str| {
        let output = ws
            .host()
            .args(["run", "--ephemeral", "-"])
            .write_stdin(source)
            .assert()
            .success();
        String::from_utf8_lossy(&output.get_output().stdout).into_owned()
    };
    let first = printed("print(math.random())");
    assert_ne!(first, printed("print(math.random())"));
    let seeded = "math.randomseed(42) print(math.random(), math.random(1, 1000))";
    assert_eq!(printed(seeded), printed(seeded));
}

#[test]
fn returned_errors_show_kind_message_and_details() {
    let ws = Workspace::new();
    ws.run(
        "missing.lua",
        "return select(2, require('registry').get('a:b'))",
        &["--ephemeral"],
    )
    .success()
    .stdout(
        "{\"details\":{\"id\":\"a:b\"},\"kind\":\"NOT_FOUND\",\"message\":\"entry not found: a:b\"}\n",
    );
}

#[test]
fn state_picks_the_file_and_ephemeral_keeps_nothing() {
    let ws = Workspace::new();
    ws.run("create.lua", CREATE_API, &["--ephemeral"]).success();
    ws.run("create.lua", CREATE_API, &["--ephemeral"]).success();
    assert!(!ws.path("registry.db").exists());
    ws.run("create.lua", CREATE_API, &["--state", "other.db"])
        .success();
    assert!(ws.path("other.db").exists());
    assert!(!ws.path("registry.db").exists());
    assert_eq!(
        ws.stdout(&["--state", "other.db", "log"]).lines().count(),
        2
    );
    assert_eq!(ws.stdout(&["log"]).lines().count(), 1, "an empty registry");
    assert!(!ws.path("registry.db").exists(), "reading creates no store");
}

#[test]
fn watch_needs_a_store_that_can_change() {
    let ws = Workspace::new();
    ws.host().arg("watch").assert().code(2).stderr(
        "error: cannot watch registry.db: there is no store there yet (a run creates it)\n",
    );
    ws.host()
        .args(["--ephemeral", "watch"])
        .assert()
        .code(2)
        .stderr("error: there is nothing to watch in a registry kept in memory\n");
}

#[test]
fn store_urls_name_sqlite_or_etcd() {
    let ws = Workspace::new();
    ws.run("create.lua", CREATE_API, &["--store", "sqlite:other.db"])
        .success();
    assert_eq!(
        ws.stdout(&["--state", "other.db", "log"]).lines().count(),
        2
    );
    for (url, problem) in [
        (
            "other.db",
            "expected sqlite:PATH or etcd://HOST:PORT[,HOST:PORT...]/PREFIX",
        ),
        (
            "etcd://localhost/reg",
            "expected HOST:PORT for each etcd endpoint",
        ),
        ("etcd://localhost:2379", "the prefix is missing"),
        (
            "etcd://localhost:2379/",
            "expected a prefix such as registry",
        ),
    ] {
        ws.host()
            .args(["--store", url, "log"])
            .assert()
            .code(2)
            .stderr(predicate::str::contains(problem));
    }
    ws.host()
        .args(["--store", "sqlite:a.db", "--state", "b.db", "log"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("cannot be used with"));
}

#[test]
fn a_store_from_a_newer_host_is_refused() {
    let ws = Workspace::new();
    rusqlite::Connection::open(ws.path("registry.db"))
        .and_then(|db| db.pragma_update(None, "user_version", 5))
        .expect("an SQLite file");
    ws.host()
        .arg("log")
        .assert()
        .code(2)
        .stderr(predicate::str::contains("newer than this registry-host"));
}

#[test]
fn a_store_edited_by_hand_is_refused() {
    let ws = Workspace::new();
    ws.run("create.lua", CREATE_API, &[]).success();
    rusqlite::Connection::open(ws.path("registry.db"))
        .and_then(|db| {
            db.execute(
                r#"UPDATE versions SET ops = '[{"kind":"entry.delete","entry":{"id":"x:y"}}]' WHERE id = 1"#,
                [],
            )
        })
        .expect("a registry store");
    // Versions are listed without their operations, which are checked when read.
    ws.host().arg("show").assert().code(2).stderr(
        "error: registry.db: v1's operations do not match their checksum: the file is damaged or \
         was changed outside registry-host\n",
    );
}

#[test]
fn module_hash_names_the_embedded_module() {
    let ws = Workspace::new();
    let hash = ws.stdout(&["module-hash"]);
    assert_eq!(hash.trim().len(), 64, "{hash}");
    assert!(hash.trim().chars().all(|c| c.is_ascii_hexdigit()));
    let built = option_env!("REGISTRY_WASM").map_or_else(
        || Path::new(env!("CARGO_MANIFEST_DIR")).join("../dist/registry.wasm"),
        PathBuf::from,
    );
    let module = built.to_string_lossy();
    assert_eq!(ws.stdout(&["--module", &module, "module-hash"]), hash);
}

on_both_stores! {
    fn watch_prints_each_new_version_as_one_json_line(ws: &Workspace) {
        ws.run("create.lua", CREATE_API, &[]).success();
        let mut watch = Spawned::new(
            std::process::Command::new(env!("CARGO_BIN_EXE_registry-host"))
                .env("XDG_CACHE_HOME", cache_dir())
                .current_dir(ws.dir.path())
                .args(["--now", &NOW_MS.to_string()])
                .args(ws.store_args())
                .args(["watch", "--from", "v1"]),
        );
        let mut next = |awaited: &str| {
            let line = watch.next_line(Duration::from_secs(30), awaited);
            serde_json::from_str::<serde_json::Value>(&line).expect("a JSON line")
        };
        let first = next("watch to print v1");
        ws.run("update.lua", UPDATE_API, &[]).success();
        let second = next("watch to print v2, committed by another process");
        watch.kill();
        let ops = |version: &serde_json::Value| version["ops"].as_array().map(Vec::len);
        assert_eq!(
            (&first["id"], &first["parent"], &first["time"], ops(&first)),
            (&1.into(), &0.into(), &"2026-01-01T00:00:00.000Z".into(), Some(2))
        );
        assert_eq!(
            (&second["id"], &second["parent"], ops(&second)),
            (&2.into(), &1.into(), Some(3))
        );
        assert_eq!(
            second["ops"][1],
            serde_json::json!({"kind": "entry.delete", "entry": {"id": "cfg:db"}})
        );
    }

    fn run_prints_output_then_returned_values_as_json(ws: &Workspace) {
        ws.run(
            "hello.lua",
            "print('hi', 1)\nreturn 1, 'two', {a = {true}}, 2.5",
            &[],
        )
        .success()
        .stdout("hi\t1\n1\n\"two\"\n{\"a\":[true]}\n2.5\n")
        .stderr("");
    }

    fn run_reads_standard_input(ws: &Workspace) {
        ws.host()
            .args(["run", "-"])
            .write_stdin("print(os.time())")
            .assert()
            .success()
            .stdout("1767225600\n");
    }

    fn a_script_error_is_located_and_exits_1(ws: &Workspace) {
        ws.run(
            "fail.lua",
            "print('before')\nlocal x = 1\nerror('boom')",
            &[],
        )
        .code(1)
        .stdout("before\n")
        .stderr("fail.lua:3: boom\n");
        ws.run("syntax.lua", "local = 1", &[])
            .code(1)
            .stderr(predicate::str::starts_with("syntax.lua:1:"));
    }

    fn usage_and_file_problems_exit_2(ws: &Workspace) {
        ws.host().assert().code(2);
        ws.host()
            .args(["run", "missing.lua"])
            .assert()
            .code(2)
            .stderr(predicate::str::contains("cannot read missing.lua"));
        for args in [
            &["run", "--timeout", "500", "x.lua"][..],
            &["run", "--memory", "lots", "x.lua"],
            &["show", "vx"],
            &["--ephemeral", "--state", "x.db", "log"],
        ] {
            ws.host_with(args).assert().code(2);
        }
        assert!(!ws.stored(), "nothing was stored");
    }

    fn versions_persist_between_runs(ws: &Workspace) {
        ws.run("create.lua", CREATE_API, &[]).success();
        ws.run("update.lua", UPDATE_API, &[])
            .success()
            .stdout("8080\n");
        ws.run(
            "read.lua",
            "local r = require('registry') return r.get('svc:api').data.port, #r.find({['.kind'] = 'service'})",
            &[],
        )
        .success()
        .stdout("9090\n2\n");
        assert!(ws.stored());
    }

    fn log_lists_versions_newest_first_with_head_marked(ws: &Workspace) {
        ws.run("create.lua", CREATE_API, &[]).success();
        ws.run("update.lua", UPDATE_API, &[]).success();
        assert_eq!(
            ws.stdout(&["log"]),
            "* v2  2026-01-01T00:00:00Z  3 ops  parent v1\n  \
               v1  2026-01-01T00:00:00Z  2 ops  parent v0\n  \
               v0  2026-01-01T00:00:00Z  0 ops  root\n"
        );
    }

    fn show_lists_entries_at_a_version_with_an_optional_filter(ws: &Workspace) {
        ws.run("create.lua", CREATE_API, &[]).success();
        ws.run("update.lua", UPDATE_API, &[]).success();
        let api = r#"{"data":{"port":9090},"id":"svc:api","kind":"service","meta":{"env":"prod"}}"#;
        let web = r#"{"id":"svc:web","kind":"service","meta":{"env":"dev"}}"#;
        assert_eq!(ws.stdout(&["show"]), format!("{api}\n{web}\n"));
        assert_eq!(
            ws.stdout(&["show", "v2", "--where", "meta.env=prod"]),
            format!("{api}\n")
        );
        assert_eq!(
            ws.stdout(&["show", "1"]),
            "{\"id\":\"cfg:db\",\"kind\":\"config\",\"meta\":{}}\n\
             {\"data\":{\"port\":8080},\"id\":\"svc:api\",\"kind\":\"service\",\"meta\":{\"env\":\"prod\"}}\n"
        );
        assert_eq!(ws.stdout(&["show", "v0"]), "");
        ws.host()
            .args(["show", "v9"])
            .assert()
            .code(1)
            .stderr("error: version not found: 9\n");
        ws.host()
            .args(["show", "--where", ".kind"])
            .assert()
            .code(1)
            .stderr(predicate::str::starts_with("error: "));
    }

    fn diff_prints_deletes_updates_and_creates(ws: &Workspace) {
        ws.run("create.lua", CREATE_API, &[]).success();
        ws.run("update.lua", UPDATE_API, &[]).success();
        assert_eq!(
            ws.stdout(&["diff", "v1", "v2"]),
            "- cfg:db\n\
             ~ svc:api {\"data\":{\"port\":9090},\"id\":\"svc:api\",\"kind\":\"service\",\"meta\":{\"env\":\"prod\"}}\n\
             + svc:web {\"id\":\"svc:web\",\"kind\":\"service\",\"meta\":{\"env\":\"dev\"}}\n"
        );
        assert_eq!(ws.stdout(&["diff", "2", "2"]), "");
    }

    fn checkout_moves_head_and_the_next_run_branches_from_it(ws: &Workspace) {
        ws.run("create.lua", CREATE_API, &[]).success();
        ws.run("update.lua", UPDATE_API, &[]).success();
        ws.host()
            .args(["checkout", "v1"])
            .assert()
            .success()
            .stdout("head is now v1\n");
        ws.run("update.lua", UPDATE_API, &[])
            .success()
            .stdout("8080\n");
        let log = ws.stdout(&["log"]);
        assert!(log.starts_with("* v3  "), "{log}");
        assert!(
            log.lines().next().is_some_and(|l| l.ends_with("parent v1")),
            "{log}"
        );
        ws.host().args(["checkout", "7"]).assert().code(1);
        assert!(
            ws.stdout(&["log"]).starts_with("* v3"),
            "a refused checkout keeps head"
        );
    }

    fn export_and_import_carry_the_whole_history(ws: &Workspace) {
        ws.run("create.lua", CREATE_API, &[]).success();
        ws.run("update.lua", UPDATE_API, &[]).success();
        ws.host().args(["checkout", "1"]).assert().success();
        ws.host()
            .args(["export", "history.json"])
            .assert()
            .success()
            .stdout("exported 3 versions (head v1) to history.json\n");
        let exported = std::fs::read_to_string(ws.path("history.json")).expect("an export");
        assert!(
            exported.contains("\"format\": \"luau-registry-history\""),
            "{exported}"
        );
        assert_eq!(ws.stdout(&["export", "-"]), exported);

        let copy = ws.other_store();
        let copy = [copy[0].as_str(), copy[1].as_str()];
        ws.host_with(&copy)
            .args(["import", "history.json"])
            .assert()
            .success()
            .stdout("imported 3 versions (head v1) from history.json\n");
        assert_eq!(
            ws.stdout(&[copy[0], copy[1], "log"]),
            ws.stdout(&["log"])
        );
        assert_eq!(ws.stdout(&[copy[0], copy[1], "export", "-"]), exported);
    }

    fn the_time_limit_stops_a_script_and_keeps_its_versions(ws: &Workspace) {
        let started = Instant::now();
        ws.run(
            "loop.lua",
            &format!("{CREATE_API}\nprint('looping')\nwhile true do end"),
            &["--timeout", "500ms"],
        )
        .code(3)
        .stdout("looping\n")
        .stderr("error: loop.lua:6: script exceeded its time limit of 500 ms\n");
        let elapsed = started.elapsed();
        assert!(elapsed < Duration::from_millis(1500), "took {elapsed:?}");
        assert!(ws.stdout(&["log"]).starts_with("* v1 "), "v1 was kept");
    }

    fn the_hosts_deadline_stops_what_the_module_misses_and_the_next_run_starts_fresh(ws: &Workspace) {
        // Sorting runs in C without Luau's interrupt (about 3 s here): only the epoch deadline,
        // 100 + 250 + 10 ms after the start, stops it.
        let stuck = format!(
            "{CREATE_API}\nprint('sorting')\ntable.sort(table.create(2e7, 1))\nprint('sorted')"
        );
        let started = Instant::now();
        ws.run(
            "stuck.lua",
            &stuck,
            &["--timeout", "100ms", "--memory", "1GiB"],
        )
        .code(3)
        // Printed text reaches stdout as it is printed: a run the host stops keeps it.
        .stdout("sorting\n")
        .stderr("error: script exceeded its time limit of 100 ms (stopped by the host after 360 ms)\n");
        assert!(
            started.elapsed() < Duration::from_secs(1),
            "took {:?}",
            started.elapsed()
        );
        assert!(ws.stdout(&["log"]).starts_with("* v1 "), "v1 was kept");
        ws.run("update.lua", UPDATE_API, &[])
            .success()
            .stdout("8080\n");
        assert!(ws.stdout(&["log"]).starts_with("* v2 "));
    }

    fn the_memory_limit_stops_a_script_and_keeps_its_versions(ws: &Workspace) {
        // `.. #t` makes each string new: Luau interns strings, so the same 1 MB string repeated
        // would only grow the table, by a few bytes per round.
        ws.run(
            "hog.lua",
            &format!(
                "{CREATE_API}\nlocal t = {{}} while true do t[#t+1] = string.rep(\"x\", 1e6) .. #t end"
            ),
            &["--memory", "64MiB"],
        )
        .code(3)
        .stderr("error: hog.lua:5: script exceeded its memory limit of 64 MiB (not enough memory)\n");
        assert!(ws.stdout(&["log"]).starts_with("* v1 "), "v1 was kept");
    }

    fn the_hosts_memory_cap_stops_what_luau_does_not_count(ws: &Workspace) {
        // The entries' copies live in the registry's Rust data, outside Luau's heap and its limit.
        let hog = format!(
            "{CREATE_API}\nlocal c = require('registry').snapshot():changes()\n\
             local s = string.rep('x', 1e6)\n\
             for i = 1, 10000 do c:create({{id = 'a:' .. i, kind = 'k', data = s}}) end"
        );
        ws.run("hog.lua", &hog, &["--memory", "64MiB"])
            .code(3)
            .stderr(predicate::str::contains("memory cap"));
        assert!(ws.stdout(&["log"]).starts_with("* v1 "), "v1 was kept");
    }
}
