//! The commands: each opens the store, starts the module on the stored history, sends the
//! module's JSON requests and prints the answers.

use std::fmt::Write as _;
use std::io::{self, Read, Write};
use std::path::Path;
use std::process::ExitCode;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use anyhow::{Context, Result, anyhow, bail, ensure};
use registry_core::protocol::{
    FailureKind, Request, RunRequest, RunResult, ServiceError, VersionList, VersionSummary,
};
use registry_core::{Entry, ErrorKind, HistoryExport, Op, Registry, VersionRecord};
use serde::Serialize;

use crate::checkpoints;
use crate::cli::{Cli, Command, GlobalArgs, RunArgs};
use crate::engine::{ModuleSource, Runtime};
use crate::guest::{GrowthLimits, Guest, Stopped};
use crate::store::{
    self, Access, RegistryStore, SqliteStore, StoreLocation, StoreOptions, Unreachable,
};
use crate::terminal;

/// A script failed, or the registry refused the request.
const EXIT_REFUSED: u8 = 1;
/// A usage, file or store problem, or a module that broke the protocol.
const EXIT_PROBLEM: u8 = 2;
/// A time or memory limit stopped the script, or the module trapped.
const EXIT_STOPPED: u8 = 3;

/// Room for the module's own data beside Luau's heap: its code, stacks and static data.
const MODULE_HEADROOM: u64 = 64 << 20;
/// The module's allocator cannot move live objects: memory freed between survivors only serves
/// allocations that fit the gaps, so after a heap full of such garbage a large allocation needs
/// Luau's limit again (host/tests/limits.rs measures it). Twice the limit lets Luau's own,
/// catchable, out-of-memory error come first, as natively.
const LUAU_MEMORY_FACTOR: u64 = 2;
/// What the module loads of the store (operations, checkpoints) it holds decoded, with the
/// states they build: allow this many times the store's size.
const STORE_FACTOR: u64 = 12;
/// The 32-bit module cannot address more.
const MAX_MODULE_MEMORY: u64 = 4 << 30;

/// The host's own deadline comes this long after a run's time limit, plus a tenth of the limit:
/// the module's check normally stops the script first, with a clean error.
const GRACE: Duration = Duration::from_millis(250);

/// The exit status for an error that ended a command.
pub fn exit_code(error: &anyhow::Error) -> ExitCode {
    ExitCode::from(if error.downcast_ref::<Stopped>().is_some() {
        EXIT_STOPPED
    } else if error
        .downcast_ref::<ServiceError>()
        .is_some_and(|error| error.kind.is_refusal())
    {
        EXIT_REFUSED
    } else {
        EXIT_PROBLEM
    })
}

