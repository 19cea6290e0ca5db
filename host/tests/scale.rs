//! Stores of real size: every verb on a 100,000-entry store with default options, a store grown
//! by an untrusted loop, loading timed apart from scripts, and checkpoints checked like every
//! other stored byte.

mod common;

use std::path::Path;

use common::{Outcome, export, run_host, run_script, stdout};
use registry_core::{HistoryExport, Op, Registry, VersionRecord};
use serde_json::json;

/// 100 changesets of 1,000 spec-shaped creates, then `updates` one-op updates: built through
/// the core, as the history file `import` reads.
fn large_history(updates: u64) -> HistoryExport {
    let mut registry = Registry::new(common::NOW_MS);
    let mut time = common::NOW_MS;
    for batch in 0..100 {
        let ops: Vec<Op> = (0..1_000)
            .map(|i| {
                let n: u64 = batch * 1_000 + i;
                serde_json::from_value(json!({"kind": "entry.create", "entry": {
                    "id": format!("services:svc-{n:06}"), "kind": "service",
                    "meta": {"environment": if n.is_multiple_of(2) { "production" } else { "staging" },
                             "team": format!("team-{}", n % 50)},
                    "data": {"port": 8000 + n % 1000, "replicas": 3, "image": format!("registry/svc:{n}")}
                }}))
                .expect("an operation")
            })
            .collect();
        time += 1_000;
        registry
            .apply(registry.head().id(), &ops, time)
            .expect("creates apply");
    }
    for n in 0..updates {
        let op: Op = serde_json::from_value(json!({"kind": "entry.update", "entry": {
            "id": format!("services:svc-{:06}", n % 100_000), "kind": "service",
            "meta": {"environment": "production"}, "data": {"port": 9000, "revision": n}
        }}))
        .expect("an operation");
        time += 1_000;
        registry
            .apply(registry.head().id(), &[op], time)
            .expect("updates apply");
    }
    registry.export().expect("the history exports")
}

fn succeeds(outcome: &Outcome, what: &str) {
    assert_eq!(outcome.code, Some(0), "{what}: {outcome:?}");
}

