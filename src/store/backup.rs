//! Backups: every record of every table, with a count and a SHA-256 at the
//! end so that a damaged or truncated file is refused before anything is
//! written. Format: `MAGIC`, then records (`tag: u8`, `key_len: u32 BE`,
//! key, `value_len: u32 BE`, value), then `0u8`, `count: u64 BE`, and the
//! SHA-256 of every byte before the hash.

use std::fs::File;
use std::io::{BufReader, BufWriter, Read, Write};
use std::path::Path;

use sha2::{Digest, Sha256};

use crate::store::engine::{KvRead, Op, Table};
use crate::store::files;
use crate::store::{EngineKind, Store, StoreError};

const MAGIC: &[u8] = b"BOOKING-ENGINE-BACKUP 1\n";
/// Records written per engine batch while restoring.
const RESTORE_BATCH: usize = 10_000;

fn io(context: &str) -> impl Fn(std::io::Error) -> StoreError + '_ {
    move |e| StoreError::Engine(format!("{context}: {e}"))
}

fn table(tag: u8) -> Option<Table> {
    Table::ALL.into_iter().find(|t| t.tag() == tag)
}

/// Writes through a hasher.
struct Hashed<W: Write> {
    out: W,
    hash: Sha256,
}

impl<W: Write> Hashed<W> {
    fn put(&mut self, bytes: &[u8]) -> std::io::Result<()> {
        self.hash.update(bytes);
        self.out.write_all(bytes)
    }
}

/// Longest key a record may state: keys are a few ids long; a damaged
/// length must not make the reader allocate gigabytes.
const MAX_KEY_BYTES: usize = 64 << 10;
/// Longest value a record may state.
const MAX_VALUE_BYTES: usize = 64 << 20;

/// Writes every record of a read view to `out`; `progress` hears the
/// running count.
pub fn export<R: KvRead + ?Sized>(
    view: &R,
    out: impl Write,
    progress: &mut dyn FnMut(u64),
) -> Result<u64, StoreError> {
    {
        let mut w = Hashed {
            out: BufWriter::new(out),
            hash: Sha256::new(),
        };
        w.put(MAGIC).map_err(io("write the backup"))?;
        let mut count = 0u64;
        let mut failed = None;
        for t in Table::ALL {
            view.scan(t, &[], &[0xff; 65], &mut |k, v| {
                let record = [
                    &[t.tag()][..],
                    &(k.len() as u32).to_be_bytes(),
                    k,
                    &(v.len() as u32).to_be_bytes(),
                    v,
                ];
                if let Err(e) = record.iter().try_for_each(|part| w.put(part)) {
                    failed = Some(e);
                    return false;
                }
                count += 1;
                if count.is_multiple_of(100_000) {
                    progress(count);
                }
                true
            })?;
            if let Some(e) = failed.take() {
                return Err(io("write the backup")(e));
            }
        }
        w.put(&[0])
            .and_then(|()| w.put(&count.to_be_bytes()))
            .map_err(io("write the backup"))?;
        let digest = w.hash.finalize();
        w.out
            .write_all(&digest)
            .and_then(|()| w.out.flush())
            .map_err(io("write the backup"))?;
        progress(count);
        Ok(count)
    }
}

