//! sled, selectable in the configuration. All tables share sled's default
//! tree under a one-byte prefix so that one `apply_batch` is atomic across
//! them. A checkpoint is sled's `flush`, which writes with
//! `sync_file_range`, not `fsync`: it survives a killed process but not
//! necessarily a power cut, after which the log may already be trimmed.

use std::path::Path;

use crate::store::StoreError;
use crate::store::engine::{KvEngine, KvRead, Op, Table};

/// A sled database directory.
pub struct SledEngine {
    db: sled::Db,
}

fn err(context: &'static str) -> impl Fn(sled::Error) -> StoreError {
    move |e| StoreError::Engine(format!("sled: {context}: {e}"))
}

fn prefixed(table: Table, key: &[u8]) -> Vec<u8> {
    let mut k = Vec::with_capacity(key.len() + 1);
    k.push(table.tag());
    k.extend_from_slice(key);
    k
}

impl SledEngine {
    /// Opens or creates the database in `dir`.
    pub fn open(dir: &Path) -> Result<Self, StoreError> {
        let db = sled::Config::new().path(dir).open().map_err(err("open"))?;
        Ok(Self { db })
    }
}

impl KvEngine for SledEngine {
    fn apply(&self, ops: &[Op]) -> Result<(), StoreError> {
        let mut batch = sled::Batch::default();
        for op in ops {
            match op {
                Op::Put { table, key, value } => {
                    batch.insert(prefixed(*table, key), value.as_slice())
                }
                Op::Delete { table, key } => batch.remove(prefixed(*table, key)),
            }
        }
        self.db.apply_batch(batch).map_err(err("apply"))
    }

    fn sync(&self) -> Result<(), StoreError> {
        self.db.flush().map(|_| ()).map_err(err("flush"))
    }

    fn get(&self, table: Table, key: &[u8]) -> Result<Option<Vec<u8>>, StoreError> {
        let value = self.db.get(prefixed(table, key)).map_err(err("get"))?;
        Ok(value.map(|v| v.to_vec()))
    }

    fn snapshot(&self) -> Result<Option<Box<dyn KvRead>>, StoreError> {
        // sled 0.34 has no read snapshots.
        Ok(None)
    }

    fn name(&self) -> &'static str {
        "sled"
    }
}

impl KvRead for SledEngine {
    fn scan(
        &self,
        table: Table,
        from: &[u8],
        to: &[u8],
        visit: &mut dyn FnMut(&[u8], &[u8]) -> bool,
    ) -> Result<(), StoreError> {
        for item in self.db.range(prefixed(table, from)..prefixed(table, to)) {
            let (k, v) = item.map_err(err("read"))?;
            if !visit(&k[1..], &v) {
                break;
            }
        }
        Ok(())
    }
}