/// Runs the command line's command.
pub fn execute(cli: Cli) -> Result<ExitCode> {
    let global = &cli.global;
    let now_ms = match global.now {
        Some(now) => now,
        None => real_time_ms()?,
    };
    let mut out = io::stdout().lock();
    match cli.command {
        Command::Run(args) => return run(global, &args, now_ms, &mut out),
        Command::Log => log(&mut open(global, Access::Read, now_ms, 0, 0)?, &mut out)?,
        Command::Show { version, filter } => {
            let mut guest = open(global, Access::Read, now_ms, 0, 0)?;
            let entries: Vec<Entry> = read(&mut guest, &Request::Entries { version, filter })?;
            for entry in entries {
                writeln!(out, "{}", json(&entry)?)?;
            }
        }
        Command::Diff { from, to } => {
            let mut guest = open(global, Access::Read, now_ms, 0, 0)?;
            for op in read::<Vec<Op>>(&mut guest, &Request::Delta { from, to })? {
                writeln!(out, "{}", diff_line(&op)?)?;
            }
        }
        Command::Checkout { version } => {
            let mut guest = open(global, Access::Write, now_ms, 0, 0)?;
            guest.request::<()>(&Request::ApplyVersion { version })?;
            guest.set_head(version)?;
            guest.refresh_checkpoint()?;
            writeln!(out, "head is now v{version}")?;
        }
        Command::Export { file } => {
            // The store's rows, checked, streamed in the core's export format: the module would
            // only hand back what it read from the store.
            let store = open_store(global, Access::Read, now_ms)?;
            store.hold_snapshot()?;
            if file == Path::new("-") {
                // Checked whole first: nothing reaches standard output from a damaged store.
                store.verify()?;
                export(&*store, &mut out)?;
            } else {
                let exported = export_to_file(&*store, &file)?;
                writeln!(out, "exported {exported} to {}", file.display())?;
            }
        }
        Command::Import { file } => {
            let text = read_input(&file)?;
            // The core checks the file in full, here, before the store is even opened; what is
            // stored is the core's own export of the checked history.
            let value: serde_json::Value = serde_json::from_str(&text).map_err(|error| {
                anyhow!("{} is not a history: invalid JSON: {error}", file.display())
            })?;
            crate::unique_keys::check(&text)
                .map_err(|error| anyhow!("{} is not a history: {error}", file.display()))?;
            let registry = HistoryExport::from_value(value)
                .and_then(Registry::import)
                .map_err(|error| anyhow!("cannot import {}: {error}", file.display()))?;
            let history = registry.export()?;
            let checkpoints = checkpoints::for_import(&registry)?;
            let mut store = open_store(global, Access::Write, now_ms)?;
            // A damaged store is refused and left as it is, even by an import that would
            // replace it: `replace` checks every row and checkpoint first.
            store.replace(&history, &checkpoints)?;
            writeln!(
                out,
                "imported {} from {}",
                summary(&history),
                file.display()
            )?;
        }
        Command::Watch { from } => watch(global, from, now_ms, &mut out)?,
        Command::ModuleHash => {
            writeln!(
                out,
                "{}",
                ModuleSource::new(global.module.as_deref())?.sha256()
            )?;
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// Starts the module, opens the store and opens the registry on the stored history.
/// `luau_memory` and `output_bytes` are the Luau and output limits of the run to come (0 when none).
fn open(
    global: &GlobalArgs,
    access: Access,
    now_ms: i64,
    luau_memory: u64,
    output_bytes: u64,
) -> Result<Guest> {
    // The module first, its protocol checked: a writer holds the store's lock from opening it
    // until it exits, and a module of another protocol must not even create a store.
    let runtime = Runtime::load(&ModuleSource::new(global.module.as_deref())?)?;
    let mut guest = Guest::start(&runtime, MODULE_HEADROOM)?;
    let store = open_store(global, access, now_ms)?;
    if access == Access::Read {
        store.hold_snapshot()?;
    }
    let name = store.name().to_owned();
    let request = Request::OpenStored {
        versions: store.listing()?,
        checkpoints: store.checkpoint_versions()?,
    };
    // The user's limits bound the script; the store's size bounds the module's own work.
    let data = STORE_FACTOR * store.size()?;
    let cap = (LUAU_MEMORY_FACTOR * luau_memory + output_bytes + MODULE_HEADROOM + data)
        .min(MAX_MODULE_MEMORY);
    guest.attach(store, cap, global.load_timeout)?;
    // A store the module refuses is a store problem (exit 2), not a refused request.
    guest
        .request::<()>(&request)
        .map_err(|error| match error.downcast::<ServiceError>() {
            Ok(refused) => anyhow!("the module cannot load the history in {name}: {refused}"),
            Err(other) => other,
        })?;
    Ok(guest)
}

/// A request that reads the store through the module: a history the module cannot load (its
/// stored operations do not apply) is a store problem (exit 2), named with the store.
fn read<T: serde::de::DeserializeOwned>(guest: &mut Guest, request: &Request) -> Result<T> {
    guest
        .request(request)
        .map_err(|error| match error.downcast::<ServiceError>() {
            Ok(refused) if refused.kind == FailureKind::Registry(ErrorKind::InvalidHistory) => {
                let name = guest.store().map(|store| store.borrow().name().to_owned());
                anyhow!(
                    "cannot load the history in {}: {refused}",
                    name.unwrap_or_default()
                )
            }
            Ok(refused) => refused.into(),
            Err(other) => other,
        })
}

fn open_store(global: &GlobalArgs, access: Access, now_ms: i64) -> Result<Box<dyn RegistryStore>> {
    if global.ephemeral {
        return Ok(Box::new(SqliteStore::in_memory(now_ms)?));
    }
    store::open(
        &global.location(),
        StoreOptions {
            access,
            now_ms,
            wait: global.wait,
            connect_timeout: global.connect_timeout,
            lease_ttl: global.lease_ttl,
        },
    )
}

/// How long `watch` waits before it tries again to reach a store it lost.
const WATCH_RETRY: Duration = Duration::from_millis(500);

/// Prints every version from `from` on (by default, those committed from now on), as it is
/// committed; after a lost connection, goes on from the first version not yet printed.
fn watch(global: &GlobalArgs, from: Option<u64>, now_ms: i64, out: &mut impl Write) -> Result<()> {
    if let StoreLocation::Sqlite(path) = global.location()
        && !global.ephemeral
        && !path.exists()
    {
        bail!(
            "cannot watch {}: there is no store there yet (a run creates it)",
            path.display()
        );
    }
    let mut store = open_store(global, Access::Read, now_ms)?;
    let mut next = from;
    let mut lost = false;
    loop {
        let read = store.change_marker().and_then(|marker| {
            let listing = store.listing()?;
            let first = *next.get_or_insert(listing.versions.len() as u64);
            let new: Vec<VersionSummary> = (listing.versions.iter())
                .skip_while(|v| v.id < first)
                .cloned()
                .collect();
            let versions = stored_versions(store.as_ref(), &new)?;
            Ok((marker, versions))
        });
        let marker = match read {
            Ok((marker, versions)) => {
                if lost {
                    eprintln!("watch: reached {} again", store.name());
                    lost = false;
                }
                for version in &versions {
                    writeln!(out, "{}", terminal::json(&WatchedVersion::new(version)))?;
                    next = Some(version.id + 1);
                }
                out.flush()?;
                marker
            }
            Err(error) if error.downcast_ref::<Unreachable>().is_some() => {
                report_lost(&mut lost, &error);
                std::thread::sleep(WATCH_RETRY);
                continue;
            }
            Err(error) => return Err(error),
        };
        if let Err(error) = store.wait_for_change(marker) {
            if error.downcast_ref::<Unreachable>().is_none() {
                return Err(error);
            }
            report_lost(&mut lost, &error);
            std::thread::sleep(WATCH_RETRY);
        }
    }
}

/// Says once that `watch` lost its store and keeps trying.
fn report_lost(lost: &mut bool, error: &anyhow::Error) {
    if !std::mem::replace(lost, true) {
        eprintln!(
            "watch: {}; trying again",
            terminal::text(&format!("{error:#}"))
        );
    }
}

/// A version as `watch` prints it.
#[derive(Serialize)]
struct WatchedVersion<'a> {
    id: u64,
    parent: Option<u64>,
    /// RFC 3339 UTC, to the millisecond.
    time: String,
    ops: &'a [Op],
}

impl<'a> WatchedVersion<'a> {
    fn new(version: &'a VersionRecord) -> Self {
        Self {
            id: version.id,
            parent: version.parent,
            time: utc_millis(version.time_ms),
            ops: &version.ops,
        }
    }
}

fn run(global: &GlobalArgs, args: &RunArgs, now_ms: i64, out: &mut impl Write) -> Result<ExitCode> {
    let source = read_input(&args.script)?;
    let chunk = match args.script.file_name() {
        _ if args.script == Path::new("-") => "stdin".to_owned(),
        Some(name) => name.to_string_lossy().into_owned(),
        None => args.script.display().to_string(),
    };
    let memory = args.memory;
    // The module holds what the run hands back besides Luau's heap.
    let mut guest = open(global, Access::Write, now_ms, memory, args.output_limit)?;
    if global.ephemeral {
        guest.keep_nothing();
    }
    let request = Request::Run(RunRequest {
        source,
        chunk: Some(chunk),
        now_ms,
        timeout_ms: Some(u64::try_from(args.timeout.as_millis()).unwrap_or(u64::MAX)),
        memory_bytes: Some(usize::try_from(memory)?),
        output_bytes: Some(usize::try_from(args.output_limit)?),
    });
    let grace = GRACE + args.timeout / 10;
    // The printed output is the script's own standard output, passed through as a program's
    // would be, as it is printed; values and messages are data, escaped for the terminal.
    let growth = GrowthLimits {
        versions: args.max_versions,
        bytes: args.max_commit_bytes,
    };
    let result = guest.run::<RunResult>(
        &request,
        args.timeout,
        grace,
        Box::new(io::stdout()),
        growth,
    );
    // What the run committed is kept whatever stopped it; the next command opens faster.
    let refreshed = guest.refresh_checkpoint();
    let result = result?;
    refreshed?;
    let output = result.output;
    for value in &output.returned {
        writeln!(out, "{}", terminal::json(value))?;
    }
    out.flush()?;
    if !global.ephemeral {
        let stored = guest.store()?.borrow().head()?;
        ensure!(
            stored == result.head,
            "the store's head v{stored} differs from the module's v{}: an event was lost",
            result.head
        );
    }
    Ok(match output.error {
        None => ExitCode::SUCCESS,
        Some(error) if error.limit.is_some() => {
            let located = match error.line {
                Some(_) => error.to_string(),
                None => error.message,
            };
            eprintln!("error: {}", terminal::text(&located));
            ExitCode::from(EXIT_STOPPED)
        }
        Some(error) => {
            eprintln!("{}", terminal::text(&error.to_string()));
            ExitCode::from(EXIT_REFUSED)
        }
    })
}

/// Reads a file, or standard input for `-`.
fn read_input(path: &Path) -> Result<String> {
    if path == Path::new("-") {
        let mut text = String::new();
        io::stdin()
            .read_to_string(&mut text)
            .context("cannot read standard input")?;
        return Ok(text);
    }
    std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))
}

