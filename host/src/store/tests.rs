//! The store's unit tests: creation, commits, locking, schemas and damaged rows.

use serde_json::json;

use std::time::Instant;

use anyhow::Result;
use rusqlite::Connection;
use std::time::Duration;

use super::integrity::check_structure;
use super::schema::SCHEMA_1;
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
    assert!(store.replace(&broken).is_err(), "duplicate ids");
    assert_eq!(store.history()?, before);
    Ok(())
}

#[test]
fn newer_and_foreign_databases_are_refused() -> Result<()> {
    let dir = tempfile::tempdir()?;
    let newer = dir.path().join("newer.db");
    Connection::open(&newer)?.pragma_update(None, "user_version", 3)?;
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
    assert!(
        edit("UPDATE versions SET ops = '{' WHERE id = 1")?.starts_with(&format!(
            "{name}: v1: its operations are not a JSON array: "
        )),
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
            "{name}: v1 does not match its checksum: the file is damaged or was changed \
             outside registry-host"
        )
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
    assert_eq!(store.schema, 2);
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
