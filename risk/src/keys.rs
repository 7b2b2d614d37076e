//! Order keys: a 128-bit fingerprint of (account, ClOrdID), so that the
//! duplicate-ClOrdID set and the open-order book store 16 bytes per order
//! and hash it for free, instead of hashing 90 bytes of identifiers.
//!
//! Two independent 64-bit multiply-xorshift lanes over the bytes (with a
//! separator and the lengths mixed in) make an accidental collision
//! between two live orders about as likely as 2^-100; a collision would
//! show as a false "duplicate ClOrdID" reject, never as a lost check.

use std::hash::{BuildHasherDefault, Hasher};

use crate::types::{AccountId, ClOrdId};

/// Fingerprint of (account, ClOrdID).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(crate) struct OrderKey(u128);

const K1: u64 = 0x9E37_79B9_7F4A_7C15;
const K2: u64 = 0xBF58_476D_1CE4_E5B9;
const K3: u64 = 0x94D0_49BB_1331_11EB;

#[inline]
fn fmix(mut x: u64) -> u64 {
    x ^= x >> 30;
    x = x.wrapping_mul(K2);
    x ^= x >> 27;
    x = x.wrapping_mul(K3);
    x ^ (x >> 31)
}

impl OrderKey {
    /// A 64-bit digest, for the day's ClOrdID set: half the memory of the
    /// full key, so fewer cache misses. Two of a day's million orders
    /// share one with probability about 3e-8 (a false duplicate reject,
    /// never a missed check).
    #[inline]
    pub(crate) fn short(self) -> u64 {
        (self.0 as u64) ^ ((self.0 >> 64) as u64)
    }

    /// The key of an order.
    pub(crate) fn new(account: AccountId, id: ClOrdId) -> OrderKey {
        let (mut a, mut b) = (K1, K3);
        let mut mix = |x: u64| {
            a = (a ^ x).wrapping_mul(K2).rotate_left(31);
            b = (b ^ x.rotate_left(17)).wrapping_mul(K1).rotate_left(27) ^ a;
        };
        for part in [account.as_bytes(), id.as_bytes()] {
            for chunk in part.chunks(8) {
                let mut buf = [0u8; 8];
                buf[..chunk.len()].copy_from_slice(chunk);
                mix(u64::from_le_bytes(buf));
            }
            mix(0xFF00_0000_0000_0000 | part.len() as u64);
        }
        OrderKey((u128::from(fmix(a)) << 64) | u128::from(fmix(b ^ a.rotate_left(32))))
    }
}

/// 64-bit fingerprint of an order's parameters (account, instrument,
/// side, quantity, price), for the same-parameters duplicate check: the
/// scan over recent orders compares one word per order, and only a match
/// is confirmed field by field.
pub(crate) fn params_fingerprint(
    account: AccountId,
    symbol: crate::types::Symbol,
    side: crate::types::Side,
    qty: i64,
    price: Option<rust_decimal::Decimal>,
) -> u64 {
    let mut h = K1;
    let mut mix = |x: u64| h = (h ^ x).wrapping_mul(K2).rotate_left(29);
    for part in [account.as_bytes(), symbol.as_bytes()] {
        for chunk in part.chunks(8) {
            let mut buf = [0u8; 8];
            buf[..chunk.len()].copy_from_slice(chunk);
            mix(u64::from_le_bytes(buf));
        }
        mix(0xFF00_0000_0000_0000 | part.len() as u64);
    }
    mix(side as u64);
    mix(qty as u64);
    if let Some(p) = price {
        let b = p.normalize().serialize();
        let mut lo = [0u8; 8];
        let mut hi = [0u8; 8];
        lo.copy_from_slice(&b[..8]);
        hi.copy_from_slice(&b[8..]);
        mix(u64::from_le_bytes(lo));
        mix(u64::from_le_bytes(hi));
    }
    fmix(h)
}

/// Hasher for keys that are already well mixed: takes the bits as they are.
#[derive(Default)]
pub(crate) struct PassThrough(u64);

impl Hasher for PassThrough {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        for chunk in bytes.chunks(8) {
            let mut buf = [0u8; 8];
            buf[..chunk.len()].copy_from_slice(chunk);
            self.0 = (self.0 ^ u64::from_le_bytes(buf)).rotate_left(5);
        }
    }

    fn write_u128(&mut self, i: u128) {
        self.0 ^= (i as u64) ^ ((i >> 64) as u64);
    }
}

/// Build-hasher for [`OrderKey`] maps and sets.
pub(crate) type KeyHash = BuildHasherDefault<PassThrough>;

/// A fast, deterministic hasher for the short identifiers (symbols,
/// accounts, desks) that key the engine's tables: the Fx algorithm, one
/// multiply per 8 bytes. The keys come from configuration, so hash
/// flooding is not a concern; an unknown id in an order only probes.
#[derive(Default)]
pub struct IdHasher(u64);

impl Hasher for IdHasher {
    #[inline]
    fn finish(&self) -> u64 {
        fmix(self.0)
    }

    #[inline]
    fn write(&mut self, bytes: &[u8]) {
        for chunk in bytes.chunks(8) {
            let mut buf = [0u8; 8];
            buf[..chunk.len()].copy_from_slice(chunk);
            self.0 = (self.0.rotate_left(5) ^ u64::from_le_bytes(buf)).wrapping_mul(K1);
        }
    }

    #[inline]
    fn write_u8(&mut self, i: u8) {
        self.0 = (self.0.rotate_left(5) ^ u64::from(i)).wrapping_mul(K1);
    }

    #[inline]
    fn write_usize(&mut self, i: usize) {
        self.0 = (self.0.rotate_left(5) ^ i as u64).wrapping_mul(K1);
    }
}

/// Build-hasher for identifier-keyed tables.
pub type IdHash = BuildHasherDefault<IdHasher>;

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn keys_differ_for_different_orders_and_split_points() {
        let k =
            |a: &str, c: &str| OrderKey::new(AccountId::new(a).unwrap(), ClOrdId::new(c).unwrap());
        assert_eq!(k("A", "1"), k("A", "1"));
        assert_ne!(k("A", "1"), k("B", "1"));
        assert_ne!(k("AB", "C"), k("A", "BC"));
        let mut set = HashSet::new();
        for acc in ["ACC1", "ACC2", "X"] {
            for i in 0..100_000 {
                assert!(
                    set.insert(k(acc, &format!("ORD-{i}"))),
                    "collision at {acc} {i}"
                );
            }
        }
    }
}
