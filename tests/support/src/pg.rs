//! PostgreSQL for tests: the test server's URL (`FIXGW_TEST_PG_URL`, or the
//! local default that `scripts/test.sh` starts), a client on it, and
//! [`TestSchema`], a schema (or a schema name prefix) of one test's own,
//! named uniquely per test and process so that tests run in parallel, and
//! dropped when the guard drops.
//!
//! A test that needs PostgreSQL fails, never skips, when the server is not
//! reachable: the panic names the URL and how to start it. Only
//! [`TestSchema::try_create`] returns the error, for benchmarks that may
//! run without a database.

use std::sync::atomic::{AtomicU64, Ordering};

/// The URL used when `FIXGW_TEST_PG_URL` is not set.
pub const DEFAULT_URL: &str = "host=127.0.0.1 port=5432 user=postgres dbname=test";

/// The test server: `FIXGW_TEST_PG_URL`, else [`DEFAULT_URL`].
pub fn url() -> String {
    std::env::var("FIXGW_TEST_PG_URL").unwrap_or_else(|_| DEFAULT_URL.to_owned())
}

/// The test server could not be reached.
#[derive(Debug, thiserror::Error)]
#[error(
    "PostgreSQL is not reachable at {url:?}: {source} (set FIXGW_TEST_PG_URL, or run \
     scripts/test.sh, which starts PostgreSQL on 127.0.0.1:5432 and creates the `test` database)"
)]
pub struct Unreachable {
    pub url: String,
    #[source]
    pub source: tokio_postgres::Error,
}

/// A client on the test server, its connection driven by a tokio task.
pub async fn try_client() -> Result<tokio_postgres::Client, Unreachable> {
    let url = url();
    match tokio_postgres::connect(&url, tokio_postgres::NoTls).await {
        Ok((client, conn)) => {
            tokio::spawn(conn);
            Ok(client)
        }
        Err(source) => Err(Unreachable { url, source }),
    }
}

/// [`try_client`], panicking (failing the test) when the server is down.
pub async fn client() -> tokio_postgres::Client {
    try_client().await.unwrap_or_else(|e| panic!("{e}"))
}

/// Schema names leave room for what the code under test appends to a
/// prefix (the gateway adds `fixgw_journal`): PostgreSQL cuts names at 63.
const MAX_NAME: usize = 40;

/// `label` (lower-cased, `[a-z0-9_]` only, cut short) followed by the
/// process id, a counter and the clock's nanoseconds: unique per test and
/// process, and a valid unquoted identifier.
pub fn unique_name(label: &str) -> String {
    static NEXT: AtomicU64 = AtomicU64::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    let suffix = format!(
        "_{}_{}_{}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed),
        nanos % 1_000_000
    );
    let mut name: String = label
        .chars()
        .map(|c| match c.to_ascii_lowercase() {
            c @ ('a'..='z' | '0'..='9' | '_') => c,
            _ => '_',
        })
        .collect();
    if !name.starts_with(|c: char| c.is_ascii_lowercase() || c == '_') {
        name.insert(0, 't');
    }
    name.truncate(MAX_NAME.saturating_sub(suffix.len() + 1));
    name.push_str(&suffix);
    name
}

/// What a [`TestSchema`] drops.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Scope {
    /// The schema of that name.
    Schema,
    /// Every schema whose name starts with it.
    Prefix,
}

/// One test's schema, or schema name prefix, on the test server: dropped
/// (with everything in it) when this drops. If the test failed (the
/// thread is panicking), it is kept for a look and its name printed.
#[derive(Debug)]
pub struct TestSchema {
    name: String,
    scope: Scope,
}

impl TestSchema {
    /// Creates a fresh schema named after `label`; panics (failing the
    /// test) if the server is not reachable.
    pub async fn create(label: &str) -> TestSchema {
        Self::try_create(label)
            .await
            .unwrap_or_else(|e| panic!("{e}"))
    }

    /// [`create`](Self::create), returning the error instead.
    pub async fn try_create(label: &str) -> Result<TestSchema, Unreachable> {
        let name = unique_name(label);
        let client = try_client().await?;
        client
            .batch_execute(&format!("CREATE SCHEMA \"{name}\""))
            .await
            .unwrap_or_else(|e| panic!("create the test schema {name}: {e}"));
        Ok(TestSchema {
            name,
            scope: Scope::Schema,
        })
    }

