//! The file journal: one append-only file, `journal.log`, under a data
//! directory.
//!
//! Frame: `len: u32 LE | crc32(body): u32 LE | body`. Body (version 1,
//! little endian): `1u8 | seq u64 | ts i64 | prev_hash [32] | hash [32] |
//! kind | order_id | client | account | symbol | payload`, each text field
//! as `len u32 | UTF-8 bytes` (`len = u32::MAX` for an absent one); the
//! payload is the event's JSON, stored as is (not re-escaped), so
//! `strings journal.log` shows every event. `append` encodes the whole batch into one buffer, makes
//! one `write` and (with [`FsyncPolicy::Always`]) one `fdatasync`: group
//! commit. `open` scans the file: a frame cut short at the end of the
//! file, or a bad CRC on the very last frame, is a torn write from a crash
//! and is truncated away; a bad frame with more data after it is
//! corruption and fails the open, naming the record. The hash chain is
//! verified while scanning, so a journal whose contents were altered (even
//! with the CRC recomputed) does not open. Queries and replays scan the
//! file; indexes belong to the PostgreSQL backend.
//!
//! With [`FsyncPolicy::Always`] the write and fsync of a batch run on
//! tokio's blocking pool (awaited: nothing is acknowledged before they
//! return); reads, and writes without fsync, are plain std::fs calls in
//! the async methods. Group commit amortises the fsync.

use std::fs::{File, OpenOptions};
use std::io::{BufReader, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use async_trait::async_trait;

use super::crc::crc32;
use super::{check_link, Journal, JournalError, NewRecord, Query, Record, Visitor, GENESIS};

/// When appends reach the disk.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FsyncPolicy {
    /// `fdatasync` once per `append` call (per batch): durable.
    Always,
    /// Leave it to the OS (tests, benchmarks): survives a process kill,
    /// not a power cut.
    Never,
}

/// The file journal.
#[derive(Debug)]
pub struct FileJournal {
    path: PathBuf,
    file: Arc<File>,
    policy: FsyncPolicy,
    last_seq: u64,
    head: [u8; 32],
    len: u64,
    poisoned: bool,
    buf: Vec<u8>,
}

/// The journal file's name under the data directory.
pub const FILE_NAME: &str = "journal.log";

impl FileJournal {
    /// Open (or create) the journal under `dir`: recover a torn tail,
    /// verify the chain.
    pub fn open(dir: impl AsRef<Path>, policy: FsyncPolicy) -> Result<FileJournal, JournalError> {
        std::fs::create_dir_all(dir.as_ref())?;
        let path = dir.as_ref().join(FILE_NAME);
        let mut file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(&path)?;
        let mut last_seq = 0;
        let mut head = GENESIS;
        let good = scan(&mut file, |r| {
            check_link(r, last_seq, &head)?;
            head = r.compute_hash(&head);
            last_seq = r.seq;
            Ok(())
        })?;
        let file_len = file.metadata()?.len();
        if good < file_len {
            file.set_len(good)?;
            file.sync_all()?;
        }
        file.seek(SeekFrom::Start(good))?;
        Ok(FileJournal {
            path,
            file: Arc::new(file),
            policy,
            last_seq,
            head,
            len: good,
            poisoned: false,
            buf: Vec::new(),
        })
    }

    /// The journal file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    fn read_all(
        &self,
        mut f: impl FnMut(Record) -> Result<(), JournalError>,
    ) -> Result<(), JournalError> {
        let mut file = File::open(&self.path)?;
        scan(&mut file, |r| f(r.clone()))?;
        Ok(())
    }
}

