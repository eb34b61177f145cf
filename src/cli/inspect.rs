//! `dropgate inspect FILE`: what dropgate would make of a file, without a
//! database or configuration.

use crate::formats::x12::{self, ack::AckCode, Document, ParsedFile};
use clap::Args;
use serde_json::{json, Value};
use std::path::PathBuf;

#[derive(Args, Debug)]
pub struct InspectArgs {
    /// The file to read.
    #[arg(value_name = "FILE")]
    pub file: PathBuf,
    /// Print one JSON object (errors, interchanges, orders).
    #[arg(long)]
    pub json: bool,
    /// Print the acknowledgement interchanges dropgate would send back (TA1, 997/999).
    #[arg(long)]
    pub ack: bool,
}

pub fn run(a: &InspectArgs) -> anyhow::Result<i32> {
    let bytes = match std::fs::read(&a.file) {
        Ok(b) => b,
        Err(e) => {
            eprintln!("error: cannot read {}: {e}", a.file.display());
            return Ok(2);
        }
    };
    let name = a.file.display().to_string();
    match crate::formats::detect(&bytes) {
        crate::formats::Format::Edifact => return edifact_inspect(a, &name, &bytes),
        crate::formats::Format::X12 => {}
        other => {
            if let Some(code) = other_inspect(a, &name, &bytes, other)? {
                return Ok(code);
            }
        }
    }
    let parsed = x12::reader::read(&bytes);
    let errors: Vec<Value> = parsed
        .all_errors()
        .iter()
        .map(|e| {
            json!({
                "message": format!("{name}: {e}"),
                "segment_index": e.segment_index,
                "segment_id": e.segment_id,
                "element": e.element,
                "component": e.component,
            })
        })
        .collect();
    let failed = !errors.is_empty();
    if a.ack {
        for out in acks(&parsed) {
            print!("{}", String::from_utf8_lossy(&out));
        }
    } else if a.json {
        let v = json!({
            "file": name,
            "size": bytes.len(),
            "sha256": crate::util::sha256_hex(&bytes),
            "errors": errors,
            "interchanges": interchanges(&parsed),
            "orders": orders(&parsed),
        });
        println!("{}", serde_json::to_string_pretty(&v)?);
    } else {
        print_text(&name, &parsed);
    }
    Ok(i32::from(failed))
}

fn interchanges(p: &ParsedFile) -> Vec<Value> {
    p.interchanges
        .iter()
        .map(|ic| {
            json!({
                "sender": ic.sender.to_string(),
                "receiver": ic.receiver.to_string(),
                "control": ic.control,
                "version": ic.version,
                "usage": ic.usage.to_string(),
                "ack_requested": ic.ack_requested,
                "ta1": { "code": ic.ta1.code.code(), "note": ic.ta1.note.code() },
                "groups": ic.groups.iter().map(|g| json!({
                    "functional_id": g.functional_id,
                    "control": g.control,
                    "version": g.version,
                    "ack_code": g.ack.code.code(),
                    "sets": g.sets.iter().map(|s| json!({
                        "set_id": s.set_id,
                        "control": s.control,
                        "ack_code": s.ack.code.code(),
                    })).collect::<Vec<_>>(),
                })).collect::<Vec<_>>(),
            })
        })
        .collect()
}

fn orders(p: &ParsedFile) -> Vec<Value> {
    let mut out = Vec::new();
    for ic in &p.interchanges {
        for g in &ic.groups {
            for s in &g.sets {
                match &s.document {
                    Document::PurchaseOrder(po) => {
                        let mut v = serde_json::to_value(po).unwrap_or(Value::Null);
                        if let Value::Object(m) = &mut v {
                            m.insert("set".into(), json!(format!("{} {}", s.set_id, s.control)));
                            m.insert("line_count".into(), json!(po.lines.len()));
                            m.insert("kind".into(), json!("order"));
                        }
                        out.push(v);
                    }
                    Document::OrderChange(ch) => {
                        let mut v = serde_json::to_value(ch).unwrap_or(Value::Null);
                        if let Value::Object(m) = &mut v {
                            m.insert("set".into(), json!(format!("{} {}", s.set_id, s.control)));
                            m.insert("kind".into(), json!("change"));
                            m.insert("bch_purpose".into(), json!(ch.purpose));
                            m.insert("purpose".into(), json!(if ch.cancels_order() { "cancel" } else { "change" }));
                            m.insert("lines".into(), serde_json::to_value(&ch.changes).unwrap_or(Value::Null));
                            m.insert("line_count".into(), json!(ch.changes.len()));
                        }
                        out.push(v);
                    }
                    _ => {}
                }
            }
        }
    }
    out
}

