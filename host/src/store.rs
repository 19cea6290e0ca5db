//! The SQLite store: every version and the head, each version written in its own transaction the
//! moment a script commits it, so nothing committed is lost when a later limit, a trap or a kill
//! stops the process.
//!
//! # Durability
//!
//! A store is written in WAL mode with `synchronous = FULL`: a commit returns only once its WAL
//! frames, commit record included, are on disk, and only then does the script go on. A process
//! killed at any point (SIGKILL included) leaves every finished commit in the file and at most an
//! unfinished one, which SQLite ignores when the next process opens the store; a power loss loses
//! nothing committed either. (`synchronous = NORMAL` would also survive a killed process, the
//! kernel keeping written pages, but could drop the last commits on power loss; a rollback journal
//! with `FULL` is as safe but costs three syncs a commit and blocks readers while a run goes on.)
//!
//! # Concurrency: one writer at a time
//!
//! A command that writes (`run`, `checkout`, `import`) holds an exclusive lock on `PATH-lock`, a
//! file beside the store, from before it reads the history until it exits. Runs are therefore
//! serialized: each starts from the latest head, and no two processes can both commit "the next
//! version" or apply a changeset on a state another process has since changed (within one run, a
//! changeset on a stale snapshot still meets the core's conflict rule). Another writer waits for
//! the lock up to `--wait`, then fails with an error naming the store and the wait. Readers (`log`,
//! `show`, `diff`, `export`) take no lock: WAL lets them read a consistent snapshot, the versions
//! committed so far, while a run goes on.
//!
//! # Untrusted files
//!
//! A store is checked in full before anything is loaded, and nothing is written to it until a
//! command writes a version or the head: it must be an SQLite database that passes `PRAGMA
//! quick_check`, of this build's schema or an older one (SQLite's `user_version`; a newer one is
//! refused), with rows of the expected types and JSON operations, ids dense from v0, parents
//! earlier, a head that is a version, and every row matching its checksum (schema 2): SQLite keeps
//! no checksum of its content, and without one a changed byte that still reads as a valid value
//! (a digit of a time, a letter of a key) would load unnoticed. The module then checks the history
//! itself (every operation valid). A store that fails is refused with its path and the problem.
//! Rows edited by hand fail their checksums too: `export`, edit and `import` instead.

use std::fmt;
use std::fs::{File, OpenOptions, TryLockError};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, anyhow, bail, ensure};
use rusqlite::types::{Type, Value as SqlValue};
use rusqlite::{Connection, ErrorCode, OpenFlags, params};
use sha2::{Digest, Sha256};

use registry_core::{HistoryExport, VersionRecord};

/// The schema this build writes, SQLite's `user_version`. It reads this one and older ones, and
/// upgrades an older one at its first write ([`Store::prepare_writes`]).
const SCHEMA_VERSION: i64 = 2;

/// Schema 1: the versions and the head.
const SCHEMA_1: &str = "
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

/// Schema 2 adds a checksum to every version and to the head (see [`version_checksum`]).
const SCHEMA_2_FROM_1: &str = "
    ALTER TABLE versions ADD COLUMN checksum TEXT;
    ALTER TABLE head ADD COLUMN checksum TEXT;
";

/// How many problems `quick_check` lists before it stops.
const QUICK_CHECK_PROBLEMS: u32 = 3;

/// What a command does with the store.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// Only reads: a missing or empty store is an empty registry, and nothing is written.
    Read,
    /// Writes: the file is created if missing, and the writers' lock is held until the store is
    /// dropped.
    Write,
}

/// One open store.
#[derive(Debug)]
pub struct Store {
    conn: Connection,
    /// The file's path (or `memory`), for messages.
    name: String,
    /// The file's schema: [`SCHEMA_VERSION`], or an older one until the first write upgrades it.
    schema: i64,
    /// Whether the first write has yet to switch the file to WAL and upgrade its schema.
    unprepared: bool,
    /// How long to wait for another process, for messages.
    wait: Duration,
    /// A writer's lock on `PATH-lock`, released after the connection closes (fields drop in order).
    _lock: Option<File>,
}

