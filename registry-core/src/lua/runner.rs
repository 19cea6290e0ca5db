//! [`Runner`]: one registry and one sandboxed Luau VM, running scripts one after another.

use std::borrow::Cow;
use std::cell::{Cell, RefCell};
use std::fmt;
use std::rc::Rc;

use mlua::chunk::ChunkMode;
use mlua::{Function, Lua, MultiValue, Table, Thread, Value as LuaValue, VmState};

use super::binding::{self, Failure, Results, function, returns};
use super::context::{Context, EventListener, RegistryEvent};
use super::convert::returned_to_value;
use super::coroutine;
use super::errors;
use super::interrupt;
use super::registry_table;
use crate::error::{Error, ErrorKind, Result};
use crate::history::Registry;
use crate::protocol::{DEFAULT_MEMORY_LIMIT, DEFAULT_OUTPUT_LIMIT, Limit, RunOutput, ScriptError};
use crate::value::Value;

/// An error message is cut to what the output limit leaves, but never below this: a failure
/// always says why.
const MESSAGE_ROOM: usize = 1 << 10;

/// Luau's message when the message handler itself failed: a raised value's `__tostring` raised or
/// hit a limit while the error was being turned into text.
const ERROR_IN_ERROR_HANDLING: &str = "error in error handling";

/// A monotonic clock in milliseconds (any origin), for time limits.
pub type Clock = Box<dyn Fn() -> f64>;

/// Enforces a run's time limit from Luau's interrupt (and from Rust loops that can run long within
/// one call: [`time_limit`]). Once the deadline passes, every check raises again, so `pcall` cannot
/// swallow the limit: the error escapes at the next loop or call.
#[derive(Default)]
pub(crate) struct Watchdog {
    clock: RefCell<Option<Clock>>,
    limit_ms: Cell<Option<u64>>,
    deadline: Cell<Option<f64>>,
    expired: Cell<bool>,
    /// The chunk's source name (`=script.lua`), to tell the script's own functions.
    source: RefCell<String>,
    /// The script's line when the deadline passed, if the script itself was running.
    line: Cell<Option<u32>>,
}

impl Watchdog {
    fn now(&self) -> Option<f64> {
        self.clock.borrow().as_ref().map(|clock| clock())
    }

    fn start(&self, source: String) {
        self.expired.set(false);
        self.line.set(None);
        *self.source.borrow_mut() = source;
        let deadline = self
            .limit_ms
            .get()
            .zip(self.now())
            .map(|(limit, now)| now + limit as f64);
        self.deadline.set(deadline);
    }

    fn stop(&self) {
        self.deadline.set(None);
    }

    /// Reads the clock (the interrupt front calls this only every so often) and fails once the
    /// deadline has passed.
    fn check(&self, lua: &Lua) -> mlua::Result<VmState> {
        if !self.expired.get() {
            let Some(deadline) = self.deadline.get() else {
                return Ok(VmState::Continue);
            };
            if self.now().is_none_or(|now| now < deadline) {
                return Ok(VmState::Continue);
            }
            self.expired.set(true);
            self.line.set(self.current_line(lua));
        }
        interrupt::check_at_next();
        Err(mlua::Error::runtime(self.message()))
    }

    /// The line of the innermost of the script's own functions on the stack: the running one, or
    /// the one that called the registry function that checks.
    fn current_line(&self, lua: &Lua) -> Option<u32> {
        let source = self.source.borrow();
        (0..)
            .map_while(|level| {
                lua.inspect_stack(level, |frame| {
                    if frame.source().source.as_deref() != Some(source.as_str()) {
                        return None;
                    }
                    frame
                        .current_line()
                        .and_then(|line| u32::try_from(line).ok())
                })
            })
            .find_map(|line| line)
    }

    fn message(&self) -> String {
        format!(
            "script exceeded its time limit of {} ms",
            self.limit_ms.get().unwrap_or(0)
        )
    }
}

/// A check of the run's time limit for Rust code that can run long within one call (a `find`
/// over many entries), where Luau's interrupt cannot stop it: it fails, as the interrupt would,
/// once the deadline has passed. Each call counts as one of Luau's interrupts: the clock is read
/// as seldom as the interrupt reads it.
pub(crate) fn time_limit(lua: &Lua) -> impl Fn() -> mlua::Result<()> + '_ {
    let watchdog = lua.app_data_ref::<Rc<Watchdog>>().map(|w| Rc::clone(&w));
    move || match &watchdog {
        Some(watchdog) if interrupt::due() => watchdog.check(lua).map(drop),
        _ => Ok(()),
    }
}

