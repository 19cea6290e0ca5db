//! The runner: output capture, returned values, errors with locations, sandbox and persistence.

use std::cell::RefCell;
use std::rc::Rc;
use std::time::Instant;

use registry_conformance::NOW_MS;
use registry_core::{Limit, Registry, RegistryEvent, RunOutput, Runner, ScriptError};

/// `serde_json::json!`, read as a stored value.
macro_rules! json {
    ($($json:tt)+) => {
        serde_json::from_value::<registry_core::Value>(serde_json::json!($($json)+))
            .expect("a storable value")
    };
}

fn runner() -> Runner {
    Runner::new(Registry::new(NOW_MS)).expect("the VM starts")
}

fn run(runner: &mut Runner, source: &str) -> RunOutput {
    runner.run(source, "test.lua", NOW_MS)
}

fn error_of(output: RunOutput) -> ScriptError {
    output.error.expect("the script fails")
}

#[test]
fn captures_print_and_returned_values() {
    let output = run(
        &mut runner(),
        "print('a', 1, nil, true) print(8080, 0.5) return 1, 'two', {x = {3}}, nil",
    );
    assert_eq!(output.printed, "a\t1\tnil\ttrue\n8080\t0.5\n");
    assert_eq!(
        output.returned,
        [json!(1), json!("two"), json!({"x": [3]}), json!(null)]
    );
    assert_eq!(output.error, None);
}

#[test]
fn unstorable_returned_values_come_back_as_text() {
    let output = run(
        &mut runner(),
        "return (require('registry').current_version())",
    );
    assert_eq!(output.returned, [json!("registry.Version{v0}")]);
}

#[test]
fn runtime_errors_carry_chunk_and_line() {
    let error = error_of(run(&mut runner(), "print('before')\n\nerror('boom')"));
    assert_eq!(
        (error.chunk.as_str(), error.line, error.message.as_str()),
        ("test.lua", Some(3), "boom")
    );
    assert_eq!(error.to_string(), "test.lua:3: boom");
    assert!(error.traceback.is_some());
    assert_eq!(error.limit, None);
}

#[test]
fn string_format_errors_name_the_script_line_and_format() {
    let mut runner = runner();
    for (source, message) in [
        (
            "local x = 1\nreturn string.format('%d', 'x')",
            "invalid argument #2 to 'format' (number expected, got string)",
        ),
        // An error object is formatted as its message, and fails as one where a string would.
        (
            "local _, err = require('registry').get('a:b')\nreturn ('%d'):format(err)",
            "invalid argument #2 to 'format' (number expected, got string)",
        ),
        (
            "local _, err = require('registry').get('a:b')\nreturn string.format('%s %q', err)",
            "missing argument #3",
        ),
    ] {
        let error = error_of(run(&mut runner, source));
        assert_eq!(
            (error.line, error.message.as_str()),
            (Some(2), message),
            "{source}"
        );
    }
    let output = run(
        &mut runner,
        "local _, err = require('registry').get('a:b')\nreturn string.format('[%s] %d', err, 5)",
    );
    assert_eq!(output.returned, [json!("[entry not found: a:b] 5")]);
}

#[test]
fn printed_output_survives_an_error() {
    let output = run(&mut runner(), "print('before') error('boom')");
    assert_eq!(output.printed, "before\n");
}

#[test]
fn syntax_errors_carry_chunk_and_line() {
    let error = error_of(run(&mut runner(), "local x = 1\nlocal = 2"));
    assert_eq!((error.chunk.as_str(), error.line), ("test.lua", Some(2)));
}

#[test]
fn argument_errors_point_at_the_calling_line() {
    let error = error_of(run(
        &mut runner(),
        "local registry = require('registry')\nregistry.parse_id(5)",
    ));
    assert_eq!(
        error.to_string(),
        "test.lua:2: bad argument #1 to 'parse_id' (string expected, got number)"
    );
}

