//! The settlement job: trades move from pending to settled on their
//! settlement date, against the venues' clearing output.
//!
//! Each venue's clearing records come through the
//! [`ClearingSource`](crate::clearing::ClearingSource) seam from where its
//! `[[venue]]` config says: an HTTP or HTTPS URL serving CSV (sim-venue's
//! `GET /{venue}/clearing`), a directory of CSV files the venue drops, or
//! sources the caller adds (the demo's in-process sim venues). A run, for a given "today" (the New York date by default; tests
//! and operators may give another):
//!
//! 1. fetches every venue's records (all or nothing: if one source fails
//!    the run applies nothing and says why) and keeps ours (see
//!    `clearing_account`);
//! 2. asks the core which settlement dates are due: those of its pending
//!    trades and of the venues' records, on or before today, that the
//!    core has not processed yet (the core keeps the processed dates, from
//!    the journal, so a second run or a run after a restart finds them
//!    done);
//! 3. for each due date, oldest first, applies one `Settle` event with the
//!    records of that date (journaled; the core settles the trades that
//!    match and refuses a date it has already processed);
//! 4. reports per date what the core said: the reconciliation breaks
//!    (trades due without a record, records without a trade, quantity or
//!    price disagreements), which are also alerts.
//!
//! A trade left pending by a break is re-examined (and re-alerted) at
//! every later settlement date until a record settles it.
//!
//! Runs are serialized; the gateway runs the job at start and then every
//! `[settlement] interval_secs`, and [`SettlementJob::run`] runs it on
//! demand.

use super::CoreMsg;
use crate::clearing::http::{ClearingUrl, HttpError, HttpSource, UrlError};
use crate::clearing::{parse_csv, ClearingError, ClearingSource, CsvError, DirSource};
use crate::config::GatewayConfig;
use chrono::NaiveDate;
use oms::events::{ClearingRecord, EventKind, Settlement};
use oms::outputs::AlertKind;
use oms::{Event, Output, VenueId};
use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::mpsc;

/// Why the settlement job cannot be set up, or a run applied nothing.
#[derive(Debug, thiserror::Error)]
pub enum SettlementError {
    #[error("venue[{index}].clearing_url: {url:?}: {source}")]
    BadUrl {
        index: usize,
        url: String,
        source: UrlError,
    },
    #[error("venue[{index}].clearing_url: {source}")]
    Https { index: usize, source: HttpError },
    #[error("clearing of {venue}: {source}")]
    Fetch {
        venue: VenueId,
        source: ClearingError,
    },
    #[error("clearing of {venue} from {name}: {source}")]
    Csv {
        venue: VenueId,
        name: String,
        source: CsvError,
    },
    #[error("the OMS core has stopped")]
    CoreStopped,
}

/// One venue's clearing.
#[derive(Debug, Clone)]
pub struct VenueClearing {
    pub venue: VenueId,
    pub sources: Vec<Arc<dyn ClearingSource>>,
    /// Records of this account (or `account|...`) are ours.
    pub account: String,
}

/// What a run did for one settlement date.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DateSettled {
    pub date: NaiveDate,
    /// Clearing records given for it.
    pub records: usize,
    /// Reconciliation breaks the core reported.
    pub breaks: Vec<String>,
}

/// The settlement job.
pub struct SettlementJob {
    core: mpsc::UnboundedSender<CoreMsg>,
    venues: Vec<VenueClearing>,
    running: tokio::sync::Mutex<()>,
}

impl SettlementJob {
    /// The job for `cfg`'s venues, with the sources their config names
    /// and the `extra` sources given per venue id (the demo's in-process
    /// venues); `None` if no venue has a clearing source.
    pub fn from_config(
        cfg: &GatewayConfig,
        extra: &HashMap<String, Vec<Arc<dyn ClearingSource>>>,
        core: mpsc::UnboundedSender<CoreMsg>,
    ) -> Result<Option<SettlementJob>, SettlementError> {
        let mut venues = Vec::new();
        for (index, v) in cfg.venues.iter().enumerate() {
            let mut sources: Vec<Arc<dyn ClearingSource>> = Vec::new();
            if let Some(url) = &v.clearing_url {
                let u = ClearingUrl::parse(url).map_err(|source| SettlementError::BadUrl {
                    index,
                    url: url.clone(),
                    source,
                })?;
                let source = HttpSource::new(u, v.clearing_ca.as_deref())
                    .map_err(|source| SettlementError::Https { index, source })?;
                sources.push(Arc::new(source));
            }
            if let Some(d) = &v.clearing_dir {
                sources.push(Arc::new(DirSource { dir: d.clone() }));
            }
            sources.extend(extra.get(&v.id).into_iter().flatten().cloned());
            if sources.is_empty() {
                continue;
            }
            venues.push(VenueClearing {
                venue: VenueId::new(v.id.as_str()),
                sources,
                account: v
                    .clearing_account
                    .clone()
                    .unwrap_or_else(|| cfg.gateway.comp_id.clone()),
            });
        }
        if venues.is_empty() {
            return Ok(None);
        }
        let with: Vec<&str> = venues.iter().map(|v| v.venue.as_str()).collect();
        let without: Vec<&str> = cfg
            .venues
            .iter()
            .map(|v| v.id.as_str())
            .filter(|id| !with.contains(id))
            .collect();
        if !without.is_empty() {
            tracing::warn!(
                ?without,
                "venues without a clearing source: their trades are reported as settlement breaks"
            );
        }
        Ok(Some(SettlementJob {
            core,
            venues,
            running: tokio::sync::Mutex::new(()),
        }))
    }

