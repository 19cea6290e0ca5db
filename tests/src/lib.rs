//! The conformance suite every driver runs: each `*.lua` under `tests/conformance/` (and under the
//! folders listed, colon-separated, in `REGISTRY_CONFORMANCE_DIRS`) runs on a fresh, empty
//! registry with the clock at [`NOW_MS`], or after its [`seed`] where its first line names one. A
//! script passes if it finishes without error and, where a sibling `.out` file exists, prints
//! exactly its contents.
//!
//! Drivers: natively (registry-core), under wasmtime (registry-host) and in headless Chromium
//! (registry-wasm, which embeds the scripts at build time with [`scripts`]).

use std::path::{Path, PathBuf};

/// The clock every conformance script sees: 2026-01-01T00:00:00Z.
pub const NOW_MS: i64 = 1_767_225_600_000;

/// What a driver saw when it ran one script.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outcome {
    /// Everything the script printed.
    pub printed: String,
    /// The script's error, as the driver reports it, if it failed.
    pub error: Option<String>,
}

/// Whether an outcome passes: no error, and the printed output equals `expected` when given.
pub fn verdict(outcome: &Outcome, expected: Option<&str>) -> Result<(), String> {
    if let Some(error) = &outcome.error {
        return Err(format!(
            "{error}\n--- printed before the error ---\n{}",
            outcome.printed
        ));
    }
    match expected {
        Some(expected) if outcome.printed != expected => Err(format!(
            "printed output differs from the .out file\n--- expected ---\n{expected}--- got ---\n{}",
            outcome.printed
        )),
        _ => Ok(()),
    }
}

/// The folders of the suite: `tests/conformance/`, then those in `REGISTRY_CONFORMANCE_DIRS`.
pub fn folders() -> Vec<PathBuf> {
    let mut folders = vec![Path::new(env!("CARGO_MANIFEST_DIR")).join("conformance")];
    if let Some(extra) = std::env::var_os("REGISTRY_CONFORMANCE_DIRS") {
        folders.extend(std::env::split_paths(&extra));
    }
    folders
}

/// The scripts of one folder, sorted; an unreadable folder is an error, not a smaller suite.
pub fn scripts(folder: &Path) -> Result<Vec<PathBuf>, String> {
    let entries = std::fs::read_dir(folder).map_err(|e| format!("{}: {e}", folder.display()))?;
    let mut paths: Vec<PathBuf> = entries
        .filter_map(|entry| entry.ok().map(|e| e.path()))
        .filter(|path| path.extension().is_some_and(|ext| ext == "lua"))
        .collect();
    paths.sort();
    Ok(paths)
}

/// The expected output of a script: its sibling `.out` file, if any.
pub fn expected(script: &Path) -> Option<String> {
    std::fs::read_to_string(script.with_extension("out")).ok()
}

/// A first line `-- seed: PATH` makes a script run after the seed script at PATH (relative to
/// the script's folder), on the same registry; the seed's output is not compared.
const SEED_PREFIX: &str = "-- seed: ";

/// The seed script `source` (the script at `script`) asks for, if any.
pub fn seed(script: &Path, source: &str) -> Option<PathBuf> {
    let path = source.lines().next()?.strip_prefix(SEED_PREFIX)?.trim();
    Some(script.parent().unwrap_or(Path::new(".")).join(path))
}

/// Fails a case whose seed script failed, naming the seed.
pub fn check_seed(seed: &Path, outcome: &Outcome) -> Result<(), String> {
    match &outcome.error {
        Some(error) => Err(format!("seed {} failed: {error}", seed.display())),
        None => Ok(()),
    }
}

/// Runs the whole suite as a test binary (`harness = false`), each script through `run`.
#[cfg(feature = "harness")]
pub fn main<F>(run: F) -> !
where
    F: Fn(&Path) -> Result<Outcome, String> + Clone + Send + Sync + 'static,
{
    use libtest_mimic::{Arguments, Trial};

    let mut trials = Vec::new();
    for folder in folders() {
        match scripts(&folder) {
            Ok(paths) => trials.extend(paths.into_iter().map(|path| {
                let name = path
                    .file_stem()
                    .map_or_else(String::new, |s| s.to_string_lossy().into_owned());
                let run = run.clone();
                Trial::test(name, move || {
                    Ok(verdict(&run(&path)?, expected(&path).as_deref())?)
                })
            })),
            Err(error) => trials.push(Trial::test(folder.display().to_string(), move || {
                Err(error.into())
            })),
        }
    }
    libtest_mimic::run(&Arguments::from_args(), trials).exit()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn outcome(printed: &str, error: Option<&str>) -> Outcome {
        Outcome {
            printed: printed.to_owned(),
            error: error.map(str::to_owned),
        }
    }

    #[test]
    fn a_script_passes_without_error_and_with_its_expected_output() {
        assert_eq!(verdict(&outcome("a\n", None), Some("a\n")), Ok(()));
        assert_eq!(verdict(&outcome("anything\n", None), None), Ok(()));
        let differs = verdict(&outcome("b\n", None), Some("a\n")).expect_err("output differs");
        assert!(differs.starts_with("printed output differs"), "{differs}");
        let failed =
            verdict(&outcome("a\n", Some("x.lua:1: boom")), Some("a\n")).expect_err("error");
        assert!(failed.starts_with("x.lua:1: boom"), "{failed}");
    }

    #[test]
    fn the_suite_has_its_scripts_and_their_outputs() -> Result<(), String> {
        let scripts = scripts(&folders()[0])?;
        assert!(scripts.len() >= 20, "{} scripts", scripts.len());
        assert!(
            scripts.iter().all(|s| expected(s).is_some()),
            "every script has an .out file"
        );
        Ok(())
    }

    #[test]
    fn a_first_line_names_the_seed_relative_to_the_script() {
        let script = Path::new("/suite/conformance/x.lua");
        assert_eq!(
            seed(script, "-- seed: ../data/seed.lua\nprint(1)\n"),
            Some(PathBuf::from("/suite/conformance/../data/seed.lua"))
        );
        assert_eq!(seed(script, "print(1)\n-- seed: a.lua\n"), None);
        assert_eq!(seed(script, ""), None);
        let failed = outcome("", Some("seed.lua:3: boom"));
        let error = check_seed(Path::new("seed.lua"), &failed).expect_err("the seed failed");
        assert_eq!(error, "seed seed.lua failed: seed.lua:3: boom");
        assert_eq!(
            check_seed(Path::new("seed.lua"), &outcome("x\n", None)),
            Ok(())
        );
    }

    #[test]
    fn the_sample_data_seed_exists() -> Result<(), String> {
        let scripts = scripts(&folders()[0])?;
        let mut seeded = 0;
        for script in &scripts {
            let source = std::fs::read_to_string(script).map_err(|e| e.to_string())?;
            if let Some(seed) = seed(script, &source) {
                assert!(
                    seed.is_file(),
                    "{}: seed {} exists",
                    script.display(),
                    seed.display()
                );
                seeded += 1;
            }
        }
        assert!(seeded > 0, "some scripts run on the sample data");
        Ok(())
    }

    #[test]
    fn an_unreadable_folder_is_an_error() {
        assert!(scripts(Path::new("/nonexistent/conformance")).is_err());
    }
}