/// `* v2  2026-01-01T00:00:00Z  1 op   parent v1`: newest first, head marked.
fn log(guest: &mut Guest, out: &mut impl Write) -> Result<()> {
    let list: VersionList = read(guest, &Request::Versions)?;
    let rows: Vec<_> = list
        .versions
        .iter()
        .rev()
        .map(|v| {
            let ops = match v.ops {
                1 => "1 op".to_owned(),
                n => format!("{n} ops"),
            };
            let parent = v
                .parent
                .map_or_else(|| "root".to_owned(), |p| format!("parent v{p}"));
            let marker = if v.id == list.head { '*' } else { ' ' };
            (marker, format!("v{}", v.id), utc(v.time_ms), ops, parent)
        })
        .collect();
    let id_width = rows.iter().map(|row| row.1.len()).max().unwrap_or(0);
    let ops_width = rows.iter().map(|row| row.3.len()).max().unwrap_or(0);
    for (marker, id, time, ops, parent) in rows {
        writeln!(
            out,
            "{marker} {id:id_width$}  {time}  {ops:ops_width$}  {parent}"
        )?;
    }
    Ok(())
}

/// Milliseconds since the Unix epoch as RFC 3339 UTC, to the second.
fn utc(time_ms: i64) -> String {
    rfc3339(time_ms, humantime::format_rfc3339_seconds)
}