impl Store {
    /// Opens the store at `path`, waiting up to `wait` for another writer; a new store starts with
    /// v0 created at `now_ms`.
    pub fn open(path: &Path, access: Access, now_ms: i64, wait: Duration) -> Result<Self> {
        let name = path.display().to_string();
        if access == Access::Read && !path.exists() {
            return Self::in_memory(now_ms);
        }
        let lock = match access {
            Access::Write => Some(lock_writers(path, &name, wait)?),
            Access::Read => None,
        };
        // Readers open the file for writing too, without creating it: SQLite must be able to
        // recover a store whose writer was killed (replaying its WAL). They write nothing else.
        let mut flags = OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX;
        if access == Access::Write {
            flags |= OpenFlags::SQLITE_OPEN_CREATE;
        }
        let conn = Connection::open_with_flags(path, flags)
            .with_context(|| format!("cannot open the store {name}"))?;
        let mut store = Self {
            conn,
            name,
            schema: 0,
            unprepared: access == Access::Write,
            wait,
            _lock: lock,
        };
        store.conn.busy_timeout(wait)?;
        store.schema = store.inspect()?;
        if store.schema == 0 {
            if access == Access::Read {
                return Self::in_memory(now_ms);
            }
            store.prepare_writes()?;
            store.create(now_ms)?;
        }
        Ok(store)
    }

    /// A store that keeps nothing once dropped.
    pub fn in_memory(now_ms: i64) -> Result<Self> {
        let conn = Connection::open_in_memory().context("cannot open an in-memory store")?;
        let mut store = Self {
            conn,
            name: "memory".to_owned(),
            schema: 0,
            unprepared: false,
            wait: Duration::ZERO,
            _lock: None,
        };
        store.create(now_ms)?;
        Ok(store)
    }

    /// The file's path (or `memory`), for messages.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Checks the file without writing to it, and returns its schema: 0 for an empty file (a new
    /// or zero-byte one), else a registry store's schema this build reads.
    fn inspect(&self) -> Result<i64> {
        let name = &self.name;
        let schema: i64 = self
            .conn
            .pragma_query_value(None, "user_version", |row| row.get(0))
            .map_err(|e| self.problem(e, "read"))?;
        let problems = self
            .strings(&format!("PRAGMA quick_check({QUICK_CHECK_PROBLEMS})"))
            .map_err(|e| self.problem(e, "check"))?;
        if problems != ["ok"] {
            // A problem can span lines, and the list may start with a banner.
            let problems: Vec<&str> = problems
                .iter()
                .flat_map(|problem| problem.lines())
                .filter(|line| !line.starts_with("***"))
                .collect();
            bail!(
                "{name} is damaged (SQLite's quick_check: {})",
                problems.join("; ")
            );
        }
        // Everything but the two tables (and SQLite's own, such as statistics), a trigger say,
        // was added by hand.
        let others = self
            .strings(
                "SELECT type || ' ' || name FROM sqlite_schema \
                 WHERE name NOT IN ('versions', 'head') AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' \
                 ORDER BY name",
            )
            .map_err(|e| self.problem(e, "read"))?;
        match schema {
            1..=SCHEMA_VERSION => {
                ensure!(
                    others.is_empty(),
                    "{name} holds more than a registry store: {}",
                    others.join(", ")
                );
                Ok(schema)
            }
            0 => {
                let tables = self
                    .strings("SELECT name FROM sqlite_schema")
                    .map_err(|e| self.problem(e, "read"))?;
                ensure!(
                    tables.is_empty(),
                    "{name} is an SQLite database but not a registry store (it has {})",
                    tables.join(", ")
                );
                Ok(0)
            }
            newer if newer > SCHEMA_VERSION => bail!(
                "{name} has store schema {newer}, newer than this registry-host reads (schema \
                 {SCHEMA_VERSION}): use a newer registry-host"
            ),
            other => bail!("{name} has an unknown store schema {other}"),
        }
    }

    /// The first column of every row of `sql`, as text.
    fn strings(&self, sql: &str) -> rusqlite::Result<Vec<String>> {
        let mut statement = self.conn.prepare(sql)?;
        let rows = statement.query_map([], |row| row.get(0))?;
        rows.collect()
    }

