//! Barcodes as modules: Code 128 of the PO number (bars), and a QR code
//! when the retailer's profile asks for one. Both renderers draw these
//! as vector rectangles.

/// A row of Code 128 modules, without quiet zones.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Bars {
    /// Module count, quiet zones excluded.
    pub modules: usize,
    /// Bars as (first module, width in modules).
    pub bars: Vec<(u16, u16)>,
}

/// Modules on each side that must stay blank for a scanner (ISO/IEC 15417: 10).
pub const QUIET_MODULES: usize = 10;

/// The Code 128 symbol for `text`, or `None` when the text is empty or has
/// a character outside printable ASCII (code set B carries 32–126).
/// Runs of digits use code set C, which halves their width.
pub fn code128(text: &str) -> Option<Bars> {
    let data = code128_data(text)?;
    let encoded = barcoders::sym::code128::Code128::new(&data).ok()?.encode();
    let mut bars = Vec::new();
    let mut i = 0;
    while i < encoded.len() {
        if encoded[i] == 1 {
            let start = i;
            while i < encoded.len() && encoded[i] == 1 {
                i += 1;
            }
            bars.push((u16::try_from(start).ok()?, u16::try_from(i - start).ok()?));
        } else {
            i += 1;
        }
    }
    Some(Bars { modules: encoded.len(), bars })
}

/// The text with barcoders' code set switches: `Ɓ` for set B, `Ć` for set C.
fn code128_data(text: &str) -> Option<String> {
    let b = text.as_bytes();
    if b.is_empty() || b.len() > 80 || !b.iter().all(|c| (32..=126).contains(c)) {
        return None;
    }
    let n = b.len();
    let mut out = String::with_capacity(n + 4);
    let mut in_c = None::<bool>;
    let mut i = 0;
    while i < n {
        let run = b[i..].iter().take_while(|c| c.is_ascii_digit()).count();
        let at_start = i == 0;
        let at_end = i + run == n;
        let worth_c = run >= 6 || (run >= 4 && (at_start || at_end)) || (run == n && run >= 2 && run % 2 == 0);
        if worth_c && run % 2 == 0 {
            if in_c != Some(true) {
                out.push('Ć');
                in_c = Some(true);
            }
            out.push_str(&text[i..i + run]);
            i += run;
        } else {
            // One character in set B (for an odd run of digits, the first
            // one; the rest is then an even run for set C).
            if in_c != Some(false) {
                out.push('Ɓ');
                in_c = Some(false);
            }
            out.push(char::from(b[i]));
            i += 1;
        }
    }
    Some(out)
}

/// A QR code: `width` × `width` modules, row by row (true = dark), without
/// the quiet zone (4 modules).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Qr {
    pub width: usize,
    pub dark: Vec<bool>,
}

impl Qr {
    /// Dark runs as (row, first column, length): what gets drawn.
    pub fn runs(&self) -> Vec<(usize, usize, usize)> {
        let mut out = Vec::new();
        for (row, cells) in self.dark.chunks(self.width.max(1)).enumerate() {
            let mut x = 0;
            while x < cells.len() {
                if cells[x] {
                    let start = x;
                    while x < cells.len() && cells[x] {
                        x += 1;
                    }
                    out.push((row, start, x - start));
                } else {
                    x += 1;
                }
            }
        }
        out
    }
}

/// The QR code of a text (error correction level M), or `None` when it is
/// too long for a QR code.
pub fn qr(text: &str) -> Option<Qr> {
    if text.is_empty() {
        return None;
    }
    let code = qrcode::QrCode::with_error_correction_level(text.as_bytes(), qrcode::EcLevel::M).ok()?;
    let width = code.width();
    let dark = code.to_colors().into_iter().map(|c| c == qrcode::Color::Dark).collect();
    Some(Qr { width, dark })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn code_sets_follow_the_digits() {
        assert_eq!(code128_data("DEMO-1001").as_deref(), Some("ƁDEMO-Ć1001"));
        assert_eq!(code128_data("4500012345").as_deref(), Some("Ć4500012345"));
        assert_eq!(code128_data("12345").as_deref(), Some("Ɓ1Ć2345"));
        assert_eq!(code128_data("A1B2").as_deref(), Some("ƁA1B2"));
        assert_eq!(code128_data("PO123456X").as_deref(), Some("ƁPOĆ123456ƁX"));
        assert_eq!(code128_data("7").as_deref(), Some("Ɓ7"));
        assert_eq!(code128_data(""), None);
        assert_eq!(code128_data("Zoë-1"), None, "not printable ASCII");
    }

    #[test]
    fn symbols_have_start_and_stop() {
        for po in ["DEMO-1001", "4500012345", "12345", "x", "PO 2026/11-23 #7", "T7Fd9Zn54"] {
            let b = code128(po).unwrap_or_else(|| panic!("{po}"));
            // Every symbol character is 11 modules, the stop 13.
            assert_eq!((b.modules - 13) % 11, 0, "{po}");
            assert_eq!(b.bars.first().map(|x| x.0), Some(0), "starts with a bar");
            let last = b.bars.last().unwrap();
            assert_eq!(usize::from(last.0 + last.1), b.modules, "ends with the stop bar");
        }
        // Set C packs digits two to a symbol character.
        assert!(code128("4500012345").unwrap().modules < code128("A500012345").unwrap().modules);
        assert_eq!(code128("Zoë"), None);
    }

    #[test]
    fn qr_codes() {
        let q = qr("https://acme.example/returns?po=T7Fd9Zn54").unwrap();
        assert_eq!(q.dark.len(), q.width * q.width);
        assert!(q.width >= 21);
        assert!(!q.runs().is_empty());
        assert!(qr(&"x".repeat(5000)).is_none());
    }
}
