//! The store's unit tests: creation, commits, locking, schemas and damaged rows.

use serde_json::json;

use std::time::Instant;

use anyhow::Result;
use rusqlite::Connection;
use std::time::Duration;

use super::integrity::check_structure;
use super::schema::{SCHEMA_1, SCHEMA_VERSION};
use super::*;

const WAIT: Duration = Duration::from_secs(5);

fn version(id: u64, parent: u64) -> VersionRecord {
    VersionRecord {
        id,
        parent: Some(parent),
        time_ms: 5,
        ops: serde_json::from_value(json!([{"kind": "entry.delete", "entry": {"id": "a:b"}}]))
            .expect("an operation"),
    }
}

#[test]
fn a_new_store_holds_v0_and_keeps_commits_and_head() -> Result<()> {
    let dir = tempfile::tempdir()?;
    let path = dir.path().join("r.db");
    {
        let mut store = SqliteStore::open(&path, Access::Write, 7, WAIT)?;
        store.commit(&version(1, 0))?;
        store.commit(&version(2, 1))?;
        store.set_head(1)?;
    }
    let history = SqliteStore::open(&path, Access::Read, 99, WAIT)?.history()?;
    assert_eq!(history.head, 1);
    assert_eq!(history.versions.len(), 3);
    assert_eq!(history.versions[0].time_ms, 7, "v0 keeps its creation time");
    assert_eq!(history.versions[2], version(2, 1));
    Ok(())
}

#[test]
fn reading_a_missing_store_creates_nothing() -> Result<()> {
    let dir = tempfile::tempdir()?;
    let path = dir.path().join("none.db");
    assert_eq!(
        SqliteStore::open(&path, Access::Read, 3, WAIT)?
            .history()?
            .head,
        0
    );
    assert!(!path.exists());
    Ok(())
}

#[test]
fn a_failed_commit_changes_nothing() -> Result<()> {
    let mut store = SqliteStore::in_memory(0)?;
    store.commit(&version(1, 0))?;
    assert!(store.commit(&version(1, 0)).is_err(), "v1 exists");
    assert_eq!(store.history()?.versions.len(), 2);
    Ok(())
}

#[test]
fn replace_is_all_or_nothing() -> Result<()> {
    let mut store = SqliteStore::in_memory(0)?;
    store.commit(&version(1, 0))?;
    let before = store.history()?;
    let mut broken = before.clone();
    broken.versions.push(version(2, 1));
    broken.versions.push(version(2, 1));
    assert!(store.replace(&broken, &[]).is_err(), "duplicate ids");
    assert_eq!(store.history()?, before);
    Ok(())
}

#[test]
fn newer_and_foreign_databases_are_refused() -> Result<()> {
    let dir = tempfile::tempdir()?;
    let newer = dir.path().join("newer.db");
    Connection::open(&newer)?.pragma_update(None, "user_version", 5)?;
    let error = SqliteStore::open(&newer, Access::Read, 0, WAIT)
        .err()
        .map(|e| e.to_string());
    assert!(
        error
            .as_ref()
            .is_some_and(|e| e.contains("newer than this registry-host")),
        "{error:?}"
    );
    let foreign = dir.path().join("foreign.db");
    Connection::open(&foreign)?.execute_batch("CREATE TABLE t (x)")?;
    let error = SqliteStore::open(&foreign, Access::Write, 0, WAIT)
        .err()
        .map(|e| e.to_string());
    assert!(
        error
            .as_ref()
            .is_some_and(|e| e.contains("not a registry store")),
        "{error:?}"
    );
    Ok(())
}

#[test]
fn a_second_writer_waits_then_gives_up_while_readers_read() -> Result<()> {
    let dir = tempfile::tempdir()?;
    let path = dir.path().join("r.db");
    let mut writer = SqliteStore::open(&path, Access::Write, 0, WAIT)?;
    writer.commit(&version(1, 0))?;
    let started = Instant::now();
    let error = SqliteStore::open(&path, Access::Write, 0, Duration::from_millis(100))
        .err()
        .map(|e| e.to_string());
    assert!(started.elapsed() >= Duration::from_millis(100));
    assert_eq!(
        error.as_deref(),
        Some(
            format!(
                "{} is in use by another registry-host: gave up after waiting 100ms for it \
                 to finish (see --wait)",
                path.display()
            )
            .as_str()
        )
    );
    let reader = SqliteStore::open(&path, Access::Read, 0, Duration::ZERO)?;
    assert_eq!(
        reader.history()?.head,
        1,
        "a reader sees what was committed"
    );
    writer.commit(&version(2, 1))?;
    assert_eq!(reader.history()?.head, 2);
    drop(writer);
    SqliteStore::open(&path, Access::Write, 0, Duration::ZERO)?;
    Ok(())
}

