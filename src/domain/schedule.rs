//! Five-field cron expressions (`minute hour day-of-month month
//! day-of-week`) in a retailer's time zone, and when they are next due.
//!
//! Fields take `*`, numbers, ranges `a-b`, steps `*/n` and `a-b/n`, and
//! lists `a,b`; months and weekdays also take English names (`jan`,
//! `mon`); weekday 0 and 7 are Sunday. As in cron, when both day fields
//! are restricted a day matches either.
//!
//! A schedule is a sequence of wall-clock times. Across daylight saving
//! changes each of them is due once, never twice and never not at all: a
//! time that falls in the hour skipped in spring is due at the moment the
//! clocks jump (02:30 in New York on the second Sunday of March is due at
//! 03:00 EDT); a time that occurs twice in autumn is due at its first
//! occurrence only.

use jiff::civil::DateTime;
use jiff::tz::{AmbiguousOffset, TimeZone};
use jiff::{Timestamp, ToSpan};

/// A parsed cron expression.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Cron {
    minutes: u64,
    hours: u32,
    days: u32,
    months: u16,
    weekdays: u8,
    days_restricted: bool,
    weekdays_restricted: bool,
    text: String,
}

const MONTHS: [&str; 12] = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"];
const DAYS: [&str; 7] = ["sun", "mon", "tue", "wed", "thu", "fri", "sat"];

fn value(text: &str, names: &[&str], base: u32) -> Option<u32> {
    if let Ok(n) = text.parse::<u32>() {
        return Some(n);
    }
    let t = text.to_ascii_lowercase();
    names.iter().position(|n| *n == t).map(|i| u32::try_from(i).unwrap_or(0) + base)
}

/// One field as a bit set of the values `lo..=hi`.
fn field(text: &str, lo: u32, hi: u32, names: &[&str], base: u32, what: &str) -> Result<(u64, bool), String> {
    let mut bits = 0u64;
    let mut restricted = true;
    for part in text.split(',') {
        let (range, step) = match part.split_once('/') {
            Some((r, s)) => {
                let s: u32 = s
                    .parse()
                    .ok()
                    .filter(|s| *s > 0)
                    .ok_or_else(|| format!("{what}: step {s:?} is not a number above 0"))?;
                (r, s)
            }
            None => (part, 1),
        };
        let (a, b) = if range == "*" {
            if step == 1 && text == "*" {
                restricted = false;
            }
            (lo, hi)
        } else if let Some((a, b)) = range.split_once('-') {
            let a = value(a, names, base).ok_or_else(|| format!("{what}: {a:?} is not a value"))?;
            let b = value(b, names, base).ok_or_else(|| format!("{what}: {b:?} is not a value"))?;
            (a, b)
        } else {
            let a = value(range, names, base).ok_or_else(|| format!("{what}: {range:?} is not a value"))?;
            (a, if step > 1 { hi } else { a })
        };
        if a < lo || b > hi || a > b {
            return Err(format!("{what}: {part:?} is outside {lo}-{hi}"));
        }
        let mut v = a;
        while v <= b {
            bits |= 1 << v;
            v += step;
        }
    }
    Ok((bits, restricted))
}

impl Cron {
    pub fn parse(text: &str) -> Result<Cron, String> {
        let parts: Vec<&str> = text.split_whitespace().collect();
        if parts.len() != 5 {
            return Err(format!(
                "cron {text:?}: expected five fields (minute hour day-of-month month day-of-week), e.g. \"0 18 * * *\""
            ));
        }
        let e = |r: Result<(u64, bool), String>| r.map_err(|e| format!("cron {text:?}: {e}"));
        let (minutes, _) = e(field(parts[0], 0, 59, &[], 0, "minute"))?;
        let (hours, _) = e(field(parts[1], 0, 23, &[], 0, "hour"))?;
        let (days, days_restricted) = e(field(parts[2], 1, 31, &[], 0, "day of month"))?;
        let (months, _) = e(field(parts[3], 1, 12, &MONTHS, 1, "month"))?;
        let (mut weekdays, weekdays_restricted) = e(field(parts[4], 0, 7, &DAYS, 0, "day of week"))?;
        if weekdays & (1 << 7) != 0 {
            weekdays |= 1;
        }
        #[allow(clippy::cast_possible_truncation)]
        Ok(Cron {
            minutes,
            hours: hours as u32,
            days: days as u32,
            months: months as u16,
            weekdays: (weekdays & 0x7f) as u8,
            days_restricted,
            weekdays_restricted,
            text: text.to_string(),
        })
    }

