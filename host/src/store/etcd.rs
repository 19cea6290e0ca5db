//! The etcd store: one history shared by every `registry-host` that points at the same etcd
//! cluster and prefix.
//!
//! # Layout (keys under `/PREFIX/`, format version 2)
//!
//! - `format`: `{"format":"luau-registry-etcd","version":2}`, written first; a prefix that
//!   holds keys without it is not a registry.
//! - `head`: `{"generation":G,"head":H,"latest":L,"checksum":C}`: head is vH, the versions are
//!   v0..=vL, all under generation G.
//! - `g/G/v/ID` (G and ID in 20 digits, so that keys sort by number): a version's listing,
//!   `{"id","parent","time_ms","ops","bytes","ops_checksum","checksum"}` (`ops` the operations'
//!   count, `bytes` the length of their JSON text): versions are listed without reading any
//!   operation.
//! - `g/G/o/ID/NNNNNN` (6 digits): the version's operations as JSON text, in parts of at most
//!   [`PART_BYTES`] (etcd refuses requests over 1.5 MiB by default), in order.
//! - `g/G/checkpoint`: `{"version":V,"bytes":N,"checksum":C}`, the checkpoint of vV (SQLite's:
//!   registry-core's encoding and `checkpoint_checksum`), its N bytes in parts `g/G/c/V/NNNNNN`.
//! - `lock/LEASE`: etcd's lock (its Lock API) of the writer holding it, on the writer's lease.
//!
//! Checksums are SQLite's (see `integrity.rs`): the first 16 bytes of a SHA-256 of the record's
//! fields, against damage. A generation changes only at an import, which writes the new history
//! beside the old one and then switches `head` to it: readers see the one or the other, whole.
//! Format version 1 kept each version's operations inside its record; this build refuses it and
//! names export and import as the way across.
//!
//! # Reading
//!
//! A store is opened at one revision: the key names (a prefix of other keys is refused), the
//! head, the checkpoint's record and every version's listing record. Operations and the
//! checkpoint's bytes are read at that same revision when the registry first asks for them
//! (ranged gets), and checked then. Readers keep that revision for the whole command.
//!
//! # Concurrency
//!
//! A writer takes etcd's lock on a lease of `--lease-ttl` (10 s), kept alive while it runs, so
//! runs take turns across machines; a writer that dies releases the lock when its lease expires.
//! Each version is written in one transaction that also moves head, and only if the writer still
//! owns the lock (its key still carries the lease) and head is still at the revision the writer
//! last saw: a writer whose lease was lost can never write over another. The checkpoint's record
//! is written under the same conditions. Parts too large for that transaction are written
//! first, each under the same conditions, where nothing refers to them yet; a writer clears what
//! a writer that died left there before its own first write.

use std::cell::{Ref, RefCell};
use std::collections::BTreeMap;
use std::fmt;
use std::future::Future;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, anyhow, bail, ensure};
use etcd_client::{
    Client, Compare, CompareOp, ConnectOptions, DeleteOptions, GetOptions, KvClient, LockOptions,
    Txn, TxnOp, WatchOptions,
};
use registry_core::protocol::{VersionList, VersionSummary};
use registry_core::{HistoryExport, VersionId, VersionRecord};
use serde::{Deserialize, Serialize};
use tokio::runtime::Runtime;
use tokio::task::JoinHandle;

use super::integrity::{
    Listed, check_structure, checkpoint_checksum, checksum, ops_checksum_of, summary_checksum,
};
use super::schema::summary_of;
use super::{Access, RegistryStore};

/// The `format` record this build writes and reads.
const FORMAT: &str = "luau-registry-etcd";
const FORMAT_VERSION: u64 = 2;

/// Values are split into parts of at most this: with the keys and the head, a transaction
/// stays under etcd's default request limit of 1.5 MiB.
const PART_BYTES: usize = 1 << 20;
/// Keys read per request (each at most [`PART_BYTES`] and its key).
const KEYS_PER_PAGE: i64 = 64;
/// What a response may hold: a page of keys.
const MAX_RESPONSE_BYTES: usize = 128 << 20;
/// Puts per transaction, under etcd's 128 operations.
const PUTS_PER_TXN: usize = 100;
/// Versions whose operations `verify` reads per range.
const VERSIONS_PER_CHECK: u64 = 256;

/// etcd could not be reached (or did not answer) in time: `watch` retries, other commands stop.
#[derive(Debug)]
pub struct Unreachable(String);

impl fmt::Display for Unreachable {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for Unreachable {}

/// Where the store is: `etcd://HOST:PORT[,HOST:PORT...]/PREFIX`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EtcdLocation {
    pub endpoints: Vec<String>,
    pub prefix: String,
}

impl EtcdLocation {
    /// `HOST:PORT[,HOST:PORT...]/PREFIX`, after `etcd://`.
    pub fn parse(rest: &str) -> Result<Self, String> {
        let (hosts, prefix) = rest
            .split_once('/')
            .ok_or("expected etcd://HOST:PORT[,HOST:PORT...]/PREFIX: the prefix is missing")?;
        let endpoints: Vec<String> = hosts.split(',').map(str::to_owned).collect();
        for endpoint in &endpoints {
            let port = endpoint
                .rsplit_once(':')
                .map(|(host, port)| (host, port.parse::<u16>()));
            if !matches!(port, Some((host, Ok(_))) if !host.is_empty()) {
                return Err(format!(
                    "expected HOST:PORT for each etcd endpoint, got {endpoint:?}"
                ));
            }
        }
        if prefix.is_empty() || prefix.ends_with('/') || prefix.contains("//") {
            return Err(format!(
                "expected a prefix such as registry or team/prod after the endpoints, got {prefix:?}"
            ));
        }
        Ok(Self {
            endpoints,
            prefix: prefix.to_owned(),
        })
    }
}

impl fmt::Display for EtcdLocation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "etcd://{}/{}", self.endpoints.join(","), self.prefix)
    }
}

/// How to reach etcd, and a writer's lease.
#[derive(Debug, Clone, Copy)]
pub struct EtcdOptions {
    /// How long etcd may take to answer (and to be reached at all).
    pub connect_timeout: Duration,
    /// A writer's lease: how long after it dies the lock is free again.
    pub lease_ttl: Duration,
    /// How long a writer waits for another to finish.
    pub wait: Duration,
}

#[derive(Debug, Serialize, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
struct FormatRecord {
    format: String,
    version: u64,
}

