//! The etcd store: one history shared by every `registry-host` that points at the same etcd
//! cluster and prefix.
//!
//! # Layout (keys under `/PREFIX/`)
//!
//! - `format`: `{"format":"luau-registry-etcd","version":1}`, written first; a prefix that
//!   holds keys without it is not a registry.
//! - `head`: `{"generation":G,"head":H,"latest":L,"checksum":C}`: head is vH, the versions are
//!   v0..=vL, all under generation G.
//! - `g/G/v/ID` (G and ID in 20 digits, so that keys sort by number): a version,
//!   `{"id","parent","time_ms","ops","checksum"}`, `ops` the JSON text of its operations; or,
//!   when that text is larger than [`PART_BYTES`] (etcd refuses requests over 1.5 MiB by
//!   default), `"parts":N` instead of `ops`, and the text in `g/G/p/ID/N` (6 digits), in order.
//! - `lock/LEASE`: etcd's lock (its Lock API) of the writer holding it, on the writer's lease.
//!
//! Checksums are SQLite's (see `integrity.rs`): the first 16 bytes of a SHA-256 of the record's
//! fields, against damage. A generation changes only at an import, which writes the new history
//! beside the old one and then switches `head` to it: readers see the one or the other, whole.
//! A checkpoint of head's state (as SQLite's) would be one more key in the generation, under a
//! new format version, which older hosts refuse rather than misread.
//!
//! # Concurrency
//!
//! A writer takes etcd's lock on a lease of `--lease-ttl` (10 s), kept alive while it runs, so
//! runs take turns across machines; a writer that dies releases the lock when its lease expires.
//! Each version is written in one transaction that also moves head, and only if the writer still
//! owns the lock (its key still carries the lease) and head is still at the revision the writer
//! last saw: a writer whose lease was lost can never write over another. Parts of a large
//! version are written first, each under the same conditions, where nothing refers to them until
//! that transaction. Readers read at one etcd revision and take no lock.

use std::cell::{Ref, RefCell};
use std::fmt;
use std::future::Future;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, anyhow, bail, ensure};
use etcd_client::{
    Client, Compare, CompareOp, ConnectOptions, GetOptions, KvClient, LockOptions, Txn, TxnOp,
    WatchOptions,
};
use registry_core::protocol::VersionList;
use registry_core::{HistoryExport, VersionId, VersionRecord};
use serde::{Deserialize, Serialize};
use tokio::runtime::Runtime;
use tokio::task::JoinHandle;

use super::integrity::{check_structure, checksum, version_checksum};
use super::{Access, RegistryStore, listing_of, ops_json_of};

/// The `format` record this build writes and reads.
const FORMAT: &str = "luau-registry-etcd";
const FORMAT_VERSION: u64 = 1;

/// Operations larger than this are split into parts: with the keys and the head, a transaction
/// stays under etcd's default request limit of 1.5 MiB.
const PART_BYTES: usize = 1 << 20;
/// Versions read per request (each at most [`PART_BYTES`] and its fields).
const VERSIONS_PER_PAGE: i64 = 64;
/// What a response may hold: a page of versions.
const MAX_RESPONSE_BYTES: usize = 128 << 20;
/// Versions written per transaction by an import, under etcd's 128 operations.
const VERSIONS_PER_TXN: usize = 100;

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

