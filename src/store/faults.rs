//! Fault injection for tests: a switch that makes the write-ahead log's
//! next syncs fail as a full or broken disk would (ENOSPC, EIO), after the
//! bytes were written. Never chosen by configuration; tests open a real
//! store with it (`StoreOptions::faults`) to check what the engine does when
//! the disk says no, and after it recovers.

use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};

use crate::store::StoreError;

/// What the next failing syncs say.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Fault {
    /// No space left on device.
    NoSpace,
    /// Input/output error.
    Io,
}

/// The test's handle: arms failures of the wrapped engine.
#[derive(Clone, Debug, Default)]
pub struct FaultSwitch {
    /// Syncs still to fail; `u32::MAX` fails every one until cleared.
    remaining: Arc<AtomicU32>,
    kind: Arc<AtomicU32>,
}

impl FaultSwitch {
    /// Fails every sync from now on until [`FaultSwitch::clear`] (a full disk).
    pub fn fail_until_cleared(&self, fault: Fault) {
        self.kind.store(fault as u32, Ordering::SeqCst);
        self.remaining.store(u32::MAX, Ordering::SeqCst);
    }

    /// Fails the next `n` syncs.
    pub fn fail_next(&self, n: u32, fault: Fault) {
        self.kind.store(fault as u32, Ordering::SeqCst);
        self.remaining.store(n, Ordering::SeqCst);
    }

    /// Space is back: syncs succeed again.
    pub fn clear(&self) {
        self.remaining.store(0, Ordering::SeqCst);
    }

    pub(crate) fn take(&self) -> Option<Fault> {
        let n = self.remaining.load(Ordering::SeqCst);
        if n == 0 {
            return None;
        }
        if n != u32::MAX {
            self.remaining.store(n - 1, Ordering::SeqCst);
        }
        Some(if self.kind.load(Ordering::SeqCst) == Fault::Io as u32 {
            Fault::Io
        } else {
            Fault::NoSpace
        })
    }
}

impl Fault {
    /// The error the disk would give.
    pub(crate) fn error(self) -> StoreError {
        StoreError::Engine(match self {
            Fault::NoSpace => "log: sync: No space left on device (os error 28)".into(),
            Fault::Io => "log: sync: Input/output error (os error 5)".into(),
        })
    }
}