#[derive(Debug, Serialize, Deserialize, Clone, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
struct HeadRecord {
    generation: u64,
    head: u64,
    latest: u64,
    #[serde(default)]
    checksum: String,
}

impl HeadRecord {
    fn new(generation: u64, head: u64, latest: u64) -> Self {
        let mut record = Self {
            generation,
            head,
            latest,
            checksum: String::new(),
        };
        record.checksum = record.expected_checksum();
        record
    }

    fn expected_checksum(&self) -> String {
        checksum(format_args!(
            "head g{} v{} latest v{}",
            self.generation, self.head, self.latest
        ))
    }
}

/// A version's listing record (`g/G/v/ID`); its operations are under `g/G/o/ID/`.
#[derive(Debug, Serialize, Deserialize, Clone, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
struct VersionEntry {
    id: u64,
    parent: Option<u64>,
    time_ms: i64,
    /// How many operations.
    ops: usize,
    /// The length of the operations' JSON text.
    bytes: u64,
    ops_checksum: String,
    checksum: String,
}

impl VersionEntry {
    /// The record of `version`, whose operations are `ops` (JSON text).
    fn new(version: &VersionRecord, ops: &str) -> Self {
        let summary = summary_of(version);
        let mut entry = Self {
            id: summary.id,
            parent: summary.parent,
            time_ms: summary.time_ms,
            ops: summary.ops,
            bytes: ops.len() as u64,
            ops_checksum: ops_checksum_of(ops),
            checksum: String::new(),
        };
        entry.checksum = entry.expected_checksum();
        entry
    }

    fn summary(&self) -> VersionSummary {
        VersionSummary {
            id: self.id,
            parent: self.parent,
            time_ms: self.time_ms,
            ops: self.ops,
        }
    }

    /// SQLite's row checksum, and the operations' length.
    fn expected_checksum(&self) -> String {
        let row = summary_checksum(&self.summary(), &self.ops_checksum);
        checksum(format_args!("{row} {}", self.bytes))
    }
}

impl Listed for VersionEntry {
    fn id_and_parent(&self) -> (u64, Option<u64>) {
        (self.id, self.parent)
    }
}

/// The checkpoint's record (`g/G/checkpoint`); its bytes are under `g/G/c/V/`.
#[derive(Debug, Serialize, Deserialize, Clone, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
struct CheckpointEntry {
    version: u64,
    bytes: u64,
    /// [`checkpoint_checksum`] of the version and the bytes.
    checksum: String,
}

/// A writer's hold on the store.
#[derive(Debug)]
struct Writer {
    lease: i64,
    /// The lock's key, which carries the lease while the lock is held.
    lock_key: Vec<u8>,
    /// The head record's mod revision as this writer last wrote or read it.
    head_revision: i64,
    /// The head record as this writer last wrote or read it.
    head: HeadRecord,
    keeper: JoinHandle<()>,
}

/// What a command reads of the store: everything but the operations and the checkpoint's bytes,
/// which are read at the same revision when asked for.
#[derive(Debug)]
struct View {
    /// The revision every read of this view is made at (a writer's: its last write).
    revision: i64,
    /// The generation read; none in an empty prefix (v0 only, written by the first writer).
    generation: Option<u64>,
    head: u64,
    versions: Vec<VersionEntry>,
    checkpoint: Option<CheckpointEntry>,
}

/// What [`EtcdStore::read_layout`] found.
struct Layout {
    revision: i64,
    /// The head record and its mod revision; none in an empty prefix.
    head: Option<(HeadRecord, i64)>,
    checkpoint: Option<CheckpointEntry>,
    /// Key ranges (from, to) that a writer that died left behind: another generation (an import
    /// that did not finish), parts of a version or checkpoint it did not finish writing.
    leftovers: Vec<(String, String)>,
}

/// One open etcd store.
pub struct EtcdStore {
    runtime: Runtime,
    client: Client,
    kv: KvClient,
    name: String,
    endpoints: String,
    /// `/PREFIX/`.
    root: String,
    timeout: Duration,
    lease_ttl: Duration,
    /// For an empty prefix, read before any writer: v0's time.
    now_ms: i64,
    writer: Option<Writer>,
    /// What this command reads, at one revision; read again after a change `watch` waited for,
    /// or an import.
    view: RefCell<Option<View>>,
}

impl fmt::Debug for EtcdStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EtcdStore")
            .field("name", &self.name)
            .field("writer", &self.writer)
            .finish_non_exhaustive()
    }
}

impl EtcdStore {
    /// Connects to `location`; a writer takes the lock, waiting up to `options.wait`, and a
    /// new store starts with v0 created at `now_ms`.
    pub fn open(
        location: &EtcdLocation,
        access: Access,
        now_ms: i64,
        options: EtcdOptions,
    ) -> Result<Self> {
        // One worker thread: the lease is kept alive while the script runs on this thread.
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .context("cannot start the etcd client's runtime")?;
        let name = location.to_string();
        let endpoints = location.endpoints.join(",");
        let timeout = options.connect_timeout;
        let connect = ConnectOptions::new()
            .with_connect_timeout(timeout)
            .with_timeout(timeout)
            .with_require_leader(true);
        let urls: Vec<String> = location
            .endpoints
            .iter()
            .map(|endpoint| format!("http://{endpoint}"))
            .collect();
        let client = runtime
            .block_on(async {
                tokio::time::timeout(timeout, Client::connect(&urls, Some(connect))).await
            })
            .map_err(|_| unreachable_error(&endpoints, timeout, "no answer"))?
            .map_err(|error| unreachable_error(&endpoints, timeout, &problem(&error)))?;
        let kv = client
            .kv_client()
            .max_decoding_message_size(MAX_RESPONSE_BYTES);
        let mut store = Self {
            runtime,
            client,
            kv,
            name,
            endpoints,
            root: format!("/{}/", location.prefix),
            timeout,
            lease_ttl: options.lease_ttl,
            now_ms,
            writer: None,
            view: RefCell::new(None),
        };
        // Reachable, and a registry (or empty), before any lock or write.
        let layout = store.read_layout()?;
        match access {
            Access::Write => {
                store.lock(options.wait)?;
                store.prepare_writes()?;
            }
            Access::Read => *store.view.get_mut() = Some(store.read_view(&layout)?),
        }
        Ok(store)
    }

    fn key(&self, rest: &str) -> String {
        format!("{}{rest}", self.root)
    }

