//! The PostgreSQL journal (tokio-postgres through a deadpool pool).
//!
//! Owns the migrations runner and the `journal` table's use. Migrations
//! are the SQL files in `oms/migrations/`, embedded at build time and
//! applied in order, once each, recorded in `oms_migrations`; the journal
//! table refuses UPDATE, DELETE and TRUNCATE through triggers that raise.
//! `append` inserts a batch with one statement (the columns sent as arrays
//! and unnested by the server) in one transaction (group commit), and
//! relies on the `seq` primary key to refuse a second writer's fork. Connecting
//! verifies the whole chain, like the file backend's open. The schema is
//! whatever `search_path` the connection has; [`PgJournal::connect`] can
//! set it (tests use one schema each).

use async_trait::async_trait;
use deadpool_postgres::{Manager, ManagerConfig, Pool, RecyclingMethod};
use tokio_postgres::NoTls;

use super::{ChainCheck, Journal, JournalError, NewRecord, Query, Record, Visitor, GENESIS};
use crate::types::Timestamp;

/// The migrations, in order: (version, name, SQL).
pub const MIGRATIONS: &[(i32, &str, &str)] = &[(
    1,
    "0001_journal",
    include_str!("../../migrations/0001_journal.sql"),
)];

/// Apply the migrations not yet applied, each in its own transaction.
pub async fn run_migrations(client: &mut tokio_postgres::Client) -> Result<Vec<i32>, JournalError> {
    client
        .batch_execute(
            "CREATE TABLE IF NOT EXISTS oms_migrations (
                 version INTEGER PRIMARY KEY,
                 name TEXT NOT NULL,
                 applied_at TIMESTAMPTZ NOT NULL DEFAULT now())",
        )
        .await?;
    let mut applied = Vec::new();
    for (version, name, sql) in MIGRATIONS {
        let tx = client.transaction().await?;
        let done = tx
            .query_opt(
                "SELECT 1 FROM oms_migrations WHERE version = $1",
                &[version],
            )
            .await?
            .is_some();
        if !done {
            tx.batch_execute(sql).await?;
            tx.execute(
                "INSERT INTO oms_migrations (version, name) VALUES ($1, $2)",
                &[version, name],
            )
            .await?;
            applied.push(*version);
        }
        tx.commit().await?;
    }
    Ok(applied)
}

/// The PostgreSQL journal.
pub struct PgJournal {
    pool: Pool,
    last_seq: u64,
    head: [u8; 32],
}

impl std::fmt::Debug for PgJournal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PgJournal")
            .field("last_seq", &self.last_seq)
            .finish()
    }
}

const COLUMNS: &str = "seq, ts, kind, order_id, client, account, symbol, payload, prev_hash, hash";

fn row_to_record(row: &tokio_postgres::Row) -> Record {
    Record {
        seq: row.get::<_, i64>(0) as u64,
        ts: Timestamp(row.get::<_, i64>(1)),
        kind: row.get(2),
        order_id: row.get(3),
        client: row.get(4),
        account: row.get(5),
        symbol: row.get(6),
        payload: row.get(7),
        prev_hash: row.get(8),
        hash: row.get(9),
    }
}

impl PgJournal {
    /// Connect with a libpq-style string (`host=... user=... dbname=...`
    /// or a `postgres://` URL), optionally in `schema` (created if
    /// missing), run the migrations and verify the chain.
    pub async fn connect(url: &str, schema: Option<&str>) -> Result<PgJournal, JournalError> {
        let mut cfg: tokio_postgres::Config = url
            .parse()
            .map_err(|e: tokio_postgres::Error| JournalError::Db(e.to_string()))?;
        if let Some(s) = schema {
            if !s.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
                return Err(JournalError::Db(format!("bad schema name {s:?}")));
            }
            cfg.options(format!("-c search_path={s}"));
        }
        let mgr = Manager::from_config(
            cfg,
            NoTls,
            ManagerConfig {
                recycling_method: RecyclingMethod::Fast,
            },
        );
        let pool = Pool::builder(mgr)
            .max_size(4)
            .build()
            .map_err(|e| JournalError::Db(e.to_string()))?;
        if let Some(s) = schema {
            let c = pool.get().await?;
            c.batch_execute(&format!("CREATE SCHEMA IF NOT EXISTS {s}"))
                .await?;
        }
        PgJournal::open(pool).await
    }

    /// Use an existing pool: run the migrations and verify the chain.
    pub async fn open(pool: Pool) -> Result<PgJournal, JournalError> {
        {
            let mut c = pool.get().await?;
            run_migrations(&mut c).await?;
        }
        let mut j = PgJournal {
            pool,
            last_seq: 0,
            head: GENESIS,
        };
        let mut chk = ChainCheck::default();
        j.scan_from(1, &mut |r| chk.check(&r)).await?;
        j.last_seq = chk.last_seq;
        j.head = chk.head;
        Ok(j)
    }

    /// The pool (for the gateway's other stores).
    pub fn pool(&self) -> &Pool {
        &self.pool
    }
}

