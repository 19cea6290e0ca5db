//! The conformance suite every driver runs: each `*.lua` under `tests/conformance/` (and under the
//! folders listed, colon-separated, in `REGISTRY_CONFORMANCE_DIRS`) runs on a fresh, empty
//! registry with the clock at [`NOW_MS`] and the assertion helpers of [`PRELUDE`] in scope, or
//! after its seed where its first line names one. A script passes if it finishes without error
//! and, where a sibling `.out` file exists, prints exactly its contents.
//!
//! Drivers run each [`Case`]: natively (registry-core), under wasmtime (registry-host) and in
//! headless Chromium (registry-wasm, which embeds the cases at build time).

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
fn scripts(folder: &Path) -> Result<Vec<PathBuf>, String> {
    let entries = std::fs::read_dir(folder).map_err(|e| format!("{}: {e}", folder.display()))?;
    let mut paths: Vec<PathBuf> = entries
        .filter_map(|entry| entry.ok().map(|e| e.path()))
        .filter(|path| path.extension().is_some_and(|ext| ext == "lua"))
        .collect();
    paths.sort();
    Ok(paths)
}

/// The assertion helpers every script gets (`eq`, `same`, `has`, `raises`, ...): see the file.
pub const PRELUDE: &str = include_str!("../prelude.lua");

/// The prelude as one line of locals before `script`'s first line, so that the script's lines
/// keep their numbers in error messages: comment lines dropped, the others joined by spaces.
pub fn with_prelude(script: &str) -> String {
    let mut source = PRELUDE
        .lines()
        .map(str::trim)
        .filter(|line| !line.is_empty() && !line.starts_with("--"))
        .collect::<Vec<_>>()
        .join(" ");
    source.push(' ');
    source.push_str(script);
    source
}

/// A first line `-- seed: PATH` makes a script run after the seed script at PATH (relative to
/// the script's folder), on the same registry; the seed's output is not compared.
const SEED_PREFIX: &str = "-- seed: ";

/// A Lua chunk to run: its chunk name (for error messages) and its source.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Chunk {
    pub name: String,
    pub source: String,
}

/// One run of a script: on a fresh registry, after its seed if it has one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Case {
    /// The trial's name: the script's file stem.
    pub name: String,
    /// The seed script, as a path for messages and its chunk, run as it is.
    pub seed: Option<(String, Chunk)>,
    /// The script, named by its file name, with the [`PRELUDE`] before its first line.
    pub script: Chunk,
    /// What the script must print: its `.out` file, if there is one.
    pub expected: Option<String>,
}

impl Case {
    /// Runs the seed, if any, then the script through `run`, which runs a chunk on the case's
    /// registry; the outcome is the script's, or an error naming the seed if that failed.
    pub fn run<F>(&self, mut run: F) -> Result<Outcome, String>
    where
        F: FnMut(&Chunk) -> Result<Outcome, String>,
    {
        if let Some((path, seed)) = &self.seed
            && let Some(error) = run(seed)?.error
        {
            return Err(format!("seed {path} failed: {error}"));
        }
        run(&self.script)
    }
}

fn read(path: &Path) -> Result<String, String> {
    std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))
}

fn file_name(path: &Path) -> String {
    path.file_name()
        .map_or_else(String::new, |s| s.to_string_lossy().into_owned())
}

/// The case of the script at `path`.
pub fn case(path: &Path) -> Result<Case, String> {
    let source = read(path)?;
    let seed = match source
        .lines()
        .next()
        .and_then(|l| l.strip_prefix(SEED_PREFIX))
    {
        Some(seed) => {
            let seed = path.parent().unwrap_or(Path::new(".")).join(seed.trim());
            let chunk = Chunk {
                name: file_name(&seed),
                source: read(&seed)?,
            };
            Some((seed.display().to_string(), chunk))
        }
        None => None,
    };
    Ok(Case {
        name: path
            .file_stem()
            .map_or_else(String::new, |s| s.to_string_lossy().into_owned()),
        seed,
        script: Chunk {
            name: file_name(path),
            source: with_prelude(&source),
        },
        expected: std::fs::read_to_string(path.with_extension("out")).ok(),
    })
}

/// The cases of one folder, sorted by script; a folder or seed that cannot be read is an error,
/// not a smaller suite.
pub fn cases(folder: &Path) -> Result<Vec<Case>, String> {
    scripts(folder)?.iter().map(|path| case(path)).collect()
}