    pub fn as_str(&self) -> &str {
        &self.text
    }

    fn day_matches(&self, dt: DateTime) -> bool {
        let dom = self.days & (1 << dt.day()) != 0;
        let dow = self.weekdays & (1 << dt.weekday().to_sunday_zero_offset()) != 0;
        match (self.days_restricted, self.weekdays_restricted) {
            (true, true) => dom || dow,
            (true, false) => dom,
            (false, true) => dow,
            (false, false) => true,
        }
    }

    /// The first wall-clock minute after `after` (a civil time) that matches.
    pub fn next_civil(&self, after: DateTime) -> Option<DateTime> {
        let mut t = after.with().second(0).subsec_nanosecond(0).build().ok()?.checked_add(1.minute()).ok()?;
        let limit = after.checked_add(8.years()).ok()?;
        while t <= limit {
            if self.months & (1 << t.month()) == 0 {
                t = t.first_of_month().checked_add(1.month()).ok()?.start_of_day();
            } else if !self.day_matches(t) {
                t = t.date().tomorrow().ok()?.to_datetime(jiff::civil::Time::midnight());
            } else if self.hours & (1 << t.hour()) == 0 {
                t = t.with().minute(0).build().ok()?.checked_add(1.hour()).ok()?;
            } else if self.minutes & (1 << t.minute()) == 0 {
                t = t.checked_add(1.minute()).ok()?;
            } else {
                return Some(t);
            }
        }
        None
    }

    /// When the schedule is next due after the instant `after`, in `tz`.
    pub fn next_after(&self, tz: &TimeZone, after: Timestamp) -> Option<Timestamp> {
        let mut civil = tz.to_datetime(after);
        for _ in 0..10_000 {
            let n = self.next_civil(civil)?;
            let due = resolve(tz, n)?;
            if due > after {
                return Some(due);
            }
            civil = n;
        }
        None
    }

    /// The latest time due in `(after, now]`, if any: what a scheduler
    /// that was not running in between runs once.
    pub fn latest_due(&self, tz: &TimeZone, after: Timestamp, now: Timestamp) -> Option<Timestamp> {
        // Look back from `now` in growing windows, so that a long outage
        // does not walk through every occurrence it missed.
        let mut window = jiff::SignedDuration::from_hours(1);
        loop {
            let start = now.checked_sub(window).ok().filter(|s| *s > after).unwrap_or(after);
            if self.next_after(tz, start).is_some_and(|d| d <= now) {
                let (mut last, mut t) = (None, start);
                while let Some(d) = self.next_after(tz, t).filter(|d| *d <= now) {
                    last = Some(d);
                    t = d;
                }
                return last;
            }
            if start == after {
                return None;
            }
            window = window.checked_mul(2)?;
        }
    }
}

/// The instant of a wall-clock time: the earlier one when it occurs twice,
/// the moment the clocks jump when it does not occur at all.
fn resolve(tz: &TimeZone, dt: DateTime) -> Option<Timestamp> {
    let amb = tz.to_ambiguous_timestamp(dt);
    match amb.offset() {
        AmbiguousOffset::Unambiguous { offset } | AmbiguousOffset::Fold { before: offset, .. } => {
            offset.to_timestamp(dt).ok()
        }
        AmbiguousOffset::Gap { after, .. } => {
            // With the offset after the gap, the time lies before the jump.
            let before_jump = after.to_timestamp(dt).ok()?;
            tz.following(before_jump).next().map(|t| t.timestamp())
        }
    }
}