    fn generation_prefix(&self, generation: u64) -> String {
        self.key(&format!("g/{generation:020}/"))
    }

    fn version_key(&self, generation: u64, id: u64) -> String {
        self.key(&format!("g/{generation:020}/v/{id:020}"))
    }

    fn ops_prefix(&self, generation: u64, id: u64) -> String {
        self.key(&format!("g/{generation:020}/o/{id:020}/"))
    }

    fn checkpoint_key(&self, generation: u64) -> String {
        self.key(&format!("g/{generation:020}/checkpoint"))
    }

    fn checkpoint_prefix(&self, generation: u64, version: u64) -> String {
        self.key(&format!("g/{generation:020}/c/{version:020}/"))
    }

    /// Runs one request with the store's timeout, retrying while etcd is unavailable (a member
    /// restarting, a leader election) until the timeout has passed.
    fn call<T, F, Fut>(&self, doing: &str, mut request: F) -> Result<T>
    where
        F: FnMut(KvClient, Client) -> Fut,
        Fut: Future<Output = Result<T, etcd_client::Error>>,
    {
        let started = Instant::now();
        // An attempt stuck on a member that went away must leave time for another.
        let attempt_limit = (self.timeout / 3).max(Duration::from_secs(1));
        self.runtime.block_on(async {
            loop {
                let left = self.timeout.saturating_sub(started.elapsed());
                let client = (self.kv.clone(), self.client.clone());
                let attempt = request(client.0, client.1);
                let problem = match tokio::time::timeout(left.min(attempt_limit), attempt).await {
                    Ok(Ok(answer)) => return Ok(answer),
                    Ok(Err(error)) if !transient(&error) => {
                        return Err(anyhow!("cannot {doing} {}: {error}", self.name));
                    }
                    Ok(Err(error)) => problem(&error),
                    Err(_) => "no answer".to_owned(),
                };
                if started.elapsed() + RETRY_PAUSE >= self.timeout {
                    return Err(unreachable_error(&self.endpoints, self.timeout, &problem));
                }
                tokio::time::sleep(RETRY_PAUSE).await;
            }
        })
    }

    /// Reads every key's name, the format, the head and the checkpoint's record at one revision,
    /// and checks that the prefix holds a registry or nothing.
    fn read_layout(&self) -> Result<Layout> {
        let options = GetOptions::new().with_prefix().with_keys_only();
        let root = self.root.clone();
        let keys = self.call("read", |mut kv, _| {
            let (root, options) = (root.clone(), options.clone());
            async move { kv.get(root, Some(options)).await }
        })?;
        let revision = keys.header().map_or(0, |header| header.revision());
        let names: Vec<String> = keys
            .kvs()
            .iter()
            .map(|kv| String::from_utf8_lossy(kv.key()).into_owned())
            .collect();
        let at = GetOptions::new().with_revision(revision);
        let format_key = self.key("format");
        let head_key = self.key("head");
        let lock = self.key("lock/");
        let has = |key: &str| names.iter().any(|name| name == key);
        if !has(&format_key) {
            if let Some(other) = names.iter().find(|name| !name.starts_with(&lock)) {
                bail!(
                    "{}: the key {other} is not part of a registry store ({format_key} is \
                     missing): the prefix holds something else; choose another prefix",
                    self.name
                );
            }
            return Ok(Layout {
                revision,
                head: None,
                checkpoint: None,
                leftovers: Vec::new(),
            });
        }
        self.check_format(&format_key, at.clone())?;
        let (head, head_revision) = self.get_head(at.clone())?;
        let generation = self.generation_prefix(head.generation);
        for name in &names {
            let known = *name == format_key
                || *name == head_key
                || name.starts_with(&lock)
                || name.starts_with(&self.key("g/")) && !name.starts_with(&generation)
                || name
                    .strip_prefix(&generation)
                    .is_some_and(|rest| known_in_generation(rest, head.latest));
            ensure!(
                known,
                "{}: the key {name} is not part of a registry store: the store is damaged or \
                 was changed outside registry-host",
                self.name
            );
        }
        let checkpoint_key = self.checkpoint_key(head.generation);
        let checkpoint = if has(&checkpoint_key) {
            Some(self.get_checkpoint(&checkpoint_key, &head, at)?)
        } else {
            None
        };
        let leftovers = self.leftovers(&names, &head, checkpoint.as_ref());
        Ok(Layout {
            revision,
            head: Some((head, head_revision)),
            checkpoint,
            leftovers,
        })
    }

    /// Refuses a format record of another format or version.
    fn check_format(&self, format_key: &str, at: GetOptions) -> Result<()> {
        let format = self.get_value(format_key, at)?;
        let record: FormatRecord = serde_json::from_slice(&format).map_err(|_| {
            anyhow!(
                "{}: the key {format_key} is not a registry store's format record: the prefix \
                 holds something else; choose another prefix",
                self.name
            )
        })?;
        ensure!(
            record.format == FORMAT,
            "{}: the key {format_key} names the format {:?}, not {FORMAT:?}: the prefix holds \
             something else; choose another prefix",
            self.name,
            record.format
        );
        ensure!(
            record.version <= FORMAT_VERSION,
            "{}: the store has format version {}, newer than this registry-host reads (version \
             {FORMAT_VERSION}): use a newer registry-host",
            self.name,
            record.version
        );
        ensure!(
            record.version == FORMAT_VERSION,
            "{}: the store has format version {}, which this registry-host no longer reads \
             (it reads version {FORMAT_VERSION}): `export` it with the registry-host that wrote \
             it, then `import` that file with this one into an empty prefix",
            self.name,
            record.version
        );
        Ok(())
    }

    /// The checkpoint's record, which must name a version of `head`'s history.
    fn get_checkpoint(
        &self,
        key: &str,
        head: &HeadRecord,
        at: GetOptions,
    ) -> Result<CheckpointEntry> {
        let value = self.get_value(key, at)?;
        let entry: CheckpointEntry = serde_json::from_slice(&value).map_err(|error| {
            anyhow!(
                "{}: the key {key} is damaged or was changed outside registry-host (not a \
                 checkpoint's record: {error})",
                self.name
            )
        })?;
        ensure!(
            entry.version <= head.latest,
            "{}: the key {key} is damaged or was changed outside registry-host (it names v{} as \
             the checkpoint's version, which is not in the history of v0 to v{})",
            self.name,
            entry.version,
            head.latest
        );
        Ok(entry)
    }

