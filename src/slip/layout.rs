//! Content → pages of positioned drawing operations. The flow is a list of
//! blocks (header, addresses, gift message, table rows, footer) stacked
//! down the page; a block that does not fit moves to the next page, or is
//! cut between two lines of text when it is taller than a page. Table rows
//! continued on a new page get the column headings again; every page ends
//! with the order number and "Page X of Y".

use super::barcode::{self, Bars, Qr, QUIET_MODULES};
use super::content::{Col, Content, REPRINT};
use super::font::{fonts, Face, Weight};
use super::model::Rgb;
use super::text::{self, Line};
use super::{Look, Paper};
use std::collections::BTreeSet;
use std::sync::Arc;

const MARGIN_X: f32 = 36.0;
const MARGIN_TOP: f32 = 34.0;
/// Room kept at the foot of every page for the page line.
const MARGIN_BOTTOM: f32 = 46.0;
const LEAD: f32 = 1.28;
const BODY: f32 = 9.5;
const SMALL: f32 = 8.0;
const LABEL: f32 = 7.0;
/// Height of the header on continuation pages.
const CONT_HEADER: f32 = 46.0;
/// Code 128 module width limits: at least 3 dots of a 300 dpi printer,
/// and a multiple of that dot, so bars print evenly.
const DOT: f32 = 72.0 / 300.0;
const MIN_MODULE: f32 = 3.0 * DOT;
const MAX_MODULE: f32 = 5.0 * DOT;

/// One drawing operation; `y` is the top of what is drawn (for text: the
/// top of its line box).
#[derive(Clone, Debug)]
pub enum Op {
    Text { x: f32, y: f32, line: Line, weight: Weight, size: f32, color: Rgb },
    Rect { x: f32, y: f32, w: f32, h: f32, color: Rgb },
    Bars { x: f32, y: f32, h: f32, module: f32, bars: Arc<Bars> },
    Qr { x: f32, y: f32, module: f32, qr: Arc<Qr> },
    Logo { x: f32, y: f32, w: f32, h: f32 },
}

impl Op {
    fn shift(&mut self, dy: f32) {
        match self {
            Op::Text { y, .. } | Op::Rect { y, .. } | Op::Bars { y, .. } | Op::Qr { y, .. } | Op::Logo { y, .. } => {
                *y += dy;
            }
        }
    }

    fn top(&self) -> f32 {
        match self {
            Op::Text { y, .. } | Op::Rect { y, .. } | Op::Bars { y, .. } | Op::Qr { y, .. } | Op::Logo { y, .. } => *y,
        }
    }

    /// The vertical extent that must not be cut, for all but rectangles
    /// (backgrounds and rules can be cut anywhere).
    fn solid(&self) -> Option<(f32, f32)> {
        match self {
            Op::Text { y, size, .. } => Some((*y, *y + size * LEAD)),
            Op::Bars { y, h, .. } | Op::Logo { y, h, .. } => Some((*y, *y + h)),
            Op::Qr { y, module, qr, .. } => Some((*y, *y + *module * qr.width as f32)),
            Op::Rect { .. } => None,
        }
    }

    /// The bounding box (x, y, w, h), for checks.
    pub fn bbox(&self) -> (f32, f32, f32, f32) {
        match self {
            Op::Text { x, y, line, size, .. } => (*x, *y, line.width(*size), size * LEAD),
            Op::Rect { x, y, w, h, .. } | Op::Logo { x, y, w, h } => (*x, *y, *w, *h),
            Op::Bars { x, y, h, module, bars } => (*x, *y, *module * bars.modules as f32, *h),
            Op::Qr { x, y, module, qr } => (*x, *y, *module * qr.width as f32, *module * qr.width as f32),
        }
    }
}

/// The baseline of a text line whose box starts at `top`.
pub fn baseline(face: &Face, top: f32, size: f32) -> f32 {
    let content = face.ascender - face.descender;
    top + ((LEAD - content) / 2.0 + face.ascender) * size
}

