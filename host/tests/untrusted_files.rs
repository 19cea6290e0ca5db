//! Untrusted files: a store that is truncated, damaged, not SQLite, edited by hand or from a newer
//! registry-host is refused by every command with exit 2 and a message naming the file and the
//! problem, before any script runs, and the file is left byte for byte as it was. A history file
//! that `import` cannot take is refused the same way, and the store is not touched (nor created).

mod common;

use std::path::Path;

use common::{CREATE, Random, UPDATE, export, run_host, run_script, stdout};
use rusqlite::Connection;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

const STATE: &str = "store.db";

/// A store at `dir/STATE` with v1 (create) and v2 (update), head v2; returns its export.
fn good_store(dir: &Path) -> String {
    assert_eq!(
        run_script(dir, STATE, "create.lua", CREATE, &[]).code,
        Some(0)
    );
    assert_eq!(
        run_script(dir, STATE, "update.lua", UPDATE, &[]).code,
        Some(0)
    );
    stdout(dir, &["--state", STATE, "export", "-"])
}

/// Every command that opens the store: readers, writers, and an import of a good history.
const COMMANDS: [&[&str]; 7] = [
    &["log"],
    &["show"],
    &["diff", "0", "1"],
    &["export", "-"],
    &["run", "probe.lua"],
    &["checkout", "0"],
    &["import", "good.json"],
];

/// The commands that read no version's operations: with damage only in v2's operations they
/// work (and write nothing); every other command reads them, or writes and checks every row
/// first.
const READ_NO_OPERATIONS: [&[&str]; 3] = [&["log"], &["diff", "0", "1"], &["run", "probe.lua"]];

/// Every command refuses the store at `dir/STATE` with exit 2 and a message naming the file and
/// `problem`; no script runs and the file's bytes do not change.
fn assert_refused(dir: &Path, problem: &str) {
    assert_refused_by(dir, problem, &COMMANDS);
}

/// Damage in v2's operations: the commands that read them or write refuse the store as
/// [`assert_refused`] says; the others work and leave the file as it is.
fn assert_refused_when_read(dir: &Path, problem: &str) {
    let path = dir.join(STATE);
    let before = std::fs::read(&path).expect("the store");
    let (unread, read): (Vec<&[&str]>, Vec<&[&str]>) = COMMANDS
        .into_iter()
        .partition(|args| READ_NO_OPERATIONS.contains(args));
    for args in unread {
        std::fs::write(dir.join("probe.lua"), "print('the script ran')").expect("writable");
        let outcome = run_host(dir, &[&["--state", STATE][..], args].concat());
        assert_eq!(outcome.code, Some(0), "{args:?}: {outcome:?}");
        assert!(
            std::fs::read(&path).expect("the store") == before,
            "{args:?} changed the file"
        );
    }
    assert_refused_by(dir, problem, &read);
}

fn assert_refused_by(dir: &Path, problem: &str, commands: &[&[&str]]) {
    let path = dir.join(STATE);
    let before = std::fs::read(&path).expect("the store");
    std::fs::write(dir.join("probe.lua"), "print('the script ran')").expect("a writable folder");
    if !dir.join("good.json").exists() {
        let good = tempfile::tempdir().expect("a temporary folder");
        std::fs::write(dir.join("good.json"), good_store(good.path())).expect("a writable folder");
    }
    for args in commands {
        let outcome = run_host(dir, &[&["--state", STATE][..], args].concat());
        assert_eq!(outcome.code, Some(2), "{args:?}: {outcome:?}");
        assert_eq!(outcome.stdout, "", "{args:?} printed");
        assert!(
            outcome.stderr.starts_with(&format!("error: {STATE}"))
                || outcome.stderr.contains(&format!(" {STATE}: ")),
            "{args:?} does not name the file: {}",
            outcome.stderr
        );
        assert!(
            outcome.stderr.contains(problem),
            "{args:?} does not say {problem:?}: {}",
            outcome.stderr
        );
        assert!(
            std::fs::read(&path).expect("the store") == before,
            "{args:?} changed the file"
        );
        for leftover in ["-wal", "-shm", "-journal"] {
            assert!(
                !dir.join(format!("{STATE}{leftover}")).exists(),
                "{args:?} left {STATE}{leftover}"
            );
        }
    }
}

