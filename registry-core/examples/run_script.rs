//! Runs one Lua file on a fresh runner, as the conformance harness does, and prints its output.
//!
//! `cargo run -q -p registry-core --example run_script -- FILE.lua`

use std::process::ExitCode;

use registry_conformance::NOW_MS;
use registry_core::{Registry, Runner};

fn main() -> ExitCode {
    let Some(path) = std::env::args().nth(1) else {
        eprintln!("usage: run_script FILE.lua");
        return ExitCode::from(2);
    };
    let source = match std::fs::read_to_string(&path) {
        Ok(source) => source,
        Err(e) => {
            eprintln!("{path}: {e}");
            return ExitCode::from(2);
        }
    };
    let mut runner = match Runner::new(Registry::new(NOW_MS)) {
        Ok(runner) => runner,
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::from(2);
        }
    };
    let chunk = std::path::Path::new(&path)
        .file_name()
        .map_or(path.clone(), |name| name.to_string_lossy().into_owned());
    let output = runner.run(&source, &chunk, NOW_MS);
    print!("{}", output.printed);
    match output.error {
        Some(error) => {
            eprintln!("{error}");
            ExitCode::FAILURE
        }
        None => ExitCode::SUCCESS,
    }
}