#[test]
fn returned_errors_are_kind_message_and_details() {
    let output = run(
        &mut runner(),
        "local r = require('registry')
         return select(2, r.get('a:b')), {errors = {select(2, r.snapshot():changes():apply())}},
             select(2, r.get(5))",
    );
    assert_eq!(output.error, None);
    assert_eq!(
        output.returned,
        [
            json!({"kind": "NOT_FOUND", "message": "entry not found: a:b", "details": {"id": "a:b"}}),
            json!({"errors": [{"kind": "INVALID", "message": "no changes to apply", "details": null}]}),
            json!({
                "kind": "INVALID",
                "message": "bad argument #1 to 'get' (string expected, got number)",
                "details": null
            }),
        ]
    );
}

#[test]
fn an_error_object_raised_ends_the_run_with_its_message() {
    let error = error_of(run(
        &mut runner(),
        "local _, err = require('registry').get('a:b')\nerror(err)",
    ));
    assert_eq!(error.message, "entry not found: a:b");
    assert_eq!(error.limit, None);
}

#[test]
fn stored_values_refuse_error_objects() {
    let output = run(
        &mut runner(),
        "local r = require('registry')
         local _, err = r.get('a:b')
         return pcall(function() r.snapshot():changes():create({id = 'a:b', kind = 'k', data = {err}}) end)",
    );
    assert_eq!(
        output.returned,
        [
            json!(false),
            json!(
                "test.lua:3: create: data[1]: an error object cannot be stored (store err:message())"
            )
        ]
    );
}

#[test]
fn the_registry_outlives_a_script_but_globals_do_not() {
    let mut runner = runner();
    let first = run(
        &mut runner,
        "leaked = true
         local r = require('registry')
         assert(r.snapshot():changes():create({id = 'a:b', kind = 'k'}):apply())",
    );
    assert_eq!(first.error, None);
    let second = run(
        &mut runner,
        "return leaked, require('registry').get('a:b').kind, #require('registry').versions()",
    );
    assert_eq!(second.returned, [json!(null), json!("k"), json!(2)]);
}

#[test]
fn the_clock_is_the_callers() {
    let mut runner = runner();
    let output = runner.run(
        "local r = require('registry')
         local v = r.snapshot():changes():create({id = 'a:b', kind = 'k'}):apply()
         return os.time(), os.date('!%Y-%m-%d %H:%M:%S'), v:time()",
        "clock.lua",
        1_000_000_000_123,
    );
    assert_eq!(
        output.returned,
        [
            json!(1_000_000_000),
            json!("2001-09-09 01:46:40"),
            json!(1_000_000_000_123i64)
        ]
    );
}

#[test]
fn unseeded_runners_draw_different_numbers_and_a_seed_repeats_them() {
    // One after the other, as two runs of a program would: the second VM may reuse the first
    // one's memory, so only the time Luau seeds from tells them apart.
    let first = run(&mut runner(), "return math.random()").returned;
    let second = run(&mut runner(), "return math.random()").returned;
    assert_ne!(first, second);
    let seeded = "math.randomseed(42) return math.random(), math.random(1, 1000)";
    assert_eq!(
        run(&mut runner(), seeded).returned,
        run(&mut runner(), seeded).returned
    );
}

#[test]
fn the_sandbox_exposes_only_the_registry() {
    let output = run(
        &mut runner(),
        "return io, loadstring, getfenv, os.execute, os.getenv, select(2, pcall(require, 'io'))",
    );
    let mut expected = vec![json!(null); 5];
    expected.push(json!(
        "module \"io\" not found: only \"registry\" and \"errors\" can be required"
    ));
    assert_eq!(output.returned, expected);
    let error = error_of(run(&mut runner(), "string.rep = nil"));
    assert!(error.message.contains("readonly"), "{}", error.message);
    let error = error_of(run(&mut runner(), "require('registry').get = nil"));
    assert!(error.message.contains("readonly"), "{}", error.message);
}

