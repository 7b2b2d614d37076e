//! The PostgreSQL store: the production backend for the same
//! [`MessageStore`] contract, on a deadpool-postgres pool.
//!
//! The tables live in a schema of the caller's choosing (one database can
//! hold several gateways, and each test gets its own). At startup
//! [`PostgresStoreFactory::connect`] runs the migrations in
//! `gateway/engine/migrations/` (compiled in with `include_str!`) that the
//! schema's `schema_migrations` table does not list yet, in one transaction
//! under an advisory lock, so two processes starting at once do not race.
//!
//! Each call is one statement, committed on its own, so it is as durable as
//! the server's `synchronous_commit` makes it: `save_sent` stores the message
//! and advances `next_sender_seq` in one statement (a data-modifying CTE),
//! and `reset` deletes the messages and resets the sequence numbers in
//! another. A store borrows a pooled connection per call and holds none
//! between calls, so thousands of idle sessions need no connections.
//!
//! Not handled here: TLS to the database (the pool connects with `NoTls`;
//! run it over a local socket or loopback), and pruning old messages (a
//! reset deletes a session's messages).

use super::{
    MessageStore, Outgoing, SeqState, SessionKey, StoreError, StoreFactory, StoredMessage,
};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use deadpool_postgres::{Manager, ManagerConfig, Pool, RecyclingMethod, Runtime};
use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::Duration;
use tokio_postgres::types::Type;
use tokio_postgres::NoTls;

/// The schema migrations, in order: (version, name, SQL).
const MIGRATIONS: &[(i32, &str, &str)] = &[
    (
        1,
        "fix_store",
        include_str!("../../migrations/0001_fix_store.sql"),
    ),
    (
        2,
        "delivered",
        include_str!("../../migrations/0002_delivered.sql"),
    ),
];

/// Connections the pool opens at most when [`PostgresStoreFactory::connect`]
/// builds it.
const DEFAULT_POOL_SIZE: usize = 16;

/// Opens a [`PostgresStore`] per session; cheap to clone (the pool is shared).
#[derive(Clone)]
pub struct PostgresStoreFactory {
    pool: Pool,
    sql: Arc<Sql>,
}

impl std::fmt::Debug for PostgresStoreFactory {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PostgresStoreFactory")
            .field("schema", &self.sql.schema)
            .finish()
    }
}

impl PostgresStoreFactory {
    /// Connects to `url` (either `postgresql://user@host/db` or
    /// `host=... user=... dbname=...`), creates `schema` if needed and
    /// applies pending migrations. Fails if the server cannot be reached.
    pub async fn connect(url: &str, schema: &str) -> Result<Self, StoreError> {
        let config: tokio_postgres::Config = url
            .parse()
            .map_err(|e| pg_err("invalid PostgreSQL connection string", e))?;
        let manager = Manager::from_config(
            config,
            NoTls,
            ManagerConfig {
                recycling_method: RecyclingMethod::Fast,
            },
        );
        let pool = Pool::builder(manager)
            .max_size(DEFAULT_POOL_SIZE)
            .runtime(Runtime::Tokio1)
            .create_timeout(Some(Duration::from_secs(10)))
            .wait_timeout(Some(Duration::from_secs(30)))
            .build()
            .map_err(|e| StoreError::Postgres(format!("cannot build the connection pool: {e}")))?;
        Self::from_pool(pool, schema).await
    }

    /// Uses an existing pool; creates `schema` if needed and applies pending
    /// migrations.
    pub async fn from_pool(pool: Pool, schema: &str) -> Result<Self, StoreError> {
        let sql = Arc::new(Sql::new(schema)?);
        migrate(&pool, &sql).await?;
        Ok(Self { pool, sql })
    }

    /// The pool the stores use.
    pub fn pool(&self) -> &Pool {
        &self.pool
    }

    /// The schema holding the store's tables.
    pub fn schema(&self) -> &str {
        &self.sql.schema
    }
}

