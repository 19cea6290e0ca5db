//! The conformance suite through the host: every `tests/conformance/*.lua` (and the folders
//! listed, colon-separated, in `REGISTRY_CONFORMANCE_DIRS`) run with
//! `registry-host run --ephemeral --now 1767225600000` must exit 0 and, where a sibling `.out`
//! file exists, print exactly its contents.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use libtest_mimic::{Arguments, Failed, Trial};

/// The clock every conformance script sees: 2026-01-01T00:00:00Z.
const NOW_MS: &str = "1767225600000";

fn main() {
    let mut dirs = vec![Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/conformance")];
    if let Some(extra) = std::env::var_os("REGISTRY_CONFORMANCE_DIRS") {
        dirs.extend(std::env::split_paths(&extra));
    }
    let mut trials = Vec::new();
    for dir in dirs {
        match scripts(&dir) {
            Ok(paths) => trials.extend(paths.into_iter().map(|path| {
                let name = path
                    .file_stem()
                    .map_or_else(String::new, |s| s.to_string_lossy().into_owned());
                Trial::test(name, move || check(&path))
            })),
            // An unreadable folder is a failure, not a silently smaller suite.
            Err(error) => trials.push(Trial::test(dir.display().to_string(), move || {
                Err(error.into())
            })),
        }
    }
    // Compile the module once, before the trials run in parallel and would all compile it.
    if let Err(error) = host(Path::new("-")) {
        eprintln!("cannot start registry-host: {error}");
    }
    libtest_mimic::run(&Arguments::from_args(), trials).exit();
}

fn scripts(dir: &Path) -> Result<Vec<PathBuf>, String> {
    let entries = std::fs::read_dir(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    let mut paths: Vec<PathBuf> = entries
        .filter_map(|entry| entry.ok().map(|e| e.path()))
        .filter(|path| path.extension().is_some_and(|ext| ext == "lua"))
        .collect();
    paths.sort();
    Ok(paths)
}

/// Runs `registry-host run --ephemeral --now NOW_MS SCRIPT`, with no input.
fn host(script: &Path) -> std::io::Result<Output> {
    Command::new(env!("CARGO_BIN_EXE_registry-host"))
        .args(["run", "--ephemeral", "--now", NOW_MS])
        .arg(script)
        .stdin(std::process::Stdio::null())
        .output()
}

fn check(path: &Path) -> Result<(), Failed> {
    let output = host(path).map_err(|e| format!("cannot start registry-host: {e}"))?;
    let printed = String::from_utf8_lossy(&output.stdout);
    if !output.status.success() {
        return Err(format!(
            "{}\n{}--- printed before the error ---\n{printed}",
            output.status,
            String::from_utf8_lossy(&output.stderr)
        )
        .into());
    }
    let expected_path = path.with_extension("out");
    if let Ok(expected) = std::fs::read_to_string(&expected_path)
        && printed != expected
    {
        return Err(format!(
            "printed output differs from {}\n--- expected ---\n{expected}--- got ---\n{printed}",
            expected_path.display()
        )
        .into());
    }
    Ok(())
}