#[test]
fn every_verb_works_on_a_100000_entry_store_with_default_options() {
    let dir = tempfile::tempdir().expect("a temporary folder");
    let history = large_history(1_000);
    std::fs::write(
        dir.path().join("large.json"),
        serde_json::to_string(&history).expect("serializes"),
    )
    .expect("writable");
    let imported = stdout(dir.path(), &["import", "large.json"]);
    assert_eq!(
        imported,
        "imported 1101 versions (head v1100) from large.json\n"
    );
    // v10 is the first state 10,000 operations from v0; from there, no version is as many
    // operations away as it holds entries (100,000). And head.
    assert_eq!(
        checkpoint_versions(&dir.path().join("registry.db")),
        [10, 1100]
    );

    let log = stdout(dir.path(), &["log"]);
    assert_eq!(log.lines().count(), 1_101);
    assert!(log.starts_with("* v1100 "), "{}", &log[..80]);

    let read = run_script(
        dir.path(),
        "registry.db",
        "read.lua",
        r#"local r = require("registry")
        local production = r.find({ ["meta.environment"] = "production" })
        return #r.snapshot():entries(), #production, r.get("services:svc-000999").data.revision"#,
        &[],
    );
    succeeds(&read, "a run that reads");
    assert_eq!(read.stdout, "100000\n50500\n999\n");
    let write = run_script(
        dir.path(),
        "registry.db",
        "write.lua",
        r#"local r = require("registry")
        local changes = r.snapshot():changes()
        changes:delete("services:svc-000000")
        return assert(changes:apply()):id()"#,
        &[],
    );
    succeeds(&write, "a run that writes");
    assert_eq!(write.stdout, "1101\n");

    let show = stdout(dir.path(), &["show"]);
    assert_eq!(show.lines().count(), 99_999);
    assert!(
        show.starts_with(
            r#"{"data":{"port":9000,"revision":1},"id":"services:svc-000001","kind":"service","#
        ),
        "{}",
        &show[..200]
    );
    let staging = stdout(
        dir.path(),
        &["show", "v100", "--where", "meta.environment=staging"],
    );
    assert_eq!(staging.lines().count(), 50_000);

    // Loading is timed apart from the script: its first read builds v100 from v10's checkpoint
    // (90,000 creates) within a 20 ms time limit, but not within a 1 ms load timeout.
    let old = "return require('registry').snapshot_at(100):get('services:svc-099999').kind";
    let quick = run_script(
        dir.path(),
        "registry.db",
        "old.lua",
        old,
        &["--timeout", "20ms"],
    );
    succeeds(&quick, "a quick script after a long load");
    assert_eq!(quick.stdout, "\"service\"\n");
    let slow = run_script(
        dir.path(),
        "registry.db",
        "old.lua",
        old,
        &["--load-timeout", "1ms"],
    );
    assert_eq!(
        (slow.code, slow.stderr.as_str()),
        (
            Some(3),
            "error: loading the store took longer than 1 ms, the most one command may spend \
             loading (raise it with --load-timeout)\n"
        )
    );
    let show = run_host(dir.path(), &["--load-timeout", "1ms", "show", "v100"]);
    assert_eq!(show.code, Some(3), "{show:?}");
    assert!(
        show.stderr.contains("(raise it with --load-timeout)"),
        "{show:?}"
    );

    let diff = stdout(dir.path(), &["diff", "v100", "v1100"]);
    assert_eq!(diff.lines().count(), 1_000);
    assert!(
        diff.starts_with("~ services:svc-000000 "),
        "{}",
        &diff[..80]
    );

    assert_eq!(
        stdout(dir.path(), &["checkout", "v50"]),
        "head is now v50\n"
    );
    let show = stdout(dir.path(), &["show"]);
    assert_eq!(show.lines().count(), 50_000);

    let exported = stdout(dir.path(), &["export", "back.json"]);
    assert_eq!(exported, "exported 1102 versions (head v50) to back.json\n");
    let text = std::fs::read_to_string(dir.path().join("back.json")).expect("written");
    let back: HistoryExport = serde_json::from_str(&text).expect("an export");
    assert_eq!(back.versions[..1_101], history.versions[..]);
    succeeds(
        &run_host(dir.path(), &["--state", "copy.db", "import", "back.json"]),
        "importing the export",
    );
    assert_eq!(
        export(dir.path(), "copy.db"),
        export(dir.path(), "registry.db")
    );
}

#[test]
fn a_history_of_one_changeset_of_100000_creates_exports_with_default_options() {
    let dir = tempfile::tempdir().expect("a temporary folder");
    let mut history = large_history(0);
    // The 100 changesets of the large history as one.
    let creates: Vec<Op> = history
        .versions
        .drain(1..)
        .flat_map(|version| version.ops)
        .collect();
    history.versions.push(VersionRecord {
        id: 1,
        parent: Some(0),
        time_ms: common::NOW_MS,
        ops: creates,
    });
    history.head = 1;
    std::fs::write(
        dir.path().join("one.json"),
        serde_json::to_string(&history).expect("serializes"),
    )
    .expect("writable");
    assert_eq!(
        stdout(dir.path(), &["import", "one.json"]),
        "imported 2 versions (head v1) from one.json\n"
    );
    assert_eq!(
        stdout(dir.path(), &["export", "back.json"]),
        "exported 2 versions (head v1) to back.json\n"
    );
    let text = std::fs::read_to_string(dir.path().join("back.json")).expect("written");
    let back: HistoryExport = serde_json::from_str(&text).expect("an export");
    assert_eq!(back, history);
    let exported = run_host(dir.path(), &["export", "-"]);
    succeeds(&exported, "export to standard output");
    assert_eq!(exported.stdout, text);
    assert_eq!(stdout(dir.path(), &["show", "v1"]).lines().count(), 100_000);
}

/// Loops `create` + `apply` until a limit stops it.
const LOOP: &str = r#"local registry = require("registry")
local run = tostring(math.random(1, 1e9))
local i = 0
while true do
  i = i + 1
  local changes = registry.snapshot():changes()
  assert(changes:create({ id = "loop:" .. run .. "-" .. i, kind = "item", data = { n = i } }):apply())
end
"#;