#[async_trait]
impl Journal for PgJournal {
    async fn append(&mut self, batch: Vec<NewRecord>) -> Result<u64, JournalError> {
        if batch.is_empty() {
            return Ok(self.last_seq);
        }
        let n = batch.len();
        let (mut seqs, mut tss) = (Vec::with_capacity(n), Vec::with_capacity(n));
        let (mut kinds, mut orders) = (Vec::with_capacity(n), Vec::with_capacity(n));
        let (mut accounts, mut symbols) = (Vec::with_capacity(n), Vec::with_capacity(n));
        let (mut payloads, mut prevs) = (Vec::with_capacity(n), Vec::with_capacity(n));
        let mut hashes = Vec::with_capacity(n);
        let mut clients = Vec::with_capacity(n);
        let mut seq = self.last_seq;
        let mut head = self.head;
        for r in batch {
            seq += 1;
            let (rec, h) = Record::seal(seq, &head, r);
            head = h;
            seqs.push(rec.seq as i64);
            tss.push(rec.ts.0);
            kinds.push(rec.kind);
            orders.push(rec.order_id);
            clients.push(rec.client);
            accounts.push(rec.account);
            symbols.push(rec.symbol);
            payloads.push(rec.payload);
            prevs.push(rec.prev_hash);
            hashes.push(rec.hash);
        }
        // One statement per batch (arrays unnested server-side), one commit.
        let mut c = self.pool.get().await?;
        let tx = c.transaction().await?;
        let stmt = tx
            .prepare_cached(&format!(
                "INSERT INTO journal ({COLUMNS})
                 SELECT * FROM UNNEST($1::bigint[], $2::bigint[], $3::text[], $4::text[],
                                      $5::text[], $6::text[], $7::text[], $8::text[], $9::text[],
                                      $10::text[])"
            ))
            .await?;
        tx.execute(
            &stmt,
            &[
                &seqs, &tss, &kinds, &orders, &clients, &accounts, &symbols, &payloads, &prevs,
                &hashes,
            ],
        )
        .await?;
        tx.commit().await?;
        self.last_seq = seq;
        self.head = head;
        Ok(seq)
    }

    async fn read_from(&self, from: u64) -> Result<Vec<Record>, JournalError> {
        let c = self.pool.get().await?;
        let rows = c
            .query(
                &format!("SELECT {COLUMNS} FROM journal WHERE seq >= $1 ORDER BY seq"),
                &[&(from as i64)],
            )
            .await?;
        Ok(rows.iter().map(row_to_record).collect())
    }

    async fn query(&self, q: &Query) -> Result<Vec<Record>, JournalError> {
        let c = self.pool.get().await?;
        let order = q.order_id.as_ref().map(|o| o.as_str());
        let account = q.account.as_ref().map(|a| a.as_str());
        let client = q.client.as_deref();
        let symbol = q.symbol.as_ref().map(|s| s.as_str());
        let from = q.from.map(|t| t.0);
        let to = q.to.map(|t| t.0);
        let rows = c
            .query(
                &format!(
                    "SELECT {COLUMNS} FROM journal
                     WHERE ($1::text IS NULL OR order_id = $1)
                       AND ($2::text IS NULL OR account = $2)
                       AND ($3::text IS NULL OR symbol = $3)
                       AND ($4::bigint IS NULL OR ts >= $4)
                       AND ($5::bigint IS NULL OR ts < $5)
                       AND ($6::text IS NULL OR client = $6)
                     ORDER BY seq"
                ),
                &[&order, &account, &symbol, &from, &to, &client],
            )
            .await?;
        Ok(rows.iter().map(row_to_record).collect())
    }

    async fn scan_from(&self, from: u64, f: &mut Visitor<'_>) -> Result<(), JournalError> {
        // Keyset pages, so a long journal is never held in memory at once.
        const PAGE: i64 = 5000;
        let c = self.pool.get().await?;
        let stmt = c
            .prepare_cached(&format!(
                "SELECT {COLUMNS} FROM journal WHERE seq >= $1 ORDER BY seq LIMIT $2"
            ))
            .await?;
        let mut next = from as i64;
        loop {
            let rows = c.query(&stmt, &[&next, &PAGE]).await?;
            let n = rows.len();
            for row in &rows {
                let r = row_to_record(row);
                next = r.seq as i64 + 1;
                f(r)?;
            }
            if (n as i64) < PAGE {
                return Ok(());
            }
        }
    }

    async fn verify(&self) -> Result<u64, JournalError> {
        let mut chk = ChainCheck::default();
        self.scan_from(1, &mut |r| chk.check(&r)).await?;
        Ok(chk.last_seq)
    }

    fn last_seq(&self) -> u64 {
        self.last_seq
    }
}
