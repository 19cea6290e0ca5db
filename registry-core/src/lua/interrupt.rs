//! A cheap front for Luau's interrupt, and re-entry of the interpreter.
//!
//! Luau calls the interrupt at every call, return and loop back-edge; mlua's handler wraps each
//! call in Rust error handling, which cost call-heavy scripts about half their time under a time
//! limit. This front counts interrupts in a plain counter and passes only every
//! [`INTERRUPTS_PER_CHECK`]th one (or the next one, after [`check_at_next`]) to mlua's. In the
//! module, Luau itself counts in that counter (`wasm/patches/luau0-src-*-interrupt-counter.patch`)
//! and calls the front only when a check is due: the other interrupts cost no call. Natively (the
//! crates.io Luau) the front is called at every interrupt and counts.
//!
//! Re-entry: a script runs inside one call of Luau's interpreter function (calls between Lua
//! functions do not leave it). V8 (Node, Chromium) first runs a wasm function as baseline code
//! and swaps in its optimized code only for the function's next call, so a long script would run
//! its whole length on the baseline code, about half as fast (BENCHMARKS.md, "Performance
//! candidates"). So, while [`REENTRY_CHECKS`] last, a check yields the script's main thread
//! (and the runner resumes it at once, in a new call of the interpreter) each time the count of
//! checks is a power of two.
#![expect(unsafe_code)]

use std::cell::Cell;
use std::ffi::c_int;
use std::ptr;

use mlua::{Lua, VmState, ffi};

/// Interrupts counted between two checks: a check may read a clock through a host call.
pub(crate) const INTERRUPTS_PER_CHECK: c_int = 1024;

/// Checks during which the script's thread re-enters the interpreter, from a thread's first
/// (about two million calls and loop iterations): enough for V8 to compile the interpreter's
/// optimized code. The engine compiles a module's code once, for all its VMs, and a wasm module
/// instance runs on one thread: so the count is per thread. 12 re-entries in all, each a yield
/// and a resume, about a microsecond.
pub(crate) const REENTRY_CHECKS: u32 = 1 << 11;

type InterruptFn = unsafe extern "C-unwind" fn(*mut ffi::lua_State, c_int);

thread_local! {
    /// Interrupts (and [`due`] calls) left before the next check. Per thread: a thread runs one
    /// VM at a time, and sharing the count between VMs only moves a check earlier. The module's
    /// Luau counts in it too (`lua_setinterruptcounter`).
    static COUNTDOWN: Cell<c_int> = const { Cell::new(INTERRUPTS_PER_CHECK) };
    /// mlua's interrupt handler (one function for every `Lua`), which runs the callback; none
    /// when the run has nothing to check, only re-entry.
    static MLUA_INTERRUPT: Cell<Option<InterruptFn>> = const { Cell::new(None) };
    /// Whether the run in progress re-enters the interpreter.
    static REENTERING: Cell<bool> = const { Cell::new(false) };
    /// Checks counted towards [`REENTRY_CHECKS`] on this thread.
    static REENTRY_CHECKS_DONE: Cell<u32> = const { Cell::new(0) };
    /// The main thread of the script running now (null between runs): the only thread a check
    /// yields, and the one where `coroutine.yield` fails as if it were not yieldable.
    static SCRIPT_THREAD: Cell<*mut ffi::lua_State> = const { Cell::new(ptr::null_mut()) };
}

#[cfg(test)]
thread_local! {
    /// Yields made to re-enter the interpreter, for the tests to see that they happen.
    static REENTRIES: Cell<u32> = const { Cell::new(0) };
}

/// Whether a check is due: counts one interrupt (for Rust loops that stand in for Luau's).
pub(crate) fn due() -> bool {
    COUNTDOWN.with(|countdown| match countdown.get() {
        ..=1 => {
            countdown.set(INTERRUPTS_PER_CHECK);
            true
        }
        left => {
            countdown.set(left - 1);
            false
        }
    })
}

/// Makes the next interrupt (or [`due`]) check: once a limit has passed, every check fails.
pub(crate) fn check_at_next() {
    COUNTDOWN.with(|countdown| countdown.set(0));
}

/// Whether runs on this thread still re-enter the interpreter ([`REENTRY_CHECKS`] not spent).
pub(crate) fn reentry_left() -> bool {
    REENTRY_CHECKS_DONE.get() < REENTRY_CHECKS
}

