//! Answers in the retailer's own language. A retailer with an X12 id gets
//! 856 and 810 (see [`super::batches`]); one that sends EDIFACT gets a
//! DESADV per shipment and an INVOIC per invoice; a cXML buyer a
//! ShipNoticeRequest and an InvoiceDetailRequest; a CSV retailer a ship
//! confirmation and invoice CSV, or PDF documents in its brand when its
//! profile says `[csv] answers = "pdf"` (which also turns its order
//! confirmations into PDFs).
//!
//! The batches keep the X12 path's guarantees: written in the batch's
//! transaction with its run row, control numbers from the retailer's
//! sequences (`unb`, `cxml`, `csv`, `invoice`, the same the order-time
//! answers use), a shipment in one notice, a shipment line in one invoice.
//! EDIFACT, cXML and PDF documents are one per shipment or invoice; CSV
//! files one per shipment or one per batch, as `[asn] per` and
//! `[invoice] per` say. A document the retailer's character set cannot
//! hold is not written: its shipment waits for the next batch, and an
//! `outbound.refused` event says why.

use super::batches::{invoice_of, notice_of, uninvoiced};
use crate::domain::shipment::{Invoice as LineInvoice, Notice};
use crate::domain::{Amount, Despatch, Invoice, ItemId, OrderDecision, Package, PurchaseOrder, ShippedLine};
use crate::formats::csv::{self as fcsv, Answers, ShippedRow};
use crate::formats::cxml::{self, writer as cxw, Credential, Limits};
use crate::formats::edifact::writer::{self as edw, Envelope};
use crate::formats::edifact::Syntax;
use crate::retailer::{Per, Profile};
use crate::slip::documents::{DocLine, Kind, Paperwork};
use crate::slip::{Look, Paper};
use crate::store::outbox::{self, NewOutboxRow};
use crate::store::shipments::{self, Full};
use crate::store::{blobs, documents, stock, Conn, Result, StoreError};
use std::path::PathBuf;
use std::sync::OnceLock;

/// The language a retailer's batch documents are written in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Language {
    X12,
    Edifact,
    Cxml,
    Csv,
}

/// The language of a retailer's ship notices and invoices, from its
/// profile as its orders arrive: X12 when it has an X12 id (`x12.sender_id`),
/// else EDIFACT, cXML or CSV when it has that section (in that order), else X12.
pub fn language(p: &Profile) -> Language {
    if !p.x12.sender_id.trim().is_empty() {
        Language::X12
    } else if p.edifact.is_some() {
        Language::Edifact
    } else if p.cxml.is_some() {
        Language::Cxml
    } else if p.csv.is_some() {
        Language::Csv
    } else {
        Language::X12
    }
}

/// What PDF documents need from the installation: where relative logo
/// paths start, the paper, and the wholesaler's names kept off them.
#[derive(Clone, Debug, Default)]
pub struct PaperSettings {
    pub base_dir: Option<PathBuf>,
    pub paper: Paper,
    pub hidden: Vec<String>,
}

static PAPER: OnceLock<PaperSettings> = OnceLock::new();

/// Sets the installation's settings for PDF documents (once per process;
/// without them, documents are printed on Letter paper without a logo).
pub fn configure(settings: PaperSettings) {
    let _ = PAPER.set(settings);
}

fn paper() -> PaperSettings {
    PAPER.get().cloned().unwrap_or_default()
}

/// The retailer's look, its logo read when the installation is known.
fn look(p: &Profile) -> Look {
    let brand = p.brand();
    let settings = paper();
    let logo = brand.logo.as_ref().and_then(|path| {
        let base = settings.base_dir.as_ref()?;
        let full = if path.is_absolute() { path.clone() } else { base.join(path) };
        match std::fs::read(&full).map_err(|e| e.to_string()).and_then(|b| {
            if b.len() > crate::slip::logo::MAX_LOGO_BYTES {
                return Err("too large".into());
            }
            crate::slip::Logo::parse(&b).map_err(|e| e.to_string())
        }) {
            Ok(l) => Some(l),
            Err(e) => {
                tracing::warn!(retailer = %p.id, "logo {} not used: {e}", full.display());
                None
            }
        }
    });
    Look::new(&p.name, &brand, logo)
}

