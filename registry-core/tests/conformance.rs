//! The conformance suite (see registry-conformance), natively: each case on a fresh runner.

use registry_conformance::{NOW_MS, Outcome};
use registry_core::{Registry, Runner};

fn main() {
    registry_conformance::main(|case| {
        let mut runner = Runner::new(Registry::new(NOW_MS)).map_err(|e| e.to_string())?;
        case.run(|chunk| {
            let output = runner.run(&chunk.source, &chunk.name, NOW_MS);
            Ok(Outcome {
                printed: output.printed,
                error: output.error.map(|e| e.to_string()),
            })
        })
    })
}
