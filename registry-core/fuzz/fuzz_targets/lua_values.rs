//! Generated Luau values through the `registry` module, on one `Runner` reused for every input.
//!
//! Each input becomes a script that builds one Lua value `v` (nested tables with mixed keys,
//! NaN and infinities, strings of arbitrary bytes, functions, coroutines, userdata, cycles
//! through a local, metatables, deep nesting) and hands it, under `pcall`, to the functions
//! that convert Lua values: `changes:create/update/delete`, `find`, `build_delta`, `get`,
//! `apply_version`, `snapshot_at`, ... Any script error is fine. The runner must never panic,
//! abort or hang (time limit with a clock, memory limit); whatever the script stored must
//! export and import back identically; and after every input a canary script must still run
//! and return its value: no leftover expired watchdog, no broken VM.
#![no_main]

use std::cell::RefCell;
use std::fmt::Write as _;
use std::time::Instant;

use arbitrary::{Arbitrary, Result, Unstructured};
use libfuzzer_sys::fuzz_target;
use registry_core::{Registry, Runner, Value};

/// Per-run limits: long enough for any generated value, short enough to fuzz quickly.
const TIME_LIMIT_MS: u64 = 100;
const MEMORY_LIMIT: usize = 64 << 20;

/// Expressions that are interesting as they are.
const ATOMS: [&str; 40] = [
    "nil",
    "true",
    "false",
    "0",
    "-0",
    "0/0",
    "-(0/0)",
    "math.huge",
    "-math.huge",
    "0.5",
    "2^53",
    "2^63",
    "-2^63",
    "2^64",
    "1e308 * 10",
    "math.pi",
    "''",
    "'a:b'",
    "'a:c'",
    "':'",
    "'a:'",
    "'k'",
    "'.kind'",
    "'~.id'",
    "'meta.env'",
    "'('",
    "'\\255\\254'",
    "print",
    "function() return 1 end",
    "coroutine.create(function() end)",
    "coroutine.running()",
    "s",
    "r",
    "r.snapshot()",
    "r.current_version()",
    "r.history()",
    "r.snapshot():changes()",
    "buffer.create(4)",
    "vector.create(1, 2, 3)",
    "newproxy(true)",
];

const NAMES: [&str; 10] = [
    "id", "kind", "meta", "data", "ns", "name", "x", "env", "tags", "v",
];

struct Gen<'u, 'a> {
    u: &'u mut Unstructured<'a>,
    out: String,
    budget: u32,
}

impl Gen<'_, '_> {
    fn string_literal(&mut self) -> Result<()> {
        let bytes: &[u8] = Arbitrary::arbitrary(self.u)?;
        self.out.push('"');
        for &b in bytes.iter().take(48) {
            if b.is_ascii_alphanumeric() || b == b' ' || b == b':' || b == b'.' {
                self.out.push(char::from(b));
            } else {
                let _ = write!(self.out, "\\x{b:02x}");
            }
        }
        self.out.push('"');
        Ok(())
    }

    fn number_literal(&mut self) -> Result<()> {
        let n = f64::arbitrary(self.u)?;
        if n.is_finite() {
            // `{:?}` keeps a decimal point or exponent; wrap to make unary minus harmless.
            let _ = write!(self.out, "({n:?})");
        } else if n.is_nan() {
            self.out.push_str("(0/0)");
        } else if n > 0.0 {
            self.out.push_str("math.huge");
        } else {
            self.out.push_str("(-math.huge)");
        }
        Ok(())
    }

    fn key(&mut self, depth: u32) -> Result<()> {
        match self.u.int_in_range(0..=6)? {
            0 | 1 => {
                let name = *self.u.choose(&NAMES)?;
                let _ = write!(self.out, "{name} = ");
                return Ok(());
            }
            2 => {
                let _ = write!(self.out, "[{}] = ", self.u.int_in_range(-2i64..=6)?);
                return Ok(());
            }
            3 => {
                self.out.push('[');
                self.number_literal()?;
                self.out.push(']');
            }
            4 => {
                self.out.push('[');
                self.string_literal()?;
                self.out.push(']');
            }
            _ => {
                // Any expression as a key (nil and NaN keys raise: that is a script error).
                self.out.push('[');
                self.expr(depth)?;
                self.out.push(']');
            }
        }
        self.out.push_str(" = ");
        Ok(())
    }

