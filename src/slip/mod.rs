//! Blind packing slips: pure layout, no I/O.
//!
//! (a [`Slip`], the retailer's [`Look`], the bundled font) → PDF bytes
//! ([`Wave`], one document for a whole wave of slips) or HTML ([`html`],
//! the same content, for the web page and e-mail). A slip carries the
//! retailer's name, logo, return address and messages, and nothing of the
//! wholesaler: names given as hidden are taken out of any text, and a
//! slip line has no field for the wholesale price at all.
//!
//! - [`model`]: the slip and the look;
//! - [`content`]: the words both renderers show;
//! - [`text`], [`font`]: shaping and line breaking with the bundled font;
//! - [`barcode`]: Code 128 and QR modules;
//! - [`logo`]: PNG, JPEG and SVG logos, checked once;
//! - `layout`, `pdf`, [`html`]: the renderers;
//! - [`documents`]: order confirmations, shipment confirmations and
//!   invoices for retailers that take PDFs, in the same look and layout.

pub mod barcode;
pub mod content;
pub mod documents;
pub mod font;
pub mod html;
mod layout;
pub mod logo;
pub mod model;
mod pdf;
pub mod text;

pub use logo::{Logo, LogoError, LogoFormat};
pub use model::{address_lines, LineState, Look, Rgb, Slip, SlipLine};
pub use pdf::{Placed, Wave};

use serde::{Deserialize, Serialize};

/// Paper size of the slips.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Paper {
    /// US Letter, 8.5 × 11 in.
    #[default]
    Letter,
    /// A4, 210 × 297 mm.
    A4,
}

impl Paper {
    /// Width and height in points.
    pub fn size(self) -> (f32, f32) {
        match self {
            Paper::Letter => (612.0, 792.0),
            Paper::A4 => (595.28, 841.89),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum SlipError {
    #[error("the PDF could not be written: {0}")]
    Pdf(String),
}

/// One slip as a PDF of its own (a preview).
pub fn pdf(slip: &Slip, look: &Look, paper: Paper, hidden: Vec<String>) -> Result<(Vec<u8>, Placed), SlipError> {
    let mut w = Wave::new(paper, hidden);
    let placed = w.add(slip, look);
    Ok((w.finish()?, placed))
}

/// A drawn thing's box on its page: x, y (from the top), width, height, in points.
pub type OpBox = (f32, f32, f32, f32);

/// The layout's page boxes, for checks: every operation of every page,
/// and the page size.
pub fn boxes(slip: &Slip, look: &Look, paper: Paper) -> (Vec<Vec<OpBox>>, (f32, f32)) {
    let mut redacted = Vec::new();
    let c = content::Content::new(slip, look, &[], &mut redacted);
    let laid = layout::lay_out(&c, look, paper);
    (laid.pages.iter().map(|p| p.iter().map(layout::Op::bbox).collect()).collect(), laid.page_size)
}
