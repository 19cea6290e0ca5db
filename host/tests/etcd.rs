//! The etcd store against real etcd processes (see `common/etcd.rs`): hosts writing concurrently,
//! a cluster losing a member, writers killed or cut off while they hold the lock, foreign or
//! damaged prefixes, an unreachable etcd, and a changeset larger than etcd's request limit.
//! Every verb's own behaviour also runs on etcd, in `cli.rs`.

mod common;

use std::collections::BTreeSet;
use std::path::Path;
use std::time::{Duration, Instant};

use common::etcd::Etcd;
use common::{CHILD_DEADLINE, CREATE, Spawned, host, run_host};
use serde_json::Value;

/// A short lease, so that a killed writer frees the lock quickly (other tests keep the default
/// 10 s, which a loaded machine cannot miss).
const SHORT_LEASE: &str = "3s";

/// Creates `c:counter` at 0.
const SETUP: &str = r#"assert(require("registry").snapshot():changes()
    :create({id = "c:counter", kind = "counter", data = {n = 0}}):apply())"#;

/// `--store URL ARGS`.
fn on<'a>(url: &'a str, args: &[&'a str]) -> Vec<&'a str> {
    let mut all = vec!["--store", url];
    all.extend_from_slice(args);
    all
}

fn write(dir: &Path, name: &str, source: &str) {
    std::fs::write(dir.join(name), source).expect("a writable temporary folder");
}

fn ok(dir: &Path, args: &[&str]) -> String {
    let outcome = run_host(dir, args);
    assert_eq!(outcome.code, Some(0), "registry-host {args:?}: {outcome:?}");
    outcome.stdout
}

fn export(dir: &Path, url: &str) -> Value {
    serde_json::from_str(&ok(dir, &on(url, &["export", "-"]))).expect("export writes JSON")
}

/// Increments `c:counter` and creates `w<writer>:<run>`; prints the new version's id.
fn increment(writer: usize, run: usize) -> String {
    format!(
        r#"local r = require("registry")
local n = r.get("c:counter").data.n
local v = assert(r.snapshot():changes()
    :update({{id = "c:counter", kind = "counter", data = {{n = n + 1}}}})
    :create({{id = "w{writer}:{run}", kind = "run"}})
    :apply())
print(v:id())
"#
    )
}

/// Two hosts running `runs` runs each at once, after [`SETUP`] (v1), while `during` runs;
/// returns the ids the runs printed.
fn two_writers(dir: &Path, url: &str, runs: usize, during: impl FnOnce()) -> Vec<u64> {
    write(dir, "setup.lua", SETUP);
    ok(dir, &on(url, &["run", "setup.lua"]));
    let writers: Vec<_> = (0..2)
        .map(|writer| {
            let (dir, url) = (dir.to_owned(), url.to_owned());
            std::thread::spawn(move || {
                (0..runs)
                    .map(|run| {
                        let name = format!("w{writer}-{run}.lua");
                        write(&dir, &name, &increment(writer, run));
                        let outcome = run_host(&dir, &on(&url, &["--wait", "60s", "run", &name]));
                        assert_eq!(
                            (outcome.code, outcome.stderr.as_str()),
                            (Some(0), ""),
                            "writer {writer}, run {run}: {outcome:?}"
                        );
                        outcome.stdout.trim().parse::<u64>().expect("a version id")
                    })
                    .collect::<Vec<u64>>()
            })
        })
        .collect();
    during();
    writers
        .into_iter()
        .flat_map(|writer| writer.join().expect("a writer thread"))
        .collect()
}

/// The history holds v0, v1 and exactly one version per run, each on the one before, with
/// every run's entry and a counter that lost no increment.
fn assert_linear(dir: &Path, url: &str, ids: &[u64], runs: usize) {
    let total = 2 * runs as u64;
    let unique: BTreeSet<u64> = ids.iter().copied().collect();
    assert_eq!(
        unique,
        (2..=total + 1).collect(),
        "each run committed once: {ids:?}"
    );
    let history = export(dir, url);
    let versions = history["versions"].as_array().expect("versions");
    assert_eq!(versions.len() as u64, total + 2, "v0, v1 and one per run");
    assert_eq!(history["head"], total + 1);
    for (id, version) in versions.iter().enumerate().skip(1) {
        assert_eq!(
            version["parent"],
            id as u64 - 1,
            "v{id} is on the one before"
        );
    }
    let entries = ok(dir, &on(url, &["show"]));
    for writer in 0..2 {
        for run in 0..runs {
            let id = format!("\"id\":\"w{writer}:{run}\"");
            assert!(entries.contains(&id), "w{writer}:{run} is stored");
        }
    }
    let counter = format!("{{\"data\":{{\"n\":{total}}},\"id\":\"c:counter\"");
    assert!(
        entries.contains(&counter),
        "no increment was lost: {entries}"
    );
}

#[test]
fn two_hosts_writing_at_once_make_one_linear_history() {
    let etcd = Etcd::start();
    let dir = tempfile::tempdir().expect("a temporary folder");
    let url = etcd.url("shared");
    let ids = two_writers(dir.path(), &url, 20, || {});
    assert_linear(dir.path(), &url, &ids, 20);
}

#[test]
fn a_cluster_member_killed_during_writes_loses_nothing_and_catches_up() {
    let mut etcd = Etcd::cluster(3);
    let dir = tempfile::tempdir().expect("a temporary folder");
    let dir = dir.path();
    let url = etcd.url("shared");
    let first_member = etcd.endpoints().split(',').next().map(str::to_owned);
    let first_member = format!("etcd://{}/shared", first_member.unwrap_or_default());
    let ids = two_writers(dir, &url, 20, || {
        let started = Instant::now();
        while export(dir, &url)["head"].as_u64() < Some(8) {
            assert!(started.elapsed() < Duration::from_secs(60), "writes go on");
            std::thread::sleep(Duration::from_millis(50));
        }
        etcd.kill(0);
    });
    assert_linear(dir, &url, &ids, 20);
    etcd.restart(0);
    let expected = export(dir, &url);
    let started = Instant::now();
    // The restarted member catches up: read from it alone.
    while export(dir, &first_member) != expected {
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "member 0 catches up"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

#[test]
fn a_writer_killed_holding_the_lock_frees_it_within_the_lease() {
    let etcd = Etcd::start();
    let dir = tempfile::tempdir().expect("a temporary folder");
    let dir = dir.path();
    let url = etcd.url("crash");
    write(dir, "setup.lua", SETUP);
    write(
        dir,
        "hold.lua",
        &format!("{}\nprint('committed')\nwhile true do end", increment(0, 0)),
    );
    ok(dir, &on(&url, &["run", "setup.lua"]));
    let mut holder = spawn(
        dir,
        &on(
            &url,
            &[
                "--lease-ttl",
                SHORT_LEASE,
                "run",
                "--timeout",
                "60s",
                "hold.lua",
            ],
        ),
    );
    for _ in 0..2 {
        holder.next_line(LINE_DEADLINE, "the holder's v2 and `committed`");
    }
    holder.kill();
    let killed = Instant::now();
    write(dir, "next.lua", &increment(1, 0));
    let next = ok(dir, &on(&url, &["--wait", "30s", "run", "next.lua"]));
    let waited = killed.elapsed();
    assert_eq!(
        next, "3\n",
        "the next writer builds on the killed writer's v2"
    );
    assert!(
        waited < Duration::from_secs(3 + 5),
        "waited {waited:?} for a 3 s lease"
    );
    let history = export(dir, &url);
    assert_eq!(history["versions"].as_array().map(Vec::len), Some(4));
}

#[test]
fn a_writer_that_lost_its_lease_stops_and_stores_nothing_more() {
    let etcd = Etcd::start();
    let dir = tempfile::tempdir().expect("a temporary folder");
    let dir = dir.path();
    let url = etcd.url("lost");
    write(dir, "setup.lua", SETUP);
    ok(dir, &on(&url, &["run", "setup.lua"]));
    // Commits v2, then v3 after a pause in which its lease is revoked.
    let pause = "local t = os.clock() while os.clock() - t < 2 do end";
    write(
        dir,
        "two.lua",
        &format!(
            "{}\nprint('committed')\n{pause}\n{}",
            increment(0, 0),
            increment(0, 1)
        ),
    );
    let mut writer = spawn(dir, &on(&url, &["run", "two.lua"]));
    for _ in 0..2 {
        writer.next_line(LINE_DEADLINE, "the writer's v2 and `committed`");
    }
    assert_eq!(etcd.revoke_leases(), 1, "the writer's lease");
    let outcome = writer.finish(CHILD_DEADLINE, "the writer that lost its lease to stop");
    assert_eq!(outcome.code, Some(2), "{outcome:?}");
    assert!(
        outcome.stderr.contains(&format!(
            "error: {url}: this registry-host lost the writers' lock (its lease of 10s expired"
        )),
        "{outcome:?}"
    );
    let history = export(dir, &url);
    assert_eq!(
        history["head"], 2,
        "v2 was stored before the lease was lost, v3 not"
    );
    assert_eq!(history["versions"].as_array().map(Vec::len), Some(3));
}

#[test]
fn a_prefix_holding_something_else_is_refused_and_left_as_it_is() {
    let etcd = Etcd::start();
    let dir = tempfile::tempdir().expect("a temporary folder");
    let dir = dir.path();
    etcd.put("/app/config", "not a registry");
    let url = etcd.url("app");
    write(dir, "create.lua", CREATE);
    for args in [&["run", "create.lua"][..], &["log"], &["checkout", "v0"]] {
        let outcome = run_host(dir, &on(&url, args));
        assert_eq!(outcome.code, Some(2), "{args:?}: {outcome:?}");
        assert_eq!(
            outcome.stderr,
            format!(
                "error: {url}: the key /app/config is not part of a registry store \
                 (/app/format is missing): the prefix holds something else; choose another \
                 prefix\n"
            )
        );
    }
    assert_eq!(etcd.keys("/app/"), ["/app/config"], "nothing was written");
}

#[test]
fn a_damaged_record_is_refused_naming_its_key_and_nothing_is_written() {
    let etcd = Etcd::start();
    let dir = tempfile::tempdir().expect("a temporary folder");
    let dir = dir.path();
    let url = etcd.url("reg");
    write(dir, "create.lua", CREATE);
    ok(dir, &on(&url, &["run", "create.lua"]));
    let key = "/reg/g/00000000000000000001/v/00000000000000000001";
    let entries = etcd.entries(0, key);
    let value = String::from_utf8_lossy(&entries[0].1).replace("\"ops\":2", "\"ops\":3");
    etcd.put(key, value);
    let before = etcd.entries(0, "/reg/");
    write(dir, "more.lua", &increment(0, 0));
    for args in [&["log"][..], &["run", "more.lua"], &["export", "-"]] {
        let outcome = run_host(dir, &on(&url, args));
        assert_eq!(outcome.code, Some(2), "{args:?}: {outcome:?}");
        assert_eq!(
            outcome.stderr,
            format!(
                "error: {url}: the key {key} is damaged or was changed outside registry-host \
                 (it does not match its checksum)\n"
            )
        );
    }
    assert_eq!(
        without_lock(etcd.entries(0, "/reg/")),
        without_lock(before),
        "nothing was written"
    );

    etcd.put(
        "/reg/format",
        r#"{"format":"luau-registry-etcd","version":3}"#,
    );
    let outcome = run_host(dir, &on(&url, &["log"]));
    assert_eq!(outcome.code, Some(2));
    assert!(
        outcome
            .stderr
            .contains("newer than this registry-host reads"),
        "{outcome:?}"
    );
}

#[test]
fn a_store_of_the_first_layout_is_refused_naming_export_and_import() {
    let etcd = Etcd::start();
    let dir = tempfile::tempdir().expect("a temporary folder");
    let dir = dir.path();
    let url = etcd.url("old");
    write(dir, "create.lua", CREATE);
    ok(dir, &on(&url, &["run", "create.lua"]));
    etcd.put(
        "/old/format",
        r#"{"format":"luau-registry-etcd","version":1}"#,
    );
    let before = etcd.entries(0, "/old/");
    for args in [&["log"][..], &["run", "create.lua"], &["checkout", "v0"]] {
        let outcome = run_host(dir, &on(&url, args));
        assert_eq!(outcome.code, Some(2), "{args:?}: {outcome:?}");
        assert_eq!(
            outcome.stderr,
            format!(
                "error: {url}: the store has format version 1, which this registry-host no \
                 longer reads (it reads version 2): `export` it with the registry-host that \
                 wrote it, then `import` that file with this one into an empty prefix\n"
            )
        );
    }
    assert_eq!(
        without_lock(etcd.entries(0, "/old/")),
        without_lock(before),
        "nothing was written"
    );
}

/// Creates `item:1` to `item:N` in one changeset (with N of 10,000 or more, the host writes a
/// checkpoint of the version after the run).
fn items(n: usize) -> String {
    format!(
        r#"local c = require("registry").snapshot():changes()
for i = 1, {n} do c:create({{id = "item:" .. i, kind = "item", data = {{n = i}}}}) end
assert(c:apply())"#
    )
}

/// The host's threshold for a new checkpoint, in operations.
const CHECKPOINT_AFTER_OPS: usize = 10_000;

/// Every entry but the writers' lock (a writer that stopped takes its lock with it).
fn without_lock(entries: Vec<(String, Vec<u8>)>) -> Vec<(String, Vec<u8>)> {
    entries
        .into_iter()
        .filter(|(key, _)| !key.contains("/lock/"))
        .collect()
}

#[test]
fn a_history_past_the_checkpoint_reads_the_same_on_etcd_as_on_sqlite() {
    let etcd = Etcd::start();
    let dir = tempfile::tempdir().expect("a temporary folder");
    let dir = dir.path();
    let url = etcd.url("reg");
    let stores = [vec!["--state", "reg.db"], vec!["--store", url.as_str()]];
    write(dir, "items.lua", &items(CHECKPOINT_AFTER_OPS));
    write(dir, "create.lua", CREATE);
    write(
        dir,
        "more.lua",
        r#"local c = require("registry").snapshot():changes()
for i = 1, 3 do c:create({id = "more:" .. i, kind = "more"}) end
assert(c:apply())"#,
    );
    for store in &stores {
        for script in ["items.lua", "create.lua"] {
            ok(
                dir,
                &[&store[..], &["run", "--timeout", "60s", script]].concat(),
            );
        }
        ok(dir, &[&store[..], &["checkout", "v1"]].concat());
        ok(dir, &[&store[..], &["run", "more.lua"]].concat());
    }
    let record = etcd.entries(0, "/reg/g/00000000000000000001/checkpoint");
    let record: Value = serde_json::from_slice(&record[0].1).expect("a JSON record");
    assert_eq!(
        record["version"], 1,
        "the run past the threshold left a checkpoint of v1"
    );
    assert!(
        !etcd
            .keys("/reg/g/00000000000000000001/c/00000000000000000001/")
            .is_empty(),
        "its bytes"
    );
    let verbs: [&[&str]; 7] = [
        &["log"],
        &["show"],
        &["show", "v2", "--where", ".kind=service"],
        &["show", "v1", "--where", ".id=item:9999"],
        &["diff", "v2", "v3"],
        &["diff", "v0", "v3"],
        &["export", "-"],
    ];
    for verb in verbs {
        let [sqlite, etcd] = [0, 1].map(|i| ok(dir, &[&stores[i][..], verb].concat()));
        assert!(!sqlite.is_empty(), "{verb:?} printed something");
        assert_eq!(sqlite, etcd, "{verb:?} prints the same on both stores");
    }
    let log = ok(dir, &on(&url, verbs[0]));
    assert_eq!(
        log,
        "* v3  2026-01-01T00:00:00Z  3 ops      parent v1\n  \
         v2  2026-01-01T00:00:00Z  2 ops      parent v1\n  \
         v1  2026-01-01T00:00:00Z  10000 ops  parent v0\n  \
         v0  2026-01-01T00:00:00Z  0 ops      root\n"
    );
}

#[test]
fn a_store_is_opened_reading_only_what_the_command_needs() {
    let etcd = Etcd::start();
    let dir = tempfile::tempdir().expect("a temporary folder");
    let dir = dir.path();
    let url = etcd.url("reg");
    write(dir, "create.lua", CREATE);
    write(dir, "items.lua", &items(CHECKPOINT_AFTER_OPS));
    ok(dir, &on(&url, &["run", "create.lua"]));
    ok(dir, &on(&url, &["run", "--timeout", "60s", "items.lua"]));
    // v1's operations damaged: only a command that reads them can notice.
    let part = "/reg/g/00000000000000000001/o/00000000000000000001/000000";
    let value = String::from_utf8_lossy(&etcd.entries(0, part)[0].1).replace("8080", "8081");
    etcd.put(part, value);
    let log = ok(dir, &on(&url, &["log"]));
    assert!(
        log.starts_with("* v2  2026-01-01T00:00:00Z  10000 ops  parent v1\n"),
        "{log}"
    );
    // v2's state comes from its checkpoint: no operation of v1 or v2 is read.
    let shown = ok(dir, &on(&url, &["show", "--where", ".kind=service"]));
    assert_eq!(
        shown,
        "{\"data\":{\"port\":8080},\"id\":\"svc:api\",\"kind\":\"service\",\"meta\":{}}\n"
    );
    let damaged = format!(
        "{url}: the operations of v1 under /reg/g/00000000000000000001/o/00000000000000000001/ \
         are damaged or were changed outside registry-host (they do not match the checksum in \
         /reg/g/00000000000000000001/v/00000000000000000001)"
    );
    let before = etcd.entries(0, "/reg/");
    write(dir, "more.lua", &items(1));
    for args in [&["show", "v1"][..], &["export", "-"], &["run", "more.lua"]] {
        let outcome = run_host(dir, &on(&url, args));
        assert_eq!(outcome.code, Some(2), "{args:?}: {outcome:?}");
        assert!(outcome.stderr.contains(&damaged), "{args:?}: {outcome:?}");
        assert_eq!(outcome.stdout, "", "{args:?}");
    }
    assert_eq!(
        without_lock(etcd.entries(0, "/reg/")),
        without_lock(before),
        "nothing was written"
    );
}

#[test]
fn a_new_checkpoint_replaces_the_old_and_a_writer_clears_what_a_stopped_one_left() {
    let etcd = Etcd::start();
    let dir = tempfile::tempdir().expect("a temporary folder");
    let dir = dir.path();
    let url = etcd.url("reg");
    let generation = "/reg/g/00000000000000000001/";
    write(dir, "items.lua", &items(CHECKPOINT_AFTER_OPS));
    ok(dir, &on(&url, &["run", "--timeout", "60s", "items.lua"]));
    write(
        dir,
        "more.lua",
        &format!(
            r#"local c = require("registry").snapshot():changes()
for i = 1, {CHECKPOINT_AFTER_OPS} do c:update({{id = "item:" .. i, kind = "item", data = {{n = -i}}}}) end
assert(c:apply())"#
        ),
    );
    ok(dir, &on(&url, &["run", "--timeout", "60s", "more.lua"]));
    let checkpoints = |store: &Etcd| -> BTreeSet<String> {
        store
            .keys(&format!("{generation}c/"))
            .iter()
            .filter_map(|key| key.split('/').nth(5).map(str::to_owned))
            .collect()
    };
    assert_eq!(
        checkpoints(&etcd),
        BTreeSet::from(["00000000000000000002".to_owned()]),
        "v2's checkpoint replaced v1's"
    );
    // What a writer stopped mid-way leaves: parts of a v3 and of a checkpoint never recorded.
    let stray = [
        format!("{generation}o/00000000000000000003/000001"),
        format!("{generation}c/00000000000000000001/000000"),
    ];
    for key in &stray {
        etcd.put(key, "left");
    }
    let shown = ok(dir, &on(&url, &["show", "--where", ".id=item:7"]));
    assert_eq!(
        shown,
        "{\"data\":{\"n\":-7},\"id\":\"item:7\",\"kind\":\"item\",\"meta\":{}}\n"
    );
    write(dir, "create.lua", CREATE);
    ok(dir, &on(&url, &["run", "create.lua"]));
    let keys = etcd.keys("/reg/");
    for key in &stray[1..] {
        assert!(!keys.contains(key), "{key} was cleared");
    }
    let v3 = format!("{generation}o/00000000000000000003/000000");
    assert_ne!(
        etcd.entries(0, &v3)[0].1,
        b"left",
        "v3's operations are the run's"
    );
    assert_eq!(
        ok(dir, &on(&url, &["show", "--where", ".kind=service"])),
        "{\"data\":{\"port\":8080},\"id\":\"svc:api\",\"kind\":\"service\",\"meta\":{}}\n"
    );
}

#[test]
fn a_damaged_checkpoint_is_refused_naming_its_keys_and_nothing_is_written() {
    let etcd = Etcd::start();
    let dir = tempfile::tempdir().expect("a temporary folder");
    let dir = dir.path();
    let url = etcd.url("reg");
    write(dir, "items.lua", &items(CHECKPOINT_AFTER_OPS));
    ok(dir, &on(&url, &["run", "--timeout", "60s", "items.lua"]));
    let record = "/reg/g/00000000000000000001/checkpoint";
    let parts = "/reg/g/00000000000000000001/c/00000000000000000001/";
    let part = format!("{parts}000000");
    let mut bytes = etcd.entries(0, &part)[0].1.clone();
    let last = bytes.len() - 1;
    bytes[last] ^= 1;
    etcd.put(&part, bytes);
    let before = etcd.entries(0, "/reg/");
    // The listing reads no checkpoint.
    ok(dir, &on(&url, &["log"]));
    write(dir, "more.lua", &items(1));
    for args in [&["show"][..], &["run", "more.lua"], &["export", "-"]] {
        let outcome = run_host(dir, &on(&url, args));
        assert_eq!(outcome.code, Some(2), "{args:?}: {outcome:?}");
        assert!(
            outcome.stderr.contains(&format!(
                "{url}: the checkpoint under {parts} is damaged or was changed outside \
                 registry-host (it does not match the checksum in {record})"
            )),
            "{args:?}: {outcome:?}"
        );
        assert_eq!(outcome.stdout, "", "{args:?}");
    }
    assert_eq!(
        without_lock(etcd.entries(0, "/reg/")),
        without_lock(before),
        "nothing was written"
    );

    let value = String::from_utf8_lossy(&etcd.entries(0, record)[0].1)
        .replace("\"version\":1", "\"version\":99");
    etcd.put(record, value);
    let before = etcd.entries(0, "/reg/");
    for args in [&["log"][..], &["run", "more.lua"]] {
        let outcome = run_host(dir, &on(&url, args));
        assert_eq!(outcome.code, Some(2), "{args:?}: {outcome:?}");
        assert_eq!(
            outcome.stderr,
            format!(
                "error: {url}: the key {record} is damaged or was changed outside registry-host \
                 (it names v99 as the checkpoint's version, which is not in the history of v0 \
                 to v1)\n"
            ),
            "{args:?}"
        );
    }
    assert_eq!(
        without_lock(etcd.entries(0, "/reg/")),
        without_lock(before),
        "nothing was written"
    );
}

#[test]
fn a_stopped_etcd_fails_every_verb_within_the_timeout_naming_the_endpoint() {
    let mut etcd = Etcd::start();
    let dir = tempfile::tempdir().expect("a temporary folder");
    let dir = dir.path();
    let url = etcd.url("gone");
    write(dir, "create.lua", CREATE);
    ok(dir, &on(&url, &["run", "create.lua"]));
    ok(dir, &on(&url, &["export", "history.json"]));
    etcd.stop();
    let verbs: [&[&str]; 8] = [
        &["run", "create.lua"],
        &["log"],
        &["show"],
        &["diff", "v0", "v1"],
        &["checkout", "v0"],
        &["export", "-"],
        &["import", "history.json"],
        &["watch"],
    ];
    for verb in verbs {
        let mut args = vec!["--connect-timeout", "1s"];
        args.extend_from_slice(verb);
        let started = Instant::now();
        let outcome = run_host(dir, &on(&url, &args));
        let took = started.elapsed();
        assert_eq!(outcome.code, Some(2), "{verb:?}: {outcome:?}");
        assert!(
            outcome.stderr.starts_with(&format!(
                "error: cannot reach etcd at {} within 1s",
                etcd.endpoints()
            )),
            "{verb:?}: {outcome:?}"
        );
        assert!(took < Duration::from_secs(4), "{verb:?} took {took:?}");
    }
}

#[test]
fn a_changeset_larger_than_etcds_request_limit_is_split() {
    let etcd = Etcd::start();
    let dir = tempfile::tempdir().expect("a temporary folder");
    let dir = dir.path();
    let url = etcd.url("big");
    write(
        dir,
        "many.lua",
        r#"local c = require("registry").snapshot():changes()
for i = 1, 100000 do c:create({id = "item:" .. i, kind = "item", data = {n = i}}) end
assert(c:apply())"#,
    );
    ok(dir, &on(&url, &["run", "--timeout", "60s", "many.lua"]));
    let parts = etcd
        .keys("/big/g/00000000000000000001/o/00000000000000000001/")
        .len();
    assert!(parts > 1, "the operations were split into {parts} parts");
    let parts = etcd
        .keys("/big/g/00000000000000000001/c/00000000000000000001/")
        .len();
    assert!(
        parts > 1,
        "the checkpoint of v1 was split into {parts} parts"
    );
    let shown = ok(dir, &on(&url, &["show", "--where", ".id=item:100000"]));
    assert_eq!(
        shown,
        "{\"data\":{\"n\":100000},\"id\":\"item:100000\",\"kind\":\"item\",\"meta\":{}}\n"
    );
    let log = ok(dir, &on(&url, &["log"]));
    assert!(
        log.starts_with("* v1  2026-01-01T00:00:00Z  100000 ops  parent v0\n"),
        "{log}"
    );
}

#[test]
fn watch_sees_every_version_of_another_host_once_in_order_across_a_lost_connection() {
    let mut etcd = Etcd::start();
    let dir = tempfile::tempdir().expect("a temporary folder");
    let dir = dir.path();
    let url = etcd.url("watched");
    write(dir, "setup.lua", SETUP);
    ok(dir, &on(&url, &["run", "setup.lua"]));
    let mut watch = spawn(
        dir,
        &on(&url, &["--connect-timeout", "1s", "watch", "--from", "v1"]),
    );
    let commit = |run: usize| {
        write(dir, "inc.lua", &increment(0, run));
        ok(dir, &on(&url, &["run", "inc.lua"]));
    };
    let mut printed = Vec::new();
    commit(0);
    commit(1);
    for _ in 0..3 {
        printed.push(watch.next_line(LINE_DEADLINE, "watch to print v1 to v3"));
    }
    etcd.restart_all();
    commit(2);
    commit(3);
    for _ in 0..2 {
        printed.push(watch.next_line(LINE_DEADLINE, "watch to print v4 and v5 after a restart"));
    }
    let outcome = watch.kill();
    let ids: Vec<u64> = printed
        .iter()
        .map(|line| {
            let version: Value = serde_json::from_str(line).expect("a JSON line");
            assert_eq!(version["time"], "2026-01-01T00:00:00.000Z", "{line}");
            assert_eq!(
                version["parent"].as_u64(),
                version["id"].as_u64().map(|id| id - 1)
            );
            version["id"].as_u64().expect("an id")
        })
        .collect();
    assert_eq!(ids, [1, 2, 3, 4, 5], "{printed:?} {outcome:?}");
    assert!(
        printed[4].contains(r#""id":"c:counter","kind":"counter","meta":{},"data":{"n":4}"#),
        "{printed:?}"
    );
    assert!(outcome.stderr.contains("trying again"), "{outcome:?}");
}

/// How long a test waits for a line that a child process prints.
const LINE_DEADLINE: Duration = Duration::from_secs(30);

fn spawn(dir: &Path, args: &[&str]) -> Spawned {
    Spawned::new(host(dir).args(args))
}