/// Runs the whole suite as a test binary (`harness = false`), each case through `run`.
#[cfg(feature = "harness")]
pub fn main<F>(run: F) -> !
where
    F: Fn(&Case) -> Result<Outcome, String> + Clone + Send + Sync + 'static,
{
    use libtest_mimic::{Arguments, Trial};

    let mut trials = Vec::new();
    for folder in folders() {
        match cases(&folder) {
            Ok(cases) => trials.extend(cases.into_iter().map(|case| {
                let run = run.clone();
                Trial::test(case.name.clone(), move || {
                    Ok(verdict(&run(&case)?, case.expected.as_deref())?)
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
    fn the_suite_has_its_cases_and_their_outputs() -> Result<(), String> {
        let cases = cases(&folders()[0])?;
        assert!(cases.len() >= 20, "{} cases", cases.len());
        assert!(
            cases.iter().all(|c| c.expected.is_some()),
            "every case has an .out file"
        );
        Ok(())
    }

    #[test]
    fn the_prelude_goes_on_the_first_line() {
        let source = with_prelude("-- a comment\nprint(eq)\n");
        let (first, rest) = source.split_once('\n').expect("two lines");
        assert!(first.starts_with("local function show(v) "), "{first}");
        assert!(first.ends_with(" end -- a comment"), "{first}");
        assert_eq!(rest, "print(eq)\n");
    }

    #[test]
    fn the_prelude_can_be_joined_into_one_line() {
        for line in PRELUDE.lines().map(str::trim) {
            if line.starts_with("--") {
                continue;
            }
            assert!(!line.contains("--"), "a comment after code: {line}");
            assert!(!line.contains("[["), "a long string: {line}");
            assert!(!line.contains("[="), "a long string: {line}");
            assert!(
                !line.starts_with('('),
                "a line that calls the one before: {line}"
            );
        }
    }

    #[test]
    fn a_first_line_names_the_seed_relative_to_the_script() -> Result<(), String> {
        let temp = tempfile::tempdir().map_err(|e| e.to_string())?;
        let folder = temp.path();
        std::fs::create_dir_all(folder.join("data")).map_err(|e| e.to_string())?;
        let write = |path: &str, text: &str| std::fs::write(folder.join(path), text);
        write("data/seed.lua", "print('seeded')\n").map_err(|e| e.to_string())?;
        write("x.lua", "-- seed: data/seed.lua\nprint(1)\n").map_err(|e| e.to_string())?;
        write("x.out", "1\n").map_err(|e| e.to_string())?;
        let case = case(&folder.join("x.lua"))?;
        assert_eq!(case.name, "x");
        assert_eq!(case.script.name, "x.lua");
        assert!(
            case.script
                .source
                .ends_with(" -- seed: data/seed.lua\nprint(1)\n")
        );
        assert_eq!(case.expected.as_deref(), Some("1\n"));
        let (path, seed) = case.seed.clone().expect("a seed");
        assert_eq!(path, folder.join("data/seed.lua").display().to_string());
        assert_eq!(
            seed,
            Chunk {
                name: "seed.lua".into(),
                source: "print('seeded')\n".into()
            }
        );
        let mut ran = Vec::new();
        let printed = case.run(|chunk| {
            ran.push(chunk.name.clone());
            Ok(outcome(&chunk.name, None))
        })?;
        assert_eq!(
            (ran, printed),
            (
                vec!["seed.lua".into(), "x.lua".into()],
                outcome("x.lua", None)
            )
        );
        let failed = case.run(|chunk| Ok(outcome("", Some(&format!("{}:3: boom", chunk.name)))));
        assert_eq!(failed, Err(format!("seed {path} failed: seed.lua:3: boom")));
        write("y.lua", "-- seed: missing.lua\n").map_err(|e| e.to_string())?;
        let missing = self::case(&folder.join("y.lua")).expect_err("no seed");
        assert!(missing.contains("missing.lua"), "{missing}");
        Ok(())
    }

    #[test]
    fn the_sample_data_seed_exists() -> Result<(), String> {
        let cases = cases(&folders()[0])?;
        assert!(
            cases.iter().any(|c| c.seed.is_some()),
            "some scripts run on the sample data"
        );
        Ok(())
    }

    #[test]
    fn an_unreadable_folder_is_an_error() {
        assert!(cases(Path::new("/nonexistent/conformance")).is_err());
    }
}
