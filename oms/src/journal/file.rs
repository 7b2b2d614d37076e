//! The file journal: one append-only file, `journal.log`, under a data
//! directory.
//!
//! Frame: `len: u32 LE | crc32(body): u32 LE | body`, where body is the
//! record as JSON. `append` encodes the whole batch into one buffer, makes
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
            serde_json::from_slice::<Record>(&body).map_err(|e| bad(format!("undecodable: {e}")))
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
            let (rec, h) = Record::seal(seq, &head, r);
            head = h;
            let start = self.buf.len();
            self.buf.extend_from_slice(&[0u8; 8]);
            serde_json::to_writer(&mut self.buf, &rec)
                .map_err(|e| JournalError::Encode(e.to_string()))?;
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