/// Scan frames from the start, calling `f` on each record; returns the
/// length of the valid prefix (a torn tail is not an error).
fn scan(
    file: &mut File,
    mut f: impl FnMut(&Record) -> Result<(), JournalError>,
) -> Result<u64, JournalError> {
    let file_len = file.metadata()?.len();
    file.seek(SeekFrom::Start(0))?;
    let mut rd = BufReader::with_capacity(1 << 20, file);
    let mut off = 0u64;
    let mut expected_seq = 1u64;
    let mut body = Vec::new();
    loop {
        if off == file_len {
            return Ok(off);
        }
        if file_len - off < 8 {
            return Ok(off); // torn header
        }
        let mut hdr = [0u8; 8];
        rd.read_exact(&mut hdr)?;
        let len = u32::from_le_bytes([hdr[0], hdr[1], hdr[2], hdr[3]]) as u64;
        let crc = u32::from_le_bytes([hdr[4], hdr[5], hdr[6], hdr[7]]);
        let end = off + 8 + len;
        if end > file_len {
            return Ok(off); // torn body
        }
        body.resize(len as usize, 0);
        rd.read_exact(&mut body)?;
        let bad = |reason: String| JournalError::Corrupt {
            seq: expected_seq,
            offset: off,
            reason,
        };
        let rec = if crc32(&body) != crc {
            Err(bad("CRC mismatch".to_owned()))
        } else {
            decode(&body).ok_or_else(|| bad("undecodable record".to_owned()))
        };
        match rec {
            Ok(r) => f(&r)?,
            // The last frame of the file: a torn write, cut it off.
            Err(_) if end == file_len => return Ok(off),
            Err(e) => return Err(e),
        }
        off = end;
        expected_seq += 1;
    }
}

/// Append a record's body (see the module doc) to `buf`.
fn encode(
    buf: &mut Vec<u8>,
    r: &Record,
    prev: &[u8; 32],
    hash: &[u8; 32],
) -> Result<(), JournalError> {
    buf.push(1);
    buf.extend_from_slice(&r.seq.to_le_bytes());
    buf.extend_from_slice(&r.ts.0.to_le_bytes());
    buf.extend_from_slice(prev);
    buf.extend_from_slice(hash);
    for f in [
        Some(r.kind.as_str()),
        r.order_id.as_deref(),
        r.client.as_deref(),
        r.account.as_deref(),
        r.symbol.as_deref(),
        Some(r.payload.as_str()),
    ] {
        match f {
            Some(s) => {
                let len = u32::try_from(s.len())
                    .ok()
                    .filter(|l| *l != u32::MAX)
                    .ok_or_else(|| JournalError::Encode("field longer than 4 GiB".to_owned()))?;
                buf.extend_from_slice(&len.to_le_bytes());
                buf.extend_from_slice(s.as_bytes());
            }
            None => buf.extend_from_slice(&u32::MAX.to_le_bytes()),
        }
    }
    Ok(())
}

/// Decode a body; `None` if it is not a well-formed version-1 record.
fn decode(b: &[u8]) -> Option<Record> {
    let mut at = 0usize;
    let mut take = |n: usize| -> Option<&[u8]> {
        let s = b.get(at..at.checked_add(n)?)?;
        at += n;
        Some(s)
    };
    if take(1)? != [1] {
        return None;
    }
    let seq = u64::from_le_bytes(take(8)?.try_into().ok()?);
    let ts = i64::from_le_bytes(take(8)?.try_into().ok()?);
    let prev: [u8; 32] = take(32)?.try_into().ok()?;
    let hash: [u8; 32] = take(32)?.try_into().ok()?;
    let mut text = || -> Option<Option<String>> {
        let len = u32::from_le_bytes(take(4)?.try_into().ok()?);
        if len == u32::MAX {
            return Some(None);
        }
        let s = std::str::from_utf8(take(len as usize)?).ok()?;
        Some(Some(s.to_owned()))
    };
    let kind = text()??;
    let order_id = text()?;
    let client = text()?;
    let account = text()?;
    let symbol = text()?;
    let payload = text()??;
    if at != b.len() {
        return None;
    }
    Some(Record {
        seq,
        ts: crate::types::Timestamp(ts),
        kind,
        order_id,
        client,
        account,
        symbol,
        payload,
        prev_hash: hex::encode(prev),
        hash: hex::encode(hash),
    })
}

