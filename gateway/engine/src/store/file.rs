//! The file store: the embedded default. Sequence numbers and sent messages
//! survive `kill -9` whatever the fsync policy, and survive a power loss up to
//! what the [`FsyncPolicy`] has made durable.
//!
//! # Layout
//!
//! One directory per session under the data directory, named by
//! [`session_dir_name`] (an injective, file-name-safe encoding of the
//! [`SessionKey`]). The directory holds `lock` (see below) and
//! `messages.log`: an append-only log of records, all little-endian:
//!
//! ```text
//! kind u8 | seq u64 | len u32 | crc32 u32 | payload [len bytes]
//! ```
//!
//! The CRC32 (crc32fast) covers kind, seq, len and payload. Kinds:
//!
//! - `0` header, only as the first record: seq = format version, payload =
//!   `FIXSTORE`, the creation time (i64 UTC nanoseconds) and the session key,
//!   so a directory copied to the wrong place is refused.
//! - `1` sent message: seq = MsgSeqNum, payload = the message; it also means
//!   "next sender sequence number = seq + 1".
//! - `2` next sender sequence number = seq (no payload).
//! - `3` next target sequence number = seq (no payload).
//! - `4` the application's delivery number = seq (no payload): written in
//!   the same append as the batch it belongs to, and copied into the new
//!   log by a reset (it counts the application's messages, which a reset
//!   does not restart). A log without one reads as "none stored".
//!
//! # Why one log, and what survives what
//!
//! Every mutation is exactly one append, done with one `write(2)` of a
//! record assembled in memory: a `save_sent` stores the message and advances
//! the sender sequence number in the same record, so the two can never
//! disagree. The sequence numbers are the result of replaying the log in
//! order, so there is no second file whose updates could be reordered
//! against the log's, and nothing is ever overwritten in place: a torn write
//! can only damage the last record, which was never acknowledged. (An
//! in-place overwritten seqnums file can lose both the old and the new value
//! to one torn sector write.) The cost is a 17-byte record per inbound
//! message for the target sequence number; the log starts afresh at every
//! reset, which a FIX session does at least at each scheduled session start.
//!
//! Once `write(2)` has returned, the record is in the kernel's page cache,
//! so a killed process loses nothing that a call acknowledged. Durability
//! against power loss or a kernel crash is the fsync policy's business:
//! `fdatasync` after every write, every N writes, after a time interval, or
//! never (left to the OS). [`MessageStore::flush`] always makes everything
//! durable, whatever the policy.
//!
//! # Recovery
//!
//! Opening a store replays the log and rebuilds the in-memory index (seq ->
//! record offset) and the sequence numbers. At the first record that is
//! incomplete, has a bad checksum or is malformed, it decides between a torn
//! tail and real corruption: if no valid record can be found at any byte
//! offset after the bad one, it is a torn tail (a write cut short by a crash,
//! or garbage a crash left behind) and the file is truncated there; if a
//! valid record follows, something in the middle of the log is damaged, and
//! opening fails with [`StoreError::Corrupt`] rather than drop acknowledged
//! messages silently. A write that fails (for example a full disk) is rolled
//! back by truncating to the last good record, and the store re-runs recovery
//! on its next call.
//!
//! # Reset
//!
//! `reset` writes a new log holding only a header (and the delivery
//! number, if one was stored) to `messages.log.tmp`,
//! fsyncs it, renames it over `messages.log` and fsyncs the directory,
//! whatever the policy: a crash leaves either the whole old log or the new
//! one, never a mixture.
//!
//! # Locking and IO
//!
//! A session's store is open once at a time: opening holds an exclusive
//! `flock` on the directory's `lock` file (released by the kernel when the
//! process dies, `kill -9` included), and a second open, in this process or
//! another, fails with a [`StoreError::Io`] of kind `WouldBlock`. The
//! store does blocking file IO on the calling task's thread (microseconds
//! for a `write`; an fsync took about 3 ms on the development VM).

use super::{
    MessageStore, Outgoing, SeqState, SessionKey, StoreError, StoreFactory, StoredMessage,
};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::fs::{self, File, OpenOptions};
use std::io::{self, BufReader, Read, Write};
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// The largest message the store accepts.
pub const MAX_MESSAGE_LEN: usize = 64 << 20;

