//! The commands: each opens the store, starts the module on the stored history, sends the
//! module's JSON requests and prints the answers.

use std::fmt::Write as _;
use std::io::{self, Read, Write};
use std::path::Path;
use std::process::ExitCode;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use anyhow::{Context, Result, anyhow, ensure};
use registry_core::protocol::{Request, RunRequest, RunResult, ServiceError, VersionList};
use registry_core::{Entry, HistoryExport, Op, Registry};

use crate::cli::{Cli, Command, GlobalArgs, RunArgs};
use crate::engine::{ModuleSource, Runtime};
use crate::guest::{Guest, Stopped};
use crate::store::{Access, RegistryStore, SqliteStore};
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
/// The module holds every version's state; allow this many times the history's JSON size.
const HISTORY_FACTOR: u64 = 8;
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
            let entries: Vec<Entry> = guest.request(&Request::Entries { version, filter })?;
            for entry in entries {
                writeln!(out, "{}", json(&entry)?)?;
            }
        }
        Command::Diff { from, to } => {
            let mut guest = open(global, Access::Read, now_ms, 0, 0)?;
            for op in guest.request::<Vec<Op>>(&Request::Delta { from, to })? {
                writeln!(out, "{}", diff_line(&op)?)?;
            }
        }
        Command::Checkout { version } => {
            let mut guest = open(global, Access::Write, now_ms, 0, 0)?;
            guest.request::<()>(&Request::ApplyVersion { version })?;
            guest.store_mut()?.set_head(version)?;
            writeln!(out, "head is now v{version}")?;
        }
        Command::Export { file } => {
            let mut guest = open(global, Access::Read, now_ms, 0, 0)?;
            let history: HistoryExport = guest.request(&Request::Export)?;
            let text = terminal::json_pretty(&history) + "\n";
            if file == Path::new("-") {
                out.write_all(text.as_bytes())?;
            } else {
                std::fs::write(&file, text)
                    .with_context(|| format!("cannot write {}", file.display()))?;
                writeln!(out, "exported {} to {}", summary(&history), file.display())?;
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
            let history = HistoryExport::from_value(value)
                .and_then(Registry::import)
                .map_err(|error| anyhow!("cannot import {}: {error}", file.display()))?
                .export();
            let mut store = open_store(global, Access::Write, now_ms)?;
            // A damaged store is refused and left as it is, even by an import that would
            // replace it.
            Registry::import(store.history()?)
                .map_err(|error| anyhow!("cannot load the history in {}: {error}", store.name()))?;
            store.replace(&history)?;
            writeln!(
                out,
                "imported {} from {}",
                summary(&history),
                file.display()
            )?;
        }
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
    let name = store.name().to_owned();
    let history = store.history()?;
    let request = Request::Open {
        history: Some(history),
        now_ms,
    };
    let data = serde_json::to_vec(&request)?.len() as u64;
    let cap =
        (LUAU_MEMORY_FACTOR * luau_memory + output_bytes + MODULE_HEADROOM + HISTORY_FACTOR * data)
            .min(MAX_MODULE_MEMORY);
    guest.attach(store, cap);
    // A store the module refuses is a store problem (exit 2), not a refused request.
    guest
        .request::<()>(&request)
        .map_err(|error| match error.downcast::<ServiceError>() {
            Ok(refused) => anyhow!("the module cannot load the history in {name}: {refused}"),
            Err(other) => other,
        })?;
    Ok(guest)
}

fn open_store(global: &GlobalArgs, access: Access, now_ms: i64) -> Result<Box<dyn RegistryStore>> {
    Ok(Box::new(if global.ephemeral {
        SqliteStore::in_memory(now_ms)?
    } else {
        SqliteStore::open(&global.state, access, now_ms, global.wait)?
    }))
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
    let result: RunResult = guest.run(&request, args.timeout, grace, Box::new(io::stdout()))?;
    let output = result.output;
    for value in &output.returned {
        writeln!(out, "{}", terminal::json(value))?;
    }
    out.flush()?;
    let stored = guest.store_mut()?.head()?;
    ensure!(
        stored == result.head,
        "the store's head v{stored} differs from the module's v{}: an event was lost",
        result.head
    );
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
    let list: VersionList = guest.request(&Request::Versions)?;
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
    let mut text = String::new();
    let formatted = u64::try_from(time_ms).ok().is_some_and(|ms| {
        let time = UNIX_EPOCH + Duration::from_millis(ms);
        // humantime refuses years past 9999 with a formatting error.
        write!(text, "{}", humantime::format_rfc3339_seconds(time)).is_ok()
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
    use registry_core::VersionRecord;

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
