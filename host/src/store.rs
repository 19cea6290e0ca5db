//! The SQLite store: every version and the head, each version written in its own transaction the
//! moment a script commits it, so nothing committed is lost when a later limit or trap stops the
//! module.
//!
//! The schema's version is SQLite's `user_version`; a store from a newer registry-host is refused.

use std::path::Path;
use std::time::Duration;

use anyhow::{Context, Result, bail};
use rusqlite::{Connection, OptionalExtension, params};

use crate::history::{History, VersionRecord};

/// The schema this build reads and writes. Bump it with a migration step in [`Store::prepare`].
const SCHEMA_VERSION: i64 = 1;

const SCHEMA: &str = "
    CREATE TABLE versions (
        id      INTEGER PRIMARY KEY CHECK (id >= 0),
        parent  INTEGER CHECK (parent < id),
        time_ms INTEGER NOT NULL,
        ops     TEXT NOT NULL -- a JSON array of the core's operations
    );
    CREATE TABLE head (
        singleton INTEGER PRIMARY KEY CHECK (singleton = 1),
        version   INTEGER NOT NULL
    );
";

/// How long to wait for another registry-host that holds the store.
const BUSY_TIMEOUT: Duration = Duration::from_secs(10);

/// What a command does with the store.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// Only reads: a missing store is an empty registry, and no file is created.
    Read,
    /// Writes: the file is created if missing and locked against other processes until exit.
    Write,
}

/// One open store.
#[derive(Debug)]
pub struct Store {
    conn: Connection,
    /// The file's path (or `memory`), for messages.
    name: String,
}

impl Store {
    /// Opens the store at `path`; a new store starts with v0 created at `now_ms`.
    pub fn open(path: &Path, access: Access, now_ms: i64) -> Result<Self> {
        let name = path.display().to_string();
        if access == Access::Read && !path.exists() {
            return Self::in_memory(now_ms);
        }
        let conn = Connection::open(path).with_context(|| format!("cannot open store {name}"))?;
        conn.busy_timeout(BUSY_TIMEOUT)?;
        if access == Access::Write {
            // One writer at a time: two runs that both commit "the next version" would collide.
            // In exclusive locking mode the lock taken here is kept until the connection closes.
            conn.pragma_update(None, "locking_mode", "EXCLUSIVE")?;
            conn.execute_batch("BEGIN EXCLUSIVE; COMMIT;")
                .with_context(|| format!("{name} is in use by another registry-host"))?;
        }
        Self::prepare(Self { conn, name }, now_ms)
    }

    /// A store that keeps nothing once dropped.
    pub fn in_memory(now_ms: i64) -> Result<Self> {
        let conn = Connection::open_in_memory().context("cannot open an in-memory store")?;
        Self::prepare(
            Self {
                conn,
                name: "memory".to_owned(),
            },
            now_ms,
        )
    }

    /// Creates the schema in a new file, checks the version of an existing one.
    fn prepare(mut self, now_ms: i64) -> Result<Self> {
        let name = &self.name;
        let version: i64 = self
            .conn
            .pragma_query_value(None, "user_version", |row| row.get(0))
            .with_context(|| format!("cannot read the store {name}"))?;
        match version {
            SCHEMA_VERSION => {}
            0 => {
                let tables: i64 =
                    self.conn
                        .query_row("SELECT count(*) FROM sqlite_schema", [], |row| row.get(0))?;
                if tables > 0 {
                    bail!("{name} is an SQLite database but not a registry store");
                }
                let tx = self.conn.transaction()?;
                tx.execute_batch(SCHEMA)?;
                insert(
                    &tx,
                    &VersionRecord {
                        id: 0,
                        parent: None,
                        time_ms: now_ms,
                        ops: Vec::new(),
                    },
                )?;
                tx.execute("INSERT INTO head (singleton, version) VALUES (1, 0)", [])?;
                tx.pragma_update(None, "user_version", SCHEMA_VERSION)?;
                tx.commit()
                    .with_context(|| format!("cannot create the store {name}"))?;
            }
            newer if newer > SCHEMA_VERSION => bail!(
                "{name} has store schema {newer}, newer than this registry-host reads (schema \
                 {SCHEMA_VERSION}): use a newer registry-host"
            ),
            other => bail!("{name} has an unknown store schema {other}"),
        }
        Ok(self)
    }