    fn expr(&mut self, depth: u32) -> Result<()> {
        self.budget = self.budget.saturating_sub(1);
        let top = if depth == 0 || self.budget == 0 {
            3
        } else {
            12
        };
        match self.u.int_in_range(0..=top)? {
            0 => self.out.push_str(self.u.choose(&ATOMS)?),
            1 => self.number_literal()?,
            2 => self.string_literal()?,
            3 => {
                let _ = write!(self.out, "{}", self.u.int_in_range(-3i64..=10)?);
            }
            4 | 5 => {
                // A table with any keys; positional items mix with named ones.
                self.out.push('{');
                for _ in 0..self.u.int_in_range(0..=4)? {
                    if self.u.ratio(1, 2)? {
                        self.key(depth - 1)?;
                    }
                    self.expr(depth - 1)?;
                    self.out.push_str(", ");
                }
                self.out.push('}');
            }
            6 => {
                // Something entry-shaped, so that creates and deltas get past the entry checks.
                self.out.push_str("{id = ");
                if self.u.ratio(3, 4)? {
                    self.out.push_str(self.u.choose(&[
                        "'a:b'",
                        "'a:c'",
                        "'b:a'",
                        "{ns = 'a', name = 'b'}",
                    ])?);
                } else {
                    self.expr(depth - 1)?;
                }
                self.out.push_str(", kind = ");
                if self.u.ratio(3, 4)? {
                    self.out.push_str(self.u.choose(&["'k'", "'j'"])?);
                } else {
                    self.expr(depth - 1)?;
                }
                self.out.push_str(", data = ");
                self.expr(depth - 1)?;
                if self.u.ratio(1, 2)? {
                    self.out.push_str(", meta = ");
                    self.expr(depth - 1)?;
                }
                self.out.push('}');
            }
            7 => {
                let n = self.u.int_in_range(0..=300)?;
                let _ = write!(self.out, "deep({n})");
            }
            8 => {
                let n = *self.u.choose(&[0u32, 1, 2, 100, 5000])?;
                let shared = bool::arbitrary(self.u)?;
                if shared {
                    // One table n times: converting it makes n copies.
                    let _ = write!(self.out, "share({n}, ");
                    self.expr(depth - 1)?;
                    self.out.push(')');
                } else {
                    let _ = write!(self.out, "range({n}, function() return ");
                    self.expr(depth - 1)?;
                    self.out.push_str(" end)");
                }
            }
            9 => {
                // Holes and odd indices in an array.
                self.out.push_str(self.u.choose(&[
                    "{[1] = 1, [3] = 3}",
                    "{[0] = 1}",
                    "{[-1] = 1}",
                    "{[1.5] = 1}",
                    "{[2^53] = 1}",
                    "{[1e300] = 1}",
                    "{nil, 2}",
                    "{1, nil}",
                    "{[1] = 1, [2] = 2, x = 3}",
                    "{[true] = 1}",
                    "{[{}] = 1}",
                    "{[print] = 1}",
                ])?);
            }
            10 => {
                // Metatables: conversions iterate raw, so they must not call these.
                self.out.push_str("setmetatable(");
                self.expr(depth - 1)?;
                self.out.push_str(self.u.choose(&[
                    ", {__index = function() error('index') end})",
                    ", {__len = function() return 1e9 end})",
                    ", {__iter = function() error('iter') end})",
                    ", {__eq = function() return true end, __lt = function() error('lt') end})",
                    ", {__tostring = function() error('tostring') end})",
                    ", {__tostring = function() return {} end})",
                    ", {__metatable = 'locked'})",
                    ", {__newindex = function() error('newindex') end})",
                ])?);
            }
            11 => {
                // A value that refers to the shared local `s`, which ends up holding `v`: cycles.
                self.out.push_str("{s, ");
                self.expr(depth - 1)?;
                self.out.push('}');
            }
            _ => {
                self.out.push_str("string.rep(");
                self.string_literal()?;
                let _ = write!(self.out, ", {})", self.u.choose(&[0u32, 1, 1000, 100_000])?);
            }
        }
        Ok(())
    }
}

/// What to do with `v` (and `w`, a second value); each call runs under `pcall`.
const CALLS: [&str; 26] = [
    "r.snapshot():changes():create({id = 'a:b', kind = 'k', data = v}):apply()",
    "r.snapshot():changes():create({id = 'a:c', kind = 'k', meta = v}):apply()",
    "r.snapshot():changes():create({id = v, kind = 'k'}):apply()",
    "r.snapshot():changes():create({id = 'a:d', kind = v}):apply()",
    "r.snapshot():changes():create(v):apply()",
    "r.snapshot():changes():update({id = 'a:b', kind = 'k', data = v}):apply()",
    "r.snapshot():changes():update(v):apply()",
    "r.snapshot():changes():delete(v):apply()",
    "r.snapshot():changes():create(v):update(w):delete(v):ops()",
    "r.find(v)",
    "r.snapshot():find(w)",
    "r.find({['.kind'] = v, ['~meta.env'] = w})",
    "r.build_delta(v, v)",
    "r.build_delta(v, w)",
    "r.build_delta({{id = 'a:b', kind = 'k', data = v}}, {{id = 'a:b', kind = 'k', data = w}})",
    "r.get(v)",
    "r.snapshot():get(v)",
    "r.snapshot():namespace(v)",
    "r.apply_version(v)",
    "r.snapshot_at(v)",
    "r.history():get_version(v)",
    "r.history():snapshot_at(w)",
    "r.parse_id(v)",
    "r.current_version():ops()",
    "tostring(v) .. tostring(w)",
    "print(v, w)",
];