/// The acknowledgements for a parsed file, numbered from 1.
pub fn acks(p: &ParsedFile) -> Vec<Vec<u8>> {
    let (date, time) = crate::util::datetime_compact(crate::util::unix_now());
    let mut control = 0u32;
    let mut out = Vec::new();
    for ic in &p.interchanges {
        let replies = x12::respond::acknowledgements(ic, &date, &time, |_| {
            control += 1;
            Ok::<u32, std::convert::Infallible>(control)
        });
        out.extend(replies.into_iter().flatten().map(|r| r.bytes));
    }
    out
}

fn print_text(name: &str, p: &ParsedFile) {
    println!("{name}: {} interchange(s)", p.interchanges.len());
    for ic in &p.interchanges {
        println!(
            "  interchange {} from {} to {} (ISA12 {}, {}){}",
            ic.control,
            ic.sender,
            ic.receiver,
            ic.version,
            if ic.usage == 'T' { "test" } else { "production" },
            if ic.refused() { format!(" REFUSED, TA1 note {}", ic.ta1.note.code()) } else { String::new() }
        );
        for g in &ic.groups {
            println!("    group {} {} (GS08 {}): {}", g.functional_id, g.control, g.version, ack_word(g.ack.code));
            for s in &g.sets {
                let what = match &s.document {
                    Document::PurchaseOrder(po) => format!(
                        "PO {}, {} line(s), ship to {}",
                        po.po_number,
                        po.lines.len(),
                        po.ship_to().and_then(|p| p.name.clone()).unwrap_or_else(|| "-".into())
                    ),
                    Document::OrderChange(ch) => format!(
                        "{} of PO {}, {} line change(s)",
                        if ch.cancels_order() { "cancellation" } else { "change" },
                        ch.po_number,
                        ch.changes.len()
                    ),
                    Document::FunctionalAck(a) => format!("{} for group {}: {}", a.kind, a.group_control, a.group_code),
                    Document::Unsupported { set_id } => format!("{set_id}: not a document dropgate takes"),
                    Document::Rejected => "rejected".into(),
                };
                let verdict = if g.ack.code == AckCode::Rejected || ic.refused() {
                    "rejected with its group"
                } else {
                    ack_word(s.ack.code)
                };
                println!("      {} {}: {verdict} — {what}", s.set_id, s.control);
            }
        }
    }
    let errors = p.all_errors();
    if errors.is_empty() {
        println!("no errors");
    } else {
        println!("{} error(s):", errors.len());
        for e in errors {
            println!("  {name}: {e}");
        }
    }
}

fn ack_word(c: AckCode) -> &'static str {
    match c {
        AckCode::Accepted => "accepted",
        AckCode::AcceptedWithErrors => "accepted with errors",
        AckCode::PartiallyAccepted => "partially accepted",
        AckCode::Rejected => "rejected",
    }
}

/// Formats other than X12 and EDIFACT; `None` when the bytes are to be
/// read as X12 after all (to report what is wrong with them).
fn other_inspect(
    a: &InspectArgs,
    name: &str,
    bytes: &[u8],
    format: crate::formats::Format,
) -> anyhow::Result<Option<i32>> {
    use crate::formats::{cxml, Format};
    match format {
        Format::Cxml => {
            let read = cxml::read(bytes, &cxml::Limits::default(), None);
            if a.json {
                let (errors, orders, header) = match &read {
                    Ok(m) => {
                        let orders: Vec<Value> = match &m.body {
                            cxml::Body::OrderRequest(po) => {
                                let mut v = serde_json::to_value(po).unwrap_or(Value::Null);
                                if let Value::Object(o) = &mut v {
                                    o.insert("line_count".into(), json!(po.lines.len()));
                                    o.insert("kind".into(), json!("order"));
                                }
                                vec![v]
                            }
                            _ => Vec::new(),
                        };
                        (Vec::new(), orders, serde_json::to_value(&m.header).unwrap_or(Value::Null))
                    }
                    Err(e) => {
                        (vec![json!({ "message": format!("{name}: {e}"), "line": e.line })], Vec::new(), Value::Null)
                    }
                };
                let v = json!({
                    "file": name,
                    "format": "cxml",
                    "size": bytes.len(),
                    "sha256": crate::util::sha256_hex(bytes),
                    "errors": errors,
                    "header": header,
                    "orders": orders,
                });
                println!("{}", serde_json::to_string_pretty(&v)?);
            } else {
                match &read {
                    Ok(m) => {
                        let from: Vec<String> = m.header.from.iter().map(ToString::to_string).collect();
                        println!("{name}: cXML {} from {}", m.header.payload_id, from.join(", "));
                        match &m.body {
                            cxml::Body::OrderRequest(po) => println!(
                                "  OrderRequest PO {}, {} line(s), ship to {}",
                                po.po_number,
                                po.lines.len(),
                                po.ship_to().and_then(|p| p.name.clone()).unwrap_or_else(|| "-".into())
                            ),
                            cxml::Body::Response { code, text } => println!("  Response {code} {text}"),
                            cxml::Body::Other { request } => println!("  {request}: not a document dropgate takes"),
                        }
                        println!("no errors");
                    }
                    Err(e) => println!("{name}: cXML\n1 error(s):\n  {name}: {e}"),
                }
            }
            Ok(Some(i32::from(read.is_err())))
        }
        _ => Ok(None),
    }
}