#[test]
fn a_store_grown_by_five_looping_runs_still_works_with_default_options() {
    let dir = tempfile::tempdir().expect("a temporary folder");
    let mut versions = 0;
    for _ in 0..5 {
        let outcome = run_script(dir.path(), "registry.db", "loop.lua", LOOP, &[]);
        assert_eq!(outcome.code, Some(3), "{outcome:?}");
        assert!(
            outcome.stderr.contains("(raise it with --max-versions)")
                || outcome.stderr.contains("time limit"),
            "{outcome:?}"
        );
        let log = stdout(dir.path(), &["log"]);
        assert!(
            log.lines().count() > versions,
            "each run keeps what it committed"
        );
        versions = log.lines().count();
    }
    let head = versions - 1;
    assert!(!stdout(dir.path(), &["show"]).is_empty());
    let diff = stdout(dir.path(), &["diff", "v1", &format!("v{head}")]);
    assert_eq!(diff.lines().count(), head - 1);
    stdout(dir.path(), &["export", "all.json"]);
    assert_eq!(stdout(dir.path(), &["checkout", "v1"]), "head is now v1\n");
    succeeds(
        &run_host(dir.path(), &["--state", "copy.db", "import", "all.json"]),
        "importing the export",
    );
    let back = run_script(
        dir.path(),
        "copy.db",
        "count.lua",
        "return #require('registry').snapshot():entries()",
        &[],
    );
    succeeds(&back, "a run on the imported copy");
    assert_eq!(back.stdout, format!("{}\n", head));
}

#[test]
fn an_ephemeral_run_stops_at_its_commit_bounds_too() {
    // The host neither checks nor stores what an ephemeral run commits, but still counts it.
    let dir = tempfile::tempdir().expect("a temporary folder");
    std::fs::write(dir.path().join("loop.lua"), LOOP).expect("a writable temporary folder");
    let outcome = run_host(
        dir.path(),
        &["--ephemeral", "run", "--max-versions", "30", "loop.lua"],
    );
    assert_eq!(outcome.code, Some(3), "{outcome:?}");
    assert_eq!(
        outcome.stderr,
        "error: the run stopped: it committed 30 versions, the most one run may (raise it with \
         --max-versions); the versions committed before are kept\n"
    );
    assert!(!dir.path().join("registry.db").exists(), "nothing is kept");
}

#[test]
fn a_run_stops_at_its_commit_bounds_keeping_what_it_committed() {
    let dir = tempfile::tempdir().expect("a temporary folder");
    let outcome = run_script(
        dir.path(),
        "registry.db",
        "loop.lua",
        LOOP,
        &["--max-versions", "30"],
    );
    assert_eq!(outcome.code, Some(3), "{outcome:?}");
    assert_eq!(
        outcome.stderr,
        "error: the run stopped: it committed 30 versions, the most one run may (raise it with \
         --max-versions); the versions committed before are kept\n"
    );
    assert_eq!(common::head(dir.path(), "registry.db"), 30);
    let outcome = run_script(
        dir.path(),
        "registry.db",
        "loop.lua",
        LOOP,
        &["--max-commit-bytes", "4KiB"],
    );
    assert_eq!(outcome.code, Some(3), "{outcome:?}");
    assert!(
        outcome
            .stderr
            .contains("(raise it with --max-commit-bytes)"),
        "{outcome:?}"
    );
    let head = common::head(dir.path(), "registry.db");
    assert!(
        (31..60).contains(&head),
        "some versions fit in 4 KiB: {head}"
    );
}

/// The versions the store keeps checkpoints of.
fn checkpoint_versions(path: &Path) -> Vec<u64> {
    let conn = rusqlite::Connection::open(path).expect("the store opens");
    let mut statement = conn
        .prepare("SELECT version FROM checkpoints ORDER BY version")
        .expect("the table");
    statement
        .query_map([], |row| row.get(0))
        .expect("rows")
        .collect::<rusqlite::Result<_>>()
        .expect("versions")
}

/// Flips one bit, in its middle, of the stored checkpoint of `version`.
fn flip_checkpoint_bit(path: &Path, version: u64) {
    let conn = rusqlite::Connection::open(path).expect("the store opens");
    let mut bytes: Vec<u8> = conn
        .query_row(
            "SELECT bytes FROM checkpoints WHERE version = ?1",
            [version],
            |row| row.get(0),
        )
        .expect("a checkpoint");
    let middle = bytes.len() / 2;
    bytes[middle] ^= 0x10;
    conn.execute(
        "UPDATE checkpoints SET bytes = ?2 WHERE version = ?1",
        rusqlite::params![version, bytes],
    )
    .expect("the checkpoint is rewritten");
}