    /// Before a writer's first write: full syncs, WAL (see the module's docs), and the schema
    /// upgraded to this build's. Done only then, so that a store the module refuses, or one only
    /// read, is never changed.
    fn prepare_writes(&mut self) -> Result<()> {
        if !std::mem::take(&mut self.unprepared) {
            return Ok(());
        }
        self.conn
            .pragma_update(None, "synchronous", "FULL")
            .map_err(|e| self.problem(e, "prepare"))?;
        let mode: String = self
            .conn
            .pragma_update_and_check(None, "journal_mode", "WAL", |row| row.get(0))
            .map_err(|e| self.problem(e, "prepare"))?;
        ensure!(
            mode.eq_ignore_ascii_case("wal"),
            "cannot use {} in WAL mode (it stays in {mode} mode)",
            self.name
        );
        if self.schema == 1 {
            self.upgrade_from_1()
                .map_err(|e| anyhow!("cannot upgrade {} to schema 2: {e:#}", self.name))?;
        }
        Ok(())
    }

    /// Schema 1 to 2: checksums for every version and the head.
    fn upgrade_from_1(&mut self) -> Result<()> {
        let tx = self.conn.transaction()?;
        tx.execute_batch(SCHEMA_2_FROM_1)?;
        let rows = read_rows(&tx, "SELECT id, parent, time_ms, ops FROM versions")?;
        for row in rows {
            let record = version_from_row(row, None)?;
            let ops = serde_json::to_string(&record.ops)?;
            tx.execute(
                "UPDATE versions SET ops = ?2, checksum = ?3 WHERE id = ?1",
                params![record.id, ops, version_checksum(&record, &ops)],
            )?;
        }
        tx.execute(
            "UPDATE head SET checksum = ?1",
            [head_checksum(head_of(&tx, 1)?)],
        )?;
        tx.pragma_update(None, "user_version", 2)?;
        tx.commit()?;
        self.schema = 2;
        Ok(())
    }

    /// Creates the schema, v0 and the head, in one transaction.
    fn create(&mut self, now_ms: i64) -> Result<()> {
        let tx = self.conn.transaction()?;
        tx.execute_batch(SCHEMA_1)?;
        tx.execute_batch(SCHEMA_2_FROM_1)?;
        insert(
            &tx,
            &VersionRecord {
                id: 0,
                parent: None,
                time_ms: now_ms,
                ops: Vec::new(),
            },
        )?;
        tx.execute(
            "INSERT INTO head (singleton, version, checksum) VALUES (1, 0, ?1)",
            [head_checksum(0)],
        )?;
        tx.pragma_update(None, "user_version", SCHEMA_VERSION)?;
        tx.commit()
            .map_err(|e| self.problem(e, "create the store"))?;
        self.schema = SCHEMA_VERSION;
        Ok(())
    }

    /// Names what went wrong with the file, once.
    fn problem(&self, error: rusqlite::Error, doing: &str) -> anyhow::Error {
        let name = &self.name;
        match error.sqlite_error_code() {
            Some(ErrorCode::NotADatabase) => {
                anyhow!("{name} is not a registry store: it is not an SQLite database")
            }
            Some(ErrorCode::DatabaseCorrupt) => anyhow!("{name} is damaged: {error}"),
            _ if matches!(
                error,
                rusqlite::Error::FromSqlConversionFailure(_, Type::Text, _)
            ) =>
            {
                anyhow!("{name} is damaged: it holds text that is not UTF-8 ({error})")
            }
            Some(ErrorCode::DatabaseBusy | ErrorCode::DatabaseLocked) => anyhow!(
                "{name} is locked by another process: gave up after waiting {} (see --wait)",
                humantime::format_duration(self.wait)
            ),
            _ => anyhow!("cannot {doing} {name}: {error}"),
        }
    }

    /// Every stored version and the head, read in one transaction (a run committing meanwhile
    /// cannot make them disagree), and checked.
    pub fn history(&self) -> Result<HistoryExport> {
        let name = &self.name;
        let checksums = self.schema >= 2;
        let tx = self
            .conn
            .unchecked_transaction()
            .map_err(|e| self.problem(e, "read"))?;
        let sql = if checksums {
            "SELECT id, parent, time_ms, ops, checksum FROM versions ORDER BY id"
        } else {
            "SELECT id, parent, time_ms, ops FROM versions ORDER BY id"
        };
        let rows = read_rows(&tx, sql).map_err(|e| self.problem(e, "read the versions in"))?;
        let mut versions = Vec::with_capacity(rows.len());
        for mut row in rows {
            let checksum = checksums.then(|| row.pop()).flatten();
            let record = version_from_row(row, checksum.as_ref()).with_context(|| name.clone())?;
            versions.push(record);
        }
        let head = self.head_in(&tx)?;
        tx.commit().map_err(|e| self.problem(e, "read"))?;
        check_structure(&versions, head).with_context(|| name.clone())?;
        Ok(HistoryExport::new(head, versions))
    }