    /// What a writer that died left behind, among `names`, as key ranges.
    fn leftovers(
        &self,
        names: &[String],
        head: &HeadRecord,
        checkpoint: Option<&CheckpointEntry>,
    ) -> Vec<(String, String)> {
        let all = self.key("g/");
        let generation = self.generation_prefix(head.generation);
        let ops = format!("{generation}o/");
        let first_unused = format!("{ops}{:020}/", head.latest + 1);
        let parts = format!("{generation}c/");
        let kept = checkpoint.map(|entry| self.checkpoint_prefix(head.generation, entry.version));
        let mut ranges = Vec::new();
        let mut leave = |from: String, to: String, left: &dyn Fn(&str) -> bool| {
            if names.iter().any(|name| left(name)) {
                ranges.push((from, to));
            }
        };
        leave(all.clone(), generation.clone(), &|name| {
            name.starts_with(&all) && *name < *generation
        });
        leave(prefix_end(&generation), prefix_end(&all), &|name| {
            name.starts_with(&all) && *name >= *prefix_end(&generation)
        });
        leave(first_unused.clone(), prefix_end(&ops), &|name| {
            name.starts_with(&ops) && *name >= *first_unused
        });
        match &kept {
            Some(kept) => {
                leave(parts.clone(), kept.clone(), &|name| {
                    name.starts_with(&parts) && *name < **kept
                });
                leave(prefix_end(kept), prefix_end(&parts), &|name| {
                    name.starts_with(&parts) && *name >= *prefix_end(kept)
                });
            }
            None => leave(parts.clone(), prefix_end(&parts), &|name| {
                name.starts_with(&parts)
            }),
        }
        ranges
    }

    fn get_value(&self, key: &str, options: GetOptions) -> Result<Vec<u8>> {
        let answer = self.call("read", |mut kv, _| {
            let (key, options) = (key.to_owned(), options.clone());
            async move { kv.get(key, Some(options)).await }
        })?;
        match answer.kvs() {
            [kv] => Ok(kv.value().to_vec()),
            _ => bail!("{}: the key {key} is missing", self.name),
        }
    }

    fn get_head(&self, options: GetOptions) -> Result<(HeadRecord, i64)> {
        let key = self.key("head");
        let answer = self.call("read", |mut kv, _| {
            let (key, options) = (key.clone(), options.clone());
            async move { kv.get(key, Some(options)).await }
        })?;
        let [kv] = answer.kvs() else {
            bail!(
                "{}: the key {key} is missing: the store is damaged",
                self.name
            );
        };
        let head: HeadRecord = serde_json::from_slice(kv.value())
            .ok()
            .filter(|head: &HeadRecord| head.checksum == head.expected_checksum())
            .ok_or_else(|| {
                anyhow!(
                    "{}: the key {key} is damaged or was changed outside registry-host (it does \
                     not match its checksum)",
                    self.name
                )
            })?;
        Ok((head, kv.mod_revision()))
    }

    /// The view of `layout`: every version's listing record at its revision, checked.
    fn read_view(&self, layout: &Layout) -> Result<View> {
        let Some((head, _)) = &layout.head else {
            let v0 = VersionRecord {
                id: 0,
                parent: None,
                time_ms: self.now_ms,
                ops: Vec::new(),
            };
            return Ok(View {
                revision: layout.revision,
                generation: None,
                head: 0,
                versions: vec![VersionEntry::new(&v0, "[]")],
                checkpoint: None,
            });
        };
        let prefix = self.key(&format!("g/{:020}/v/", head.generation));
        let mut versions = Vec::new();
        self.read_range(
            &prefix,
            &prefix_end(&prefix),
            layout.revision,
            |key, value| {
                versions.push(self.version_from(head.generation, key, value)?);
                Ok(())
            },
        )?;
        check_structure(&versions, head.head).with_context(|| self.name.clone())?;
        ensure!(
            versions.len() as u64 == head.latest + 1,
            "{}: the head record names v{} as the latest version, but v{} is the last stored",
            self.name,
            head.latest,
            versions.len().saturating_sub(1)
        );
        Ok(View {
            revision: layout.revision,
            generation: Some(head.generation),
            head: head.head,
            versions,
            checkpoint: layout.checkpoint.clone(),
        })
    }

