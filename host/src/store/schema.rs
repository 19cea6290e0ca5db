//! The store's schema: what a store file must hold before anything is loaded, how a new one is
//! created, and how an older one is upgraded at its first write.

use anyhow::{Result, anyhow, bail, ensure};
use rusqlite::params;

use super::integrity::{
    head_checksum, head_of, ops_checksum_of, read_rows, summary_checksum, version_checksum,
    version_from_row,
};
use super::{SqliteStore, insert};
use registry_core::VersionRecord;
use registry_core::protocol::VersionSummary;

/// The schema this build writes, SQLite's `user_version`. It reads this one and older ones, and
/// upgrades an older one at its first write ([`SqliteStore::prepare_writes`]).
pub(super) const SCHEMA_VERSION: i64 = 4;

/// Schema 1: the versions and the head.
pub(super) const SCHEMA_1: &str = "
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
pub(super) const SCHEMA_2_FROM_1: &str = "
    ALTER TABLE versions ADD COLUMN checksum TEXT;
    ALTER TABLE head ADD COLUMN checksum TEXT;
";

/// Schema 3 lists versions without reading their operations: each row keeps its operation count
/// and its operations' checksum, and its checksum covers those instead of the operations. The
/// checkpoint holds the state of one version in registry-core's binary form, so that opening
/// replays only the versions since (see the README's "Store layout").
pub(super) const SCHEMA_3_FROM_2: &str = "
    ALTER TABLE versions ADD COLUMN op_count INTEGER;
    ALTER TABLE versions ADD COLUMN ops_checksum TEXT;
    CREATE TABLE checkpoint (
        singleton INTEGER PRIMARY KEY CHECK (singleton = 1),
        version   INTEGER NOT NULL,
        bytes     BLOB NOT NULL,
        checksum  TEXT NOT NULL
    );
";

/// Schema 4 keeps several checkpoints, one row per version (the checksums stay schema 3's), so
/// that any version's state is built from the nearest checkpoint on its way from v0.
pub(super) const SCHEMA_4_FROM_3: &str = "
    CREATE TABLE checkpoints (
        version  INTEGER PRIMARY KEY CHECK (version >= 0),
        bytes    BLOB NOT NULL,
        checksum TEXT NOT NULL
    );
    INSERT INTO checkpoints (version, bytes, checksum)
        SELECT version, bytes, checksum FROM checkpoint;
    DROP TABLE checkpoint;
";

/// The tables of a store of `schema`.
fn tables_of(schema: i64) -> &'static [&'static str] {
    match schema {
        ..3 => &["head", "versions"],
        3 => &["checkpoint", "head", "versions"],
        _ => &["checkpoints", "head", "versions"],
    }
}

/// How many problems `quick_check` lists before it stops.
const QUICK_CHECK_PROBLEMS: u32 = 3;

impl SqliteStore {
    /// Checks the file without writing to it, and returns its schema: 0 for an empty file (a new
    /// or zero-byte one), else a registry store's schema this build reads. One read transaction
    /// holds the checks together: a writer creating or upgrading the store meanwhile is seen
    /// before or after, never half-way.
    pub(super) fn inspect(&self) -> Result<i64> {
        let snapshot = self
            .conn
            .unchecked_transaction()
            .map_err(|e| self.problem(e, "read"))?;
        let schema = self.inspect_snapshot()?;
        snapshot.commit().map_err(|e| self.problem(e, "read"))?;
        Ok(schema)
    }

    fn inspect_snapshot(&self) -> Result<i64> {
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
        // Everything but the store's tables (and SQLite's own, such as statistics), a trigger
        // say, was added by hand.
        let others: Vec<String> = self
            .strings(
                "SELECT type || ' ' || name FROM sqlite_schema \
                 WHERE name NOT LIKE 'sqlite\\_%' ESCAPE '\\' ORDER BY name",
            )
            .map_err(|e| self.problem(e, "read"))?
            .into_iter()
            .filter(|object| {
                !tables_of(schema)
                    .iter()
                    .any(|table| *object == format!("table {table}"))
            })
            .collect();
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
    pub(super) fn strings(&self, sql: &str) -> rusqlite::Result<Vec<String>> {
        let mut statement = self.conn.prepare(sql)?;
        let rows = statement.query_map([], |row| row.get(0))?;
        rows.collect()
    }

    /// Before a writer's first write: full syncs, WAL (see the module's docs), and the schema
    /// upgraded to this build's. Done only then, so that a store the module refuses, or one only
    /// read, is never changed.
    pub(super) fn prepare_writes(&mut self) -> Result<()> {
        if !self.unprepared {
            return Ok(());
        }
        // A command may write before it read much (a head move): every row and the checkpoint
        // are checked before its first write, so that nothing is written to a damaged store.
        if self.schema > 0 {
            self.verify()?;
        }
        self.unprepared = false;
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
        if self.schema == 2 {
            self.upgrade_from_2()
                .map_err(|e| anyhow!("cannot upgrade {} to schema 3: {e:#}", self.name))?;
        }
        if self.schema == 3 {
            self.upgrade_from_3()
                .map_err(|e| anyhow!("cannot upgrade {} to schema 4: {e:#}", self.name))?;
        }
        Ok(())
    }

    /// Schema 3 to 4: its one checkpoint, checked already, moves to the table of several.
    pub(super) fn upgrade_from_3(&mut self) -> Result<()> {
        let tx = self.conn.transaction()?;
        tx.execute_batch(SCHEMA_4_FROM_3)?;
        tx.pragma_update(None, "user_version", 4)?;
        tx.commit()?;
        self.schema = 4;
        Ok(())
    }

    /// Schema 2 to 3: operation counts and checksums for listings, every row checked first. The
    /// checkpoint stays empty until the command's end writes one.
    pub(super) fn upgrade_from_2(&mut self) -> Result<()> {
        let tx = self.conn.transaction()?;
        let rows = read_rows(
            &tx,
            "SELECT id, parent, time_ms, ops, checksum FROM versions",
        )?;
        tx.execute_batch(SCHEMA_3_FROM_2)?;
        for mut row in rows {
            let checksum = row.pop();
            let ops_text = match &row[3] {
                rusqlite::types::Value::Text(text) => text.clone(),
                _ => String::new(),
            };
            let record = version_from_row(row, checksum.as_ref())?;
            let summary = summary_of(&record);
            let ops_checksum = ops_checksum_of(&ops_text);
            tx.execute(
                "UPDATE versions SET op_count = ?2, ops_checksum = ?3, checksum = ?4 WHERE id = ?1",
                params![
                    record.id,
                    summary.ops,
                    ops_checksum,
                    summary_checksum(&summary, &ops_checksum)
                ],
            )?;
        }
        tx.pragma_update(None, "user_version", 3)?;
        tx.commit()?;
        self.schema = 3;
        Ok(())
    }

    /// Schema 1 to 2: checksums for every version and the head.
    pub(super) fn upgrade_from_1(&mut self) -> Result<()> {
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
    pub(super) fn create(&mut self, now_ms: i64) -> Result<()> {
        let tx = self.conn.transaction()?;
        tx.execute_batch(SCHEMA_1)?;
        tx.execute_batch(SCHEMA_2_FROM_1)?;
        tx.execute_batch(SCHEMA_3_FROM_2)?;
        tx.execute_batch(SCHEMA_4_FROM_3)?;
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
}

/// A version's listing row.
pub(super) fn summary_of(record: &VersionRecord) -> VersionSummary {
    VersionSummary {
        id: record.id,
        parent: record.parent,
        time_ms: record.time_ms,
        ops: record.ops.len(),
    }
}