/// Owns one registry and one sandboxed Luau VM. The registry outlives each script: two runs on
/// one runner see the same versions; each run gets fresh globals.
pub struct Runner {
    lua: Lua,
    ctx: Rc<Context>,
    printed: Rc<Printed>,
    watchdog: Rc<Watchdog>,
    memory_limit: usize,
    builtins: Builtins,
    /// Whether runs re-enter the interpreter ([`Runner::set_interpreter_reentry`]).
    reenters: bool,
}

/// What `print` wrote, cut at the output limit.
#[derive(Debug)]
struct Printed {
    text: RefCell<String>,
    limit: Cell<usize>,
}

impl Printed {
    /// Appends `line` within the output limit, and reports what was kept to the listener.
    fn push_line(&self, line: &str, ctx: &Context) {
        let start = self.text.borrow().len();
        self.append(line);
        let out = self.text.borrow();
        if out.len() > start {
            ctx.notify(&RegistryEvent::Printed(&out[start..]));
        }
    }

    fn append(&self, line: &str) {
        let limit = self.limit.get();
        let mut out = self.text.borrow_mut();
        if out.len() >= limit {
            return;
        }
        if out.len() + line.len() <= limit {
            out.push_str(line);
            return;
        }
        let room = limit - out.len();
        out.push_str(cut(line, room));
        out.push_str(&format!(
            "\n[output truncated: more than {limit} bytes printed]\n"
        ));
    }
}

impl fmt::Debug for Runner {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Runner")
            .field("registry", &self.ctx.registry)
            .finish_non_exhaustive()
    }
}

impl Runner {
    /// A runner over `registry`.
    pub fn new(registry: Registry) -> Result<Self> {
        let lua = Lua::new();
        let ctx = Context::new(registry);
        let printed = Rc::new(Printed {
            text: RefCell::new(String::new()),
            limit: Cell::new(DEFAULT_OUTPUT_LIMIT),
        });
        let builtins = Builtins::new(&lua)
            .and_then(|builtins| setup(&lua, &ctx, &printed).map(|()| builtins))
            .map_err(|e| Error::new(ErrorKind::Vm, format!("cannot start Luau: {e}")))?;
        let watchdog = Rc::new(Watchdog::default());
        lua.set_app_data(Rc::clone(&watchdog));
        Ok(Self {
            lua,
            ctx,
            printed,
            watchdog,
            memory_limit: DEFAULT_MEMORY_LIMIT,
            builtins,
            reenters: false,
        })
    }

    /// Sets the clock that time limits are measured with (monotonic milliseconds).
    pub fn set_clock(&mut self, clock: Clock) {
        *self.watchdog.clock.borrow_mut() = Some(clock);
    }

    /// Limits each run's duration, measured with the clock given to [`Runner::set_clock`];
    /// a script that runs longer fails with `script exceeded its time limit of N ms`.
    pub fn set_time_limit(&mut self, limit_ms: Option<u64>) {
        self.watchdog.limit_ms.set(limit_ms);
    }

    /// For engines that swap in a function's optimized code only at its next call (V8, in Node
    /// and Chromium, for wasm): runs yield and resume their script now and then so that it runs
    /// in a new call of Luau's interpreter, within a budget per thread (`interrupt.rs`). Scripts
    /// see no difference. Off by default: natively it would only cost.
    pub fn set_interpreter_reentry(&mut self, on: bool) {
        self.reenters = on;
    }

    /// Receives each version a script commits and each head move, as they happen.
    pub fn set_event_listener(&mut self, listener: Option<EventListener>) {
        *self.ctx.listener.borrow_mut() = listener;
    }

