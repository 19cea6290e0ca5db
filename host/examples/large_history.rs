//! Writes a large history in the export format, built through registry-core: ENTRIES
//! spec-shaped services created in changesets of 1,000, then UPDATES one-op updates, one second
//! apart from 2026-01-01. `registry-host import FILE` turns it into a store; the scale bench
//! (`scripts/bench.sh --scale`) and the scale tests use it.
//!
//! usage: large_history ENTRIES UPDATES FILE

use std::io::Write;

use anyhow::{Context, Result, bail};
use registry_core::{Op, Registry};
use serde_json::json;

/// 2026-01-01T00:00:00Z.
const START_MS: i64 = 1_767_225_600_000;

fn main() -> Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [entries, updates, file] = args.as_slice() else {
        bail!("usage: large_history ENTRIES UPDATES FILE");
    };
    let entries: u64 = entries.parse().context("ENTRIES is a number")?;
    let updates: u64 = updates.parse().context("UPDATES is a number")?;
    let mut registry = Registry::new(START_MS);
    let mut time = START_MS;
    let mut created = 0;
    while created < entries {
        let batch = (entries - created).min(1_000);
        let ops = (created..created + batch)
            .map(service)
            .collect::<Result<Vec<Op>>>()?;
        time += 1_000;
        registry.apply(registry.head().id(), &ops, time)?;
        created += batch;
    }
    for n in 0..updates {
        let op: Op = serde_json::from_value(json!({"kind": "entry.update", "entry": {
            "id": id(n % entries.max(1)), "kind": "service",
            "meta": {"environment": "production"}, "data": {"port": 9000, "revision": n}
        }}))?;
        time += 1_000;
        registry.apply(registry.head().id(), &[op], time)?;
    }
    let mut out = std::io::BufWriter::new(std::fs::File::create(file)?);
    serde_json::to_writer(&mut out, &registry.export()?)?;
    out.flush()?;
    Ok(())
}

fn id(n: u64) -> String {
    format!("services:svc-{n:07}")
}

/// A service shaped like the spec's example.
fn service(n: u64) -> Result<Op> {
    Ok(serde_json::from_value(
        json!({"kind": "entry.create", "entry": {
            "id": id(n), "kind": "service",
            "meta": {"environment": if n.is_multiple_of(2) { "production" } else { "staging" },
                     "team": format!("team-{}", n % 50), "tier": "backend"},
            "data": {"port": 8000 + n % 1000, "replicas": 3, "image": format!("registry/svc:{n}"),
                     "health": {"path": "/healthz", "interval_s": 10}}
        }}),
    )?)
}
