//! The store's schema: what a store file must hold before anything is loaded, how a new one is
//! created, and how an older one is upgraded at its first write.

use anyhow::{Result, anyhow, bail, ensure};
use rusqlite::params;

use super::integrity::{head_checksum, head_of, read_rows, version_checksum, version_from_row};
use super::{SqliteStore, insert};
use registry_core::VersionRecord;

/// The schema this build writes, SQLite's `user_version`. It reads this one and older ones, and
/// upgrades an older one at its first write ([`SqliteStore::prepare_writes`]).
pub(super) const SCHEMA_VERSION: i64 = 2;

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
    pub(super) fn strings(&self, sql: &str) -> rusqlite::Result<Vec<String>> {
        let mut statement = self.conn.prepare(sql)?;
        let rows = statement.query_map([], |row| row.get(0))?;
        rows.collect()
    }

    /// Before a writer's first write: full syncs, WAL (see the module's docs), and the schema
    /// upgraded to this build's. Done only then, so that a store the module refuses, or one only
    /// read, is never changed.
    pub(super) fn prepare_writes(&mut self) -> Result<()> {
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