    /// A fresh schema name for code under test that creates the schema
    /// itself (nothing is created here); dropped with the guard.
    pub fn reserve(label: &str) -> TestSchema {
        TestSchema {
            name: unique_name(label),
            scope: Scope::Schema,
        }
    }

    /// A schema name prefix for code that creates its own schemas (the
    /// gateway's `postgres_schema_prefix`): nothing is created; every
    /// schema whose name starts with it is dropped with the guard. The
    /// prefix ends in `_` and is at most 40 characters.
    pub fn prefix(label: &str) -> TestSchema {
        let mut name = unique_name(label);
        name.push('_');
        TestSchema {
            name,
            scope: Scope::Prefix,
        }
    }

    /// The schema's name (or the prefix).
    pub fn name(&self) -> &str {
        &self.name
    }

    async fn drop_now(name: &str, scope: Scope) -> Result<(), String> {
        let client = try_client().await.map_err(|e| e.to_string())?;
        let names = match scope {
            Scope::Schema => vec![name.to_owned()],
            Scope::Prefix => client
                .query(
                    "SELECT nspname::text FROM pg_namespace WHERE left(nspname, $1) = $2",
                    &[&(name.len() as i32), &name],
                )
                .await
                .map_err(|e| e.to_string())?
                .iter()
                .map(|row| row.get::<_, String>(0))
                .collect(),
        };
        for n in names {
            client
                .batch_execute(&format!("DROP SCHEMA IF EXISTS \"{n}\" CASCADE"))
                .await
                .map_err(|e| format!("drop schema {n}: {e}"))?;
        }
        Ok(())
    }
}

impl Drop for TestSchema {
    fn drop(&mut self) {
        if std::thread::panicking() {
            eprintln!("test schema {} kept: the test failed", self.name);
            return;
        }
        let (name, scope) = (self.name.clone(), self.scope);
        // A thread and runtime of its own: this may run inside a tokio
        // runtime, which cannot be blocked on.
        let dropped = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .map_err(|e| e.to_string())?;
            rt.block_on(Self::drop_now(&name, scope))
        })
        .join();
        match dropped {
            Ok(Ok(())) => {}
            Ok(Err(e)) => eprintln!("test schema {} not dropped: {e}", self.name),
            Err(_) => eprintln!("test schema {} not dropped: the thread panicked", self.name),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_unique_short_identifiers() {
        let a = unique_name("Journal Suite: very long label indeed, much longer than forty");
        let b = unique_name("Journal Suite: very long label indeed, much longer than forty");
        assert_ne!(a, b);
        assert!(a.len() < MAX_NAME, "{a}");
        assert!(a.starts_with("journal_suite__very"), "{a}");
        assert!(a.chars().all(|c| c.is_ascii_alphanumeric() || c == '_'));
        assert!(unique_name("9lives").starts_with("t9lives_"));
        let p = TestSchema::prefix("e2e_restart");
        assert!(p.name().ends_with('_') && p.name().len() <= MAX_NAME);
        std::mem::forget(p);
    }

    #[tokio::test]
    async fn a_schema_and_a_prefix_are_dropped_with_their_guard() {
        let exists = |name: String| async move {
            client()
                .await
                .query_opt("SELECT 1 FROM pg_namespace WHERE nspname = $1", &[&name])
                .await
                .expect("query pg_namespace")
                .is_some()
        };
        let schema = TestSchema::create("guard").await;
        let name = schema.name().to_owned();
        assert!(exists(name.clone()).await);
        drop(schema);
        assert!(!exists(name).await);

        let reserved = TestSchema::reserve("guard");
        let name = reserved.name().to_owned();
        assert!(!exists(name.clone()).await);
        client()
            .await
            .batch_execute(&format!("CREATE SCHEMA \"{name}\""))
            .await
            .expect("create");
        drop(reserved);
        assert!(!exists(name).await);

        let prefix = TestSchema::prefix("guard");
        let made = [format!("{}a", prefix.name()), format!("{}b", prefix.name())];
        for n in &made {
            client()
                .await
                .batch_execute(&format!("CREATE SCHEMA \"{n}\""))
                .await
                .expect("create");
        }
        drop(prefix);
        for n in made {
            assert!(!exists(n).await);
        }
    }
}
