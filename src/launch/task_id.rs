//! Task ids: 12 characters of lowercase Crockford base32. The first 8 encode
//! milliseconds since 2020-01-01 UTC (so ids sort by start time until 2054),
//! the last 4 are random (20 bits), so concurrent runs do not collide.

const ALPHABET: &[u8; 32] = b"0123456789abcdefghjkmnpqrstvwxyz";
/// 2020-01-01T00:00:00Z in Unix milliseconds.
const EPOCH_MS: u64 = 1_577_836_800_000;

/// Encode an id from a Unix time in milliseconds and 20 random bits.
pub fn encode(unix_ms: u64, random: u32) -> String {
    let ms = unix_ms.saturating_sub(EPOCH_MS) & ((1 << 40) - 1);
    let value: u64 = (ms << 20) | u64::from(random & 0xF_FFFF);
    (0..12)
        .rev()
        .map(|i| ALPHABET[((value >> (i * 5)) & 31) as usize] as char)
        .collect()
}

/// A fresh id for a run starting now.
pub fn new_task_id() -> String {
    let unix_ms = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0);
    encode(unix_ms, random_bits())
}

fn random_bits() -> u32 {
    let mut buf = [0u8; 4];
    let n = rustix::rand::getrandom(&mut buf, rustix::rand::GetRandomFlags::NONBLOCK);
    if n.is_ok_and(|n| n == buf.len()) {
        u32::from_ne_bytes(buf)
    } else {
        // No entropy yet (early boot): pid and clock still separate runs.
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.subsec_nanos())
            .unwrap_or(0);
        std::process::id().wrapping_mul(2_654_435_761) ^ nanos
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_12_chars_and_sort_by_time() {
        let a = encode(1_763_700_000_000, 0xF_FFFF);
        let b = encode(1_763_700_000_001, 0);
        assert_eq!(a.len(), 12);
        assert!(a < b, "{a} < {b}");
        assert!(a.bytes().all(|c| ALPHABET.contains(&c)));
    }

    #[test]
    fn random_part_separates_same_millisecond() {
        assert_ne!(encode(1_763_700_000_000, 1), encode(1_763_700_000_000, 2));
    }
}
