//! `registry-host`: runs Luau registry scripts in the registry's WebAssembly module under
//! wasmtime, keeping every version in an SQLite store, and inspects the history like git.
//!
//! - [`cli`]: the command line;
//! - [`commands`]: what each command does, and the exit status;
//! - [`engine`]: the wasmtime engine and the module, embedded and cached compiled;
//! - [`guest`]: one instance of the module, its imports, its JSON calls, the outer fences, and
//!   the checks on everything the module reports;
//! - [`store`]: the SQLite store;
//! - [`terminal`]: text from scripts escaped for the terminal; [`unique_keys`]: JSON files with
//!   a repeated key refused.
//!
//! The protocol's values and the history format are registry-core's (without its Luau binding).

mod checkpoints;
mod cli;
mod commands;
mod engine;
mod guest;
mod store;
mod terminal;
mod unique_keys;

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let cli = cli::Cli::parse();
    match commands::execute(cli) {
        Ok(code) => code,
        Err(error) => {
            eprintln!("error: {}", terminal::text(&format!("{error:#}")));
            commands::exit_code(&error)
        }
    }
}