const LOG_FILE: &str = "messages.log";
const TMP_FILE: &str = "messages.log.tmp";
const LOCK_FILE: &str = "lock";
const MAGIC: &[u8; 8] = b"FIXSTORE";
const FORMAT_VERSION: u64 = 1;
/// kind u8 + seq u64 + len u32 + crc32 u32.
const RECORD_HEADER_LEN: usize = 17;
/// A bad record with more than this after it cannot be one torn write.
const MAX_TAIL_SCAN: u64 = (MAX_MESSAGE_LEN + RECORD_HEADER_LEN) as u64;

/// When the file store calls `fdatasync` on its log.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum FsyncPolicy {
    /// After every write: nothing acknowledged is lost even to a power cut.
    #[default]
    EveryWrite,
    /// After every N writes (0 and 1 mean every write).
    EveryN(u32),
    /// At the first write at least this long after the previous fsync.
    /// Nothing runs in the background: call [`MessageStore::flush`] from a
    /// timer to bound the window when writes stop.
    Interval(Duration),
    /// Never, unless [`MessageStore::flush`] is called: the OS writes the
    /// page cache back. Still survives a killed process.
    Never,
}

/// Opens a [`FileStore`] per session in its own directory under `dir`.
#[derive(Debug, Clone)]
pub struct FileStoreFactory {
    pub dir: PathBuf,
    pub policy: FsyncPolicy,
}

impl FileStoreFactory {
    pub fn new(dir: impl Into<PathBuf>, policy: FsyncPolicy) -> Self {
        Self {
            dir: dir.into(),
            policy,
        }
    }
}

#[async_trait]
impl StoreFactory for FileStoreFactory {
    async fn open(&self, key: &SessionKey) -> Result<Box<dyn MessageStore>, StoreError> {
        let dir = self.dir.join(session_dir_name(key));
        Ok(Box::new(FileStore::open(dir, key.clone(), self.policy)?))
    }
}

/// The directory name of a session: BeginString, SenderCompID, TargetCompID
/// and the qualifier if any, joined by `-`, with every byte other than ASCII
/// letters, digits, `.` and `_` written as `%XX`. Distinct keys get distinct
/// names, and a name is never `.`, `..` or a path.
pub fn session_dir_name(key: &SessionKey) -> String {
    let mut name = String::new();
    push_escaped(&mut name, &key.begin_string);
    name.push('-');
    push_escaped(&mut name, &key.sender_comp_id);
    name.push('-');
    push_escaped(&mut name, &key.target_comp_id);
    if let Some(q) = &key.qualifier {
        name.push('-');
        push_escaped(&mut name, q);
    }
    name
}

fn push_escaped(out: &mut String, s: &str) {
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b == b'.' || b == b'_' {
            out.push(char::from(b));
        } else {
            // Writing to a String cannot fail.
            let _ = write!(out, "%{b:02X}");
        }
    }
}

/// The file-backed store of one session. See the module documentation.
#[derive(Debug)]
pub struct FileStore {
    key: SessionKey,
    dir: PathBuf,
    log_path: PathBuf,
    policy: FsyncPolicy,
    /// `None` before the log exists, and after a failed write (the next call
    /// recovers from the file).
    log: Option<Log>,
    /// Holds an exclusive lock on the directory's `lock` file for as long as
    /// the store is open; the kernel drops it when the process dies.
    _lock: File,
}

impl FileStore {
    /// Opens the store in `dir` (created if missing), recovering an existing
    /// log. A new log is created by the first `load` or mutation.
    pub fn open(
        dir: impl Into<PathBuf>,
        key: SessionKey,
        policy: FsyncPolicy,
    ) -> Result<Self, StoreError> {
        let dir = dir.into();
        fs::create_dir_all(&dir).map_err(|e| io_err(&dir, e))?;
        let lock = lock_session_dir(&dir)?;
        let tmp = dir.join(TMP_FILE);
        match fs::remove_file(&tmp) {
            Ok(()) => {}
            Err(e) if e.kind() == io::ErrorKind::NotFound => {}
            Err(e) => return Err(io_err(&tmp, e)),
        }
        let mut store = Self {
            key,
            log_path: dir.join(LOG_FILE),
            dir,
            policy,
            log: None,
            _lock: lock,
        };
        store.recover_if_present()?;
        Ok(store)
    }