    /// The view, read at the latest revision when there is none.
    fn view(&self) -> Result<Ref<'_, View>> {
        if self.view.borrow().is_none() {
            let view = self.read_view(&self.read_layout()?)?;
            *self.view.borrow_mut() = Some(view);
        }
        Ok(Ref::map(self.view.borrow(), |view| {
            view.as_ref().expect("read above")
        }))
    }

    /// Calls `each` with every key in `from..to` and its value at `revision`, in key order, a
    /// page at a time.
    fn read_range(
        &self,
        from: &str,
        to: &str,
        revision: i64,
        mut each: impl FnMut(&str, &[u8]) -> Result<()>,
    ) -> Result<()> {
        let mut next = from.to_owned();
        loop {
            let options = GetOptions::new()
                .with_range(to)
                .with_limit(KEYS_PER_PAGE)
                .with_revision(revision);
            let page = self.call("read", |mut kv, _| {
                let (next, options) = (next.clone(), options.clone());
                async move { kv.get(next, Some(options)).await }
            })?;
            for kv in page.kvs() {
                each(&String::from_utf8_lossy(kv.key()), kv.value())?;
            }
            match page.kvs().last() {
                Some(last) if page.more() => {
                    let mut after = last.key().to_vec();
                    after.push(0);
                    next = String::from_utf8_lossy(&after).into_owned();
                }
                _ => return Ok(()),
            }
        }
    }

    /// A version's listing record, checked.
    fn version_from(&self, generation: u64, key: &str, value: &[u8]) -> Result<VersionEntry> {
        let damaged = |what: &str| {
            anyhow!(
                "{}: the key {key} is damaged or was changed outside registry-host ({what})",
                self.name
            )
        };
        let entry: VersionEntry =
            serde_json::from_slice(value).map_err(|e| damaged(&format!("not a version: {e}")))?;
        ensure!(
            entry.checksum == entry.expected_checksum(),
            damaged("it does not match its checksum")
        );
        ensure!(
            *key == self.version_key(generation, entry.id),
            damaged("its id does not match its key")
        );
        Ok(entry)
    }

    /// The operations' JSON text of `ids` (each a stored version) in `view`, read at its
    /// revision, consecutive ids in one ranged read, each checked against its listing record.
    fn read_ops(&self, view: &View, ids: &[VersionId]) -> Result<BTreeMap<VersionId, String>> {
        let mut sorted: Vec<VersionId> = ids.to_vec();
        sorted.sort_unstable();
        sorted.dedup();
        let entry = |id: VersionId| {
            usize::try_from(id)
                .ok()
                .and_then(|i| view.versions.get(i))
                .ok_or_else(|| anyhow!("{}: v{id} is not stored", self.name))
        };
        let Some(generation) = view.generation else {
            // An empty prefix: v0, without operations.
            return sorted
                .into_iter()
                .map(|id| Ok((entry(id)?.id, "[]".to_owned())))
                .collect();
        };
        let mut texts: BTreeMap<VersionId, Vec<u8>> = BTreeMap::new();
        let all = self.key(&format!("g/{generation:020}/o/"));
        for run in sorted.chunk_by(|a, b| *b == a + 1) {
            let (first, last) = (run[0], run[run.len() - 1]);
            entry(last)?;
            let from = self.ops_prefix(generation, first);
            let to = prefix_end(&self.ops_prefix(generation, last));
            self.read_range(&from, &to, view.revision, |key, value| {
                let id = key
                    .strip_prefix(&all)
                    .and_then(|rest| rest.split_once('/'))
                    .and_then(|(id, _)| id.parse::<VersionId>().ok());
                if let Some(id) = id {
                    texts.entry(id).or_default().extend_from_slice(value);
                }
                Ok(())
            })?;
        }
        sorted
            .into_iter()
            .map(|id| {
                let entry = entry(id)?;
                let text = texts.remove(&id).unwrap_or_default();
                let text = String::from_utf8(text)
                    .ok()
                    .filter(|text| {
                        text.len() as u64 == entry.bytes
                            && ops_checksum_of(text) == entry.ops_checksum
                    })
                    .ok_or_else(|| {
                        anyhow!(
                            "{}: the operations of v{id} under {} are damaged or were changed \
                             outside registry-host (they do not match the checksum in {})",
                            self.name,
                            self.ops_prefix(generation, id),
                            self.version_key(generation, id)
                        )
                    })?;
                Ok((id, text))
            })
            .collect()
    }

    /// The version of the one checkpoint the store keeps, if any.
    fn stored_checkpoint(&self) -> Result<Option<VersionId>> {
        Ok(self.view()?.checkpoint.as_ref().map(|entry| entry.version))
    }

    /// The checkpoint of `view`, read at its revision and checked.
    fn read_checkpoint(&self, view: &View) -> Result<(VersionId, Vec<u8>)> {
        let (Some(generation), Some(entry)) = (view.generation, &view.checkpoint) else {
            bail!("{} holds no checkpoint", self.name);
        };
        let prefix = self.checkpoint_prefix(generation, entry.version);
        let mut bytes = Vec::new();
        self.read_range(&prefix, &prefix_end(&prefix), view.revision, |_, value| {
            bytes.extend_from_slice(value);
            Ok(())
        })?;
        ensure!(
            bytes.len() as u64 == entry.bytes
                && checkpoint_checksum(entry.version, &bytes) == entry.checksum,
            "{}: the checkpoint under {prefix} is damaged or was changed outside registry-host \
             (it does not match the checksum in {})",
            self.name,
            self.checkpoint_key(generation)
        );
        Ok((entry.version, bytes))
    }

    /// Takes the writers' lock on a new lease kept alive from now on.
    fn lock(&mut self, wait: Duration) -> Result<()> {
        let ttl = i64::try_from(self.lease_ttl.as_secs()).unwrap_or(i64::MAX);
        let lease = self
            .call("take a lease on", |_, mut client| async move {
                client.lease_grant(ttl, None).await
            })?
            .id();
        let keeper = self
            .runtime
            .spawn(keep_alive(self.client.clone(), lease, self.lease_ttl / 3));
        let name = self.key("lock");
        let mut client = self.client.clone();
        let locked = self.runtime.block_on(async {
            let started = Instant::now();
            loop {
                let left = wait.saturating_sub(started.elapsed());
                let options = LockOptions::new().with_lease(lease);
                match tokio::time::timeout(left, client.lock(name.clone(), Some(options))).await {
                    Err(_) => return Ok(None),
                    Ok(Ok(answer)) => return Ok(Some(answer.key().to_vec())),
                    // The member serving the request went away: ask another.
                    Ok(Err(error)) if transient(&error) && started.elapsed() < wait => {
                        tokio::time::sleep(RETRY_PAUSE).await;
                    }
                    Ok(Err(error)) => return Err(error),
                }
            }
        });
        let lock_key = match locked {
            Ok(Some(key)) => key,
            Ok(None) => {
                self.release(lease, &keeper);
                bail!(
                    "{} is in use by another registry-host: gave up after waiting {} for it to \
                     finish (see --wait)",
                    self.name,
                    humantime::format_duration(wait)
                );
            }
            Err(error) => {
                self.release(lease, &keeper);
                if transient(&error) {
                    return Err(unreachable_error(
                        &self.endpoints,
                        self.timeout,
                        &problem(&error),
                    ));
                }
                bail!("cannot take the writers' lock on {}: {error}", self.name);
            }
        };
        self.writer = Some(Writer {
            lease,
            lock_key,
            head_revision: 0,
            head: HeadRecord::new(0, 0, 0),
            keeper,
        });
        Ok(())
    }

    fn release(&self, lease: i64, keeper: &JoinHandle<()>) {
        keeper.abort();
        let mut client = self.client.clone();
        let _ = self.runtime.block_on(async {
            tokio::time::timeout(Duration::from_secs(1), client.lease_revoke(lease)).await
        });
    }

    /// Under the lock: reads the head (creating the store in an empty prefix), clears what a
    /// writer that died left behind, and checks every stored byte before the first write, as
    /// SQLite's writers do, so that nothing is written to a damaged store.
    fn prepare_writes(&mut self) -> Result<()> {
        let mut layout = self.read_layout()?;
        let existed = layout.head.is_some();
        let (head, head_revision) = match &layout.head {
            Some(head) => head.clone(),
            None => self.create()?,
        };
        let writer = self.writer.as_mut().context("no lock is held")?;
        writer.head = head;
        writer.head_revision = head_revision;
        if existed {
            *self.view.get_mut() = Some(self.read_view(&layout)?);
            self.verify()?;
        }
        for (from, to) in &layout.leftovers {
            self.write("clear what a stopped writer left in", |when| {
                let range = DeleteOptions::new().with_range(to.clone());
                Txn::new()
                    .when(when)
                    .and_then(vec![TxnOp::delete(from.clone(), Some(range))])
            })?;
        }
        if !existed || !layout.leftovers.is_empty() {
            layout = self.read_layout()?;
            *self.view.get_mut() = Some(self.read_view(&layout)?);
        }
        Ok(())
    }

    /// Writes the format, the head and v0 in an empty prefix.
    fn create(&mut self) -> Result<(HeadRecord, i64)> {
        let head = HeadRecord::new(1, 0, 0);
        let v0 = VersionRecord {
            id: 0,
            parent: None,
            time_ms: self.now_ms,
            ops: Vec::new(),
        };
        let format = serde_json::to_string(&FormatRecord {
            format: FORMAT.to_owned(),
            version: FORMAT_VERSION,
        })?;
        let lease_compare = self.lease_compare()?;
        let txn = Txn::new()
            .when(vec![
                lease_compare,
                Compare::create_revision(self.key("format"), CompareOp::Equal, 0),
            ])
            .and_then(vec![
                TxnOp::put(self.key("format"), format, None),
                TxnOp::put(self.key("head"), serde_json::to_string(&head)?, None),
                TxnOp::put(
                    self.version_key(1, 0),
                    serde_json::to_string(&VersionEntry::new(&v0, "[]"))?,
                    None,
                ),
                TxnOp::put(format!("{}{:06}", self.ops_prefix(1, 0), 0), "[]", None),
            ]);
        let answer = self.call("create the store in", |mut kv, _| {
            let txn = txn.clone();
            async move { kv.txn(txn).await }
        })?;
        if answer.succeeded() {
            let revision = answer.header().map_or(0, |header| header.revision());
            return Ok((head, revision));
        }
        // Only the lock's holder creates: a store there now is this writer's own transaction,
        // applied before an attempt whose answer was lost.
        ensure!(self.owns_lock(), self.lost_lock_or(""));
        self.get_head(GetOptions::new())
    }

    fn lease_compare(&self) -> Result<Compare> {
        let writer = self.writer.as_ref().context("no lock is held")?;
        Ok(Compare::lease(
            writer.lock_key.clone(),
            CompareOp::Equal,
            writer.lease,
        ))
    }

    /// Whether the lock's key still carries this writer's lease.
    fn owns_lock(&self) -> bool {
        self.writer.as_ref().is_some_and(|writer| {
            let key = writer.lock_key.clone();
            self.call("read", |mut kv, _| {
                let key = key.clone();
                async move { kv.get(key, None).await }
            })
            .is_ok_and(|answer| answer.kvs().iter().any(|kv| kv.lease() == writer.lease))
        })
    }

    /// The message for a transaction whose conditions failed: the lock lost, or `otherwise`.
    fn lost_lock_or(&self, otherwise: &str) -> String {
        if self.owns_lock() {
            format!("{}: {otherwise}", self.name)
        } else {
            format!(
                "{}: this registry-host lost the writers' lock (its lease of {} expired: etcd \
                 was unreachable or the process stalled for that long); stopped, and nothing \
                 more of this run was stored",
                self.name,
                humantime::format_duration(self.lease_ttl)
            )
        }
    }

    /// Runs a transaction built on the writer's conditions (the lock held, head unchanged);
    /// returns its revision.
    fn write(&self, doing: &str, build: impl Fn(Vec<Compare>) -> Txn) -> Result<i64> {
        let writer = self.writer.as_ref().context("no lock is held")?;
        let when = vec![
            self.lease_compare()?,
            Compare::mod_revision(self.key("head"), CompareOp::Equal, writer.head_revision),
        ];
        let txn = build(when);
        let answer = self.call(doing, |mut kv, _| {
            let txn = txn.clone();
            async move { kv.txn(txn).await }
        })?;
        ensure!(
            answer.succeeded(),
            self.lost_lock_or("head was moved by another registry-host")
        );
        Ok(answer.header().map_or(0, |header| header.revision()))
    }

    /// Adds a put of `value` at `key` to `batch`, first writing what `batch` holds when the two
    /// would not fit in one transaction.
    fn stage(&self, batch: &mut Batch, doing: &str, key: String, value: Vec<u8>) -> Result<()> {
        let bytes = key.len() + value.len();
        if !batch.puts.is_empty()
            && (batch.puts.len() == PUTS_PER_TXN || batch.bytes + bytes > PART_BYTES)
        {
            let puts = std::mem::take(&mut batch.puts);
            self.write(doing, |when| Txn::new().when(when).and_then(puts.clone()))?;
            batch.bytes = 0;
        }
        batch.bytes += bytes;
        batch.puts.push(TxnOp::put(key, value, None));
        Ok(())
    }

    /// Stages `bytes` in parts under `prefix`.
    fn stage_parts(
        &self,
        batch: &mut Batch,
        doing: &str,
        prefix: &str,
        bytes: &[u8],
    ) -> Result<()> {
        if bytes.is_empty() {
            return self.stage(batch, doing, format!("{prefix}{:06}", 0), Vec::new());
        }
        for (part, chunk) in bytes.chunks(PART_BYTES).enumerate() {
            self.stage(batch, doing, format!("{prefix}{part:06}"), chunk.to_vec())?;
        }
        Ok(())
    }

    /// Stages a version: its operations' parts, then its listing record.
    fn stage_version(
        &self,
        batch: &mut Batch,
        doing: &str,
        generation: u64,
        version: &VersionRecord,
    ) -> Result<VersionEntry> {
        let ops = serde_json::to_string(&version.ops)?;
        let prefix = self.ops_prefix(generation, version.id);
        self.stage_parts(batch, doing, &prefix, ops.as_bytes())?;
        let entry = VersionEntry::new(version, &ops);
        let key = self.version_key(generation, version.id);
        self.stage(batch, doing, key, serde_json::to_vec(&entry)?)?;
        Ok(entry)
    }

    /// Writes a new head record with `batch`, in one transaction; returns its revision.
    fn move_head(&mut self, doing: &str, head: HeadRecord, batch: Batch) -> Result<i64> {
        let head_key = self.key("head");
        let head_value = serde_json::to_string(&head)?;
        let written = self.write(doing, |when| {
            let mut ops = batch.puts.clone();
            ops.push(TxnOp::put(head_key.clone(), head_value.clone(), None));
            Txn::new().when(when).and_then(ops)
        });
        // A transaction whose answer was lost (a member went away) may have been applied before
        // it was sent again: then head is exactly this record, which only this writer, still
        // holding the lock, can have written.
        let revision = match written {
            Ok(revision) => revision,
            Err(error) => match self.get_head(GetOptions::new()) {
                Ok((stored, revision)) if stored == head && self.owns_lock() => revision,
                _ => return Err(error),
            },
        };
        let writer = self.writer.as_mut().context("no lock is held")?;
        writer.head = head;
        writer.head_revision = revision;
        Ok(revision)
    }

    fn writer_head(&self) -> Result<HeadRecord> {
        Ok(self
            .writer
            .as_ref()
            .context("no lock is held")?
            .head
            .clone())
    }

    /// The writer's view, to note what it wrote.
    fn written_view(&mut self) -> Result<&mut View> {
        self.view
            .get_mut()
            .as_mut()
            .context("the store was not read")
    }
}

