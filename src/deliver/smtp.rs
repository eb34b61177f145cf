//! Delivery by e-mail: one message per document, the document attached
//! byte for byte. The Message-ID is made from the outbox row, so a
//! message sent again (after a connection dropped before the server's
//! answer) carries the same Message-ID and is recognisable as a resend.

use super::DeliveryError;
use crate::config::Smtp;
use crate::retailer::EmailDelivery;
use crate::store::outbox::OutboxRow;
use lettre::message::header::ContentType;
use lettre::message::{Attachment, Mailbox, MultiPart, SinglePart};
use lettre::{Message, SmtpTransport, Transport};
use std::time::Duration;

/// The Message-ID of an outbox document.
pub fn message_id(row: &OutboxRow, from: &str) -> String {
    let domain = from.rsplit_once('@').map_or("dropgate.invalid", |(_, d)| d.trim_end_matches('>'));
    format!("<dropgate.{}.{}.{}@{domain}>", row.retailer_id, row.id, row.control)
}

/// The message for a document (without sending it).
pub fn message(smtp: &Smtp, to: &EmailDelivery, row: &OutboxRow) -> Result<Message, DeliveryError> {
    let bad = |what: &str, v: &str| DeliveryError::Permanent(format!("{what} {v:?} is not an e-mail address"));
    let from: Mailbox = smtp.from.parse().map_err(|_| bad("smtp.from", &smtp.from))?;
    let subject = to
        .subject
        .replace("{doc}", &row.kind)
        .replace("{file}", &row.file_name)
        .replace("{control}", &row.control)
        .replace("{retailer}", &row.retailer_id);
    let mut b = Message::builder().from(from).subject(subject).message_id(Some(message_id(row, &smtp.from)));
    for a in &to.to {
        b = b.to(a.parse().map_err(|_| bad("delivery.email.to", a))?);
    }
    for a in &to.cc {
        b = b.cc(a.parse().map_err(|_| bad("delivery.email.cc", a))?);
    }
    let kind = content_type(&row.payload, &row.file_name);
    let attachment = Attachment::new(row.file_name.clone())
        .body(row.payload.clone(), ContentType::parse(kind).unwrap_or(ContentType::TEXT_PLAIN));
    let text = SinglePart::plain(format!("{} {} for {}, attached.\n", row.kind, row.file_name, row.retailer_id));
    b.multipart(MultiPart::mixed().singlepart(text).singlepart(attachment))
        .map_err(|e| DeliveryError::Permanent(format!("cannot build the message: {e}")))
}

/// Sends one document.
pub fn deliver(smtp: &Smtp, to: &EmailDelivery, row: &OutboxRow) -> Result<(), DeliveryError> {
    let msg = message(smtp, to, row)?;
    let transport = SmtpTransport::builder_dangerous(&smtp.host)
        .port(smtp.port)
        .timeout(Some(Duration::from_secs(smtp.timeout_secs.max(1))))
        .build();
    transport.send(&msg).map(|_| ()).map_err(|e| {
        let text = format!("SMTP {}:{}: {e}", smtp.host, smtp.port);
        if e.is_permanent() {
            DeliveryError::Permanent(text)
        } else {
            DeliveryError::Transient(text)
        }
    })
}

/// The attachment's media type, told from its content (and a CSV's name).
fn content_type(payload: &[u8], file_name: &str) -> &'static str {
    if payload.starts_with(b"ISA") {
        "application/EDI-X12"
    } else if payload.starts_with(b"%PDF-") {
        "application/pdf"
    } else if payload.starts_with(b"UNA") || payload.starts_with(b"UNB") {
        "application/EDIFACT"
    } else if payload.starts_with(b"<?xml") {
        "application/xml"
    } else if file_name.to_ascii_lowercase().ends_with(".csv") {
        "text/csv"
    } else {
        "application/octet-stream"
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn attachments_carry_the_media_type_of_their_format() {
        for (bytes, name, kind) in [
            (&b"ISA*00*"[..], "856_1.edi", "application/EDI-X12"),
            (b"UNA:+.? 'UNB+UNOC:3", "DESADV_1.edi", "application/EDIFACT"),
            (b"UNB+UNOC:3", "INVOIC_1.edi", "application/EDIFACT"),
            (b"<?xml version=\"1.0\"?>", "ship.xml", "application/xml"),
            (b"%PDF-1.7", "invoice.pdf", "application/pdf"),
            (b"po,line", "SHIP_1.CSV", "text/csv"),
            (b"other", "x.bin", "application/octet-stream"),
        ] {
            assert_eq!(super::content_type(bytes, name), kind);
            assert!(lettre::message::header::ContentType::parse(kind).is_ok(), "{kind}");
        }
    }
}
