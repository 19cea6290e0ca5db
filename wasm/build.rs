//! Embeds the conformance cases (see registry-conformance), with their seeds, for the
//! in-browser test, which cannot read files at run time; and relinks the module when the C/C++
//! runtime it links (libwasmeh.a, built by scripts/install-toolchain.sh) changes.

use std::path::PathBuf;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    println!("cargo:rerun-if-env-changed=REGISTRY_CONFORMANCE_DIRS");
    // Cargo does not track native libraries: without this, a rebuilt shim (wasm/ehrt/shim.c)
    // would not reach the module until some Rust source changed.
    println!("cargo:rerun-if-env-changed=EHRT_DIR");
    if let Some(ehrt) = std::env::var_os("EHRT_DIR") {
        println!(
            "cargo:rerun-if-changed={}",
            PathBuf::from(ehrt).join("libwasmeh.a").display()
        );
    }
    let mut cases = String::from("&[\n");
    for folder in registry_conformance::folders() {
        println!("cargo:rerun-if-changed={}", folder.display());
        for case in registry_conformance::cases(&folder)? {
            let seed = match &case.seed {
                Some((path, chunk)) => {
                    println!("cargo:rerun-if-changed={path}");
                    format!("Some(({path:?}, {:?}, {:?}))", chunk.name, chunk.source)
                }
                None => "None".to_owned(),
            };
            cases.push_str(&format!(
                "    ({:?}, {seed}, ({:?}, {:?}), {:?}),\n",
                case.name, case.script.name, case.script.source, case.expected
            ));
        }
    }
    cases.push_str("]\n");
    let out = PathBuf::from(std::env::var("OUT_DIR")?);
    std::fs::write(out.join("conformance_cases.rs"), cases)?;
    Ok(())
}