/// Luau runs bytecode without checking it, so a script is only ever compiled from text: one that
/// is valid bytecode (Luau's own output for `return 'ran as bytecode'`, which happens to be
/// UTF-8) is refused, and so is anything else that starts as bytecode would.
#[test]
fn scripts_are_never_loaded_as_bytecode() {
    let bytecode = mlua::chunk::Compiler::new()
        .compile("return 'ran as bytecode'")
        .expect("compiles");
    let bytecode = String::from_utf8(bytecode).expect("this bytecode is UTF-8");
    for source in [bytecode.as_str(), "\u{0}boom"] {
        let error = error_of(run(&mut runner(), source));
        assert_eq!(
            (error.chunk.as_str(), error.line, error.message.as_str()),
            (
                "test.lua",
                None,
                "attempt to load a binary chunk (mode is 't')"
            )
        );
    }
}

#[test]
fn print_floods_are_capped() {
    let output = run(
        &mut runner(),
        "local line = string.rep('x', 1000) for i = 1, 5000 do print(line) end",
    );
    assert!(output.printed.len() < (1 << 20) + 200);
    assert!(
        output
            .printed
            .ends_with("[output truncated: more than 1048576 bytes printed]\n")
    );
}

#[test]
fn memory_bombs_fail_cleanly_and_the_runner_goes_on() {
    let mut runner = runner();
    runner.set_memory_limit(16 << 20).expect("limit set");
    let error = error_of(run(
        &mut runner,
        "local t = {} while true do t[#t + 1] = string.rep('x', 1e5) .. #t end",
    ));
    assert_eq!(
        error.message,
        "script exceeded its memory limit of 16 MiB (not enough memory)"
    );
    assert_eq!(error.limit, Some(Limit::Memory));
    assert_eq!(run(&mut runner, "return 1 + 1").returned, [json!(2)]);
}

#[test]
fn memory_limit_errors_name_the_script_line_that_was_running() {
    let mut runner = runner();
    runner.set_memory_limit(16 << 20).expect("limit set");
    let error = error_of(run(
        &mut runner,
        "local t = {}\nlocal i = 0\nwhile true do i = i + 1 t[i] = {i, i} end\n",
    ));
    assert_eq!(
        (error.to_string(), error.limit),
        (
            "test.lua:3: script exceeded its memory limit of 16 MiB (not enough memory)".to_owned(),
            Some(Limit::Memory)
        )
    );
    // the innermost of the script's functions; a library function, a registry call or a
    // coroutine that did the allocating is named by the line that called it
    for (source, line) in [
        (
            "local function grow(s)\n  return s .. s\nend\nlocal s = 'x'\nwhile true do s = grow(s) end",
            2,
        ),
        ("print('big')\nlocal s = string.rep('x', 1e9)", 2),
        (
            "local t = {}\nlocal co = coroutine.wrap(function()\n  while true do t[#t + 1] = {} end\nend)\nco()",
            5,
        ),
        (
            "local r = require('registry')\nlocal c = r.snapshot():changes()\n\
             for i = 1, 200 do c:create({id = 'a:' .. i, kind = 'k', meta = {i = i}}) end\n\
             assert(c:apply())\nlocal kept = {}\nwhile true do kept[#kept + 1] = r.find({}) end",
            6,
        ),
    ] {
        let error = error_of(run(&mut runner, source));
        assert_eq!(
            (error.line, error.limit),
            (Some(line), Some(Limit::Memory)),
            "{source}"
        );
        runner.registry_mut().apply_version(0).expect("v0 exists");
    }
    assert_eq!(run(&mut runner, "return 1 + 1").returned, [json!(2)]);
}

