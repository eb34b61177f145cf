//! The ledger and the store's idempotence, on every backend.

mod common;

use dropgate::store::documents::{self, Arrival, Body, Received, StreamedBlob};
use dropgate::store::{blobs, outbox, sftp, stock, Store};

fn ledger(db: &common::TestDb) {
    let store = Store::open(&db.url, 2).unwrap();
    let mut conn = store.conn().unwrap();
    let a = Arrival {
        source: "folder:acme",
        name: "a.edi",
        retailer: Some("acme"),
        body: Body::Bytes(b"ISA*first"),
        settled: false,
    };
    let first = documents::receive(&mut conn, a).unwrap();
    assert!(matches!(first, Received::New { .. }), "{}", db.backend);
    // The same arrival seen again before the folder let go of it (a crash): nothing new.
    let again = documents::receive(&mut conn, a).unwrap();
    assert_eq!(again, Received::Resumed { document: first.document(), receipt: first.receipt() });
    conn.write(|c| documents::settle(c, first.receipt())).unwrap();
    // After it was let go, the same bytes are a repeat, recorded as a receipt.
    let repeat = documents::receive(&mut conn, Arrival { name: "a-again.edi", ..a }).unwrap();
    assert!(matches!(repeat, Received::Repeat { document, .. } if document == first.document()));
    let receipts = documents::receipts_of(&mut conn, first.document()).unwrap();
    assert_eq!(receipts.len(), 2);
    assert!(!receipts[0].repeat && receipts[1].repeat);
    // Bytes are kept exactly, with their hash.
    let doc = documents::get(&mut conn, first.document()).unwrap().unwrap();
    assert_eq!(doc.bytes, b"ISA*first");
    assert_eq!(doc.sha256, dropgate::util::sha256_hex(b"ISA*first"));
    assert_eq!(doc.format, "x12");
    assert_eq!(doc.state, documents::RECEIVED);
    assert_eq!(documents::pending(&mut conn, 10).unwrap(), vec![first.document()]);
    // Other bytes: another document.
    let other = documents::receive(&mut conn, Arrival { body: Body::Bytes(b"hello"), ..a }).unwrap();
    assert_ne!(other.document(), first.document());
    assert_eq!(documents::get(&mut conn, other.document()).unwrap().unwrap().format, "unknown");

    // Interchanges: one per (sender, control).
    let d = first.document();
    assert_eq!(documents::record_interchange(&mut conn, d, "ZZ:ACME", "000000001").unwrap(), None);
    assert_eq!(
        documents::record_interchange(&mut conn, d, "ZZ:ACME", "000000001").unwrap(),
        None,
        "same document again"
    );
    assert_eq!(documents::record_interchange(&mut conn, other.document(), "ZZ:ACME", "000000001").unwrap(), Some(d));
    assert_eq!(documents::record_interchange(&mut conn, other.document(), "ZZ:OTHER", "000000001").unwrap(), None);

    // Control numbers: consecutive, per retailer and kind, never reused.
    let mut seen = Vec::new();
    for _ in 0..5 {
        seen.push(conn.write(|c| outbox::allocate_control(c, "acme", "isa", 1)).unwrap());
    }
    assert_eq!(seen, vec![1, 2, 3, 4, 5]);
    assert_eq!(conn.write(|c| outbox::allocate_control(c, "acme", "gs", 3)).unwrap(), 1);
    assert_eq!(conn.write(|c| outbox::allocate_control(c, "acme", "gs", 1)).unwrap(), 4);
    assert_eq!(conn.write(|c| outbox::allocate_control(c, "other", "isa", 1)).unwrap(), 1);
    // A rolled-back transaction gives its numbers back, so none is skipped or doubled.
    let r: Result<u32, _> = conn.write(|c| {
        outbox::allocate_control(c, "acme", "isa", 1)?;
        Err(dropgate::store::StoreError::Invalid("abandon".into()))
    });
    assert!(r.is_err());
    assert_eq!(conn.write(|c| outbox::allocate_control(c, "acme", "isa", 1)).unwrap(), 6);
}

