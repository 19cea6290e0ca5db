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

mod etcd;
mod integrity;
mod location;
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

pub use etcd::Unreachable;
use integrity::{
    check_structure, checkpoint_checksum, head_checksum, head_of, ops_checksum_of, ops_from_row,
    read_rows, summary_checksum, summary_from_row, version_from_row,
};
pub use location::{StoreLocation, StoreOptions, open};
use locking::lock_writers;
use registry_core::protocol::VersionList;
use registry_core::{HistoryExport, VersionId, VersionRecord};
use schema::summary_of;

/// What a command does with the store.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// Only reads: a missing or empty store is an empty registry, and nothing is written.
    Read,
    /// Writes: the file is created if missing, and the writers' lock is held until the store is
    /// dropped.
    Write,
}

/// What the host needs of a store backend: the version list and what a registry opened on it
/// loads (operations, checkpoints), each change a run makes, written as it happens, and the
/// checkpoints it keeps. A backend is opened for [`Access::Read`] (a consistent view, no lock)
/// or [`Access::Write`] (the writers' lock held until it is dropped). Every read is checked; a
/// checkpoint's encoding is registry-core's and its checksum `integrity::checkpoint_checksum`.
pub trait RegistryStore {
    /// The store's location, for messages.
    fn name(&self) -> &str;
    /// Every version's id, parent, time and operation count, and the head, checked.
    fn listing(&self) -> Result<VersionList>;
    /// The operations of `versions` as one JSON array of their arrays, in that order, checked.
    fn ops_json(&self, versions: &[VersionId]) -> Result<String>;
    /// The versions whose states the checkpoints hold, ascending.
    fn checkpoint_versions(&self) -> Result<Vec<VersionId>>;
    /// The bytes of the checkpoint of `version`, checked.
    fn checkpoint(&self, version: VersionId) -> Result<Vec<u8>>;
    /// Adds the checkpoint of `version` (the others stay).
    fn save_checkpoint(&mut self, version: VersionId, bytes: &[u8]) -> Result<()>;
    /// Checks every stored byte a listing does not read.
    fn verify(&self) -> Result<()>;
    /// Makes every later read of a reader see one snapshot.
    fn hold_snapshot(&self) -> Result<()>;
    /// The store's size in bytes.
    fn size(&self) -> Result<u64>;
    /// The stored head.
    fn head(&self) -> Result<u64>;
    /// Saves a version a script committed; it becomes head.
    fn commit(&mut self, version: &VersionRecord) -> Result<()>;
    /// Saves a move of head to an existing version.
    fn set_head(&mut self, head: u64) -> Result<()>;
    /// Replaces everything with `history` and `checkpoints` (a version and its checkpoint's
    /// bytes each), at once.
    fn replace(
        &mut self,
        history: &HistoryExport,
        checkpoints: &[(VersionId, Vec<u8>)],
    ) -> Result<()>;
    /// A mark of the store's state now, for [`wait_for_change`](Self::wait_for_change): taken
    /// before a read of the history, no change after that read is missed.
    fn change_marker(&self) -> Result<i64>;
    /// Blocks until the store changed after `marker` (or a little later, for no change).
    fn wait_for_change(&mut self, marker: i64) -> Result<()>;
}

/// [`RegistryStore::listing`] of a history read whole (an SQLite store before schema 3).
fn listing_of(history: &HistoryExport) -> VersionList {
    VersionList {
        head: history.head,
        versions: history.versions.iter().map(summary_of).collect(),
    }
}

/// [`RegistryStore::ops_json`] of a history read whole; `name` is the store's, for messages.
fn ops_json_of(history: &HistoryExport, versions: &[VersionId], name: &str) -> Result<String> {
    let lists = versions
        .iter()
        .map(|&id| {
            usize::try_from(id)
                .ok()
                .and_then(|i| history.versions.get(i))
                .map(|record| &record.ops)
                .ok_or_else(|| anyhow!("{name}: v{id} is not stored"))
        })
        .collect::<Result<Vec<_>>>()?;
    Ok(serde_json::to_string(&lists)?)
}