#[test]
fn a_long_find_stops_at_the_time_limit_with_its_line() {
    // 10,000 entries of 50 characters of text each, and a regex no entry matches: one find
    // tests them all within one call, where Luau's interrupt does not run.
    let mut runner = runner();
    let seeded = run(
        &mut runner,
        "local r = require('registry')
         local text = string.rep('abcdefghij', 5)
         local c = r.snapshot():changes()
         for i = 1, 10000 do c:create({id = 'svc:' .. i, kind = 'service', meta = {text = text}}) end
         assert(c:apply())",
    );
    assert_eq!(seeded.error, None);
    let find = "local r = require('registry')\n\
                local started = os.clock()\n\
                local found = r.find({['~meta.text'] = '[a-j]+z'})\n\
                return #found, math.floor((os.clock() - started) * 1000)";
    let untimed = run(&mut runner, find);
    assert_eq!(untimed.error, None);
    assert_eq!(untimed.returned[0], json!(0));
    let registry_core::Value::Integer(took_ms) = untimed.returned[1] else {
        unreachable!("math.floor gives an integer: {:?}", untimed.returned)
    };
    let took_ms = took_ms as f64;
    let start = Instant::now();
    runner.set_clock(Box::new(move || start.elapsed().as_secs_f64() * 1000.0));
    let limit_ms = (took_ms / 10.0).max(1.0) as u64;
    runner.set_time_limit(Some(limit_ms));
    let started = Instant::now();
    let error = error_of(run(&mut runner, find));
    let stopped_ms = started.elapsed().as_secs_f64() * 1000.0;
    assert_eq!(
        (error.to_string(), error.limit),
        (
            format!("test.lua:3: script exceeded its time limit of {limit_ms} ms"),
            Some(Limit::Time)
        )
    );
    assert!(
        stopped_ms < took_ms / 2.0,
        "stopped after {stopped_ms:.0} ms; the whole find takes {took_ms:.0} ms"
    );
    // pcall cannot swallow it either
    let error = error_of(run(
        &mut runner,
        "local r = require('registry')\nlocal ok = pcall(r.find, {['~meta.text'] = '[a-j]+z'})\nreturn ok",
    ));
    assert_eq!((error.line, error.limit), (Some(2), Some(Limit::Time)));
}

fn timed_runner(limit_ms: u64) -> Runner {
    let mut runner = runner();
    let start = Instant::now();
    runner.set_clock(Box::new(move || start.elapsed().as_secs_f64() * 1000.0));
    runner.set_time_limit(Some(limit_ms));
    runner
}

#[test]
fn the_script_cannot_yield_its_own_thread_but_its_coroutines_can() {
    for reentry in [false, true] {
        let mut runner = runner();
        runner.set_interpreter_reentry(reentry);
        let output = run(
            &mut runner,
            "print(coroutine.isyieldable())\n\
             print(pcall(coroutine.yield, 1))\n\
             print(select(2, xpcall(coroutine.yield, function(m) return 'handled: ' .. m end)))\n\
             local co = coroutine.wrap(function() print('inner', coroutine.isyieldable()) coroutine.yield(5) end)\n\
             print(co())\n\
             print(coroutine.status(coroutine.running()))\n\
             coroutine.yield(1, 2)",
        );
        assert_eq!(
            output.printed,
            "false\nfalse\tattempt to yield across metamethod/C-call boundary\n\
             handled: attempt to yield across metamethod/C-call boundary\ninner\ttrue\n5\n\
             running\n"
        );
        let error = error_of(output);
        assert_eq!(
            (error.line, error.message.as_str()),
            (None, "attempt to yield across metamethod/C-call boundary")
        );
    }
}

