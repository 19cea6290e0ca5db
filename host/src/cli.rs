//! The command line: commands, options, and the parsers for versions, durations and sizes.

use std::path::PathBuf;
use std::sync::LazyLock;
use std::time::Duration;

use bytesize::ByteSize;
use clap::{Args, Parser, Subcommand};
use registry_core::protocol::DEFAULT_MEMORY_LIMIT;

use crate::store::StoreLocation;

const EXIT_STATUS: &str = "Exit status: 0 success; 1 the script failed or the registry refused \
the request; 2 a usage, file or store problem; 3 the sandbox stopped the module (time limit, \
memory limit or trap).";

/// Runs Luau registry scripts in the registry's WebAssembly module and inspects their history.
#[derive(Debug, Parser)]
#[command(name = "registry-host", version, after_help = EXIT_STATUS)]
pub struct Cli {
    #[command(flatten)]
    pub global: GlobalArgs,
    #[command(subcommand)]
    pub command: Command,
}

/// Options every command takes.
#[derive(Debug, Args)]
pub struct GlobalArgs {
    /// Where every version and the head are kept: sqlite:PATH, or
    /// etcd://HOST:PORT[,HOST:PORT...]/PREFIX for a registry shared through an etcd cluster
    /// [default: sqlite:registry.db]
    #[arg(long, global = true, value_name = "URL", conflicts_with = "ephemeral")]
    pub store: Option<StoreLocation>,
    /// The SQLite file that keeps every version and the head (as --store sqlite:PATH)
    #[arg(long, global = true, value_name = "PATH", conflicts_with_all = ["ephemeral", "store"])]
    pub state: Option<PathBuf>,
    /// Keep nothing: start from an empty registry and forget it at exit
    #[arg(long, global = true)]
    pub ephemeral: bool,
    /// Run this WebAssembly module instead of the embedded one
    #[arg(long, global = true, value_name = "PATH")]
    pub module: Option<PathBuf>,
    /// The current time, in milliseconds since the Unix epoch, within JavaScript's range of dates
    /// (±8.64e15) [default: the real time]
    #[arg(long, global = true, value_name = "MS", allow_negative_numbers = true, value_parser = parse_now)]
    pub now: Option<i64>,
    /// How long a command that writes waits for another registry-host writing to the same store
    /// (runs take turns), e.g. 0s or 2m; at most 24h
    #[arg(long, global = true, value_name = "DURATION", default_value = "30s", value_parser = parse_wait)]
    pub wait: Duration,
    /// How long etcd may take to answer before a command gives up (exit 2), e.g. 2s
    #[arg(long, global = true, value_name = "DURATION", default_value = "5s", value_parser = parse_timeout)]
    pub connect_timeout: Duration,
    /// An etcd writer's lease: how soon after a writer dies (or loses etcd) others may write,
    /// in whole seconds, e.g. 10s
    #[arg(long, global = true, value_name = "DURATION", default_value = "10s", value_parser = parse_lease_ttl)]
    pub lease_ttl: Duration,
    /// The most one command (a run, or a read such as show) may spend loading the store's
    /// history: a script's --timeout does not count it, e.g. 2m
    #[arg(long, global = true, value_name = "DURATION", default_value = "60s", value_parser = parse_timeout)]
    pub load_timeout: Duration,
}