fn pdf_of(p: &Profile, look: &Look, doc: &Paperwork) -> Result<Vec<u8>> {
    let settings = paper();
    let (bytes, missing) = doc
        .pdf(look, settings.paper, &settings.hidden)
        .map_err(|e| StoreError::Invalid(format!("{} for PO {}: {e}", doc.kind.title(), doc.po_number)))?;
    if !missing.is_empty() {
        tracing::warn!(retailer = %p.id, po = %doc.po_number, "characters printed as '?': {missing:?}");
    }
    Ok(bytes)
}

/// The retailer's file name for a document, with the extension of its form.
fn file_name(p: &Profile, doc: &str, control: &str, po: &str, now_s: i64, seq: u32, ext: &str) -> String {
    let name = p.file_name(doc, control, po, now_s, i64::from(seq));
    if ext.is_empty() {
        return name;
    }
    match name.rsplit_once('.') {
        Some((stem, e)) if matches!(e.to_ascii_lowercase().as_str(), "edi" | "csv" | "xml" | "pdf" | "txt") => {
            format!("{stem}.{ext}")
        }
        _ => format!("{name}.{ext}"),
    }
}

/// One document of a batch.
struct Out {
    kind: &'static str,
    doc: &'static str,
    ext: &'static str,
    seq: u32,
    po: String,
    order: Option<i64>,
    bytes: Vec<u8>,
}

fn rows(p: &Profile, outs: Vec<Out>, now: i64) -> Vec<NewOutboxRow> {
    let now_s = now.div_euclid(1_000_000);
    outs.into_iter()
        .map(|o| {
            let control = o.seq.to_string();
            NewOutboxRow {
                retailer_id: p.id.clone(),
                document_id: None,
                order_id: o.order,
                kind: o.kind.to_string(),
                file_name: file_name(p, o.doc, &control, &o.po, now_s, o.seq, o.ext),
                control,
                payload: o.bytes,
                state: outbox::PENDING.to_string(),
                attempts: 0,
                next_attempt_at: now,
                created_at: now,
            }
        })
        .collect()
}

/// `n` numbers of the retailer's sequence `kind`.
fn numbers(conn: &mut Conn, retailer: &str, kind: &str, n: usize) -> Result<Vec<u32>> {
    if n == 0 {
        return Ok(Vec::new());
    }
    let first = outbox::allocate_control(conn, retailer, kind, i64::try_from(n).unwrap_or(i64::MAX))?;
    Ok((0..n).map(|i| first + u32::try_from(i).unwrap_or(u32::MAX)).collect())
}

fn po_of(f: &Full) -> PurchaseOrder {
    serde_json::from_str(&f.order.detail).unwrap_or_default()
}

/// A GTIN among the ids (EAN, UPC, GTIN-14).
fn gtin(ids: &[ItemId]) -> Option<String> {
    ids.iter().find(|i| matches!(i.qualifier.as_str(), "EN" | "UP" | "UK")).map(|i| i.value.to_string())
}

fn description(po: &PurchaseOrder, line_number: &str) -> Option<String> {
    po.lines.iter().find(|l| l.line_number == line_number).and_then(|l| l.description.as_ref()).map(ToString::to_string)
}

/// Descriptions from the catalogue, by SKU.
type Catalogue = std::collections::HashMap<String, stock::ProductInfo>;

fn catalogue(conn: &mut Conn, full: &[Full]) -> Result<Catalogue> {
    let skus: Vec<&str> = full.iter().flat_map(|f| f.order_lines.iter().filter_map(|l| l.sku.as_deref())).collect();
    stock::products(conn, &skus)
}

/// The order's description of a line, else the catalogue's.
fn describe(po: &PurchaseOrder, f: &Full, line_number: &str, cat: &Catalogue) -> Option<String> {
    description(po, line_number).or_else(|| sku_of(f, line_number).and_then(|s| cat.get(&s)?.description.clone()))
}

/// The supplier's article number of a line: as the order gave it (`VN`, `VP`), else our SKU.
fn supplier_id(f: &Full, ids: &[ItemId], line_number: &str) -> Option<String> {
    ids.iter()
        .find(|i| matches!(i.qualifier.as_str(), "VN" | "VP"))
        .map(|i| i.value.to_string())
        .or_else(|| sku_of(f, line_number))
}

