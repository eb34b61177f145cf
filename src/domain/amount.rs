//! Exact decimal amounts (quantities and prices) without floating point.

use serde::{Deserialize, Serialize};
use std::fmt;

/// A decimal number with four fraction digits, stored as an integer of
/// ten-thousandths. Enough for X12 quantities (R data type) and prices.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Amount(i64);

/// Scale of [`Amount`]: 10^4.
pub const SCALE: i64 = 10_000;

impl Amount {
    pub const ZERO: Amount = Amount(0);

    /// From the raw number of ten-thousandths.
    pub const fn from_raw(raw: i64) -> Self {
        Amount(raw)
    }
    pub const fn raw(self) -> i64 {
        self.0
    }
    pub const fn from_units(units: i64) -> Self {
        Amount(units * SCALE)
    }
    /// From a number of cents (two implied decimals, as in TDS01).
    pub const fn from_cents(cents: i64) -> Self {
        Amount(cents * 100)
    }
    /// Whole units, when the amount has no fraction.
    pub fn whole_units(self) -> Option<i64> {
        (self.0 % SCALE == 0).then_some(self.0 / SCALE)
    }
    /// Rounded to cents, half away from zero.
    pub fn cents(self) -> i64 {
        let q = self.0 / 100;
        let r = self.0 % 100;
        if r >= 50 {
            q + 1
        } else if r <= -50 {
            q - 1
        } else {
            q
        }
    }
    pub fn is_zero(self) -> bool {
        self.0 == 0
    }
    pub fn checked_mul(self, other: Amount) -> Option<Amount> {
        let p = i128::from(self.0) * i128::from(other.0) / i128::from(SCALE);
        i64::try_from(p).ok().map(Amount)
    }

    /// Parses an X12 decimal (`R` type): optional sign, digits, optional
    /// decimal point. At most four fraction digits are kept exactly; more
    /// are refused. `None` when the text is not a number.
    pub fn parse(text: &str) -> Option<Amount> {
        Self::parse_ascii(text.trim().as_bytes())
    }

    /// [`Amount::parse`] of bytes that are already trimmed: one pass, no
    /// UTF-8 check (anything but ASCII digits, sign and point is refused).
    #[inline]
    pub fn parse_ascii(b: &[u8]) -> Option<Amount> {
        let (neg, digits) = match b.first()? {
            b'-' => (true, &b[1..]),
            b'+' => (false, &b[1..]),
            _ => (false, b),
        };
        let mut int: i64 = 0;
        let mut int_len = 0usize;
        let mut i = 0;
        while let Some(&d) = digits.get(i) {
            if !d.is_ascii_digit() {
                break;
            }
            if int_len < 14 {
                int = int * 10 + i64::from(d - b'0');
            }
            int_len += 1;
            i += 1;
        }
        let frac = match digits.get(i) {
            None => &[][..],
            Some(b'.') => &digits[i + 1..],
            Some(_) => return None,
        };
        if int_len == 0 && frac.is_empty() {
            return None;
        }
        if !frac.iter().all(u8::is_ascii_digit) {
            return None;
        }
        let mut frac_len = frac.len();
        while frac_len > 0 && frac[frac_len - 1] == b'0' {
            frac_len -= 1;
        }
        if frac_len > 4 || int_len > 14 {
            return None;
        }
        let mut f: i64 = 0;
        for (k, &d) in frac[..frac_len].iter().enumerate() {
            f += i64::from(d - b'0') * [1000, 100, 10, 1][k];
        }
        let v = int * SCALE + f;
        Some(Amount(if neg { -v } else { v }))
    }

    /// X12 `R` representation: no trailing zeros, no leading `+`, no
    /// decimal point for whole numbers (`12`, `12.5`, `-0.25`).
    pub fn to_x12(self) -> String {
        self.to_string()
    }
}

