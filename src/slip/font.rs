//! The bundled font: DejaVu Sans, regular and bold (see
//! `assets/fonts/PROVENANCE.md`). Both faces are parsed once per process,
//! for shaping (rustybuzz, with a shaping plan per script made up front)
//! and for embedding (krilla, which subsets the font once per document).

use krilla::text::{Font, GlyphId, KrillaGlyph};
use rustybuzz::{script, Direction, Script, ShapePlan, UnicodeBuffer};
use std::cell::RefCell;
use std::sync::LazyLock;

/// DejaVu Sans 2.37.
pub static REGULAR_TTF: &[u8] = include_bytes!("../../assets/fonts/DejaVuSans.ttf");
/// DejaVu Sans Bold 2.37.
pub static BOLD_TTF: &[u8] = include_bytes!("../../assets/fonts/DejaVuSans-Bold.ttf");

/// Regular or bold.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Weight {
    Regular,
    Bold,
}

/// One face, ready to shape and to embed.
pub struct Face {
    shaper: rustybuzz::Face<'static>,
    plans: Vec<(Script, ShapePlan)>,
    pdf: Font,
    units_per_em: f32,
    /// Ascender and descender (negative) in em.
    pub ascender: f32,
    pub descender: f32,
}

/// The two faces of the bundled font.
pub struct Fonts {
    pub regular: Face,
    pub bold: Face,
}

impl Fonts {
    pub fn face(&self, w: Weight) -> &Face {
        match w {
            Weight::Regular => &self.regular,
            Weight::Bold => &self.bold,
        }
    }
}

static FONTS: LazyLock<Fonts> =
    LazyLock::new(|| Fonts { regular: Face::load(REGULAR_TTF), bold: Face::load(BOLD_TTF) });

/// The bundled fonts, parsed on first use.
pub fn fonts() -> &'static Fonts {
    &FONTS
}

thread_local! {
    /// A shaping buffer kept between calls, so shaping a run allocates
    /// only its result.
    static BUFFER: RefCell<Option<UnicodeBuffer>> = const { RefCell::new(None) };
}

impl Face {
    fn load(data: &'static [u8]) -> Face {
        // The bytes are built in and checked by the tests below: failing
        // here is a build defect, not bad input.
        let shaper = rustybuzz::Face::from_slice(data, 0).expect("the bundled font parses for shaping");
        let pdf = Font::new(krilla::Data::from(data), 0).expect("the bundled font parses for embedding");
        let units_per_em = shaper.units_per_em() as f32;
        let plans = [script::LATIN, script::GREEK, script::CYRILLIC, script::COMMON]
            .into_iter()
            .map(|s| (s, ShapePlan::new(&shaper, Direction::LeftToRight, Some(s), None, &[])))
            .collect();
        Face {
            ascender: f32::from(shaper.ascender()) / units_per_em,
            descender: f32::from(shaper.descender()) / units_per_em,
            shaper,
            plans,
            pdf,
            units_per_em,
        }
    }

    /// The face for the PDF writer.
    pub fn pdf_font(&self) -> &Font {
        &self.pdf
    }

    /// Whether the font has a glyph for `c`.
    pub fn has_glyph(&self, c: char) -> bool {
        self.shaper.glyph_index(c).is_some()
    }

    /// Shapes one run of text, left to right. Advances and offsets are in
    /// em (krilla scales them by the font size); each glyph's text range
    /// indexes `text`.
    pub fn shape(&self, text: &str) -> Vec<KrillaGlyph> {
        if text.is_empty() {
            return Vec::new();
        }
        let mut buf = BUFFER.with(|b| b.borrow_mut().take()).unwrap_or_default();
        buf.push_str(text);
        buf.set_direction(Direction::LeftToRight);
        buf.guess_segment_properties();
        let script = buf.script();
        let out = match self.plans.iter().find(|(s, _)| *s == script) {
            Some((_, plan)) => rustybuzz::shape_with_plan(&self.shaper, plan, buf),
            None => rustybuzz::shape(&self.shaper, &[], buf),
        };
        let infos = out.glyph_infos();
        let positions = out.glyph_positions();
        let upem = self.units_per_em;
        let mut glyphs = Vec::with_capacity(infos.len());
        for (i, (info, pos)) in infos.iter().zip(positions).enumerate() {
            let start = info.cluster as usize;
            let end = infos[i + 1..]
                .iter()
                .map(|n| n.cluster as usize)
                .find(|c| *c != start)
                .unwrap_or(text.len())
                .max(start);
            glyphs.push(KrillaGlyph::new(
                GlyphId::new(info.glyph_id),
                pos.x_advance as f32 / upem,
                pos.x_offset as f32 / upem,
                pos.y_offset as f32 / upem,
                pos.y_advance as f32 / upem,
                start..end,
                None,
            ));
        }
        BUFFER.with(|b| *b.borrow_mut() = Some(out.clear()));
        glyphs
    }

    /// The width of a text at a size, in points.
    pub fn width(&self, text: &str, size: f32) -> f32 {
        self.shape(text).iter().map(|g| g.x_advance).sum::<f32>() * size
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_bundled_faces_load_and_cover_latin_greek_cyrillic() {
        let f = fonts();
        for face in [&f.regular, &f.bold] {
            for c in "aäßñøÅÆŒœčŁŽ ЖжЩщЁё λΩΣάώ €£$¥ 0123456789 –—…“”‘’•·№".chars()
            {
                assert!(c == ' ' || face.has_glyph(c), "{c:?} (U+{:04X}) has no glyph", c as u32);
            }
            assert!(!face.has_glyph('中'), "DejaVu Sans has no CJK: the check must be able to fail");
            assert!(face.ascender > 0.5 && face.descender < 0.0);
        }
    }

    #[test]
    fn shaping_gives_glyphs_with_ranges_over_the_text() {
        let f = &fonts().regular;
        let text = "Žluťoučký kůň — Жук λ";
        let glyphs = f.shape(text);
        assert!(glyphs.iter().all(|g| g.glyph_id.to_u32() != 0), "no .notdef");
        assert_eq!(glyphs.first().map(|g| g.text_range.start), Some(0));
        assert_eq!(glyphs.last().map(|g| g.text_range.end), Some(text.len()));
        for w in glyphs.windows(2) {
            assert!(w[0].text_range.end <= w[1].text_range.start || w[0].text_range == w[1].text_range);
        }
        // Kerning is applied: "AV" is narrower than "A" + "V".
        assert!(f.width("AV", 10.0) < f.width("A", 10.0) + f.width("V", 10.0));
        assert!(fonts().bold.width("Packing slip", 10.0) > f.width("Packing slip", 10.0));
        // Decomposed accents shape onto their base (one advance, marks positioned).
        assert!((f.width("e\u{301}", 10.0) - f.width("e", 10.0)).abs() < 0.01);
    }
}
