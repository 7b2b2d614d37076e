//! The settlement job: trades move from pending to settled on their
//! settlement date, against the venues' clearing output.
//!
//! Each venue's clearing records come from where its `[[venue]]` config
//! says: an HTTP URL serving CSV (sim-venue's `GET /{venue}/clearing`), a
//! directory of CSV files the venue drops, or (the demo) an in-process sim
//! venue. A run, for a given "today" (the New York date by default; tests
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
use crate::config::{GatewayConfig, InProcessClearing};
use chrono::NaiveDate;
use oms::events::{ClearingRecord, EventKind, Settlement};
use oms::outputs::AlertKind;
use oms::{Event, OrderId, Output, Px, Qty, Side, Symbol, VenueId};
use rust_decimal::Decimal;
use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::path::PathBuf;
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::sync::mpsc;

/// Where one venue's clearing records come from.
#[derive(Debug, Clone)]
pub enum ClearingSource {
    Http(HttpUrl),
    Dir(PathBuf),
    InProcess(InProcessClearing),
}

/// One venue's clearing.
#[derive(Debug, Clone)]
pub struct VenueClearing {
    pub venue: VenueId,
    pub sources: Vec<ClearingSource>,
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
    /// The job for `cfg`'s venues; `None` if no venue has a clearing
    /// source.
    pub fn from_config(
        cfg: &GatewayConfig,
        core: mpsc::UnboundedSender<CoreMsg>,
    ) -> anyhow::Result<Option<SettlementJob>> {
        let mut venues = Vec::new();
        for (i, v) in cfg.venues.iter().enumerate() {
            let mut sources = Vec::new();
            if let Some(url) = &v.clearing_url {
                let u = HttpUrl::parse(url)
                    .map_err(|why| anyhow::anyhow!("venue[{i}].clearing_url: {url:?}: {why}"))?;
                sources.push(ClearingSource::Http(u));
            }
            if let Some(d) = &v.clearing_dir {
                sources.push(ClearingSource::Dir(d.clone()));
            }
            if let Some(p) = &v.clearing_in_process {
                sources.push(ClearingSource::InProcess(p.clone()));
            }
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
    pub async fn run_now(&self) -> anyhow::Result<Vec<DateSettled>> {
        self.run(super::now_ts().ny_date()).await
    }

    /// A run as of `today`: settles every due date not yet settled.
    pub async fn run(&self, today: NaiveDate) -> anyhow::Result<Vec<DateSettled>> {
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
        .ok_or_else(|| anyhow::anyhow!("the OMS core has stopped"))?;
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
                .ok_or_else(|| anyhow::anyhow!("the OMS core has stopped"))?;
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
async fn fetch(v: &VenueClearing) -> anyhow::Result<Vec<ClearingRecord>> {
    let mut out = Vec::new();
    let mut seen = HashSet::new();
    for s in &v.sources {
        let texts: Vec<(String, String)> = match s {
            ClearingSource::Http(u) => vec![(u.to_string(), http_get(u).await?)],
            ClearingSource::Dir(d) => read_dir_csv(d).await?,
            ClearingSource::InProcess(p) => {
                vec![(format!("sim venue {}", p.venue), in_process(p).await?)]
            }
        };
        for (name, text) in texts {
            for r in parse_csv(&text, &v.venue, &v.account)
                .map_err(|e| anyhow::anyhow!("clearing of {} from {name}: {e}", v.venue))?
            {
                if seen.insert((r.trade_id.clone(), r.venue_order_id.clone(), r.side)) {
                    out.push(r);
                }
            }
        }
    }
    Ok(out)
}

async fn read_dir_csv(dir: &PathBuf) -> anyhow::Result<Vec<(String, String)>> {
    let mut names = Vec::new();
    let mut rd = tokio::fs::read_dir(dir)
        .await
        .map_err(|e| anyhow::anyhow!("clearing_dir {}: {e}", dir.display()))?;
    while let Some(e) = rd.next_entry().await? {
        let p = e.path();
        if p.extension().is_some_and(|x| x.eq_ignore_ascii_case("csv")) {
            names.push(p);
        }
    }
    names.sort();
    let mut out = Vec::new();
    for p in names {
        let text = tokio::fs::read_to_string(&p)
            .await
            .map_err(|e| anyhow::anyhow!("{}: {e}", p.display()))?;
        out.push((p.display().to_string(), text));
    }
    Ok(out)
}

async fn in_process(p: &InProcessClearing) -> anyhow::Result<String> {
    use sim_venue::fix::{control::Command, VenueInput};
    let (reply, rx) = tokio::sync::oneshot::channel();
    p.input
        .send(VenueInput::Control {
            venue: p.venue.clone(),
            command: Command::Clearing,
            reply,
        })
        .map_err(|_| anyhow::anyhow!("sim venue {} has stopped", p.venue))?;
    rx.await
        .map_err(|_| anyhow::anyhow!("sim venue {} has stopped", p.venue))?
        .map_err(|e| anyhow::anyhow!("sim venue {}: {e}", p.venue))
}

/// Clearing records of `account` (or `account|...`) from CSV text with a
/// header line naming the columns (sim-venue's clearing format:
/// `trade_id, settlement_date, venue, symbol, side, qty, price, account,
/// order_id` among others; `venue` and `account` may be absent, then
/// every row is the venue's and ours). Rows of another venue are left out.
pub fn parse_csv(
    text: &str,
    venue: &VenueId,
    account: &str,
) -> Result<Vec<ClearingRecord>, String> {
    let rows = csv_rows(text);
    let mut rows = rows
        .into_iter()
        .filter(|(_, r)| r.iter().any(|f| !f.is_empty()));
    let Some((_, header)) = rows.next() else {
        return Ok(Vec::new());
    };
    let col = |name: &str| header.iter().position(|h| h.trim() == name);
    let need = |name: &str| col(name).ok_or_else(|| format!("no column {name:?} in the header"));
    let (tid, sd, sym, side, qty, px, oid) = (
        need("trade_id")?,
        need("settlement_date")?,
        need("symbol")?,
        need("side")?,
        need("qty")?,
        need("price")?,
        need("order_id")?,
    );
    let (vcol, acol) = (col("venue"), col("account"));
    let ours =
        |a: &str| a == account || a.strip_prefix(account).is_some_and(|r| r.starts_with('|'));
    let mut out = Vec::new();
    for (line, r) in rows {
        let f = |i: usize| r.get(i).map(|s| s.trim()).unwrap_or("");
        let bad = |what: &str| format!("line {line}: {what}");
        if vcol.is_some_and(|c| f(c) != venue.as_str()) {
            continue;
        }
        if acol.is_some_and(|c| !ours(f(c))) {
            continue;
        }
        let side = match f(side).to_ascii_uppercase().as_str() {
            "BUY" | "B" | "1" => Side::Buy,
            "SELL" | "S" | "2" | "5" | "SELL_SHORT" | "SHORT" => Side::Sell,
            s => return Err(bad(&format!("side {s:?} is not BUY or SELL"))),
        };
        let qty: u64 = f(qty)
            .parse()
            .map_err(|_| bad(&format!("qty {:?} is not a whole number", f(qty))))?;
        let price = Decimal::from_str(f(px))
            .map_err(|_| bad(&format!("price {:?} is not a number", f(px))))?;
        let settlement_date = NaiveDate::from_str(f(sd))
            .map_err(|_| bad(&format!("settlement_date {:?} is not YYYY-MM-DD", f(sd))))?;
        if f(tid).is_empty() {
            return Err(bad("trade_id is empty"));
        }
        out.push(ClearingRecord {
            venue: venue.clone(),
            trade_id: f(tid).to_owned(),
            venue_order_id: OrderId::new(f(oid)),
            symbol: Symbol::new(f(sym)),
            side,
            qty: Qty(qty),
            price: Px(price),
            settlement_date,
        });
    }
    Ok(out)
}

/// CSV rows with their 1-based line numbers: fields separated by commas,
/// double-quoted fields may hold commas, quotes (doubled) and newlines.
fn csv_rows(text: &str) -> Vec<(usize, Vec<String>)> {
    let mut rows = Vec::new();
    let mut row = Vec::new();
    let mut field = String::new();
    let mut quoted = false;
    let mut line = 1;
    let mut row_line = 1;
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match (quoted, c) {
            (true, '"') if chars.peek() == Some(&'"') => {
                chars.next();
                field.push('"');
            }
            (true, '"') => quoted = false,
            (true, c) => {
                if c == '\n' {
                    line += 1;
                }
                field.push(c);
            }
            (false, '"') => quoted = true,
            (false, ',') => row.push(std::mem::take(&mut field)),
            (false, '\r') => {}
            (false, '\n') => {
                row.push(std::mem::take(&mut field));
                rows.push((row_line, std::mem::take(&mut row)));
                line += 1;
                row_line = line;
            }
            (false, c) => field.push(c),
        }
    }
    if !field.is_empty() || !row.is_empty() {
        row.push(field);
        rows.push((row_line, row));
    }
    rows
}

/// A plain `http://host:port/path` URL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpUrl {
    pub host: String,
    pub port: u16,
    pub path: String,
}

impl HttpUrl {
    pub fn parse(url: &str) -> Result<HttpUrl, String> {
        let rest = url.strip_prefix("http://").ok_or_else(|| {
            if url.starts_with("https://") {
                "https is not supported (plain http on a trusted network, or clearing_dir)"
                    .to_owned()
            } else {
                "must start with http://".to_owned()
            }
        })?;
        let (authority, path) = match rest.find('/') {
            Some(i) => (&rest[..i], &rest[i..]),
            None => (rest, "/"),
        };
        let (host, port) = match authority.rsplit_once(':') {
            Some((h, p)) => (
                h,
                p.parse::<u16>()
                    .map_err(|_| format!("port {p:?} is not a number"))?,
            ),
            None => (authority, 80),
        };
        if host.is_empty() {
            return Err("no host".to_owned());
        }
        Ok(HttpUrl {
            host: host.to_owned(),
            port,
            path: path.to_owned(),
        })
    }
}

impl std::fmt::Display for HttpUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "http://{}:{}{}", self.host, self.port, self.path)
    }
}

