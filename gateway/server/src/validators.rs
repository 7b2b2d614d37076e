//! Dictionary validators per BeginString.

pub use fix_engine::session::standard_validator as for_begin_string;