#[async_trait]
impl StoreFactory for PostgresStoreFactory {
    async fn open(&self, key: &SessionKey) -> Result<Box<dyn MessageStore>, StoreError> {
        Ok(Box::new(PostgresStore {
            pool: self.pool.clone(),
            sql: Arc::clone(&self.sql),
            key: key.clone(),
            session_id: None,
        }))
    }
}

/// The PostgreSQL-backed store of one session.
pub struct PostgresStore {
    pool: Pool,
    sql: Arc<Sql>,
    key: SessionKey,
    /// `fix_sessions.id`, once the row is known to exist.
    session_id: Option<i64>,
}

impl std::fmt::Debug for PostgresStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PostgresStore")
            .field("schema", &self.sql.schema)
            .field("key", &self.key)
            .field("session_id", &self.session_id)
            .finish()
    }
}

impl PostgresStore {
    /// Creates the session row if missing (with `creation_time`) and returns
    /// its state.
    async fn upsert_session(
        &mut self,
        creation_time: DateTime<Utc>,
    ) -> Result<SeqState, StoreError> {
        let client = self.client().await?;
        let stmt = client
            .prepare_cached(&self.sql.upsert_session)
            .await
            .map_err(|e| pg_err("prepare session upsert", e))?;
        let qualifier = self.key.qualifier.as_deref().unwrap_or("");
        let row = client
            .query_one(
                &stmt,
                &[
                    &self.key.begin_string,
                    &self.key.sender_comp_id,
                    &self.key.target_comp_id,
                    &qualifier,
                    &creation_time,
                ],
            )
            .await
            .map_err(|e| pg_err("load session", e))?;
        self.session_id = Some(column(&row, 0)?);
        Ok(SeqState {
            next_sender_seq: from_db(column(&row, 1)?)?,
            next_target_seq: from_db(column(&row, 2)?)?,
            creation_time: column(&row, 3)?,
        })
    }

    /// The session row's id, creating the row as `load` would (with the
    /// epoch as creation time) when a mutation comes before any `load`.
    async fn session_id(&mut self) -> Result<i64, StoreError> {
        match self.session_id {
            Some(id) => Ok(id),
            None => {
                self.upsert_session(DateTime::<Utc>::UNIX_EPOCH).await?;
                self.session_id
                    .ok_or_else(|| StoreError::Postgres("session row has no id".into()))
            }
        }
    }

    /// The session row's id if the row exists, without creating it.
    async fn existing_session_id(&mut self) -> Result<Option<i64>, StoreError> {
        if self.session_id.is_none() {
            let client = self.client().await?;
            let stmt = client
                .prepare_cached(&self.sql.find_session)
                .await
                .map_err(|e| pg_err("prepare session lookup", e))?;
            let qualifier = self.key.qualifier.as_deref().unwrap_or("");
            let row = client
                .query_opt(
                    &stmt,
                    &[
                        &self.key.begin_string,
                        &self.key.sender_comp_id,
                        &self.key.target_comp_id,
                        &qualifier,
                    ],
                )
                .await
                .map_err(|e| pg_err("look up session", e))?;
            self.session_id = row.map(|r| column(&r, 0)).transpose()?;
        }
        Ok(self.session_id)
    }

    async fn client(&self) -> Result<deadpool_postgres::Client, StoreError> {
        self.pool.get().await.map_err(|e| {
            StoreError::Postgres(format!("cannot get a connection: {}", error_chain(&e)))
        })
    }

    /// Runs one typed statement that returns no rows.
    async fn execute(
        &self,
        what: &str,
        sql: &str,
        types: &[Type],
        params: &[&(dyn tokio_postgres::types::ToSql + Sync)],
    ) -> Result<(), StoreError> {
        let client = self.client().await?;
        let stmt = client
            .prepare_typed_cached(sql, types)
            .await
            .map_err(|e| pg_err(what, e))?;
        client
            .execute(&stmt, params)
            .await
            .map_err(|e| pg_err(what, e))?;
        Ok(())
    }
}