/// Puts to write in one transaction, and their size.
#[derive(Default)]
struct Batch {
    puts: Vec<TxnOp>,
    bytes: usize,
}

/// The first key after every key starting with `prefix`.
fn prefix_end(prefix: &str) -> String {
    let mut end = prefix.to_owned();
    if let Some(last) = end.pop() {
        end.push(char::from(
            u8::try_from(u32::from(last) + 1).unwrap_or(b'0'),
        ));
    }
    end
}

const RETRY_PAUSE: Duration = Duration::from_millis(100);

/// Errors that another attempt, maybe on another member, may not meet.
fn transient(error: &etcd_client::Error) -> bool {
    match error {
        etcd_client::Error::TransportError(_) | etcd_client::Error::IoError(_) => true,
        // Cancelled: the client's own per-request timeout (a member that stopped answering).
        etcd_client::Error::GRpcStatus(status) => matches!(
            status.code(),
            tonic::Code::Unavailable
                | tonic::Code::DeadlineExceeded
                | tonic::Code::Cancelled
                | tonic::Code::Unknown
        ),
        _ => false,
    }
}

/// What went wrong, in short: a gRPC status's own message.
fn problem(error: &etcd_client::Error) -> String {
    match error {
        etcd_client::Error::GRpcStatus(status) => status.message().to_owned(),
        other => other.to_string(),
    }
}

