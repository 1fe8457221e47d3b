//! The write-ahead log: the only synchronous write of a group commit.
//!
//! A batch of commits is one record appended to the current segment file
//! and made durable with one `fdatasync`. A record is its payload's length
//! and CRC-32 (little-endian u32 each), then the payload: the batch's log
//! sequence number (LSN) and its commits, in postcard. Each append ends on
//! a page boundary: a padding record (its length with the top bit set, the
//! CRC-32 of that length, then zeros) fills the rest of the last page, so
//! the next sync writes only fresh pages. Without it every sync wrote the
//! previous batch's last, partly filled page a second time: under the
//! spread load (about eight bookings per sync) the log wrote 648 bytes per
//! booking, 391 with padding. Segments are named by the first LSN they
//! hold; a segment is sealed once it passes
//! [`SEGMENT_BYTES`] and deleted once a checkpoint covers all of it.
//!
//! At open, every record after the checkpoint is read back for replay. A
//! record cut short or failing its checksum at the end of the last segment
//! is a write the process did not finish (it was never acknowledged): the
//! file is truncated there. The same damage anywhere else is corruption,
//! and the store refuses to open.
//!
//! Written here rather than taken from a crate: the log needs one append,
//! one sync, one scan and whole-file trimming, about a hundred lines. The
//! WAL crates on crates.io we looked at (walogs 0.1, open-wal 0.2, wal-db)
//! are young and kept by one person each; the store's durability should
//! not rest on them. The checksum is `crc32fast`, already in the tree.

use std::fs::File;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::store::faults::FaultSwitch;
use crate::store::{Commit, StoreError, files};

/// A segment is sealed once it holds this many bytes.
pub const SEGMENT_BYTES: u64 = 32 << 20;

/// A record's header: payload length and CRC-32.
const HEADER: usize = 8;

/// The largest payload a record may claim; anything bigger is damage (a
/// group commit is at most a few MiB).
const MAX_RECORD: usize = 256 << 20;

/// Appends end on a multiple of this: the page a sync writes out.
const PAGE: u64 = 4096;

/// Set in a record's length when the record is padding.
const PAD: u32 = 1 << 31;

#[derive(Serialize)]
struct BatchRef<'a> {
    lsn: u64,
    commits: &'a [Commit],
}

/// A batch read back from the log.
#[derive(Deserialize)]
pub struct Batch {
    pub lsn: u64,
    pub commits: Vec<Commit>,
}

struct Sealed {
    first: u64,
    path: PathBuf,
}

/// The open log. Only the store writer appends; the checkpointer trims.
pub struct Log {
    dir: PathBuf,
    file: File,
    path: PathBuf,
    /// Length of the current segment up to its last whole record.
    len: u64,
    /// A failed append may have left bytes past `len`: cut them first.
    dirty: bool,
    sealed: Vec<Sealed>,
    next_lsn: u64,
    faults: Option<FaultSwitch>,
}

fn io(context: &str) -> impl Fn(std::io::Error) -> StoreError + '_ {
    move |e| StoreError::Engine(format!("log: {context}: {e}"))
}

fn segment_name(first: u64) -> String {
    format!("{first:020}.log")
}

impl Log {
    /// Opens (or creates) the log in `dir` and returns the batches after
    /// `checkpoint`, in order. `checkpoint` is the last LSN the records
    /// hold; the log never numbers a batch at or below it again.
    pub fn open(
        dir: &Path,
        checkpoint: u64,
        faults: Option<FaultSwitch>,
    ) -> Result<(Self, Vec<Batch>), StoreError> {
        files::private_dir(dir)?;
        let mut segments: Vec<(u64, PathBuf)> = std::fs::read_dir(dir)
            .map_err(io("list"))?
            .filter_map(|entry| {
                let path = entry.ok()?.path();
                let first = path.file_stem()?.to_str()?.parse().ok()?;
                (path.extension()? == "log").then_some((first, path))
            })
            .collect();
        segments.sort();
        let mut tail = Vec::new();
        let mut next_lsn = checkpoint + 1;
        let mut last_len = 0;
        for (i, (_, path)) in segments.iter().enumerate() {
            let last = i + 1 == segments.len();
            let (batches, good) = read_segment(path, last)?;
            for batch in batches {
                next_lsn = next_lsn.max(batch.lsn + 1);
                if batch.lsn > checkpoint {
                    tail.push(batch);
                }
            }
            last_len = good;
        }
        let (path, len) = match segments.last() {
            Some((_, path)) => (path.clone(), last_len),
            None => (dir.join(segment_name(next_lsn)), 0),
        };
        let file = open_segment(&path, len)?;
        files::sync_dir(dir)?;
        segments.pop();
        let sealed = segments
            .into_iter()
            .map(|(first, path)| Sealed { first, path })
            .collect();
        let log = Self {
            dir: dir.to_path_buf(),
            file,
            path,
            len,
            dirty: false,
            sealed,
            next_lsn,
            faults,
        };
        Ok((log, tail))
    }

