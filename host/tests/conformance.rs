//! The conformance suite (see registry-conformance) under wasmtime: each script through
//! `registry-host --ephemeral --now NOW_MS run SCRIPT`, which must exit 0.

use std::path::Path;
use std::process::{Command, Output, Stdio};

use registry_conformance::{NOW_MS, Outcome};

/// Runs `registry-host run --ephemeral --now NOW_MS SCRIPT`, with no input.
fn host(script: &Path) -> std::io::Result<Output> {
    Command::new(env!("CARGO_BIN_EXE_registry-host"))
        .args(["run", "--ephemeral", "--now", &NOW_MS.to_string()])
        .arg(script)
        .stdin(Stdio::null())
        .output()
}

fn main() {
    // Compile the module once, before the trials run in parallel and would all compile it.
    if let Err(error) = host(Path::new("-")) {
        eprintln!("cannot start registry-host: {error}");
    }
    registry_conformance::main(|path| {
        let output = host(path).map_err(|e| format!("cannot start registry-host: {e}"))?;
        let printed = String::from_utf8_lossy(&output.stdout).into_owned();
        let error = (!output.status.success()).then(|| {
            format!(
                "{}\n{}",
                output.status,
                String::from_utf8_lossy(&output.stderr)
            )
        });
        Ok(Outcome { printed, error })
    })
}