fn unreachable_error(endpoints: &str, timeout: Duration, problem: &str) -> anyhow::Error {
    Unreachable(format!(
        "cannot reach etcd at {endpoints} within {} ({problem}; see --connect-timeout)",
        humantime::format_duration(timeout)
    ))
    .into()
}

/// Keeps the lease alive every `every` until the task is aborted; reconnects when the stream
/// breaks (a member went away). A lease that expired stays expired: the writer's next
/// transaction finds its lock gone.
async fn keep_alive(client: Client, lease: i64, every: Duration) {
    loop {
        let mut client = client.clone();
        if let Ok((mut keeper, mut stream)) = client.lease_keep_alive(lease).await {
            loop {
                if keeper.keep_alive().await.is_err() {
                    break;
                }
                match stream.message().await {
                    Ok(Some(answer)) if answer.ttl() > 0 => {}
                    Ok(Some(_)) => return, // expired
                    _ => break,
                }
                tokio::time::sleep(every).await;
            }
        }
        tokio::time::sleep(RETRY_PAUSE).await;
    }
}

impl Drop for EtcdStore {
    fn drop(&mut self) {
        if let Some(writer) = self.writer.take() {
            self.release(writer.lease, &writer.keeper);
        }
    }
}

/// Whether `rest`, a key under the head's generation, is one of its records: a version up to
/// `latest`, operations' or checkpoint's parts, the checkpoint's record.
fn known_in_generation(rest: &str, latest: u64) -> bool {
    let digits =
        |text: &str, len: usize| text.len() == len && text.bytes().all(|b| b.is_ascii_digit());
    let part = |rest: &str| {
        rest.split_once('/')
            .is_some_and(|(id, part)| digits(id, 20) && digits(part, 6))
    };
    if let Some(id) = rest.strip_prefix("v/") {
        return digits(id, 20) && id.parse::<u64>().is_ok_and(|id| id <= latest);
    }
    rest == "checkpoint"
        || rest.strip_prefix("o/").is_some_and(part)
        || rest.strip_prefix("c/").is_some_and(part)
}

impl RegistryStore for EtcdStore {
    fn name(&self) -> &str {
        &self.name
    }

    fn listing(&self) -> Result<VersionList> {
        let view = self.view()?;
        Ok(VersionList {
            head: view.head,
            versions: view.versions.iter().map(VersionEntry::summary).collect(),
        })
    }

    fn ops_json(&self, versions: &[VersionId]) -> Result<String> {
        let mut texts = self.read_ops(&*self.view()?, versions)?;
        let mut json = String::from("[");
        for (n, id) in versions.iter().enumerate() {
            if n > 0 {
                json.push(',');
            }
            // Read once per id; a repeated id is read again.
            let text = match texts.remove(id) {
                Some(text) => text,
                None => self
                    .read_ops(&*self.view()?, &[*id])?
                    .remove(id)
                    .unwrap_or_default(),
            };
            json.push_str(&text);
        }
        json.push(']');
        Ok(json)
    }

    /// etcd keeps one checkpoint, the latest saved (see [`RegistryStore::save_checkpoint`]).
    fn checkpoint_versions(&self) -> Result<Vec<VersionId>> {
        Ok(self.stored_checkpoint()?.into_iter().collect())
    }

    fn checkpoint(&self, version: VersionId) -> Result<Vec<u8>> {
        let (held, bytes) = self.read_checkpoint(&*self.view()?)?;
        ensure!(
            held == version,
            "{}: the store's checkpoint holds v{held}, not v{version}",
            self.name
        );
        Ok(bytes)
    }