impl RegistryStore for SqliteStore {
    fn name(&self) -> &str {
        SqliteStore::name(self)
    }
    fn listing(&self) -> Result<VersionList> {
        SqliteStore::listing(self)
    }
    fn ops_json(&self, versions: &[VersionId]) -> Result<String> {
        SqliteStore::ops_json(self, versions)
    }
    fn checkpoint_versions(&self) -> Result<Vec<VersionId>> {
        SqliteStore::checkpoint_versions(self)
    }
    fn checkpoint(&self, version: VersionId) -> Result<Vec<u8>> {
        SqliteStore::checkpoint(self, version)
    }
    fn save_checkpoint(&mut self, version: VersionId, bytes: &[u8]) -> Result<()> {
        SqliteStore::save_checkpoint(self, version, bytes)
    }
    fn verify(&self) -> Result<()> {
        SqliteStore::verify(self)
    }
    fn hold_snapshot(&self) -> Result<()> {
        SqliteStore::hold_snapshot(self)
    }
    fn size(&self) -> Result<u64> {
        SqliteStore::size(self)
    }
    fn head(&self) -> Result<u64> {
        SqliteStore::head(self)
    }
    fn commit(&mut self, version: &VersionRecord) -> Result<()> {
        SqliteStore::commit(self, version)
    }
    fn set_head(&mut self, head: u64) -> Result<()> {
        SqliteStore::set_head(self, head)
    }
    fn replace(
        &mut self,
        history: &HistoryExport,
        checkpoints: &[(VersionId, Vec<u8>)],
    ) -> Result<()> {
        SqliteStore::replace(self, history, checkpoints)
    }
    fn change_marker(&self) -> Result<i64> {
        SqliteStore::change_marker(self)
    }
    fn wait_for_change(&mut self, marker: i64) -> Result<()> {
        SqliteStore::wait_for_change(self, marker)
    }
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

    /// The file's path (or `memory`), for messages.
    pub fn name(&self) -> &str {
        &self.name
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
    #[cfg(test)]
    pub fn history(&self) -> Result<HistoryExport> {
        if self.schema < 3 {
            return self.history_before_3();
        }
        self.reading(|| {
            let listing = self.listing()?;
            let ids: Vec<VersionId> = listing.versions.iter().map(|v| v.id).collect();
            let lists: Vec<Vec<registry_core::Op>> = serde_json::from_str(&self.ops_json(&ids)?)
                .with_context(|| format!("{}: operations that are not JSON", self.name))?;
            let versions = listing
                .versions
                .iter()
                .zip(lists)
                .map(|(summary, ops)| VersionRecord {
                    id: summary.id,
                    parent: summary.parent,
                    time_ms: summary.time_ms,
                    ops,
                })
                .collect();
            Ok(HistoryExport::new(listing.head, versions))
        })
    }

    /// Runs `read` in one read transaction, unless one is open already (a reader's, held for
    /// its whole command so that everything it reads is one snapshot).
    fn reading<T>(&self, read: impl FnOnce() -> Result<T>) -> Result<T> {
        if !self.conn.is_autocommit() {
            return read();
        }
        let tx = self
            .conn
            .unchecked_transaction()
            .map_err(|e| self.problem(e, "read"))?;
        let value = read()?;
        tx.commit().map_err(|e| self.problem(e, "read"))?;
        Ok(value)
    }

    /// Holds one read transaction until the store is dropped: a reader's later reads (the
    /// operations and checkpoints its module asks for) see the same snapshot as its listing, even
    /// while a writer commits or imports.
    pub fn hold_snapshot(&self) -> Result<()> {
        self.conn
            .execute_batch("BEGIN")
            .map_err(|e| self.problem(e, "read"))?;
        // A deferred transaction takes its snapshot at its first read.
        self.head_in(&self.conn)?;
        Ok(())
    }

    /// Every version's id, parent, time and operation count, and the head, checked (rows against
    /// their checksums, the structure), without reading any operation (schema 3; older schemas
    /// are read whole).
    pub fn listing(&self) -> Result<VersionList> {
        if self.schema < 3 {
            return Ok(listing_of(&self.history_before_3()?));
        }
        let name = &self.name;
        self.reading(|| {
            let rows = read_rows(
                &self.conn,
                "SELECT id, parent, time_ms, op_count, ops_checksum, checksum FROM versions \
                 ORDER BY id",
            )
            .map_err(|e| self.problem(e, "read the versions in"))?;
            let versions = rows
                .into_iter()
                .map(|row| Ok(summary_from_row(row)?.0))
                .collect::<Result<Vec<_>>>()
                .with_context(|| name.clone())?;
            let head = self.head_in(&self.conn)?;
            check_structure(&versions, head).with_context(|| name.clone())?;
            Ok(VersionList { head, versions })
        })
    }

    /// The operations of `versions` as one JSON array of their stored arrays, in that order,
    /// each row checked against its checksums.
    pub fn ops_json(&self, versions: &[VersionId]) -> Result<String> {
        let name = &self.name;
        if self.schema < 3 {
            return ops_json_of(&self.history_before_3()?, versions, name);
        }
        let mut json = String::from("[");
        for (n, id) in versions.iter().enumerate() {
            if n > 0 {
                json.push(',');
            }
            json.push_str(&self.ops_of(*id)?);
        }
        json.push(']');
        Ok(json)
    }

    fn ops_of(&self, id: VersionId) -> Result<String> {
        let mut statement = self
            .conn
            .prepare_cached(
                "SELECT id, parent, time_ms, op_count, ops_checksum, checksum, ops \
                 FROM versions WHERE id = ?1",
            )
            .map_err(|e| self.problem(e, "read the versions in"))?;
        let mut row: Vec<rusqlite::types::Value> = statement
            .query_row([id], |row| (0..7).map(|i| row.get(i)).collect())
            .map_err(|e| match e {
                rusqlite::Error::QueryReturnedNoRows => anyhow!("v{id} is not stored"),
                other => self.problem(other, "read the versions in"),
            })?;
        let ops = row.pop().unwrap_or(rusqlite::types::Value::Null);
        let name = &self.name;
        let (_, ops_checksum) = summary_from_row(row).with_context(|| name.clone())?;
        ops_from_row(id, ops, &ops_checksum).with_context(|| name.clone())
    }

    /// Checks every stored byte a listing does not: each version's operations against its
    /// checksum, and the checkpoints. A writer does it before its first write, so that nothing is
    /// written to a damaged store; readers check what they read, when they read it.
    pub fn verify(&self) -> Result<()> {
        if self.schema < 3 {
            return self.history_before_3().map(drop);
        }
        let name = &self.name;
        self.reading(|| {
            self.listing()?;
            let mut statement = self
                .conn
                .prepare("SELECT id, parent, time_ms, op_count, ops_checksum, checksum, ops FROM versions")
                .map_err(|e| self.problem(e, "read the versions in"))?;
            let mut rows = statement.query([]).map_err(|e| self.problem(e, "read the versions in"))?;
            while let Some(row) = rows.next().map_err(|e| self.problem(e, "read the versions in"))? {
                let mut values = (0..7)
                    .map(|i| row.get::<_, rusqlite::types::Value>(i))
                    .collect::<rusqlite::Result<Vec<_>>>()
                    .map_err(|e| self.problem(e, "read the versions in"))?;
                let ops = values.pop().unwrap_or(rusqlite::types::Value::Null);
                let (summary, ops_checksum) =
                    summary_from_row(values).with_context(|| name.clone())?;
                ops_from_row(summary.id, ops, &ops_checksum).with_context(|| name.clone())?;
            }
            for version in self.checkpoint_versions()? {
                self.checkpoint(version)?;
            }
            Ok(())
        })
    }

    /// The table of the checkpoints: `checkpoints` from schema 4, schema 3's single
    /// `checkpoint`, none before.
    fn checkpoint_table(&self) -> Option<&'static str> {
        match self.schema {
            ..3 => None,
            3 => Some("checkpoint"),
            _ => Some("checkpoints"),
        }
    }

