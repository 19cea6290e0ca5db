//! Embeds the conformance scripts (see registry-conformance), with their seeds, for the
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
        for script in registry_conformance::scripts(&folder)? {
            let expected = script.with_extension("out");
            println!("cargo:rerun-if-changed={}", script.display());
            let source = std::fs::read_to_string(&script)?;
            let seed = match registry_conformance::seed(&script, &source) {
                Some(seed) => {
                    println!("cargo:rerun-if-changed={}", seed.display());
                    format!("Some(include_str!({:?}))", seed.display().to_string())
                }
                None => "None".to_owned(),
            };
            println!("cargo:rerun-if-changed={}", expected.display());
            let expected = match expected.exists() {
                true => format!("Some(include_str!({:?}))", expected.display().to_string()),
                false => "None".to_owned(),
            };
            let name = script
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            cases.push_str(&format!(
                "    ({name:?}, include_str!({:?}), {seed}, {expected}),\n",
                script.display().to_string()
            ));
        }
    }
    cases.push_str("]\n");
    let out = PathBuf::from(std::env::var("OUT_DIR")?);
    std::fs::write(out.join("conformance_cases.rs"), cases)?;
    Ok(())
}