/// The checksum registry-host keeps of the checkpoint of `version`.
fn checkpoint_checksum(version: u64, bytes: &[u8]) -> String {
    use sha2::{Digest, Sha256};
    let mut digest = Sha256::new();
    digest.update(format!("checkpoint v{version}\0").as_bytes());
    digest.update(bytes);
    hex::encode(&digest.finalize()[..16])
}

/// A store imported from [`checkpointed_history`], and its path.
fn checkpointed_store() -> (tempfile::TempDir, std::path::PathBuf) {
    let dir = tempfile::tempdir().expect("a temporary folder");
    std::fs::write(
        dir.path().join("h.json"),
        checkpointed_history().to_string(),
    )
    .expect("writable");
    stdout(dir.path(), &["import", "h.json"]);
    let path = dir.path().join("registry.db");
    (dir, path)
}

/// v1 creates 10,000 small entries, v2 updates them all, v3 updates one: checkpoints of v1 and
/// v2 (each 10,000 operations from the last) and of head.
fn checkpointed_history() -> serde_json::Value {
    let entry = |n: u32, port: u32| json!({"id": format!("svc:{n:05}"), "kind": "service", "data": {"port": port}});
    let ops = |kind: &str, port: u32, count: u32| {
        (0..count)
            .map(|n| json!({"kind": kind, "entry": entry(n, port)}))
            .collect::<Vec<_>>()
    };
    json!({"format": "luau-registry-history", "format_version": 1, "head": 3, "versions": [
        {"id": 0, "parent": null, "time_ms": 0, "ops": []},
        {"id": 1, "parent": 0, "time_ms": 5, "ops": ops("entry.create", 1, 10_000)},
        {"id": 2, "parent": 1, "time_ms": 6, "ops": ops("entry.update", 2, 10_000)},
        {"id": 3, "parent": 2, "time_ms": 7, "ops": ops("entry.update", 3, 1)}]})
}

#[test]
fn a_flipped_bit_in_any_checkpoint_is_refused_with_the_path_and_nothing_is_written() {
    let (dir, path) = checkpointed_store();
    assert_eq!(checkpoint_versions(&path), [1, 2, 3]);
    let pristine = std::fs::read(&path).expect("readable");
    for version in [1, 2, 3] {
        std::fs::write(&path, &pristine).expect("writable");
        flip_checkpoint_bit(&path, version);
        let damaged = std::fs::read(&path).expect("readable");
        let message = format!(
            "error: registry.db: the checkpoint of v{version} does not match its checksum: the \
             file is damaged or was changed outside registry-host\n"
        );
        let show = run_host(dir.path(), &["show", &format!("v{version}")]);
        assert_eq!(
            (show.code, show.stderr.as_str()),
            (Some(2), message.as_str()),
            "show v{version}"
        );
        let checkout = run_host(dir.path(), &["checkout", "v0"]);
        assert_eq!(
            (checkout.code, checkout.stderr.as_str()),
            (Some(2), message.as_str()),
            "a writer checks every checkpoint first"
        );
        assert_eq!(
            std::fs::read(&path).expect("readable"),
            damaged,
            "nothing was written"
        );
    }
}

#[test]
fn a_checkpoint_holding_another_version_than_its_row_names_is_refused() {
    let (dir, path) = checkpointed_store();
    let conn = rusqlite::Connection::open(&path).expect("the store opens");
    let v2: Vec<u8> = conn
        .query_row(
            "SELECT bytes FROM checkpoints WHERE version = 2",
            [],
            |row| row.get(0),
        )
        .expect("a checkpoint");
    conn.execute(
        "UPDATE checkpoints SET bytes = ?1, checksum = ?2 WHERE version = 1",
        rusqlite::params![v2, checkpoint_checksum(1, &v2)],
    )
    .expect("rewritten with a matching checksum");
    drop(conn);
    let show = run_host(dir.path(), &["show", "v1"]);
    assert_eq!(
        (show.code, show.stderr.as_str()),
        (
            Some(2),
            "error: cannot load the history in registry.db: the host's checkpoint of v1 holds \
             v2\n"
        )
    );
    let diff = run_host(dir.path(), &["diff", "v1", "v3"]);
    assert_eq!(diff.code, Some(2), "{diff:?}");
    assert!(
        diff.stderr
            .ends_with("the host's checkpoint of v1 holds v2\n"),
        "{diff:?}"
    );
}

