//! Which store a command uses: `--store sqlite:PATH` (or `--state PATH`) or
//! `--store etcd://HOST:PORT[,HOST:PORT...]/PREFIX`, opened as one [`RegistryStore`].

use std::fmt;
use std::path::PathBuf;
use std::str::FromStr;
use std::time::Duration;

use anyhow::Result;

use super::etcd::{EtcdLocation, EtcdOptions, EtcdStore};
use super::{Access, RegistryStore, SqliteStore};

/// A store's location, as `--store` names it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StoreLocation {
    Sqlite(PathBuf),
    Etcd(EtcdLocation),
}

impl FromStr for StoreLocation {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, String> {
        if let Some(path) = text.strip_prefix("sqlite:") {
            if path.is_empty() {
                return Err("expected sqlite:PATH, the path is missing".to_owned());
            }
            Ok(Self::Sqlite(PathBuf::from(path)))
        } else if let Some(rest) = text.strip_prefix("etcd://") {
            EtcdLocation::parse(rest).map(Self::Etcd)
        } else {
            Err(format!(
                "expected sqlite:PATH or etcd://HOST:PORT[,HOST:PORT...]/PREFIX, got {text:?}"
            ))
        }
    }
}

impl fmt::Display for StoreLocation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Sqlite(path) => write!(f, "sqlite:{}", path.display()),
            Self::Etcd(location) => location.fmt(f),
        }
    }
}

/// How a command opens its store.
#[derive(Debug, Clone, Copy)]
pub struct StoreOptions {
    pub access: Access,
    /// The time of v0 in a new store.
    pub now_ms: i64,
    /// How long a writer waits for another.
    pub wait: Duration,
    /// How long etcd may take to answer.
    pub connect_timeout: Duration,
    /// An etcd writer's lease.
    pub lease_ttl: Duration,
}

/// Opens the store at `location`.
pub fn open(location: &StoreLocation, options: StoreOptions) -> Result<Box<dyn RegistryStore>> {
    Ok(match location {
        StoreLocation::Sqlite(path) => Box::new(SqliteStore::open(
            path,
            options.access,
            options.now_ms,
            options.wait,
        )?),
        StoreLocation::Etcd(location) => Box::new(EtcdStore::open(
            location,
            options.access,
            options.now_ms,
            EtcdOptions {
                connect_timeout: options.connect_timeout,
                lease_ttl: options.lease_ttl,
                wait: options.wait,
            },
        )?),
    })
}