/// A good store, changed by `damage`, is refused with `problem`.
fn check(damage: impl FnOnce(&Path), problem: &str) {
    let dir = tempfile::tempdir().expect("a temporary folder");
    good_store(dir.path());
    damage(&dir.path().join(STATE));
    assert_refused(dir.path(), problem);
}

/// A good store whose v2 operations `damage` changes is refused with `problem` by every command
/// that reads them or writes.
fn check_operations(damage: impl FnOnce(&Path), problem: &str) {
    let dir = tempfile::tempdir().expect("a temporary folder");
    good_store(dir.path());
    damage(&dir.path().join(STATE));
    assert_refused_when_read(dir.path(), problem);
}

fn overwrite(path: &Path, offset: usize, bytes: &[u8]) {
    let mut data = std::fs::read(path).expect("the store");
    data[offset..offset + bytes.len()].copy_from_slice(bytes);
    std::fs::write(path, data).expect("a writable store");
}

fn truncate(path: &Path, len: u64) {
    let file = std::fs::OpenOptions::new()
        .write(true)
        .open(path)
        .expect("the store");
    file.set_len(len).expect("a truncatable store");
}

/// Runs `sql` on the store, as someone editing it by hand would (CHECK constraints off).
fn edit(sql: String) -> impl FnOnce(&Path) {
    move |path| {
        let conn = Connection::open(path).expect("an SQLite store");
        conn.pragma_update(None, "ignore_check_constraints", true)
            .expect("a pragma");
        conn.execute_batch(&sql).expect("the edit applies");
    }
}

/// A checksum as registry-host computes it (schemas 3 and 4): the first 16 bytes of the SHA-256 of
/// `v{id} {parent} {time_ms} {op count} {operations' checksum}`, of the operations' text, or of
/// `head {version}`, in hex.
fn checksum(text: &str) -> String {
    hex::encode(&Sha256::digest(text.as_bytes())[..16])
}

const DAMAGED: &str = "store.db is damaged";
const NOT_SQLITE: &str = "store.db is not a registry store: it is not an SQLite database";

#[test]
fn truncated_stores_are_refused() {
    check(
        |path| {
            let len = std::fs::metadata(path).expect("the store").len();
            truncate(path, len / 2);
        },
        DAMAGED,
    );
    check(|path| truncate(path, 4096), DAMAGED);
    check(|path| truncate(path, 100), DAMAGED);
    check(|path| truncate(path, 50), DAMAGED);
}

#[test]
fn files_that_are_not_sqlite_are_refused() {
    check(
        |path| std::fs::write(path, "registry = {}\n").expect("a writable store"),
        NOT_SQLITE,
    );
    check(
        |path| std::fs::write(path, [0xff_u8; 8192]).expect("a writable store"),
        NOT_SQLITE,
    );
    check(|path| overwrite(path, 0, b"SQLite format 4"), NOT_SQLITE);
}

#[test]
fn damaged_pages_are_refused() {
    // Page 2 holds the versions table's root: a garbled page header.
    check(|path| overwrite(path, 4096, &[0x55; 12]), DAMAGED);
    // The page size in the header.
    check(|path| overwrite(path, 16, &[0x00, 0x03]), "store.db is");
}