#[test]
fn a_flipped_bit_in_the_checkpoint_is_refused_with_the_path_and_nothing_is_written() {
    let dir = tempfile::tempdir().expect("a temporary folder");
    let history = json!({"format": "luau-registry-history", "format_version": 1, "head": 1,
        "versions": [{"id": 0, "parent": null, "time_ms": 0, "ops": []},
                     {"id": 1, "parent": 0, "time_ms": 5, "ops": [{"kind": "entry.create",
                      "entry": {"id": "svc:a", "kind": "service", "data": {"port": 8080}}}]}]});
    std::fs::write(dir.path().join("h.json"), history.to_string()).expect("writable");
    stdout(dir.path(), &["import", "h.json"]);
    let path = dir.path().join("registry.db");
    flip_checkpoint_bit(&path, 1);
    let damaged = std::fs::read(&path).expect("readable");
    let message = "error: registry.db: the checkpoint of v1 does not match its checksum: the \
        file is damaged or was changed outside registry-host\n"
        .to_owned();
    let show = run_host(dir.path(), &["show"]);
    assert_eq!(
        (show.code, show.stderr.as_str()),
        (Some(2), message.as_str())
    );
    for script in [
        "return require('registry').get('svc:a').data.port",
        "require('registry').apply_version(0)",
    ] {
        let run = run_script(dir.path(), "registry.db", "s.lua", script, &[]);
        assert_eq!(
            (run.code, run.stderr.as_str()),
            (Some(2), message.as_str()),
            "{script}"
        );
    }
    let checkout = run_host(dir.path(), &["checkout", "v0"]);
    assert_eq!(
        (checkout.code, checkout.stderr.as_str()),
        (Some(2), message.as_str())
    );
    assert_eq!(
        std::fs::read(&path).expect("readable"),
        damaged,
        "nothing was written"
    );
    let returned = run_script(dir.path(), "registry.db", "s.lua", "return 1", &[]);
    succeeds(&returned, "a run that reads nothing of the store");
}

/// A store as the previous layout (schema 2) wrote it: versions with checksums over their
/// operations, no checkpoint.
fn write_schema_2_store(path: &Path) {
    use sha2::{Digest, Sha256};
    let checksum = |text: String| hex::encode(&Sha256::digest(text.as_bytes())[..16]);
    let conn = rusqlite::Connection::open(path).expect("the store opens");
    conn.execute_batch(
        "CREATE TABLE versions (id INTEGER PRIMARY KEY CHECK (id >= 0), parent INTEGER \
         CHECK (parent < id), time_ms INTEGER NOT NULL, ops TEXT NOT NULL, checksum TEXT);
         CREATE TABLE head (singleton INTEGER PRIMARY KEY CHECK (singleton = 1), \
         version INTEGER NOT NULL, checksum TEXT);
         PRAGMA user_version = 2;",
    )
    .expect("the schema");
    let ops = r#"[{"kind":"entry.create","entry":{"id":"svc:a","kind":"service","meta":{},"data":{"port":8080}}}]"#;
    for (id, parent, ops) in [(0, None, "[]"), (1, Some(0), ops)] {
        let parent_text = parent.map_or("root".to_owned(), |p: i64| p.to_string());
        conn.execute(
            "INSERT INTO versions VALUES (?1, ?2, 7, ?3, ?4)",
            rusqlite::params![
                id,
                parent,
                ops,
                checksum(format!("v{id} {parent_text} 7 {ops}"))
            ],
        )
        .expect("a version");
    }
    conn.execute(
        "INSERT INTO head VALUES (1, 1, ?1)",
        [checksum("head 1".to_owned())],
    )
    .expect("the head");
}