#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct VersionEntry {
    id: u64,
    parent: Option<u64>,
    time_ms: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    ops: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    parts: Option<u32>,
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
    /// The history as last read whole, at one revision. etcd holds no listing apart from the
    /// operations and no checkpoint yet, so a registry opened on etcd reads its history once.
    loaded: RefCell<Option<HistoryExport>>,
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
            loaded: RefCell::new(None),
        };
        // Reachable, and a registry (or empty), before any lock or write.
        store.read_layout()?;
        if access == Access::Write {
            store.lock(options.wait)?;
            store.prepare_writes()?;
        }
        Ok(store)
    }

    fn key(&self, rest: &str) -> String {
        format!("{}{rest}", self.root)
    }

    fn version_key(&self, generation: u64, id: u64) -> String {
        self.key(&format!("g/{generation:020}/v/{id:020}"))
    }

    fn parts_prefix(&self, generation: u64, id: u64) -> String {
        self.key(&format!("g/{generation:020}/p/{id:020}/"))
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

    /// Reads the format, the head and every key's name at one revision, and checks that the
    /// prefix holds a registry or nothing.
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
        let at = |options: GetOptions| options.with_revision(revision);
        let format_key = self.key("format");
        let head_key = self.key("head");
        let has = |key: &str| names.iter().any(|name| name == key);
        if !has(&format_key) {
            if let Some(other) = names
                .iter()
                .find(|name| !name.starts_with(&self.key("lock/")))
            {
                bail!(
                    "{}: the key {other} is not part of a registry store ({format_key} is \
                     missing): the prefix holds something else; choose another prefix",
                    self.name
                );
            }
            return Ok(Layout {
                head: None,
                revision,
                stale: false,
            });
        }
        let format = self.get_value(&format_key, at(GetOptions::new()))?;
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
        let (head, head_revision) = self.get_head(at(GetOptions::new()))?;
        let generation = self.key(&format!("g/{:020}/", head.generation));
        for name in &names {
            let known = *name == format_key
                || *name == head_key
                || name.starts_with(&self.key("lock/"))
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
        let stale = names
            .iter()
            .any(|name| name.starts_with(&self.key("g/")) && !name.starts_with(&generation));
        Ok(Layout {
            head: Some((head, head_revision)),
            revision,
            stale,
        })
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

    /// Every version of `head`'s generation at `revision`, checked.
    fn read_versions(&self, head: &HeadRecord, revision: i64) -> Result<Vec<VersionRecord>> {
        let start = self.version_key(head.generation, 0);
        let end = self.key(&format!("g/{:020}/w", head.generation));
        let mut versions = Vec::new();
        let mut from = start;
        loop {
            let options = GetOptions::new()
                .with_range(end.clone())
                .with_limit(VERSIONS_PER_PAGE)
                .with_revision(revision);
            let page = self.call("read the versions in", |mut kv, _| {
                let (from, options) = (from.clone(), options.clone());
                async move { kv.get(from, Some(options)).await }
            })?;
            for kv in page.kvs() {
                let key = String::from_utf8_lossy(kv.key()).into_owned();
                versions.push(self.version_from(head.generation, &key, kv.value(), revision)?);
            }
            match page.kvs().last() {
                Some(last) if page.more() => {
                    let mut next = last.key().to_vec();
                    next.push(0);
                    from = String::from_utf8_lossy(&next).into_owned();
                }
                _ => return Ok(versions),
            }
        }
    }

    fn version_from(
        &self,
        generation: u64,
        key: &str,
        value: &[u8],
        revision: i64,
    ) -> Result<VersionRecord> {
        let damaged = |what: &str| {
            anyhow!(
                "{}: the key {key} is damaged or was changed outside registry-host ({what})",
                self.name
            )
        };
        let entry: VersionEntry =
            serde_json::from_slice(value).map_err(|e| damaged(&format!("not a version: {e}")))?;
        ensure!(
            *key == self.version_key(generation, entry.id),
            damaged("its id does not match its key")
        );
        let ops_text = match (entry.ops, entry.parts) {
            (Some(ops), None) => ops,
            (None, Some(parts)) => self.read_parts(generation, entry.id, parts, revision)?,
            _ => bail!(damaged("it has neither operations nor parts")),
        };
        let record = VersionRecord {
            id: entry.id,
            parent: entry.parent,
            time_ms: entry.time_ms,
            ops: serde_json::from_str(&ops_text)
                .map_err(|e| damaged(&format!("its operations are not a JSON array: {e}")))?,
        };
        ensure!(
            entry.checksum == version_checksum(&record, &ops_text),
            damaged("it does not match its checksum")
        );
        Ok(record)
    }

    fn read_parts(&self, generation: u64, id: u64, parts: u32, revision: i64) -> Result<String> {
        let prefix = self.parts_prefix(generation, id);
        let mut text = Vec::new();
        for part in 0..parts {
            let key = format!("{prefix}{part:06}");
            text.extend(self.get_value(&key, GetOptions::new().with_revision(revision))?);
        }
        String::from_utf8(text).map_err(|_| {
            anyhow!(
                "{}: the parts under {prefix} are damaged (not UTF-8)",
                self.name
            )
        })
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

    /// Under the lock: reads the head (creating the store in an empty prefix), and clears what
    /// a writer that died left behind (another generation of an unfinished import).
    fn prepare_writes(&mut self) -> Result<()> {
        let layout = self.read_layout()?;
        let (head, head_revision) = match layout.head {
            Some(head) => head,
            None => self.create()?,
        };
        let current = self.key(&format!("g/{:020}/", head.generation));
        let writer = self.writer.as_mut().context("no lock is held")?;
        writer.head = head;
        writer.head_revision = head_revision;
        let ranges = [
            (self.key("g/"), current.clone()),
            (prefix_end(&current), prefix_end(&self.key("g/"))),
        ];
        for (from, to) in ranges.into_iter().filter(|_| layout.stale) {
            self.write("clear an unfinished import in", |when| {
                Txn::new().when(when).and_then(vec![TxnOp::delete(
                    from.clone(),
                    Some(etcd_client::DeleteOptions::new().with_range(to.clone())),
                )])
            })?;
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
        let (version_key, value) = self.entry(1, &v0, None)?;
        let lease_compare = self.lease_compare()?;
        let txn = Txn::new()
            .when(vec![
                lease_compare,
                Compare::create_revision(self.key("format"), CompareOp::Equal, 0),
            ])
            .and_then(vec![
                TxnOp::put(self.key("format"), format, None),
                TxnOp::put(self.key("head"), serde_json::to_string(&head)?, None),
                TxnOp::put(version_key, value, None),
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

    /// A version's key and value; its operations' text goes to parts when `parts` is given.
    fn entry(
        &self,
        generation: u64,
        version: &VersionRecord,
        parts: Option<u32>,
    ) -> Result<(String, String)> {
        let ops = serde_json::to_string(&version.ops)?;
        let entry = VersionEntry {
            id: version.id,
            parent: version.parent,
            time_ms: version.time_ms,
            checksum: version_checksum(version, &ops),
            ops: parts.is_none().then_some(ops),
            parts,
        };
        Ok((
            self.version_key(generation, version.id),
            serde_json::to_string(&entry)?,
        ))
    }

    /// Runs a transaction built on the writer's conditions (the lock held, head unchanged),
    /// and notes the head's new revision when it moves head.
    fn write(&mut self, doing: &str, build: impl Fn(Vec<Compare>) -> Txn) -> Result<i64> {
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

    /// Writes a version's parts, if it needs them, where nothing refers to them yet.
    fn write_parts(&mut self, generation: u64, version: &VersionRecord) -> Result<Option<u32>> {
        let ops = serde_json::to_string(&version.ops)?;
        if ops.len() <= PART_BYTES {
            return Ok(None);
        }
        let prefix = self.parts_prefix(generation, version.id);
        let chunks = ops.as_bytes().chunks(PART_BYTES);
        let count = u32::try_from(chunks.len())?;
        self.write("clear old parts in", |when| {
            Txn::new().when(when).and_then(vec![TxnOp::delete(
                prefix.clone(),
                Some(etcd_client::DeleteOptions::new().with_prefix()),
            )])
        })?;
        for (part, chunk) in chunks.enumerate() {
            let key = format!("{prefix}{part:06}");
            self.write(&format!("save a part of v{} in", version.id), |when| {
                Txn::new()
                    .when(when)
                    .and_then(vec![TxnOp::put(key.clone(), chunk.to_vec(), None)])
            })?;
        }
        Ok(Some(count))
    }

    /// Writes a new head record with the version puts `ops`, in one transaction.
    fn move_head(&mut self, doing: &str, head: HeadRecord, ops: Vec<TxnOp>) -> Result<()> {
        let head_key = self.key("head");
        let head_value = serde_json::to_string(&head)?;
        let written = self.write(doing, |when| {
            let mut ops = ops.clone();
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
        Ok(())
    }

    fn writer_head(&self) -> Result<HeadRecord> {
        Ok(self
            .writer
            .as_ref()
            .context("no lock is held")?
            .head
            .clone())
    }
}

/// What [`EtcdStore::read_layout`] found.
struct Layout {
    /// The head record and its mod revision; none in an empty prefix.
    head: Option<(HeadRecord, i64)>,
    revision: i64,
    /// Whether keys of another generation (an import that did not finish) are left.
    stale: bool,
}

/// Whether `rest`, a key under the head's generation, is a version up to `latest` or a part.
fn known_in_generation(rest: &str, latest: u64) -> bool {
    let digits =
        |text: &str, len: usize| text.len() == len && text.bytes().all(|b| b.is_ascii_digit());
    if let Some(id) = rest.strip_prefix("v/") {
        return digits(id, 20) && id.parse::<u64>().is_ok_and(|id| id <= latest);
    }
    rest.strip_prefix("p/")
        .and_then(|rest| rest.split_once('/'))
        .is_some_and(|(id, part)| digits(id, 20) && digits(part, 6))
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

impl EtcdStore {
    /// The history, read whole at one revision on first use and kept until this store writes.
    fn loaded(&self) -> Result<Ref<'_, HistoryExport>> {
        if self.loaded.borrow().is_none() {
            let history = self.read_history()?;
            *self.loaded.borrow_mut() = Some(history);
        }
        Ok(Ref::map(self.loaded.borrow(), |history| {
            history.as_ref().expect("loaded above")
        }))
    }

    /// Every version and the head, read at one revision and checked.
    fn read_history(&self) -> Result<HistoryExport> {
        let layout = self.read_layout()?;
        let Some((head, _)) = layout.head else {
            return Ok(HistoryExport::new(
                0,
                vec![VersionRecord {
                    id: 0,
                    parent: None,
                    time_ms: self.now_ms,
                    ops: Vec::new(),
                }],
            ));
        };
        let versions = self.read_versions(&head, layout.revision)?;
        check_structure(&versions, head.head).with_context(|| self.name.clone())?;
        ensure!(
            versions.len() as u64 == head.latest + 1,
            "{}: the head record names v{} as the latest version, but v{} is the last stored",
            self.name,
            head.latest,
            versions.len().saturating_sub(1)
        );
        Ok(HistoryExport::new(head.head, versions))
    }
}

impl RegistryStore for EtcdStore {
    fn name(&self) -> &str {
        &self.name
    }

    fn listing(&self) -> Result<VersionList> {
        Ok(listing_of(&*self.loaded()?))
    }

    fn ops_json(&self, versions: &[VersionId]) -> Result<String> {
        ops_json_of(&*self.loaded()?, versions, &self.name)
    }

    fn checkpoint_versions(&self) -> Result<Vec<VersionId>> {
        Ok(Vec::new())
    }

    fn checkpoint(&self, version: VersionId) -> Result<Vec<u8>> {
        bail!(
            "{}: an etcd store holds no checkpoint (of v{version})",
            self.name
        )
    }

    /// etcd keeps no checkpoint yet: a registry opened on it is built from v0 as it is read.
    fn save_checkpoint(&mut self, _version: VersionId, _bytes: &[u8]) -> Result<()> {
        Ok(())
    }

    fn verify(&self) -> Result<()> {
        self.loaded().map(drop)
    }

    fn hold_snapshot(&self) -> Result<()> {
        self.loaded().map(drop)
    }

    fn size(&self) -> Result<u64> {
        Ok(serde_json::to_vec(&*self.loaded()?)?.len() as u64)
    }

    fn head(&self) -> Result<u64> {
        if let Some(writer) = &self.writer {
            return Ok(writer.head.head);
        }
        Ok(match self.read_layout()?.head {
            Some((head, _)) => head.head,
            None => 0,
        })
    }

    fn commit(&mut self, version: &VersionRecord) -> Result<()> {
        self.loaded.get_mut().take();
        let head = self.writer_head()?;
        ensure!(
            version.id == head.latest + 1,
            "{}: v{} cannot follow v{}, the latest stored version",
            self.name,
            version.id,
            head.latest
        );
        let parts = self.write_parts(head.generation, version)?;
        let (key, value) = self.entry(head.generation, version, parts)?;
        self.move_head(
            &format!("save v{} in", version.id),
            HeadRecord::new(head.generation, version.id, version.id),
            vec![TxnOp::put(key, value, None)],
        )
    }

    fn set_head(&mut self, head: u64) -> Result<()> {
        self.loaded.get_mut().take();
        let current = self.writer_head()?;
        ensure!(
            head <= current.latest,
            "{}: v{head} is not a stored version",
            self.name
        );
        self.move_head(
            "save the head in",
            HeadRecord::new(current.generation, head, current.latest),
            Vec::new(),
        )
    }

    /// Writes no checkpoint (see [`RegistryStore::save_checkpoint`] above).
    fn replace(
        &mut self,
        history: &HistoryExport,
        _checkpoints: &[(VersionId, Vec<u8>)],
    ) -> Result<()> {
        self.loaded.get_mut().take();
        let old = self.writer_head()?;
        let generation = old.generation + 1;
        let mut batch = Vec::new();
        let mut batch_bytes = 0;
        for version in &history.versions {
            let parts = self.write_parts(generation, version)?;
            let (key, value) = self.entry(generation, version, parts)?;
            let full = batch.len() == VERSIONS_PER_TXN || batch_bytes + value.len() > PART_BYTES;
            if full && !batch.is_empty() {
                let ops = std::mem::take(&mut batch);
                self.write("import into", |when| {
                    Txn::new().when(when).and_then(ops.clone())
                })?;
                batch_bytes = 0;
            }
            batch_bytes += key.len() + value.len();
            batch.push(TxnOp::put(key, value, None));
        }
        let latest = history.versions.len().saturating_sub(1) as u64;
        self.move_head(
            "import into",
            HeadRecord::new(generation, history.head, latest),
            batch,
        )?;
        let old_generation = self.key(&format!("g/{:020}/", old.generation));
        self.write("clear the replaced history in", |when| {
            Txn::new().when(when).and_then(vec![TxnOp::delete(
                old_generation.clone(),
                Some(etcd_client::DeleteOptions::new().with_prefix()),
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
        self.loaded.get_mut().take();
        let key = self.key("head");
        let start = marker + 1;
        let mut client = self.client.clone();
        let endpoints = self.endpoints.clone();
        let timeout = self.timeout;
        self.runtime.block_on(async move {
            let lost = |error: &dyn fmt::Display| {
                unreachable_error(&endpoints, timeout, &error.to_string())
            };
            let options = WatchOptions::new().with_start_revision(start);
            let mut stream = tokio::time::timeout(timeout, client.watch(key, Some(options)))
                .await
                .map_err(|_| lost(&"no answer"))?
                .map_err(|error| lost(&error))?;
            loop {
                match stream.message().await {
                    Ok(Some(answer)) if answer.canceled() || !answer.events().is_empty() => {
                        return Ok(());
                    }
                    Ok(Some(_)) => {}
                    Ok(None) => return Err(lost(&"the watch ended")),
                    Err(error) => return Err(lost(&error)),
                }
            }
        })
    }
}