/// Random bytes at random places of a store full of versions: whatever they hit, the store is
/// refused with its name and left as it was, or (when they hit space SQLite does not use) it
/// loads exactly as it was written. Without the checksums a changed byte that still reads as a
/// valid value, a digit of a time or a letter of a key, would load unnoticed.
#[test]
fn random_overwrites_are_refused_or_harmless() {
    const TRIALS: usize = 80;
    let dir = tempfile::tempdir().expect("a temporary folder");
    let dir = dir.path();
    let many = r#"local r = require("registry")
for i = 1, 300 do
    local changes = r.snapshot():changes()
    local entry = {id = "svc:" .. i % 20, kind = "service", meta = {env = "prod"}, data = {port = 8000 + i}}
    if r.get(entry.id) then changes:update(entry) else changes:create(entry) end
    assert(changes:apply())
end
"#;
    assert_eq!(run_script(dir, STATE, "many.lua", many, &[]).code, Some(0));
    let written = stdout(dir, &["--state", STATE, "export", "-"]);
    let original = std::fs::read(dir.join(STATE)).expect("the store");
    let mut random = Random::from_env_or_clock();
    let (mut refused, mut harmless) = (0, 0);
    for trial in 0..TRIALS {
        let mut data = original.clone();
        let len = 1 + random.below(16) as usize;
        let offset = random.below((data.len() - len) as u64) as usize;
        for byte in &mut data[offset..offset + len] {
            *byte = random.next() as u8;
        }
        std::fs::write(dir.join(STATE), &data).expect("a writable store");
        let outcome = run_host(dir, &["--state", STATE, "export", "-"]);
        let context = format!("trial {trial}: {len} bytes at {offset}: {outcome:?}");
        if outcome.code == Some(2) {
            refused += 1;
            assert!(outcome.stderr.starts_with("error: "), "{context}");
            assert!(outcome.stderr.contains(STATE), "{context}");
            assert_eq!(outcome.stdout, "", "{context}");
        } else {
            assert_eq!(
                outcome.code,
                Some(0),
                "{context}: neither refused nor loaded"
            );
            harmless += 1;
            assert!(
                outcome.stdout == written,
                "{context}: loaded something else"
            );
        }
        assert!(
            std::fs::read(dir.join(STATE)).expect("the store") == data,
            "{context}: the file changed"
        );
    }
    eprintln!("{refused} refused, {harmless} loaded as written");
}

#[test]
fn hand_edited_histories_are_refused() {
    let delete_x = r#"[{"kind":"entry.delete","entry":{"id":"x:y"}}]"#;
    let cases = [
        // A dangling parent: v2's parent v1 is gone.
        (
            "DELETE FROM versions WHERE id = 1".to_owned(),
            "store.db: v1 is missing (the next version is v2)",
        ),
        // A cycle: v1 on v2, v2 on v1.
        (
            "UPDATE versions SET parent = 2 WHERE id = 1".to_owned(),
            "store.db is damaged (SQLite's quick_check: CHECK constraint failed in versions)",
        ),
        (
            "UPDATE versions SET parent = id WHERE id = 2".to_owned(),
            "CHECK constraint failed in versions",
        ),
        (
            "UPDATE versions SET parent = -1 WHERE id = 2".to_owned(),
            "store.db: v2: its parent: -1 is not a version number",
        ),
        // Duplicate ids, once the table is rebuilt without its key.
        (
            "ALTER TABLE versions RENAME TO old;
             CREATE TABLE versions (id, parent, time_ms, ops, checksum, op_count, ops_checksum);
             INSERT INTO versions SELECT * FROM old;
             INSERT INTO versions SELECT * FROM old WHERE id = 1;
             DROP TABLE old;"
                .to_owned(),
            "store.db: v1 appears twice",
        ),
        (
            "UPDATE versions SET time_ms = 'noon' WHERE id = 1".to_owned(),
            "store.db: v1: its time: \"noon\" is not a time in milliseconds",
        ),
        (
            "UPDATE versions SET time_ms = time_ms + 1 WHERE id = 1".to_owned(),
            "store.db: v1 does not match its checksum",
        ),
        (
            "UPDATE head SET version = 1".to_owned(),
            "store.db: the head does not match its checksum",
        ),
        (
            format!(
                "UPDATE head SET version = 99, checksum = '{}'",
                checksum("head 99")
            ),
            "store.db: the head v99 is not a version",
        ),
        (
            "DELETE FROM head".to_owned(),
            "store.db: the head is missing",
        ),
        (
            "INSERT INTO head VALUES (2, 1, NULL)".to_owned(),
            "CHECK constraint failed in head",
        ),
        ("DROP TABLE head".to_owned(), "no such table: head"),
        (
            "PRAGMA user_version = 5".to_owned(),
            "store.db has store schema 5, newer than this registry-host reads (schema 4): use a \
             newer registry-host",
        ),
        (
            "PRAGMA user_version = -3".to_owned(),
            "store.db has an unknown store schema -3",
        ),
        (
            "DROP TABLE versions; DROP TABLE head; DROP TABLE checkpoints; PRAGMA user_version = 0; \
             CREATE TABLE notes (x)"
                .to_owned(),
            "store.db is an SQLite database but not a registry store (it has notes)",
        ),
        (
            "CREATE TRIGGER no_more BEFORE INSERT ON versions BEGIN SELECT RAISE(ABORT, 'no'); END"
                .to_owned(),
            "store.db holds more than a registry store: trigger no_more",
        ),
        (
            "CREATE VIEW latest AS SELECT * FROM versions ORDER BY id DESC LIMIT 1".to_owned(),
            "store.db holds more than a registry store: view latest",
        ),
    ];
    for (sql, problem) in cases {
        check(edit(sql), problem);
    }
    let damaged = "store.db: v2's operations do not match their checksum: the file is damaged or \
                   was changed outside registry-host";
    let operations = [
        (
            "UPDATE versions SET ops = 'port = 9090' WHERE id = 2".to_owned(),
            damaged,
        ),
        (
            "UPDATE versions SET ops = '{}' WHERE id = 2".to_owned(),
            damaged,
        ),
        (
            "UPDATE versions SET ops = x'5b5d' WHERE id = 2".to_owned(),
            "store.db: v2: its operations: a blob of 2 bytes is not JSON text",
        ),
        // Valid JSON, valid types: only the checksum tells.
        (
            format!("UPDATE versions SET ops = '{delete_x}' WHERE id = 2"),
            damaged,
        ),
    ];
    for (sql, problem) in operations {
        check_operations(edit(sql), problem);
    }
}