/// A time zone by IANA name (`America/New_York`, `Europe/Berlin`, `UTC`).
pub fn zone(name: &str) -> Result<TimeZone, String> {
    TimeZone::get(name).map_err(|e| format!("time zone {name:?}: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ts(s: &str) -> Timestamp {
        s.parse().unwrap()
    }

    /// Every due time from `from` until `to`.
    fn runs(cron: &str, tz: &str, from: &str, to: &str) -> Vec<String> {
        let c = Cron::parse(cron).unwrap();
        let tz = zone(tz).unwrap();
        let (mut t, end) = (ts(from), ts(to));
        let mut out = Vec::new();
        while let Some(d) = c.next_after(&tz, t) {
            if d > end {
                break;
            }
            out.push(d.to_zoned(tz.clone()).strftime("%Y-%m-%d %H:%M %Z").to_string());
            t = d;
        }
        out
    }

    #[test]
    fn parses_and_refuses() {
        assert!(Cron::parse("0 18 * * *").is_ok());
        assert!(Cron::parse("*/15 8-18 * * mon-fri").is_ok());
        assert!(Cron::parse("0 0 1,15 jan,jul 0").is_ok());
        for bad in ["0 18 * *", "60 * * * *", "0 24 * * *", "0 0 0 * *", "*/0 * * * *", "0 0 * 13 *", "x * * * *"] {
            let e = Cron::parse(bad).unwrap_err();
            assert!(e.contains(bad), "{e}");
        }
    }

    #[test]
    fn spring_forward_in_new_york_neither_skips_nor_repeats() {
        // 2026-03-08: 02:00 EST jumps to 03:00 EDT.
        assert_eq!(
            runs("30 2 * * *", "America/New_York", "2026-03-06T12:00:00Z", "2026-03-10T05:00:00Z"),
            ["2026-03-07 02:30 EST", "2026-03-08 03:00 EDT", "2026-03-09 02:30 EDT"]
        );
        assert_eq!(
            runs("*/30 1-3 * * *", "America/New_York", "2026-03-08T05:00:00Z", "2026-03-08T09:00:00Z"),
            ["2026-03-08 01:00 EST", "2026-03-08 01:30 EST", "2026-03-08 03:00 EDT", "2026-03-08 03:30 EDT"]
        );
    }

    #[test]
    fn fall_back_in_new_york_runs_once() {
        // 2026-11-01: 02:00 EDT falls back to 01:00 EST.
        assert_eq!(
            runs("30 1 * * *", "America/New_York", "2026-10-31T12:00:00Z", "2026-11-02T05:00:00Z"),
            ["2026-11-01 01:30 EDT"]
        );
        assert_eq!(
            runs("0 * * * *", "America/New_York", "2026-11-01T03:30:00Z", "2026-11-01T08:30:00Z"),
            ["2026-11-01 00:00 EDT", "2026-11-01 01:00 EDT", "2026-11-01 02:00 EST", "2026-11-01 03:00 EST"]
        );
    }

    #[test]
    fn berlin_changes() {
        // 2026-03-29: 02:00 CET → 03:00 CEST; 2026-10-25: 03:00 CEST → 02:00 CET.
        assert_eq!(
            runs("15 2 * * *", "Europe/Berlin", "2026-03-28T00:00:00Z", "2026-03-30T12:00:00Z"),
            ["2026-03-28 02:15 CET", "2026-03-29 03:00 CEST", "2026-03-30 02:15 CEST"]
        );
        assert_eq!(
            runs("15 2 * * *", "Europe/Berlin", "2026-10-24T12:00:00Z", "2026-10-26T12:00:00Z"),
            ["2026-10-25 02:15 CEST", "2026-10-26 02:15 CET"]
        );
    }

    #[test]
    fn missed_runs_collapse_into_one() {
        let c = Cron::parse("0 * * * *").unwrap();
        let tz = zone("UTC").unwrap();
        let d = c.latest_due(&tz, ts("2026-11-01T03:10:00Z"), ts("2026-11-01T07:20:00Z"));
        assert_eq!(d, Some(ts("2026-11-01T07:00:00Z")));
        assert_eq!(c.latest_due(&tz, ts("2026-11-01T03:10:00Z"), ts("2026-11-01T03:50:00Z")), None);
        let d = c.latest_due(&tz, ts("2026-01-01T00:10:00Z"), ts("2026-11-01T07:20:00Z"));
        assert_eq!(d, Some(ts("2026-11-01T07:00:00Z")), "a long outage");
        let c = Cron::parse("0 0 1 1 *").unwrap();
        assert_eq!(
            c.latest_due(&tz, ts("2024-06-01T00:00:00Z"), ts("2026-11-01T07:20:00Z")),
            Some(ts("2026-01-01T00:00:00Z"))
        );
    }
}
