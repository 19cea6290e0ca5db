//! The conformance suite every driver runs: each `*.lua` under `tests/conformance/` (and under the
//! folders listed, colon-separated, in `REGISTRY_CONFORMANCE_DIRS`) runs on a fresh registry with
//! the clock at [`NOW_MS`] and the assertion helpers of [`PRELUDE`] in scope: on an empty
//! registry, or once per seed that its first line names (see [`SEEDS_PREFIX`]). A run passes if
//! the script finishes without error and, where its `.out` file exists, prints exactly its
//! contents.
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
fn with_prelude(script: &str) -> String {
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

/// A first line `-- seeds: empty, sample=PATH` runs the script once per seed, each on a fresh
/// registry: `empty` as it is, `NAME=PATH` after the seed script at PATH (relative to the
/// script's folder), whose output is not compared. Each run is the case `SCRIPT.NAME`, which
/// prints `SCRIPT.NAME.out` (SCRIPT: the file name without `.lua`).
pub const SEEDS_PREFIX: &str = "-- seeds: ";

/// The seed that leaves the registry empty.
const NO_SEED: &str = "empty";

/// A Lua chunk to run: its chunk name (for error messages) and its source.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Chunk {
    pub name: String,
    pub source: String,
}

/// One run of a script: on a fresh registry, after its seed if it has one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Case {
    /// The trial's name: the script's file stem, then `.SEED` for a script run under seeds.
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

/// Seeds by name: the seed script, or none for an empty registry.
type Seeds = Vec<(String, Option<PathBuf>)>;

/// The seeds a first line names; None without a `-- seeds:` line.
fn seeds(script: &Path, first_line: &str) -> Result<Option<Seeds>, String> {
    let Some(list) = first_line.strip_prefix(SEEDS_PREFIX) else {
        return Ok(None);
    };
    let folder = script.parent().unwrap_or(Path::new("."));
    let mut seeds = Seeds::new();
    for item in list.split(',').map(str::trim) {
        let is_name = |name: &str| {
            !name.is_empty()
                && name
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        };
        let seed = match item.split_once('=').map(|(n, p)| (n.trim(), p.trim())) {
            None if item == NO_SEED => (item.to_owned(), None),
            Some((name, path)) if is_name(name) && name != NO_SEED && !path.is_empty() => {
                (name.to_owned(), Some(folder.join(path)))
            }
            _ => {
                return Err(format!(
                    "{}: a seed is `{NO_SEED}` or NAME=PATH, not {item:?}",
                    script.display()
                ));
            }
        };
        if seeds.iter().any(|(name, _)| *name == seed.0) {
            return Err(format!("{}: seed {} named twice", script.display(), seed.0));
        }
        seeds.push(seed);
    }
    Ok(Some(seeds))
}

/// The cases of the script at `path`: one, or one per seed its first line names.
fn script_cases(path: &Path) -> Result<Vec<Case>, String> {
    let source = read(path)?;
    let stem = path
        .file_stem()
        .map_or_else(String::new, |s| s.to_string_lossy().into_owned());
    let script = Chunk {
        name: file_name(path),
        source: with_prelude(&source),
    };
    let expected =
        |name: &str| std::fs::read_to_string(path.with_file_name(format!("{name}.out"))).ok();
    let Some(seeds) = seeds(path, source.lines().next().unwrap_or_default())? else {
        return Ok(vec![Case {
            expected: expected(&stem),
            name: stem,
            seed: None,
            script,
        }]);
    };
    seeds
        .into_iter()
        .map(|(seed_name, seed)| {
            let name = format!("{stem}.{seed_name}");
            let seed = match seed {
                Some(seed) => {
                    let chunk = Chunk {
                        name: file_name(&seed),
                        source: read(&seed)?,
                    };
                    Some((seed.display().to_string(), chunk))
                }
                None => None,
            };
            Ok(Case {
                expected: expected(&name),
                name,
                seed,
                script: script.clone(),
            })
        })
        .collect()
}