/// Our SKU of an order line.
fn sku_of(f: &Full, line_number: &str) -> Option<String> {
    f.order_lines.iter().find(|l| l.line_number == line_number).and_then(|l| l.sku.clone())
}

fn despatch(f: &Full, n: &Notice, po: &PurchaseOrder) -> Despatch {
    let packages = n
        .packages
        .iter()
        .enumerate()
        .map(|(i, pk)| Package {
            sscc: pk.sscc.clone(),
            tracking: Some(pk.tracking.clone()).filter(|t| !t.is_empty()),
            lines: n
                .lines
                .iter()
                .filter(|l| l.package == i)
                .map(|l| ShippedLine {
                    line_number: l.line_number.clone(),
                    gtin: gtin(&l.ids),
                    sku: supplier_id(f, &l.ids, &l.line_number),
                    description: description(po, &l.line_number),
                    quantity: l.quantity,
                    unit_price: None,
                })
                .collect(),
        })
        .collect();
    Despatch {
        number: n.shipment_id.clone(),
        ship_date: n.date.clone(),
        po_number: n.po_number.clone(),
        carrier: Some(n.carrier.clone()).filter(|c| !c.is_empty()),
        ship_to: n.ship_to.clone(),
        packages,
    }
}

fn invoice_doc(f: &Full, inv: &LineInvoice, po: &PurchaseOrder) -> Invoice {
    Invoice {
        number: inv.number.clone(),
        date: inv.date.clone(),
        po_number: inv.po_number.clone(),
        currency: po.currency.as_ref().map(ToString::to_string),
        buyer: po.party("BY").cloned(),
        supplier: None,
        lines: inv
            .lines
            .iter()
            .map(|l| ShippedLine {
                line_number: l.line_number.clone(),
                gtin: gtin(&l.ids),
                sku: supplier_id(f, &l.ids, &l.line_number),
                description: description(po, &l.line_number),
                quantity: l.quantity,
                unit_price: Some(l.unit_price),
            })
            .collect(),
        terms: inv.terms.clone(),
        charges: inv.charges.clone(),
    }
}

/// The envelope of a DESADV or INVOIC to the retailer.
fn edifact_envelope(p: &Profile, control: u32, now_s: i64) -> Result<(Envelope, &str)> {
    let bad = |e: anyhow::Error| StoreError::Invalid(format!("retailer {}: {e:#}", p.id));
    let e = p.edifact.as_ref().ok_or_else(|| StoreError::Invalid(format!("retailer {} has no [edifact]", p.id)))?;
    let (date, time) = crate::util::datetime_compact(now_s);
    let env = Envelope {
        syntax: Syntax::default(),
        charset: e.charset().map_err(bad)?,
        syntax_version: 3,
        sender: e.receiver().map_err(bad)?,
        recipient: e.sender().map_err(bad)?,
        date,
        time: time[..4].to_string(),
        control: control.to_string(),
        application_ref: None,
        test: false,
    };
    Ok((env, e.release().map_err(bad)?))
}

/// Who is who in cXML documents to the retailer: our credential (its
/// profile's `our_credential`, else the `To` of its order) and the buyer's
/// (the `From` of its order, else its profile's identity).
fn cxml_parties(conn: &mut Conn, p: &Profile, f: &Full) -> Result<cxw::Parties> {
    let c = p.cxml.as_ref();
    let header = order_header(conn, p, f.order.document_id)?;
    let ours = c
        .and_then(|c| c.our_credential.as_deref())
        .and_then(|o| o.split_once(':'))
        .map(|(d, i)| Credential { domain: d.trim().to_string(), identity: i.trim().to_string() });
    let from = ours
        .or_else(|| header.as_ref().and_then(|h| h.to.first().cloned()))
        .unwrap_or(Credential { domain: "NetworkID".into(), identity: "dropgate".into() });
    let to = header.as_ref().and_then(|h| h.from.first().cloned()).unwrap_or_else(|| Credential {
        domain: c.and_then(|c| c.domain.clone()).unwrap_or_else(|| "NetworkID".into()),
        identity: c.map(|c| c.identity.clone()).unwrap_or_default(),
    });
    Ok(cxw::Parties { from, to, user_agent: format!("dropgate {}", env!("CARGO_PKG_VERSION")) })
}

