//! Small helpers shared by the shell: clocks, hashes, file names.

use sha2::{Digest, Sha256};

/// Seconds since the Unix epoch, now.
pub fn unix_now() -> i64 {
    let d = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap_or_default();
    i64::try_from(d.as_secs()).unwrap_or(i64::MAX)
}

/// UTC calendar date and time of a Unix time: (year, month, day, hour, minute, second).
pub fn civil_utc(unix_seconds: i64) -> (i64, u32, u32, u32, u32, u32) {
    let (y, m, d) = crate::formats::x12::writer::time::civil_from_days(unix_seconds.div_euclid(86_400));
    let secs = unix_seconds.rem_euclid(86_400);
    let (m, d) = (u32::try_from(m).unwrap_or(1), u32::try_from(d).unwrap_or(1));
    (y, m, d, (secs / 3600) as u32, ((secs % 3600) / 60) as u32, (secs % 60) as u32)
}

/// (`YYYYMMDD`, `HHMMSS`) in UTC.
pub fn datetime_compact(unix_seconds: i64) -> (String, String) {
    let (y, mo, d, h, mi, s) = civil_utc(unix_seconds);
    (format!("{y:04}{mo:02}{d:02}"), format!("{h:02}{mi:02}{s:02}"))
}

/// RFC 3339 text of a store timestamp (microseconds since the epoch), UTC.
pub fn rfc3339_micros(micros: i64) -> String {
    let (y, mo, d, h, mi, s) = civil_utc(micros.div_euclid(1_000_000));
    format!("{y:04}-{mo:02}-{d:02}T{h:02}:{mi:02}:{s:02}Z")
}

/// Lower-case hex SHA-256.
pub fn sha256_hex(bytes: &[u8]) -> String {
    hex_digest(Sha256::digest(bytes))
}

/// The hex of a finished SHA-256.
pub fn sha256_finish(h: Sha256) -> String {
    hex_digest(h.finalize())
}

fn hex_digest(digest: impl IntoIterator<Item = u8>) -> String {
    let mut s = String::with_capacity(64);
    for b in digest {
        s.push(char::from(b"0123456789abcdef"[usize::from(b >> 4)]));
        s.push(char::from(b"0123456789abcdef"[usize::from(b & 15)]));
    }
    s
}

/// A file name with anything outside `[A-Za-z0-9._-]` replaced by `_`,
/// never empty, never starting with a dot.
///
/// ```
/// use dropgate::util::safe_file_name;
/// assert_eq!(safe_file_name("855 for PO/17.edi"), "855_for_PO_17.edi");
/// assert_eq!(safe_file_name(".hidden"), "_hidden");
/// ```
pub fn safe_file_name(name: &str) -> String {
    let mut out: String =
        name.chars().map(|c| if c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-') { c } else { '_' }).collect();
    while out.starts_with('.') {
        out.replace_range(..1, "_");
    }
    if out.is_empty() {
        out.push('_');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn civil_dates() {
        assert_eq!(civil_utc(0), (1970, 1, 1, 0, 0, 0));
        assert_eq!(datetime_compact(1_795_420_800), ("20261123".to_string(), "080000".to_string()));
        assert_eq!(civil_utc(951_782_400), (2000, 2, 29, 0, 0, 0));
        assert_eq!(civil_utc(-1), (1969, 12, 31, 23, 59, 59));
    }

    #[test]
    fn hashes_and_names() {
        assert_eq!(sha256_hex(b"abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
        assert_eq!(safe_file_name("../a b/855.edi"), "_._a_b_855.edi");
        assert_eq!(safe_file_name(""), "_");
    }
}
