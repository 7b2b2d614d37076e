//! Dictionary validators per BeginString, built once.

use fix_engine::session::MessageValidator;
use std::sync::Arc;

/// The validator for sessions with this BeginString.
pub fn for_begin_string(_begin: &str) -> Option<Arc<dyn MessageValidator>> {
    None
}
