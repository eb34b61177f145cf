//! Text as laid out on a slip: cleaned against the font's coverage,
//! shaped once, broken into lines that fit a width.

use super::font::Face;
use krilla::text::KrillaGlyph;
use std::borrow::Cow;
use std::collections::BTreeSet;

/// One laid-out line: its text and glyphs (ranges index `text`).
#[derive(Clone, Debug)]
pub struct Line {
    pub text: String,
    pub glyphs: Vec<KrillaGlyph>,
    /// Advance width in em (multiply by the font size).
    pub width_em: f32,
}

impl Line {
    pub fn width(&self, size: f32) -> f32 {
        self.width_em * size
    }
}

/// Makes a text safe to set in `face`: control characters become spaces,
/// invisible format characters go, and any character the font has no
/// glyph for becomes `?` and is recorded in `missing` (a slip must never
/// show an empty box where a letter was).
pub fn clean<'a>(face: &Face, text: &'a str, missing: &mut BTreeSet<char>) -> Cow<'a, str> {
    let ok = |c: char| c == '\n' || (!c.is_control() && !is_invisible(c) && (c == ' ' || face.has_glyph(c)));
    if text.chars().all(ok) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if ok(c) {
            out.push(c);
        } else if c == '\t' || c == '\r' || c.is_whitespace() {
            out.push(' ');
        } else if c.is_control() || is_invisible(c) {
        } else {
            missing.insert(c);
            out.push('?');
        }
    }
    Cow::Owned(out)
}

/// Zero-width and direction marks, byte order marks, soft hyphens.
fn is_invisible(c: char) -> bool {
    matches!(c, '\u{00AD}' | '\u{200B}'..='\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2060}'..='\u{2064}' | '\u{FEFF}')
}

/// Breaks a (cleaned) text into lines no wider than `width` points at
/// `size`: at spaces, else after a hyphen or slash, else between
/// characters (a long e-mail address or item number still fits). Newlines
/// start new lines; blank lines are dropped.
pub fn wrap(face: &Face, size: f32, text: &str, width: f32) -> Vec<Line> {
    let mut out = Vec::new();
    for para in text.split('\n') {
        let para = para.trim();
        if para.is_empty() {
            continue;
        }
        let glyphs = face.shape(para);
        break_para(para, &glyphs, size, width.max(size), &mut out);
    }
    out
}

/// Like [`wrap`], but at most `max_lines`; a text cut short ends in `…`.
pub fn wrap_max(face: &Face, size: f32, text: &str, width: f32, max_lines: usize) -> Vec<Line> {
    let mut lines = wrap(face, size, text, width);
    if lines.len() > max_lines && max_lines > 0 {
        lines.truncate(max_lines);
        if let Some(last) = lines.last_mut() {
            let mut t = last.text.trim_end().to_string();
            loop {
                let candidate = format!("{t}…");
                if face.width(&candidate, size) <= width || t.is_empty() {
                    *last = single(face, &candidate);
                    break;
                }
                t.pop();
                t = t.trim_end().to_string();
            }
        }
    }
    lines
}

/// One line, not broken.
pub fn single(face: &Face, text: &str) -> Line {
    let glyphs = face.shape(text);
    let width_em = glyphs.iter().map(|g| g.x_advance).sum();
    Line { text: text.to_string(), glyphs, width_em }
}

fn is_space(text: &str, g: &KrillaGlyph) -> bool {
    text.get(g.text_range.clone()).is_some_and(|s| !s.is_empty() && s.chars().all(char::is_whitespace))
}

/// A line may end after a hyphen or dash, as after a space.
fn hyphen(text: &str, g: &KrillaGlyph) -> bool {
    text.get(g.text_range.clone()).is_some_and(|s| matches!(s, "-" | "–" | "—"))
}

/// Inside a word too long for the line (an e-mail address, a URL, a long
/// item number), these are better places to break than any letter.
fn in_word_break(text: &str, g: &KrillaGlyph) -> bool {
    text.get(g.text_range.clone()).is_some_and(|s| matches!(s, "/" | "@" | "_" | "." | "," | ";"))
}