/// The header of the cXML document an order came in, when it still reads.
fn order_header(conn: &mut Conn, p: &Profile, document: i64) -> Result<Option<cxml::Header>> {
    let Some(meta) = documents::meta(conn, document)? else { return Ok(None) };
    if meta.format != "cxml" {
        return Ok(None);
    }
    let bytes = blobs::read(conn, meta.blob_id)?;
    let enc = p.cxml.as_ref().and_then(crate::retailer::CxmlProfile::fallback_encoding);
    Ok(cxml::read(&bytes, &Limits::default(), enc).ok().map(|m| m.header))
}

fn cxml_stamp(parties: &cxw::Parties, seq: u32, now_s: i64) -> cxw::Stamp {
    let domain = parties.from.identity.replace(|c: char| !c.is_ascii_alphanumeric(), "");
    cxw::Stamp::new(now_s, &seq.to_string(), &format!("{domain}.dropgate"))
}

/// A document the retailer's character set cannot hold: recorded, and
/// its shipment waits for the next batch.
fn refused(conn: &mut Conn, p: &Profile, order: i64, what: &str, e: &edw::WriteError) -> Result<()> {
    let text = format!("{what} not written: {e}");
    tracing::warn!(retailer = %p.id, "{text}");
    crate::store::event(conn, "outbound.refused", Some(&p.id), None, Some(order), &text)
}

fn ship_rows(f: &Full, n: &Notice) -> Vec<ShippedRow> {
    n.lines
        .iter()
        .map(|l| ShippedRow {
            po: n.po_number.clone(),
            line: l.line_number.clone(),
            item: l.ids.first().map(|i| i.value.to_string()).unwrap_or_default(),
            sku: sku_of(f, &l.line_number).unwrap_or_default(),
            quantity: l.quantity,
            carrier: n.carrier.clone(),
            service: n.service.clone(),
            tracking: n.packages.get(l.package).map(|p| p.tracking.clone()).unwrap_or_default(),
            ship_date: n.date.clone(),
            shipment: format!("SHP{:09}", f.shipment.id),
        })
        .collect()
}

/// The CSV of the retailer, in its encoding.
fn encoded(p: &Profile, bytes: Vec<u8>, what: &str) -> std::result::Result<Vec<u8>, String> {
    let enc = p.csv.as_ref().map_or("utf-8", |c| c.encoding.as_str());
    let text = String::from_utf8(bytes).unwrap_or_default();
    fcsv::encode_for(&text, enc).map_err(|c| {
        format!(
            "{what} not written: {c:?} (U+{:04X}) cannot be written in {enc} and has no usual transliteration",
            u32::from(c)
        )
    })
}

fn pdf_mode(p: &Profile) -> bool {
    p.csv.as_ref().is_some_and(|c| c.answers == Answers::Pdf)
}

fn ship_to_lines(po: &PurchaseOrder) -> Vec<String> {
    po.ship_to().map(crate::slip::address_lines).unwrap_or_default()
}

fn date_text(d: &str) -> String {
    crate::slip::content::display_date(d)
}

/// A batch of ship notices (`asn`) or invoices (`invoice`) for a retailer
/// whose language is not X12: the outbox rows, how many shipments or
/// invoices they hold, and a line for the run's record.
pub(super) fn batch(
    conn: &mut Conn,
    p: &Profile,
    lang: Language,
    kind: &str,
    run: i64,
    now: i64,
) -> Result<(Vec<NewOutboxRow>, i64, String)> {
    let now_s = now.div_euclid(1_000_000);
    let (outs, items, detail) =
        if kind == "asn" { asn(conn, p, lang, run, now_s)? } else { invoices(conn, p, lang, run, now_s)? };
    Ok((rows(p, outs, now), items, detail))
}