impl fmt::Display for Amount {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let neg = self.0 < 0;
        let abs = self.0.unsigned_abs();
        let int = abs / SCALE as u64;
        let frac = abs % SCALE as u64;
        if neg {
            f.write_str("-")?;
        }
        if frac == 0 {
            write!(f, "{int}")
        } else {
            let s = format!("{frac:04}");
            write!(f, "{int}.{}", s.trim_end_matches('0'))
        }
    }
}

impl Serialize for Amount {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.to_string())
    }
}

impl<'de> Deserialize<'de> for Amount {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Repr {
            S(String),
            I(i64),
            F(f64),
        }
        match Repr::deserialize(d)? {
            Repr::S(s) => {
                Amount::parse(&s).ok_or_else(|| serde::de::Error::custom(format!("not a decimal number: {s:?}")))
            }
            Repr::I(i) => {
                i.checked_mul(SCALE).map(Amount).ok_or_else(|| serde::de::Error::custom("number out of range"))
            }
            Repr::F(x) => Amount::parse(&format!("{x}"))
                .ok_or_else(|| serde::de::Error::custom(format!("not a decimal number: {x}"))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// The reading `parse` had before it worked on bytes, kept to check
    /// that both agree.
    fn parse_by_str(text: &str) -> Option<Amount> {
        let t = text.trim();
        let (neg, digits) = match t.as_bytes().first()? {
            b'-' => (true, &t[1..]),
            b'+' => (false, &t[1..]),
            _ => (false, t),
        };
        if digits.is_empty() {
            return None;
        }
        let (int, frac) = match digits.find('.') {
            Some(i) => (&digits[..i], &digits[i + 1..]),
            None => (digits, ""),
        };
        if int.is_empty() && frac.is_empty() {
            return None;
        }
        if !int.bytes().all(|b| b.is_ascii_digit()) || !frac.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        let frac = frac.trim_end_matches('0');
        if frac.len() > 4 || int.len() > 14 {
            return None;
        }
        let mut v: i64 = if int.is_empty() { 0 } else { int.parse().ok()? };
        v = v.checked_mul(SCALE)?;
        let mut f: i64 = 0;
        for (i, b) in frac.bytes().enumerate() {
            f += i64::from(b - b'0') * 10_i64.pow(3 - i as u32);
        }
        v = v.checked_add(f)?;
        Some(Amount(if neg { -v } else { v }))
    }

    proptest! {
        #[test]
        fn parse_agrees_with_the_str_reading(t in "[ 0-9.+-]{0,20}|[0-9]{0,16}(\\.[0-9]{0,6})?|.{0,8}") {
            prop_assert_eq!(Amount::parse(&t), parse_by_str(&t));
        }
    }

    #[test]
    fn parses_and_prints() {
        for (t, out) in [
            ("12", "12"),
            ("12.50", "12.5"),
            ("-0.25", "-0.25"),
            (".5", "0.5"),
            ("120.6", "120.6"),
            ("0", "0"),
            ("+3", "3"),
            ("1.", "1"),
            (" 7.50 ", "7.5"),
            ("00012.34000", "12.34"),
            ("-.0001", "-0.0001"),
            ("99999999999999", "99999999999999"),
        ] {
            assert_eq!(Amount::parse(t).unwrap().to_string(), out, "{t}");
        }
        for bad in [
            "",
            "-",
            ".",
            "-.",
            "+",
            "--5",
            "+-5",
            "1.2.3",
            "abc",
            "1e5",
            "1.23456",
            "1 2",
            "1.-2",
            "123456789012345",
            "٣",
        ] {
            assert!(Amount::parse(bad).is_none(), "{bad}");
        }
        assert_eq!(Amount::parse("3").unwrap().whole_units(), Some(3));
        assert_eq!(Amount::parse("3.5").unwrap().whole_units(), None);
        assert_eq!(Amount::parse("19.995").unwrap().cents(), 2000);
        assert_eq!(Amount::parse("2.5").unwrap().checked_mul(Amount::from_units(3)).unwrap().to_string(), "7.5");
    }
}