    /// A run as of the New York date now.
    pub async fn run_now(&self) -> Result<Vec<DateSettled>, SettlementError> {
        self.run(super::now_ts().ny_date()).await
    }

    /// A run as of `today`: settles every due date not yet settled.
    pub async fn run(&self, today: NaiveDate) -> Result<Vec<DateSettled>, SettlementError> {
        let _one_at_a_time = self.running.lock().await;
        let mut by_date: BTreeMap<NaiveDate, Vec<ClearingRecord>> = BTreeMap::new();
        for v in &self.venues {
            for r in fetch(v).await? {
                by_date.entry(r.settlement_date).or_default().push(r);
            }
        }
        let (done, pending) = super::inspect(&self.core, |core| {
            let pending: BTreeSet<NaiveDate> = core
                .ledger()
                .trades()
                .filter(|(_, t)| t.status == oms::settlement::TradeStatus::Pending)
                .map(|(_, t)| t.settle_date)
                .collect();
            (core.state().settled_dates.clone(), pending)
        })
        .await
        .ok_or(SettlementError::CoreStopped)?;
        let due: BTreeSet<NaiveDate> = pending
            .into_iter()
            .chain(by_date.keys().copied())
            .filter(|d| *d <= today && !done.contains(d))
            .collect();
        let mut out = Vec::new();
        for date in due {
            let records = by_date.remove(&date).unwrap_or_default();
            let n = records.len();
            let ev = Event::new(
                super::now_ts(),
                EventKind::Settle(Settlement { date, records }),
            );
            let outputs = super::apply(&self.core, ev)
                .await
                .ok_or(SettlementError::CoreStopped)?;
            let breaks: Vec<String> = outputs
                .into_iter()
                .filter_map(|o| match o {
                    Output::Alert(a) if a.kind == AlertKind::SettlementBreak => Some(a.text),
                    _ => None,
                })
                .collect();
            tracing::info!(%date, records = n, breaks = breaks.len(), "settlement applied");
            out.push(DateSettled {
                date,
                records: n,
                breaks,
            });
        }
        Ok(out)
    }

    /// Runs at start (if asked) and then every `every` (never if zero).
    pub fn spawn_periodic(
        self: Arc<Self>,
        at_start: bool,
        every: Duration,
    ) -> tokio::task::JoinHandle<()> {
        tokio::spawn(async move {
            if at_start {
                self.run_logged().await;
            }
            if every.is_zero() {
                return;
            }
            let mut tick = tokio::time::interval(every);
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            tick.tick().await;
            loop {
                tick.tick().await;
                self.run_logged().await;
            }
        })
    }

    async fn run_logged(&self) {
        if let Err(e) = self.run_now().await {
            tracing::error!(error = %e, "settlement run failed; nothing applied, the next run retries");
        }
    }
}

/// Every clearing record of ours from a venue's sources (records that
/// appear in several sources or files count once).
async fn fetch(v: &VenueClearing) -> Result<Vec<ClearingRecord>, SettlementError> {
    let mut out = Vec::new();
    let mut seen = HashSet::new();
    for s in &v.sources {
        let files = s.fetch().await.map_err(|source| SettlementError::Fetch {
            venue: v.venue.clone(),
            source,
        })?;
        for file in files {
            let records = parse_csv(&file.text, &v.venue, &v.account).map_err(|source| {
                SettlementError::Csv {
                    venue: v.venue.clone(),
                    name: file.name.clone(),
                    source,
                }
            })?;
            for r in records {
                if seen.insert((r.trade_id.clone(), r.venue_order_id.clone(), r.side)) {
                    out.push(r);
                }
            }
        }
    }
    Ok(out)
}