fn asn(conn: &mut Conn, p: &Profile, lang: Language, run: i64, now_s: i64) -> Result<(Vec<Out>, i64, String)> {
    let ships = shipments::awaiting_asn(conn, &p.id, i64::MAX)?;
    let full = shipments::load_full(conn, ships)?;
    let mut outs = Vec::new();
    let mut sent: Vec<i64> = Vec::new();
    match lang {
        Language::Edifact => {
            let seqs = numbers(conn, &p.id, "unb", full.len())?;
            for (f, seq) in full.iter().zip(seqs) {
                let n = notice_of(f);
                let po = po_of(f);
                let (env, release) = edifact_envelope(p, seq, now_s)?;
                match edw::write_desadv(&env, release, &despatch(f, &n, &po)) {
                    Ok(bytes) => {
                        outs.push(Out {
                            kind: "DESADV",
                            doc: "DESADV",
                            ext: "",
                            seq,
                            po: n.po_number.clone(),
                            order: Some(f.order.id),
                            bytes,
                        });
                        sent.push(f.shipment.id);
                    }
                    Err(e) => refused(conn, p, f.order.id, &format!("DESADV for PO {}", n.po_number), &e)?,
                }
            }
        }
        Language::Cxml => {
            let seqs = numbers(conn, &p.id, "cxml", full.len())?;
            for (f, seq) in full.iter().zip(seqs) {
                let n = notice_of(f);
                let po = po_of(f);
                let parties = cxml_parties(conn, p, f)?;
                let bytes = cxw::ship_notice(&cxml_stamp(&parties, seq, now_s), &parties, &po, &despatch(f, &n, &po));
                outs.push(Out {
                    kind: "ShipNoticeRequest",
                    doc: "ShipNoticeRequest",
                    ext: "xml",
                    seq,
                    po: n.po_number.clone(),
                    order: Some(f.order.id),
                    bytes,
                });
                sent.push(f.shipment.id);
            }
        }
        Language::Csv if pdf_mode(p) => {
            let seqs = numbers(conn, &p.id, "csv", full.len())?;
            let cat = catalogue(conn, &full)?;
            let look = look(p);
            for (f, seq) in full.iter().zip(seqs) {
                let n = notice_of(f);
                let bytes = pdf_of(p, &look, &shipment_paper(f, &n, &cat))?;
                outs.push(Out {
                    kind: "shipment.pdf",
                    doc: "shipment",
                    ext: "pdf",
                    seq,
                    po: n.po_number.clone(),
                    order: Some(f.order.id),
                    bytes,
                });
                sent.push(f.shipment.id);
            }
        }
        Language::Csv | Language::X12 => {
            let groups: Vec<Vec<&Full>> = match p.asn.per {
                Per::Shipment => full.iter().map(|f| vec![f]).collect(),
                Per::Batch if full.is_empty() => Vec::new(),
                Per::Batch => vec![full.iter().collect()],
            };
            let seqs = numbers(conn, &p.id, "csv", groups.len())?;
            for (group, seq) in groups.iter().zip(seqs) {
                let rows: Vec<ShippedRow> = group.iter().flat_map(|f| ship_rows(f, &notice_of(f))).collect();
                let single = (group.len() == 1).then(|| group[0]);
                match encoded(p, fcsv::write_shipments(&rows), "ship confirmation") {
                    Ok(bytes) => {
                        outs.push(Out {
                            kind: "shipment.csv",
                            doc: "shipment",
                            ext: "csv",
                            seq,
                            po: single.map(|f| f.order.po_number.clone()).unwrap_or_default(),
                            order: single.map(|f| f.order.id),
                            bytes,
                        });
                        sent.extend(group.iter().map(|f| f.shipment.id));
                    }
                    Err(text) => {
                        crate::store::event(
                            conn,
                            "outbound.refused",
                            Some(&p.id),
                            None,
                            single.map(|f| f.order.id),
                            &text,
                        )?;
                    }
                }
            }
        }
    }
    shipments::mark_asn(conn, &sent, run)?;
    let waiting = full.len() - sent.len();
    let mut detail = format!("{} shipment(s) in {} ship notice document(s)", sent.len(), outs.len());
    if waiting > 0 {
        detail.push_str(&format!("; {waiting} refused (see the events), left for the next batch"));
    }
    Ok((outs, i64::try_from(sent.len()).unwrap_or(i64::MAX), detail))
}