/// Misbehaving scripts: the limits must stop them and leave the runner usable.
const FINALES: [&str; 6] = [
    "",
    "while true do end",
    "pcall(function() while true do end end) while true do end",
    "local t = {} for i = 1, 1e9 do t[i] = i end",
    "local x = string.rep('x', 2^30)",
    "error(v)",
];

const PRELUDE: &str = "\
local r = require('registry')
local s = {}
local function deep(n) local t = {} for i = 1, n do t = {t} end return t end
local function range(n, make) local t = {} for i = 1, n do t[i] = make() end return t end
local function share(n, x) local t = {} for i = 1, n do t[i] = x end return t end
assert(r.snapshot():changes():create({id = 'a:b', kind = 'k', data = 1}):apply())
";

fn script(u: &mut Unstructured) -> Result<String> {
    let mut generator = Gen {
        u,
        out: String::from(PRELUDE),
        budget: 64,
    };
    generator.out.push_str("local v = ");
    generator.expr(4)?;
    generator.out.push_str("\nlocal w = ");
    generator.expr(3)?;
    generator.out.push_str("\ns.v = v s[1] = w s.s = s\n");
    let Gen { u, mut out, .. } = generator;
    for _ in 0..u.int_in_range(1..=6)? {
        let call = u.choose(&CALLS)?;
        let _ = writeln!(out, "print(pcall(function() return {call} end))");
    }
    out.push_str(u.choose(&FINALES)?);
    out.push_str(if u.ratio(1, 2)? {
        "\nreturn v, w\n"
    } else {
        "\nreturn s\n"
    });
    Ok(out)
}

struct Fuzz {
    runner: Runner,
}

impl Fuzz {
    fn new() -> Self {
        let mut runner = Runner::new(Registry::new(0)).expect("the VM starts");
        let start = Instant::now();
        runner.set_clock(Box::new(move || start.elapsed().as_secs_f64() * 1000.0));
        runner.set_time_limit(Some(TIME_LIMIT_MS));
        runner
            .set_memory_limit(MEMORY_LIMIT)
            .expect("a memory limit");
        Self { runner }
    }

    fn canary(&mut self) {
        let output = self.runner.run(
            "local r = require('registry') return 1 + 1, r.current_version():id()",
            "canary.lua",
            0,
        );
        assert_eq!(output.error, None, "the runner is unusable after an input");
        assert_eq!(output.returned, [Value::from(2), Value::from(0)]);
    }
}

thread_local! {
    static FUZZ: RefCell<Fuzz> = RefCell::new(Fuzz::new());
}

fuzz_target!(|data: &[u8]| {
    let mut u = Unstructured::new(data);
    let Ok(source) = script(&mut u) else {
        return;
    };
    if std::env::var_os("FUZZ_PRINT_SCRIPT").is_some() {
        eprintln!("----- fuzz.lua -----\n{source}\n--------------------");
    }
    FUZZ.with_borrow_mut(|fuzz| {
        let output = fuzz.runner.run(&source, "fuzz.lua", 1_767_225_600_000);
        // Any script error is fine (even an empty message: `error("")` raises one).
        if let Some(error) = &output.error {
            assert_eq!(error.chunk, "fuzz.lua");
        }
        // Whatever a script managed to store must export and import back identically.
        let export = fuzz
            .runner
            .registry()
            .export()
            .expect("the history exports");
        let json = fuzz
            .runner
            .registry()
            .to_json()
            .expect("the history exports");
        match Registry::from_json(&json) {
            Ok(restored) => assert_eq!(
                restored.export().expect("the history exports"),
                export,
                "export/import round trip"
            ),
            Err(error) => panic!("what a script stored does not import back: {error}"),
        }
        // A fresh registry for the next input, so that memory stays flat over millions of runs.
        *fuzz.runner.registry_mut() = Registry::new(0);
        fuzz.canary();
    });
});
