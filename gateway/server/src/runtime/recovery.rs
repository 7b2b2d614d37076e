//! Crash recovery at start, the gateway's side: read each FIX session
//! store's delivery cursor and inbound sequence, recover the OMS core from
//! its journal, and work out what each session is owed. The OMS decides
//! what is owed ([`oms::Redelivery`], [`oms::OmsCore::venue_requests_after`],
//! see `oms::core::recovery` for the reasoning about where a crash can
//! fall); this module only moves numbers between the stores and the core.
//! Nothing here parses a stored FIX message.
//!
//! At start, before any session runs:
//! 1. every client, drop-copy and venue session's store is opened and its
//!    delivery cursor read (the highest delivery number the session stored
//!    with a batch: what it holds of its stream);
//! 2. the journal is replayed, keeping the outputs numbered above the
//!    lowest cursor of each stream;
//! 3. a store with no cursor yet is given the core's current number (it is
//!    owed what comes from now on); every session's cursor is journaled as
//!    a `Delivered` event (one group commit: what was delivered to whom,
//!    and a store ahead of a journal that lost its tail raises the core's
//!    counter, so no number is issued twice);
//! 4. each session is owed, in order: for a client or drop-copy session,
//!    the replayed outputs above its cursor; for a venue, the requests
//!    above its cursor that the order state still waits on;
//! 5. each session's expected inbound sequence is rewound to just after the
//!    last message the journal holds an event of, so the counterparty
//!    resends the rest (PossDupFlag=Y).
//!
//! Owed outputs keep their numbers and ExecIDs and go out as first sends
//! (no PossResend): the store writes before the socket, so a message its
//! store does not hold never reached the counterparty.

use std::collections::BTreeMap;

use fix_engine::store::{MessageStore, SeqState, SessionKey, StoreFactory};
use oms::{
    Addressed, DeliveryCursor, Event, EventKind, Journal, JournaledOms, OmsConfig, PreTradeCheck,
    Recipient, Redelivery, Router,
};

use super::now_ts;

/// One FIX session's store, opened before its session runs.
pub(crate) struct OpenedStore {
    /// The session.
    pub(crate) key: SessionKey,
    /// Its store (handed to the session afterwards).
    pub(crate) store: Box<dyn MessageStore>,
    /// Its sequence numbers (the inbound one possibly rewound).
    pub(crate) seq: SeqState,
    /// The delivery stream it receives.
    pub(crate) to: Recipient,
    /// Its delivery cursor as read (`None`: none stored yet).
    delivered: Option<u64>,
}

impl OpenedStore {
    /// Opens `key`'s store and reads its sequence numbers and cursor.
    pub(crate) async fn open(
        stores: &dyn StoreFactory,
        key: SessionKey,
        to: Recipient,
    ) -> anyhow::Result<OpenedStore> {
        let mut store = stores.open(&key).await?;
        let seq = store.load(chrono::Utc::now()).await?;
        let delivered = store.delivered().await?;
        Ok(OpenedStore {
            key,
            store,
            seq,
            to,
            delivered,
        })
    }
}

/// The core recovered, and what each session is owed, in order (the
/// sessions in the order given).
pub(crate) struct Recovered<J: Journal> {
    /// The core with its journal.
    pub(crate) oms: JournaledOms<J>,
    /// Per session (same order as the stores given), its owed outputs.
    pub(crate) owed: Vec<Vec<Addressed>>,
}