/// Installs `lua`'s interrupt for one run: `check` (if any) on every [`INTERRUPTS_PER_CHECK`]th
/// interrupt, then, if `reenter`, re-entry (see the module's documentation).
pub(crate) fn set(lua: &Lua, check: Option<Check>, reenter: bool) -> mlua::Result<()> {
    match check {
        Some(check) => lua.set_interrupt(check),
        None => lua.remove_interrupt(),
    }
    COUNTDOWN.set(INTERRUPTS_PER_CHECK);
    REENTERING.set(reenter);
    // SAFETY: the callbacks are the VM's global ones (every thread shares them); mlua has just
    // set (or cleared) their `interrupt`, and this swaps it for `counted`, which calls mlua's in
    // turn.
    unsafe {
        lua.exec_raw((), |state| {
            let callbacks = ffi::lua_callbacks(state);
            let mlua_interrupt = (*callbacks).interrupt.replace(counted);
            MLUA_INTERRUPT.set(mlua_interrupt);
            // The thread's counter outlives every VM on the thread.
            #[cfg(target_arch = "wasm32")]
            lua_setinterruptcounter(state, COUNTDOWN.with(Cell::as_ptr));
        })
    }
}

#[cfg(target_arch = "wasm32")]
unsafe extern "C-unwind" {
    /// Added by `wasm/patches/luau0-src-*-interrupt-counter.patch`: Luau takes one off `*counter`
    /// at each interrupt and calls the interrupt only once that leaves 0 or less (after setting
    /// `*counter` to 0).
    fn lua_setinterruptcounter(state: *mut ffi::lua_State, counter: *mut c_int);
}

/// Whether an interrupt Luau calls is due for a check. The module's Luau has counted it in
/// [`COUNTDOWN`] already and calls only when one is; the crates.io Luau of native builds calls at
/// every interrupt, counted here.
fn called_due() -> bool {
    if cfg!(target_arch = "wasm32") {
        COUNTDOWN.set(INTERRUPTS_PER_CHECK);
        true
    } else {
        due()
    }
}

/// What a run checks at every [`INTERRUPTS_PER_CHECK`]th interrupt.
pub(crate) type Check = Box<dyn Fn(&Lua) -> mlua::Result<VmState>>;

/// Names `thread` as the script's main thread while it runs (null: none runs).
pub(crate) fn set_script_thread(thread: *mut ffi::lua_State) {
    SCRIPT_THREAD.set(thread);
}

/// Whether `state` is the running script's main thread.
pub(crate) fn is_script_thread(state: *mut ffi::lua_State) -> bool {
    !state.is_null() && state == SCRIPT_THREAD.get()
}

unsafe extern "C-unwind" fn counted(state: *mut ffi::lua_State, gc: c_int) {
    // gc >= 0: a garbage-collector step, which mlua ignores too.
    if gc >= 0 || !called_due() {
        return;
    }
    if let Some(mlua_interrupt) = MLUA_INTERRUPT.get() {
        // SAFETY: Luau calls this as an interrupt; mlua's handler expects exactly that call.
        unsafe { mlua_interrupt(state, gc) }
    }
    if REENTERING.get() {
        // SAFETY: as above: `state` is the running thread, inside Luau's interrupt.
        unsafe { reenter(state) }
    }
}

/// Counts a check towards [`REENTRY_CHECKS`] and yields the script's thread when the count is a
/// power of two. Luau allows a yield from the interrupt where the thread is yieldable (not
/// inside a metamethod or a callback from C); it then resumes the interrupted instruction.
unsafe fn reenter(state: *mut ffi::lua_State) {
    let done = REENTRY_CHECKS_DONE.get() + 1;
    REENTRY_CHECKS_DONE.set(done);
    if done >= REENTRY_CHECKS {
        REENTERING.set(false);
        if MLUA_INTERRUPT.get().is_none() {
            // Nothing else to check in this run: no more interrupts.
            // SAFETY: the callbacks are the VM's; Luau reads `interrupt` afresh at each one.
            unsafe { (*ffi::lua_callbacks(state)).interrupt = None };
        }
    }
    // SAFETY: `state` is the running thread; yielding from the interrupt is Luau's documented
    // way to suspend a script.
    unsafe {
        if done.is_power_of_two() && is_script_thread(state) && ffi::lua_isyieldable(state) != 0 {
            ffi::lua_yield(state, 0);
            #[cfg(test)]
            REENTRIES.set(REENTRIES.get() + 1);
        }
    }
}