    /// The stored head.
    pub fn head(&self) -> Result<u64> {
        self.head_in(&self.conn)
    }

    fn head_in(&self, conn: &Connection) -> Result<u64> {
        head_of(conn, self.schema).map_err(|e| match e.downcast::<rusqlite::Error>() {
            Ok(error) => self.problem(error, "read the head in"),
            Err(other) => other.context(self.name.clone()),
        })
    }

    /// Saves a version a script committed; it becomes head.
    pub fn commit(&mut self, version: &VersionRecord) -> Result<()> {
        self.prepare_writes()?;
        commit(&mut self.conn, version)
            .map_err(|e| self.problem(e, &format!("save v{} in", version.id)))
    }

    /// Saves a move of head to an existing version.
    pub fn set_head(&mut self, head: u64) -> Result<()> {
        self.prepare_writes()?;
        set_head(&self.conn, head).map_err(|e| self.problem(e, "save the head in"))
    }

    /// Replaces everything with `history`, in one transaction.
    pub fn replace(&mut self, history: &HistoryExport) -> Result<()> {
        self.prepare_writes()?;
        replace(&mut self.conn, history).map_err(|e| self.problem(e, "replace the history in"))
    }
}

/// Every row of `sql`, each column as SQLite holds it, so that a value of the wrong type can be
/// named rather than failing a conversion.
fn read_rows(conn: &Connection, sql: &str) -> rusqlite::Result<Vec<Vec<SqlValue>>> {
    let mut statement = conn.prepare(sql)?;
    let columns = statement.column_count();
    let rows = statement.query_map([], |row| (0..columns).map(|i| row.get(i)).collect())?;
    rows.collect()
}

/// A `versions` row (id, parent, time, operations), checked against `checksum` when there is
/// one (schema 2).
fn version_from_row(row: Vec<SqlValue>, checksum: Option<&SqlValue>) -> Result<VersionRecord> {
    let [id, parent, time_ms, ops]: [SqlValue; 4] = row
        .try_into()
        .map_err(|_| anyhow!("the versions table has unexpected columns"))?;
    let id = number(&id).context("a version's id")?;
    let at = |what: &str| format!("v{id}: {what}");
    let parent = match parent {
        SqlValue::Null => None,
        parent => Some(number(&parent).with_context(|| at("its parent"))?),
    };
    let time_ms = match time_ms {
        SqlValue::Integer(ms) => ms,
        other => bail!(
            "{}: {} is not a time in milliseconds",
            at("its time"),
            describe(&other)
        ),
    };
    let SqlValue::Text(ops_text) = ops else {
        bail!(
            "{}: {} is not JSON text",
            at("its operations"),
            describe(&ops)
        );
    };
    let record = VersionRecord {
        id,
        parent,
        time_ms,
        ops: serde_json::from_str(&ops_text)
            .with_context(|| at("its operations are not a JSON array"))?,
    };
    if let Some(checksum) = checksum {
        ensure!(
            *checksum == SqlValue::Text(version_checksum(&record, &ops_text)),
            "v{id} does not match its checksum: the file is damaged or was changed outside \
             registry-host"
        );
    }
    Ok(record)
}

/// The head of a store of `schema`, checked against its checksum from schema 2 on.
fn head_of(conn: &Connection, schema: i64) -> Result<u64> {
    let sql = if schema >= 2 {
        "SELECT version, checksum FROM head"
    } else {
        "SELECT version FROM head"
    };
    let rows = read_rows(conn, sql)?;
    let row = match rows.as_slice() {
        [row] => row,
        [] => bail!("the head is missing"),
        more => bail!("there are {} heads, expected one", more.len()),
    };
    let head = number(&row[0]).context("the head")?;
    if let Some(checksum) = row.get(1) {
        ensure!(
            *checksum == SqlValue::Text(head_checksum(head)),
            "the head does not match its checksum: the file is damaged or was changed outside \
             registry-host"
        );
    }
    Ok(head)
}

