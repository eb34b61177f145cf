//! Laid-out slips → one PDF. A wave is one document: the font is embedded
//! once (subset to the glyphs the wave uses), each logo once however many
//! slips show it; barcodes and QR codes are vector rectangles.

use super::content::Content;
use super::font::fonts;
use super::layout::{self, baseline, Op};
use super::model::Rgb;
use super::{Look, Paper, Slip, SlipError};
use krilla::color::rgb;
use krilla::destination::XyzDestination;
use krilla::geom::{PathBuilder, Point, Rect, Size, Transform};
use krilla::graphic::Graphic;
use krilla::num::NormalizedF32;
use krilla::outline::{Outline, OutlineNode};
use krilla::page::PageSettings;
use krilla::paint::{Fill, FillRule};
use krilla::surface::Surface;
use krilla::{Document, SerializeSettings};
use krilla_svg::{SurfaceExt, SvgSettings};
use std::collections::{BTreeSet, HashMap};

/// What adding one slip to a wave gave.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Placed {
    /// 0-based index of its first page in the document.
    pub first_page: usize,
    pub pages: usize,
    /// Characters the font has no glyph for, printed as `?`.
    pub missing: BTreeSet<char>,
    /// Where the wholesaler's name was taken out.
    pub redacted: Vec<String>,
    /// The PO number has characters a Code 128 barcode cannot carry.
    pub no_barcode: bool,
    /// The QR text is too long for a QR code.
    pub no_qr: bool,
}

/// A PDF of slips being written.
pub struct Wave {
    doc: Document,
    paper: Paper,
    hidden: Vec<String>,
    pages: usize,
    slips: usize,
    outline: Outline,
    svg: HashMap<(u64, u32, u32), Graphic>,
}

impl Wave {
    /// A new wave on `paper`. Text matching any of `hidden` (the
    /// wholesaler's names) never appears on a slip.
    pub fn new(paper: Paper, hidden: Vec<String>) -> Wave {
        let settings = SerializeSettings {
            // Slips are printed, not read aloud: no structure tree, no XMP.
            enable_tagging: false,
            xmp_metadata: false,
            ..SerializeSettings::default()
        };
        let mut doc = Document::new_with(settings);
        doc.set_metadata(krilla::metadata::Metadata::new().title("Packing slips".into()));
        Wave { doc, paper, hidden, pages: 0, slips: 0, outline: Outline::new(), svg: HashMap::new() }
    }

    pub fn pages(&self) -> usize {
        self.pages
    }

    pub fn slips(&self) -> usize {
        self.slips
    }

    /// Adds one slip (one or more pages).
    pub fn add(&mut self, slip: &Slip, look: &Look) -> Placed {
        let mut redacted = Vec::new();
        let content = Content::new(slip, look, &self.hidden, &mut redacted);
        let laid = layout::lay_out(&content, look, self.paper);
        let first_page = self.pages;
        let (pw, ph) = laid.page_size;
        for ops in &laid.pages {
            let Some(settings) = PageSettings::from_wh(pw, ph) else { continue };
            let mut page = self.doc.start_page_with(settings);
            let mut surface = page.surface();
            draw(&mut surface, ops, look, &mut self.svg);
            surface.finish();
            page.finish();
            self.pages += 1;
        }
        let title = if slip.reprint {
            format!("{} {} (reprint)", look.name, slip.po_number)
        } else {
            format!("{} {}", look.name, slip.po_number)
        };
        self.outline.push_child(OutlineNode::new(title, XyzDestination::new(first_page, Point::from_xy(0.0, 0.0))));
        self.slips += 1;
        Placed {
            first_page,
            pages: laid.pages.len(),
            missing: laid.missing,
            redacted,
            no_barcode: laid.no_barcode,
            no_qr: laid.no_qr,
        }
    }

    /// The PDF bytes.
    pub fn finish(mut self) -> Result<Vec<u8>, SlipError> {
        if self.slips > 1 {
            self.doc.set_outline(std::mem::take(&mut self.outline));
        }
        self.doc.finish().map_err(|e| SlipError::Pdf(format!("{e:?}")))
    }
}

