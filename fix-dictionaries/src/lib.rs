//! The FIX data dictionaries.
#![forbid(unsafe_code)]