#[test]
fn reading_an_empty_file_writes_nothing() -> Result<()> {
    let dir = tempfile::tempdir()?;
    let path = dir.path().join("empty.db");
    std::fs::write(&path, "")?;
    assert_eq!(
        SqliteStore::open(&path, Access::Read, 3, WAIT)?
            .history()?
            .head,
        0
    );
    assert_eq!(std::fs::metadata(&path)?.len(), 0);
    assert_eq!(
        SqliteStore::open(&path, Access::Write, 3, WAIT)?
            .history()?
            .head,
        0
    );
    assert!(
        std::fs::metadata(&path)?.len() > 0,
        "a writer creates the store"
    );
    Ok(())
}

#[test]
fn rows_of_the_wrong_type_are_named() -> Result<()> {
    let dir = tempfile::tempdir()?;
    let path = dir.path().join("r.db");
    let edit = |sql: &str| -> Result<String> {
        let _ = std::fs::remove_file(&path);
        SqliteStore::open(&path, Access::Write, 0, WAIT)?.commit(&version(1, 0))?;
        let conn = Connection::open(&path)?;
        conn.pragma_update(None, "ignore_check_constraints", true)?;
        conn.execute_batch(sql)?;
        drop(conn);
        let error = SqliteStore::open(&path, Access::Read, 0, WAIT)
            .and_then(|store| store.history())
            .err();
        Ok(error.map(|e| format!("{e:#}")).unwrap_or_default())
    };
    let name = path.display();
    assert_eq!(
        edit("UPDATE versions SET ops = x'00' WHERE id = 1")?,
        format!("{name}: v1: its operations: a blob of 1 bytes is not JSON text")
    );
    assert_eq!(
        edit("UPDATE versions SET ops = '{' WHERE id = 1")?,
        format!(
            "{name}: v1's operations do not match their checksum: the file is damaged or was \
             changed outside registry-host"
        )
    );
    assert_eq!(
        edit("UPDATE versions SET op_count = 'x' WHERE id = 1")?,
        format!("{name}: v1: its operations: \"x\" is not a count")
    );
    assert_eq!(
        edit("UPDATE versions SET parent = 0.5 WHERE id = 1")?,
        format!("{name}: v1: its parent: 0.5 is not a version number")
    );
    assert_eq!(
        edit("UPDATE versions SET parent = 1 WHERE id = 1")?,
        format!("{name} is damaged (SQLite's quick_check: CHECK constraint failed in versions)")
    );
    assert_eq!(
        edit("UPDATE versions SET time_ms = 1.5 WHERE id = 1")?,
        format!("{name}: v1: its time: 1.5 is not a time in milliseconds")
    );
    assert_eq!(
        edit("DELETE FROM head")?,
        format!("{name}: the head is missing")
    );
    assert_eq!(
        edit("UPDATE head SET version = -1")?,
        format!("{name}: the head: -1 is not a version number")
    );
    Ok(())
}

#[test]
fn edited_rows_fail_their_checksums() -> Result<()> {
    let dir = tempfile::tempdir()?;
    let path = dir.path().join("r.db");
    let name = path.display().to_string();
    let edit = |sql: &str| -> Result<String> {
        let _ = std::fs::remove_file(&path);
        let mut store = SqliteStore::open(&path, Access::Write, 0, WAIT)?;
        store.commit(&version(1, 0))?;
        drop(store);
        Connection::open(&path)?.execute_batch(sql)?;
        let error = SqliteStore::open(&path, Access::Read, 0, WAIT)
            .and_then(|store| store.history())
            .err();
        Ok(error.map(|e| format!("{e:#}")).unwrap_or_default())
    };
    assert_eq!(
        edit("UPDATE versions SET ops = '[]' WHERE id = 1")?,
        format!(
            "{name}: v1's operations do not match their checksum: the file is damaged or was \
             changed outside registry-host"
        )
    );
    assert!(edit("UPDATE versions SET op_count = 2 WHERE id = 1")?.contains("v1 does not match"));
    assert!(
        edit("UPDATE versions SET ops_checksum = 'x' WHERE id = 1")?.contains("v1 does not match")
    );
    assert!(edit("UPDATE versions SET time_ms = 6 WHERE id = 1")?.contains("v1 does not match"));
    assert!(
        edit("UPDATE versions SET checksum = NULL WHERE id = 0")?.contains("v0 does not match")
    );
    assert_eq!(
        edit("UPDATE head SET version = 0")?,
        format!(
            "{name}: the head does not match its checksum: the file is damaged or was \
             changed outside registry-host"
        )
    );
    Ok(())
}