    /// The registry, for front ends that read it directly (version lists, entries, deltas).
    pub fn registry(&self) -> std::cell::Ref<'_, Registry> {
        self.ctx.registry.borrow()
    }

    /// The registry, for front ends that change it directly (`apply_version`, imports).
    pub fn registry_mut(&mut self) -> std::cell::RefMut<'_, Registry> {
        self.ctx.registry.borrow_mut()
    }

    /// Caps the VM's memory; a script that needs more fails with an out-of-memory error.
    pub fn set_memory_limit(&mut self, bytes: usize) -> Result<()> {
        self.lua
            .set_memory_limit(bytes)
            .map_err(|e| Error::new(ErrorKind::Vm, e.to_string()))?;
        self.memory_limit = bytes;
        Ok(())
    }

    /// Caps what a run hands back: printed output beyond it is cut with a note, returned values
    /// beyond what is left fail the run ([`Limit::Output`]), and the error message is cut to what
    /// is left (but to no less than 1 KiB).
    pub fn set_output_limit(&mut self, bytes: usize) {
        self.printed.limit.set(bytes);
    }

    /// Runs `source` as chunk `chunk` with the current time `now_ms` (milliseconds since the
    /// Unix epoch): it feeds `os.time`, `os.date` and the time of versions the script creates.
    /// The time and memory limits hold until the returned values are converted too.
    pub fn run(&mut self, source: &str, chunk: &str, now_ms: i64) -> RunOutput {
        self.ctx.now_ms.set(now_ms);
        self.printed.text.borrow_mut().clear();
        self.watchdog.start(source_name(chunk));
        // Luau calls the interrupt at every call and loop back-edge: install it only for runs
        // that have a deadline or re-enter the interpreter.
        let reenter = self.reenters && interrupt::reentry_left();
        let interrupt = if self.watchdog.deadline.get().is_some() {
            let watchdog = Rc::clone(&self.watchdog);
            interrupt::set(
                &self.lua,
                Some(Box::new(move |lua| watchdog.check(lua))),
                reenter,
            )
        } else if reenter {
            interrupt::set(&self.lua, None, true)
        } else {
            self.lua.remove_interrupt();
            Ok(())
        };
        let result = interrupt
            .map_err(|error| Stop::Error(error, None))
            .and_then(|()| self.execute(source, chunk))
            .and_then(|values| self.returned_values(&values));
        self.watchdog.stop();
        let printed = std::mem::take(&mut *self.printed.text.borrow_mut());
        let result = match result {
            // The script caught the limit's error (pcall) and then ended: it still ran too long.
            Ok(_) if self.watchdog.expired.get() => Err(Stop::Error(
                mlua::Error::runtime(self.watchdog.message()),
                None,
            )),
            other => other,
        };
        let room = self
            .printed
            .limit
            .get()
            .saturating_sub(printed.len())
            .max(MESSAGE_ROOM);
        let error = match result {
            Ok(returned) => {
                return RunOutput {
                    printed,
                    returned,
                    error: None,
                };
            }
            Err(Stop::Error(error, stopped_at)) => {
                let mut error = script_error(
                    chunk,
                    &error,
                    self.memory_limit,
                    self.watchdog.expired.get().then(|| self.watchdog.message()),
                    room,
                );
                // Luau gives limit errors no location: the watchdog has the time limit's line,
                // the failed script's frames the memory limit's.
                error.line = error.line.or(match error.limit {
                    Some(Limit::Time) => self.watchdog.line.get(),
                    Some(Limit::Memory) => stopped_at,
                    _ => None,
                });
                error
            }
            Err(Stop::Output) => ScriptError {
                chunk: chunk.to_owned(),
                line: None,
                message: format!(
                    "the script's returned values exceed its output limit of {} bytes (with \
                     what it printed)",
                    self.printed.limit.get()
                ),
                traceback: None,
                limit: Some(Limit::Output),
            },
        };
        // Reclaim what a failed script left behind (an out-of-memory script leaves a lot).
        let _ = self.lua.gc_collect();
        RunOutput {
            printed,
            returned: Vec::new(),
            error: Some(error),
        }
    }

    /// The returned values as JSON-able values, within what the output limit leaves; values that
    /// cannot be stored come back as their `tostring`, run under the run's limits.
    fn returned_values(&self, values: &MultiValue) -> std::result::Result<Vec<Value>, Stop> {
        let mut room = self
            .printed
            .limit
            .get()
            .saturating_sub(self.printed.text.borrow().len());
        let mut returned = Vec::with_capacity(values.len());
        for value in values {
            // A long string is refused before it is copied.
            if let LuaValue::String(text) = value
                && text.as_bytes().len() > room
            {
                return Err(Stop::Output);
            }
            let value = match returned_to_value(value) {
                Ok(value) => value,
                Err(_) => Value::string(
                    &self
                        .shown(value)
                        .map_err(|error| Stop::Error(error, None))?,
                ),
            };
            let size = json_size(&value, room).ok_or(Stop::Output)?;
            room -= size;
            returned.push(value);
        }
        Ok(returned)
    }

    /// `tostring(value)` for a returned value. The script has ended: a `__tostring` that changes
    /// the registry fails the run, its change undone and never reported.
    fn shown(&self, value: &LuaValue) -> mlua::Result<String> {
        let before = self.ctx.registry.borrow().clone();
        self.ctx.changes_unreported.set(true);
        let shown = self
            .lua
            .globals()
            .get::<Function>("tostring")
            .and_then(|tostring| tostring.call::<String>(value.clone()));
        self.ctx.changes_unreported.set(false);
        let changed = {
            let after = self.ctx.registry.borrow();
            after.head().id() != before.head().id()
                || after.versions().len() != before.versions().len()
        };
        if changed {
            *self.ctx.registry.borrow_mut() = before;
            return Err(mlua::Error::runtime(
                "a returned value's __tostring changed the registry after the script ended: \
                 the change is undone",
            ));
        }
        shown
    }

    fn execute(&self, source: &str, chunk: &str) -> std::result::Result<MultiValue, Stop> {
        // Loading inside a sandboxed thread gives the chunk fresh globals that read through to
        // the (read-only) shared ones, while keeping Luau's fast paths for builtins.
        let source = source.to_owned();
        let name = source_name(chunk);
        let load = || {
            // Always as text: Luau runs bytecode unchecked, and a script that starts as bytecode
            // does would otherwise be loaded as such.
            let loader = self.lua.create_function(move |lua, ()| {
                lua.load(&source)
                    .set_name(&name)
                    .set_mode(ChunkMode::Text)
                    .into_function()
            })?;
            let thread = self.lua.create_thread(loader)?;
            thread.sandbox()?;
            let script: Function = thread.resume(())?;
            self.lua.create_thread(script)
        };
        let body = load().map_err(|error| Stop::Error(error, None))?;
        // The script runs as the body of a coroutine, resumed by Luau's `coroutine.resume`,
        // which calls no message handler: the failed coroutine keeps its frames. Luau gives an
        // out-of-memory error no location (and mlua's handler returns at once for it), so its
        // line is read from them. The script cannot yield its thread (`coroutine.rs`); only the
        // interrupt does, to re-enter the interpreter, and the script is resumed at once.
        interrupt::set_script_thread(body.state());
        let mut resumed = self.builtins.resume.call::<MultiValue>(&body);
        while coroutine::yielded(&body)
            && matches!(&resumed, Ok(values) if values.front() == Some(&LuaValue::Boolean(true)))
        {
            resumed = self.builtins.resume.call::<MultiValue>(&body);
        }
        interrupt::set_script_thread(std::ptr::null_mut());
        let error = if coroutine::failed_of_memory(&body) {
            mlua::Error::MemoryError("not enough memory".to_owned())
        } else {
            let mut resumed = resumed.map_err(|error| Stop::Error(error, None))?;
            match resumed.pop_front() {
                Some(LuaValue::Boolean(true)) => return Ok(resumed),
                _ => self.raised(&body, resumed.pop_front().unwrap_or(LuaValue::Nil)),
            }
        };
        let line = matches!(root_error(&error), mlua::Error::MemoryError(_))
            .then(|| coroutine::failed_line(&body, &source_name(chunk)))
            .flatten();
        Err(Stop::Error(error, line))
    }

    /// The error a failed script raised, as mlua's message handler makes it: an error from Rust
    /// as it is, any other value as its text followed by the failed coroutine's traceback.
    fn raised(&self, body: &Thread, value: LuaValue) -> mlua::Error {
        if let LuaValue::Error(error) = value {
            return *error;
        }
        match self.builtins.tostring.call::<mlua::LuaString>(value) {
            Ok(text) => {
                let traceback = self
                    .builtins
                    .traceback
                    .call::<mlua::LuaString>(body)
                    .map(|frames| frames.to_string_lossy())
                    .unwrap_or_default();
                mlua::Error::RuntimeError(format!(
                    "{}\nstack traceback:\n{}",
                    text.to_string_lossy(),
                    traceback.trim_end()
                ))
            }
            // Luau's own message when a message handler fails; script_error explains it.
            Err(_) => mlua::Error::runtime(ERROR_IN_ERROR_HANDLING),
        }
    }
}

