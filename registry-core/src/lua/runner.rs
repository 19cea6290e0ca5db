//! [`Runner`]: one registry and one sandboxed Luau VM, running scripts one after another.

use std::cell::{Cell, RefCell};
use std::fmt;
use std::rc::Rc;

use mlua::{Function, Lua, MultiValue, Table, Value as LuaValue, VmState};

use super::binding::{self, Failure, Results, function, returns};
use super::context::{Context, EventListener};
use super::convert::returned_to_value;
use super::errors;
use super::module;
use crate::error::{Error, ErrorKind, Result};
use crate::history::Registry;
use crate::protocol::{DEFAULT_MEMORY_LIMIT, Limit, RunOutput, ScriptError};
use crate::value::Value;

/// Printed output beyond this is dropped, with a note saying so.
const PRINT_LIMIT: usize = 1 << 20;

/// The clock is read once per this many interrupts: reading it can cost a host call.
const INTERRUPTS_PER_CLOCK_READ: u32 = 1024;

/// A monotonic clock in milliseconds (any origin), for time limits.
pub type Clock = Box<dyn Fn() -> f64>;

/// Enforces a run's time limit from Luau's interrupt. Once the deadline passes, every interrupt
/// raises again, so `pcall` cannot swallow the limit: the error escapes at the next loop or call.
#[derive(Default)]
struct Watchdog {
    clock: RefCell<Option<Clock>>,
    limit_ms: Cell<Option<u64>>,
    deadline: Cell<Option<f64>>,
    countdown: Cell<u32>,
    expired: Cell<bool>,
}

impl Watchdog {
    fn now(&self) -> Option<f64> {
        self.clock.borrow().as_ref().map(|clock| clock())
    }