/// What the module would also refuse, named here with the file: ids dense from v0, every parent
/// an earlier version, the head a version.
fn check_structure(versions: &[VersionRecord], head: u64) -> Result<()> {
    for (expected, version) in (0_u64..).zip(versions) {
        let id = version.id;
        ensure!(id >= expected, "v{id} appears twice");
        ensure!(
            id == expected,
            "v{expected} is missing (the next version is v{id})"
        );
        match version.parent {
            None => ensure!(id == 0, "v{id} has no parent"),
            Some(parent) => ensure!(
                parent < id,
                "v{id}'s parent v{parent} is not an earlier version"
            ),
        }
    }
    ensure!(!versions.is_empty(), "there are no versions, not even v0");
    ensure!(
        head < versions.len() as u64,
        "the head v{head} is not a version"
    );
    Ok(())
}

/// A version number: an integer of at least 0.
fn number(value: &SqlValue) -> Result<u64> {
    match value {
        SqlValue::Integer(n) if *n >= 0 => Ok(n.unsigned_abs()),
        other => bail!("{} is not a version number", describe(other)),
    }
}

/// A stored value, for messages.
fn describe(value: &SqlValue) -> String {
    match value {
        SqlValue::Null => "NULL".to_owned(),
        SqlValue::Integer(n) => n.to_string(),
        SqlValue::Real(x) => x.to_string(),
        SqlValue::Text(text) => format!("{text:?}"),
        SqlValue::Blob(bytes) => format!("a blob of {} bytes", bytes.len()),
    }
}

/// A version's checksum: the first 16 bytes of the SHA-256 of its fields, `ops` as stored, in hex.
/// It guards against damage, not against someone who means to change the file.
fn version_checksum(version: &VersionRecord, ops: &str) -> String {
    let parent = version
        .parent
        .map_or_else(|| "root".to_owned(), |parent| parent.to_string());
    checksum(format_args!(
        "v{} {parent} {} {ops}",
        version.id, version.time_ms
    ))
}

/// The head's checksum.
fn head_checksum(head: u64) -> String {
    checksum(format_args!("head {head}"))
}

fn checksum(text: fmt::Arguments<'_>) -> String {
    hex::encode(&Sha256::digest(text.to_string().as_bytes())[..16])
}

fn commit(conn: &mut Connection, version: &VersionRecord) -> rusqlite::Result<()> {
    let tx = conn.transaction()?;
    insert(&tx, version)?;
    set_head(&tx, version.id)?;
    tx.commit()
}

fn replace(conn: &mut Connection, history: &HistoryExport) -> rusqlite::Result<()> {
    let tx = conn.transaction()?;
    tx.execute("DELETE FROM versions", [])?;
    for version in &history.versions {
        insert(&tx, version)?;
    }
    set_head(&tx, history.head)?;
    tx.commit()
}

fn insert(conn: &Connection, version: &VersionRecord) -> rusqlite::Result<()> {
    // Operations are JSON values, whose map keys are strings: serializing cannot fail.
    let ops = serde_json::to_string(&version.ops).unwrap_or_default();
    conn.execute(
        "INSERT INTO versions (id, parent, time_ms, ops, checksum) VALUES (?1, ?2, ?3, ?4, ?5)",
        params![
            version.id,
            version.parent,
            version.time_ms,
            ops,
            version_checksum(version, &ops)
        ],
    )?;
    Ok(())
}

fn set_head(conn: &Connection, head: u64) -> rusqlite::Result<()> {
    conn.execute(
        "UPDATE head SET version = ?1, checksum = ?2",
        params![head, head_checksum(head)],
    )?;
    Ok(())
}

/// `PATH-lock`, the file writers lock, beside the store (SQLite's own files are `PATH-wal` and
/// `PATH-shm`). It is never deleted: removing a lock file others may hold open would let two
/// writers in.
fn lock_path(path: &Path) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push("-lock");
    PathBuf::from(name)
}