#[test]
fn runaway_scripts_stop_at_the_time_limit_even_inside_pcall_and_coroutines() {
    let mut runner = timed_runner(50);
    for source in [
        "while true do end",
        "while true do pcall(function() while true do end end) end",
        "pcall(function() while true do end end) return 'swallowed'",
        "local co = coroutine.wrap(function() while true do end end) co()",
        "local s = '' while true do s = string.rep('x', 100) end",
        "local n = 0 local function f() n = n + 1 end while true do f() end",
        // Calls and returns only, no loop.
        "local function f(n) return n > 0 and f(n - 1) + f(n - 1) or 0 end return f(60)",
        // A coroutine resumed for fewer interrupts than a check takes: the count goes on.
        "local co = coroutine.wrap(function() while true do coroutine.yield() end end) \
         while true do co() end",
        // One pattern match that runs long: each step counts.
        "return string.rep('a', 1e5):find('.-.-.-b')",
    ] {
        let error = run(&mut runner, source).error;
        let stopped = error.as_ref().map(|e| (e.message.as_str(), e.limit));
        assert_eq!(
            stopped,
            Some(("script exceeded its time limit of 50 ms", Some(Limit::Time))),
            "{source}"
        );
    }
    assert_eq!(
        run(&mut runner, "return 'still works'").returned,
        [json!("still works")]
    );
}

#[test]
fn changes_applied_before_a_limit_stay() {
    let mut runner = timed_runner(50);
    let output = run(
        &mut runner,
        "local r = require('registry')
         assert(r.snapshot():changes():create({id = 'a:b', kind = 'k'}):apply())
         while true do end",
    );
    assert!(output.error.is_some());
    assert_eq!(runner.registry().head().id(), 1);
}

#[test]
fn the_listener_hears_each_commit_and_head_move() {
    let mut runner = runner();
    let heard = Rc::new(RefCell::new(Vec::new()));
    let log = Rc::clone(&heard);
    runner.set_event_listener(Some(Box::new(move |event| {
        log.borrow_mut().push(match event {
            RegistryEvent::Committed(version) => {
                format!("committed v{} on {:?}", version.id(), version.parent())
            }
            RegistryEvent::HeadMoved(id) => format!("head v{id}"),
            RegistryEvent::Printed(text) => format!("printed {text:?}"),
        });
    })));
    let output = run(
        &mut runner,
        "local r = require('registry')
         r.snapshot():changes():create({id = 'a:b', kind = 'k'}):apply()
         print('made', r.snapshot():get('a:b').id)
         r.snapshot():changes():create({id = 'a:b', kind = 'k'}):apply() -- fails: exists
         r.apply_version(0)",
    );
    assert_eq!(output.error, None);
    assert_eq!(
        *heard.borrow(),
        [
            "committed v1 on Some(0)",
            "printed \"made\\ta:b\\n\"",
            "head v0"
        ]
    );
}

#[test]
fn the_listener_hears_printed_text_as_the_output_limit_keeps_it() {
    let mut runner = runner();
    let heard = Rc::new(RefCell::new(String::new()));
    let log = Rc::clone(&heard);
    runner.set_event_listener(Some(Box::new(move |event| {
        if let RegistryEvent::Printed(text) = event {
            log.borrow_mut().push_str(text);
        }
    })));
    // A returned value's __tostring runs after the script: what it prints is heard too.
    let output = run(
        &mut runner,
        "print('early') \
         return setmetatable({f = print}, {__tostring = function() print('late') return 'x' end})",
    );
    assert_eq!(output.printed, "early\nlate\n");
    assert_eq!(*heard.borrow(), output.printed);
    heard.borrow_mut().clear();
    runner.set_output_limit(10);
    let output = run(&mut runner, "print('12345') print('67890') print('lost')");
    assert_eq!(
        output.printed,
        "12345\n6789\n[output truncated: more than 10 bytes printed]\n"
    );
    assert_eq!(*heard.borrow(), output.printed);
}

#[test]
fn time_limit_errors_name_the_script_line_that_was_running() {
    let mut runner = timed_runner(50);
    let error = error_of(run(
        &mut runner,
        "local n = 0\nn = n + 1\nwhile true do end\n",
    ));
    assert_eq!(
        (error.to_string(), error.limit),
        (
            "test.lua:3: script exceeded its time limit of 50 ms".to_owned(),
            Some(Limit::Time)
        )
    );
    let caught = error_of(run(
        &mut runner,
        "pcall(function()\n  while true do end\nend)\nreturn 1",
    ));
    assert_eq!(caught.line, Some(2));
}