/// Steps 1 to 5 of the module documentation.
pub(crate) async fn recover<J: Journal>(
    config: OmsConfig,
    checker: Box<dyn PreTradeCheck + Send>,
    router: Box<dyn Router + Send>,
    journal: J,
    sessions: &mut [OpenedStore],
) -> anyhow::Result<Recovered<J>> {
    let mut lowest: BTreeMap<Recipient, u64> = BTreeMap::new();
    for s in sessions.iter() {
        if let Some(d) = s.delivered {
            let e = lowest.entry(s.to.clone()).or_insert(d);
            *e = (*e).min(d);
        }
    }
    let mut redelivery = Redelivery::new(lowest);
    let mut oms = JournaledOms::open_replaying(config, checker, router, journal, &mut |_, a| {
        redelivery.see(a)
    })
    .await?;

    let mut cursors = Vec::with_capacity(sessions.len());
    for s in sessions.iter_mut() {
        let issued = oms.core().issued(&s.to);
        let through = match s.delivered {
            Some(d) => {
                if d > issued {
                    tracing::warn!(
                        session = %s.key,
                        stored = d,
                        journaled = issued,
                        "the session's store holds outputs the journal does not (journal tail lost?); numbering continues after the store's"
                    );
                }
                d
            }
            None => {
                // Owed what the core produces from now on.
                s.store.save_batch(&[], None, Some(issued)).await?;
                s.store.flush().await?;
                issued
            }
        };
        cursors.push(Event::new(
            now_ts(),
            EventKind::Delivered(DeliveryCursor {
                session: s.key.to_string().into(),
                to: s.to.clone(),
                through,
            }),
        ));
    }
    if !cursors.is_empty() {
        oms.handle(cursors).await?;
    }

    let mut owed = Vec::with_capacity(sessions.len());
    for s in sessions.iter_mut() {
        let o = match (&s.to, s.delivered) {
            (Recipient::Venue(v), _) => {
                let after = s.delivered.unwrap_or(oms.core().issued(&s.to));
                oms.core().venue_requests_after(v, after)
            }
            (_, Some(after)) => redelivery.owed(&s.to, after),
            (_, None) => Vec::new(),
        };
        if !o.is_empty() {
            tracing::warn!(
                session = %s.key,
                count = o.len(),
                "sending what the journal holds but the session's store never got before the last stop"
            );
        }
        owed.push(o);
        rewind_inbound(oms.core(), &s.key, s.store.as_mut(), &mut s.seq).await?;
    }
    Ok(Recovered { oms, owed })
}