/// Bytes streamed into a blob in chunks become a document without a copy;
/// the same bytes again drop the streamed copy; an unfinished blob is swept.
fn streamed_blobs(db: &common::TestDb) {
    let store = Store::open(&db.url, 2).unwrap();
    let mut conn = store.conn().unwrap();
    let bytes: Vec<u8> = (0..5_000_000u32).map(|i| (i % 251) as u8).collect();
    let blob = conn.write_unsynced(blobs::create).unwrap();
    for (seq, part) in bytes.chunks(1_000_000).enumerate() {
        conn.write_unsynced(|c| blobs::append(c, blob, seq as i32, part)).unwrap();
    }
    assert_eq!(blobs::open_count(&mut conn).unwrap(), (1, 5_000_000));
    let streamed = blobs::describe(&mut conn, blob).unwrap();
    assert_eq!(streamed.sha256, dropgate::util::sha256_hex(&bytes));
    assert_eq!(streamed.size, 5_000_000);
    assert_eq!(&streamed.head[..], &bytes[..documents::HEAD_BYTES]);
    let a =
        Arrival { source: "sftp:acme", name: "big.bin", retailer: None, body: Body::Blob(&streamed), settled: true };
    let first = documents::receive(&mut conn, a).unwrap();
    assert!(matches!(first, Received::New { .. }));
    assert_eq!(blobs::open_count(&mut conn).unwrap().0, 0, "the blob is the document's now");
    let doc = documents::get(&mut conn, first.document()).unwrap().unwrap();
    assert!(doc.bytes == bytes, "read back in order");
    assert_eq!(doc.size, 5_000_000);
    // The same bytes streamed again: a repeat, and the second copy goes.
    let again = conn.write(|c| blobs::store(c, &bytes)).unwrap();
    let s2 = StreamedBlob { id: again, ..streamed.clone() };
    let repeat = documents::receive(&mut conn, Arrival { body: Body::Blob(&s2), ..a }).unwrap();
    assert!(matches!(repeat, Received::Repeat { document, .. } if document == first.document()));
    assert!(blobs::chunk_numbers(&mut conn, again).unwrap().is_empty(), "the streamed copy is removed");
    // Unfinished: swept only once untouched since the cut-off.
    let left = conn.write(blobs::create).unwrap();
    conn.write(|c| blobs::append(c, left, 0, b"half")).unwrap();
    assert_eq!(blobs::sweep(&mut conn, 0).unwrap(), 0);
    assert_eq!(blobs::sweep(&mut conn, i64::MAX).unwrap(), 1);
    assert_eq!(blobs::open_count(&mut conn).unwrap(), (0, 0));
    assert_eq!(documents::get(&mut conn, first.document()).unwrap().unwrap().bytes.len(), 5_000_000);

    // A file waiting for its rename too long is removed, with its bytes, and recorded.
    let p = dropgate::retailer::Profile::from_toml(
        "id = \"acme\"\nname = \"Acme\"\n[x12]\nsender_id = \"ZZ:ACME\"\nreceiver_id = \"ZZ:US\"\n",
        "acme",
    )
    .unwrap();
    dropgate::store::retailers::apply(&mut conn, &p).unwrap();
    let waiting = conn.write(|c| blobs::store(c, b"half of it")).unwrap();
    conn.write(|c| sftp::stage(c, "acme", "PO9.edi.part", waiting, 10)).unwrap();
    assert!(sftp::expire(&mut conn, 0).unwrap().is_empty(), "not old enough");
    let gone = sftp::expire(&mut conn, i64::MAX).unwrap();
    assert_eq!(gone, vec![("acme".to_string(), "PO9.edi.part".to_string(), 10)]);
    assert!(sftp::list(&mut conn, "acme").unwrap().is_empty());
    assert!(blobs::chunk_numbers(&mut conn, waiting).unwrap().is_empty());
    let ev = dropgate::store::events(&mut conn, "sftp.expired", Some("acme"), 10).unwrap();
    assert!(ev[0].message.contains("PO9.edi.part"), "{ev:?}");
}

