//! The journal in front of the core: nothing is acknowledged before it is
//! durable, and a restart is a replay.
//!
//! Owns the ordering rule of the event-sourced OMS. [`JournaledOms::handle`]
//! takes a batch of events, applies them to the core (collecting each
//! one's journal keys against the state just before it), appends the
//! whole batch to the journal (one group commit), and only then returns
//! the outputs to send. If the append fails, nothing is sent and the
//! instance refuses further work until it is reopened from the journal.
//! [`OmsCore::recover`] rebuilds a core from a journal by applying every
//! record in sequence; venue fills are deduplicated by ExecID in the
//! state, so nothing is applied twice. Outputs, alerts included, are not
//! journaled themselves: they are a pure function of the journaled
//! events, so the journal determines them, delivery numbers included (a
//! replay with outputs kept reproduces every one, which is how
//! [`crate::Redelivery`] finds what a receiving session never stored).

use crate::core::recovery::Addressed;
use crate::core::{OmsConfig, OmsCore};
use crate::events::Event;
use crate::journal::{ChainCheck, Journal, JournalError, NewRecord};
use crate::outputs::Output;
use crate::pretrade::PreTradeCheck;
use crate::router::Router;

impl OmsCore {
    /// Rebuild a core by replaying `journal` from its first record,
    /// verifying the chain as it goes (a broken record stops the recovery
    /// with an error naming it). `config`, `checker` and `router` must be the
    /// ones the journal was written with for the state to be the same.
    pub async fn recover<J: Journal + ?Sized>(
        config: OmsConfig,
        checker: Box<dyn PreTradeCheck + Send>,
        router: Box<dyn Router + Send>,
        journal: &J,
    ) -> Result<OmsCore, JournalError> {
        Self::recover_replaying(config, checker, router, journal, &mut |_, _| {}).await
    }

    /// [`OmsCore::recover`], giving every output the replay reproduces,
    /// with its delivery number, to `on_output` with the event that
    /// produced it, in order: what a crash kept from reaching a receiving
    /// session is found among them (see [`crate::Redelivery`]).
    pub async fn recover_replaying<J: Journal + ?Sized>(
        config: OmsConfig,
        checker: Box<dyn PreTradeCheck + Send>,
        router: Box<dyn Router + Send>,
        journal: &J,
        on_output: &mut (dyn FnMut(&Event, &Addressed) + Send),
    ) -> Result<OmsCore, JournalError> {
        // One pass: check each record's link and hash, then apply it.
        let mut core = OmsCore::new(config, checker, router);
        let mut chk = ChainCheck::default();
        let mut out = Vec::new();
        journal
            .scan_from(1, &mut |rec| {
                chk.check(&rec)?;
                let ev = rec.event()?;
                out.clear();
                core.apply_addressed(&ev, &mut out);
                for o in &out {
                    on_output(&ev, o);
                }
                Ok(())
            })
            .await?;
        if chk.last_seq != journal.last_seq() {
            return Err(JournalError::ChainBroken {
                seq: chk.last_seq + 1,
                reason: format!(
                    "replay ended at record {}, journal says {}",
                    chk.last_seq,
                    journal.last_seq()
                ),
            });
        }
        Ok(core)
    }
}

/// A core with its journal.
#[derive(Debug)]
pub struct JournaledOms<J: Journal> {
    core: OmsCore,
    journal: J,
    poisoned: bool,
}

impl<J: Journal> JournaledOms<J> {
    /// Recover the core from `journal` and keep both.
    pub async fn open(
        config: OmsConfig,
        checker: Box<dyn PreTradeCheck + Send>,
        router: Box<dyn Router + Send>,
        journal: J,
    ) -> Result<JournaledOms<J>, JournalError> {
        Self::open_replaying(config, checker, router, journal, &mut |_, _| {}).await
    }

    /// [`JournaledOms::open`], giving every replayed output to
    /// `on_output` (see [`OmsCore::recover_replaying`]).
    pub async fn open_replaying(
        config: OmsConfig,
        checker: Box<dyn PreTradeCheck + Send>,
        router: Box<dyn Router + Send>,
        journal: J,
        on_output: &mut (dyn FnMut(&Event, &Addressed) + Send),
    ) -> Result<JournaledOms<J>, JournalError> {
        let core = OmsCore::recover_replaying(config, checker, router, &journal, on_output).await?;
        Ok(JournaledOms {
            core,
            journal,
            poisoned: false,
        })
    }

    /// Apply a batch of events to the core, journal them (one group
    /// commit), and only then return everything to send, in order.
    ///
    /// Each event's journal keys are taken against the state just before
    /// it is applied, so they are exact even when the batch both creates
    /// an order and refers to it. If the append fails, the outputs are
    /// dropped (nothing of the batch was acknowledged), the in-memory
    /// state is ahead of the journal, and this value refuses further work
    /// ([`JournalError::Poisoned`]): the owner restarts it from the
    /// journal with [`JournaledOms::open`].
    pub async fn handle(&mut self, events: Vec<Event>) -> Result<Vec<Output>, JournalError> {
        let out = self.handle_addressed(events).await?;
        Ok(out.into_iter().map(|a| a.output).collect())
    }

    /// [`JournaledOms::handle`], each output with its delivery number (to
    /// be stored with it by the receiving session, see [`crate::Redelivery`]).
    pub async fn handle_addressed(
        &mut self,
        events: Vec<Event>,
    ) -> Result<Vec<Addressed>, JournalError> {
        if self.poisoned {
            return Err(JournalError::Poisoned);
        }
        let mut batch = Vec::with_capacity(events.len());
        let mut out = Vec::new();
        for ev in &events {
            let keys = self.core.journal_keys(ev);
            batch.push(NewRecord::from_event(ev, keys)?);
            self.core.apply_addressed(ev, &mut out);
        }
        if let Err(e) = self.journal.append(batch).await {
            self.poisoned = true;
            return Err(e);
        }
        Ok(out)
    }

    /// The core (read-only).
    pub fn core(&self) -> &OmsCore {
        &self.core
    }

    /// The journal (queries, verification).
    pub fn journal(&self) -> &J {
        &self.journal
    }

    /// Split into the core and the journal.
    pub fn into_parts(self) -> (OmsCore, J) {
        (self.core, self.journal)
    }
}