/// GET `u` (HTTP/1.1, `Connection: close`): the body of a 200 response.
pub async fn http_get(u: &HttpUrl) -> anyhow::Result<String> {
    let io = async {
        let mut sock = tokio::net::TcpStream::connect((u.host.as_str(), u.port)).await?;
        let req = format!(
            "GET {} HTTP/1.1\r\nHost: {}:{}\r\nAccept: text/csv, text/plain\r\nConnection: close\r\n\r\n",
            u.path, u.host, u.port
        );
        sock.write_all(req.as_bytes()).await?;
        let mut buf = Vec::new();
        sock.read_to_end(&mut buf).await?;
        Ok::<_, std::io::Error>(buf)
    };
    let buf = tokio::time::timeout(Duration::from_secs(30), io)
        .await
        .map_err(|_| anyhow::anyhow!("GET {u}: no answer within 30 s"))?
        .map_err(|e| anyhow::anyhow!("GET {u}: {e}"))?;
    let split = buf
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .ok_or_else(|| anyhow::anyhow!("GET {u}: not an HTTP response"))?;
    let head = String::from_utf8_lossy(&buf[..split]).into_owned();
    let mut body = buf[split + 4..].to_vec();
    let mut lines = head.lines();
    let status = lines.next().unwrap_or("");
    let code = status.split_whitespace().nth(1).unwrap_or("");
    let mut chunked = false;
    let mut length = None;
    for l in lines {
        if let Some((k, v)) = l.split_once(':') {
            let (k, v) = (k.trim().to_ascii_lowercase(), v.trim());
            if k == "transfer-encoding" && v.eq_ignore_ascii_case("chunked") {
                chunked = true;
            } else if k == "content-length" {
                length = v.parse::<usize>().ok();
            }
        }
    }
    if chunked {
        body = dechunk(&body).ok_or_else(|| anyhow::anyhow!("GET {u}: bad chunked body"))?;
    } else if let Some(n) = length {
        body.truncate(n);
    }
    let text = String::from_utf8(body).map_err(|_| anyhow::anyhow!("GET {u}: body not UTF-8"))?;
    if code != "200" {
        anyhow::bail!("GET {u}: {status}: {}", text.trim());
    }
    Ok(text)
}

