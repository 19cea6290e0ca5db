//! Runs every `*.lua` under `tests/conformance/` (and the folders listed, colon-separated, in
//! `REGISTRY_CONFORMANCE_DIRS`), each on a fresh runner with an empty registry. A script passes if
//! it finishes without error and, where a sibling `.out` file exists, prints exactly its contents.

use std::path::{Path, PathBuf};

use libtest_mimic::{Arguments, Failed, Trial};
use registry_core::{Registry, Runner};

/// The clock every conformance script sees: 2026-01-01T00:00:00Z.
const NOW_MS: i64 = 1_767_225_600_000;

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
                Trial::test(name, move || run(&path))
            })),
            // An unreadable folder is a failure, not a silently smaller suite.
            Err(error) => trials.push(Trial::test(dir.display().to_string(), move || {
                Err(error.into())
            })),
        }
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

fn run(path: &Path) -> Result<(), Failed> {
    let source = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let chunk = path
        .file_name()
        .map_or_else(String::new, |s| s.to_string_lossy().into_owned());
    let mut runner = Runner::new(Registry::new(NOW_MS)).map_err(|e| e.to_string())?;
    let output = runner.run(&source, &chunk, NOW_MS);
    if let Some(error) = output.error {
        return Err(format!(
            "{error}\n--- printed before the error ---\n{}",
            output.printed
        )
        .into());
    }
    let expected_path = path.with_extension("out");
    if let Ok(expected) = std::fs::read_to_string(&expected_path)
        && output.printed != expected
    {
        return Err(format!(
            "printed output differs from {}\n--- expected ---\n{expected}--- got ---\n{}",
            expected_path.display(),
            output.printed
        )
        .into());
    }
    Ok(())
}