fn shipment_paper(f: &Full, n: &Notice, cat: &Catalogue) -> Paperwork {
    let po = po_of(f);
    let tracking: Vec<&str> = n.packages.iter().map(|p| p.tracking.as_str()).filter(|t| !t.is_empty()).collect();
    let mut facts = vec![("Order no.", n.po_number.clone()), ("Shipment", n.shipment_id.clone())];
    facts.push(("Shipped", date_text(&n.date)));
    let carrier =
        [n.carrier.as_str(), n.service.as_str()].iter().filter(|s| !s.is_empty()).copied().collect::<Vec<_>>();
    facts.push(("Carrier", carrier.join(" ")));
    facts.push(("Tracking", tracking.join(", ")));
    let lines = n
        .lines
        .iter()
        .map(|l| DocLine {
            line_number: l.line_number.clone(),
            item: l.ids.iter().map(|i| i.value.to_string()).collect(),
            description: describe(&po, f, &l.line_number, cat),
            ordered: l.ordered,
            quantity: l.quantity,
            ..DocLine::default()
        })
        .collect();
    Paperwork {
        kind: Kind::Shipment,
        po_number: n.po_number.clone(),
        facts,
        ship_to: ship_to_lines(&po),
        lines,
        charges: Vec::new(),
        currency: None,
        notes: Vec::new(),
    }
}

fn invoice_paper(inv: &LineInvoice, f: &Full, cat: &Catalogue) -> Paperwork {
    let po = &po_of(f);
    let mut facts = vec![("Invoice no.", inv.number.clone()), ("Invoice date", date_text(&inv.date))];
    facts.push(("Order no.", inv.po_number.clone()));
    if let Some(d) = &inv.po_date {
        facts.push(("Order date", date_text(d)));
    }
    facts.push(("Shipped", date_text(&inv.ship_date)));
    if let Some(t) = inv.terms.as_ref().map(fcsv::terms_text).filter(|t| !t.is_empty()) {
        facts.push(("Terms", t));
    }
    let lines = inv
        .lines
        .iter()
        .map(|l| DocLine {
            line_number: l.line_number.clone(),
            item: l.ids.iter().map(|i| i.value.to_string()).collect(),
            description: describe(po, f, &l.line_number, cat),
            quantity: l.quantity,
            unit_price: Some(l.unit_price),
            ..DocLine::default()
        })
        .collect();
    let charges = inv
        .charges
        .iter()
        .map(|c| {
            let label = c.description.clone().unwrap_or_else(|| {
                if c.indicator == "A" {
                    format!("Allowance {}", c.code)
                } else {
                    format!("Charge {}", c.code)
                }
            });
            (label, c.signed_cents())
        })
        .collect();
    Paperwork {
        kind: Kind::Invoice,
        po_number: inv.po_number.clone(),
        facts,
        ship_to: ship_to_lines(po),
        lines,
        charges,
        currency: po.currency.as_ref().map(ToString::to_string),
        notes: Vec::new(),
    }
}

