//! redb: the default engine. The checkpointer's batches commit with
//! `Durability::None` (visible, not yet synced: the log has them); a
//! checkpoint is an empty commit with `Durability::Immediate`, which makes
//! every earlier one durable with one fsync. After a crash redb comes back
//! at the last checkpoint, and the log replays the rest.
//!
//! Checkpoints commit with quick-repair: redb saves its allocator state
//! with them and commits in two phases, so that opening after a crash
//! loads that state instead of walking and checksumming the whole file.
//! Profiled on a store of 1,000,000 bookings (`cargo bench --bench
//! footprint -- recovery`), the walk was about two thirds of the open; a
//! checkpoint's second fsync, every few seconds, is the price.

use std::path::Path;

use redb::{Database, ReadableDatabase, TableDefinition};

use crate::store::StoreError;
use crate::store::engine::{KvEngine, KvRead, Op, Table};

type Def = TableDefinition<'static, &'static [u8], &'static [u8]>;

fn def(table: Table) -> Def {
    TableDefinition::new(table.name())
}

/// A redb database file (or an in-memory one for benchmarks).
pub struct RedbEngine {
    db: Database,
}

fn err(context: &'static str) -> impl Fn(redb::Error) -> StoreError {
    move |e| StoreError::Engine(format!("redb: {context}: {e}"))
}

impl RedbEngine {
    /// Opens or creates the database at `path`, repairing it after a crash.
    pub fn open(path: &Path) -> Result<Self, StoreError> {
        let db = Database::create(path).map_err(|e| err("open")(e.into()))?;
        Self::with_tables(db)
    }

    /// A database that lives in memory only: the real engine without the
    /// disk, to measure what the disk costs.
    pub fn in_memory() -> Result<Self, StoreError> {
        let db = Database::builder()
            .create_with_backend(redb::backends::InMemoryBackend::new())
            .map_err(|e| err("create in memory")(e.into()))?;
        Self::with_tables(db)
    }

    /// Creates every table once so that reads never meet a missing one.
    fn with_tables(db: Database) -> Result<Self, StoreError> {
        let mut txn = db.begin_write().map_err(|e| err("begin")(e.into()))?;
        txn.set_quick_repair(true);
        for table in Table::ALL {
            txn.open_table(def(table))
                .map_err(|e| err("create table")(e.into()))?;
        }
        txn.commit().map_err(|e| err("commit")(e.into()))?;
        Ok(Self { db })
    }
}

impl RedbEngine {
    /// A table in a fresh read snapshot.
    fn read(
        &self,
        table: Table,
    ) -> Result<redb::ReadOnlyTable<&'static [u8], &'static [u8]>, StoreError> {
        let txn = self
            .db
            .begin_read()
            .map_err(|e| err("begin read")(e.into()))?;
        txn.open_table(def(table))
            .map_err(|e| err("open table")(e.into()))
    }
}

impl KvEngine for RedbEngine {
    fn apply(&self, ops: &[Op]) -> Result<(), StoreError> {
        let mut txn = self.db.begin_write().map_err(|e| err("begin")(e.into()))?;
        txn.set_durability(redb::Durability::None)
            .map_err(|e| StoreError::Engine(format!("redb: durability: {e}")))?;
        {
            // Open each table once per transaction, lazily.
            let mut open: Vec<Option<redb::Table<'_, &'static [u8], &'static [u8]>>> =
                Table::ALL.iter().map(|_| None).collect();
            for op in ops {
                let table = match op {
                    Op::Put { table, .. } | Op::Delete { table, .. } => *table,
                };
                let slot = &mut open[usize::from(table.tag() - 1)];
                if slot.is_none() {
                    *slot = Some(
                        txn.open_table(def(table))
                            .map_err(|e| err("open table")(e.into()))?,
                    );
                }
                let t = slot.as_mut().unwrap(); // unwrap: filled just above.
                match op {
                    Op::Put { key, value, .. } => {
                        t.insert(key.as_slice(), value.as_slice())
                            .map_err(|e| err("insert")(e.into()))?;
                    }
                    Op::Delete { key, .. } => {
                        t.remove(key.as_slice())
                            .map_err(|e| err("remove")(e.into()))?;
                    }
                }
            }
        }
        txn.commit().map_err(|e| err("commit")(e.into()))
    }

    fn sync(&self) -> Result<(), StoreError> {
        let mut txn = self.db.begin_write().map_err(|e| err("begin")(e.into()))?;
        txn.set_quick_repair(true);
        txn.commit().map_err(|e| err("commit")(e.into()))
    }

    fn get(&self, table: Table, key: &[u8]) -> Result<Option<Vec<u8>>, StoreError> {
        let t = self.read(table)?;
        let value = t.get(key).map_err(|e| err("get")(e.into()))?;
        Ok(value.map(|v| v.value().to_vec()))
    }

    fn snapshot(&self) -> Result<Option<Box<dyn KvRead>>, StoreError> {
        let txn = self
            .db
            .begin_read()
            .map_err(|e| err("begin read")(e.into()))?;
        Ok(Some(Box::new(Snapshot(txn))))
    }

    fn name(&self) -> &'static str {
        "redb"
    }
}

impl KvRead for RedbEngine {
    fn scan(
        &self,
        table: Table,
        from: &[u8],
        to: &[u8],
        visit: &mut dyn FnMut(&[u8], &[u8]) -> bool,
    ) -> Result<(), StoreError> {
        let txn = self
            .db
            .begin_read()
            .map_err(|e| err("begin read")(e.into()))?;
        Snapshot(txn).scan(table, from, to, visit)
    }
}

/// A redb read transaction: an MVCC view that commits do not wait for.
struct Snapshot(redb::ReadTransaction);

impl KvRead for Snapshot {
    fn scan(
        &self,
        table: Table,
        from: &[u8],
        to: &[u8],
        visit: &mut dyn FnMut(&[u8], &[u8]) -> bool,
    ) -> Result<(), StoreError> {
        let t = self
            .0
            .open_table(def(table))
            .map_err(|e| err("open table")(e.into()))?;
        for item in t.range(from..to).map_err(|e| err("range")(e.into()))? {
            let (k, v) = item.map_err(|e| err("read")(e.into()))?;
            if !visit(k.value(), v.value()) {
                break;
            }
        }
        Ok(())
    }
}
