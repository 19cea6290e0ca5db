//! The conformance suite (see registry-conformance) under wasmtime: each chunk of a case through
//! `registry-host run --now NOW_MS FILE`, which must exit 0, on a store in a fresh folder that
//! also holds the chunk's source as FILE, named as the chunk.

use std::path::Path;
use std::process::{Command, Output, Stdio};

use registry_conformance::{NOW_MS, Outcome};

/// Runs `registry-host run --now NOW_MS SCRIPT` with `store` (`--ephemeral` when none), no input.
fn host(store: Option<&Path>, script: &Path) -> std::io::Result<Output> {
    let mut command = Command::new(env!("CARGO_BIN_EXE_registry-host"));
    command.arg("run");
    match store {
        Some(store) => command.arg("--state").arg(store),
        None => command.arg("--ephemeral"),
    };
    command
        .args(["--now", &NOW_MS.to_string()])
        .arg(script)
        .stdin(Stdio::null())
        .output()
}

fn outcome(output: std::io::Result<Output>) -> Result<Outcome, String> {
    let output = output.map_err(|e| format!("cannot start registry-host: {e}"))?;
    let printed = String::from_utf8_lossy(&output.stdout).into_owned();
    let error = (!output.status.success()).then(|| {
        format!(
            "{}\n{}",
            output.status,
            String::from_utf8_lossy(&output.stderr)
        )
    });
    Ok(Outcome { printed, error })
}

fn main() {
    // Compile the module once, before the trials run in parallel and would all compile it.
    if let Err(error) = host(None, Path::new("-")) {
        eprintln!("cannot start registry-host: {error}");
    }
    registry_conformance::main(|case| {
        let folder = tempfile::tempdir().map_err(|e| format!("cannot make a store folder: {e}"))?;
        let store = folder.path().join("registry.db");
        case.run(|chunk| {
            let script = folder.path().join(&chunk.name);
            std::fs::write(&script, &chunk.source)
                .map_err(|e| format!("{}: {e}", script.display()))?;
            outcome(host(Some(&store), &script))
        })
    })
}