#[test]
fn deep_recursion_is_a_clean_error() {
    let mut runner = runner();
    let error = error_of(run(
        &mut runner,
        "local function f() return 1 + f() end f()",
    ));
    assert_eq!(
        (error.line, error.message.as_str()),
        (Some(1), "stack overflow")
    );
    assert_eq!(
        run(&mut runner, "return 'still works'").returned,
        [json!("still works")]
    );
}

#[test]
fn the_memory_limit_holds_when_registry_calls_do_the_allocating() {
    let mut runner = runner();
    runner.set_memory_limit(16 << 20).expect("limit set");
    let error = error_of(run(
        &mut runner,
        "local r = require('registry')
         local c = r.snapshot():changes()
         for i = 1, 200 do c:create({id = 'a:' .. i, kind = 'k', meta = {i = i}}) end
         assert(c:apply())
         local kept = {}
         while true do kept[#kept + 1] = r.find({}) end",
    ));
    assert_eq!(error.limit, Some(Limit::Memory));
    assert_eq!(
        run(&mut runner, "return #require('registry').find({})").returned,
        [json!(200)]
    );
    // `get` of a string id, `snapshot_at` of a version number and `snapshot()` make their
    // results in C functions of their own (`c_function.rs`).
    let cases = [
        (
            "r.get('a:' .. (#kept % 200 + 1))",
            "return require('registry').get('a:7').id",
            json!("a:7"),
        ),
        (
            "r.snapshot_at(#kept % 2)",
            "return tostring(require('registry').snapshot_at(1))",
            json!("registry.Snapshot{version=v1}"),
        ),
        (
            "r.snapshot()",
            "return tostring(require('registry').snapshot())",
            json!("registry.Snapshot{version=v1}"),
        ),
    ];
    for (keep, afterwards, returned) in cases {
        let error = error_of(run(
            &mut runner,
            &format!(
                "local r = require('registry')
                 local kept = {{}}
                 while true do kept[#kept + 1] = {keep} end"
            ),
        ));
        assert_eq!(
            (error.limit, error.line, error.message.as_str()),
            (
                Some(Limit::Memory),
                Some(3),
                "script exceeded its memory limit of 16 MiB (not enough memory)"
            ),
            "{keep}"
        );
        assert_eq!(
            run(&mut runner, afterwards).returned,
            [returned],
            "{afterwards}"
        );
    }
}

/// Found by the lua_values fuzz target: shared tables were copied once per reference.
#[test]
fn shared_tables_are_not_expanded_without_bound() {
    let mut runner = timed_runner(1000);
    let output = run(
        &mut runner,
        "local t = 0 for i = 1, 21 do t = {t, t} end
         return require('registry').find({x = t})",
    );
    assert_eq!(output.error, None);
    assert_eq!(output.returned[0], json!(null), "find refuses the criteria");
    let message = match &output.returned[1] {
        registry_core::Value::Object(error) => error.get("message").cloned(),
        _ => None,
    };
    assert_eq!(
        message,
        Some(json!(
            "criterion x: a value of more than 1048576 items cannot be stored"
        ))
    );
}

/// Found by the lua_values fuzz target: values 122 to 128 deep were stored but did not import.
#[test]
fn whatever_a_script_stores_imports_back() {
    let mut runner = runner();
    for depth in [99, 100, 101, 128] {
        run(
            &mut runner,
            &format!(
                "local t = {{}} for i = 2, {depth} do t = {{t}} end
                 local changes = require('registry').snapshot():changes()
                 pcall(changes.create, changes, {{id = 'd:{depth}', kind = 'k', data = t}})
                 if #changes:ops() > 0 then assert(changes:apply()) end"
            ),
        );
    }
    let registry = runner.registry();
    let stored: Vec<String> = registry
        .head()
        .state()
        .expect("the state is loaded")
        .entries()
        .map(|e| e.id.to_string())
        .collect();
    assert_eq!(
        stored,
        ["d:100", "d:99"],
        "100 levels (data itself included) are the most"
    );
    let restored = Registry::from_json(&registry.to_json().expect("the history exports"))
        .expect("the export imports back");
    assert_eq!(
        restored.export().expect("the history exports"),
        registry.export().expect("the history exports")
    );
}

#[test]
fn a_long_returned_string_fails_at_the_output_limit_without_being_copied() {
    let mut runner = runner();
    let output = run(
        &mut runner,
        "print('before') return string.rep('r', 50 * 2^20)",
    );
    assert_eq!(output.printed, "before\n");
    assert_eq!(output.returned, Vec::<registry_core::Value>::new());
    let error = error_of(output);
    assert_eq!(
        (error.message.as_str(), error.limit),
        (
            "the script's returned values exceed its output limit of 1048576 bytes (with what \
             it printed)",
            Some(Limit::Output)
        )
    );
    // Values that fit on their own but not together with what was printed.
    runner.set_output_limit(1 << 10);
    let output = run(
        &mut runner,
        "print(string.rep('p', 600)) return {string.rep('r', 300)}, {string.rep('r', 300)}",
    );
    assert_eq!(error_of(output).limit, Some(Limit::Output));
    let output = run(&mut runner, "return {string.rep('r', 500)}, 'ok'");
    assert_eq!(output.returned.len(), 2, "{:?}", output.error);
}

#[test]
fn long_error_messages_are_cut_to_the_output_limit() {
    let mut runner = runner();
    let error = error_of(run(&mut runner, "error(string.rep('e', 40 * 2^20))"));
    assert!(
        error.message.len() < (1 << 20) + 100,
        "{}",
        error.message.len()
    );
    assert!(
        error
            .message
            .ends_with(" [error message truncated: 41943040 bytes]"),
        "{}",
        &error.message[error.message.len() - 60..]
    );
    assert_eq!(error.traceback, None);
    runner.set_output_limit(4 << 10);
    let output = run(
        &mut runner,
        "print(string.rep('p', 10000)) error(string.rep('e', 5000))",
    );
    assert!(
        output
            .printed
            .ends_with("[output truncated: more than 4096 bytes printed]\n")
    );
    let error = error_of(output);
    assert!(
        error.message.starts_with(&"e".repeat(1024))
            && error
                .message
                .ends_with(" [error message truncated: 5000 bytes]"),
        "an error keeps 1 KiB even when the output is full: {}",
        error.message
    );
}

#[test]
fn returned_values_are_converted_under_the_time_and_memory_limits() {
    let mut runner = timed_runner(50);
    let error = error_of(run(
        &mut runner,
        "return setmetatable({f = print}, {__tostring = function() while true do end end})",
    ));
    assert_eq!(
        (error.message.as_str(), error.limit),
        ("script exceeded its time limit of 50 ms", Some(Limit::Time))
    );
    runner.set_memory_limit(16 << 20).expect("limit set");
    let error = error_of(run(
        &mut runner,
        "return setmetatable({f = print}, {__tostring = function()
             local t = {} while true do t[#t + 1] = string.rep('x', 1e5) .. #t end
         end})",
    ));
    assert_eq!(
        (error.message.as_str(), error.limit),
        (
            "script exceeded its memory limit of 16 MiB (not enough memory)",
            Some(Limit::Memory)
        )
    );
    assert_eq!(
        run(
            &mut runner,
            "return setmetatable({f = print}, {__tostring = function() return 'shown' end})"
        )
        .returned,
        [json!("shown")]
    );
}

#[test]
fn a_returned_values_tostring_cannot_commit_after_the_script_ended() {
    let mut runner = runner();
    let events = Rc::new(RefCell::new(0));
    let counted = Rc::clone(&events);
    runner.set_event_listener(Some(Box::new(move |_: &RegistryEvent<'_>| {
        *counted.borrow_mut() += 1;
    })));
    let output = run(
        &mut runner,
        "local r = require('registry')
         assert(r.snapshot():changes():create({id = 'a:in', kind = 'k'}):apply())
         return setmetatable({f = print}, {__tostring = function()
             assert(r.snapshot():changes():create({id = 'a:late', kind = 'k'}):apply())
             return 'late'
         end})",
    );
    let error = error_of(output);
    assert_eq!(
        error.message,
        "a returned value's __tostring changed the registry after the script ended: the change \
         is undone"
    );
    assert_eq!(
        *events.borrow(),
        1,
        "only the script's own commit was reported"
    );
    let registry = runner.registry();
    assert_eq!((registry.head().id(), registry.versions().len()), (1, 2));
}