    /// The versions whose states the checkpoints hold, ascending (their bytes are checked when
    /// read, by [`SqliteStore::checkpoint`]).
    pub fn checkpoint_versions(&self) -> Result<Vec<VersionId>> {
        let Some(table) = self.checkpoint_table() else {
            return Ok(Vec::new());
        };
        let rows = read_rows(
            &self.conn,
            &format!("SELECT version FROM {table} ORDER BY version"),
        )
        .map_err(|e| self.problem(e, "read the checkpoints in"))?;
        rows.into_iter()
            .map(|row| match row.first() {
                Some(rusqlite::types::Value::Integer(v)) if *v >= 0 => Ok(v.unsigned_abs()),
                _ => Err(anyhow!(
                    "{}: a checkpoint's version is not a version number",
                    self.name
                )),
            })
            .collect()
    }

    /// The bytes of the checkpoint of `version`, checked against its checksum (which covers
    /// the version its row names).
    pub fn checkpoint(&self, version: VersionId) -> Result<Vec<u8>> {
        let name = &self.name;
        let table = self
            .checkpoint_table()
            .ok_or_else(|| anyhow!("{name} holds no checkpoint"))?;
        let row = self
            .conn
            .query_row(
                &format!("SELECT bytes, checksum FROM {table} WHERE version = ?1"),
                [version],
                |row| {
                    Ok((
                        row.get::<_, rusqlite::types::Value>(0)?,
                        row.get::<_, rusqlite::types::Value>(1)?,
                    ))
                },
            )
            .map_err(|e| match e {
                rusqlite::Error::QueryReturnedNoRows => {
                    anyhow!("{name} holds no checkpoint of v{version}")
                }
                other => self.problem(other, "read the checkpoints in"),
            })?;
        use rusqlite::types::Value as V;
        let (V::Blob(bytes), V::Text(checksum)) = row else {
            anyhow::bail!("{name}: the checkpoint of v{version} holds values of the wrong types");
        };
        ensure!(
            checkpoint_checksum(version, &bytes) == checksum,
            "{name}: the checkpoint of v{version} does not match its checksum: the file is \
             damaged or was changed outside registry-host"
        );
        Ok(bytes)
    }

