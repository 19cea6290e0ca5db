//! The sandbox's limits through the host: runaway scripts stop with exit 3 and the limit's
//! message and line, bombs with an out-of-memory message and line, deep structures with an error (exit 1), never a
//! crash; a print flood is cut at 1 MiB. After each, the version the script committed before
//! misbehaving is in the store, and the next run works.

mod common;

use std::time::{Duration, Instant};

use common::{CREATE, Outcome, UPDATE, head, run_script};

const STATE: &str = "limits.db";
/// Every misbehaviour below loops on its first line, the script's line 6 (after CREATE's three
/// lines, a blank one and the print).
const TIME_LIMIT: &str = "error: bad.lua:6: script exceeded its time limit of 500 ms\n";
const MEMORY_LIMIT: &str =
    "error: bad.lua:6: script exceeded its memory limit of 16 MiB (not enough memory)\n";
const PRINT_NOTE: &str = "\n[output truncated: more than 1048576 bytes printed]\n";

/// Runs CREATE (v1), then `misbehaviour`, with `options` (and a 500 ms time limit unless they
/// set one); checks that
/// v1 was kept and that the next run commits v2; returns the outcome.
fn after_v1(misbehaviour: &str, options: &[&str]) -> Outcome {
    let dir = tempfile::tempdir().expect("a temporary folder");
    let dir = dir.path();
    let source = format!("{CREATE}\nprint('v1 committed')\n{misbehaviour}\n");
    let mut options = options.to_vec();
    if !options.contains(&"--timeout") {
        options.extend(["--timeout", "500ms"]);
    }
    let started = Instant::now();
    let outcome = run_script(dir, STATE, "bad.lua", &source, &options);
    let took = started.elapsed();
    assert!(took < Duration::from_secs(10), "took {took:?}: {outcome:?}");
    assert!(
        outcome.stdout.starts_with("v1 committed\n"),
        "{misbehaviour}: {outcome:?}"
    );
    assert_eq!(head(dir, STATE), 1, "{misbehaviour}: v1 was kept");
    let next = run_script(dir, STATE, "next.lua", UPDATE, &[]);
    assert_eq!(
        (next.code, next.stdout.as_str()),
        (Some(0), "9090\n"),
        "after {misbehaviour}: {next:?}"
    );
    assert_eq!(head(dir, STATE), 2);
    outcome
}

fn assert_stopped(outcome: &Outcome, stderr: &str) {
    assert_eq!(outcome.code, Some(3), "{outcome:?}");
    assert_eq!(outcome.stderr, stderr, "{outcome:?}");
}

#[test]
fn an_endless_loop_stops_at_the_time_limit() {
    assert_stopped(&after_v1("while true do end", &[]), TIME_LIMIT);
}

#[test]
fn a_string_rep_loop_stops_at_the_time_limit() {
    let outcome = after_v1("local s while true do s = string.rep('x', 1e5) end", &[]);
    assert_stopped(&outcome, TIME_LIMIT);
}

#[test]
fn pcall_cannot_swallow_the_time_limit() {
    let outcome = after_v1(
        "while true do pcall(function() while true do end end) end",
        &[],
    );
    assert_stopped(&outcome, TIME_LIMIT);
    let outcome = after_v1(
        "local ok, e = pcall(function() while true do end end)\nprint('caught', e)\nreturn ok",
        &[],
    );
    assert_stopped(&outcome, TIME_LIMIT);
    assert_eq!(
        outcome.stdout, "v1 committed\n",
        "nothing after the pcall ran"
    );
}

#[test]
fn recursion_and_a_long_pattern_match_stop_at_the_time_limit() {
    // No loop: only calls and returns, or the steps of one pattern match, count towards checks.
    let outcome = after_v1(
        "local function f(n) return n > 0 and f(n - 1) + f(n - 1) or 0 end return f(60)",
        &[],
    );
    assert_stopped(&outcome, TIME_LIMIT);
    let outcome = after_v1("return string.rep('a', 1e5):find('.-.-.-b')", &[]);
    assert_stopped(&outcome, TIME_LIMIT);
}

#[test]
fn a_loop_in_a_coroutine_stops_at_the_time_limit() {
    let outcome = after_v1(
        "local co = coroutine.wrap(function() while true do end end)\nco()",
        &[],
    );
    assert_stopped(&outcome, TIME_LIMIT);
    let outcome = after_v1(
        "local co = coroutine.create(function() while true do end end)\n\
         return coroutine.resume(co)",
        &[],
    );
    assert_stopped(&outcome, TIME_LIMIT);
    let outcome = after_v1(
        "local co = coroutine.wrap(function() while true do coroutine.yield() end end) \
         while true do co() end",
        &[],
    );
    assert_stopped(&outcome, TIME_LIMIT);
}