#[test]
fn error_values_whose_tostring_fails_give_a_readable_message() {
    let mut runner = timed_runner(50);
    let error = error_of(run(
        &mut runner,
        "error(setmetatable({}, {__tostring = function() while true do end end}))",
    ));
    assert_eq!(
        (error.message.as_str(), error.limit),
        (
            "script exceeded its time limit of 50 ms (in the __tostring of the value it raised)",
            Some(Limit::Time)
        )
    );
    let error = error_of(run(
        &mut runner,
        "error(setmetatable({}, {__tostring = function() error('inner') end}))",
    ));
    assert_eq!(
        (error.message.as_str(), error.limit),
        (
            "the script raised a value whose __tostring failed, so the error cannot be shown",
            None
        )
    );
    let error = error_of(run(
        &mut runner,
        "error(setmetatable({}, {__tostring = function() return 'custom' end}))",
    ));
    assert_eq!(error.message, "custom");
}

/// A history source whose store has gone away: nothing can be loaded.
struct Unreachable;

fn unreachable() -> registry_core::Error {
    registry_core::Error::new(
        registry_core::ErrorKind::InvalidHistory,
        "the store is unreachable",
    )
}

impl registry_core::HistorySource for Unreachable {
    fn ops(&self, _: &[u64]) -> registry_core::Result<Vec<Vec<registry_core::Op>>> {
        Err(unreachable())
    }

