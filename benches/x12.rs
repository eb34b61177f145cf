//! X12 reader throughput on one core: tokenizing and 850 → domain.
//!
//! Run with `cargo bench --bench x12`. Generates one interchange with
//! 10,000 drop-ship 850s of 5 lines each and prints MB/s and orders/s
//! (best of several rounds).

use dropgate::formats::x12::reader::{read, segments};
use dropgate::formats::x12::Document;
use std::hint::black_box;
use std::time::{Duration, Instant};

/// The allocator the `dropgate` binary uses.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

const ORDERS: usize = 10_000;
const LINES: usize = 5;

fn file() -> Vec<u8> {
    let mut s = String::with_capacity(ORDERS * 700);
    s.push_str(
        "ISA*00*          *00*          *ZZ*RETAILER       *ZZ*DROPGATE       *240115*1030*^*00401*000000001*0*P*>~\n",
    );
    s.push_str("GS*PO*RETAILER*DROPGATE*20240115*1030*1*X*004010~\n");
    for o in 1..=ORDERS {
        let mut n = 0;
        let mut seg = |s: &mut String, text: &str| {
            s.push_str(text);
            s.push_str("~\n");
            n += 1;
        };
        seg(&mut s, &format!("ST*850*{o:04}"));
        seg(&mut s, &format!("BEG*00*DS*PO{o:08}**20240115"));
        seg(&mut s, &format!("REF*CO*112-{o:07}-4455667"));
        seg(&mut s, "DTM*002*20240120");
        seg(&mut s, "TD5**92*UPS_GR_RES****ZZ*RES");
        seg(&mut s, "N9*ZZ*GIFT");
        seg(&mut s, "MSG*Happy birthday!");
        seg(&mut s, "N1*ST*Charlie Smith");
        seg(&mut s, "N3*11254 Main St*Suite 112");
        seg(&mut s, "N4*Seattle*WA*98104*US");
        for l in 1..=LINES {
            seg(&mut s, &format!("PO1*{l}*{l}*EA*18.04*NT*UP*0123456789{l:02}*VN*SKU-{o}-{l}"));
            seg(&mut s, "PID*F****Wide Tracker Activity Walker");
            seg(&mut s, "CTP**PUR*19.99");
        }
        seg(&mut s, &format!("CTT*{LINES}"));
        let count = n + 1;
        s.push_str(&format!("SE*{count}*{o:04}~\n"));
    }
    s.push_str(&format!("GE*{ORDERS}*1~\nIEA*1*000000001~\n"));
    s.into_bytes()
}

fn best_of(rounds: usize, mut f: impl FnMut() -> usize) -> (Duration, usize) {
    let mut best = Duration::MAX;
    let mut out = 0;
    for _ in 0..rounds {
        let t = Instant::now();
        out = black_box(f());
        best = best.min(t.elapsed());
    }
    (best, out)
}

fn main() {
    let bytes = file();
    let mb = bytes.len() as f64 / 1e6;
    println!("input: {ORDERS} orders x {LINES} lines, {:.1} MB", mb);

    let (t, _) =
        best_of(20, || segments(black_box(&bytes)).map(|s| s.map(|seg| seg.id().len()).sum::<usize>()).unwrap_or(0));
    let segs = segments(&bytes).map(|s| s.count()).unwrap_or(0);
    println!(
        "tokenize (segments + ids):      {:8.0} MB/s  ({:.1} M segments/s)",
        mb / t.as_secs_f64(),
        segs as f64 / t.as_secs_f64() / 1e6
    );

    let (t, _) = best_of(10, || {
        let mut buf = Vec::with_capacity(32);
        let mut total = 0;
        if let Ok(s) = segments(black_box(&bytes)) {
            for seg in s {
                seg.split_into(&mut buf);
                total += buf.len();
            }
        }
        total
    });
    println!("tokenize (segments + elements): {:8.0} MB/s", mb / t.as_secs_f64());

    let (t, n) = best_of(10, || {
        let f = read(black_box(&bytes));
        f.interchanges
            .iter()
            .flat_map(|i| &i.groups)
            .flat_map(|g| &g.sets)
            .filter(|s| matches!(s.document, Document::PurchaseOrder(_)))
            .count()
    });
    assert_eq!(n, ORDERS, "every order must be accepted");
    // The same, without dropping the result inside the timing: how much of
    // the time above is the allocator freeing the ~26 allocations per order.
    let mut parse = Duration::MAX;
    let mut free = Duration::MAX;
    for _ in 0..10 {
        let t = Instant::now();
        let f = black_box(read(black_box(&bytes)));
        parse = parse.min(t.elapsed());
        let t = Instant::now();
        drop(f);
        free = free.min(t.elapsed());
    }
    println!(
        "read 850 → PurchaseOrder:       {:8.0} orders/s ({:.0} MB/s, {:.2} µs/order)",
        n as f64 / t.as_secs_f64(),
        mb / t.as_secs_f64(),
        t.as_secs_f64() * 1e6 / n as f64
    );
    println!(
        "  of which read() alone:        {:8.0} orders/s ({:.2} µs/order); dropping the result {:.2} µs/order",
        n as f64 / parse.as_secs_f64(),
        parse.as_secs_f64() * 1e6 / n as f64,
        free.as_secs_f64() * 1e6 / n as f64
    );
}
