//! The writers' lock: one `registry-host` writes a store at a time.

use std::fs::{File, OpenOptions, TryLockError};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};

/// `PATH-lock`, the file writers lock, beside the store (SQLite's own files are `PATH-wal` and
/// `PATH-shm`). It is never deleted: removing a lock file others may hold open would let two
/// writers in.
fn lock_path(path: &Path) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push("-lock");
    PathBuf::from(name)
}

/// Takes the writers' lock on the store at `path`, waiting up to `wait` for another writer.
pub(super) fn lock_writers(path: &Path, name: &str, wait: Duration) -> Result<File> {
    let lock_path = lock_path(path);
    let file = OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .open(&lock_path)
        .with_context(|| format!("cannot open the lock file {}", lock_path.display()))?;
    let started = Instant::now();
    let mut pause = Duration::from_millis(1);
    loop {
        match file.try_lock() {
            Ok(()) => return Ok(file),
            Err(TryLockError::WouldBlock) => {
                let waited = started.elapsed();
                if waited >= wait {
                    bail!(
                        "{name} is in use by another registry-host: gave up after waiting {} \
                         for it to finish (see --wait)",
                        humantime::format_duration(wait)
                    );
                }
                std::thread::sleep(pause.min(wait - waited));
                pause = (pause * 2).min(Duration::from_millis(50));
            }
            Err(TryLockError::Error(error)) => {
                return Err(error).with_context(|| format!("cannot lock {}", lock_path.display()));
            }
        }
    }
}