    /// Every stored version and the head.
    pub fn history(&self) -> Result<History> {
        let name = &self.name;
        let mut statement = self
            .conn
            .prepare("SELECT id, parent, time_ms, ops FROM versions ORDER BY id")?;
        let rows = statement.query_map([], |row| {
            Ok((
                row.get::<_, u64>(0)?,
                row.get::<_, Option<u64>>(1)?,
                row.get::<_, i64>(2)?,
                row.get::<_, String>(3)?,
            ))
        })?;
        let mut versions = Vec::new();
        for row in rows {
            let (id, parent, time_ms, ops) = row.with_context(|| format!("cannot read {name}"))?;
            let ops = serde_json::from_str(&ops)
                .with_context(|| format!("{name}: the operations of v{id} are not valid JSON"))?;
            versions.push(VersionRecord {
                id,
                parent,
                time_ms,
                ops,
            });
        }
        Ok(History::new(self.head()?, versions))
    }

    /// The stored head.
    pub fn head(&self) -> Result<u64> {
        self.conn
            .query_row("SELECT version FROM head", [], |row| row.get(0))
            .optional()?
            .with_context(|| format!("{}: the head is missing", self.name))
    }

    /// Saves a version a script committed; it becomes head.
    pub fn commit(&mut self, version: &VersionRecord) -> Result<()> {
        let tx = self.conn.transaction()?;
        insert(&tx, version)?;
        set_head(&tx, version.id)?;
        tx.commit()
            .with_context(|| format!("cannot save v{} in {}", version.id, self.name))
    }

    /// Saves a move of head to an existing version.
    pub fn set_head(&mut self, head: u64) -> Result<()> {
        set_head(&self.conn, head).with_context(|| format!("cannot save head in {}", self.name))
    }

    /// Replaces everything with `history`, in one transaction.
    pub fn replace(&mut self, history: &History) -> Result<()> {
        let tx = self.conn.transaction()?;
        tx.execute("DELETE FROM versions", [])?;
        for version in &history.versions {
            insert(&tx, version)?;
        }
        set_head(&tx, history.head)?;
        tx.commit()
            .with_context(|| format!("cannot replace the history in {}", self.name))
    }
}

fn insert(conn: &Connection, version: &VersionRecord) -> Result<()> {
    conn.execute(
        "INSERT INTO versions (id, parent, time_ms, ops) VALUES (?1, ?2, ?3, ?4)",
        params![
            version.id,
            version.parent,
            version.time_ms,
            serde_json::to_string(&version.ops)?
        ],
    )
    .with_context(|| format!("cannot save v{}", version.id))?;
    Ok(())
}

fn set_head(conn: &Connection, head: u64) -> Result<()> {
    conn.execute("UPDATE head SET version = ?1", [head])?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn version(id: u64, parent: u64) -> VersionRecord {
        VersionRecord {
            id,
            parent: Some(parent),
            time_ms: 5,
            ops: vec![json!({"kind": "entry.delete", "entry": {"id": "a:b"}})],
        }
    }

    #[test]
    fn a_new_store_holds_v0_and_keeps_commits_and_head() -> Result<()> {
        let dir = tempfile::tempdir()?;
        let path = dir.path().join("r.db");
        {
            let mut store = Store::open(&path, Access::Write, 7)?;
            store.commit(&version(1, 0))?;
            store.commit(&version(2, 1))?;
            store.set_head(1)?;
        }
        let history = Store::open(&path, Access::Read, 99)?.history()?;
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
        assert_eq!(Store::open(&path, Access::Read, 3)?.history()?.head, 0);
        assert!(!path.exists());
        Ok(())
    }

    #[test]
    fn a_failed_commit_changes_nothing() -> Result<()> {
        let mut store = Store::in_memory(0)?;
        store.commit(&version(1, 0))?;
        assert!(store.commit(&version(1, 0)).is_err(), "v1 exists");
        assert_eq!(store.history()?.versions.len(), 2);
        Ok(())
    }

    #[test]
    fn replace_is_all_or_nothing() -> Result<()> {
        let mut store = Store::in_memory(0)?;
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
        Connection::open(&newer)?.pragma_update(None, "user_version", 2)?;
        let error = Store::open(&newer, Access::Read, 0)
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
        let error = Store::open(&foreign, Access::Write, 0)
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
    fn a_writer_locks_out_other_processes() -> Result<()> {
        let dir = tempfile::tempdir()?;
        let path = dir.path().join("r.db");
        let _writer = Store::open(&path, Access::Write, 0)?;
        let other = Connection::open(&path)?;
        other.busy_timeout(Duration::ZERO)?;
        assert!(
            other
                .query_row("SELECT count(*) FROM versions", [], |_| Ok(()))
                .is_err()
        );
        Ok(())
    }
}