    /// The directory holding this session's log.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Replays the log into `self.log` if the file exists.
    fn recover_if_present(&mut self) -> Result<(), StoreError> {
        if self.log.is_none() {
            let path = &self.log_path;
            match OpenOptions::new().read(true).append(true).open(path) {
                Ok(file) => self.log = Some(Log::recover(file, path, &self.key)?),
                Err(e) if e.kind() == io::ErrorKind::NotFound => {}
                Err(e) => return Err(io_err(path, e)),
            }
        }
        Ok(())
    }

    /// The open log, recovered from disk or created with `creation_time`.
    fn log(&mut self, creation_time: DateTime<Utc>) -> Result<&mut Log, StoreError> {
        self.recover_if_present()?;
        let log = match self.log.take() {
            Some(log) => log,
            None => Log::create(&self.dir, &self.key, creation_time, None)?,
        };
        Ok(self.log.insert(log))
    }

    /// Appends one record; on failure forgets the in-memory log so that the
    /// next call recovers from what is on disk.
    fn append(&mut self, kind: Kind, seq: u64, payload: &[u8]) -> Result<(), StoreError> {
        self.append_many(&[(kind, seq, payload)])
    }

    /// Appends several records with one write (the same on failure).
    fn append_many(&mut self, records: &[(Kind, u64, &[u8])]) -> Result<(), StoreError> {
        if let Some((_, _, p)) = records.iter().find(|(_, _, p)| p.len() > MAX_MESSAGE_LEN) {
            return Err(io_err(
                &self.log_path,
                io::Error::new(
                    io::ErrorKind::InvalidInput,
                    format!(
                        "message of {} bytes exceeds the store's limit of {MAX_MESSAGE_LEN} bytes",
                        p.len()
                    ),
                ),
            ));
        }
        let policy = self.policy;
        let result = self
            .log(DateTime::<Utc>::UNIX_EPOCH)?
            .append_many(records, policy);
        result.map_err(|e| {
            self.log = None;
            io_err(&self.log_path, e)
        })
    }
}

#[async_trait]
impl MessageStore for FileStore {
    async fn load(&mut self, now: DateTime<Utc>) -> Result<SeqState, StoreError> {
        Ok(self.log(now)?.state)
    }

    async fn save_sent(&mut self, seq: u64, msg: &[u8]) -> Result<(), StoreError> {
        self.append(Kind::Sent, seq, msg)
    }