/// Resume `key`'s inbound sequence after the last message whose event the
/// journal holds, if the store got further (see [`oms::OmsState::inbound`]).
pub(crate) async fn rewind_inbound(
    core: &oms::OmsCore,
    key: &SessionKey,
    store: &mut dyn MessageStore,
    seq: &mut SeqState,
) -> anyhow::Result<()> {
    let epoch = seq.creation_time.timestamp_micros();
    let last = match core.state().inbound.get(key.to_string().as_str()) {
        Some(j) if j.epoch == epoch => j.pos,
        Some(j) if j.epoch > epoch => {
            tracing::warn!(session = %key, "the journal knows a later sequence than the FIX store; inbound sequence left as stored");
            return Ok(());
        }
        // Nothing journaled from this sequence (a new session, or a reset
        // since): every message of it is in doubt.
        _ => 0,
    };
    if seq.next_target_seq > last + 1 {
        tracing::warn!(
            session = %key,
            stored = seq.next_target_seq,
            journaled = last + 1,
            "inbound messages were received but not journaled before the last stop; the counterparty will resend them"
        );
        store.set_next_target_seq(last + 1).await?;
        store.flush().await?;
        seq.next_target_seq = last + 1;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{DateTime, Utc};
    use fix_engine::store::{MemoryStore, Outgoing};
    use oms::events::NewOrder;
    use oms::types::{AccountId, ClOrdId, OrdType, Px, Side, TimeInForce};
    use oms::{
        DefaultRouter, LimitsChecker, MemJournal, Output, Qty, SourcePos, Symbol, Timestamp,
        VenueId,
    };

    const T0: i64 = 1_772_636_400_000_000_000;

    fn client_key() -> SessionKey {
        SessionKey::new("FIX.4.4", "GATEWAY", "CLIENT1")
    }

    fn venue_key() -> SessionKey {
        SessionKey::new("FIX.4.4", "GATEWAY", "SIMX")
    }

    fn config() -> OmsConfig {
        OmsConfig {
            venues: vec![VenueId::from("SIMX")],
            default_venues: [(Symbol::from("AAPL"), VenueId::from("SIMX"))].into(),
            drop_copy: false,
        }
    }

    fn checker() -> Box<LimitsChecker> {
        Box::new(LimitsChecker {
            max_qty: Qty(10_000),
            max_notional: rust_decimal::Decimal::from(10_000_000),
        })
    }

    fn epoch() -> DateTime<Utc> {
        DateTime::from_timestamp_nanos(T0 - 1_000)
    }

    fn order(cl: &str, seq: u64) -> Event {
        Event::new(
            Timestamp(T0 + seq as i64),
            EventKind::ClientNew(NewOrder {
                session: "CLIENT1".into(),
                cl_ord_id: ClOrdId::from(cl),
                account: AccountId::from("ACC1"),
                symbol: Symbol::from("AAPL"),
                side: Side::Buy,
                qty: Qty(100),
                ord_type: OrdType::Limit,
                price: Some(Px(rust_decimal::Decimal::from(190))),
                tif: TimeInForce::Day,
            }),
        )
        .from_source(SourcePos {
            stream: client_key().to_string().into(),
            epoch: epoch().timestamp_micros(),
            pos: seq,
        })
    }

    fn client() -> Recipient {
        Recipient::Client("CLIENT1".into())
    }

    fn venue() -> Recipient {
        Recipient::Venue(VenueId::from("SIMX"))
    }

    /// Two orders and a duplicate journaled: reports 1..=3 for CLIENT1
    /// (E1, E2, E3) and child orders 1..=2 for SIMX.
    async fn journal() -> MemJournal {
        let mut oms = JournaledOms::open(
            config(),
            checker(),
            Box::new(DefaultRouter),
            MemJournal::default(),
        )
        .await
        .unwrap();
        let out = oms
            .handle_addressed(vec![
                Event::new(
                    Timestamp(T0),
                    EventKind::VenueConnected {
                        venue: VenueId::from("SIMX"),
                    },
                ),
                order("A", 2),
                order("B", 3),
                order("B", 4),
            ])
            .await
            .unwrap();
        let numbered: Vec<(Recipient, u64)> = out
            .iter()
            .filter_map(|a| a.delivery.as_ref())
            .map(|d| (d.to.clone(), d.no))
            .collect();
        assert_eq!(
            numbered,
            [
                (client(), 1),
                (venue(), 1),
                (client(), 2),
                (venue(), 2),
                (client(), 3)
            ]
        );
        oms.into_parts().1
    }

    /// A session store that took the messages up to `delivered` (`None`:
    /// none with a delivery number) and counts `next_target` inbound.
    async fn store(
        key: SessionKey,
        to: Recipient,
        delivered: Option<u64>,
        next_target: u64,
    ) -> OpenedStore {
        let mut store = MemoryStore::new();
        store.load(epoch()).await.unwrap();
        store
            .save_batch(&[Outgoing::new(1, b"stored")], Some(next_target), delivered)
            .await
            .unwrap();
        let seq = store.load(epoch()).await.unwrap();
        let delivered = store.delivered().await.unwrap();
        OpenedStore {
            key,
            store: Box::new(store),
            seq,
            to,
            delivered,
        }
    }

    async fn recover_with(
        journal: MemJournal,
        sessions: &mut [OpenedStore],
    ) -> Recovered<MemJournal> {
        recover(
            config(),
            checker(),
            Box::new(DefaultRouter),
            journal,
            sessions,
        )
        .await
        .unwrap()
    }

    fn exec_ids(owed: &[Addressed]) -> Vec<(u64, String)> {
        owed.iter()
            .map(|a| match &a.output {
                Output::ExecReport(er) => (
                    a.delivery.as_ref().unwrap().no,
                    er.exec_id.as_str().to_owned(),
                ),
                o => panic!("only reports: {o:?}"),
            })
            .collect()
    }

    fn venue_ids(owed: &[Addressed]) -> Vec<(u64, String)> {
        owed.iter()
            .map(|a| match &a.output {
                Output::VenueNew(v) => (
                    a.delivery.as_ref().unwrap().no,
                    v.cl_ord_id.as_str().to_owned(),
                ),
                o => panic!("only new orders: {o:?}"),
            })
            .collect()
    }

    /// kill -9 after the journal's group commit, before the sessions'
    /// stores took the batch's last messages: they are owed, with their
    /// numbers and ExecIDs, and nothing the stores hold is sent again.
    #[tokio::test]
    async fn outputs_journaled_but_never_stored_are_owed() {
        let mut sessions = [
            store(client_key(), client(), Some(1), 2).await,
            store(venue_key(), venue(), Some(1), 1).await,
        ];
        let r = recover_with(journal().await, &mut sessions).await;
        assert_eq!(exec_ids(&r.owed[0]), [(2, "E2".into()), (3, "E3".into())]);
        assert_eq!(venue_ids(&r.owed[1]), [(2, "O2.1".into())]);
        // The cursors are journaled: what was delivered to whom.
        let cursors = &r.oms.core().state().deliveries.cursors;
        assert_eq!(cursors[client_key().to_string().as_str()].through, 1);
        assert_eq!(cursors[venue_key().to_string().as_str()].through, 1);

        // Once sent (stored with their numbers), a second restart owes
        // nothing, and the journal replays to the same numbering.
        let (_, journal) = r.oms.into_parts();
        let mut sessions = [
            store(client_key(), client(), Some(3), 5).await,
            store(venue_key(), venue(), Some(2), 1).await,
        ];
        let r = recover_with(journal, &mut sessions).await;
        assert!(r.owed.iter().all(Vec::is_empty), "{:?}", r.owed);
        assert_eq!(r.oms.core().issued(&client()), 3);
    }

    /// A venue request the order has outgrown is not sent again: the
    /// child was acknowledged (so the venue has it) although the store's
    /// cursor says otherwise.
    #[tokio::test]
    async fn venue_requests_owed_are_the_pending_ones() {
        let mut oms = JournaledOms::open(
            config(),
            checker(),
            Box::new(DefaultRouter),
            journal().await,
        )
        .await
        .unwrap();
        oms.handle(vec![Event::new(
            Timestamp(T0 + 10),
            EventKind::VenueAck(oms::events::VenueAck {
                venue: VenueId::from("SIMX"),
                cl_ord_id: ClOrdId::from("O2.1"),
                venue_order_id: oms::OrderId::from("X-2"),
            }),
        )])
        .await
        .unwrap();
        let (_, journal) = oms.into_parts();
        let mut sessions = [store(venue_key(), venue(), Some(0), 1).await];
        let r = recover_with(journal, &mut sessions).await;
        assert_eq!(venue_ids(&r.owed[0]), [(1, "O1.1".into())]);
    }

    /// The other direction: the session stores got further than the
    /// journal. Inbound messages received but not journaled are asked for
    /// again (the expected sequence goes back to just after the last
    /// journaled one); outputs a store holds beyond the journal raise the
    /// core's numbering, so no number is issued twice.
    #[tokio::test]
    async fn stores_ahead_of_the_journal() {
        let mut sessions = [
            store(client_key(), client(), Some(5), 7).await,
            store(venue_key(), venue(), Some(2), 1).await,
        ];
        let mut r = recover_with(journal().await, &mut sessions).await;
        assert!(r.owed.iter().all(Vec::is_empty), "{:?}", r.owed);
        assert_eq!(
            sessions[0].seq.next_target_seq, 5,
            "message 4 was journaled, 5 and 6 not"
        );
        assert_eq!(
            sessions[0]
                .store
                .load(epoch())
                .await
                .unwrap()
                .next_target_seq,
            5
        );
        assert_eq!(sessions[1].seq.next_target_seq, 1, "nothing to rewind");
        let out = r.oms.handle_addressed(vec![order("C", 5)]).await.unwrap();
        assert_eq!(
            out[0].delivery.as_ref().map(|d| (d.to.clone(), d.no)),
            Some((client(), 6))
        );
    }

    /// A store without a cursor (new, or from before cursors) is owed only
    /// what comes next, and is given the core's number at once.
    #[tokio::test]
    async fn a_store_without_a_cursor_gets_the_current_number() {
        let mut sessions = [store(client_key(), client(), None, 2).await];
        let r = recover_with(journal().await, &mut sessions).await;
        assert!(r.owed[0].is_empty());
        assert_eq!(sessions[0].store.delivered().await.unwrap(), Some(3));
    }

    /// A reset of the session keeps its cursor: reports of the earlier
    /// sequence are not sent again; its inbound messages are all in doubt
    /// when nothing of the new sequence was journaled.
    #[tokio::test]
    async fn a_reset_keeps_the_cursor() {
        let mut s = store(client_key(), client(), Some(1), 7).await;
        s.store
            .reset(DateTime::from_timestamp_nanos(T0 + 10_000))
            .await
            .unwrap();
        s.store.set_next_target_seq(3).await.unwrap();
        s.seq = s.store.load(epoch()).await.unwrap();
        s.delivered = s.store.delivered().await.unwrap();
        assert_eq!(s.delivered, Some(1));
        let mut sessions = [s];
        let r = recover_with(journal().await, &mut sessions).await;
        // Still owed: what the store never took, whatever its sequence.
        assert_eq!(exec_ids(&r.owed[0]), [(2, "E2".into()), (3, "E3".into())]);
        assert_eq!(sessions[0].seq.next_target_seq, 1);
    }
}