/// Reads a backup's records, checking it as it goes; `apply` sees each
/// record. The count and hash are checked at the end.
fn read(
    path: &Path,
    apply: &mut dyn FnMut(Table, Vec<u8>, Vec<u8>) -> Result<(), StoreError>,
) -> Result<u64, StoreError> {
    let damaged = |why: &str| {
        StoreError::Corrupt(format!(
            "the backup {} is damaged or truncated: {why}",
            path.display()
        ))
    };
    let mut input = BufReader::new(File::open(path).map_err(io("open the backup"))?);
    let mut hash = Sha256::new();
    let mut take = |n: usize, hash: &mut Sha256| -> Result<Vec<u8>, StoreError> {
        let mut buf = vec![0; n];
        input
            .read_exact(&mut buf)
            .map_err(|_| damaged("it ends too early"))?;
        hash.update(&buf);
        Ok(buf)
    };
    if take(MAGIC.len(), &mut hash)? != MAGIC {
        return Err(damaged("it is not a booking-engine backup"));
    }
    let mut count = 0u64;
    loop {
        let tag = take(1, &mut hash)?[0];
        if tag == 0 {
            break;
        }
        let t = table(tag).ok_or_else(|| damaged("unknown table"))?;
        let len = |b: Vec<u8>| u32::from_be_bytes([b[0], b[1], b[2], b[3]]) as usize;
        let key_len = len(take(4, &mut hash)?);
        if key_len > MAX_KEY_BYTES {
            return Err(damaged("a key is implausibly large"));
        }
        let key = take(key_len, &mut hash)?;
        let value_len = len(take(4, &mut hash)?);
        if value_len > MAX_VALUE_BYTES {
            return Err(damaged("a record is implausibly large"));
        }
        let value = take(value_len, &mut hash)?;
        apply(t, key, value)?;
        count += 1;
    }
    let stated = take(8, &mut hash)?;
    let expected = hash.finalize();
    let mut digest = [0u8; 32];
    input
        .read_exact(&mut digest)
        .map_err(|_| damaged("it ends too early"))?;
    if digest[..] != expected[..] {
        return Err(damaged("its checksum does not match"));
    }
    if u64::from_be_bytes(stated.try_into().unwrap_or_default()) != count {
        return Err(damaged("its record count does not match"));
    }
    let mut rest = [0u8; 1];
    if input.read(&mut rest).map_err(io("read the backup"))? != 0 {
        return Err(damaged("there are bytes after its end"));
    }
    Ok(count)
}

/// Checks a backup completely without writing anything; returns its record count.
pub fn verify(path: &Path) -> Result<u64, StoreError> {
    read(path, &mut |_, _, _| Ok(()))
}

/// Rebuilds a store in `data_dir` from a backup. The file is checked whole
/// first; an existing store there is never overwritten. The store is built
/// in a temporary directory beside it, under a marker that keeps any server
/// from opening the directory, counted again, and only then renamed into
/// place: a restore cut short (a full disk, a kill) is never served.
pub fn restore(
    path: &Path,
    kind: EngineKind,
    data_dir: &Path,
    progress: &mut dyn FnMut(u64),
) -> Result<u64, StoreError> {
    let total = verify(path)?;
    let target = Store::engine_path(kind, data_dir);
    let marker = data_dir.join(files::RESTORE_MARKER);
    let existing = [
        Store::engine_path(EngineKind::Redb, data_dir),
        Store::engine_path(EngineKind::Sled, data_dir),
        Store::log_path(data_dir),
    ];
    if existing.iter().any(|p| p.exists()) || marker.exists() {
        return Err(StoreError::Engine(format!(
            "{} already holds a store (or an unfinished restore); restore into an empty directory",
            data_dir.display()
        )));
    }
    files::private_dir(data_dir)?;
    files::create_private(&marker)?
        .sync_all()
        .map_err(io("sync the restore marker"))?;
    files::sync_dir(data_dir)?;
    let scratch = data_dir.join(".restore.tmp");
    if scratch.exists() {
        std::fs::remove_dir_all(&scratch).map_err(io("clear an old restore"))?;
    }
    {
        // The scratch directory has no marker of its own: it is opened here only.
        let kv = Store::open_engine(kind, &scratch)?;
        let mut batch = Vec::with_capacity(RESTORE_BATCH);
        let mut done = 0u64;
        read(path, &mut |table, key, value| {
            batch.push(Op::Put { table, key, value });
            if batch.len() == RESTORE_BATCH {
                kv.apply(&batch)?;
                done += batch.len() as u64;
                batch.clear();
                progress(done);
            }
            Ok(())
        })?;
        kv.apply(&batch)?;
        kv.sync()?;
        let counted = export(kv.as_ref(), std::io::sink(), &mut |_| {})?;
        if counted != total {
            return Err(StoreError::Corrupt(format!(
                "the restored store has {counted} records, the backup {total}"
            )));
        }
    }
    std::fs::rename(Store::engine_path(kind, &scratch), &target)
        .map_err(io("move the restored store into place"))?;
    std::fs::remove_dir_all(&scratch).map_err(io("remove the restore's scratch directory"))?;
    files::sync_dir(data_dir)?;
    std::fs::remove_file(&marker).map_err(io("remove the restore marker"))?;
    files::sync_dir(data_dir)?;
    progress(total);
    Ok(total)
}
