//! Embeds the conformance scripts (tests/conformance and the folders listed, colon-separated, in
//! REGISTRY_CONFORMANCE_DIRS) for the in-browser test, which cannot read files at run time.

use std::path::{Path, PathBuf};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    println!("cargo:rerun-if-env-changed=REGISTRY_CONFORMANCE_DIRS");
    let manifest = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR")?);
    let mut dirs = vec![manifest.join("../tests/conformance")];
    if let Some(extra) = std::env::var_os("REGISTRY_CONFORMANCE_DIRS") {
        dirs.extend(std::env::split_paths(&extra));
    }
    let mut cases = String::from("&[\n");
    for dir in &dirs {
        println!("cargo:rerun-if-changed={}", dir.display());
        for script in scripts(dir)? {
            println!("cargo:rerun-if-changed={}", script.display());
            let expected = script.with_extension("out");
            println!("cargo:rerun-if-changed={}", expected.display());
            let expected = if expected.exists() {
                format!("Some(include_str!({:?}))", expected.display().to_string())
            } else {
                "None".to_owned()
            };
            let name = script
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            cases.push_str(&format!(
                "    ({name:?}, include_str!({:?}), {expected}),\n",
                script.display().to_string()
            ));
        }
    }
    cases.push_str("]\n");
    let out = PathBuf::from(std::env::var("OUT_DIR")?);
    std::fs::write(out.join("conformance_cases.rs"), cases)?;
    Ok(())
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