    /// Replaces the one checkpoint etcd keeps: writes the parts, the record and the removal of
    /// the previous checkpoint's parts under the writer's conditions, the record last: a reader
    /// sees the old checkpoint or the new one.
    fn save_checkpoint(&mut self, version: VersionId, bytes: &[u8]) -> Result<()> {
        let head = self.writer_head()?;
        let previous = self.stored_checkpoint()?;
        if previous == Some(version) {
            // A version's state never changes: the stored checkpoint holds it already.
            return Ok(());
        }
        ensure!(
            version <= head.latest,
            "{}: v{version} is not a stored version",
            self.name
        );
        let doing = "save the checkpoint in";
        let mut batch = Batch::default();
        let prefix = self.checkpoint_prefix(head.generation, version);
        self.stage_parts(&mut batch, doing, &prefix, bytes)?;
        let entry = CheckpointEntry {
            version,
            bytes: bytes.len() as u64,
            checksum: checkpoint_checksum(version, bytes),
        };
        let key = self.checkpoint_key(head.generation);
        self.stage(&mut batch, doing, key, serde_json::to_vec(&entry)?)?;
        let mut ops = batch.puts;
        if let Some(previous) = previous {
            let old = self.checkpoint_prefix(head.generation, previous);
            let range = DeleteOptions::new().with_range(prefix_end(&old));
            ops.push(TxnOp::delete(old, Some(range)));
        }
        let revision = self.write(doing, |when| Txn::new().when(when).and_then(ops.clone()))?;
        let view = self.written_view()?;
        view.checkpoint = Some(entry);
        view.revision = revision;
        Ok(())
    }

    /// Every operation and the checkpoint, read at the view's revision and checked.
    fn verify(&self) -> Result<()> {
        let latest = self.view()?.versions.len() as u64;
        let mut from = 0;
        while from < latest {
            let to = (from + VERSIONS_PER_CHECK).min(latest);
            self.read_ops(&*self.view()?, &(from..to).collect::<Vec<_>>())?;
            from = to;
        }
        if self.view()?.checkpoint.is_some() {
            self.read_checkpoint(&*self.view()?)?;
        }
        Ok(())
    }

    fn hold_snapshot(&self) -> Result<()> {
        // The view read at opening is kept until the store is dropped.
        self.view().map(drop)
    }

    /// The operations' and the checkpoint's bytes.
    fn size(&self) -> Result<u64> {
        let view = self.view()?;
        let ops: u64 = view.versions.iter().map(|entry| entry.bytes).sum();
        Ok(ops + view.checkpoint.as_ref().map_or(0, |entry| entry.bytes))
    }

    fn head(&self) -> Result<u64> {
        if let Some(writer) = &self.writer {
            return Ok(writer.head.head);
        }
        Ok(self.view()?.head)
    }

    fn commit(&mut self, version: &VersionRecord) -> Result<()> {
        let head = self.writer_head()?;
        ensure!(
            version.id == head.latest + 1,
            "{}: v{} cannot follow v{}, the latest stored version",
            self.name,
            version.id,
            head.latest
        );
        let doing = format!("save v{} in", version.id);
        let mut batch = Batch::default();
        let entry = self.stage_version(&mut batch, &doing, head.generation, version)?;
        let new_head = HeadRecord::new(head.generation, version.id, version.id);
        let revision = self.move_head(&doing, new_head, batch)?;
        let view = self.written_view()?;
        view.versions.push(entry);
        view.head = version.id;
        view.revision = revision;
        Ok(())
    }

    fn set_head(&mut self, head: u64) -> Result<()> {
        let current = self.writer_head()?;
        ensure!(
            head <= current.latest,
            "{}: v{head} is not a stored version",
            self.name
        );
        let new_head = HeadRecord::new(current.generation, head, current.latest);
        let revision = self.move_head("save the head in", new_head, Batch::default())?;
        let view = self.written_view()?;
        view.head = head;
        view.revision = revision;
        Ok(())
    }

    /// Writes `history` and the checkpoint of its head (etcd keeps one: head's, or else the
    /// latest given) as a new generation, switches head to it, then clears the old one.
    fn replace(
        &mut self,
        history: &HistoryExport,
        checkpoints: &[(VersionId, Vec<u8>)],
    ) -> Result<()> {
        let old = self.writer_head()?;
        let generation = old.generation + 1;
        let doing = "import into";
        let mut batch = Batch::default();
        for version in &history.versions {
            self.stage_version(&mut batch, doing, generation, version)?;
        }
        let kept = checkpoints
            .iter()
            .find(|(version, _)| *version == history.head)
            .or(checkpoints.last());
        if let Some((version, bytes)) = kept {
            let prefix = self.checkpoint_prefix(generation, *version);
            self.stage_parts(&mut batch, doing, &prefix, bytes)?;
            let entry = CheckpointEntry {
                version: *version,
                bytes: bytes.len() as u64,
                checksum: checkpoint_checksum(*version, bytes),
            };
            let key = self.checkpoint_key(generation);
            self.stage(&mut batch, doing, key, serde_json::to_vec(&entry)?)?;
        }
        let latest = history.versions.len().saturating_sub(1) as u64;
        self.move_head(
            doing,
            HeadRecord::new(generation, history.head, latest),
            batch,
        )?;
        *self.view.get_mut() = None;
        let old_generation = self.generation_prefix(old.generation);
        self.write("clear the replaced history in", |when| {
            Txn::new().when(when).and_then(vec![TxnOp::delete(
                old_generation.clone(),
                Some(DeleteOptions::new().with_prefix()),
            )])
        })?;
        Ok(())
    }

    fn change_marker(&self) -> Result<i64> {
        let key = self.key("head");
        let answer = self.call("read", |mut kv, _| {
            let key = key.clone();
            async move { kv.get(key, Some(GetOptions::new().with_keys_only())).await }
        })?;
        Ok(answer.header().map_or(0, |header| header.revision()))
    }

    fn wait_for_change(&mut self, marker: i64) -> Result<()> {
        // What comes after the wait is read afresh.
        *self.view.get_mut() = None;
        let key = self.key("head");
        let start = marker + 1;
        let mut client = self.client.clone();
        let endpoints = self.endpoints.clone();
        let timeout = self.timeout;
        self.runtime.block_on(async move {
            let lost = |problem: &str| unreachable_error(&endpoints, timeout, problem);
            let options = WatchOptions::new().with_start_revision(start);
            let mut stream = tokio::time::timeout(timeout, client.watch(key, Some(options)))
                .await
                .map_err(|_| lost("no answer"))?
                .map_err(|error| lost(&problem(&error)))?;
            loop {
                match stream.message().await {
                    Ok(Some(answer)) if answer.canceled() || !answer.events().is_empty() => {
                        return Ok(());
                    }
                    Ok(Some(_)) => {}
                    Ok(None) => return Err(lost("the watch ended")),
                    Err(error) => return Err(lost(&problem(&error))),
                }
            }
        })
    }
}