#[async_trait]
impl Journal for FileJournal {
    async fn append(&mut self, batch: Vec<NewRecord>) -> Result<u64, JournalError> {
        if self.poisoned {
            return Err(JournalError::Poisoned);
        }
        if batch.is_empty() {
            return Ok(self.last_seq);
        }
        self.buf.clear();
        let mut seq = self.last_seq;
        let mut head = self.head;
        for r in batch {
            seq += 1;
            let prev = head;
            let (rec, h) = Record::seal(seq, &head, r);
            head = h;
            let start = self.buf.len();
            self.buf.extend_from_slice(&[0u8; 8]);
            encode(&mut self.buf, &rec, &prev, &h)?;
            let body_len = (self.buf.len() - start - 8) as u32;
            let crc = crc32(&self.buf[start + 8..]);
            self.buf[start..start + 4].copy_from_slice(&body_len.to_le_bytes());
            self.buf[start + 4..start + 8].copy_from_slice(&crc.to_le_bytes());
        }
        let res = match self.policy {
            FsyncPolicy::Never => (&*self.file).write_all(&self.buf),
            FsyncPolicy::Always => {
                // The write and the fsync run on tokio's blocking pool, so
                // a multi-threaded runtime's worker is not stalled for the
                // milliseconds an fsync takes; the caller still awaits it.
                let file = Arc::clone(&self.file);
                let buf = std::mem::take(&mut self.buf);
                let (buf, res) = tokio::task::spawn_blocking(move || {
                    let res = (&*file).write_all(&buf).and_then(|()| file.sync_data());
                    (buf, res)
                })
                .await
                .map_err(|e| JournalError::Io(std::io::Error::other(e.to_string())))?;
                self.buf = buf;
                res
            }
        };
        if let Err(e) = res {
            // Part of the batch may be on disk: refuse further appends; a
            // reopen truncates the torn tail.
            self.poisoned = true;
            return Err(e.into());
        }
        self.len += self.buf.len() as u64;
        self.last_seq = seq;
        self.head = head;
        Ok(seq)
    }

    async fn read_from(&self, from: u64) -> Result<Vec<Record>, JournalError> {
        let mut out = Vec::new();
        self.read_all(|r| {
            if r.seq >= from {
                out.push(r);
            }
            Ok(())
        })?;
        Ok(out)
    }

    async fn scan_from(&self, from: u64, f: &mut Visitor<'_>) -> Result<(), JournalError> {
        self.read_all(|r| if r.seq >= from { f(r) } else { Ok(()) })
    }

    async fn query(&self, q: &Query) -> Result<Vec<Record>, JournalError> {
        let mut out = Vec::new();
        self.read_all(|r| {
            if q.matches(&r) {
                out.push(r);
            }
            Ok(())
        })?;
        Ok(out)
    }

    async fn verify(&self) -> Result<u64, JournalError> {
        let mut last = 0u64;
        let mut head = GENESIS;
        let mut file = File::open(&self.path)?;
        let good = scan(&mut file, |r| {
            check_link(r, last, &head)?;
            head = r.compute_hash(&head);
            last = r.seq;
            Ok(())
        })?;
        if good != self.len || last != self.last_seq {
            return Err(JournalError::ChainBroken {
                seq: last + 1,
                reason: format!(
                    "journal ends at record {last} (byte {good}), expected record {} (byte {})",
                    self.last_seq, self.len
                ),
            });
        }
        Ok(last)
    }

    fn last_seq(&self) -> u64 {
        self.last_seq
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::types::Timestamp;

    #[test]
    fn body_round_trips_and_rejects_garbage() {
        let new = NewRecord {
            ts: Timestamp(-5),
            kind: "VenueFill".into(),
            order_id: Some("O1".into()),
            client: None,
            account: Some("ACC1".into()),
            symbol: Some("AAPL".into()),
            payload: "{\"a\":\"b\\\"c\"}".into(),
        };
        let (rec, h) = Record::seal(7, &[9u8; 32], new);
        let mut buf = Vec::new();
        encode(&mut buf, &rec, &[9u8; 32], &h).unwrap();
        assert_eq!(decode(&buf), Some(rec.clone()));
        for cut in [0, 1, 20, buf.len() - 1] {
            assert_eq!(decode(&buf[..cut]), None, "cut at {cut}");
        }
        let mut longer = buf.clone();
        longer.push(0);
        assert_eq!(decode(&longer), None);
        let mut v2 = buf;
        v2[0] = 2;
        assert_eq!(decode(&v2), None);
    }
}