/// The cases of one folder, sorted by script; a folder, seed or seeds line that cannot be read
/// is an error, not a smaller suite.
pub fn cases(folder: &Path) -> Result<Vec<Case>, String> {
    let mut cases = Vec::new();
    for script in scripts(folder)? {
        cases.extend(script_cases(&script)?);
    }
    Ok(cases)
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
    fn a_first_line_names_seeds_relative_to_the_script() -> Result<(), String> {
        let temp = tempfile::tempdir().map_err(|e| e.to_string())?;
        let folder = temp.path();
        std::fs::create_dir_all(folder.join("data")).map_err(|e| e.to_string())?;
        let write = |path: &str, text: &str| {
            std::fs::write(folder.join(path), text).map_err(|e| e.to_string())
        };
        write("data/seed.lua", "print('seeded')\n")?;
        let header = "-- seeds: empty, sample = data/seed.lua";
        write("x.lua", &format!("{header}\nprint(1)\n"))?;
        write("x.empty.out", "1\n")?;
        write("x.sample.out", "seeded then 1\n")?;
        let cases = script_cases(&folder.join("x.lua"))?;
        let names: Vec<&str> = cases.iter().map(|c| c.name.as_str()).collect();
        assert_eq!(names, ["x.empty", "x.sample"]);
        let (empty, sample) = (&cases[0], &cases[1]);
        assert_eq!(
            (empty.seed.clone(), empty.expected.as_deref()),
            (None, Some("1\n"))
        );
        assert_eq!(sample.expected.as_deref(), Some("seeded then 1\n"));
        for case in &cases {
            assert_eq!(case.script.name, "x.lua");
            assert!(
                case.script
                    .source
                    .ends_with(&format!(" {header}\nprint(1)\n"))
            );
        }
        let (path, seed) = sample.seed.clone().expect("a seed");
        assert_eq!(path, folder.join("data/seed.lua").display().to_string());
        assert_eq!(
            seed,
            Chunk {
                name: "seed.lua".into(),
                source: "print('seeded')\n".into()
            }
        );
        let mut ran = Vec::new();
        let printed = sample.run(|chunk| {
            ran.push(chunk.name.clone());
            Ok(outcome(&chunk.name, None))
        })?;
        assert_eq!(ran, ["seed.lua", "x.lua"]);
        assert_eq!(printed, outcome("x.lua", None));
        let failed = sample.run(|chunk| Ok(outcome("", Some(&format!("{}:3: boom", chunk.name)))));
        assert_eq!(failed, Err(format!("seed {path} failed: seed.lua:3: boom")));
        Ok(())
    }

    #[test]
    fn a_bad_seeds_line_is_an_error_naming_the_script() -> Result<(), String> {
        let temp = tempfile::tempdir().map_err(|e| e.to_string())?;
        let script = temp.path().join("y.lua");
        for (header, problem) in [
            (
                "-- seeds: sample",
                "a seed is `empty` or NAME=PATH, not \"sample\"",
            ),
            ("-- seeds: empty=a.lua", "not \"empty=a.lua\""),
            ("-- seeds: a b=x.lua", "not \"a b=x.lua\""),
            ("-- seeds: s=", "not \"s=\""),
            ("-- seeds: empty, empty", "seed empty named twice"),
        ] {
            std::fs::write(&script, format!("{header}\n")).map_err(|e| e.to_string())?;
            let error = script_cases(&script).expect_err(header);
            let named = error.starts_with(&format!("{}: ", script.display()));
            assert!(named && error.contains(problem), "{header}: {error}");
        }
        std::fs::write(&script, "-- seeds: s=missing.lua\n").map_err(|e| e.to_string())?;
        let missing = script_cases(&script).expect_err("no seed");
        assert!(missing.contains("missing.lua"), "{missing}");
        Ok(())
    }

    #[test]
    fn every_out_file_belongs_to_a_case() -> Result<(), String> {
        let folder = &folders()[0];
        let cases: Vec<String> = cases(folder)?.into_iter().map(|c| c.name).collect();
        let entries = std::fs::read_dir(folder).map_err(|e| e.to_string())?;
        for path in entries.filter_map(|e| e.ok().map(|e| e.path())) {
            if path.extension().is_some_and(|ext| ext == "out") {
                let stem = path.file_stem().map(|s| s.to_string_lossy().into_owned());
                assert!(
                    stem.is_some_and(|stem| cases.contains(&stem)),
                    "{} is no case's output",
                    path.display()
                );
            }
        }
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