fn invoices(conn: &mut Conn, p: &Profile, lang: Language, run: i64, now_s: i64) -> Result<(Vec<Out>, i64, String)> {
    let (full, prices) = uninvoiced(conn, &p.id)?;
    let numbers_of = numbers(conn, &p.id, "invoice", full.len())?;
    let date = crate::util::datetime_compact(now_s).0;
    let invs: Vec<(LineInvoice, &Full)> = full
        .iter()
        .zip(numbers_of)
        .map(|(f, n)| (invoice_of(f, p, format!("{}{n:09}", p.invoice.prefix), &date, &prices), f))
        .collect();
    let mut outs = Vec::new();
    let mut billed: Vec<(&LineInvoice, &Full)> = Vec::new();
    match lang {
        Language::Edifact => {
            let seqs = numbers(conn, &p.id, "unb", invs.len())?;
            for ((inv, f), seq) in invs.iter().zip(seqs) {
                let po = po_of(f);
                let (env, release) = edifact_envelope(p, seq, now_s)?;
                match edw::write_invoic(&env, release, &invoice_doc(f, inv, &po)) {
                    Ok(bytes) => {
                        outs.push(Out {
                            kind: "INVOIC",
                            doc: "INVOIC",
                            ext: "",
                            seq,
                            po: inv.po_number.clone(),
                            order: Some(f.order.id),
                            bytes,
                        });
                        billed.push((inv, f));
                    }
                    Err(e) => {
                        refused(conn, p, f.order.id, &format!("INVOIC {} for PO {}", inv.number, inv.po_number), &e)?
                    }
                }
            }
        }
        Language::Cxml => {
            let seqs = numbers(conn, &p.id, "cxml", invs.len())?;
            for ((inv, f), seq) in invs.iter().zip(seqs) {
                let po = po_of(f);
                let parties = cxml_parties(conn, p, f)?;
                let bytes = cxw::invoice(&cxml_stamp(&parties, seq, now_s), &parties, &po, &invoice_doc(f, inv, &po));
                outs.push(Out {
                    kind: "InvoiceDetailRequest",
                    doc: "InvoiceDetailRequest",
                    ext: "xml",
                    seq,
                    po: inv.po_number.clone(),
                    order: Some(f.order.id),
                    bytes,
                });
                billed.push((inv, f));
            }
        }
        Language::Csv if pdf_mode(p) => {
            let seqs = numbers(conn, &p.id, "csv", invs.len())?;
            let cat = catalogue(conn, &full)?;
            let look = look(p);
            for ((inv, f), seq) in invs.iter().zip(seqs) {
                let bytes = pdf_of(p, &look, &invoice_paper(inv, f, &cat))?;
                outs.push(Out {
                    kind: "invoice.pdf",
                    doc: "invoice",
                    ext: "pdf",
                    seq,
                    po: inv.po_number.clone(),
                    order: Some(f.order.id),
                    bytes,
                });
                billed.push((inv, f));
            }
        }
        Language::Csv | Language::X12 => {
            let groups: Vec<Vec<&(LineInvoice, &Full)>> = match p.invoice.per {
                Per::Shipment => invs.iter().map(|i| vec![i]).collect(),
                Per::Batch if invs.is_empty() => Vec::new(),
                Per::Batch => vec![invs.iter().collect()],
            };
            let seqs = numbers(conn, &p.id, "csv", groups.len())?;
            for (group, seq) in groups.iter().zip(seqs) {
                let list: Vec<LineInvoice> = group.iter().map(|(inv, _)| inv.clone()).collect();
                let single = (group.len() == 1).then(|| group[0]);
                let sheet =
                    fcsv::write_invoices(&list, |n, l| group.get(n).and_then(|(_, f)| sku_of(f, &l.line_number)));
                match encoded(p, sheet, "invoice") {
                    Ok(bytes) => {
                        outs.push(Out {
                            kind: "invoice.csv",
                            doc: "invoice",
                            ext: "csv",
                            seq,
                            po: single.map(|(inv, _)| inv.po_number.clone()).unwrap_or_default(),
                            order: single.map(|(_, f)| f.order.id),
                            bytes,
                        });
                        billed.extend(group.iter().map(|(inv, f)| (inv, *f)));
                    }
                    Err(text) => {
                        crate::store::event(
                            conn,
                            "outbound.refused",
                            Some(&p.id),
                            None,
                            single.map(|(_, f)| f.order.id),
                            &text,
                        )?;
                    }
                }
            }
        }
    }
    let expected: usize = billed.iter().map(|(_, f)| f.lines.len()).sum();
    let marks: Vec<(i64, String)> = billed.iter().map(|(inv, f)| (f.shipment.id, inv.number.clone())).collect();
    let marked = shipments::mark_invoiced(conn, &p.id, &marks, run)?;
    if marked != expected {
        return Err(StoreError::Conflict(format!(
            "invoicing retailer {}: {marked} shipment lines marked, {expected} expected",
            p.id
        )));
    }
    let total: i64 = billed.iter().map(|(inv, _)| inv.total_cents()).sum();
    let mut detail = format!(
        "{} invoice(s), {expected} line(s), total {} in {} document(s)",
        billed.len(),
        Amount::from_cents(total),
        outs.len()
    );
    let waiting = invs.len() - billed.len();
    if waiting > 0 {
        detail.push_str(&format!("; {waiting} refused (see the events), left for the next batch"));
    }
    Ok((outs, i64::try_from(billed.len()).unwrap_or(i64::MAX), detail))
}