    fn start(&self) {
        self.expired.set(false);
        self.countdown.set(INTERRUPTS_PER_CLOCK_READ);
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

    fn check(&self) -> mlua::Result<VmState> {
        if !self.expired.get() {
            let Some(deadline) = self.deadline.get() else {
                return Ok(VmState::Continue);
            };
            let left = self.countdown.get().saturating_sub(1);
            self.countdown.set(left);
            if left > 0 {
                return Ok(VmState::Continue);
            }
            self.countdown.set(INTERRUPTS_PER_CLOCK_READ);
            if self.now().is_none_or(|now| now < deadline) {
                return Ok(VmState::Continue);
            }
            self.expired.set(true);
        }
        Err(mlua::Error::runtime(self.message()))
    }

    fn message(&self) -> String {
        format!(
            "script exceeded its time limit of {} ms",
            self.limit_ms.get().unwrap_or(0)
        )
    }
}

/// Owns one registry and one sandboxed Luau VM. The registry outlives each script: two runs on
/// one runner see the same versions; each run gets fresh globals.
pub struct Runner {
    lua: Lua,
    ctx: Rc<Context>,
    printed: Rc<RefCell<String>>,
    watchdog: Rc<Watchdog>,
    memory_limit: usize,
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
        let printed = Rc::new(RefCell::new(String::new()));
        setup(&lua, &ctx, &printed)
            .map_err(|e| Error::new(ErrorKind::Vm, format!("cannot start Luau: {e}")))?;
        let watchdog = Rc::new(Watchdog::default());
        Ok(Self {
            lua,
            ctx,
            printed,
            watchdog,
            memory_limit: DEFAULT_MEMORY_LIMIT,
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

    /// Runs `source` as chunk `chunk` with the current time `now_ms` (milliseconds since the
    /// Unix epoch): it feeds `os.time`, `os.date` and the time of versions the script creates.
    pub fn run(&mut self, source: &str, chunk: &str, now_ms: i64) -> RunOutput {
        self.ctx.now_ms.set(now_ms);
        self.printed.borrow_mut().clear();
        self.watchdog.start();
        // Luau calls the interrupt at every call and loop back-edge, which costs call-heavy code
        // a large share of its time: install it only for runs that have a deadline.
        if self.watchdog.deadline.get().is_some() {
            let watchdog = Rc::clone(&self.watchdog);
            self.lua.set_interrupt(move |_| watchdog.check());
        } else {
            self.lua.remove_interrupt();
        }
        let mut result = self.execute(source, chunk);
        self.watchdog.stop();
        if self.watchdog.expired.get() && result.is_ok() {
            // The script caught the limit's error (pcall) and then ended: it still ran too long.
            result = Err(mlua::Error::runtime(self.watchdog.message()));
        }
        let printed = std::mem::take(&mut *self.printed.borrow_mut());
        match result {
            Ok(values) => RunOutput {
                printed,
                returned: values
                    .iter()
                    .map(|v| returned_value(&self.lua, v))
                    .collect(),
                error: None,
            },
            Err(error) => {
                // Reclaim what a failed script left behind (an out-of-memory script leaves a lot).
                let _ = self.lua.gc_collect();
                RunOutput {
                    printed,
                    returned: Vec::new(),
                    error: Some(script_error(
                        chunk,
                        &error,
                        self.memory_limit,
                        self.watchdog.expired.get(),
                    )),
                }
            }
        }
    }

    fn execute(&self, source: &str, chunk: &str) -> mlua::Result<MultiValue> {
        // Loading inside a sandboxed thread gives the chunk fresh globals that read through to
        // the (read-only) shared ones, while keeping Luau's fast paths for builtins.
        let source = source.to_owned();
        let name = format!("={chunk}");
        let loader = self
            .lua
            .create_function(move |lua, ()| lua.load(&source).set_name(&name).into_function())?;
        let thread = self.lua.create_thread(loader)?;
        thread.sandbox()?;
        let script: Function = thread.resume(())?;
        script.call(())
    }
}

fn setup(lua: &Lua, ctx: &Rc<Context>, printed: &Rc<RefCell<String>>) -> mlua::Result<()> {
    lua.set_memory_limit(DEFAULT_MEMORY_LIMIT)?;
    binding::install(lua)?;
    let globals = lua.globals();
    let module = module::create(lua, ctx)?;
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
    globals.raw_set("print", print_function(lua, printed)?)?;
    for escape in ["loadstring", "getfenv", "setfenv"] {
        globals.raw_set(escape, LuaValue::Nil)?;
    }
    globals.raw_set("os", os_table(lua, ctx)?)?;
    lua.sandbox(true)
}

/// `print`, writing to the run's output instead of stdout.
fn print_function(lua: &Lua, printed: &Rc<RefCell<String>>) -> mlua::Result<Function> {
    let tostring: Function = lua.globals().get("tostring")?;
    let printed = Rc::clone(printed);
    lua.create_function(move |_, args: MultiValue| {
        let mut line = String::new();
        for (i, arg) in args.into_iter().enumerate() {
            if i > 0 {
                line.push('\t');
            }
            line.push_str(&tostring.call::<mlua::LuaString>(arg)?.to_string_lossy());
        }
        line.push('\n');
        let mut out = printed.borrow_mut();
        if out.len() < PRINT_LIMIT {
            if out.len() + line.len() > PRINT_LIMIT {
                let mut cut = PRINT_LIMIT - out.len();
                while !line.is_char_boundary(cut) {
                    cut -= 1;
                }
                out.push_str(&line[..cut]);
                out.push_str(&format!(
                    "\n[output truncated: more than {PRINT_LIMIT} bytes printed]\n"
                ));
            } else {
                out.push_str(&line);
            }
        }
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

/// A returned value as JSON-able data; values that cannot be stored come back as their tostring.
fn returned_value(lua: &Lua, value: &LuaValue) -> Value {
    returned_to_value(value).unwrap_or_else(|_| {
        let shown = lua
            .globals()
            .get::<Function>("tostring")
            .and_then(|tostring| tostring.call::<String>(value.clone()));
        Value::String(shown.unwrap_or_else(|e| e.to_string()))
    })
}

/// Splits `chunk:line: message` into its parts, and names the limit that stopped the script.
fn script_error(
    chunk: &str,
    error: &mlua::Error,
    memory_limit: usize,
    timed_out: bool,
) -> ScriptError {
    let root = root_error(error);
    let limit = match root {
        mlua::Error::MemoryError(_) => Some(Limit::Memory),
        _ if timed_out => Some(Limit::Time),
        _ => None,
    };
    let full = match limit {
        Some(Limit::Memory) => format!(
            "script exceeded its memory limit of {} MiB (not enough memory)",
            memory_limit >> 20
        ),
        _ => root_message(root),
    };
    let (message, traceback) = match full.split_once("\nstack traceback:\n") {
        Some((message, traceback)) => (message.to_owned(), Some(traceback.to_owned())),
        None => (full, None),
    };
    let located = message
        .strip_prefix(chunk)
        .and_then(|rest| rest.strip_prefix(':'))
        .and_then(|rest| rest.split_once(": "))
        .and_then(|(line, text)| Some((line.parse::<u32>().ok()?, text)));
    let (line, message) = match located {
        Some((line, text)) => (Some(line), text.to_owned()),
        None => (None, message),
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
fn root_message(error: &mlua::Error) -> String {
    match error {
        mlua::Error::SyntaxError { message, .. } => message.clone(),
        mlua::Error::RuntimeError(message) | mlua::Error::MemoryError(message) => message.clone(),
        other => other.to_string(),
    }
}