#[test]
fn the_structure_is_checked_with_names() {
    let v = |id, parent| VersionRecord {
        parent,
        ..version(id, 0)
    };
    let error = |versions: &[VersionRecord], head| {
        check_structure(versions, head)
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default()
    };
    assert_eq!(error(&[v(0, None), v(1, Some(0))], 1), "");
    assert_eq!(
        error(&[v(0, None), v(2, Some(0))], 0),
        "v1 is missing (the next version is v2)"
    );
    assert_eq!(
        error(&[v(0, None), v(1, Some(0)), v(1, Some(0))], 0),
        "v1 appears twice"
    );
    assert_eq!(error(&[v(0, None), v(1, None)], 0), "v1 has no parent");
    assert_eq!(
        error(&[v(0, Some(0))], 0),
        "v0's parent v0 is not an earlier version"
    );
    assert_eq!(error(&[v(0, None)], 4), "the head v4 is not a version");
    assert_eq!(error(&[], 0), "there are no versions, not even v0");
}

#[test]
fn a_schema_1_store_is_read_as_is_and_upgraded_at_the_first_write() -> Result<()> {
    let dir = tempfile::tempdir()?;
    let path = dir.path().join("old.db");
    let conn = Connection::open(&path)?;
    conn.execute_batch(SCHEMA_1)?;
    conn.execute_batch(
        r#"INSERT INTO versions VALUES (0, NULL, 5, '[]'),
            (1, 0, 5, '[{"kind":"entry.delete","entry":{"id":"a:b"}}]');
           INSERT INTO head VALUES (1, 1);
           PRAGMA user_version = 1;"#,
    )?;
    drop(conn);
    let before = std::fs::read(&path)?;
    let history = SqliteStore::open(&path, Access::Read, 0, WAIT)?.history()?;
    assert_eq!(
        (history.head, history.versions[1].clone()),
        (1, version(1, 0))
    );
    drop(SqliteStore::open(&path, Access::Write, 0, WAIT)?.history()?);
    assert!(std::fs::read(&path)? == before, "opening writes nothing");
    let mut store = SqliteStore::open(&path, Access::Write, 0, WAIT)?;
    store.commit(&version(2, 1))?;
    drop(store);
    let store = SqliteStore::open(&path, Access::Read, 0, WAIT)?;
    assert_eq!(store.schema, SCHEMA_VERSION);
    let history = store.history()?;
    assert_eq!((history.head, history.versions.len()), (2, 3));
    let conn = Connection::open(&path)?;
    let unchecked: i64 = conn.query_row(
        "SELECT count(*) FROM versions WHERE checksum IS NULL",
        [],
        |row| row.get(0),
    )?;
    assert_eq!(unchecked, 0, "every version has its checksum");
    Ok(())
}

/// Issue 15: readers racing the first writer failed with "an SQLite database but not a registry
/// store" when the schema was read outside one transaction.
#[test]
fn readers_racing_the_creator_see_no_store_or_the_whole_store() -> Result<()> {
    let dir = tempfile::tempdir()?;
    for trial in 0..200 {
        let path = dir.path().join(format!("r{trial}.db"));
        let start = std::sync::Arc::new(std::sync::Barrier::new(2));
        let creator = {
            let (path, start) = (path.clone(), std::sync::Arc::clone(&start));
            std::thread::spawn(move || -> Result<()> {
                start.wait();
                SqliteStore::open(&path, Access::Write, 0, WAIT)?.commit(&version(1, 0))
            })
        };
        start.wait();
        let mut heads = Vec::new();
        while !creator.is_finished() || heads.is_empty() {
            let history = SqliteStore::open(&path, Access::Read, 0, WAIT)
                .and_then(|store| store.history())
                .map_err(|e| anyhow!("trial {trial}: {e:#}"))?;
            heads.push(history.head);
        }
        creator
            .join()
            .map_err(|_| anyhow!("the creator panicked"))??;
        assert!(heads.iter().all(|head| *head <= 1), "{heads:?}");
    }
    Ok(())
}