/// Milliseconds since the Unix epoch as RFC 3339 UTC, to the millisecond.
fn utc_millis(time_ms: i64) -> String {
    rfc3339(time_ms, humantime::format_rfc3339_millis)
}

fn rfc3339(time_ms: i64, format: fn(SystemTime) -> humantime::Rfc3339Timestamp) -> String {
    let mut text = String::new();
    let formatted = u64::try_from(time_ms).ok().is_some_and(|ms| {
        let time = UNIX_EPOCH + Duration::from_millis(ms);
        // humantime refuses years past 9999 with a formatting error.
        write!(text, "{}", format(time)).is_ok()
    });
    if formatted {
        text
    } else {
        format!("{time_ms} ms since 1970")
    }
}

fn real_time_ms() -> Result<i64> {
    let since_epoch = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .context("the system clock is before 1970: pass --now")?;
    Ok(i64::try_from(since_epoch.as_millis())?)
}

/// The stored versions that `summaries` list, with their operations, read in one request.
fn stored_versions(
    store: &dyn RegistryStore,
    summaries: &[VersionSummary],
) -> Result<Vec<VersionRecord>> {
    let ids: Vec<u64> = summaries.iter().map(|summary| summary.id).collect();
    let ops: Vec<Vec<Op>> = serde_json::from_str(&store.ops_json(&ids)?)
        .with_context(|| format!("{}: the operations of {ids:?}", store.name()))?;
    ensure!(
        ops.len() == summaries.len(),
        "{}: the operations of {} versions were asked for, of {} given",
        store.name(),
        summaries.len(),
        ops.len()
    );
    Ok(summaries
        .iter()
        .zip(ops)
        .map(|(summary, ops)| VersionRecord {
            id: summary.id,
            parent: summary.parent,
            time_ms: summary.time_ms,
            ops,
        })
        .collect())
}

/// What `export` reads of the store per request: versions up to this many operations (or one
/// larger version).
const EXPORT_OPS_PER_READ: usize = 10_000;