impl GlobalArgs {
    /// The store the options name: --store, --state, or sqlite:registry.db.
    pub fn location(&self) -> StoreLocation {
        match (&self.store, &self.state) {
            (Some(store), _) => store.clone(),
            (None, Some(path)) => StoreLocation::Sqlite(path.clone()),
            (None, None) => StoreLocation::Sqlite(PathBuf::from("registry.db")),
        }
    }
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Runs a script; prints what it printed, then its returned values as JSON, one per line
    Run(RunArgs),
    /// Lists every version, newest first; `*` marks head
    Log,
    /// Prints the entries at a version (head by default) as JSON, one per line
    Show {
        /// A version such as 3 or v3
        #[arg(value_parser = parse_version)]
        version: Option<u64>,
        /// Only entries matching these criteria, e.g. `.kind=service meta.env=prod`
        #[arg(long = "where", value_name = "QUERY")]
        filter: Option<String>,
    },
    /// Prints the changes that turn version FROM into version TO: `-` delete, `~` update, `+` create
    Diff {
        #[arg(value_parser = parse_version)]
        from: u64,
        #[arg(value_parser = parse_version)]
        to: u64,
    },
    /// Moves head to a version (back or forward); the next script builds on it
    Checkout {
        #[arg(value_parser = parse_version)]
        version: u64,
    },
    /// Writes the whole history to FILE (`-` for standard output) in the registry's export format
    Export { file: PathBuf },
    /// Replaces the whole history with the export in FILE (`-` for standard input), once the
    /// module has accepted it
    Import { file: PathBuf },
    /// Prints every new version as one line of JSON (id, parent, time, ops) as it is committed,
    /// by any registry-host, until interrupted
    Watch {
        /// Print the stored versions from this one on first, e.g. v0 for the whole history
        #[arg(long, value_name = "VERSION", value_parser = parse_version)]
        from: Option<u64>,
    },
    /// Prints the SHA-256 of the WebAssembly module this host runs
    ModuleHash,
}

#[derive(Debug, Args)]
pub struct RunArgs {
    /// The Luau script, or `-` for standard input
    pub script: PathBuf,
    /// Stop the script after this long, e.g. 500ms or 2s; at most 24h
    #[arg(long, value_name = "DURATION", default_value = "5s", value_parser = parse_timeout)]
    pub timeout: Duration,
    /// Luau's memory limit, e.g. 64MiB
    #[arg(long, value_name = "SIZE", default_value = DEFAULT_MEMORY.as_str(), value_parser = parse_memory)]
    pub memory: u64,
    /// How much a run may hand back: printed output, returned values and error message together,
    /// e.g. 64KiB (1 KiB to 64 MiB)
    #[arg(long, value_name = "SIZE", default_value = "1MiB", value_parser = parse_output_limit)]
    pub output_limit: u64,
    /// The most versions one run may commit; the run stops (exit 3) keeping those it committed
    #[arg(long, value_name = "N", default_value = "10000", value_parser = parse_max_versions)]
    pub max_versions: u64,
    /// The most one run may commit, counted as its versions' operations in JSON, e.g. 1GiB; the
    /// run stops (exit 3) keeping the versions committed before
    #[arg(long, value_name = "SIZE", default_value = "256MiB", value_parser = parse_commit_bytes)]
    pub max_commit_bytes: u64,
}

/// The module's default Luau memory limit, as `--memory` shows and parses it.
static DEFAULT_MEMORY: LazyLock<String> = LazyLock::new(|| {
    ByteSize::b(DEFAULT_MEMORY_LIMIT as u64)
        .display()
        .iec()
        .to_string()
});

/// Luau memory limits the 32-bit module can honour, with room left for its own data.
const MEMORY_RANGE: (u64, u64) = (1 << 20, 3 << 30);

/// Output limits: at least room for an error message, at most what the module's memory holds
/// several times over beside the script's own.
const OUTPUT_RANGE: (u64, u64) = (1 << 10, 64 << 20);

/// The longest `--timeout` and `--wait`: SQLite's busy timeout is an `int` of milliseconds
/// (24.8 days), and a run or a wait of more than a day is a mistake rather than a plan.
const MAX_DURATION: Duration = Duration::from_secs(24 * 60 * 60);

/// The times JavaScript's `Date` can hold (±100 000 000 days around 1970), which the playground
/// and the module's `os.date` share.
const MAX_NOW_MS: i64 = 8_640_000_000_000_000;

/// `3` or `v3`.
pub fn parse_version(text: &str) -> Result<u64, String> {
    text.strip_prefix('v')
        .unwrap_or(text)
        .parse()
        .map_err(|_| format!("expected a version such as 3 or v3, got {text:?}"))
}