#[cfg(test)]
mod tests {
    use std::time::Instant;

    use super::{REENTRIES, REENTRY_CHECKS_DONE};
    use crate::{Limit, Registry, RunOutput, Runner};

    const NOW_MS: i64 = 1_767_225_600_000;

    /// Recursion, loops, the script's own coroutines, pcall and errors, over about 460,000
    /// interrupts, then values that depend on all of it.
    const LONG: &str = r#"
local function fib(n) if n < 2 then return n end return fib(n - 1) + fib(n - 2) end
local gen = coroutine.wrap(function()
  for i = 1, 20000 do coroutine.yield(i) end
end)
local sum, caught = 0, 0
for i = 1, 20000 do
  sum += gen()
  local ok = pcall(function() if i % 1000 == 0 then error("boom " .. i) end end)
  if not ok then caught += 1 end
end
print(fib(24), sum, caught, coroutine.isyieldable())
return fib(20), sum, caught
"#;

    fn runner(reentry: bool) -> Runner {
        let mut runner = Runner::new(Registry::new(NOW_MS)).expect("the VM starts");
        runner.set_interpreter_reentry(reentry);
        runner
    }

    fn run(runner: &mut Runner, source: &str) -> RunOutput {
        runner.run(source, "long.lua", NOW_MS)
    }

    #[test]
    fn a_long_script_reenters_the_interpreter_and_gives_the_same_results() {
        let plain = run(&mut runner(false), LONG);
        assert_eq!(REENTRIES.get(), 0, "off: no re-entry");
        assert_eq!(plain.printed, "46368\t200010000\t20\tfalse\n");
        let reentering = run(&mut runner(true), LONG);
        // About 450 checks: the powers of two among them, but for those that fell in the
        // script's own coroutine, which is never yielded.
        assert!(REENTRIES.get() >= 6, "re-entered {} times", REENTRIES.get());
        assert_eq!(reentering, plain);
    }

    #[test]
    fn errors_after_reentries_keep_their_line_and_the_budget_ends_reentry() {
        let mut reentering = runner(true);
        let source = format!("{LONG}\n-- the end\nerror('late')");
        let failed = run(
            &mut reentering,
            &source.replace("return fib(20)", "local _ = fib(20)"),
        );
        let error = failed.error.expect("the script fails");
        assert_eq!((error.line, error.message.as_str()), (Some(16), "late"));
        assert!(error.traceback.is_some());
        let before = REENTRIES.get();
        assert!(before >= 6, "re-entered {before} times");
        // The rest of the budget: then no more re-entries, and the same results.
        REENTRY_CHECKS_DONE.set(super::REENTRY_CHECKS);
        assert_eq!(run(&mut reentering, LONG), run(&mut runner(false), LONG));
        assert_eq!(REENTRIES.get(), before);
    }

    #[test]
    fn limits_hold_while_reentering() {
        let mut runner = runner(true);
        let start = Instant::now();
        runner.set_clock(Box::new(move || start.elapsed().as_secs_f64() * 1000.0));
        runner.set_time_limit(Some(50));
        let stopped = run(
            &mut runner,
            "while true do pcall(function() while true do end end) end",
        );
        let error = stopped.error.expect("the script is stopped");
        assert_eq!(
            (error.message.as_str(), error.limit),
            ("script exceeded its time limit of 50 ms", Some(Limit::Time))
        );
        runner.set_time_limit(None);
        runner.set_memory_limit(8 << 20).expect("a memory limit");
        let stopped = run(
            &mut runner,
            "local t = {}\nfor i = 1, 1e9 do\n  t[i] = {i}\nend",
        );
        let error = stopped.error.expect("the script runs out of memory");
        assert_eq!(
            (error.line, error.limit),
            (Some(3), Some(Limit::Memory)),
            "{error:?}"
        );
        assert!(REENTRIES.get() >= 1, "re-entered {} times", REENTRIES.get());
    }
}
