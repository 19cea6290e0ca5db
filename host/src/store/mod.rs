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

mod integrity;
mod locking;
mod schema;
#[cfg(test)]
mod tests;

use std::fs::File;
use std::path::Path;
use std::time::Duration;

use anyhow::{Context, Result, anyhow, ensure};
use rusqlite::types::Type;
use rusqlite::{Connection, ErrorCode, OpenFlags, params};

use integrity::{
    check_structure, head_checksum, head_of, read_rows, version_checksum, version_from_row,
};
use locking::lock_writers;
use registry_core::{HistoryExport, VersionRecord};

/// What a command does with the store.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// Only reads: a missing or empty store is an empty registry, and nothing is written.
    Read,
    /// Writes: the file is created if missing, and the writers' lock is held until the store is
    /// dropped.
    Write,
}

/// What the host needs of a store backend: the history to load, and each change a run makes,
/// written as it happens. A backend is opened for [`Access::Read`] (a consistent view, no lock)
/// or [`Access::Write`] (the writers' lock held until it is dropped).
pub trait RegistryStore {
    /// The store's location, for messages.
    fn name(&self) -> &str;

    /// Every stored version and the head, read at one point in time, and checked.
    fn history(&self) -> Result<HistoryExport>;

    /// The stored head.
    fn head(&self) -> Result<u64>;

    /// Saves a version a script committed; it becomes head.
    fn commit(&mut self, version: &VersionRecord) -> Result<()>;

    /// Saves a move of head to an existing version.
    fn set_head(&mut self, head: u64) -> Result<()>;

    /// Replaces everything with `history`, at once.
    fn replace(&mut self, history: &HistoryExport) -> Result<()>;
}

/// One open SQLite store.
#[derive(Debug)]
pub struct SqliteStore {
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

impl SqliteStore {
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
        store
            .conn
            .busy_timeout(wait)
            .map_err(|e| store.problem(e, "open"))?;
        if access == Access::Read && !store.readable_in_place() {
            store.conn = open_as_is(path, &store.name)?;
        }
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

    /// Whether SQLite can read the file where it is: a store in WAL mode needs its folder to be
    /// writable, for its shared-memory index (`PATH-shm`), unless that index exists already.
    fn readable_in_place(&self) -> bool {
        let read = self
            .conn
            .query_row("PRAGMA schema_version", [], |row| row.get::<_, i64>(0));
        !matches!(
            read.map_err(|e| e.sqlite_error_code()),
            Err(Some(ErrorCode::CannotOpen | ErrorCode::ReadOnly))
        )
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

    fn head_in(&self, conn: &Connection) -> Result<u64> {
        head_of(conn, self.schema).map_err(|e| match e.downcast::<rusqlite::Error>() {
            Ok(error) => self.problem(error, "read the head in"),
            Err(other) => other.context(self.name.clone()),
        })
    }
}

impl RegistryStore for SqliteStore {
    /// The file's path (or `memory`), for messages.
    fn name(&self) -> &str {
        &self.name
    }

    /// Every stored version and the head, read in one transaction (a run committing meanwhile
    /// cannot make them disagree), and checked.
    fn history(&self) -> Result<HistoryExport> {
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
    fn head(&self) -> Result<u64> {
        self.head_in(&self.conn)
    }

    /// Saves a version a script committed; it becomes head.
    fn commit(&mut self, version: &VersionRecord) -> Result<()> {
        self.prepare_writes()?;
        commit(&mut self.conn, version)
            .map_err(|e| self.problem(e, &format!("save v{} in", version.id)))
    }

    /// Saves a move of head to an existing version.
    fn set_head(&mut self, head: u64) -> Result<()> {
        self.prepare_writes()?;
        set_head(&self.conn, head).map_err(|e| self.problem(e, "save the head in"))
    }

    /// Replaces everything with `history`, in one transaction.
    fn replace(&mut self, history: &HistoryExport) -> Result<()> {
        self.prepare_writes()?;
        replace(&mut self.conn, history).map_err(|e| self.problem(e, "replace the history in"))
    }
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

/// A store in a folder this user cannot write, opened read-only as the file it is (SQLite's
/// `immutable`). Without a write-ahead log beside it (`PATH-wal`, which a writer in that folder
/// would have created) the file alone holds every commit.
fn open_as_is(path: &Path, name: &str) -> Result<Connection> {
    let mut wal = path.as_os_str().to_owned();
    wal.push("-wal");
    ensure!(
        !Path::new(&wal).exists(),
        "cannot read {name}: its folder is not writable, and {} holds commits that only a \
         process that can write there can apply",
        Path::new(&wal).display()
    );
    let mut uri = String::from("file:");
    for byte in path.as_os_str().as_encoded_bytes() {
        match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'/' | b'-' | b'.' | b'_' | b'~' => {
                uri.push(char::from(*byte));
            }
            other => uri.push_str(&format!("%{other:02X}")),
        }
    }
    uri.push_str("?immutable=1");
    let flags = OpenFlags::SQLITE_OPEN_READ_ONLY
        | OpenFlags::SQLITE_OPEN_URI
        | OpenFlags::SQLITE_OPEN_NO_MUTEX;
    Connection::open_with_flags(&uri, flags)
        .with_context(|| format!("cannot open the store {name}"))
}
