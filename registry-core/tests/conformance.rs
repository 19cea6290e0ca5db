//! The conformance suite (see registry-conformance), natively: each script on a fresh runner,
//! after its seed script when it names one.

use std::path::Path;

use registry_conformance::{NOW_MS, Outcome};
use registry_core::{Registry, Runner};

fn read(path: &Path) -> Result<String, String> {
    std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))
}

fn run(runner: &mut Runner, path: &Path, source: &str) -> Outcome {
    let chunk = path
        .file_name()
        .map_or_else(String::new, |s| s.to_string_lossy().into_owned());
    let output = runner.run(source, &chunk, NOW_MS);
    Outcome {
        printed: output.printed,
        error: output.error.map(|e| e.to_string()),
    }
}

fn main() {
    registry_conformance::main(|path| {
        let source = read(path)?;
        let mut runner = Runner::new(Registry::new(NOW_MS)).map_err(|e| e.to_string())?;
        if let Some(seed) = registry_conformance::seed(path, &source) {
            let outcome = run(&mut runner, &seed, &read(&seed)?);
            registry_conformance::check_seed(&seed, &outcome)?;
        }
        Ok(run(&mut runner, path, &source))
    })
}