fn dechunk(mut b: &[u8]) -> Option<Vec<u8>> {
    let mut out = Vec::new();
    loop {
        let eol = b.windows(2).position(|w| w == b"\r\n")?;
        let size_text = std::str::from_utf8(&b[..eol]).ok()?;
        let size = usize::from_str_radix(size_text.split(';').next()?.trim(), 16).ok()?;
        b = &b[eol + 2..];
        if size == 0 {
            return Some(out);
        }
        out.extend_from_slice(b.get(..size)?);
        b = b.get(size + 2..)?;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const CSV: &str = "trade_id,trade_date,settlement_date,venue,symbol,asset_class,side,qty,price,gross_amount,currency,liquidity,fee,account,contra_account,order_id,contra_order_id,settlement_price,variation_margin,timestamp_ns\n\
T0-7,2026-03-04,2026-03-05,SIMX,AAPL,equity,BUY,100,190.01,19001.00,USD,TAKER,0.0300,GATEWAY|ACC1,SIM-LP,O0-1,O0-2,,,1\n\
T0-7,2026-03-04,2026-03-05,SIMX,AAPL,equity,SELL,100,190.01,19001.00,USD,MAKER,-0.0200,SIM-LP,GATEWAY|ACC1,O0-2,O0-1,,,1\n\
T0-8,2026-03-04,2026-03-05,SIMX,AAPL,equity,SELL,5,190.02,950.10,USD,MAKER,0,\"GATEWAY2|A,B\",X,O0-3,O0-4,,,2\n\
T0-9,2026-03-04,2026-03-05,SIMY,AAPL,equity,SELL,5,190.02,950.10,USD,MAKER,0,GATEWAY|ACC1,X,O0-5,O0-6,,,2\n";

    #[test]
    fn our_records_of_this_venue_from_sim_venue_csv() {
        let v = VenueId::from("SIMX");
        let r = parse_csv(CSV, &v, "GATEWAY").unwrap();
        assert_eq!(
            r,
            vec![ClearingRecord {
                venue: v.clone(),
                trade_id: "T0-7".into(),
                venue_order_id: OrderId::from("O0-1"),
                symbol: Symbol::from("AAPL"),
                side: Side::Buy,
                qty: Qty(100),
                price: Px("190.01".parse().unwrap()),
                settlement_date: NaiveDate::from_ymd_opt(2026, 3, 5).unwrap(),
            }]
        );
        // A quoted account with a comma; another member's prefix.
        let r = parse_csv(CSV, &v, "GATEWAY2").unwrap();
        assert_eq!(r.len(), 1);
        assert_eq!((r[0].trade_id.as_str(), r[0].side), ("T0-8", Side::Sell));
        assert!(parse_csv("", &v, "GATEWAY").unwrap().is_empty());
    }

    #[test]
    fn bad_rows_say_where_and_why() {
        let v = VenueId::from("SIMX");
        let e = parse_csv("trade_id,symbol\nT1,AAPL\n", &v, "G").unwrap_err();
        assert!(e.contains("settlement_date"), "{e}");
        let text = "trade_id,settlement_date,symbol,side,qty,price,order_id\n\
                    T1,2026-03-05,AAPL,BUY,100,190,O1\n\
                    T2,2026-03-05,AAPL,BUY,1.5,190,O2\n";
        let e = parse_csv(text, &v, "G").unwrap_err();
        assert_eq!(e, "line 3: qty \"1.5\" is not a whole number");
        // No venue or account columns: every row is ours.
        let r = parse_csv(&text.replace(",1.5,", ",2,"), &v, "G").unwrap();
        assert_eq!(r.len(), 2);
    }

    #[test]
    fn urls_and_chunked_bodies() {
        assert_eq!(
            HttpUrl::parse("http://127.0.0.1:9000/SIMX/clearing").unwrap(),
            HttpUrl {
                host: "127.0.0.1".into(),
                port: 9000,
                path: "/SIMX/clearing".into()
            }
        );
        assert_eq!(HttpUrl::parse("http://h").unwrap().port, 80);
        assert!(HttpUrl::parse("https://h/x").unwrap_err().contains("https"));
        assert!(HttpUrl::parse("ftp://h/x").is_err());
        assert!(HttpUrl::parse("http://h:x/").is_err());
        assert_eq!(
            dechunk(b"4\r\nabcd\r\n3;x=y\r\nefg\r\n0\r\n\r\n").unwrap(),
            b"abcdefg"
        );
        assert_eq!(dechunk(b"4\r\nab"), None);
    }

    #[tokio::test]
    async fn http_get_reads_a_real_server() {
        let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = l.local_addr().unwrap().port();
        let server = tokio::spawn(async move {
            for reply in [
                "HTTP/1.1 200 OK\r\ncontent-type: text/csv\r\ncontent-length: 6\r\n\r\na,b\n1,2",
                "HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n3\r\na,b\r\n0\r\n\r\n",
                "HTTP/1.1 400 Bad Request\r\ncontent-length: 13\r\n\r\nno venue \"X\"\n",
            ] {
                let (mut s, _) = l.accept().await.unwrap();
                let mut req = vec![0u8; 1024];
                let n = s.read(&mut req).await.unwrap();
                assert!(req[..n].starts_with(b"GET /V/clearing HTTP/1.1\r\n"));
                s.write_all(reply.as_bytes()).await.unwrap();
            }
        });
        let u = HttpUrl::parse(&format!("http://127.0.0.1:{port}/V/clearing")).unwrap();
        assert_eq!(http_get(&u).await.unwrap(), "a,b\n1,");
        assert_eq!(http_get(&u).await.unwrap(), "a,b");
        let e = http_get(&u).await.unwrap_err().to_string();
        assert!(e.contains("400") && e.contains("no venue"), "{e}");
        server.await.unwrap();
    }
}
