//! End-to-end tests live in `tests/tests/`: real sockets, TLS and PostgreSQL.
#![forbid(unsafe_code)]