#[test]
fn a_schema_2_store_is_listed_whole_and_upgraded_at_the_first_write() -> Result<()> {
    let dir = tempfile::tempdir()?;
    let path = dir.path().join("old.db");
    {
        let mut store = SqliteStore::open(&path, Access::Write, 0, WAIT)?;
        store.commit(&version(1, 0))?;
    }
    // Back to schema 2: no counts, no checkpoint, checksums over the operations.
    let conn = Connection::open(&path)?;
    let ops = serde_json::to_string(&version(1, 0).ops)?;
    conn.execute_batch(
        "DROP TABLE checkpoints; ALTER TABLE versions DROP COLUMN op_count; \
         ALTER TABLE versions DROP COLUMN ops_checksum; PRAGMA user_version = 2;",
    )?;
    for record in [
        VersionRecord {
            id: 0,
            parent: None,
            time_ms: 0,
            ops: Vec::new(),
        },
        version(1, 0),
    ] {
        let text = if record.id == 0 {
            "[]".to_owned()
        } else {
            ops.clone()
        };
        conn.execute(
            "UPDATE versions SET checksum = ?2 WHERE id = ?1",
            params![record.id, integrity::version_checksum(&record, &text)],
        )?;
    }
    drop(conn);
    let store = SqliteStore::open(&path, Access::Read, 0, WAIT)?;
    assert_eq!((store.schema, store.checkpoint_versions()?), (2, vec![]));
    let listing = store.listing()?;
    assert_eq!(listing.versions[1].ops, 1);
    assert_eq!(store.ops_json(&[1, 0])?, format!("[{ops},[]]"));
    drop(store);
    let mut store = SqliteStore::open(&path, Access::Write, 0, WAIT)?;
    store.commit(&version(2, 1))?;
    assert_eq!(store.schema, SCHEMA_VERSION);
    assert_eq!(store.listing()?.versions.len(), 3);
    assert_eq!(store.ops_json(&[1])?, format!("[{ops}]"));
    Ok(())
}

#[test]
fn checkpoints_are_checked_when_read_and_before_the_first_write() -> Result<()> {
    let dir = tempfile::tempdir()?;
    let path = dir.path().join("r.db");
    let name = path.display().to_string();
    {
        let mut store = SqliteStore::open(&path, Access::Write, 0, WAIT)?;
        store.commit(&version(1, 0))?;
        store.commit(&version(2, 1))?;
        store.save_checkpoint(2, b"LRCP two")?;
        store.save_checkpoint(1, b"LRCP one")?;
        assert_eq!(store.checkpoint_versions()?, [1, 2], "both kept, ascending");
        assert_eq!(store.checkpoint(1)?, b"LRCP one");
        assert_eq!(store.checkpoint(2)?, b"LRCP two");
        assert_eq!(
            store.checkpoint(0).map_err(|e| e.to_string()),
            Err(format!("{name} holds no checkpoint of v0"))
        );
    }
    Connection::open(&path)?
        .execute_batch("UPDATE checkpoints SET version = 0 WHERE version = 1")?;
    let damaged = format!(
        "{name}: the checkpoint of v0 does not match its checksum: the file is damaged or was \
         changed outside registry-host"
    );
    let store = SqliteStore::open(&path, Access::Read, 0, WAIT)?;
    assert_eq!(store.checkpoint_versions()?, [0, 2]);
    assert_eq!(store.checkpoint(2)?, b"LRCP two", "the others still read");
    assert_eq!(
        store.checkpoint(0).map_err(|e| e.to_string()),
        Err(damaged.clone())
    );
    drop(store);
    let before = std::fs::read(&path)?;
    let mut store = SqliteStore::open(&path, Access::Write, 0, WAIT)?;
    assert_eq!(store.set_head(0).map_err(|e| e.to_string()), Err(damaged));
    drop(store);
    assert!(std::fs::read(&path)? == before, "nothing was written");
    Ok(())
}