/// Writes the store's history in the core's export format, as [`terminal::json_pretty`] prints a
/// [`HistoryExport`], one version at a time; returns what it wrote, for the summary line.
fn export(store: &dyn RegistryStore, out: &mut impl Write) -> Result<String> {
    let listing = store.listing()?;
    write!(
        out,
        "{{\n  \"format\": {},\n  \"format_version\": {},\n  \"head\": {},\n  \"versions\": [",
        terminal::json(&registry_core::FORMAT_NAME),
        registry_core::FORMAT_VERSION,
        listing.head
    )?;
    let (mut from, mut first) = (0, true);
    while from < listing.versions.len() {
        // A run of versions read at once, up to EXPORT_OPS_PER_READ operations.
        let mut to = from + 1;
        let mut ops = listing.versions[from].ops;
        while let Some(next) = listing.versions.get(to)
            && ops + next.ops <= EXPORT_OPS_PER_READ
        {
            ops += next.ops;
            to += 1;
        }
        for record in stored_versions(store, &listing.versions[from..to])? {
            out.write_all(if std::mem::take(&mut first) {
                b"\n"
            } else {
                b",\n"
            })?;
            // Line breaks in the pretty text are its indentation's: nest it one level deeper.
            let nested = terminal::json_pretty(&record).replace('\n', "\n    ");
            write!(out, "    {nested}")?;
        }
        from = to;
    }
    writeln!(out, "\n  ]\n}}")?;
    out.flush()?;
    Ok(format!(
        "{} versions (head v{})",
        listing.versions.len(),
        listing.head
    ))
}

/// Writes the export to a new file beside `file`, renamed into place once complete: a failed
/// export leaves no half-written file.
fn export_to_file(store: &dyn RegistryStore, file: &Path) -> Result<String> {
    let mut temporary = file.as_os_str().to_owned();
    temporary.push(format!(".{}.tmp", std::process::id()));
    let temporary = std::path::PathBuf::from(temporary);
    let written = (|| {
        let created = std::fs::File::create(&temporary)
            .with_context(|| format!("cannot write {}", file.display()))?;
        let mut writer = io::BufWriter::new(created);
        let exported = export(store, &mut writer)?;
        writer
            .into_inner()
            .map_err(io::IntoInnerError::into_error)
            .and_then(|file| file.sync_all())
            .with_context(|| format!("cannot write {}", file.display()))?;
        std::fs::rename(&temporary, file)
            .with_context(|| format!("cannot write {}", file.display()))?;
        Ok(exported)
    })();
    if written.is_err() {
        let _ = std::fs::remove_file(&temporary);
    }
    written
}

fn summary(history: &HistoryExport) -> String {
    format!(
        "{} versions (head v{})",
        history.versions.len(),
        history.head
    )
}

/// An entry as one line of JSON, keys in order, escaped for the terminal.
fn json(entry: &Entry) -> Result<String> {
    Ok(terminal::json(&serde_json::to_value(entry)?))
}

/// One operation of a delta: `- id`, `~ id entry` or `+ id entry`, ids and entries escaped for
/// the terminal.
fn diff_line(op: &Op) -> Result<String> {
    let id = terminal::id(op.id().as_str());
    Ok(match op {
        Op::Delete { .. } => format!("- {id}"),
        Op::Update(entry) => format!("~ {id} {}", json(entry)?),
        Op::Create(entry) => format!("+ {id} {}", json(entry)?),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_history_format_round_trips_through_the_module() -> Result<()> {
        let runtime = Runtime::load(&ModuleSource::new(None)?)?;
        let mut store = SqliteStore::in_memory(1_000)?;
        let ops = serde_json::from_value(serde_json::json!([{"kind": "entry.create", "entry": {
            "id": "svc:a", "kind": "service", "meta": {"env": "prod"}, "data": {"port": 8080, "ratio": 0.1}
        }}]))?;
        store.commit(&VersionRecord {
            id: 1,
            parent: Some(0),
            time_ms: 2_000,
            ops,
        })?;
        let history = store.history()?;
        let mut guest = Guest::start(&runtime, 256 << 20)?;
        guest.request::<()>(&Request::Open {
            history: Some(history.clone()),
            now_ms: 0,
        })?;
        let exported: HistoryExport = guest.request(&Request::Export)?;
        assert_eq!(exported, history);
        Ok(())
    }

    #[test]
    fn times_print_as_utc() {
        assert_eq!(utc(1_767_225_600_000), "2026-01-01T00:00:00Z");
        assert_eq!(utc(1_767_225_600_999), "2026-01-01T00:00:00Z");
        assert_eq!(utc(-5), "-5 ms since 1970");
        assert_eq!(utc(i64::MAX), format!("{} ms since 1970", i64::MAX));
    }
}