/// Luau's own functions a run uses, taken before the sandbox hides them.
struct Builtins {
    /// `coroutine.resume`.
    resume: Function,
    /// `tostring`.
    tostring: Function,
    /// `debug.traceback`.
    traceback: Function,
}

impl Builtins {
    fn new(lua: &Lua) -> mlua::Result<Self> {
        let globals = lua.globals();
        let library = |name: &str, function: &str| {
            globals
                .get::<Table>(name)
                .and_then(|table| table.get::<Function>(function))
        };
        Ok(Self {
            resume: library("coroutine", "resume")?,
            tostring: globals.get("tostring")?,
            traceback: library("debug", "traceback")?,
        })
    }
}

/// The source name Luau gives the chunk: `=` keeps it as written in messages.
fn source_name(chunk: &str) -> String {
    format!("={chunk}")
}

/// Why a run stopped early.
enum Stop {
    /// The script (or a returned value's `__tostring`) raised an error or hit a limit; the line
    /// where the script was, when read from its frames.
    Error(mlua::Error, Option<u32>),
    /// The returned values exceed what the output limit leaves.
    Output,
}

/// The size of `value` as compact JSON, if it is at most `room` bytes.
fn json_size(value: &Value, room: usize) -> Option<usize> {
    /// Counts bytes, failing once there are more than `room`.
    struct Counter {
        room: usize,
        size: usize,
    }
    impl std::io::Write for Counter {
        fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
            self.size += bytes.len();
            if self.size > self.room {
                return Err(std::io::ErrorKind::FileTooLarge.into());
            }
            Ok(bytes.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    let mut counter = Counter { room, size: 0 };
    serde_json::to_writer(&mut counter, value).ok()?;
    Some(counter.size)
}

/// The longest prefix of `text` of at most `max` bytes that ends on a character boundary.
fn cut(text: &str, max: usize) -> &str {
    let mut end = max.min(text.len());
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    &text[..end]
}

fn setup(lua: &Lua, ctx: &Rc<Context>, printed: &Rc<Printed>) -> mlua::Result<()> {
    lua.set_memory_limit(DEFAULT_MEMORY_LIMIT)?;
    binding::install(lua)?;
    let globals = lua.globals();
    let module = registry_table::create(lua, ctx)?;
    let error_kinds = errors::install(lua)?;
    globals.raw_set("errors", error_kinds.clone())?;
    let require = function(lua, "require", Results::One, move |lua, args| {
        match args.get(1) {
            LuaValue::String(name) if name == "registry" => returns(lua, module.clone()),
            LuaValue::String(name) if name == "errors" => returns(lua, error_kinds.clone()),
            LuaValue::String(name) => Err(Failure::Raise(format!(
                "module {:?} not found: only \"registry\" and \"errors\" can be required",
                name.to_string_lossy()
            ))),
            _ => Err(args.bad(1, "string")),
        }
    })?;
    globals.raw_set("require", require)?;
    globals.raw_set("print", print_function(lua, ctx, printed)?)?;
    for escape in ["loadstring", "getfenv", "setfenv"] {
        globals.raw_set(escape, LuaValue::Nil)?;
    }
    globals.raw_set("os", os_table(lua, ctx)?)?;
    coroutine::hide_script_yield(lua, &globals.get::<Table>("coroutine")?)?;
    lua.sandbox(true)
}

/// `print`, writing to the run's output instead of stdout.
fn print_function(lua: &Lua, ctx: &Rc<Context>, printed: &Rc<Printed>) -> mlua::Result<Function> {
    let tostring: Function = lua.globals().get("tostring")?;
    let printed = Rc::clone(printed);
    let ctx = Rc::clone(ctx);
    lua.create_function(move |_, args: MultiValue| {
        let mut line = String::new();
        for (i, arg) in args.into_iter().enumerate() {
            if i > 0 {
                line.push('\t');
            }
            line.push_str(&tostring.call::<mlua::LuaString>(arg)?.to_string_lossy());
        }
        line.push('\n');
        printed.push_line(&line, &ctx);
        Ok(())
    })
}

/// `os` with only `time`, `date`, `clock` and `difftime`; the current time is the run's.
fn os_table(lua: &Lua, ctx: &Rc<Context>) -> mlua::Result<Table> {
    let builtin: Table = lua.globals().get("os")?;
    let os = lua.create_table()?;
    let now_seconds = {
        let ctx = Rc::clone(ctx);
        move || LuaValue::Number((ctx.now_ms.get() / 1000) as f64)
    };
    let time: Function = builtin.get("time")?;
    let clock_now = now_seconds.clone();
    os.raw_set(
        "time",
        lua.create_function(move |_, args: MultiValue| match args.front() {
            None | Some(LuaValue::Nil) => Ok(clock_now()),
            Some(_) => time.call::<LuaValue>(args),
        })?,
    )?;
    let date: Function = builtin.get("date")?;
    os.raw_set(
        "date",
        lua.create_function(move |_, (format, at): (LuaValue, LuaValue)| {
            let at = if at.is_nil() { now_seconds() } else { at };
            date.call::<LuaValue>((format, at))
        })?,
    )?;
    os.raw_set("clock", builtin.get::<Function>("clock")?)?;
    os.raw_set("difftime", builtin.get::<Function>("difftime")?)?;
    Ok(os)
}

/// Splits `chunk:line: message` into its parts, and names the limit that stopped the script;
/// `time_limit` is the time limit's message when it expired. The message and traceback are cut
/// to `room` bytes together, with a note.
fn script_error(
    chunk: &str,
    error: &mlua::Error,
    memory_limit: usize,
    time_limit: Option<String>,
    room: usize,
) -> ScriptError {
    let root = root_error(error);
    let limit = match root {
        mlua::Error::MemoryError(_) => Some(Limit::Memory),
        _ if time_limit.is_some() => Some(Limit::Time),
        _ => None,
    };
    let full = match (limit, root) {
        (Some(Limit::Memory), _) => Cow::Owned(format!(
            "script exceeded its memory limit of {} MiB (not enough memory)",
            memory_limit >> 20
        )),
        // A raised value's __tostring hit the limit while the error was turned into text.
        (Some(Limit::Time), mlua::Error::RuntimeError(message))
            if message == ERROR_IN_ERROR_HANDLING =>
        {
            Cow::Owned(format!(
                "{} (in the __tostring of the value it raised)",
                time_limit.unwrap_or_default()
            ))
        }
        (None, mlua::Error::RuntimeError(message)) if message == ERROR_IN_ERROR_HANDLING => {
            Cow::Borrowed(
                "the script raised a value whose __tostring failed, so the error cannot be shown",
            )
        }
        _ => root_message(root),
    };
    // Slices of the message, copied only once cut to `room`: a long message is not copied whole.
    let (message, traceback) = match full.split_once("\nstack traceback:\n") {
        Some((message, traceback)) => (message, Some(traceback)),
        None => (full.as_ref(), None),
    };
    let located = message
        .strip_prefix(chunk)
        .and_then(|rest| rest.strip_prefix(':'))
        .and_then(|rest| rest.split_once(": "))
        .and_then(|(line, text)| Some((line.parse::<u32>().ok()?, text)));
    let (line, message) = match located {
        Some((line, text)) => (Some(line), text),
        None => (None, message),
    };
    let (message, traceback) = if message.len() > room {
        let note = format!(" [error message truncated: {} bytes]", message.len());
        (cut(message, room).to_owned() + &note, None)
    } else {
        let traceback = traceback.map(|text| cut(text, room - message.len()).to_owned());
        (message.to_owned(), traceback)
    };
    ScriptError {
        chunk: chunk.to_owned(),
        line,
        message,
        traceback,
        limit,
    }
}

/// The innermost cause, without mlua's wrapping.
fn root_error(error: &mlua::Error) -> &mlua::Error {
    match error {
        mlua::Error::CallbackError { cause, .. } | mlua::Error::WithContext { cause, .. } => {
            root_error(cause)
        }
        other => other,
    }
}

/// The message of an error, without mlua's prefixes.
fn root_message(error: &mlua::Error) -> Cow<'_, str> {
    match error {
        mlua::Error::SyntaxError { message, .. }
        | mlua::Error::RuntimeError(message)
        | mlua::Error::MemoryError(message) => Cow::Borrowed(message),
        other => Cow::Owned(other.to_string()),
    }
}