    /// Adds `bytes`, the checkpoint of `version`; the others stay.
    pub fn save_checkpoint(&mut self, version: VersionId, bytes: &[u8]) -> Result<()> {
        self.prepare_writes()?;
        save_checkpoint(&self.conn, version, bytes)
            .map_err(|e| self.problem(e, "save the checkpoint in"))
    }

    /// The store's size in bytes (SQLite's pages), to size what the module may hold.
    pub fn size(&self) -> Result<u64> {
        let pages = |pragma: &str| {
            self.conn
                .pragma_query_value(None, pragma, |row| row.get::<_, i64>(0))
                .map_err(|e| self.problem(e, "read"))
        };
        Ok(u64::try_from(pages("page_count")? * pages("page_size")?)?)
    }

    /// Schemas 1 and 2: every row read whole (their checksums cover the operations).
    fn history_before_3(&self) -> Result<HistoryExport> {
        let name = &self.name;
        let checksums = self.schema >= 2;
        let sql = if checksums {
            "SELECT id, parent, time_ms, ops, checksum FROM versions ORDER BY id"
        } else {
            "SELECT id, parent, time_ms, ops FROM versions ORDER BY id"
        };
        let (rows, head) = self.reading(|| {
            let rows =
                read_rows(&self.conn, sql).map_err(|e| self.problem(e, "read the versions in"))?;
            Ok((rows, self.head_in(&self.conn)?))
        })?;
        let mut versions = Vec::with_capacity(rows.len());
        for mut row in rows {
            let checksum = checksums.then(|| row.pop()).flatten();
            let record = version_from_row(row, checksum.as_ref()).with_context(|| name.clone())?;
            versions.push(record);
        }
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

    /// Replaces everything with `history` and `checkpoints` (a version and its checkpoint's
    /// bytes each), in one transaction.
    pub fn replace(
        &mut self,
        history: &HistoryExport,
        checkpoints: &[(VersionId, Vec<u8>)],
    ) -> Result<()> {
        self.prepare_writes()?;
        replace(&mut self.conn, history, checkpoints)
            .map_err(|e| self.problem(e, "replace the history in"))
    }

    /// SQLite's `data_version`, which changes when another connection commits.
    pub fn change_marker(&self) -> Result<i64> {
        ensure!(
            self.name != "memory",
            "there is nothing to watch in a registry kept in memory"
        );
        self.conn
            .pragma_query_value(None, "data_version", |row| row.get(0))
            .map_err(|e| self.problem(e, "read"))
    }

    /// Polls `data_version` (SQLite has no notification across processes).
    pub fn wait_for_change(&mut self, marker: i64) -> Result<()> {
        while self.change_marker()? == marker {
            std::thread::sleep(DATA_VERSION_POLL);
        }
        Ok(())
    }
}

/// How often `watch` looks for a commit by another process.
const DATA_VERSION_POLL: Duration = Duration::from_millis(20);

fn commit(conn: &mut Connection, version: &VersionRecord) -> rusqlite::Result<()> {
    let tx = conn.transaction()?;
    insert(&tx, version)?;
    set_head(&tx, version.id)?;
    tx.commit()
}

fn replace(
    conn: &mut Connection,
    history: &HistoryExport,
    checkpoints: &[(VersionId, Vec<u8>)],
) -> rusqlite::Result<()> {
    let tx = conn.transaction()?;
    tx.execute("DELETE FROM versions", [])?;
    tx.execute("DELETE FROM checkpoints", [])?;
    for version in &history.versions {
        insert(&tx, version)?;
    }
    set_head(&tx, history.head)?;
    for (version, bytes) in checkpoints {
        save_checkpoint(&tx, *version, bytes)?;
    }
    tx.commit()
}

fn insert(conn: &Connection, version: &VersionRecord) -> rusqlite::Result<()> {
    // Operations are JSON values, whose map keys are strings: serializing cannot fail.
    let ops = serde_json::to_string(&version.ops).unwrap_or_default();
    let ops_checksum = ops_checksum_of(&ops);
    conn.execute(
        "INSERT INTO versions (id, parent, time_ms, ops, op_count, ops_checksum, checksum) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        params![
            version.id,
            version.parent,
            version.time_ms,
            ops,
            version.ops.len(),
            ops_checksum,
            summary_checksum(&summary_of(version), &ops_checksum)
        ],
    )?;
    Ok(())
}

fn save_checkpoint(conn: &Connection, version: VersionId, bytes: &[u8]) -> rusqlite::Result<()> {
    conn.execute(
        "INSERT OR REPLACE INTO checkpoints (version, bytes, checksum) VALUES (?1, ?2, ?3)",
        params![version, bytes, checkpoint_checksum(version, bytes)],
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