/// Milliseconds since the Unix epoch, within [`MAX_NOW_MS`] either side.
pub fn parse_now(text: &str) -> Result<i64, String> {
    let now: i64 = text.parse().map_err(|_| {
        format!("expected milliseconds since 1970 such as 1767225600000, got {text:?}")
    })?;
    if now.unsigned_abs() > MAX_NOW_MS.unsigned_abs() {
        return Err(format!(
            "the time must be within {MAX_NOW_MS} ms of 1970 (JavaScript's range of dates), got {text}"
        ));
    }
    Ok(now)
}

/// A duration of at least a millisecond and at most [`MAX_DURATION`], in humantime's form
/// (`500ms`, `2s`, `1m 30s`).
pub fn parse_timeout(text: &str) -> Result<Duration, String> {
    let duration = humantime::parse_duration(text)
        .map_err(|e| format!("{e}: expected a duration such as 500ms or 2s"))?;
    if duration < Duration::from_millis(1) {
        return Err("the timeout must be at least 1ms".to_owned());
    }
    at_most_a_day("timeout", duration)
}

/// Whole seconds from 1s to an hour: etcd's leases count seconds (and it raises a lease shorter
/// than its minimum, about 2 s by default).
pub fn parse_lease_ttl(text: &str) -> Result<Duration, String> {
    let duration = humantime::parse_duration(text)
        .map_err(|e| format!("{e}: expected a duration such as 10s"))?;
    if duration.subsec_nanos() != 0 || !(1..=3600).contains(&duration.as_secs()) {
        return Err(format!(
            "the lease must be whole seconds from 1s to 1h, got {text}"
        ));
    }
    Ok(duration)
}

/// A duration in humantime's form, from zero to [`MAX_DURATION`].
pub fn parse_wait(text: &str) -> Result<Duration, String> {
    let duration = humantime::parse_duration(text)
        .map_err(|e| format!("{e}: expected a duration such as 0s, 500ms or 2m"))?;
    at_most_a_day("wait", duration)
}

fn at_most_a_day(what: &str, duration: Duration) -> Result<Duration, String> {
    if duration > MAX_DURATION {
        return Err(format!(
            "the {what} must be at most 24h, got {}",
            humantime::format_duration(duration)
        ));
    }
    Ok(duration)
}

/// A size such as `64MiB` or `1GB` (bytesize's form), within [`MEMORY_RANGE`].
pub fn parse_memory(text: &str) -> Result<u64, String> {
    parse_size(
        text,
        MEMORY_RANGE,
        "the memory limit must be between 1 MiB and 3 GiB (the module is 32-bit)",
    )
}

/// A size within [`OUTPUT_RANGE`].
pub fn parse_output_limit(text: &str) -> Result<u64, String> {
    parse_size(
        text,
        OUTPUT_RANGE,
        "the output limit must be between 1 KiB and 64 MiB",
    )
}

/// A number of versions, at least 1.
pub fn parse_max_versions(text: &str) -> Result<u64, String> {
    match text.parse::<u64>() {
        Ok(n) if n >= 1 => Ok(n),
        _ => Err(format!(
            "expected a number of versions of at least 1, got {text:?}"
        )),
    }
}

/// A size of commits, 1 KiB to 1 TiB.
pub fn parse_commit_bytes(text: &str) -> Result<u64, String> {
    parse_size(
        text,
        (1 << 10, 1 << 40),
        "the commit limit must be between 1 KiB and 1 TiB",
    )
}

