//! A retailer's logo: PNG, JPEG or SVG bytes, checked and parsed once per
//! wave, then drawn on every slip of the retailer (one image object in the
//! PDF however many slips show it).

use krilla::geom::Size;
use krilla::image::Image;
use std::hash::{Hash, Hasher};
use std::sync::{Arc, LazyLock};

/// Largest logo file taken.
pub const MAX_LOGO_BYTES: usize = 2 * 1024 * 1024;
/// Largest raster logo, in pixels on either side.
pub const MAX_LOGO_PIXELS: usize = 4096;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LogoFormat {
    Png,
    Jpeg,
    Svg,
}

impl LogoFormat {
    pub fn mime(self) -> &'static str {
        match self {
            LogoFormat::Png => "image/png",
            LogoFormat::Jpeg => "image/jpeg",
            LogoFormat::Svg => "image/svg+xml",
        }
    }
}

/// Why logo bytes cannot be used.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum LogoError {
    #[error("the file is empty")]
    Empty,
    #[error("the file has {0} bytes; a logo may have at most {MAX_LOGO_BYTES}")]
    TooLarge(usize),
    #[error("it is not a PNG, JPEG or SVG file")]
    UnknownFormat,
    #[error("the image is {0}×{1} pixels; a logo may have at most {MAX_LOGO_PIXELS} on either side")]
    TooManyPixels(usize, usize),
    #[error("the {0} cannot be read: {1}")]
    Corrupt(&'static str, String),
}

#[derive(Clone)]
enum Inner {
    Raster(Image),
    Svg(Arc<usvg::Tree>),
}

/// A logo ready to draw.
#[derive(Clone)]
pub struct Logo {
    format: LogoFormat,
    /// Intrinsic size (pixels, or the SVG's user units): only the aspect
    /// ratio matters, the slip fits the logo into its box.
    width: f32,
    height: f32,
    key: u64,
    bytes: Arc<[u8]>,
    inner: Inner,
}

impl std::fmt::Debug for Logo {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Logo({:?}, {}×{}, {} bytes)", self.format, self.width, self.height, self.bytes.len())
    }
}

/// Options for SVG logos: the bundled font for any text in them, and no
/// access to files (an `<image href>` to a path is ignored).
static SVG_OPTIONS: LazyLock<usvg::Options<'static>> = LazyLock::new(|| {
    let mut db = usvg::fontdb::Database::new();
    db.load_font_data(super::font::REGULAR_TTF.to_vec());
    db.load_font_data(super::font::BOLD_TTF.to_vec());
    db.set_sans_serif_family("DejaVu Sans");
    db.set_serif_family("DejaVu Sans");
    let mut o = usvg::Options { font_family: "DejaVu Sans".into(), fontdb: Arc::new(db), ..usvg::Options::default() };
    o.image_href_resolver.resolve_string = Box::new(|_, _| None);
    o
});

impl Logo {
    /// Checks and parses logo bytes. The format is taken from the content,
    /// not from a file name.
    pub fn parse(bytes: &[u8]) -> Result<Logo, LogoError> {
        if bytes.is_empty() {
            return Err(LogoError::Empty);
        }
        if bytes.len() > MAX_LOGO_BYTES {
            return Err(LogoError::TooLarge(bytes.len()));
        }
        let format = sniff(bytes).ok_or(LogoError::UnknownFormat)?;
        let mut h = std::collections::hash_map::DefaultHasher::new();
        bytes.hash(&mut h);
        let key = h.finish();
        let shared: Arc<[u8]> = Arc::from(bytes);
        let (inner, width, height) = match format {
            LogoFormat::Svg => {
                let tree =
                    usvg::Tree::from_data(bytes, &SVG_OPTIONS).map_err(|e| LogoError::Corrupt("SVG", e.to_string()))?;
                let s = tree.size();
                (Inner::Svg(Arc::new(tree)), s.width(), s.height())
            }
            LogoFormat::Png | LogoFormat::Jpeg => {
                let what = if format == LogoFormat::Png { "PNG" } else { "JPEG" };
                let size = imagesize::blob_size(bytes).map_err(|e| LogoError::Corrupt(what, e.to_string()))?;
                if size.width == 0 || size.height == 0 {
                    return Err(LogoError::Corrupt(what, "it has no pixels".into()));
                }
                if size.width > MAX_LOGO_PIXELS || size.height > MAX_LOGO_PIXELS {
                    return Err(LogoError::TooManyPixels(size.width, size.height));
                }
                let data = krilla::Data::from(bytes.to_vec());
                let image =
                    if format == LogoFormat::Png { Image::from_png(data, true) } else { Image::from_jpeg(data, true) }
                        .map_err(|e| LogoError::Corrupt(what, e))?;
                check_raster(&image).map_err(|e| LogoError::Corrupt(what, e))?;
                let (w, h) = image.size();
                (Inner::Raster(image), w as f32, h as f32)
            }
        };
        Ok(Logo { format, width, height, key, bytes: shared, inner })
    }