fn edifact_inspect(a: &InspectArgs, name: &str, bytes: &[u8]) -> anyhow::Result<i32> {
    use crate::formats::edifact::{self, writer, MessageBody};
    let parsed = edifact::read(bytes);
    let errors: Vec<Value> = parsed
        .all_errors()
        .iter()
        .map(|e| {
            json!({
                "message": format!("{name}: {e}"),
                "segment_index": e.segment_index,
                "segment_id": e.tag,
                "element": e.element,
                "component": e.component,
                "code": e.code,
            })
        })
        .collect();
    let failed = !errors.is_empty();
    if a.ack {
        let (date, time) = crate::util::datetime_compact(crate::util::unix_now());
        for (n, ic) in parsed.interchanges.iter().enumerate() {
            let env = writer::Envelope::reply_to(ic, u32::try_from(n + 1).unwrap_or(1), &date, &time[..4]);
            let reports: Vec<writer::MessageReport> = ic
                .messages
                .iter()
                .map(|m| writer::MessageReport {
                    reference: m.reference.to_string(),
                    identifier: m.identifier(),
                    errors: m.errors.clone(),
                    first_segment: m.first_segment,
                })
                .collect();
            match writer::write_contrl(&env, ic, &reports) {
                Ok(b) => print!("{}", String::from_utf8_lossy(&b)),
                Err(e) => eprintln!("error: {e}"),
            }
        }
        return Ok(i32::from(failed));
    }
    if a.json {
        let interchanges: Vec<Value> = parsed
            .interchanges
            .iter()
            .map(|ic| {
                json!({
                    "sender": ic.sender.to_string(),
                    "receiver": ic.recipient.to_string(),
                    "control": ic.control,
                    "charset": ic.charset.code(),
                    "syntax_version": ic.syntax_version,
                    "test": ic.test,
                    "ack_requested": ic.ack_requested,
                    "refused": ic.refused(),
                    "messages": ic.messages.iter().map(|m| json!({
                        "reference": m.reference,
                        "type": m.identifier(),
                        "rejected": !m.errors.is_empty(),
                    })).collect::<Vec<_>>(),
                })
            })
            .collect();
        let mut orders = Vec::new();
        for ic in &parsed.interchanges {
            for m in &ic.messages {
                if let MessageBody::Order(po) = &m.body {
                    let mut v = serde_json::to_value(po).unwrap_or(Value::Null);
                    if let Value::Object(o) = &mut v {
                        o.insert("set".into(), json!(format!("{} {}", m.kind, m.reference)));
                        o.insert("line_count".into(), json!(po.lines.len()));
                        o.insert("kind".into(), json!("order"));
                    }
                    orders.push(v);
                }
            }
        }
        let v = json!({
            "file": name,
            "format": "edifact",
            "size": bytes.len(),
            "sha256": crate::util::sha256_hex(bytes),
            "errors": errors,
            "interchanges": interchanges,
            "orders": orders,
        });
        println!("{}", serde_json::to_string_pretty(&v)?);
        return Ok(i32::from(failed));
    }
    println!("{name}: EDIFACT, {} interchange(s)", parsed.interchanges.len());
    for ic in &parsed.interchanges {
        println!(
            "  interchange {} from {} to {} ({}, syntax {}{}){}",
            ic.control,
            ic.sender,
            ic.recipient,
            ic.charset.code(),
            ic.syntax_version,
            if ic.test { ", test" } else { "" },
            if ic.refused() { " REJECTED" } else { "" }
        );
        for m in &ic.messages {
            let what = match &m.body {
                MessageBody::Order(po) => format!(
                    "PO {}, {} line(s), ship to {}",
                    po.po_number,
                    po.lines.len(),
                    po.ship_to().and_then(|p| p.name.clone().or(p.id.clone())).unwrap_or_else(|| "-".into())
                ),
                MessageBody::Contrl { interchange, action } => format!("CONTRL for {interchange}: action {action}"),
                MessageBody::Unsupported => "not a message dropgate takes".into(),
                MessageBody::Rejected => "rejected".into(),
            };
            let verdict = if ic.refused() || !m.errors.is_empty() { "rejected" } else { "accepted" };
            println!("    {} {}: {verdict} — {what}", m.identifier(), m.reference);
        }
    }
    let all = parsed.all_errors();
    if all.is_empty() {
        println!("no errors");
    } else {
        println!("{} error(s):", all.len());
        for e in all {
            println!("  {name}: {e}");
        }
    }
    Ok(i32::from(failed))
}
