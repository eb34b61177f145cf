//! The element widths that changed between X12 versions, for the elements
//! the writers use (as the 003040–006010 dictionaries define them). The
//! writers write 004010 unless GS08 says otherwise.

use super::builder::version_number;

/// Widths and shapes of one version.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Widths {
    version: u32,
}

impl Widths {
    /// For a GS08 value (`003050`, `004010VICS`, `005010X231A1`…); 004010
    /// when it does not start with six digits.
    pub fn of(gs08: &str) -> Widths {
        Widths { version: version_number(gs08).unwrap_or(4010) }
    }
    /// `4010` for 004010 and its industry variants.
    pub fn version(self) -> u32 {
        self.version
    }
    /// Document dates (BAK04, ACK05, BCA06…): `CCYYMMDD` from 004010 on,
    /// `YYMMDD` before.
    pub fn date(self) -> usize {
        if self.version >= 4010 {
            8
        } else {
            6
        }
    }
    /// A `CCYYMMDD` date in this version's width.
    pub fn format_date(self, ccyymmdd: &str) -> String {
        ccyymmdd[ccyymmdd.len() - self.date()..].to_string()
    }
    /// PO101 / POC01 line numbers.
    pub fn line_number(self) -> usize {
        if self.version >= 3060 {
            20
        } else {
            11
        }
    }
    /// PO102 / POC03 quantities (digits).
    pub fn quantity(self) -> usize {
        if self.version >= 4010 {
            15
        } else {
            9
        }
    }
    /// PO104 unit price (digits).
    pub fn price(self) -> usize {
        if self.version >= 3050 {
            17
        } else {
            14
        }
    }
    /// Product ids (PO107…, POC09…).
    pub fn item_id(self) -> usize {
        match self.version {
            v if v >= 3070 => 48,
            v if v >= 3050 => 40,
            _ => 30,
        }
    }
    /// REF01.
    pub fn reference_qualifier(self) -> usize {
        if self.version >= 3060 {
            3
        } else {
            2
        }
    }
    /// AK302 segment position.
    pub fn segment_position(self) -> usize {
        if self.version >= 5010 {
            10
        } else {
            6
        }
    }
    /// AK303 loop identifier.
    pub fn loop_id(self) -> usize {
        if (3070..4050).contains(&self.version) {
            6
        } else {
            4
        }
    }
    /// AK401 is a composite (position and component) from 003050 on.
    pub fn element_composite(self) -> bool {
        self.version >= 3050
    }
    /// AK401 has a repetition component from 004020 on.
    pub fn element_repetition(self) -> bool {
        self.version >= 4020
    }
    /// AK103 (version) and AK203 (implementation reference) from 004050 on.
    pub fn ack_versions(self) -> bool {
        self.version >= 4050
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn widths_by_version() {
        let w = Widths::of("004010VICS");
        assert_eq!((w.version(), w.date(), w.quantity(), w.item_id()), (4010, 8, 15, 48));
        assert_eq!(w.format_date("20240315"), "20240315");
        let w = Widths::of("003050");
        assert_eq!((w.date(), w.line_number(), w.quantity(), w.item_id()), (6, 11, 9, 40));
        assert_eq!(w.format_date("20240315"), "240315");
        assert_eq!(Widths::of("junk").version(), 4010);
        assert!(!Widths::of("003040").element_composite());
        assert!(Widths::of("005010").ack_versions());
        assert_eq!(Widths::of("005010").segment_position(), 10);
    }
}