#[test]
fn replace_replaces_every_checkpoint() -> Result<()> {
    let mut store = SqliteStore::in_memory(0)?;
    store.commit(&version(1, 0))?;
    store.save_checkpoint(1, b"LRCP old")?;
    let mut history = store.history()?;
    history.versions.push(version(2, 1));
    history.head = 2;
    store.replace(
        &history,
        &[(1, b"LRCP a".to_vec()), (2, b"LRCP b".to_vec())],
    )?;
    assert_eq!(store.checkpoint_versions()?, [1, 2]);
    assert_eq!(store.checkpoint(1)?, b"LRCP a");
    store.replace(&history, &[])?;
    assert_eq!(store.checkpoint_versions()?, Vec::<u64>::new());
    Ok(())
}

/// Turns a store of this build back into schema 3: one checkpoint, in its singleton table.
fn to_schema_3(path: &Path) -> Result<()> {
    Connection::open(path)?.execute_batch(
        "CREATE TABLE checkpoint (singleton INTEGER PRIMARY KEY CHECK (singleton = 1), \
         version INTEGER NOT NULL, bytes BLOB NOT NULL, checksum TEXT NOT NULL);
         INSERT INTO checkpoint SELECT 1, version, bytes, checksum FROM checkpoints;
         DROP TABLE checkpoints;
         PRAGMA user_version = 3;",
    )?;
    Ok(())
}

#[test]
fn a_schema_3_store_is_read_as_is_and_its_checkpoint_kept_at_the_first_write() -> Result<()> {
    let dir = tempfile::tempdir()?;
    let path = dir.path().join("three.db");
    {
        let mut store = SqliteStore::open(&path, Access::Write, 0, WAIT)?;
        store.commit(&version(1, 0))?;
        store.save_checkpoint(1, b"LRCP one")?;
    }
    to_schema_3(&path)?;
    let before = std::fs::read(&path)?;
    let store = SqliteStore::open(&path, Access::Read, 0, WAIT)?;
    assert_eq!(store.schema, 3);
    assert_eq!(store.checkpoint_versions()?, [1]);
    assert_eq!(store.checkpoint(1)?, b"LRCP one");
    assert_eq!(store.listing()?.versions.len(), 2);
    drop(store);
    assert!(std::fs::read(&path)? == before, "reading writes nothing");
    let mut store = SqliteStore::open(&path, Access::Write, 0, WAIT)?;
    store.commit(&version(2, 1))?;
    store.save_checkpoint(2, b"LRCP two")?;
    drop(store);
    let store = SqliteStore::open(&path, Access::Read, 0, WAIT)?;
    assert_eq!(store.schema, SCHEMA_VERSION);
    assert_eq!(store.checkpoint_versions()?, [1, 2]);
    assert_eq!(
        store.checkpoint(1)?,
        b"LRCP one",
        "still matches its checksum"
    );
    drop(store);
    // A damaged schema-3 checkpoint stops the upgrade, and nothing is written.
    to_schema_3_damaged(&dir.path().join("bad.db"))?;
    let bad = dir.path().join("bad.db");
    let before = std::fs::read(&bad)?;
    let mut store = SqliteStore::open(&bad, Access::Write, 0, WAIT)?;
    assert!(
        store
            .commit(&version(2, 1))
            .is_err_and(|e| e.to_string().ends_with(
                "the checkpoint of v1 does not match its \
                checksum: the file is damaged or was changed outside registry-host"
            )),
    );
    drop(store);
    assert!(std::fs::read(&bad)? == before, "nothing was written");
    Ok(())
}

/// A schema-3 store whose checkpoint's bytes were changed.
fn to_schema_3_damaged(path: &Path) -> Result<()> {
    {
        let mut store = SqliteStore::open(path, Access::Write, 0, WAIT)?;
        store.commit(&version(1, 0))?;
        store.save_checkpoint(1, b"LRCP one")?;
    }
    to_schema_3(path)?;
    Connection::open(path)?.execute_batch("UPDATE checkpoint SET bytes = X'4C52435000'")?;
    Ok(())
}