#[test]
fn a_table_bomb_stops_at_the_memory_limit() {
    let outcome = after_v1(
        "local t = {} local i = 0 while true do i = i + 1 t[i] = {i, i} end",
        &["--memory", "16MiB", "--timeout", "20s"],
    );
    assert_stopped(&outcome, MEMORY_LIMIT);
}

#[test]
fn string_bombs_stop_at_the_memory_limit() {
    let doubling = after_v1(
        "local s = 'x' while true do s = s .. s end",
        &["--memory", "16MiB", "--timeout", "20s"],
    );
    assert_stopped(&doubling, MEMORY_LIMIT);
    let many = after_v1(
        "local t = {} while true do t[#t + 1] = string.rep('x', 1e5) .. #t end",
        &["--memory", "16MiB", "--timeout", "20s"],
    );
    assert_stopped(&many, MEMORY_LIMIT);
    let rep = after_v1(
        "local s = string.rep('x', 1e9)",
        &["--memory", "16MiB", "--timeout", "20s"],
    );
    assert_stopped(&rep, MEMORY_LIMIT);
}

#[test]
fn memory_the_allocator_cannot_reuse_leaves_luaus_limit_in_charge() {
    // 200 MB of buffers of which every eighth survives, then a 200 MB buffer: Luau counts about
    // 230 MB, within its limit, but the gaps between survivors cannot hold the large buffer, so
    // the module's memory grows to about 400 MB. Natively this succeeds; under the host too.
    let outcome = after_v1(
        "local function every_eighth()
           local all, survivors = {}, {}
           for i = 1, 800 do all[i] = buffer.create(250000) end
           for i = 1, 800, 8 do survivors[#survivors + 1] = all[i] end
           return survivors
         end
         local survivors = every_eighth()
         while collectgarbage('count') > 32 * 1024 do local _ = {} end
         local ok, big = pcall(buffer.create, 200e6)
         print(ok, ok and buffer.len(big), #survivors)",
        &["--timeout", "20s"],
    );
    assert_eq!(
        (
            outcome.code,
            outcome.stdout.as_str(),
            outcome.stderr.as_str()
        ),
        (Some(0), "v1 committed\ntrue\t200000000\t100\n", ""),
    );
}

#[test]
fn deep_recursion_is_an_error() {
    let outcome = after_v1("local function f(n) return f(n + 1) + 1 end\nf(1)", &[]);
    assert_eq!(outcome.code, Some(1), "{outcome:?}");
    assert!(
        outcome.stderr.starts_with("bad.lua:") && outcome.stderr.contains("stack overflow"),
        "{outcome:?}"
    );
}

#[test]
fn a_hundred_thousand_nested_tables_are_an_error_when_stored() {
    let nest = "local t = {} for i = 1, 100000 do t = {t} end\n";
    let outcome = after_v1(
        &format!(
            "{nest}assert(require('registry').snapshot():changes()\
             :create({{id = 'deep:one', kind = 'deep', data = t}}):apply())"
        ),
        &[],
    );
    assert_eq!(outcome.code, Some(1), "{outcome:?}");
    assert!(
        outcome
            .stderr
            .ends_with(": tables nested deeper than 100 levels cannot be stored\n"),
        "{outcome:?}"
    );
    assert!(outcome.stderr.len() < 1000, "a short message: {outcome:?}");
    // Returned or printed, the nest is shown by reference, not walked.
    let outcome = after_v1(&format!("{nest}print(#t)\nreturn t"), &[]);
    assert_eq!(outcome.code, Some(0), "{outcome:?}");
    assert!(
        outcome.stdout.starts_with("v1 committed\n1\n\"table: "),
        "{outcome:?}"
    );
}

#[test]
fn a_print_flood_is_cut_at_one_mebibyte() {
    // 100,000 prints take about 0.4 s of CPU in a debug host: room for a busy machine.
    let outcome = after_v1(
        "for i = 1, 100000 do print(string.rep('y', 99)) end",
        &["--timeout", "5s"],
    );
    assert_eq!((outcome.code, outcome.stderr.as_str()), (Some(0), ""));
    assert_eq!(outcome.stdout.len(), (1 << 20) + PRINT_NOTE.len());
    assert!(
        outcome.stdout.ends_with(PRINT_NOTE),
        "the note ends the output"
    );
    // An endless flood ends at the time limit, its output cut the same way.
    let outcome = after_v1("while true do print(string.rep('y', 99)) end", &[]);
    assert_stopped(&outcome, TIME_LIMIT);
    assert_eq!(outcome.stdout.len(), (1 << 20) + PRINT_NOTE.len());
}
