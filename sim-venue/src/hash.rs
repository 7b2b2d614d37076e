//! A fast, non-cryptographic hasher (the FxHash scheme: rotate, xor,
//! multiply, eight bytes at a time) for the venue's internal maps, whose
//! keys are order ids, account names and ClOrdIDs. Not resistant to hash
//! flooding: acceptable for a simulator, not for an internet-facing venue.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

const K: u64 = 0x517c_c1b7_2722_0a95;

/// FxHash-style hasher.
#[derive(Default, Clone, Copy)]
pub(crate) struct FastHasher(u64);

impl FastHasher {
    #[inline]
    fn add(&mut self, w: u64) {
        self.0 = (self.0.rotate_left(5) ^ w).wrapping_mul(K);
    }
}

impl Hasher for FastHasher {
    /// Ends with the murmur3 64-bit finalizer: the multiply-rotate steps
    /// only carry entropy upwards, while hashbrown picks buckets from the
    /// low bits, so without it short keys that differ in their later bytes
    /// (`c1`, `c2`, ... ClOrdIDs) collide.
    #[inline]
    fn finish(&self) -> u64 {
        let mut h = self.0;
        h ^= h >> 33;
        h = h.wrapping_mul(0xff51_afd7_ed55_8ccd);
        h ^= h >> 33;
        h = h.wrapping_mul(0xc4ce_b9fe_1a85_ec53);
        h ^ (h >> 33)
    }
    #[inline]
    fn write(&mut self, bytes: &[u8]) {
        let mut chunks = bytes.chunks_exact(8);
        for c in &mut chunks {
            let mut b = [0u8; 8];
            b.copy_from_slice(c);
            self.add(u64::from_le_bytes(b));
        }
        let rest = chunks.remainder();
        if !rest.is_empty() {
            let mut b = [0u8; 8];
            b[..rest.len()].copy_from_slice(rest);
            self.add(u64::from_le_bytes(b));
        }
    }
    #[inline]
    fn write_u8(&mut self, n: u8) {
        self.add(u64::from(n));
    }
    #[inline]
    fn write_u16(&mut self, n: u16) {
        self.add(u64::from(n));
    }
    #[inline]
    fn write_u32(&mut self, n: u32) {
        self.add(u64::from(n));
    }
    #[inline]
    fn write_u64(&mut self, n: u64) {
        self.add(n);
    }
    #[inline]
    fn write_usize(&mut self, n: usize) {
        self.add(n as u64);
    }
}

/// A HashMap with [`FastHasher`].
pub(crate) type FastMap<K, V> = HashMap<K, V, BuildHasherDefault<FastHasher>>;

#[cfg(test)]
mod tests {
    use super::*;
    use std::hash::Hash;

    fn h<T: Hash>(t: T) -> u64 {
        let mut s = FastHasher::default();
        t.hash(&mut s);
        s.finish()
    }

    #[test]
    fn distinguishes_nearby_keys() {
        assert_ne!(h("ABC"), h("ABD"));
        assert_ne!(h("ABCDEFGH1"), h("ABCDEFGH2"));
        assert_ne!(h(1u64), h(2u64));
        let mut m: FastMap<String, u32> = FastMap::default();
        for i in 0..1000 {
            m.insert(format!("c{i}"), i);
        }
        assert_eq!(m["c999"], 999);
    }

    #[test]
    fn low_bits_spread_for_sequential_short_strings() {
        // Bucket index = low bits: 4096 keys over 4096 buckets should
        // fill most of them (a bad hash fills a handful).
        let used: std::collections::HashSet<u64> =
            (0..4096).map(|i| h(format!("c{i}")) & 4095).collect();
        assert!(used.len() > 2400, "{}", used.len());
        let used: std::collections::HashSet<u64> = (0..4096u64).map(|i| h(i) & 4095).collect();
        assert!(used.len() > 2400, "{}", used.len());
    }
}