    pub fn format(&self) -> LogoFormat {
        self.format
    }

    /// Width over height.
    pub fn aspect(&self) -> f32 {
        if self.height > 0.0 {
            self.width / self.height
        } else {
            1.0
        }
    }

    /// The original bytes (for the HTML slip).
    pub fn bytes(&self) -> &[u8] {
        &self.bytes
    }

    /// Identifies the logo's content within a document.
    pub(crate) fn key(&self) -> u64 {
        self.key
    }

    pub(crate) fn raster(&self) -> Option<&Image> {
        match &self.inner {
            Inner::Raster(i) => Some(i),
            Inner::Svg(_) => None,
        }
    }

    pub(crate) fn svg(&self) -> Option<&usvg::Tree> {
        match &self.inner {
            Inner::Svg(t) => Some(t),
            Inner::Raster(_) => None,
        }
    }
}

fn sniff(b: &[u8]) -> Option<LogoFormat> {
    if b.starts_with(b"\x89PNG\r\n\x1a\n") {
        return Some(LogoFormat::Png);
    }
    if b.starts_with(&[0xFF, 0xD8, 0xFF]) {
        return Some(LogoFormat::Jpeg);
    }
    if b.starts_with(&[0x1F, 0x8B]) {
        // svgz
        return Some(LogoFormat::Svg);
    }
    let head = &b[..b.len().min(1024)];
    let text = String::from_utf8_lossy(head);
    let t = text.trim_start_matches('\u{feff}').trim_start();
    (t.starts_with("<?xml") || t.starts_with("<svg") || t.starts_with("<!--") || t.starts_with("<!DOCTYPE svg"))
        .then_some(LogoFormat::Svg)
        .filter(|_| text.contains("<svg"))
}

/// A raster image decodes when the PDF is written; a damaged one would
/// fail the whole wave then. Writing it once into a scratch document
/// finds that out up front.
fn check_raster(image: &Image) -> Result<(), String> {
    let mut doc = krilla::Document::new();
    {
        let Some(settings) = krilla::page::PageSettings::from_wh(10.0, 10.0) else {
            return Err("page size".into());
        };
        let mut page = doc.start_page_with(settings);
        let mut surface = page.surface();
        if let Some(size) = Size::from_wh(10.0, 10.0) {
            surface.draw_image(image.clone(), size);
        }
        surface.finish();
        page.finish();
    }
    doc.finish().map(|_| ()).map_err(|e| format!("{e:?}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fixture(name: &str) -> Vec<u8> {
        std::fs::read(std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/brand").join(name)).unwrap()
    }

    #[test]
    fn fixture_logos_parse() {
        let png = Logo::parse(&fixture("acme-logo.png")).unwrap();
        assert_eq!(png.format(), LogoFormat::Png);
        assert!(png.aspect() > 2.0, "{png:?}");
        let svg = Logo::parse(&fixture("acme-logo.svg")).unwrap();
        assert_eq!(svg.format(), LogoFormat::Svg);
        assert!(svg.aspect() > 2.0, "{svg:?}");
    }

    #[test]
    fn bad_logos_are_refused_with_a_reason() {
        assert_eq!(Logo::parse(b"").unwrap_err(), LogoError::Empty);
        assert_eq!(Logo::parse(b"GIF89a....").unwrap_err(), LogoError::UnknownFormat);
        assert!(matches!(Logo::parse(&vec![b' '; MAX_LOGO_BYTES + 1]), Err(LogoError::TooLarge(_))));
        // A PNG cut short after its header: the size reads, the pixels do not.
        let png = fixture("acme-logo.png");
        let cut = &png[..png.len() / 2];
        assert!(matches!(Logo::parse(cut), Err(LogoError::Corrupt("PNG", _))), "{:?}", Logo::parse(cut));
        // A PNG header claiming 100000 × 10 pixels.
        let mut huge = png.clone();
        huge[16..20].copy_from_slice(&100_000u32.to_be_bytes());
        assert!(matches!(Logo::parse(&huge), Err(LogoError::TooManyPixels(100_000, _))));
        assert!(matches!(
            Logo::parse(b"<svg xmlns='http://www.w3.org/2000/svg'><g>"),
            Err(LogoError::Corrupt("SVG", _))
        ));
        assert!(matches!(Logo::parse(&[0xFF, 0xD8, 0xFF, 0xE0, 0, 0]), Err(LogoError::Corrupt("JPEG", _))));
    }
}
