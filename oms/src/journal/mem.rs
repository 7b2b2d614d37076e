//! The in-memory journal: the reference implementation the file and
//! PostgreSQL backends are tested against, and a journal for tests.

use async_trait::async_trait;

use super::{verify_chain, Journal, JournalError, NewRecord, Query, Record, Visitor, GENESIS};

/// Records in a `Vec`.
#[derive(Clone, Debug)]
pub struct MemJournal {
    records: Vec<Record>,
    head: [u8; 32],
}

impl Default for MemJournal {
    fn default() -> Self {
        MemJournal {
            records: Vec::new(),
            head: GENESIS,
        }
    }
}

impl MemJournal {
    /// An empty journal.
    pub fn new() -> MemJournal {
        MemJournal::default()
    }

    /// Mutable access to the stored records, for tamper tests.
    pub fn records_mut(&mut self) -> &mut Vec<Record> {
        &mut self.records
    }
}

#[async_trait]
impl Journal for MemJournal {
    async fn append(&mut self, batch: Vec<NewRecord>) -> Result<u64, JournalError> {
        for r in batch {
            let seq = self.records.len() as u64 + 1;
            let (rec, h) = Record::seal(seq, &self.head, r);
            self.records.push(rec);
            self.head = h;
        }
        Ok(self.records.len() as u64)
    }

    async fn read_from(&self, from: u64) -> Result<Vec<Record>, JournalError> {
        Ok(self
            .records
            .iter()
            .filter(|r| r.seq >= from)
            .cloned()
            .collect())
    }

    async fn scan_from(&self, from: u64, f: &mut Visitor<'_>) -> Result<(), JournalError> {
        for r in self.records.iter().filter(|r| r.seq >= from) {
            f(r.clone())?;
        }
        Ok(())
    }

    async fn query(&self, q: &Query) -> Result<Vec<Record>, JournalError> {
        Ok(self
            .records
            .iter()
            .filter(|r| q.matches(r))
            .cloned()
            .collect())
    }

    async fn verify(&self) -> Result<u64, JournalError> {
        verify_chain(&self.records).map(|(seq, _)| seq)
    }

    fn last_seq(&self) -> u64 {
        self.records.len() as u64
    }
}
