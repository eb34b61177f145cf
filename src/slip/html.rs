//! A slip as one self-contained HTML page (styles inline, logo and
//! barcodes embedded), for the web page and e-mail: the same content as
//! the PDF.

use super::barcode::{self, QUIET_MODULES};
use super::content::{Col, Content};
use super::{Look, Slip};
use base64::Engine as _;
use std::fmt::Write as _;

/// The HTML page of a slip; `redacted` as for [`Content::new`].
pub fn render(slip: &Slip, look: &Look, hidden: &[String], redacted: &mut Vec<String>) -> String {
    let c = Content::new(slip, look, hidden, redacted);
    let mut h = String::with_capacity(8 * 1024);
    let accent = look.accent.hex();
    let text = look.text.hex();
    let tint = look.accent.tint(0.86).hex();
    let gift_bg = look.accent.tint(0.9).hex();
    let _ = write!(
        h,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>{} {}</title>\n<style>\n\
body{{margin:0;font-family:\"DejaVu Sans\",Verdana,sans-serif;color:{text};font-size:10pt}}\n\
.slip{{max-width:7.5in;margin:0 auto;padding:.4in 0}}\n\
header{{display:flex;justify-content:space-between;align-items:flex-start;border-bottom:2px solid {accent};padding-bottom:8px}}\n\
.brand{{color:{accent};font-weight:bold;font-size:15pt}}\n.logo{{max-height:56px;max-width:200px;display:block;margin-bottom:6px}}\n\
.title{{text-align:right}}\n.title h1{{margin:0;font-size:16pt}}\n.reprint{{display:inline-block;background:{text};color:#fff;font-weight:bold;font-size:8.5pt;padding:1px 6px;margin-top:3px}}\n\
.po{{font-size:8pt;text-align:center}}\n.parties{{display:flex;gap:16px;margin:12px 0}}\n.parties section{{flex:1}}\n\
.label{{text-transform:uppercase;font-weight:bold;font-size:7pt;color:#666;margin:0 0 2px}}\n\
.parties p{{margin:0}}\n.ship-to p:first-of-type{{font-weight:bold}}\ndl{{margin:0;display:grid;grid-template-columns:auto 1fr;gap:1px 8px}}\n\
dt{{color:#666;font-size:8pt}}\ndd{{margin:0}}\n\
.gift{{background:{gift_bg};border-left:3px solid {accent};padding:9px 12px;font-size:11pt;margin:4px 0 10px}}\n\
.gift .label{{color:{accent}}}\n\
table{{width:100%;border-collapse:collapse}}\nth{{background:{tint};text-transform:uppercase;font-size:7pt;text-align:left;padding:4px}}\n\
td{{padding:5px 4px;border-bottom:.6px solid #b8b8b8;vertical-align:top}}\n.num{{text-align:right}}\n.shipped{{font-weight:bold}}\n\
.mark{{color:{accent};font-weight:bold;font-size:8pt}}\n.upc{{color:#666;font-size:8pt}}\n\
.totals{{text-align:right;margin:6px 0}}\n.messages p{{font-size:8.5pt}}\n\
footer{{border-top:1px solid {accent};margin-top:8px;padding-top:8px;display:flex;justify-content:space-between;gap:24px}}\n\
.footer-message{{color:{accent};font-weight:bold}}\n.qr{{text-align:center;font-size:7.5pt;color:#666}}\n\
</style>\n</head>\n<body>\n<article class=\"slip\">\n<header>\n<div>\n",
        esc(&c.brand),
        esc(&c.po)
    );
    if let Some(logo) = &look.logo {
        let data = base64::engine::general_purpose::STANDARD.encode(logo.bytes());
        let _ = writeln!(
            h,
            "<img class=\"logo\" alt=\"{}\" src=\"data:{};base64,{data}\">",
            esc(&c.brand),
            logo.format().mime()
        );
    }
    let _ = writeln!(h, "<div class=\"brand\">{}</div>\n</div>\n<div class=\"title\">", esc(&c.brand));
    let _ = writeln!(h, "<h1>{}</h1>", esc(c.title));
    if c.reprint {
        let _ = writeln!(h, "<div class=\"reprint\">{}</div>", esc(&super::content::REPRINT.to_uppercase()));
    }
    if let Some(bars) = barcode::code128(&c.po) {
        let total = bars.modules + 2 * QUIET_MODULES;
        let mut d = String::new();
        for (start, len) in &bars.bars {
            let _ = write!(d, "M{} 0h{}v40h-{}z", usize::from(*start) + QUIET_MODULES, len, len);
        }
        let _ = writeln!(
            h,
            "<div><svg class=\"barcode\" role=\"img\" aria-label=\"Code 128 barcode of {}\" xmlns=\"http://www.w3.org/2000/svg\" \
             viewBox=\"0 0 {total} 40\" width=\"{}\" height=\"40\" shape-rendering=\"crispEdges\"><path d=\"{d}\"/></svg></div>",
            esc(&c.po),
            total * 3 / 2,
        );
    }
    let _ = writeln!(h, "<div class=\"po\">{}</div>\n</div>\n</header>", esc(&c.po));

    h.push_str("<div class=\"parties\">\n<section class=\"ship-to\">\n<h2 class=\"label\">Ship to</h2>\n");
    for l in &c.ship_to {
        let _ = writeln!(h, "<p>{}</p>", esc(l));
    }
    h.push_str("</section>\n");
    if !c.return_to.is_empty() {
        h.push_str("<section class=\"return-to\">\n<h2 class=\"label\">Return to</h2>\n");
        for l in &c.return_to {
            let _ = writeln!(h, "<p>{}</p>", esc(l));
        }
        h.push_str("</section>\n");
    }
    let _ = write!(h, "<section class=\"order\">\n<h2 class=\"label\">{}</h2>\n<dl>\n", esc(c.facts));
    for (k, v) in &c.order_info {
        let _ = writeln!(h, "<dt>{}</dt><dd>{}</dd>", esc(k), esc(v));
    }
    h.push_str("</dl>\n</section>\n</div>\n");

    if let Some(g) = &c.gift {
        let _ = writeln!(
            h,
            "<section class=\"gift\">\n<h2 class=\"label\">Gift message</h2>\n<p>{}</p>\n</section>",
            lines(g)
        );
    }

    h.push_str("<table>\n<thead><tr>");
    for col in &c.columns {
        let label = col.label();
        let class = if col.numeric() { " class=\"num\"" } else { "" };
        let _ = write!(h, "<th{class}>{}</th>", esc(label));
    }
    h.push_str("</tr></thead>\n<tbody>\n");
    for r in &c.rows {
        h.push_str("<tr>");
        for col in &c.columns {
            match col {
                Col::Ordered => {
                    let _ = write!(h, "<td class=\"num\">{}</td>", esc(&r.ordered));
                }
                Col::Shipped => {
                    let _ = write!(h, "<td class=\"num shipped\">{}</td>", esc(&r.shipped));
                }
                Col::Item => {
                    h.push_str("<td>");
                    for (i, l) in r.item.iter().enumerate() {
                        if i > 0 {
                            h.push_str("<br>");
                        }
                        if i == 0 {
                            h.push_str(&esc(l));
                        } else {
                            let _ = write!(h, "<span class=\"upc\">{}</span>", esc(l));
                        }
                    }
                    h.push_str("</td>");
                }
                Col::Description => {
                    let _ = write!(h, "<td>{}", esc(&r.description));
                    for m in &r.marks {
                        let _ = write!(h, "<br><span class=\"mark\">{}</span>", esc(m));
                    }
                    h.push_str("</td>");
                }
                Col::Price => {
                    let _ = write!(h, "<td class=\"num\">{}</td>", esc(&r.price));
                }
                Col::Amount => {
                    let _ = write!(h, "<td class=\"num\">{}</td>", esc(&r.amount));
                }
                Col::Accepted => {
                    let _ = write!(h, "<td class=\"num\">{}</td>", esc(&r.accepted));
                }
                Col::Backordered => {
                    let _ = write!(h, "<td class=\"num\">{}</td>", esc(&r.backordered));
                }
                Col::Rejected => {
                    let _ = write!(h, "<td class=\"num\">{}</td>", esc(&r.rejected));
                }
                Col::Quantity => {
                    let _ = write!(h, "<td class=\"num shipped\">{}</td>", esc(&r.shipped));
                }
            }
        }
        h.push_str("</tr>\n");
    }
    h.push_str("</tbody>\n</table>\n<div class=\"totals\">\n");
    for (k, v) in &c.totals {
        let k = match (k.as_str(), &c.currency) {
            ("Total", Some(cur)) => format!("Total ({cur})"),
            _ => k.clone(),
        };
        let _ = writeln!(h, "<div>{} <strong>{}</strong></div>", esc(&k), esc(v));
    }
    h.push_str("</div>\n");
    if !c.messages.is_empty() {
        h.push_str("<section class=\"messages\">\n");
        for m in &c.messages {
            let _ = writeln!(h, "<p>{}</p>", lines(m));
        }
        h.push_str("</section>\n");
    }
    let qr = c.qr.as_deref().and_then(barcode::qr);
    if c.service.is_some() || c.footer.is_some() || qr.is_some() {
        h.push_str("<footer>\n<div>\n");
        if let Some(s) = &c.service {
            let _ = writeln!(h, "<p class=\"service\">{}</p>", esc(s));
        }
        if let Some(f) = &c.footer {
            let _ = writeln!(h, "<p class=\"footer-message\">{}</p>", lines(f));
        }
        h.push_str("</div>\n");
        if let Some(q) = qr {
            let mut d = String::new();
            for (row, col, len) in q.runs() {
                let _ = write!(d, "M{} {}h{len}v1h-{len}z", col + 4, row + 4);
            }
            let side = q.width + 8;
            let _ = write!(
                h,
                "<div class=\"qr\"><svg role=\"img\" aria-label=\"QR code\" xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {side} {side}\" \
                 width=\"90\" height=\"90\" shape-rendering=\"crispEdges\"><path d=\"{d}\"/></svg>"
            );
            if let Some(l) = &c.qr_label {
                let _ = write!(h, "<div>{}</div>", esc(l));
            }
            h.push_str("</div>\n");
        }
        h.push_str("</footer>\n");
    }
    h.push_str("</article>\n</body>\n</html>\n");
    h
}

/// Escapes text for HTML content and attribute values.
pub fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c if c.is_control() && c != '\n' => out.push(' '),
            c => out.push(c),
        }
    }
    out
}

/// Escaped text with its line breaks kept.
fn lines(s: &str) -> String {
    s.split('\n').map(|l| esc(l.trim())).filter(|l| !l.is_empty()).collect::<Vec<_>>().join("<br>")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escaping() {
        assert_eq!(esc("<b>\"Tom & Jerry's\"</b>"), "&lt;b&gt;&quot;Tom &amp; Jerry&#39;s&quot;&lt;/b&gt;");
        assert_eq!(lines("a\n\n<b>"), "a<br>&lt;b&gt;");
    }
}