/// With every checksum matching a deliberate edit, the core names what is wrong when it loads
/// the version (the checksums guard against damage, not against someone who recomputes them).
#[test]
fn an_edit_with_matching_checksums_is_refused_by_the_core() {
    let dir = tempfile::tempdir().expect("a temporary folder");
    good_store(dir.path());
    let delete_x = r#"[{"kind":"entry.delete","entry":{"id":"x:y"}}]"#;
    let ops_checksum = checksum(delete_x);
    let row = checksum(&format!("v2 1 {} 1 {ops_checksum}", common::NOW_MS));
    edit(format!(
        "UPDATE versions SET ops = '{delete_x}', ops_checksum = '{ops_checksum}', \
         checksum = '{row}' WHERE id = 2"
    ))(&dir.path().join(STATE));
    for args in [&["show"][..], &["diff", "0", "2"]] {
        let outcome = run_host(dir.path(), &[&["--state", STATE][..], args].concat());
        assert_eq!(outcome.code, Some(2), "{args:?}: {outcome:?}");
        assert!(
            outcome.stderr.contains("store.db") && outcome.stderr.contains("x:y"),
            "{args:?}: {outcome:?}"
        );
    }
}

#[test]
fn an_empty_file_is_an_empty_registry_that_readers_leave_empty() {
    let dir = tempfile::tempdir().expect("a temporary folder");
    let dir = dir.path();
    std::fs::write(dir.join(STATE), "").expect("a writable folder");
    assert!(stdout(dir, &["--state", STATE, "log"]).starts_with("* v0 "));
    assert_eq!(stdout(dir, &["--state", STATE, "show"]), "");
    assert_eq!(std::fs::metadata(dir.join(STATE)).expect("a file").len(), 0);
    assert_eq!(
        run_script(dir, STATE, "create.lua", CREATE, &[]).code,
        Some(0)
    );
    assert!(stdout(dir, &["--state", STATE, "log"]).starts_with("* v1 "));
}

