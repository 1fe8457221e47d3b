//! Password hashing, bounded. argon2id with the default parameters takes
//! ~19 MiB per hash: unbounded, 300 concurrent logins took 7.5 GiB. Hashes
//! run on the blocking pool, at most `slots` at once; a request that cannot
//! get a slot within `QUEUE_WAIT` is refused with 503 and `Retry-After`.

use std::time::Duration;

use tokio::sync::Semaphore;

use crate::accounts::AccountError;

/// Memory one argon2id hash uses (the crate's default m = 19 MiB).
pub const HASH_BYTES: u64 = 19 << 20;
/// Longest a login waits for a hashing slot before it is refused.
pub const QUEUE_WAIT: Duration = Duration::from_secs(5);
/// At most this share of the memory available at start goes to hashing.
const MEMORY_SHARE: u64 = 8;

/// The hashing slots.
pub struct Hashing {
    /// A tokio semaphore: waiters queue fairly and wait without a thread.
    slots: Semaphore,
    /// How many slots there are (for logs and tests).
    pub size: usize,
}

/// Memory available now, from `/proc/meminfo` (Linux); `None` elsewhere.
fn available_memory() -> Option<u64> {
    let info = std::fs::read_to_string("/proc/meminfo").ok()?;
    let line = info.lines().find(|l| l.starts_with("MemAvailable:"))?;
    let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib * 1024)
}

impl Hashing {
    /// Slots: two per core (hashing is CPU-bound; more only queue in the
    /// pool), fewer if an eighth of the available memory holds fewer.
    pub fn sized_for_this_machine() -> Self {
        let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
        let by_memory =
            available_memory().map_or(usize::MAX, |m| (m / MEMORY_SHARE / HASH_BYTES) as usize);
        Self::with_slots((cores * 2).min(by_memory).max(1))
    }

    pub fn with_slots(size: usize) -> Self {
        Self {
            slots: Semaphore::new(size),
            size,
        }
    }

    /// Runs `work` on the blocking pool once a slot is free.
    pub async fn run<T: Send + 'static>(
        &self,
        work: impl FnOnce() -> T + Send + 'static,
    ) -> Result<T, AccountError> {
        let permit = tokio::time::timeout(QUEUE_WAIT, self.slots.acquire())
            .await
            .map_err(|_| {
                metrics::counter!("password_hash_refusals_total").increment(1);
                AccountError::Busy
            })?
            .map_err(|_| AccountError::Busy)?;
        let result = tokio::task::spawn_blocking(work)
            .await
            .map_err(|e| AccountError::Internal(e.to_string()));
        drop(permit);
        result
    }
}