#[test]
fn a_store_of_the_previous_layout_is_read_and_upgraded_at_its_first_write() {
    let dir = tempfile::tempdir().expect("a temporary folder");
    write_schema_2_store(&dir.path().join("old.db"));
    let port = "return require('registry').get('svc:a').data.port";
    assert_eq!(
        stdout(dir.path(), &["--state", "old.db", "show"])
            .lines()
            .count(),
        1
    );
    let run = run_script(dir.path(), "old.db", "p.lua", port, &[]);
    assert_eq!(run.stdout, "8080\n");
    let write = run_script(
        dir.path(),
        "old.db",
        "w.lua",
        "local r = require('registry') assert(r.snapshot():changes():delete('svc:a'):apply())",
        &[],
    );
    succeeds(&write, "the first write upgrades the store");
    let conn = rusqlite::Connection::open(dir.path().join("old.db")).expect("opens");
    let schema: i64 = conn
        .query_row("PRAGMA user_version", [], |row| row.get(0))
        .expect("a schema");
    assert_eq!(schema, 4);
    drop(conn);
    let exported = export(dir.path(), "old.db");
    assert_eq!(exported["versions"].as_array().map(Vec::len), Some(3));
    assert_eq!(
        stdout(dir.path(), &["--state", "old.db", "diff", "v1", "v2"]),
        "- svc:a\n"
    );
    let _: Vec<VersionRecord> =
        serde_json::from_value(exported["versions"].clone()).expect("versions");
}

/// Postcard of a string or a count below 128: its length (or itself) in one byte, then its bytes.
fn postcard_short(bytes: &[u8]) -> Vec<u8> {
    let mut out = vec![u8::try_from(bytes.len()).expect("short")];
    out.extend_from_slice(bytes);
    out
}

#[test]
fn a_schema_3_store_with_a_format_1_checkpoint_is_read_and_kept_at_the_first_write() {
    let dir = tempfile::tempdir().expect("a temporary folder");
    let path = dir.path().join("three.db");
    let history = json!({"format": "luau-registry-history", "format_version": 1, "head": 1,
        "versions": [{"id": 0, "parent": null, "time_ms": 0, "ops": []},
                     {"id": 1, "parent": 0, "time_ms": 5, "ops": [{"kind": "entry.create",
                      "entry": {"id": "svc:a", "kind": "service", "data": {"port": 8080}}}]}]});
    std::fs::write(dir.path().join("h.json"), history.to_string()).expect("writable");
    stdout(dir.path(), &["--state", "three.db", "import", "h.json"]);
    // The layout before: one checkpoint, in format 1 (each entry's JSON as a string). Its entry
    // differs from what v1's operations make, to show that it is what is read.
    let entry = br#"{"data":{"port":7070},"id":"svc:a","kind":"service","meta":{}}"#;
    let mut format_1 = b"LRCP\x01\x00\x00\x00\x01\x01".to_vec();
    format_1.extend(postcard_short(entry));
    let conn = rusqlite::Connection::open(&path).expect("the store opens");
    conn.execute_batch(
        "CREATE TABLE checkpoint (singleton INTEGER PRIMARY KEY CHECK (singleton = 1), \
         version INTEGER NOT NULL, bytes BLOB NOT NULL, checksum TEXT NOT NULL);
         DROP TABLE checkpoints; PRAGMA user_version = 3;",
    )
    .expect("schema 3");
    conn.execute(
        "INSERT INTO checkpoint VALUES (1, 1, ?1, ?2)",
        rusqlite::params![format_1, checkpoint_checksum(1, &format_1)],
    )
    .expect("the checkpoint");
    drop(conn);
    let port = "return require('registry').get('svc:a').data.port";
    assert_eq!(
        stdout(dir.path(), &["--state", "three.db", "show"]),
        "{\"data\":{\"port\":7070},\"id\":\"svc:a\",\"kind\":\"service\",\"meta\":{}}\n"
    );
    let write = run_script(
        dir.path(),
        "three.db",
        "w.lua",
        "local r = require('registry') \
         assert(r.snapshot():changes():create({id = 'svc:b', kind = 'service'}):apply())",
        &[],
    );
    succeeds(&write, "the first write moves the checkpoint to schema 4");
    assert_eq!(checkpoint_versions(&path), [1]);
    let read = run_script(dir.path(), "three.db", "p.lua", port, &[]);
    assert_eq!(read.stdout, "7070\n", "v2 built on the kept checkpoint");
}