#[test]
fn broken_history_files_are_refused_and_the_store_is_untouched() {
    let dir = tempfile::tempdir().expect("a temporary folder");
    let dir = dir.path();
    let text = good_store(dir);
    let good: Value = serde_json::from_str(&text).expect("an export");
    let changed = |change: &dyn Fn(&mut Value)| {
        let mut history = good.clone();
        change(&mut history);
        history.to_string()
    };
    let cases = [
        (
            "truncated.json",
            text[..text.len() / 2].to_owned(),
            "truncated.json is not a history: invalid JSON: EOF while parsing",
        ),
        (
            "empty.json",
            String::new(),
            "empty.json is not a history: invalid JSON: EOF while parsing",
        ),
        (
            "not-a-number.json",
            changed(&|h| h["head"] = json!("two")),
            "cannot import not-a-number.json: invalid history: invalid type: string \"two\", \
             expected u64",
        ),
        (
            "newer.json",
            changed(&|h| h["format_version"] = json!(2)),
            "cannot import newer.json: history format version 2 is not supported (this build \
             reads version 1)",
        ),
        (
            "foreign.json",
            changed(&|h| h["format"] = json!("git")),
            "cannot import foreign.json: not a registry history: format is \"git\"",
        ),
        (
            "array.json",
            "[1, 2]".to_owned(),
            "cannot import array.json: invalid history: expected an object with format and \
             format_version",
        ),
        (
            "dangling.json",
            changed(&|h| h["versions"][2]["parent"] = json!(7)),
            "cannot import dangling.json: v2: parent must be an earlier version",
        ),
        (
            "cycle.json",
            changed(&|h| h["versions"][1]["parent"] = json!(2)),
            "cannot import cycle.json: v1: parent must be an earlier version",
        ),
        (
            "duplicate.json",
            changed(&|h| h["versions"][2]["id"] = json!(1)),
            "cannot import duplicate.json: version ids must be consecutive from 0: expected v2, \
             found v1",
        ),
        (
            "gap.json",
            changed(&|h| h["versions"][2]["id"] = json!(5)),
            "cannot import gap.json: version ids must be consecutive from 0: expected v2, found v5",
        ),
        (
            "no-versions.json",
            changed(&|h| h["versions"] = json!([])),
            "cannot import no-versions.json: history has no versions",
        ),
        (
            "head.json",
            changed(&|h| h["head"] = json!(9)),
            "cannot import head.json: head v9 is not a version of this history",
        ),
        (
            "unknown-field.json",
            changed(&|h| h["signed_by"] = json!("me")),
            "cannot import unknown-field.json: invalid history: unknown field `signed_by`, \
             expected one of `format`, `format_version`, `head`, `versions`",
        ),
        (
            "unknown-version-field.json",
            changed(&|h| h["versions"][1]["author"] = json!("me")),
            "cannot import unknown-version-field.json: invalid history: versions[1]: unknown field \
             `author`, expected one of `id`, `parent`, `time_ms`, `ops`",
        ),
        (
            "bad-op.json",
            changed(&|h| h["versions"][2]["ops"][0]["kind"] = json!("entry.explode")),
            "cannot import bad-op.json: invalid history: versions[2]: unknown variant `entry.explode`",
        ),
        (
            "missing-entry.json",
            changed(&|h| {
                h["versions"][1]["ops"] = json!([{"kind": "entry.delete", "entry": {"id": "x:y"}}])
            }),
            "cannot import missing-entry.json: v1: entry not found: x:y",
        ),
        (
            "duplicate-key.json",
            {
                // serde_json keeps the last of two equal keys: write the first one in by hand.
                let entry = changed(&|_| ());
                entry.replacen(r#""id":"svc:api""#, r#""id":"svc:api","id":"svc:other""#, 1)
            },
            "duplicate-key.json is not a history: duplicate key \"id\" at line 1 column ",
        ),
    ];
    let before = std::fs::read(dir.join(STATE)).expect("the store");
    for (name, text, problem) in cases {
        std::fs::write(dir.join(name), &text).expect("a writable folder");
        for state in [STATE, "absent.db"] {
            let outcome = run_host(dir, &["--state", state, "import", name]);
            assert_eq!(outcome.code, Some(2), "{name}: {outcome:?}");
            assert!(
                outcome.stderr.starts_with(&format!("error: {problem}")),
                "{name}: expected {problem:?}, got {}",
                outcome.stderr
            );
        }
        assert!(
            std::fs::read(dir.join(STATE)).expect("the store") == before,
            "{name} changed the store"
        );
        assert!(!dir.join("absent.db").exists(), "{name} created a store");
    }
    assert_eq!(export(dir, STATE), good);
    let outcome = run_host(dir, &["--state", STATE, "import", "absent.json"]);
    assert_eq!(outcome.code, Some(2));
    assert!(
        outcome.stderr.contains("cannot read absent.json"),
        "{outcome:?}"
    );
}
