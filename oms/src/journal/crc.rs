//! CRC-32 (IEEE 802.3, the zlib/PNG polynomial) for the file journal's
//! frames, computed by `crc32fast` (SIMD where the CPU has it): catches
//! torn and garbled writes; the hash chain, not the CRC, is what detects
//! deliberate tampering.

/// CRC-32 of `data`.
pub fn crc32(data: &[u8]) -> u32 {
    crc32fast::hash(data)
}

#[cfg(test)]
mod tests {
    #[test]
    fn known_vector() {
        assert_eq!(super::crc32(b"123456789"), 0xCBF4_3926);
        assert_eq!(super::crc32(b""), 0);
    }
}