fn break_para(text: &str, glyphs: &[KrillaGlyph], size: f32, width: f32, out: &mut Vec<Line>) {
    let n = glyphs.len();
    let mut start = 0;
    while start < n {
        while start < n && is_space(text, &glyphs[start]) {
            start += 1;
        }
        if start == n {
            break;
        }
        let mut x = 0.0;
        let mut end = start;
        // Where the line may end (exclusive) and the next one start.
        let mut at_space: Option<usize> = None;
        let mut at_hyphen: Option<usize> = None;
        let mut at_punct: Option<usize> = None;
        while end < n {
            let g = &glyphs[end];
            let space = is_space(text, g);
            if space {
                at_space = Some(end);
            }
            let adv = g.x_advance * size;
            if !space && x + adv > width && end > start {
                break;
            }
            x += adv;
            if !space && end + 1 < n {
                if hyphen(text, g) {
                    at_hyphen = Some(end + 1);
                } else if in_word_break(text, g) {
                    at_punct = Some(end + 1);
                }
            }
            end += 1;
        }
        if end == n {
            out.push(make_line(text, &glyphs[start..n]));
            break;
        }
        let (cut, next) = match (at_space.filter(|s| *s > start), at_hyphen.filter(|h| *h > start), at_punct) {
            (Some(s), Some(h), _) if h > s => (h, h),
            (Some(s), _, _) => (s, s + 1),
            (None, Some(h), _) => (h, h),
            (None, None, Some(p)) if p > start => (p, p),
            _ => {
                // Between characters: never inside a cluster (a letter and its accent).
                let mut c = end;
                while c > start + 1 && glyphs[c].text_range.start == glyphs[c - 1].text_range.start {
                    c -= 1;
                }
                if c == start {
                    c = start + 1;
                }
                (c, c)
            }
        };
        out.push(make_line(text, &glyphs[start..cut]));
        start = next;
    }
}

fn make_line(text: &str, glyphs: &[KrillaGlyph]) -> Line {
    let mut gl = glyphs;
    while let Some((last, rest)) = gl.split_last() {
        if is_space(text, last) {
            gl = rest;
        } else {
            break;
        }
    }
    let (Some(first), Some(last)) = (gl.first(), gl.last()) else {
        return Line { text: String::new(), glyphs: Vec::new(), width_em: 0.0 };
    };
    let from = gl.iter().map(|g| g.text_range.start).min().unwrap_or(first.text_range.start);
    let to = gl.iter().map(|g| g.text_range.end).max().unwrap_or(last.text_range.end);
    let mut owned: Vec<KrillaGlyph> = gl.to_vec();
    for g in &mut owned {
        g.text_range = (g.text_range.start - from)..(g.text_range.end - from);
    }
    Line {
        text: text.get(from..to).unwrap_or_default().to_string(),
        width_em: owned.iter().map(|g| g.x_advance).sum(),
        glyphs: owned,
    }
}

#[cfg(test)]
mod tests {
    use super::super::font::fonts;
    use super::*;

    #[test]
    fn lines_fit_and_keep_every_word() {
        let f = &fonts().regular;
        let text =
            "Ms. Anneliese Müller-Lüdenscheidt, Großbeerenstraße 123, Hinterhaus, 3. OG links, c/o Ærøskøbing Ltd";
        for width in [60.0, 120.0, 250.0, 1000.0] {
            let lines = wrap(f, 10.0, text, width);
            for l in &lines {
                assert!(l.width(10.0) <= width + 0.01, "{:?} is {} wide, more than {width}", l.text, l.width(10.0));
                assert_eq!(l.text, l.text.trim());
                assert_eq!(l.glyphs.last().map(|g| g.text_range.end), Some(l.text.len()));
            }
            let joined: String = lines.iter().map(|l| l.text.as_str()).collect::<Vec<_>>().join("");
            let squeeze = |s: &str| s.chars().filter(|c| !c.is_whitespace()).collect::<String>();
            assert_eq!(squeeze(&joined), squeeze(text), "nothing lost at width {width}");
        }
        assert_eq!(wrap(f, 10.0, text, 1000.0).len(), 1);
        // A word wider than the column is broken between characters.
        let long = wrap(f, 10.0, "customer.service.department@example-retailer.com", 80.0);
        assert!(long.len() >= 3, "{:?}", long.iter().map(|l| &l.text).collect::<Vec<_>>());
        // Newlines are kept as line breaks, blank lines dropped.
        assert_eq!(wrap(f, 10.0, "Happy birthday!\n\nLove, Sam", 300.0).len(), 2);
    }

    #[test]
    fn cut_with_an_ellipsis() {
        let f = &fonts().bold;
        let lines = wrap_max(f, 14.0, &"Extraordinarily Long Retailer Name ".repeat(6), 200.0, 2);
        assert_eq!(lines.len(), 2);
        assert!(lines[1].text.ends_with('…'));
        assert!(lines[1].width(14.0) <= 200.0);
    }

    #[test]
    fn missing_glyphs_are_replaced_and_reported() {
        let f = &fonts().regular;
        let mut missing = BTreeSet::new();
        assert_eq!(clean(f, "Zoë Ж λ ß ñ ø", &mut missing), "Zoë Ж λ ß ñ ø");
        assert!(missing.is_empty());
        assert_eq!(clean(f, "王小明\tSmith\u{200B}", &mut missing), "??? Smith");
        assert_eq!(missing.into_iter().collect::<String>(), "小明王");
    }
}