    /// Appends one batch and syncs it; returns its LSN. On error nothing
    /// of the batch counts: the next append cuts whatever reached the file.
    pub fn append(&mut self, commits: &[Commit]) -> Result<u64, StoreError> {
        if self.dirty {
            self.file.set_len(self.len).map_err(io("truncate"))?;
            self.dirty = false;
        }
        if self.len >= SEGMENT_BYTES {
            self.rotate()?;
        }
        let lsn = self.next_lsn;
        let payload = postcard::to_stdvec(&BatchRef { lsn, commits })
            .map_err(|e| StoreError::Engine(format!("log: encode: {e}")))?;
        let mut record = framed(&payload);
        pad_to_page(self.len, &mut record);
        self.dirty = true;
        self.file.write_all(&record).map_err(io("write"))?;
        if let Some(fault) = self.faults.as_ref().and_then(FaultSwitch::take) {
            return Err(fault.error());
        }
        self.file.sync_data().map_err(io("sync"))?;
        self.dirty = false;
        self.len += record.len() as u64;
        self.next_lsn += 1;
        Ok(lsn)
    }

    /// The LSN the next append will get.
    #[cfg(test)]
    pub fn next_lsn(&self) -> u64 {
        self.next_lsn
    }

    /// Deletes the sealed segments whose every batch is at or below
    /// `checkpoint`; seals the current one first if it is big and covered.
    pub fn trim(&mut self, checkpoint: u64) -> Result<usize, StoreError> {
        if self.len >= SEGMENT_BYTES / 4 && checkpoint + 1 == self.next_lsn && !self.dirty {
            self.rotate()?;
        }
        // A sealed segment ends where the next one (or the current) begins.
        let mut ends: Vec<u64> = self.sealed.iter().skip(1).map(|s| s.first).collect();
        ends.push(self.current_first());
        let mut removed = 0;
        while removed < self.sealed.len() {
            let end = ends[removed];
            if end > checkpoint + 1 {
                break;
            }
            removed += 1;
        }
        for segment in self.sealed.drain(..removed) {
            std::fs::remove_file(&segment.path).map_err(io("remove"))?;
        }
        if removed > 0 {
            files::sync_dir(&self.dir)?;
        }
        Ok(removed)
    }

    fn current_first(&self) -> u64 {
        self.path
            .file_stem()
            .and_then(|s| s.to_str()?.parse().ok())
            .unwrap_or(self.next_lsn)
    }

    fn rotate(&mut self) -> Result<(), StoreError> {
        let path = self.dir.join(segment_name(self.next_lsn));
        let file = open_segment(&path, 0)?;
        files::sync_dir(&self.dir)?;
        let old = std::mem::replace(&mut self.path, path);
        self.sealed.push(Sealed {
            first: old
                .file_stem()
                .and_then(|s| s.to_str()?.parse().ok())
                .unwrap_or(0),
            path: old,
        });
        self.file = file;
        self.len = 0;
        Ok(())
    }
}

/// A payload as a record: its length, its CRC-32, the payload (with room
/// for the padding that follows it).
fn framed(payload: &[u8]) -> Vec<u8> {
    let mut record = Vec::with_capacity(HEADER + payload.len() + PAGE as usize);
    record.extend_from_slice(&(payload.len() as u32).to_le_bytes());
    record.extend_from_slice(&crc32fast::hash(payload).to_le_bytes());
    record.extend_from_slice(payload);
    record
}

/// Appends to `record` (to be written at `offset`) the padding record that
/// makes it end on a page boundary; one page more when the gap is too
/// small for a padding header.
fn pad_to_page(offset: u64, record: &mut Vec<u8>) {
    let end = offset + record.len() as u64;
    let mut gap = (PAGE - end % PAGE) % PAGE;
    if gap == 0 {
        return;
    }
    if gap < HEADER as u64 {
        gap += PAGE;
    }
    let len = (gap as u32 - HEADER as u32) | PAD;
    record.extend_from_slice(&len.to_le_bytes());
    record.extend_from_slice(&crc32fast::hash(&len.to_le_bytes()).to_le_bytes());
    record.resize(record.len() + (gap as usize - HEADER), 0);
}

/// Opens a segment for appending at `len`, cutting anything after it.
fn open_segment(path: &Path, len: u64) -> Result<File, StoreError> {
    let file = files::open_private_append(path).map_err(io("open"))?;
    if file.metadata().map_err(io("stat"))?.len() != len {
        file.set_len(len).map_err(io("truncate torn tail"))?;
        file.sync_data().map_err(io("sync"))?;
    }
    Ok(file)
}

