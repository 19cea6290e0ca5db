//! The commands: each opens the store, starts the module on the stored history, sends the
//! module's JSON requests and prints the answers.

use std::fmt;
use std::fmt::Write as _;
use std::io::{self, Read, Write};
use std::path::Path;
use std::process::ExitCode;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use anyhow::{Context, Result, anyhow, ensure};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::cli::{Cli, Command, GlobalArgs, RunArgs};
use crate::engine::{ModuleSource, Runtime};
use crate::guest::{Guest, Refused, Stopped};
use crate::history::History;
use crate::store::{Access, Store};
use crate::terminal;

/// A script failed, or the registry refused the request.
const EXIT_REFUSED: u8 = 1;
/// A usage, file or store problem.
const EXIT_PROBLEM: u8 = 2;
/// A time or memory limit stopped the script, or the module trapped.
const EXIT_STOPPED: u8 = 3;

/// Room for the module's own data beside Luau's heap: its code, stacks and static data.
const MODULE_HEADROOM: u64 = 64 << 20;
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
    } else if error.downcast_ref::<Refused>().is_some() {
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
            let request = json!({"op": "entries", "version": version, "filter": filter});
            for entry in guest.request::<Vec<Value>>(&request)? {
                writeln!(out, "{}", terminal::json(&entry))?;
            }
        }
        Command::Diff { from, to } => {
            let mut guest = open(global, Access::Read, now_ms, 0, 0)?;
            let request = json!({"op": "delta", "from": from, "to": to});
            for op in guest.request::<Vec<Op>>(&request)? {
                writeln!(out, "{op}")?;
            }
        }
        Command::Checkout { version } => {
            let mut guest = open(global, Access::Write, now_ms, 0, 0)?;
            guest.request::<()>(&json!({"op": "apply_version", "version": version}))?;
            guest.store_mut().set_head(version)?;
            writeln!(out, "head is now v{version}")?;
        }
        Command::Export { file } => {
            let mut guest = open(global, Access::Read, now_ms, 0, 0)?;
            let history: History = guest.request(&json!({"op": "export"}))?;
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
            // The envelope is checked here, naming the line and column of a problem; the module
            // checks the versions and their operations.
            let history: History = serde_json::from_str(&text).map_err(|error| {
                let what = if error.is_data() {
                    ""
                } else {
                    ": invalid JSON"
                };
                anyhow!("{} is not a history{what}: {error}", file.display())
            })?;
            crate::unique_keys::check(&text)
                .map_err(|error| anyhow!("{} is not a history: {error}", file.display()))?;
            // The module checks the file on an empty registry of its own first, so a file it
            // refuses never touches the store, which is not even opened.
            let runtime = load_runtime(global)?;
            let mut checker = start(&runtime, Store::in_memory(now_ms)?, now_ms, 0, text.len())?;
            checker
                .request::<()>(&json!({"op": "import", "history": history}))
                .map_err(|error| match error.downcast::<Refused>() {
                    Ok(refused) => anyhow!("cannot import {}: {refused}", file.display()),
                    Err(other) => other,
                })?;
            // The module's export is the checked history, in its own form.
            let history: History = checker.request(&json!({"op": "export"}))?;
            drop(checker);
            let store = open_store(global, Access::Write, now_ms)?;
            let mut guest = start(&runtime, store, now_ms, 0, 0)?;
            guest.store_mut().replace(&history)?;
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

/// Opens the store, starts the module and opens the registry on the stored history.
/// `luau_memory` is the Luau limit of the run to come (0 when none), `data_bytes` the size of
/// data the command will hand the module besides the stored history.
fn open(
    global: &GlobalArgs,
    access: Access,
    now_ms: i64,
    luau_memory: u64,
    data_bytes: usize,
) -> Result<Guest> {
    // The module first: a writer holds the store's lock from opening it until it exits.
    let runtime = load_runtime(global)?;
    let store = open_store(global, access, now_ms)?;
    start(&runtime, store, now_ms, luau_memory, data_bytes)
}

fn load_runtime(global: &GlobalArgs) -> Result<Runtime> {
    Runtime::load(&ModuleSource::new(global.module.as_deref())?)
}

fn open_store(global: &GlobalArgs, access: Access, now_ms: i64) -> Result<Store> {
    if global.ephemeral {
        Store::in_memory(now_ms)
    } else {
        Store::open(&global.state, access, now_ms, global.wait)
    }
}

/// Starts the module and opens the registry on the history in `store`.
fn start(
    runtime: &Runtime,
    store: Store,
    now_ms: i64,
    luau_memory: u64,
    data_bytes: usize,
) -> Result<Guest> {
    let name = store.name().to_owned();
    let request = json!({"op": "open", "history": store.history()?, "nowMs": now_ms});
    let data = (request.to_string().len() + data_bytes) as u64;
    let cap = (luau_memory + MODULE_HEADROOM + HISTORY_FACTOR * data).min(MAX_MODULE_MEMORY);
    let mut guest = Guest::start(runtime, store, cap)?;
    // A store the module refuses is a store problem (exit 2), not a refused request.
    guest
        .request::<()>(&request)
        .map_err(|error| match error.downcast::<Refused>() {
            Ok(refused) => anyhow!("the module cannot load the history in {name}: {refused}"),
            Err(other) => other,
        })?;
    Ok(guest)
}

/// What a run printed and returned, its error if any, and the head afterwards.
#[derive(Debug, Deserialize)]
struct RunResult {
    printed: String,
    returned: Vec<Value>,
    error: Option<ScriptError>,
    head: u64,
}

/// Why a script failed, located where Luau knows the line.
#[derive(Debug, Deserialize)]
struct ScriptError {
    chunk: String,
    line: Option<u32>,
    message: String,
    /// `time` or `memory` when one of the module's own limits stopped the script.
    limit: Option<String>,
}

impl ScriptError {
    /// Whether the module's own time or memory limit stopped the script.
    fn is_limit(&self) -> bool {
        self.limit.is_some()
    }
}

impl fmt::Display for ScriptError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.line {
            Some(line) => write!(f, "{}:{line}: {}", self.chunk, self.message),
            None => write!(f, "{}: {}", self.chunk, self.message),
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
    // The module holds what the run hands back besides Luau's heap.
    let output_limit = usize::try_from(args.output_limit)?;
    let mut guest = open(global, Access::Write, now_ms, args.memory, output_limit)?;
    let request = json!({
        "op": "run",
        "source": source,
        "chunk": chunk,
        "nowMs": now_ms,
        "timeoutMs": u64::try_from(args.timeout.as_millis()).unwrap_or(u64::MAX),
        "memoryBytes": args.memory,
        "outputBytes": args.output_limit,
    });
    let grace = GRACE + args.timeout / 10;
    let result: RunResult = guest.run(&request, args.timeout, grace)?;
    out.write_all(result.printed.as_bytes())?;
    // The printed output is the script's own standard output, passed through as a program's
    // would be; values and messages are data, escaped for the terminal.
    for value in &result.returned {
        writeln!(out, "{}", terminal::json(value))?;
    }
    out.flush()?;
    let stored = guest.store_mut().head()?;
    ensure!(
        stored == result.head,
        "the store's head v{stored} differs from the module's v{}: an event was lost",
        result.head
    );
    Ok(match result.error {
        None => ExitCode::SUCCESS,
        Some(error) if error.is_limit() => {
            eprintln!("error: {}", terminal::text(&error.message));
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

/// The versions as the module lists them.
#[derive(Debug, Deserialize)]
struct VersionList {
    head: u64,
    versions: Vec<VersionSummary>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct VersionSummary {
    id: u64,
    parent: Option<u64>,
    time_ms: i64,
    ops: usize,
}

/// `* v2  2026-01-01T00:00:00Z  1 op   parent v1`: newest first, head marked.
fn log(guest: &mut Guest, out: &mut impl Write) -> Result<()> {
    let list: VersionList = guest.request(&json!({"op": "versions"}))?;
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

fn summary(history: &History) -> String {
    format!(
        "{} versions (head v{})",
        history.versions.len(),
        history.head
    )
}

/// One operation of a delta: `- id`, `~ id entry` or `+ id entry`.
#[derive(Debug, Deserialize)]
struct Op {
    kind: String,
    entry: Value,
}

impl fmt::Display for Op {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let id = terminal::id(self.entry["id"].as_str().unwrap_or("?"));
        let entry = terminal::json(&self.entry);
        match self.kind.as_str() {
            "entry.delete" => write!(f, "- {id}"),
            "entry.update" => write!(f, "~ {id} {entry}"),
            "entry.create" => write!(f, "+ {id} {entry}"),
            other => write!(f, "? {id} {} {entry}", terminal::id(other)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::history::{FORMAT, VersionRecord};

    #[test]
    fn the_history_format_round_trips_through_the_module() -> Result<()> {
        let runtime = Runtime::load(&ModuleSource::new(None)?)?;
        let mut store = Store::in_memory(1_000)?;
        store.commit(&VersionRecord {
            id: 1,
            parent: Some(0),
            time_ms: 2_000,
            ops: vec![json!({"kind": "entry.create", "entry": {
                "id": "svc:a", "kind": "service", "meta": {"env": "prod"}, "data": {"port": 8080, "ratio": 0.1}
            }})],
        })?;
        let history = store.history()?;
        assert_eq!(
            (history.format.as_str(), history.format_version),
            (FORMAT.name, FORMAT.version)
        );
        let mut guest = Guest::start(&runtime, store, 256 << 20)?;
        guest.request::<()>(&json!({"op": "open", "history": history, "nowMs": 0}))?;
        let exported: History = guest.request(&json!({"op": "export"}))?;
        assert_eq!(exported, history);
        Ok(())
    }

    #[test]
    fn script_errors_print_with_their_location() {
        let error = |line| ScriptError {
            chunk: "s.lua".to_owned(),
            line,
            message: "boom".to_owned(),
            limit: None,
        };
        assert_eq!(error(Some(3)).to_string(), "s.lua:3: boom");
        assert_eq!(error(None).to_string(), "s.lua: boom");
    }

    #[test]
    fn times_print_as_utc() {
        assert_eq!(utc(1_767_225_600_000), "2026-01-01T00:00:00Z");
        assert_eq!(utc(1_767_225_600_999), "2026-01-01T00:00:00Z");
        assert_eq!(utc(-5), "-5 ms since 1970");
        assert_eq!(utc(i64::MAX), format!("{} ms since 1970", i64::MAX));
    }
}
