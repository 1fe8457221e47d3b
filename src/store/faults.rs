//! Fault injection for tests: a wrapper around a real engine that fails
//! the next syncs as a full or broken disk would (ENOSPC, EIO). Never chosen
//! by configuration; tests build it around the real redb or sled engine to
//! check what the engine does when the disk says no, and after it recovers.

use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};

use crate::store::StoreError;
use crate::store::engine::{KvEngine, KvRead, Op, Table};

/// What the next failing syncs say.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Fault {
    /// No space left on device.
    NoSpace,
    /// Input/output error.
    Io,
}

/// The test's handle: arms failures of the wrapped engine.
#[derive(Clone, Default)]
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

    fn take(&self) -> Option<Fault> {
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

/// A real engine whose writes fail while the switch says so; reads pass.
pub struct Faulty {
    inner: Box<dyn KvEngine>,
    switch: FaultSwitch,
}

impl Faulty {
    /// Wraps `inner`; the switch arms it.
    pub fn wrap(inner: Box<dyn KvEngine>) -> (Self, FaultSwitch) {
        let switch = FaultSwitch::default();
        (
            Self {
                inner,
                switch: switch.clone(),
            },
            switch,
        )
    }
}

impl KvEngine for Faulty {
    fn apply(&self, ops: &[Op]) -> Result<(), StoreError> {
        match self.switch.take() {
            Some(Fault::NoSpace) => Err(StoreError::Engine(
                "sync: No space left on device (os error 28)".into(),
            )),
            Some(Fault::Io) => Err(StoreError::Engine(
                "sync: Input/output error (os error 5)".into(),
            )),
            None => self.inner.apply(ops),
        }
    }

    fn get(&self, table: Table, key: &[u8]) -> Result<Option<Vec<u8>>, StoreError> {
        self.inner.get(table, key)
    }

    fn snapshot(&self) -> Result<Option<Box<dyn KvRead>>, StoreError> {
        self.inner.snapshot()
    }

    fn name(&self) -> &'static str {
        self.inner.name()
    }
}

impl KvRead for Faulty {
    fn scan(
        &self,
        table: Table,
        from: &[u8],
        to: &[u8],
        visit: &mut dyn FnMut(&[u8], &[u8]) -> bool,
    ) -> Result<(), StoreError> {
        self.inner.scan(table, from, to, visit)
    }
}
