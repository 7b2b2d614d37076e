//! The in-memory store: the reference implementation the others are tested
//! against. Nothing survives the process.

use super::{
    MessageStore, Outgoing, SeqState, SessionKey, StoreError, StoreFactory, StoredMessage,
};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use std::collections::BTreeMap;

#[derive(Debug, Default)]
pub struct MemoryStore {
    state: Option<SeqState>,
    sent: BTreeMap<u64, Vec<u8>>,
    delivered: Option<u64>,
}

impl MemoryStore {
    pub fn new() -> Self {
        Self::default()
    }

    fn state(&mut self) -> &mut SeqState {
        self.state.get_or_insert(SeqState {
            next_sender_seq: 1,
            next_target_seq: 1,
            creation_time: DateTime::<Utc>::UNIX_EPOCH,
        })
    }
}

#[async_trait]
impl MessageStore for MemoryStore {
    async fn load(&mut self, now: DateTime<Utc>) -> Result<SeqState, StoreError> {
        if self.state.is_none() {
            self.state = Some(SeqState {
                next_sender_seq: 1,
                next_target_seq: 1,
                creation_time: now,
            });
        }
        Ok(*self.state())
    }

    async fn save_sent(&mut self, seq: u64, msg: &[u8]) -> Result<(), StoreError> {
        self.sent.insert(seq, msg.to_vec());
        self.state().next_sender_seq = seq + 1;
        Ok(())
    }

    async fn set_next_sender_seq(&mut self, next: u64) -> Result<(), StoreError> {
        self.state().next_sender_seq = next;
        Ok(())
    }

    async fn set_next_target_seq(&mut self, next: u64) -> Result<(), StoreError> {
        self.state().next_target_seq = next;
        Ok(())
    }

    async fn get_sent(&mut self, begin: u64, end: u64) -> Result<Vec<StoredMessage>, StoreError> {
        if begin > end {
            return Ok(Vec::new());
        }
        Ok(self
            .sent
            .range(begin..=end)
            .map(|(&seq, raw)| StoredMessage {
                seq,
                raw: raw.clone(),
            })
            .collect())
    }

    async fn reset(&mut self, now: DateTime<Utc>) -> Result<(), StoreError> {
        self.sent.clear();
        self.state = Some(SeqState {
            next_sender_seq: 1,
            next_target_seq: 1,
            creation_time: now,
        });
        Ok(())
    }

    async fn flush(&mut self) -> Result<(), StoreError> {
        Ok(())
    }

    async fn save_batch(
        &mut self,
        sent: &[Outgoing<'_>],
        next_target: Option<u64>,
        delivered: Option<u64>,
    ) -> Result<(), StoreError> {
        for m in sent {
            self.save_sent(m.seq, m.raw).await?;
        }
        if let Some(n) = next_target {
            self.set_next_target_seq(n).await?;
        }
        if delivered.is_some() {
            self.delivered = delivered;
        }
        Ok(())
    }

    async fn delivered(&mut self) -> Result<Option<u64>, StoreError> {
        Ok(self.delivered)
    }
}

/// Hands out a fresh in-memory store per session.
#[derive(Debug, Default, Clone)]
pub struct MemoryStoreFactory;

#[async_trait]
impl StoreFactory for MemoryStoreFactory {
    async fn open(&self, _key: &SessionKey) -> Result<Box<dyn MessageStore>, StoreError> {
        Ok(Box::new(MemoryStore::new()))
    }
}