/// The whole records of a segment and where they end. Damage after the
/// last whole record is a torn tail in the last segment, corruption in
/// any other.
fn read_segment(path: &Path, last: bool) -> Result<(Vec<Batch>, u64), StoreError> {
    let mut bytes = Vec::new();
    File::open(path)
        .and_then(|mut f| f.read_to_end(&mut bytes))
        .map_err(io("read"))?;
    let mut batches = Vec::new();
    let mut at = 0;
    while at < bytes.len() {
        match record_at(&bytes[at..]) {
            Some((batch, size)) => {
                batches.extend(batch);
                at += size;
            }
            None if last => {
                tracing::warn!(
                    segment = %path.display(),
                    kept = at,
                    cut = bytes.len() - at,
                    "the log ends in a write that did not finish; cutting it"
                );
                break;
            }
            None => {
                return Err(StoreError::Corrupt(format!(
                    "log segment {} is damaged at byte {at}",
                    path.display()
                )));
            }
        }
    }
    Ok((batches, at as u64))
}

/// The record at the start of `bytes` (none for padding) and its size, if
/// it is whole.
fn record_at(bytes: &[u8]) -> Option<(Option<Batch>, usize)> {
    let raw = bytes.get(0..4)?;
    let len = u32::from_le_bytes(raw.try_into().ok()?);
    let crc = u32::from_le_bytes(bytes.get(4..8)?.try_into().ok()?);
    if len & PAD != 0 {
        let zeros = bytes.get(HEADER..HEADER + (len & !PAD) as usize)?;
        let whole = crc32fast::hash(raw) == crc && zeros.iter().all(|b| *b == 0);
        return whole.then_some((None, HEADER + zeros.len()));
    }
    let len = len as usize;
    if len > MAX_RECORD {
        return None;
    }
    let payload = bytes.get(HEADER..HEADER + len)?;
    if crc32fast::hash(payload) != crc {
        return None;
    }
    let batch = postcard::from_bytes(payload).ok()?;
    Some((Some(batch), HEADER + len))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::AuxOp;

    fn commit(n: u8) -> Commit {
        Commit {
            events: Vec::new(),
            aux: vec![AuxOp::Put {
                space: 1,
                key: vec![n],
                value: vec![n; 40],
            }],
        }
    }

    fn lsns(batches: &[Batch]) -> Vec<u64> {
        batches.iter().map(|b| b.lsn).collect()
    }

    #[test]
    fn a_torn_tail_is_cut_and_numbering_goes_on() {
        let dir = tempfile::tempdir().unwrap();
        let (mut log, tail) = Log::open(dir.path(), 0, None).unwrap();
        assert!(tail.is_empty());
        for n in 0..3 {
            log.append(&[commit(n)]).unwrap();
        }
        drop(log);
        let path = dir.path().join(segment_name(1));
        let whole = std::fs::metadata(&path).unwrap().len();
        // Half of a fourth record, as a killed process would leave it.
        let mut f = std::fs::OpenOptions::new()
            .append(true)
            .open(&path)
            .unwrap();
        f.write_all(&[200, 0, 0, 0, 1, 2, 3, 4, 9, 9]).unwrap();
        drop(f);

        let (mut log, tail) = Log::open(dir.path(), 1, None).unwrap();
        assert_eq!(
            lsns(&tail),
            vec![2, 3],
            "after the checkpoint, whole records"
        );
        assert_eq!(std::fs::metadata(&path).unwrap().len(), whole);
        assert_eq!(log.append(&[commit(9)]).unwrap(), 4);
        drop(log);
        let (_, tail) = Log::open(dir.path(), 0, None).unwrap();
        assert_eq!(lsns(&tail), vec![1, 2, 3, 4]);
        assert_eq!(tail[3].commits[0].aux, commit(9).aux);
    }

    #[test]
    fn a_flipped_bit_in_the_last_record_cuts_it_and_elsewhere_refuses_to_open() {
        let dir = tempfile::tempdir().unwrap();
        let (mut log, _) = Log::open(dir.path(), 0, None).unwrap();
        log.append(&[commit(1)]).unwrap();
        log.rotate().unwrap();
        log.append(&[commit(2)]).unwrap();
        log.append(&[commit(3)]).unwrap();
        drop(log);
        // A byte of a record's payload (each record starts a page).
        let flip = |name: &str, at: u64| {
            let path = dir.path().join(name);
            let mut bytes = std::fs::read(&path).unwrap();
            bytes[at as usize + HEADER + 2] ^= 1;
            std::fs::write(&path, bytes).unwrap();
        };
        flip(&segment_name(2), PAGE);
        let (_, tail) = Log::open(dir.path(), 0, None).unwrap();
        assert_eq!(lsns(&tail), vec![1, 2]);
        flip(&segment_name(1), 0);
        assert!(matches!(
            Log::open(dir.path(), 0, None),
            Err(StoreError::Corrupt(_))
        ));
    }

    #[test]
    fn every_append_ends_on_a_page_and_padding_reads_as_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let (mut log, _) = Log::open(dir.path(), 0, None).unwrap();
        let big = Commit {
            events: Vec::new(),
            aux: vec![AuxOp::Put {
                space: 1,
                key: vec![7],
                value: vec![7; 5000],
            }],
        };
        log.append(&[commit(1)]).unwrap();
        assert_eq!(log.len, PAGE);
        log.append(std::slice::from_ref(&big)).unwrap();
        assert_eq!(log.len, 3 * PAGE, "a record longer than a page");
        drop(log);
        let (_, tail) = Log::open(dir.path(), 0, None).unwrap();
        assert_eq!(lsns(&tail), vec![1, 2]);
        assert_eq!(tail[1].commits[0].aux, big.aux);
        // A gap smaller than a padding header takes one page more.
        for (offset, len, total) in [(0, PAGE - 3, 2 * PAGE), (10, PAGE - 20, PAGE)] {
            let mut record = vec![1; len as usize];
            pad_to_page(offset, &mut record);
            assert_eq!(offset + record.len() as u64, total);
            assert_eq!(
                record_at(&record[len as usize..]).unwrap().1 as u64,
                total - offset - len
            );
        }
    }

    #[test]
    fn a_log_written_without_padding_still_reads_and_a_torn_padding_is_cut() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(segment_name(1));
        // A record as written before padding: framed, nothing after it.
        let unpadded_record = |lsn: u64| {
            let commits = [commit(lsn as u8)];
            framed(
                &postcard::to_stdvec(&BatchRef {
                    lsn,
                    commits: &commits,
                })
                .unwrap(),
            )
        };
        let mut bytes = unpadded_record(1);
        bytes.extend(unpadded_record(2));
        let unpadded = bytes.len() as u64;
        // A third record whose padding was cut short by a kill.
        let mut third = unpadded_record(3);
        let whole = unpadded + third.len() as u64;
        pad_to_page(unpadded, &mut third);
        bytes.extend_from_slice(&third[..third.len() - 5]);
        std::fs::create_dir_all(dir.path()).unwrap();
        std::fs::write(&path, &bytes).unwrap();
        let (mut log, tail) = Log::open(dir.path(), 0, None).unwrap();
        assert_eq!(lsns(&tail), vec![1, 2, 3], "every whole record");
        assert_eq!(
            std::fs::metadata(&path).unwrap().len(),
            whole,
            "the torn padding cut"
        );
        assert_eq!(log.append(&[commit(4)]).unwrap(), 4);
        assert_eq!(log.len % PAGE, 0, "the next append pads to a page again");
        drop(log);
        let (_, tail) = Log::open(dir.path(), 0, None).unwrap();
        assert_eq!(lsns(&tail), vec![1, 2, 3, 4]);
    }

    #[test]
    fn a_checkpoint_removes_the_segments_it_covers_and_no_other() {
        let dir = tempfile::tempdir().unwrap();
        let (mut log, _) = Log::open(dir.path(), 10, None).unwrap();
        assert_eq!(log.append(&[commit(1)]).unwrap(), 11);
        log.rotate().unwrap();
        log.append(&[commit(2)]).unwrap(); // 12
        log.append(&[commit(3)]).unwrap(); // 13
        log.rotate().unwrap();
        log.append(&[commit(4)]).unwrap(); // 14
        assert_eq!(log.trim(12).unwrap(), 1, "11 only: 13 is not covered");
        assert_eq!(log.trim(13).unwrap(), 1);
        assert_eq!(log.trim(14).unwrap(), 0, "the current segment stays");
        drop(log);
        let (log, tail) = Log::open(dir.path(), 13, None).unwrap();
        assert_eq!(lsns(&tail), vec![14]);
        assert_eq!(log.next_lsn(), 15);
    }

    #[test]
    fn a_failed_sync_leaves_nothing_behind() {
        let dir = tempfile::tempdir().unwrap();
        let switch = FaultSwitch::default();
        let (mut log, _) = Log::open(dir.path(), 0, Some(switch.clone())).unwrap();
        log.append(&[commit(1)]).unwrap();
        switch.fail_next(1, crate::store::faults::Fault::Io);
        assert!(log.append(&[commit(2)]).is_err());
        assert_eq!(log.append(&[commit(3)]).unwrap(), 2);
        drop(log);
        let (_, tail) = Log::open(dir.path(), 0, None).unwrap();
        assert_eq!(lsns(&tail), vec![1, 2]);
        assert_eq!(tail[1].commits[0].aux, commit(3).aux);
    }
}
