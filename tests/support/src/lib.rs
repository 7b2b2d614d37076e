//! Helpers shared by the tests of more than one crate, so that each lives
//! once: the test database and per-test schemas (`pg`), risk engine
//! configuration fixtures (`risk`), FIX test clients and field getters
//! (`fix`), and in-process simulated venues (`venue`).
//!
//! A dev-dependency only (`publish = false`). It may depend on the
//! workspace's libraries but never on `gateway`, and exposes no type of
//! `oms` or `risk`, so that those crates' own unit tests can use it too.
//! Helpers panic with a message naming what went wrong: they serve tests.
//! Each module but `risk` is behind a cargo feature of its name, so that a
//! crate's tests build only the dependencies they use.
#![forbid(unsafe_code)]

#[cfg(feature = "fix")]
pub mod fix;
#[cfg(feature = "pg")]
pub mod pg;
pub mod risk;
#[cfg(feature = "venue")]
pub mod venue;