/// A stack of operations laid out together.
#[derive(Clone, Debug, Default)]
struct Block {
    height: f32,
    ops: Vec<Op>,
    /// Move to the next page rather than cut, when it fits on one.
    keep: bool,
    /// Keep on the page of the block after it.
    keep_with_next: bool,
    /// A row of the lines table: a new page repeats the headings first.
    table: bool,
}

/// A laid-out slip: its pages' operations, and what could not be set.
pub struct Laid {
    pub pages: Vec<Vec<Op>>,
    pub page_size: (f32, f32),
    /// Characters the font has no glyph for (printed as `?`).
    pub missing: BTreeSet<char>,
    /// The PO number could not be put in a barcode.
    pub no_barcode: bool,
    pub no_qr: bool,
}

struct Ctx<'a> {
    look: &'a Look,
    width: f32,
    missing: BTreeSet<char>,
    text: Rgb,
    muted: Rgb,
    accent: Rgb,
    rule: Rgb,
}

impl Ctx<'_> {
    fn face(w: Weight) -> &'static Face {
        fonts().face(w)
    }

    /// Wrapped lines of a text, cleaned first.
    fn lines(&mut self, s: &str, w: Weight, size: f32, width: f32) -> Vec<Line> {
        let face = Self::face(w);
        let clean = text::clean(face, s, &mut self.missing);
        text::wrap(face, size, &clean, width)
    }

    fn lines_max(&mut self, s: &str, w: Weight, size: f32, width: f32, max: usize) -> Vec<Line> {
        let face = Self::face(w);
        let clean = text::clean(face, s, &mut self.missing);
        text::wrap_max(face, size, &clean, width, max)
    }

    /// Puts wrapped text at (x, y); returns the height used.
    #[allow(clippy::too_many_arguments)]
    fn para(
        &mut self,
        ops: &mut Vec<Op>,
        s: &str,
        x: f32,
        y: f32,
        width: f32,
        w: Weight,
        size: f32,
        color: Rgb,
        align: Align,
    ) -> f32 {
        let lines = self.lines(s, w, size, width);
        place(ops, lines, x, y, width, w, size, color, align)
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Align {
    Left,
    Right,
    Center,
}

#[allow(clippy::too_many_arguments)]
fn place(
    ops: &mut Vec<Op>,
    lines: Vec<Line>,
    x: f32,
    y: f32,
    width: f32,
    w: Weight,
    size: f32,
    color: Rgb,
    align: Align,
) -> f32 {
    let lh = size * LEAD;
    let n = lines.len();
    for (i, line) in lines.into_iter().enumerate() {
        let lw = line.width(size);
        let lx = match align {
            Align::Left => x,
            Align::Right => x + width - lw,
            Align::Center => x + (width - lw) / 2.0,
        };
        ops.push(Op::Text { x: lx, y: y + i as f32 * lh, line, weight: w, size, color });
    }
    n as f32 * lh
}

/// Lays out one slip.
pub fn lay_out(c: &Content, look: &Look, paper: Paper) -> Laid {
    let (pw, ph) = paper.size();
    let mut cx = Ctx {
        look,
        width: pw - 2.0 * MARGIN_X,
        missing: BTreeSet::new(),
        text: look.text,
        muted: look.text.tint(0.32),
        accent: look.accent,
        rule: Rgb(0xB8, 0xB8, 0xB8),
    };
    let bars = barcode::code128(&c.po).map(Arc::new);
    let qr = c.qr.as_deref().and_then(barcode::qr).map(Arc::new);
    let mut blocks = Vec::new();
    blocks.push(header(&mut cx, c, bars.as_ref()));
    blocks.push(addresses(&mut cx, c));
    if let Some(g) = &c.gift {
        blocks.push(gift(&mut cx, g));
    }
    let head = table_head(&mut cx, c);
    blocks.push(head.clone());
    for r in &c.rows {
        blocks.push(row(&mut cx, c, r));
    }
    blocks.push(totals(&mut cx, c));
    if !c.messages.is_empty() {
        blocks.push(messages(&mut cx, c));
    }
    if c.service.is_some() || c.footer.is_some() || qr.is_some() {
        blocks.push(footer(&mut cx, c, qr.as_ref()));
    }
    let mut pages = paginate(blocks, &head, ph);
    let total = pages.len();
    for (n, page) in pages.iter_mut().enumerate() {
        if n > 0 {
            continuation_header(&mut cx, c, bars.as_ref(), page);
        }
        page_foot(&mut cx, c, n + 1, total, ph, page);
    }
    Laid {
        pages,
        page_size: (pw, ph),
        missing: cx.missing,
        no_barcode: bars.is_none(),
        no_qr: c.qr.is_some() && qr.is_none(),
    }
}

/// The barcode with its bars ending at `right` (the right quiet zone lies
/// in the page margin), top `y`, at most `max_w` wide with its left quiet
/// zone; returns its op and the width of the bars.
fn barcode_op(bars: &Arc<Bars>, right: f32, y: f32, max_w: f32, h: f32) -> (Op, f32) {
    let modules = (bars.modules + QUIET_MODULES) as f32;
    let module = ((max_w / modules).min(MAX_MODULE) / DOT).floor() * DOT;
    let module = module.max(MIN_MODULE);
    let w = module * bars.modules as f32;
    (Op::Bars { x: right - w, y, h, module, bars: bars.clone() }, w)
}

fn header(cx: &mut Ctx<'_>, c: &Content, bars: Option<&Arc<Bars>>) -> Block {
    let mut ops = Vec::new();
    let w = cx.width;
    let left_w = w * 0.56;
    let right_w = w - left_w - 12.0;
    let x0 = MARGIN_X;
    // Left: logo and name.
    let mut yl = 0.0;
    if let Some(logo) = &cx.look.logo {
        let (max_w, max_h) = (left_w.min(200.0), 56.0);
        let a = logo.aspect().max(0.05);
        let (mut lw, mut lh) = (max_h * a, max_h);
        if lw > max_w {
            lw = max_w;
            lh = max_w / a;
        }
        ops.push(Op::Logo { x: x0, y: 0.0, w: lw, h: lh });
        yl += lh + 6.0;
        let lines = cx.lines_max(&c.brand, Weight::Bold, 12.0, left_w, 2);
        yl += place(&mut ops, lines, x0, yl, left_w, Weight::Bold, 12.0, cx.accent, Align::Left);
    } else {
        let lines = cx.lines_max(&c.brand, Weight::Bold, 18.0, left_w, 2);
        yl += place(&mut ops, lines, x0, yl, left_w, Weight::Bold, 18.0, cx.accent, Align::Left);
    }
    // Right: title, reprint mark, barcode and the PO number under it.
    let xr = x0 + w - right_w;
    let mut yr = 0.0;
    let lines = cx.lines_max(c.title, Weight::Bold, 16.0, right_w, 1);
    yr += place(&mut ops, lines, xr, yr, right_w, Weight::Bold, 16.0, cx.text, Align::Right);
    if c.reprint {
        yr += badge(cx, &mut ops, x0 + w, yr + 2.0) + 4.0;
    }
    yr += 6.0;
    if let Some(b) = bars {
        let (op, bw) = barcode_op(b, x0 + w, yr, right_w.min(230.0), 36.0);
        let bx = op.bbox().0;
        ops.push(op);
        yr += 38.0;
        let lines = cx.lines_max(&c.po, Weight::Regular, SMALL, bw.max(80.0), 1);
        let cw = bw.max(80.0);
        let left = (bx + bw / 2.0 - cw / 2.0).min(x0 + w - cw);
        yr += place(&mut ops, lines, left, yr, cw, Weight::Regular, SMALL, cx.text, Align::Center);
    } else {
        let lines = cx.lines_max(&format!("Order no. {}", c.po), Weight::Bold, BODY, right_w, 2);
        yr += place(&mut ops, lines, xr, yr, right_w, Weight::Bold, BODY, cx.text, Align::Right);
    }
    let h = yl.max(yr) + 8.0;
    ops.push(Op::Rect { x: x0, y: h, w, h: 1.5, color: cx.accent });
    Block { height: h + 1.5, ops, keep: true, keep_with_next: true, table: false }
}

/// "REPRINT" in white on a dark bar, right-aligned at `right`; returns its height.
fn badge(cx: &mut Ctx<'_>, ops: &mut Vec<Op>, right: f32, y: f32) -> f32 {
    let size = 8.5;
    let face = Ctx::face(Weight::Bold);
    let line = text::single(face, &REPRINT.to_uppercase());
    let tw = line.width(size);
    let (bw, bh) = (tw + 12.0, size * LEAD + 3.0);
    ops.push(Op::Rect { x: right - bw, y, w: bw, h: bh, color: cx.text });
    ops.push(Op::Text { x: right - bw + 6.0, y: y + 1.5, line, weight: Weight::Bold, size, color: Rgb(255, 255, 255) });
    bh
}

fn label(cx: &mut Ctx<'_>, ops: &mut Vec<Op>, s: &str, x: f32, y: f32, width: f32) -> f32 {
    let color = cx.muted;
    cx.para(ops, &s.to_uppercase(), x, y, width, Weight::Bold, LABEL, color, Align::Left) + 2.0
}

fn addresses(cx: &mut Ctx<'_>, c: &Content) -> Block {
    let mut ops = Vec::new();
    let gap = 16.0;
    let w = cx.width;
    let has_return = !c.return_to.is_empty();
    let widths: Vec<f32> = if has_return {
        let avail = w - 2.0 * gap;
        vec![avail * 0.35, avail * 0.27, avail * 0.38]
    } else {
        let avail = w - gap;
        vec![avail * 0.5, avail * 0.5]
    };
    let top = 12.0;
    let mut x = MARGIN_X;
    let mut bottom: f32 = 0.0;
    // Ship to.
    let mut y = top + label(cx, &mut ops, "Ship to", x, top, widths[0]);
    let text = cx.text;
    for (i, l) in c.ship_to.iter().enumerate() {
        let (wt, size) = if i == 0 { (Weight::Bold, 10.5) } else { (Weight::Regular, 10.0) };
        y += cx.para(&mut ops, l, x, y, widths[0], wt, size, text, Align::Left);
    }
    bottom = bottom.max(y);
    x += widths[0] + gap;
    if has_return {
        let mut y = top + label(cx, &mut ops, "Return to", x, top, widths[1]);
        for l in &c.return_to {
            y += cx.para(&mut ops, l, x, y, widths[1], Weight::Regular, 9.0, text, Align::Left);
        }
        bottom = bottom.max(y);
        x += widths[1] + gap;
    }
    // Order facts: label and value side by side.
    let ow = *widths.last().unwrap_or(&200.0);
    let mut y = top + label(cx, &mut ops, c.facts, x, top, ow);
    let face = Ctx::face(Weight::Regular);
    let widest = c.order_info.iter().map(|(k, _)| face.width(k, SMALL)).fold(0.0, f32::max);
    let kw = (widest + 8.0).min(ow * 0.45);
    let muted = cx.muted;
    for (i, (k, v)) in c.order_info.iter().enumerate() {
        let hk = cx.para(&mut ops, k, x, y + 0.8, kw - 4.0, Weight::Regular, SMALL, muted, Align::Left);
        let wt = if i == 0 { Weight::Bold } else { Weight::Regular };
        let hv = cx.para(&mut ops, v, x + kw, y, ow - kw, wt, BODY, text, Align::Left);
        y += hk.max(hv) + 1.0;
    }
    bottom = bottom.max(y);
    Block { height: bottom + 10.0, ops, keep: true, keep_with_next: false, table: false }
}

fn gift(cx: &mut Ctx<'_>, g: &str) -> Block {
    let mut ops = Vec::new();
    let w = cx.width;
    let pad = 9.0;
    let mut y = 4.0;
    let accent = cx.accent;
    y += cx.para(&mut ops, "GIFT MESSAGE", MARGIN_X, y, w, Weight::Bold, LABEL, accent, Align::Left) + 2.0;
    let bg_top = y;
    let mut inner = Vec::new();
    let text = cx.text;
    let h = cx.para(
        &mut inner,
        g,
        MARGIN_X + pad + 3.0,
        y + pad,
        w - 2.0 * pad - 3.0,
        Weight::Regular,
        11.0,
        text,
        Align::Left,
    );
    let bg_h = h + 2.0 * pad;
    ops.push(Op::Rect { x: MARGIN_X, y: bg_top, w, h: bg_h, color: cx.accent.tint(0.9) });
    ops.push(Op::Rect { x: MARGIN_X, y: bg_top, w: 3.0, h: bg_h, color: cx.accent });
    ops.extend(inner);
    Block { height: bg_top + bg_h + 10.0, ops, keep: true, keep_with_next: false, table: false }
}

/// Column x positions and widths for the table.
fn columns(cx: &Ctx<'_>, c: &Content) -> Vec<(Col, f32, f32)> {
    let w = cx.width;
    let fixed = |col: Col| match col {
        Col::Ordered => 46.0,
        Col::Shipped => 48.0,
        Col::Item => (w * 0.2).clamp(92.0, 112.0),
        Col::Price => 56.0,
        Col::Amount => 62.0,
        Col::Accepted | Col::Rejected => 52.0,
        Col::Backordered => 78.0,
        Col::Quantity => 50.0,
        Col::Description => 0.0,
    };
    let used: f32 = c.columns.iter().map(|c| fixed(*c)).sum();
    let mut x = MARGIN_X;
    c.columns
        .iter()
        .map(|col| {
            let cw = if *col == Col::Description { w - used } else { fixed(*col) };
            let out = (*col, x, cw);
            x += cw;
            out
        })
        .collect()
}

const CELL_PAD: f32 = 4.0;

fn table_head(cx: &mut Ctx<'_>, c: &Content) -> Block {
    let mut ops = Vec::new();
    let h = 17.0;
    ops.push(Op::Rect { x: MARGIN_X, y: 0.0, w: cx.width, h, color: cx.accent.tint(0.86) });
    let text = cx.text;
    for (col, x, w) in columns(cx, c) {
        let label = col.label().to_uppercase();
        let align = if col.numeric() { Align::Right } else { Align::Left };
        let lines = cx.lines_max(&label, Weight::Bold, LABEL, w - 2.0 * CELL_PAD, 1);
        place(
            &mut ops,
            lines,
            x + CELL_PAD,
            (h - LABEL * LEAD) / 2.0,
            w - 2.0 * CELL_PAD,
            Weight::Bold,
            LABEL,
            text,
            align,
        );
    }
    Block { height: h, ops, keep: true, keep_with_next: true, table: false }
}

fn row(cx: &mut Ctx<'_>, c: &Content, r: &super::content::Row) -> Block {
    let mut ops = Vec::new();
    let top = 3.5;
    let mut bottom: f32 = top;
    let (text, muted, accent) = (cx.text, cx.muted, cx.accent);
    for (col, x, w) in columns(cx, c) {
        let (x, w) = (x + CELL_PAD, w - 2.0 * CELL_PAD);
        let h = match col {
            Col::Ordered => cx.para(&mut ops, &r.ordered, x, top, w, Weight::Regular, BODY, text, Align::Right),
            Col::Shipped => cx.para(&mut ops, &r.shipped, x, top - 0.5, w, Weight::Bold, 10.5, text, Align::Right),
            Col::Item => {
                let mut y = top;
                for (i, l) in r.item.iter().enumerate() {
                    let (size, color) = if i == 0 && r.item.len() > 1 { (9.0, text) } else { (SMALL, muted) };
                    let size = if r.item.len() == 1 { 9.0 } else { size };
                    let color = if r.item.len() == 1 { text } else { color };
                    y += cx.para(&mut ops, l, x, y, w, Weight::Regular, size, color, Align::Left);
                }
                y - top
            }
            Col::Description => {
                let mut y =
                    top + cx.para(&mut ops, &r.description, x, top, w, Weight::Regular, BODY, text, Align::Left);
                for m in &r.marks {
                    y += 1.0 + cx.para(&mut ops, m, x, y + 1.0, w, Weight::Bold, SMALL, accent, Align::Left);
                }
                y - top
            }
            Col::Price => cx.para(&mut ops, &r.price, x, top, w, Weight::Regular, BODY, text, Align::Right),
            Col::Amount => cx.para(&mut ops, &r.amount, x, top, w, Weight::Regular, BODY, text, Align::Right),
            Col::Accepted => cx.para(&mut ops, &r.accepted, x, top, w, Weight::Bold, BODY, text, Align::Right),
            Col::Backordered => cx.para(&mut ops, &r.backordered, x, top, w, Weight::Regular, BODY, text, Align::Right),
            Col::Rejected => cx.para(&mut ops, &r.rejected, x, top, w, Weight::Regular, BODY, text, Align::Right),
            Col::Quantity => cx.para(&mut ops, &r.shipped, x, top - 0.5, w, Weight::Bold, 10.5, text, Align::Right),
        };
        bottom = bottom.max(top + h);
    }
    let height = bottom + 3.5;
    ops.push(Op::Rect { x: MARGIN_X, y: height - 0.6, w: cx.width, h: 0.6, color: cx.rule });
    Block { height, ops, keep: true, keep_with_next: false, table: true }
}

fn totals(cx: &mut Ctx<'_>, c: &Content) -> Block {
    let mut ops = Vec::new();
    let w = cx.width;
    let mut y = 6.0;
    let vw = 70.0;
    let text = cx.text;
    for (k, v) in &c.totals {
        let k = match (k.as_str(), &c.currency) {
            ("Total", Some(cur)) => format!("Total ({cur})"),
            _ => k.clone(),
        };
        let hk = cx.para(&mut ops, &k, MARGIN_X, y, w - vw - 8.0, Weight::Regular, BODY, text, Align::Right);
        let hv = cx.para(&mut ops, v, MARGIN_X + w - vw, y, vw - CELL_PAD, Weight::Bold, BODY, text, Align::Right);
        y += hk.max(hv) + 1.0;
    }
    Block { height: y + 6.0, ops, keep: true, keep_with_next: false, table: false }
}

fn messages(cx: &mut Ctx<'_>, c: &Content) -> Block {
    let mut ops = Vec::new();
    let mut y = 4.0;
    let text = cx.text;
    for m in &c.messages {
        y += cx.para(&mut ops, m, MARGIN_X, y, cx.width, Weight::Regular, 8.5, text, Align::Left) + 4.0;
    }
    Block { height: y + 4.0, ops, keep: false, keep_with_next: false, table: false }
}

fn footer(cx: &mut Ctx<'_>, c: &Content, qr: Option<&Arc<Qr>>) -> Block {
    let mut ops = Vec::new();
    let w = cx.width;
    let top = 10.0;
    ops.push(Op::Rect { x: MARGIN_X, y: 0.0, w, h: 0.8, color: cx.accent });
    let qr_side = 68.0;
    let text_w = if qr.is_some() { w - qr_side - 24.0 } else { w };
    let mut y = top;
    let (text, accent) = (cx.text, cx.accent);
    if let Some(s) = &c.service {
        y += cx.para(&mut ops, s, MARGIN_X, y, text_w, Weight::Regular, 9.0, text, Align::Left) + 3.0;
    }
    if let Some(f) = &c.footer {
        y += cx.para(&mut ops, f, MARGIN_X, y, text_w, Weight::Bold, BODY, accent, Align::Left);
    }
    let mut bottom = y;
    if let Some(q) = qr {
        let module = qr_side / (q.width + 8) as f32;
        let x = MARGIN_X + w - qr_side + 4.0 * module;
        ops.push(Op::Qr { x, y: top, module, qr: q.clone() });
        let mut yq = top + module * q.width as f32 + 3.0;
        if let Some(l) = &c.qr_label {
            let muted = cx.muted;
            yq += cx.para(
                &mut ops,
                l,
                MARGIN_X + w - qr_side - 16.0,
                yq,
                qr_side + 16.0,
                Weight::Regular,
                7.5,
                muted,
                Align::Center,
            );
        }
        bottom = bottom.max(yq);
    }
    Block { height: bottom + 4.0, ops, keep: true, keep_with_next: false, table: false }
}

fn continuation_header(cx: &mut Ctx<'_>, c: &Content, bars: Option<&Arc<Bars>>, page: &mut Vec<Op>) {
    let mut ops = Vec::new();
    let w = cx.width;
    let left_w = w * 0.55;
    let accent = cx.accent;
    let lines = cx.lines_max(&c.brand, Weight::Bold, 12.0, left_w, 1);
    let mut y = MARGIN_TOP;
    y += place(&mut ops, lines, MARGIN_X, y, left_w, Weight::Bold, 12.0, accent, Align::Left);
    let muted = cx.muted;
    cx.para(
        &mut ops,
        &format!("{} (continued) · Order no. {}", c.title, c.po),
        MARGIN_X,
        y,
        left_w,
        Weight::Regular,
        SMALL,
        muted,
        Align::Left,
    );
    if let Some(b) = bars {
        let (op, _) = barcode_op(b, MARGIN_X + w, MARGIN_TOP, w - left_w - 12.0, 28.0);
        ops.push(op);
    }
    ops.push(Op::Rect { x: MARGIN_X, y: MARGIN_TOP + CONT_HEADER - 8.0, w, h: 0.8, color: accent });
    page.extend(ops);
}

fn page_foot(cx: &mut Ctx<'_>, c: &Content, n: usize, total: usize, ph: f32, page: &mut Vec<Op>) {
    let w = cx.width;
    let y = ph - MARGIN_BOTTOM + 16.0;
    page.push(Op::Rect { x: MARGIN_X, y: y - 5.0, w, h: 0.5, color: cx.rule });
    let muted = cx.muted;
    let mut left = format!("Order no. {}", c.po);
    if c.reprint {
        left.push_str(" · ");
        left.push_str(REPRINT);
    }
    let right = format!("Page {n} of {total}");
    let rw = Ctx::face(Weight::Bold).width(&right, SMALL) + 4.0;
    let lines = cx.lines_max(&left, Weight::Regular, SMALL, w - rw - 12.0, 1);
    place(page, lines, MARGIN_X, y, w - rw - 12.0, Weight::Regular, SMALL, muted, Align::Left);
    let text = cx.text;
    let lines = cx.lines_max(&right, Weight::Bold, SMALL, rw, 1);
    place(page, lines, MARGIN_X + w - rw, y, rw, Weight::Bold, SMALL, text, Align::Right);
}

/// Where a block may be cut: below any line of text, where nothing solid
/// straddles.
fn cuts(b: &Block) -> Vec<f32> {
    let solids: Vec<(f32, f32)> = b.ops.iter().filter_map(Op::solid).collect();
    let mut out: Vec<f32> = solids
        .iter()
        .map(|s| s.1)
        .filter(|y| *y > 0.0 && *y < b.height && !solids.iter().any(|(t, bt)| *t < *y - 0.01 && *bt > *y + 0.01))
        .collect();
    out.sort_by(f32::total_cmp);
    out.dedup_by(|a, b| (*a - *b).abs() < 0.01);
    out
}

/// Splits a block at `cut`: what is above stays, the rest comes back as a
/// block of its own starting at 0. Rectangles across the cut are split.
fn split(b: Block, cut: f32) -> (Block, Block) {
    let mut top = Block { height: cut, ops: Vec::new(), ..b.clone() };
    let mut rest = Block { height: (b.height - cut).max(0.0), ops: Vec::new(), ..b.clone() };
    top.keep_with_next = false;
    for op in b.ops {
        match op {
            Op::Rect { x, y, w, h, color } if y < cut && y + h > cut => {
                top.ops.push(Op::Rect { x, y, w, h: cut - y, color });
                rest.ops.push(Op::Rect { x, y: 0.0, w, h: y + h - cut, color });
            }
            mut op => {
                if op.top() < cut - 0.01 {
                    top.ops.push(op);
                } else {
                    op.shift(-cut);
                    rest.ops.push(op);
                }
            }
        }
    }
    (top, rest)
}

fn paginate(blocks: Vec<Block>, head: &Block, ph: f32) -> Vec<Vec<Op>> {
    let first_top = MARGIN_TOP;
    let cont_top = MARGIN_TOP + CONT_HEADER;
    let bottom = ph - MARGIN_BOTTOM;
    let mut pages: Vec<Vec<Op>> = Vec::new();
    let mut page: Vec<Op> = Vec::new();
    let mut y = first_top;
    let mut queue: std::collections::VecDeque<Block> = blocks.into();
    let mut fresh = true;
    while let Some(b) = queue.pop_front() {
        // The height that must come together with this block.
        let mut group = b.height;
        if b.keep_with_next {
            if let Some(n) = queue.front() {
                group += n.height.min(bottom - cont_top);
            }
        }
        let fits_group = y + group <= bottom + 0.01;
        let fits = y + b.height <= bottom + 0.01;
        if fits && (fits_group || fresh) {
            let mut b = b;
            for mut op in b.ops.drain(..) {
                op.shift(y);
                page.push(op);
            }
            y += b.height;
            fresh = false;
            continue;
        }
        let fits_fresh = b.height <= bottom - cont_top + 0.01;
        if !fresh && (b.keep || b.keep_with_next) && (fits_fresh || group <= bottom - cont_top) {
            new_page(&mut pages, &mut page, &mut y, cont_top);
            fresh = true;
            if b.table {
                queue.push_front(b);
                queue.push_front(head.clone());
            } else {
                queue.push_front(b);
            }
            continue;
        }
        // Cut it: the largest cut that fits the room left.
        let room = bottom - y;
        let cut = cuts(&b).into_iter().rfind(|c| *c <= room + 0.01);
        match cut {
            Some(cut) if cut > 0.0 => {
                let (top, rest) = split(b, cut);
                queue.push_front(rest);
                queue.push_front(top);
            }
            _ if !fresh => {
                new_page(&mut pages, &mut page, &mut y, cont_top);
                fresh = true;
                if b.table {
                    queue.push_front(b);
                    queue.push_front(head.clone());
                } else {
                    queue.push_front(b);
                }
            }
            _ => {
                // Nothing can be cut and the page is fresh: cut where the
                // page ends (only something taller than a page gets here).
                let (top, rest) = split(b, room.max(1.0));
                queue.push_front(rest);
                queue.push_front(top);
                fresh = false;
            }
        }
    }
    pages.push(page);
    pages
}

fn new_page(pages: &mut Vec<Vec<Op>>, page: &mut Vec<Op>, y: &mut f32, top: f32) {
    pages.push(std::mem::take(page));
    *y = top;
}