fn stock_import(db: &common::TestDb) {
    let store = Store::open(&db.url, 2).unwrap();
    let mut conn = store.conn().unwrap();
    let item = |sku: &str, n: i64, upc: Option<&str>| stock::StockItem {
        sku: sku.into(),
        on_hand: n,
        upc: upc.map(str::to_string),
        ..Default::default()
    };
    let s = stock::import(&mut conn, &[item("A", 10, Some("012345678905")), item("B", 4, None)], false).unwrap();
    assert_eq!((s.created, s.updated), (2, 0));
    conn.write(|c| stock::reserve(c, "A", 6)).unwrap();
    // On hand replaced, reservations kept; a drop below reserved is reported.
    let s = stock::import(&mut conn, &[item("A", 5, None)], false).unwrap();
    assert_eq!(s.oversold, vec![("A".to_string(), 1)]);
    let a = stock::get(&mut conn, "A").unwrap().unwrap();
    assert_eq!((a.on_hand, a.reserved, a.available()), (5, 6, 0));
    // A full import zeroes what the file does not list.
    let s = stock::import(&mut conn, &[item("A", 20, None)], true).unwrap();
    assert_eq!(s.zeroed, 1);
    assert_eq!(stock::get(&mut conn, "B").unwrap().unwrap().on_hand, 0);
    // Aliases: the UPC, and its GTIN-14 spelling, find the SKU.
    let m =
        stock::resolve_aliases(&mut conn, &["012345678905".into(), "00012345678905".into(), "A".into(), "nope".into()])
            .unwrap();
    assert_eq!(m.get("012345678905").map(String::as_str), Some("A"));
    assert_eq!(m.get("00012345678905").map(String::as_str), Some("A"));
    assert_eq!(m.get("A").map(String::as_str), Some("A"));
    assert!(!m.contains_key("nope"));
    // Reserving more than is free is refused; releasing gives back.
    assert!(!conn.write(|c| stock::try_reserve(c, "A", 15)).unwrap());
    assert!(conn.write(|c| stock::try_reserve(c, "A", 14)).unwrap());
    conn.write(|c| stock::release(c, "A", 20)).unwrap();
    assert_eq!(stock::get(&mut conn, "A").unwrap().unwrap().reserved, 0);
}

#[test]
fn ledger_on_every_backend() {
    for db in common::all_dbs("ledger_on_every_backend") {
        ledger(&db);
    }
}

/// A large outbound document lives in a blob; every reader of the outbox
/// sees its bytes whole, and a change of state leaves them as they are.
fn large_outbox_documents(db: &common::TestDb) {
    let store = Store::open(&db.url, 2).unwrap();
    let mut conn = store.conn().unwrap();
    let big: Vec<u8> = (0..outbox::INLINE_MAX + 1).map(|i| (i % 253) as u8).collect();
    let now = dropgate::store::now_micros();
    let row = |name: &str, payload: Vec<u8>| outbox::NewOutboxRow {
        retailer_id: "acme".into(),
        document_id: None,
        order_id: None,
        kind: "846".into(),
        control: "1".into(),
        file_name: name.into(),
        payload,
        state: outbox::PENDING.into(),
        attempts: 0,
        next_attempt_at: now,
        created_at: now,
    };
    let ids = outbox::enqueue_many(&mut conn, &[row("small.edi", b"ISA*small~".to_vec()), row("big.edi", big.clone())])
        .unwrap();
    let got = outbox::get(&mut conn, ids[1]).unwrap().unwrap();
    assert!(got.blob_id.is_some() && got.payload == big);
    assert!(outbox::get(&mut conn, ids[0]).unwrap().unwrap().blob_id.is_none());
    let due = outbox::due(&mut conn, 10, &[]).unwrap();
    assert_eq!(due.len(), 2);
    assert!(due[1].payload == big, "delivery gets the whole document");
    let sizes: Vec<(String, i64)> =
        outbox::waiting(&mut conn, "acme").unwrap().into_iter().map(|w| (w.file_name, w.size)).collect();
    assert_eq!(sizes, [("big.edi".to_string(), big.len() as i64), ("small.edi".to_string(), 10)]);
    match outbox::waiting_bytes(&mut conn, "acme", "big.edi").unwrap() {
        Some((id, outbox::WaitingBytes::Blob { blob, size })) => {
            assert_eq!((id, size), (ids[1], big.len() as u64));
            assert!(blobs::read(&mut conn, blob).unwrap() == big);
            let first = blobs::chunk(&mut conn, blob, 0).unwrap().unwrap();
            assert_eq!(first.len(), outbox::READ_CHUNK, "read in chunks of a few SFTP reads each");
        }
        other => panic!("a large document is read from its blob: {other:?}"),
    }
    assert_eq!(
        outbox::waiting_bytes(&mut conn, "acme", "small.edi").unwrap(),
        Some((ids[0], outbox::WaitingBytes::Inline(b"ISA*small~".to_vec())))
    );
    outbox::mark_delivered(&mut conn, ids[1]).unwrap();
    assert!(outbox::get(&mut conn, ids[1]).unwrap().unwrap().payload == big);
}