/// A size in bytesize's form within `min..=max`; `range` names the range in the error.
fn parse_size(text: &str, (min, max): (u64, u64), range: &str) -> Result<u64, String> {
    let size: ByteSize = text
        .parse()
        .map_err(|e| format!("{e}: expected a size such as 64KiB or 64MiB"))?;
    if !(min..=max).contains(&size.as_u64()) {
        return Err(format!("{range}, got {text}"));
    }
    Ok(size.as_u64())
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory;

    use super::*;

    #[test]
    fn versions_take_an_optional_v() {
        assert_eq!(parse_version("3"), Ok(3));
        assert_eq!(parse_version("v12"), Ok(12));
        for bad in ["", "v", "x3", "-1", "v-1", "3.0"] {
            assert!(parse_version(bad).is_err(), "{bad:?} is not a version");
        }
    }

    #[test]
    fn timeouts_are_humantime_durations() {
        assert_eq!(parse_timeout("500ms"), Ok(Duration::from_millis(500)));
        assert_eq!(parse_timeout("2s"), Ok(Duration::from_secs(2)));
        assert_eq!(parse_timeout("1m 30s"), Ok(Duration::from_secs(90)));
        assert!(parse_timeout("500").is_err(), "a unit is required");
        assert!(parse_timeout("0s").is_err(), "zero is refused");
        assert!(parse_timeout("fast").is_err());
        assert_eq!(parse_timeout("24h"), Ok(MAX_DURATION));
        assert_eq!(
            parse_timeout("18446744073709551615s"),
            Err(
                "the timeout must be at most 24h, got 584542046090years 7months 15days 17h 5m 3s"
                    .to_owned()
            )
        );
    }

    #[test]
    fn waits_may_be_zero() {
        assert_eq!(parse_wait("0s"), Ok(Duration::ZERO));
        assert_eq!(parse_wait("2m"), Ok(Duration::from_secs(120)));
        assert!(parse_wait("10").is_err(), "a unit is required");
        assert_eq!(
            parse_wait("25days"),
            Err("the wait must be at most 24h, got 25days".to_owned())
        );
    }

    #[test]
    fn leases_are_whole_seconds() {
        assert_eq!(parse_lease_ttl("10s"), Ok(Duration::from_secs(10)));
        assert_eq!(parse_lease_ttl("1h"), Ok(Duration::from_secs(3600)));
        for bad in ["0s", "1500ms", "2h", "10"] {
            assert!(parse_lease_ttl(bad).is_err(), "{bad} is refused");
        }
    }

    #[test]
    fn store_urls_parse_into_locations() {
        let etcd = "etcd://a:1,[::1]:2/team/prod";
        assert_eq!(
            etcd.parse::<StoreLocation>()
                .map(|location| location.to_string()),
            Ok(etcd.to_owned())
        );
        assert_eq!(
            "sqlite:x.db".parse(),
            Ok(StoreLocation::Sqlite(PathBuf::from("x.db")))
        );
        for bad in [
            "sqlite:",
            "etcd://a:1",
            "etcd://a/x",
            "etcd://:1/x",
            "etcd://a:1/x/",
            "etcd://a:1/x//y",
            "x.db",
        ] {
            assert!(bad.parse::<StoreLocation>().is_err(), "{bad} is refused");
        }
    }

    #[test]
    fn times_are_within_javascripts_dates() {
        assert_eq!(parse_now("-5"), Ok(-5));
        assert_eq!(parse_now("8640000000000000"), Ok(MAX_NOW_MS));
        assert_eq!(parse_now("-8640000000000000"), Ok(-MAX_NOW_MS));
        assert!(parse_now("8640000000000001").is_err());
        assert!(parse_now("-9223372036854775808").is_err());
        assert!(parse_now("9223372036854775808").is_err());
    }

    #[test]
    fn output_limits_are_sizes_within_range() {
        assert_eq!(parse_output_limit("1KiB"), Ok(1024));
        assert_eq!(parse_output_limit("64MiB"), Ok(64 << 20));
        assert_eq!(
            parse_output_limit("1023B"),
            Err("the output limit must be between 1 KiB and 64 MiB, got 1023B".to_owned())
        );
        assert!(parse_output_limit("65MiB").is_err());
    }

    #[test]
    fn memory_limits_are_sizes_within_range() {
        assert_eq!(parse_memory("64MiB"), Ok(64 << 20));
        assert_eq!(parse_memory("256 MiB"), Ok(256 << 20));
        assert_eq!(parse_memory("2MB"), Ok(2_000_000));
        assert!(parse_memory("512KiB").is_err(), "below 1 MiB");
        assert!(parse_memory("4GiB").is_err(), "above 3 GiB");
        assert!(parse_memory("lots").is_err());
    }

    #[test]
    fn the_command_line_is_consistent() {
        Cli::command().debug_assert();
    }
}