/// The order confirmation of a CSV retailer that takes PDFs: per line what
/// was ordered, accepted, backordered and rejected.
pub fn confirmation_pdf(
    conn: &mut Conn,
    p: &Profile,
    po: &PurchaseOrder,
    d: &OrderDecision,
    now_s: i64,
) -> Result<Vec<u8>> {
    let values: Vec<String> = po.lines.iter().flat_map(|l| l.ids.iter().map(|i| i.value.to_string())).collect();
    let skus = stock::resolve_aliases(conn, &values)?;
    let cat = stock::products(conn, &skus.values().map(String::as_str).collect::<Vec<_>>())?;
    let from_catalogue = |l: &crate::domain::OrderLine| {
        l.ids.iter().find_map(|i| cat.get(skus.get(i.value.as_str())?)?.description.clone())
    };
    let mut facts = vec![("Order no.", po.po_number.to_string())];
    if let Some(c) = po.customer_order_number() {
        facts.push(("Customer order", c.to_string()));
    }
    if let Some(od) = &po.order_date {
        facts.push(("Order date", date_text(od)));
    }
    facts.push(("Confirmed", date_text(&crate::util::datetime_compact(now_s).0)));
    facts.push(("Status", d.state.as_str().replace('_', " ")));
    let lines = po
        .lines
        .iter()
        .zip(&d.lines)
        .enumerate()
        .map(|(i, (l, ld))| DocLine {
            line_number: if l.line_number.is_empty() { (i + 1).to_string() } else { l.line_number.to_string() },
            item: l.ids.iter().map(|id| id.value.to_string()).collect(),
            description: l.description.as_ref().map(ToString::to_string).or_else(|| from_catalogue(l)),
            ordered: ld.ordered,
            accepted: ld.accepted,
            backordered: ld.backordered,
            rejected: ld.rejected,
            ..DocLine::default()
        })
        .collect();
    let mut notes = Vec::new();
    if d.lines.iter().any(|l| l.backordered > 0) {
        notes.push("Backordered units ship when stock arrives.".to_string());
    }
    let doc = Paperwork {
        kind: Kind::Confirmation,
        po_number: po.po_number.to_string(),
        facts,
        ship_to: ship_to_lines(po),
        lines,
        charges: Vec::new(),
        currency: None,
        notes,
    };
    pdf_of(p, &look(p), &doc)
}

/// The file name of a PDF document for the retailer.
pub fn pdf_name(p: &Profile, doc: &str, control: &str, po: &str, now_s: i64, seq: u32) -> String {
    file_name(p, doc, control, po, now_s, seq, "pdf")
}

/// Whether a CSV retailer takes its order confirmations as PDFs.
pub fn confirms_in_pdf(p: &Profile) -> bool {
    pdf_mode(p)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn profile(text: &str) -> Profile {
        Profile::from_toml(&format!("id = \"r\"\nname = \"R\"\n{text}"), "r.toml").unwrap()
    }

    #[test]
    fn the_language_follows_the_profile() {
        assert_eq!(language(&profile("")), Language::X12);
        assert_eq!(language(&profile("[x12]\nsender_id = \"ZZ:R\"\n")), Language::X12);
        let edi = "[edifact]\nsender_id = \"S:14\"\nreceiver_id = \"R:14\"\n";
        assert_eq!(language(&profile(edi)), Language::Edifact);
        assert_eq!(language(&profile("[cxml]\nidentity = \"buyer\"\n")), Language::Cxml);
        let csv = "[csv]\nheader = true\nanswers = \"pdf\"\n[csv.columns]\npo = \"po\"\nsku = \"sku\"\nqty = \"qty\"\n";
        assert_eq!(language(&profile(csv)), Language::Csv);
        assert!(pdf_mode(&profile(csv)));
        let bad =
            Profile::from_toml(&format!("id = \"r\"\nname = \"R\"\n{}", csv.replace("\"pdf\"", "\"pfd\"")), "r.toml");
        let e = format!("{:#}", bad.unwrap_err());
        assert!(e.contains("pfd") && e.contains("csv") && e.contains("pdf"), "{e}");
        let e = format!(
            "{:#}",
            Profile::from_toml(&format!("id = \"r\"\nname = \"R\"\n{edi}charset = \"UNOX\"\n"), "r").unwrap_err()
        );
        assert!(e.contains("edifact.charset"), "{e}");
    }

    #[test]
    fn file_names_take_the_documents_extension() {
        let p = profile("");
        assert_eq!(file_name(&p, "invoice", "7", "PO1", 0, 7, "csv"), "invoice_7.csv");
        assert_eq!(file_name(&p, "DESADV", "7", "PO1", 0, 7, ""), "DESADV_7.edi");
        let mut p = p;
        p.outbound.file_name = "{doc}_{po}".into();
        assert_eq!(file_name(&p, "invoice", "7", "PO1", 0, 7, "pdf"), "invoice_PO1.pdf");
    }
}