#[test]
fn large_outbox_documents_on_every_backend() {
    for db in common::all_dbs("large_outbox_documents_on_every_backend") {
        large_outbox_documents(&db);
    }
}

/// Small bytes stored at once stay in the blob's row (no chunk is written);
/// longer ones go into chunks; both read back the same way.
fn small_blobs(db: &common::TestDb) {
    use diesel::prelude::*;
    use dropgate::store::schema::blob_chunks::dsl as bc;
    let store = Store::open(&db.url, 2).unwrap();
    let mut conn = store.conn().unwrap();
    for (len, chunks) in [(0, 0), (10, 0), (blobs::INLINE, 0), (blobs::INLINE + 1, 1)] {
        let bytes: Vec<u8> = (0..len).map(|i| (i % 251) as u8).collect();
        let blob = conn.write(|c| blobs::store(c, &bytes)).unwrap();
        let stored: i64 = dropgate::store::with_conn!(&mut *conn, c =>
            bc::blob_chunks.filter(bc::blob_id.eq(blob)).count().get_result(c))
        .unwrap();
        assert_eq!(stored, chunks, "{len} bytes");
        assert_eq!(blobs::read(&mut conn, blob).unwrap(), bytes, "{len} bytes");
        assert_eq!(blobs::head(&mut conn, blob, 5).unwrap(), bytes[..len.min(5)], "{len} bytes");
        assert_eq!(blobs::chunk_numbers(&mut conn, blob).unwrap(), vec![0], "{len} bytes");
        assert_eq!(blobs::chunk(&mut conn, blob, 0).unwrap(), Some(bytes.clone()), "{len} bytes");
        assert_eq!(blobs::chunk(&mut conn, blob, 1).unwrap(), None, "{len} bytes");
        let d = blobs::describe(&mut conn, blob).unwrap();
        assert_eq!((d.size, d.sha256), (len as i64, dropgate::util::sha256_hex(&bytes)), "{len} bytes");
        conn.write(|c| blobs::delete(c, blob)).unwrap();
        assert!(blobs::chunk_numbers(&mut conn, blob).unwrap().is_empty(), "{len} bytes");
        assert_eq!(blobs::chunk(&mut conn, blob, 0).unwrap(), None, "{len} bytes");
    }
}

#[test]
fn small_blobs_on_every_backend() {
    for db in common::all_dbs("small_blobs_on_every_backend") {
        small_blobs(&db);
    }
}

#[test]
fn streamed_blobs_on_every_backend() {
    for db in common::all_dbs("streamed_blobs_on_every_backend") {
        streamed_blobs(&db);
    }
}

#[test]
fn stock_import_on_every_backend() {
    for db in common::all_dbs("stock_import_on_every_backend") {
        stock_import(&db);
    }
}