/// Takes the writers' lock on the store at `path`, waiting up to `wait` for another writer.
fn lock_writers(path: &Path, name: &str, wait: Duration) -> Result<File> {
    let lock_path = lock_path(path);
    let file = OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .open(&lock_path)
        .with_context(|| format!("cannot open the lock file {}", lock_path.display()))?;
    let started = Instant::now();
    let mut pause = Duration::from_millis(1);
    loop {
        match file.try_lock() {
            Ok(()) => return Ok(file),
            Err(TryLockError::WouldBlock) => {
                let waited = started.elapsed();
                if waited >= wait {
                    bail!(
                        "{name} is in use by another registry-host: gave up after waiting {} \
                         for it to finish (see --wait)",
                        humantime::format_duration(wait)
                    );
                }
                std::thread::sleep(pause.min(wait - waited));
                pause = (pause * 2).min(Duration::from_millis(50));
            }
            Err(TryLockError::Error(error)) => {
                return Err(error).with_context(|| format!("cannot lock {}", lock_path.display()));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

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
            let mut store = Store::open(&path, Access::Write, 7, WAIT)?;
            store.commit(&version(1, 0))?;
            store.commit(&version(2, 1))?;
            store.set_head(1)?;
        }
        let history = Store::open(&path, Access::Read, 99, WAIT)?.history()?;
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
            Store::open(&path, Access::Read, 3, WAIT)?.history()?.head,
            0
        );
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
        Connection::open(&newer)?.pragma_update(None, "user_version", 3)?;
        let error = Store::open(&newer, Access::Read, 0, WAIT)
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
        let error = Store::open(&foreign, Access::Write, 0, WAIT)
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
        let mut writer = Store::open(&path, Access::Write, 0, WAIT)?;
        writer.commit(&version(1, 0))?;
        let started = Instant::now();
        let error = Store::open(&path, Access::Write, 0, Duration::from_millis(100))
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
        let reader = Store::open(&path, Access::Read, 0, Duration::ZERO)?;
        assert_eq!(
            reader.history()?.head,
            1,
            "a reader sees what was committed"
        );
        writer.commit(&version(2, 1))?;
        assert_eq!(reader.history()?.head, 2);
        drop(writer);
        Store::open(&path, Access::Write, 0, Duration::ZERO)?;
        Ok(())
    }

    #[test]
    fn reading_an_empty_file_writes_nothing() -> Result<()> {
        let dir = tempfile::tempdir()?;
        let path = dir.path().join("empty.db");
        std::fs::write(&path, "")?;
        assert_eq!(
            Store::open(&path, Access::Read, 3, WAIT)?.history()?.head,
            0
        );
        assert_eq!(std::fs::metadata(&path)?.len(), 0);
        assert_eq!(
            Store::open(&path, Access::Write, 3, WAIT)?.history()?.head,
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
            Store::open(&path, Access::Write, 0, WAIT)?.commit(&version(1, 0))?;
            let conn = Connection::open(&path)?;
            conn.pragma_update(None, "ignore_check_constraints", true)?;
            conn.execute_batch(sql)?;
            drop(conn);
            let error = Store::open(&path, Access::Read, 0, WAIT)
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
            format!(
                "{name} is damaged (SQLite's quick_check: CHECK constraint failed in versions)"
            )
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
            let mut store = Store::open(&path, Access::Write, 0, WAIT)?;
            store.commit(&version(1, 0))?;
            drop(store);
            Connection::open(&path)?.execute_batch(sql)?;
            let error = Store::open(&path, Access::Read, 0, WAIT)
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
        assert!(
            edit("UPDATE versions SET time_ms = 6 WHERE id = 1")?.contains("v1 does not match")
        );
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
        let history = Store::open(&path, Access::Read, 0, WAIT)?.history()?;
        assert_eq!(
            (history.head, history.versions[1].clone()),
            (1, version(1, 0))
        );
        drop(Store::open(&path, Access::Write, 0, WAIT)?.history()?);
        assert!(std::fs::read(&path)? == before, "opening writes nothing");
        let mut store = Store::open(&path, Access::Write, 0, WAIT)?;
        store.commit(&version(2, 1))?;
        drop(store);
        let store = Store::open(&path, Access::Read, 0, WAIT)?;
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
}
