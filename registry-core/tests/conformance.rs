//! The conformance suite (see registry-conformance), natively: each script on a fresh runner.

use registry_conformance::{NOW_MS, Outcome};
use registry_core::{Registry, Runner};

fn main() {
    registry_conformance::main(|path| {
        let source =
            std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
        let chunk = path
            .file_name()
            .map_or_else(String::new, |s| s.to_string_lossy().into_owned());
        let mut runner = Runner::new(Registry::new(NOW_MS)).map_err(|e| e.to_string())?;
        let output = runner.run(&source, &chunk, NOW_MS);
        Ok(Outcome {
            printed: output.printed,
            error: output.error.map(|e| e.to_string()),
        })
    })
}
