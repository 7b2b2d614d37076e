//! The FIX tag=value codec on our hot path: framing a byte stream into
//! messages, a zero-copy parsed [`Message`], and the [`MessageBuilder`]
//! encoder.
//!
//! Why not fefix's decoder: fefix 0.7's `tagvalue::Decoder` allocates per
//! message, panics or misreports on some malformed inputs, and cannot resync
//! after a wrong BodyLength the way counterparties expect (QuickFIX-compatible
//! resynchronisation is what the acceptance suite checks). We keep fefix for
//! the data dictionaries and field types (see `fix-dictionaries` and
//! `validate`), and do framing, parsing and encoding here, where a message is
//! one buffer plus a small index of field offsets.

mod builder;
mod frame;
mod message;
pub mod time;

pub use builder::{checksum, encode_message, MessageBuilder};
pub use frame::{FrameError, Framer};
pub use message::{Field, Message, ParseError};

/// The field separator.
pub const SOH: u8 = 0x01;