    async fn save_batch(
        &mut self,
        sent: &[Outgoing<'_>],
        next_target: Option<u64>,
        delivered: Option<u64>,
    ) -> Result<(), StoreError> {
        let mut records: Vec<(Kind, u64, &[u8])> = Vec::with_capacity(sent.len() + 2);
        records.extend(sent.iter().map(|m| (Kind::Sent, m.seq, m.raw)));
        if let Some(n) = next_target {
            records.push((Kind::NextTarget, n, &[]));
        }
        if let Some(n) = delivered {
            records.push((Kind::Delivered, n, &[]));
        }
        if records.is_empty() {
            return Ok(());
        }
        self.append_many(&records)
    }

    async fn set_next_sender_seq(&mut self, next: u64) -> Result<(), StoreError> {
        self.append(Kind::NextSender, next, &[])
    }

    async fn set_next_target_seq(&mut self, next: u64) -> Result<(), StoreError> {
        self.append(Kind::NextTarget, next, &[])
    }

    async fn get_sent(&mut self, begin: u64, end: u64) -> Result<Vec<StoredMessage>, StoreError> {
        if begin > end {
            return Ok(Vec::new());
        }
        self.recover_if_present()?;
        match &self.log {
            Some(log) => log.read_range(begin, end, &self.log_path),
            None => Ok(Vec::new()),
        }
    }

    async fn delivered(&mut self) -> Result<Option<u64>, StoreError> {
        self.recover_if_present()?;
        Ok(self.log.as_ref().and_then(|l| l.delivered))
    }

    async fn reset(&mut self, now: DateTime<Utc>) -> Result<(), StoreError> {
        self.recover_if_present()?;
        let delivered = self.log.take().and_then(|l| l.delivered);
        self.log = Some(Log::create(&self.dir, &self.key, now, delivered)?);
        Ok(())
    }

    async fn flush(&mut self) -> Result<(), StoreError> {
        if let Some(log) = self.log.as_mut() {
            if let Err(e) = log.sync() {
                self.log = None;
                return Err(io_err(&self.log_path, e));
            }
        }
        Ok(())
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Header = 0,
    Sent = 1,
    NextSender = 2,
    NextTarget = 3,
    Delivered = 4,
}

impl Kind {
    fn from_byte(b: u8) -> Option<Self> {
        match b {
            0 => Some(Self::Header),
            1 => Some(Self::Sent),
            2 => Some(Self::NextSender),
            3 => Some(Self::NextTarget),
            4 => Some(Self::Delivered),
            _ => None,
        }
    }
}

/// An open, recovered log and what replaying it gave.
#[derive(Debug)]
struct Log {
    file: File,
    /// End of the last valid record, which is the file's length.
    len: u64,
    state: SeqState,
    /// The last delivery number stored (see the module documentation).
    delivered: Option<u64>,
    /// MsgSeqNum -> (record offset, payload length) of the latest copy.
    index: BTreeMap<u64, (u64, u32)>,
    unsynced: u32,
    last_sync: Instant,
    buf: Vec<u8>,
}

impl Log {
    /// Writes a log holding only a header (and the delivery number carried
    /// over a reset, if any), atomically replacing any old one.
    fn create(
        dir: &Path,
        key: &SessionKey,
        creation_time: DateTime<Utc>,
        delivered: Option<u64>,
    ) -> Result<Self, StoreError> {
        let tmp = dir.join(TMP_FILE);
        let path = dir.join(LOG_FILE);
        let mut payload = Vec::with_capacity(64);
        payload.extend_from_slice(MAGIC);
        payload.extend_from_slice(&creation_nanos(creation_time).to_le_bytes());
        payload.extend_from_slice(key.to_string().as_bytes());
        let mut record = Vec::with_capacity(RECORD_HEADER_LEN + payload.len());
        encode_record(&mut record, Kind::Header, FORMAT_VERSION, &payload);
        if let Some(n) = delivered {
            encode_record(&mut record, Kind::Delivered, n, &[]);
        }

        let write_tmp = || -> io::Result<()> {
            let mut f = File::create(&tmp)?;
            f.write_all(&record)?;
            f.sync_all()
        };
        write_tmp().map_err(|e| io_err(&tmp, e))?;
        fs::rename(&tmp, &path).map_err(|e| io_err(&path, e))?;
        File::open(dir)
            .and_then(|d| d.sync_all())
            .map_err(|e| io_err(dir, e))?;

        let file = OpenOptions::new()
            .read(true)
            .append(true)
            .open(&path)
            .map_err(|e| io_err(&path, e))?;
        Ok(Self {
            file,
            len: record.len() as u64,
            state: SeqState {
                next_sender_seq: 1,
                next_target_seq: 1,
                creation_time,
            },
            delivered,
            index: BTreeMap::new(),
            unsynced: 0,
            last_sync: Instant::now(),
            buf: Vec::new(),
        })
    }

    /// Replays `file`, truncating a torn tail. See the module documentation.
    fn recover(file: File, path: &Path, key: &SessionKey) -> Result<Self, StoreError> {
        let corrupt = |offset: u64, reason: String| StoreError::Corrupt {
            path: path.display().to_string(),
            offset,
            reason,
        };
        let file_len = file.metadata().map_err(|e| io_err(path, e))?.len();
        let mut reader = BufReader::with_capacity(1 << 16, &file);
        let mut payload = Vec::new();

        let creation_time = match read_record(&mut reader, 0, file_len, &mut payload)
            .map_err(|e| io_err(path, e))?
        {
            Scan::Record {
                kind: Kind::Header,
                seq: FORMAT_VERSION,
                ..
            } => parse_header(&payload, key).map_err(|reason| corrupt(0, reason))?,
            Scan::Record {
                kind: Kind::Header,
                seq,
                ..
            } => {
                return Err(corrupt(0, format!("unknown format version {seq}")));
            }
            Scan::Record { .. } => return Err(corrupt(0, "no header record".into())),
            Scan::End => return Err(corrupt(0, "empty log".into())),
            Scan::Bad(reason) => return Err(corrupt(0, format!("bad header record: {reason}"))),
        };

        let mut state = SeqState {
            next_sender_seq: 1,
            next_target_seq: 1,
            creation_time,
        };
        let mut index = BTreeMap::new();
        let mut delivered = None;
        let mut pos = (RECORD_HEADER_LEN + payload.len()) as u64;
        loop {
            match read_record(&mut reader, pos, file_len, &mut payload)
                .map_err(|e| io_err(path, e))?
            {
                Scan::End => break,
                Scan::Record { kind, seq, len } => {
                    match kind {
                        Kind::Sent => {
                            index.insert(seq, (pos, len));
                            state.next_sender_seq = seq.saturating_add(1);
                        }
                        Kind::NextSender => state.next_sender_seq = seq,
                        Kind::NextTarget => state.next_target_seq = seq,
                        Kind::Delivered => delivered = Some(seq),
                        Kind::Header => unreachable!("read_record refuses a header after offset 0"),
                    }
                    pos += (RECORD_HEADER_LEN as u64) + u64::from(len);
                }
                Scan::Bad(reason) => {
                    drop(reader);
                    truncate_torn_tail(&file, pos, file_len, &reason).map_err(|e| match e {
                        TailError::Io(e) => io_err(path, e),
                        TailError::Corrupt(reason) => corrupt(pos, reason),
                    })?;
                    return Ok(Self::recovered(file, pos, state, delivered, index));
                }
            }
        }
        drop(reader);
        Ok(Self::recovered(file, pos, state, delivered, index))
    }

    fn recovered(
        file: File,
        len: u64,
        state: SeqState,
        delivered: Option<u64>,
        index: BTreeMap<u64, (u64, u32)>,
    ) -> Self {
        Self {
            file,
            len,
            state,
            delivered,
            index,
            unsynced: 0,
            last_sync: Instant::now(),
            buf: Vec::new(),
        }
    }

    /// Appends records with one write, then applies them in order.
    fn append_many(
        &mut self,
        records: &[(Kind, u64, &[u8])],
        policy: FsyncPolicy,
    ) -> io::Result<()> {
        self.buf.clear();
        for (kind, seq, payload) in records {
            encode_record(&mut self.buf, *kind, *seq, payload);
        }
        if let Err(e) = self.file.write_all(&self.buf) {
            // Roll a partial write back so that later appends do not land
            // behind garbage; if even that fails, recovery truncates it.
            let _ = self.file.set_len(self.len);
            return Err(e);
        }
        for (kind, seq, payload) in records {
            let offset = self.len;
            self.len += (RECORD_HEADER_LEN + payload.len()) as u64;
            self.unsynced += 1;
            match kind {
                Kind::Sent => {
                    self.index.insert(*seq, (offset, payload.len() as u32));
                    self.state.next_sender_seq = seq.saturating_add(1);
                }
                Kind::NextSender => self.state.next_sender_seq = *seq,
                Kind::NextTarget => self.state.next_target_seq = *seq,
                Kind::Delivered => self.delivered = Some(*seq),
                Kind::Header => {}
            }
        }
        if self.buf.capacity() > (1 << 20) {
            self.buf = Vec::new();
        }
        let due = match policy {
            FsyncPolicy::EveryWrite => true,
            FsyncPolicy::EveryN(n) => self.unsynced >= n.max(1),
            FsyncPolicy::Interval(d) => self.last_sync.elapsed() >= d,
            FsyncPolicy::Never => false,
        };
        if due {
            self.sync()?;
        }
        Ok(())
    }

    fn sync(&mut self) -> io::Result<()> {
        if self.unsynced > 0 {
            self.file.sync_data()?;
            self.unsynced = 0;
            self.last_sync = Instant::now();
        }
        Ok(())
    }

    fn read_range(
        &self,
        begin: u64,
        end: u64,
        path: &Path,
    ) -> Result<Vec<StoredMessage>, StoreError> {
        let mut out = Vec::new();
        let mut record = Vec::new();
        for (&seq, &(offset, len)) in self.index.range(begin..=end) {
            record.resize(RECORD_HEADER_LEN + len as usize, 0);
            self.file
                .read_exact_at(&mut record, offset)
                .map_err(|e| io_err(path, e))?;
            match parse_record(&record) {
                Some((Kind::Sent, s, l)) if s == seq && l == len => {
                    out.push(StoredMessage {
                        seq,
                        raw: record[RECORD_HEADER_LEN..].to_vec(),
                    });
                }
                _ => {
                    return Err(StoreError::Corrupt {
                        path: path.display().to_string(),
                        offset,
                        reason: format!("stored message {seq} no longer matches its checksum"),
                    });
                }
            }
        }
        Ok(out)
    }
}

fn creation_nanos(t: DateTime<Utc>) -> i64 {
    // Outside 1677..2262 nanoseconds do not fit an i64; clamp to the epoch.
    t.timestamp_nanos_opt().unwrap_or(0)
}

fn parse_header(payload: &[u8], key: &SessionKey) -> Result<DateTime<Utc>, String> {
    if payload.len() < 16 || &payload[..8] != MAGIC {
        return Err("not a FIX message store log".into());
    }
    let mut nanos = [0u8; 8];
    nanos.copy_from_slice(&payload[8..16]);
    let creation_time = DateTime::<Utc>::from_timestamp_nanos(i64::from_le_bytes(nanos));
    let stored_key = String::from_utf8_lossy(&payload[16..]);
    let expected = key.to_string();
    if stored_key != expected {
        return Err(format!(
            "log belongs to session {stored_key}, not {expected}"
        ));
    }
    Ok(creation_time)
}

/// Appends one record to `buf`.
fn encode_record(buf: &mut Vec<u8>, kind: Kind, seq: u64, payload: &[u8]) {
    let len = payload.len() as u32;
    buf.reserve(RECORD_HEADER_LEN + payload.len());
    buf.push(kind as u8);
    buf.extend_from_slice(&seq.to_le_bytes());
    buf.extend_from_slice(&len.to_le_bytes());
    buf.extend_from_slice(&record_crc(kind as u8, seq, len, payload).to_le_bytes());
    buf.extend_from_slice(payload);
}

fn record_crc(kind: u8, seq: u64, len: u32, payload: &[u8]) -> u32 {
    let mut h = crc32fast::Hasher::new();
    h.update(&[kind]);
    h.update(&seq.to_le_bytes());
    h.update(&len.to_le_bytes());
    h.update(payload);
    h.finalize()
}

/// The fixed part of a record: kind byte, seq, len and crc.
fn split_header(h: &[u8]) -> (u8, u64, u32, u32) {
    let mut seq = [0u8; 8];
    seq.copy_from_slice(&h[1..9]);
    let mut len = [0u8; 4];
    len.copy_from_slice(&h[9..13]);
    let mut crc = [0u8; 4];
    crc.copy_from_slice(&h[13..17]);
    (
        h[0],
        u64::from_le_bytes(seq),
        u32::from_le_bytes(len),
        u32::from_le_bytes(crc),
    )
}

/// Parses a whole non-header record that starts at `bytes[0]` (more bytes
/// may follow): its kind, seq and payload length, if it is valid.
fn parse_record(bytes: &[u8]) -> Option<(Kind, u64, u32)> {
    if bytes.len() < RECORD_HEADER_LEN {
        return None;
    }
    let (kind_byte, seq, len, crc) = split_header(&bytes[..RECORD_HEADER_LEN]);
    let kind = Kind::from_byte(kind_byte)?;
    let end = RECORD_HEADER_LEN.checked_add(len as usize)?;
    let shape_ok = match kind {
        Kind::Header => false,
        Kind::Sent => len as usize <= MAX_MESSAGE_LEN,
        Kind::NextSender | Kind::NextTarget | Kind::Delivered => len == 0,
    };
    if !shape_ok || bytes.len() < end {
        return None;
    }
    let payload = &bytes[RECORD_HEADER_LEN..end];
    (record_crc(kind_byte, seq, len, payload) == crc).then_some((kind, seq, len))
}

enum Scan {
    Record { kind: Kind, seq: u64, len: u32 },
    End,
    Bad(String),
}

/// Reads the record at `pos` (the reader is positioned there), its payload
/// into `payload`.
fn read_record(
    reader: &mut impl Read,
    pos: u64,
    file_len: u64,
    payload: &mut Vec<u8>,
) -> io::Result<Scan> {
    let left = file_len - pos;
    if left == 0 {
        return Ok(Scan::End);
    }
    if left < RECORD_HEADER_LEN as u64 {
        return Ok(Scan::Bad(format!(
            "incomplete record header ({left} bytes)"
        )));
    }
    let mut h = [0u8; RECORD_HEADER_LEN];
    reader.read_exact(&mut h)?;
    let (kind_byte, seq, len, crc) = split_header(&h);
    let Some(kind) = Kind::from_byte(kind_byte) else {
        return Ok(Scan::Bad(format!("unknown record kind {kind_byte}")));
    };
    if (kind == Kind::Header) != (pos == 0) {
        return Ok(Scan::Bad("header record out of place".into()));
    }
    let shape_ok = match kind {
        Kind::Header | Kind::Sent => len as usize <= MAX_MESSAGE_LEN,
        Kind::NextSender | Kind::NextTarget | Kind::Delivered => len == 0,
    };
    if !shape_ok {
        return Ok(Scan::Bad(format!(
            "implausible length {len} for a record of kind {kind_byte}"
        )));
    }
    if u64::from(len) > left - RECORD_HEADER_LEN as u64 {
        return Ok(Scan::Bad(format!(
            "incomplete record: {len} payload bytes announced, {} present",
            left - RECORD_HEADER_LEN as u64
        )));
    }
    payload.resize(len as usize, 0);
    reader.read_exact(payload)?;
    if record_crc(kind_byte, seq, len, payload) != crc {
        return Ok(Scan::Bad("checksum mismatch".into()));
    }
    Ok(Scan::Record { kind, seq, len })
}

enum TailError {
    Io(io::Error),
    Corrupt(String),
}

/// Truncates the log at `pos` if nothing valid follows the bad record there.
fn truncate_torn_tail(file: &File, pos: u64, file_len: u64, reason: &str) -> Result<(), TailError> {
    let tail_len = file_len - pos;
    if tail_len > MAX_TAIL_SCAN {
        return Err(TailError::Corrupt(format!(
            "{reason}, with {tail_len} bytes after it: too much to be a torn write"
        )));
    }
    let mut tail = vec![0u8; tail_len as usize];
    file.read_exact_at(&mut tail, pos).map_err(TailError::Io)?;
    if let Some(at) = (1..tail.len()).find(|&i| parse_record(&tail[i..]).is_some()) {
        return Err(TailError::Corrupt(format!(
            "{reason}, and a valid record follows at byte {}",
            pos + at as u64
        )));
    }
    tracing::warn!(
        offset = pos,
        dropped_bytes = tail_len,
        reason,
        "truncating torn tail of FIX message store log"
    );
    file.set_len(pos)
        .and_then(|()| file.sync_data())
        .map_err(TailError::Io)
}

/// Takes the session directory's lock (`flock`), so that one session's
/// store is open once, in one process: a second writer would append behind
/// the first one's back and make its index wrong.
fn lock_session_dir(dir: &Path) -> Result<File, StoreError> {
    let path = dir.join(LOCK_FILE);
    let file = OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&path)
        .map_err(|e| io_err(&path, e))?;
    match file.try_lock() {
        Ok(()) => Ok(file),
        Err(fs::TryLockError::WouldBlock) => Err(io_err(
            &path,
            io::Error::new(
                io::ErrorKind::WouldBlock,
                "the session's store is already open (in this or another process)",
            ),
        )),
        Err(fs::TryLockError::Error(e)) => Err(io_err(&path, e)),
    }
}

fn io_err(path: &Path, source: io::Error) -> StoreError {
    StoreError::Io {
        path: path.display().to_string(),
        source,
    }
}
