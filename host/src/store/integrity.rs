//! Reading rows without trusting them: every value of the wrong type named, every row matched
//! against its checksum, the versions' structure checked.

use std::fmt;

use anyhow::{Context, Result, anyhow, bail, ensure};
use rusqlite::Connection;
use rusqlite::types::Value as SqlValue;
use sha2::{Digest, Sha256};

use registry_core::VersionRecord;
use registry_core::protocol::VersionSummary;

/// Every row of `sql`, each column as SQLite holds it, so that a value of the wrong type can be
/// named rather than failing a conversion.
pub(super) fn read_rows(conn: &Connection, sql: &str) -> rusqlite::Result<Vec<Vec<SqlValue>>> {
    let mut statement = conn.prepare(sql)?;
    let columns = statement.column_count();
    let rows = statement.query_map([], |row| (0..columns).map(|i| row.get(i)).collect())?;
    rows.collect()
}

/// A `versions` row (id, parent, time, operations), checked against `checksum` when there is
/// one (schema 2).
pub(super) fn version_from_row(
    row: Vec<SqlValue>,
    checksum: Option<&SqlValue>,
) -> Result<VersionRecord> {
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
pub(super) fn head_of(conn: &Connection, schema: i64) -> Result<u64> {
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
pub(super) fn check_structure<V: Listed>(versions: &[V], head: u64) -> Result<()> {
    for (expected, version) in (0_u64..).zip(versions) {
        let (id, parent) = version.id_and_parent();
        ensure!(id >= expected, "v{id} appears twice");
        ensure!(
            id == expected,
            "v{expected} is missing (the next version is v{id})"
        );
        match parent {
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

/// A version as a whole record or as listed: its id and parent.
pub(super) trait Listed {
    fn id_and_parent(&self) -> (u64, Option<u64>);
}

impl Listed for VersionRecord {
    fn id_and_parent(&self) -> (u64, Option<u64>) {
        (self.id, self.parent)
    }
}

impl Listed for VersionSummary {
    fn id_and_parent(&self) -> (u64, Option<u64>) {
        (self.id, self.parent)
    }
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
pub(super) fn version_checksum(version: &VersionRecord, ops: &str) -> String {
    let parent = version
        .parent
        .map_or_else(|| "root".to_owned(), |parent| parent.to_string());
    checksum(format_args!(
        "v{} {parent} {} {ops}",
        version.id, version.time_ms
    ))
}

/// The head's checksum.
pub(super) fn head_checksum(head: u64) -> String {
    checksum(format_args!("head {head}"))
}

/// The first 16 bytes of the SHA-256 of `text`, in hex.
pub(super) fn checksum(text: fmt::Arguments<'_>) -> String {
    hex::encode(&Sha256::digest(text.to_string().as_bytes())[..16])
}

/// A schema-3 `versions` row without its operations (id, parent, time, op count, operations'
/// checksum, checksum), checked: what a listing reads.
pub(super) fn summary_from_row(row: Vec<SqlValue>) -> Result<(VersionSummary, String)> {
    let [id, parent, time_ms, op_count, ops_checksum, checksum]: [SqlValue; 6] = row
        .try_into()
        .map_err(|_| anyhow!("the versions table has unexpected columns"))?;
    let id = number(&id).context("a version's id")?;
    let at = |what: &str| format!("v{id}: {what}");
    let parent = match parent {
        SqlValue::Null => None,
        parent => Some(number(&parent).with_context(|| at("its parent"))?),
    };
    let SqlValue::Integer(time_ms) = time_ms else {
        bail!(
            "{}: {} is not a time in milliseconds",
            at("its time"),
            describe(&time_ms)
        );
    };
    let ops = match op_count {
        SqlValue::Integer(n) if n >= 0 => usize::try_from(n)?,
        other => bail!(
            "{}: {} is not a count",
            at("its operations"),
            describe(&other)
        ),
    };
    let SqlValue::Text(ops_checksum) = ops_checksum else {
        bail!(
            "{}: {} is not a checksum",
            at("its operations' checksum"),
            describe(&ops_checksum)
        );
    };
    let summary = VersionSummary {
        id,
        parent,
        time_ms,
        ops,
    };
    ensure!(
        checksum == SqlValue::Text(summary_checksum(&summary, &ops_checksum)),
        "v{id} does not match its checksum: the file is damaged or was changed outside \
         registry-host"
    );
    Ok((summary, ops_checksum))
}

/// A schema-3 version's operations (JSON text), checked against the operations' checksum of its
/// checked listing row.
pub(super) fn ops_from_row(id: u64, ops: SqlValue, ops_checksum: &str) -> Result<String> {
    let SqlValue::Text(ops) = ops else {
        bail!("v{id}: its operations: {} is not JSON text", describe(&ops));
    };
    ensure!(
        ops_checksum_of(&ops) == ops_checksum,
        "v{id}'s operations do not match their checksum: the file is damaged or was changed \
         outside registry-host"
    );
    Ok(ops)
}

/// The checksum of a schema-3 version's fields, its operations by their own checksum: a listing
/// is checked without reading any operation.
pub(crate) fn summary_checksum(summary: &VersionSummary, ops_checksum: &str) -> String {
    let parent = summary
        .parent
        .map_or_else(|| "root".to_owned(), |parent| parent.to_string());
    checksum(format_args!(
        "v{} {parent} {} {} {ops_checksum}",
        summary.id, summary.time_ms, summary.ops
    ))
}

/// The checksum of a version's operations as stored (JSON text).
pub(crate) fn ops_checksum_of(ops: &str) -> String {
    hex::encode(&Sha256::digest(ops.as_bytes())[..16])
}

/// The checksum of a checkpoint of `version` (registry-core's format), guarding its bytes and
/// which version they hold. Any store can keep a checkpoint as an opaque blob beside it.
pub(crate) fn checkpoint_checksum(version: u64, bytes: &[u8]) -> String {
    let mut digest = Sha256::new();
    digest.update(format!("checkpoint v{version}\0").as_bytes());
    digest.update(bytes);
    hex::encode(&digest.finalize()[..16])
}