    fn checkpoint(&self, _: u64) -> registry_core::Result<registry_core::State> {
        Err(unreachable())
    }
}

/// `registry.get` is a C function with its own path for string ids; its failures still raise
/// like every other registry function's (here `find`, through the Lua wrapper): the message
/// prefixed with the function's name, at the script's line, catchable by `pcall`.
#[test]
fn registry_calls_that_cannot_load_head_raise_at_the_script_line() {
    let mut stored = Registry::new(NOW_MS);
    let entry = registry_core::Entry::new(
        registry_core::EntryId::parse("a:x").expect("an id"),
        "k",
        registry_core::Map::default(),
        registry_core::Value::Null,
    )
    .expect("an entry");
    stored
        .apply(0, &[registry_core::Op::Create(Rc::new(entry))], NOW_MS)
        .expect("v1");
    let listing = registry_core::protocol::VersionList::of(&stored);
    let opened = Registry::open(&listing.versions, listing.head, &[], Box::new(Unreachable))
        .expect("opening reads nothing");
    let mut runner = Runner::new(opened).expect("the VM starts");
    for (call, name) in [
        ("registry.get('a:x')", "get"),
        ("registry.get({ns = 'a', name = 'x'})", "get"),
        ("registry.find({})", "find"),
    ] {
        let error = error_of(run(
            &mut runner,
            &format!("local registry = require('registry')\n\nlocal e = {call}"),
        ));
        assert_eq!(
            error.to_string(),
            format!("test.lua:3: {name}: the store is unreachable"),
            "{call}"
        );
        let caught = run(
            &mut runner,
            &format!(
                "local registry = require('registry')\nreturn pcall(function() return {call} end)"
            ),
        );
        assert_eq!(
            caught.returned,
            [
                json!(false),
                json!(format!("test.lua:2: {name}: the store is unreachable"))
            ],
            "{call}"
        );
    }
}
