//! A cheap front for Luau's interrupt. Luau calls the interrupt at every call and loop back-edge;
//! mlua's handler wraps each call in Rust error handling, which cost call-heavy scripts about half
//! their time under a time limit. This front counts interrupts in a plain counter and passes only
//! every [`INTERRUPTS_PER_CHECK`]th one (or the next one, after [`check_at_next`]) to mlua's.
#![expect(unsafe_code)]

use std::cell::Cell;
use std::ffi::c_int;

use mlua::{Lua, VmState, ffi};

/// Interrupts counted between two checks: a check may read a clock through a host call.
pub(crate) const INTERRUPTS_PER_CHECK: u32 = 1024;

type InterruptFn = unsafe extern "C-unwind" fn(*mut ffi::lua_State, c_int);

thread_local! {
    /// Interrupts (and [`due`] calls) left before the next check. Per thread: a thread runs one
    /// VM at a time, and sharing the count between VMs only moves a check earlier.
    static COUNTDOWN: Cell<u32> = const { Cell::new(INTERRUPTS_PER_CHECK) };
    /// mlua's interrupt handler (one function for every `Lua`), which runs the callback.
    static MLUA_INTERRUPT: Cell<Option<InterruptFn>> = const { Cell::new(None) };
}

/// Whether a check is due: counts one interrupt (for Rust loops that stand in for Luau's).
pub(crate) fn due() -> bool {
    COUNTDOWN.with(|countdown| match countdown.get() {
        0 | 1 => {
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

/// Installs `check` as `lua`'s interrupt, called on every [`INTERRUPTS_PER_CHECK`]th interrupt.
pub(crate) fn set(
    lua: &Lua,
    check: impl Fn(&Lua) -> mlua::Result<VmState> + 'static,
) -> mlua::Result<()> {
    lua.set_interrupt(check);
    COUNTDOWN.with(|countdown| countdown.set(INTERRUPTS_PER_CHECK));
    // SAFETY: the callbacks are the VM's global ones (every thread shares them); mlua has just
    // set their `interrupt`, and this swaps it for `counted`, which calls mlua's in turn.
    unsafe {
        lua.exec_raw((), |state| {
            let callbacks = ffi::lua_callbacks(state);
            let mlua_interrupt = (*callbacks).interrupt.replace(counted);
            MLUA_INTERRUPT.with(|saved| saved.set(mlua_interrupt));
        })
    }
}

unsafe extern "C-unwind" fn counted(state: *mut ffi::lua_State, gc: c_int) {
    // gc >= 0: a garbage-collector step, which mlua ignores too.
    if gc >= 0 || !due() {
        return;
    }
    if let Some(mlua_interrupt) = MLUA_INTERRUPT.with(Cell::get) {
        // SAFETY: Luau calls this as an interrupt; mlua's handler expects exactly that call.
        unsafe { mlua_interrupt(state, gc) }
    }
}