#[async_trait]
impl MessageStore for PostgresStore {
    async fn load(&mut self, now: DateTime<Utc>) -> Result<SeqState, StoreError> {
        self.upsert_session(now).await
    }

    async fn save_sent(&mut self, seq: u64, msg: &[u8]) -> Result<(), StoreError> {
        let id = self.session_id().await?;
        let seq = to_db(seq)?;
        self.execute(
            "save sent message",
            &self.sql.save_sent,
            &[Type::INT8, Type::INT8, Type::BYTEA],
            &[&id, &seq, &msg],
        )
        .await
    }

    async fn save_batch(
        &mut self,
        sent: &[Outgoing<'_>],
        next_target: Option<u64>,
        delivered: Option<u64>,
    ) -> Result<(), StoreError> {
        if sent.is_empty() && next_target.is_none() && delivered.is_none() {
            return Ok(());
        }
        let id = self.session_id().await?;
        let seqs = sent
            .iter()
            .map(|m| to_db(m.seq))
            .collect::<Result<Vec<i64>, _>>()?;
        let bodies: Vec<&[u8]> = sent.iter().map(|m| m.raw).collect();
        let next_sender = match sent.last() {
            Some(m) => Some(to_db(m.seq.saturating_add(1))?),
            None => None,
        };
        let next_target = next_target.map(to_db).transpose()?;
        let delivered = delivered.map(to_db).transpose()?;
        self.execute(
            "save sent messages",
            &self.sql.save_batch,
            &[
                Type::INT8,
                Type::INT8_ARRAY,
                Type::BYTEA_ARRAY,
                Type::INT8,
                Type::INT8,
                Type::INT8,
            ],
            &[&id, &seqs, &bodies, &next_sender, &next_target, &delivered],
        )
        .await
    }

    async fn delivered(&mut self) -> Result<Option<u64>, StoreError> {
        let Some(id) = self.existing_session_id().await? else {
            return Ok(None);
        };
        let client = self.client().await?;
        let stmt = client
            .prepare_typed_cached(&self.sql.delivered, &[Type::INT8])
            .await
            .map_err(|e| pg_err("prepare delivered", e))?;
        let row = client
            .query_opt(&stmt, &[&id])
            .await
            .map_err(|e| pg_err("read delivered", e))?;
        match row {
            Some(row) => column::<Option<i64>>(&row, 0)?.map(from_db).transpose(),
            None => Ok(None),
        }
    }

    async fn set_next_sender_seq(&mut self, next: u64) -> Result<(), StoreError> {
        let id = self.session_id().await?;
        let next = to_db(next)?;
        self.execute(
            "set next sender seq",
            &self.sql.set_sender,
            &[Type::INT8, Type::INT8],
            &[&id, &next],
        )
        .await
    }

    async fn set_next_target_seq(&mut self, next: u64) -> Result<(), StoreError> {
        let id = self.session_id().await?;
        let next = to_db(next)?;
        self.execute(
            "set next target seq",
            &self.sql.set_target,
            &[Type::INT8, Type::INT8],
            &[&id, &next],
        )
        .await
    }

    async fn get_sent(&mut self, begin: u64, end: u64) -> Result<Vec<StoredMessage>, StoreError> {
        // Sequence numbers above i64::MAX cannot be stored, so an end past
        // it (for example u64::MAX as "infinity") means "to the last one".
        let end = end.min(i64::MAX as u64);
        if begin > end {
            return Ok(Vec::new());
        }
        // Reading creates nothing, as in the reference store.
        let Some(id) = self.existing_session_id().await? else {
            return Ok(Vec::new());
        };
        let (begin, end) = (to_db(begin)?, to_db(end)?);
        let client = self.client().await?;
        let stmt = client
            .prepare_typed_cached(&self.sql.get_sent, &[Type::INT8, Type::INT8, Type::INT8])
            .await
            .map_err(|e| pg_err("prepare get sent", e))?;
        let rows = client
            .query(&stmt, &[&id, &begin, &end])
            .await
            .map_err(|e| pg_err("get sent messages", e))?;
        rows.into_iter()
            .map(|row| {
                Ok(StoredMessage {
                    seq: from_db(column(&row, 0)?)?,
                    raw: column(&row, 1)?,
                })
            })
            .collect()
    }

    async fn reset(&mut self, now: DateTime<Utc>) -> Result<(), StoreError> {
        let id = match self.session_id {
            Some(id) => id,
            None => {
                self.upsert_session(now).await?;
                self.session_id().await?
            }
        };
        self.execute(
            "reset session",
            &self.sql.reset,
            &[Type::INT8, Type::TIMESTAMPTZ],
            &[&id, &now],
        )
        .await
    }

    async fn flush(&mut self) -> Result<(), StoreError> {
        // Every call is a committed statement already.
        Ok(())
    }
}

/// The statements, with the schema name quoted in.
#[derive(Debug)]
struct Sql {
    schema: String,
    quoted_schema: String,
    upsert_session: String,
    find_session: String,
    save_sent: String,
    save_batch: String,
    set_sender: String,
    set_target: String,
    get_sent: String,
    delivered: String,
    reset: String,
}

impl Sql {
    fn new(schema: &str) -> Result<Self, StoreError> {
        let valid = !schema.is_empty()
            && schema.len() <= 63
            && schema.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_')
            && schema
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_');
        if !valid {
            return Err(StoreError::Postgres(format!(
                "invalid schema name {schema:?}: use 1 to 63 ASCII letters, digits and \
                 underscores, not starting with a digit"
            )));
        }
        let s = format!("\"{schema}\"");
        Ok(Self {
            schema: schema.to_owned(),
            upsert_session: format!(
                "INSERT INTO {s}.fix_sessions (begin_string, sender_comp_id, target_comp_id, \
                 qualifier, next_sender_seq, next_target_seq, creation_time) \
                 VALUES ($1, $2, $3, $4, 1, 1, $5) \
                 ON CONFLICT (begin_string, sender_comp_id, target_comp_id, qualifier) \
                 DO UPDATE SET begin_string = EXCLUDED.begin_string \
                 RETURNING id, next_sender_seq, next_target_seq, creation_time"
            ),
            find_session: format!(
                "SELECT id FROM {s}.fix_sessions WHERE begin_string = $1 \
                 AND sender_comp_id = $2 AND target_comp_id = $3 AND qualifier = $4"
            ),
            save_sent: format!(
                "WITH saved AS (\
                 INSERT INTO {s}.fix_messages (session_id, seq, body) VALUES ($1, $2, $3) \
                 ON CONFLICT (session_id, seq) DO UPDATE SET body = EXCLUDED.body) \
                 UPDATE {s}.fix_sessions SET next_sender_seq = $2 + 1 WHERE id = $1"
            ),
            save_batch: format!(
                "WITH saved AS (\
                 INSERT INTO {s}.fix_messages (session_id, seq, body) \
                 SELECT $1, m.seq, m.body FROM UNNEST($2::int8[], $3::bytea[]) AS m(seq, body) \
                 ON CONFLICT (session_id, seq) DO UPDATE SET body = EXCLUDED.body) \
                 UPDATE {s}.fix_sessions SET \
                 next_sender_seq = COALESCE($4, next_sender_seq), \
                 next_target_seq = COALESCE($5, next_target_seq), \
                 delivered = COALESCE($6, delivered) WHERE id = $1"
            ),
            delivered: format!("SELECT delivered FROM {s}.fix_sessions WHERE id = $1"),
            set_sender: format!("UPDATE {s}.fix_sessions SET next_sender_seq = $2 WHERE id = $1"),
            set_target: format!("UPDATE {s}.fix_sessions SET next_target_seq = $2 WHERE id = $1"),
            get_sent: format!(
                "SELECT seq, body FROM {s}.fix_messages \
                 WHERE session_id = $1 AND seq BETWEEN $2 AND $3 ORDER BY seq"
            ),
            reset: format!(
                "WITH cleared AS (DELETE FROM {s}.fix_messages WHERE session_id = $1) \
                 UPDATE {s}.fix_sessions \
                 SET next_sender_seq = 1, next_target_seq = 1, creation_time = $2 WHERE id = $1"
            ),
            quoted_schema: s,
        })
    }
}

/// Applies the migrations `schema_migrations` does not list, in one
/// transaction holding an advisory lock for this schema.
async fn migrate(pool: &Pool, sql: &Sql) -> Result<(), StoreError> {
    let s = &sql.quoted_schema;
    let mut client = pool.get().await.map_err(|e| {
        StoreError::Postgres(format!("cannot connect to PostgreSQL: {}", error_chain(&e)))
    })?;
    let tx = client
        .transaction()
        .await
        .map_err(|e| pg_err("begin migration", e))?;
    let lock_key = format!("fix-engine store migrations {}", sql.schema);
    tx.execute("SELECT pg_advisory_xact_lock(hashtext($1))", &[&lock_key])
        .await
        .map_err(|e| pg_err("take the migration lock", e))?;
    tx.batch_execute(&format!(
        "CREATE SCHEMA IF NOT EXISTS {s}; \
         CREATE TABLE IF NOT EXISTS {s}.schema_migrations (\
         version INTEGER PRIMARY KEY, name TEXT NOT NULL, \
         applied_at TIMESTAMPTZ NOT NULL DEFAULT now())"
    ))
    .await
    .map_err(|e| pg_err("create schema_migrations", e))?;
    let applied: BTreeSet<i32> = tx
        .query(&format!("SELECT version FROM {s}.schema_migrations"), &[])
        .await
        .map_err(|e| pg_err("read schema_migrations", e))?
        .iter()
        .map(|row| column(row, 0))
        .collect::<Result<_, _>>()?;
    for &(version, name, migration) in MIGRATIONS {
        if applied.contains(&version) {
            continue;
        }
        tx.batch_execute(&format!("SET LOCAL search_path TO {s}"))
            .await
            .map_err(|e| pg_err("set search_path", e))?;
        tx.batch_execute(migration)
            .await
            .map_err(|e| pg_err(&format!("migration {version:04}_{name}"), e))?;
        tx.execute(
            &format!("INSERT INTO {s}.schema_migrations (version, name) VALUES ($1, $2)"),
            &[&version, &name],
        )
        .await
        .map_err(|e| pg_err("record migration", e))?;
        tracing::info!(schema = %sql.schema, version, name, "applied FIX store migration");
    }
    tx.commit()
        .await
        .map_err(|e| pg_err("commit migrations", e))
}

/// A column of a row, as a typed error rather than a panic if the schema is
/// not what this code expects.
fn column<'a, T: tokio_postgres::types::FromSql<'a>>(
    row: &'a tokio_postgres::Row,
    idx: usize,
) -> Result<T, StoreError> {
    row.try_get(idx).map_err(|e| pg_err("unexpected column", e))
}

fn to_db(seq: u64) -> Result<i64, StoreError> {
    i64::try_from(seq)
        .map_err(|_| StoreError::Postgres(format!("sequence number {seq} does not fit a BIGINT")))
}

fn from_db(seq: i64) -> Result<u64, StoreError> {
    u64::try_from(seq)
        .map_err(|_| StoreError::Postgres(format!("negative sequence number {seq} in the store")))
}

/// A `tokio_postgres` error with what was being done, and the server's
/// message when there is one (the plain `Display` is often just "db error").
fn pg_err(what: &str, e: tokio_postgres::Error) -> StoreError {
    let detail = match e.as_db_error() {
        Some(db) => db.to_string(),
        None => error_chain(&e),
    };
    StoreError::Postgres(format!("{what}: {detail}"))
}

/// An error and its sources, `: `-separated ("error connecting to server:
/// Connection refused").
fn error_chain(e: &(dyn std::error::Error + 'static)) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        let s_text = s.to_string();
        if !text.ends_with(&s_text) {
            text.push_str(": ");
            text.push_str(&s_text);
        }
        source = s.source();
    }
    text
}