/// Laid-out content as a PDF of its own (confirmations and invoices), with
/// the characters the font could not show.
pub(super) fn document(
    content: &Content,
    look: &Look,
    paper: Paper,
    title: &str,
) -> Result<(Vec<u8>, BTreeSet<char>), SlipError> {
    let settings = SerializeSettings { enable_tagging: false, xmp_metadata: false, ..SerializeSettings::default() };
    let mut doc = Document::new_with(settings);
    doc.set_metadata(krilla::metadata::Metadata::new().title(title.to_string()));
    let laid = layout::lay_out(content, look, paper);
    let (pw, ph) = laid.page_size;
    let mut svg = HashMap::new();
    for ops in &laid.pages {
        let Some(settings) = PageSettings::from_wh(pw, ph) else { continue };
        let mut page = doc.start_page_with(settings);
        let mut surface = page.surface();
        draw(&mut surface, ops, look, &mut svg);
        surface.finish();
        page.finish();
    }
    let bytes = doc.finish().map_err(|e| SlipError::Pdf(format!("{e:?}")))?;
    Ok((bytes, laid.missing))
}

fn fill(surface: &mut Surface<'_>, c: Rgb) {
    surface.set_fill(Some(Fill {
        paint: rgb::Color::new(c.0, c.1, c.2).into(),
        opacity: NormalizedF32::ONE,
        rule: FillRule::NonZero,
    }));
}

fn draw(surface: &mut Surface<'_>, ops: &[Op], look: &Look, svg: &mut HashMap<(u64, u32, u32), Graphic>) {
    let f = fonts();
    let mut current: Option<Rgb> = None;
    let set = |surface: &mut Surface<'_>, current: &mut Option<Rgb>, c: Rgb| {
        if *current != Some(c) {
            fill(surface, c);
            *current = Some(c);
        }
    };
    for op in ops {
        match op {
            Op::Text { x, y, line, weight, size, color } => {
                if line.glyphs.is_empty() {
                    continue;
                }
                set(surface, &mut current, *color);
                let face = f.face(*weight);
                let start = Point::from_xy(*x, baseline(face, *y, *size));
                surface.draw_glyphs(start, &line.glyphs, face.pdf_font().clone(), &line.text, *size, false);
            }
            Op::Rect { x, y, w, h, color } => {
                if let Some(r) = Rect::from_xywh(*x, *y, *w, *h) {
                    let mut pb = PathBuilder::new();
                    pb.push_rect(r);
                    if let Some(path) = pb.finish() {
                        set(surface, &mut current, *color);
                        surface.draw_path(&path);
                    }
                }
            }
            Op::Bars { x, y, h, module, bars } => {
                let mut pb = PathBuilder::new();
                for (start, len) in &bars.bars {
                    if let Some(r) = Rect::from_xywh(x + f32::from(*start) * module, *y, f32::from(*len) * module, *h) {
                        pb.push_rect(r);
                    }
                }
                if let Some(path) = pb.finish() {
                    set(surface, &mut current, Rgb(0, 0, 0));
                    surface.draw_path(&path);
                }
            }
            Op::Qr { x, y, module, qr } => {
                let mut pb = PathBuilder::new();
                for (row, col, len) in qr.runs() {
                    // A hair taller than a module, so rows print without seams.
                    let r = Rect::from_xywh(
                        x + col as f32 * module,
                        y + row as f32 * module,
                        len as f32 * module,
                        module + 0.05,
                    );
                    if let Some(r) = r {
                        pb.push_rect(r);
                    }
                }
                if let Some(path) = pb.finish() {
                    set(surface, &mut current, Rgb(0, 0, 0));
                    surface.draw_path(&path);
                }
            }
            Op::Logo { x, y, w, h } => {
                let Some(logo) = &look.logo else { continue };
                let Some(size) = Size::from_wh(*w, *h) else { continue };
                surface.push_transform(&Transform::from_translate(*x, *y));
                if let Some(image) = logo.raster() {
                    surface.draw_image(image.clone(), size);
                } else if let Some(tree) = logo.svg() {
                    let key = (logo.key(), w.to_bits(), h.to_bits());
                    let graphic = match svg.get(&key) {
                        Some(g) => g.clone(),
                        None => {
                            let mut sb = surface.stream_builder();
                            let mut s = sb.surface();
                            let settings = SvgSettings { embed_text: false, ..SvgSettings::default() };
                            let _ = s.draw_svg(tree, size, settings);
                            s.finish();
                            let g = Graphic::new(sb.finish(), false);
                            svg.insert(key, g.clone());
                            g
                        }
                    };
                    surface.draw_graphic(graphic);
                }
                surface.pop();
                // The logo may have set its own colours.
                current = None;
            }
        }
    }
}
