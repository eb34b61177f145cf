//! Dates and times for envelopes and documents, from Unix time, without a
//! calendar crate (days-to-civil arithmetic on the proleptic Gregorian
//! calendar).

/// 0001-01-01T00:00:00Z and 9999-12-31T23:59:59Z: what `CCYYMMDD` can hold.
const MIN_SECONDS: i64 = -62_135_596_800;
const MAX_SECONDS: i64 = 253_402_300_799;

/// `(CCYYMMDD, HHMM)` in UTC for a Unix time in seconds. Times outside the
/// years 0001–9999 are clamped to the nearest one that fits.
pub fn x12_datetime_utc(unix_seconds: i64) -> (String, String) {
    let s = unix_seconds.clamp(MIN_SECONDS, MAX_SECONDS);
    let (y, m, d) = civil_from_days(s.div_euclid(86_400));
    let secs = s.rem_euclid(86_400);
    (format!("{y:04}{m:02}{d:02}"), format!("{:02}{:02}", secs / 3600, secs % 3600 / 60))
}

/// Year, month, day of the day `days` after 1970-01-01.
pub fn civil_from_days(days: i64) -> (i64, i64, i64) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_instants() {
        for (t, date, time) in [
            (0, "19700101", "0000"),
            (59, "19700101", "0000"),
            (60, "19700101", "0001"),
            (-1, "19691231", "2359"),
            (951_782_400, "20000229", "0000"),
            (1_709_164_800, "20240229", "0000"),
            (1_735_689_599, "20241231", "2359"),
            (1_735_689_600, "20250101", "0000"),
            (4_107_542_400, "21000301", "0000"),
            (-2_208_988_800, "19000101", "0000"),
            (MIN_SECONDS, "00010101", "0000"),
            (MAX_SECONDS, "99991231", "2359"),
            (i64::MIN, "00010101", "0000"),
            (i64::MAX, "99991231", "2359"),
        ] {
            assert_eq!(x12_datetime_utc(t), (date.to_string(), time.to_string()), "{t}");
        }
    }

    #[test]
    fn every_day_follows_the_previous_one() {
        // 1899-12-31 .. 2101-01-01, checked against a plain day counter.
        let mut expected = (1899_i64, 12_i64, 31_i64);
        let start = -25_568_i64; // days from 1970-01-01 to 1899-12-31
        for day in start..start + 73_415 {
            assert_eq!(civil_from_days(day), expected, "day {day}");
            let (y, m, d) = expected;
            let leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
            let len = match m {
                4 | 6 | 9 | 11 => 30,
                2 if leap => 29,
                2 => 28,
                _ => 31,
            };
            expected = if d < len {
                (y, m, d + 1)
            } else if m < 12 {
                (y, m + 1, 1)
            } else {
                (y + 1, 1, 1)
            };
        }
    }
}
