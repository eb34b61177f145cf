//! Example data: the demo retailer of `init --demo`, and X12 850 files of
//! any size for trying dropgate out, for tests and for benchmarks.

use crate::formats::x12::PartyId;
use std::fmt::Write as _;

/// One purchase order to generate.
#[derive(Clone, Debug)]
pub struct SamplePo {
    pub po_number: String,
    pub ship_to: String,
    /// (qualifier, item id, quantity)
    pub lines: Vec<(String, String, i64)>,
    pub gift_message: Option<String>,
}

impl SamplePo {
    pub fn new(po_number: &str, ship_to: &str, lines: &[(&str, &str, i64)]) -> SamplePo {
        SamplePo {
            po_number: po_number.into(),
            ship_to: ship_to.into(),
            lines: lines.iter().map(|(q, i, n)| ((*q).into(), (*i).into(), *n)).collect(),
            gift_message: None,
        }
    }
}

fn isa_field(s: &str, width: usize) -> String {
    format!("{s:<width$}")
}

/// An X12 004010 interchange holding one group with one 850 per order,
/// `~` + newline terminated, from `sender` to `receiver`.
pub fn x12_850(sender: &PartyId, receiver: &PartyId, isa_control: u32, orders: &[SamplePo]) -> Vec<u8> {
    let mut out = String::with_capacity(600 * orders.len() + 300);
    let _ = writeln!(
        out,
        "ISA*00*{}*00*{}*{}*{}*{}*{}*261123*0900*U*00401*{:09}*0*P*>~",
        " ".repeat(10),
        " ".repeat(10),
        sender.qualifier,
        isa_field(&sender.id, 15),
        receiver.qualifier,
        isa_field(&receiver.id, 15),
        isa_control
    );
    let _ = writeln!(out, "GS*PO*{}*{}*20261123*0900*{isa_control}*X*004010~", sender.id, receiver.id);
    for (n, po) in orders.iter().enumerate() {
        let mut segs: Vec<String> = Vec::new();
        segs.push(format!("ST*850*{:04}", n + 1));
        segs.push(format!("BEG*00*DS*{}**20261123", po.po_number));
        segs.push(format!("REF*CO*{}-C", po.po_number));
        segs.push("DTM*010*20261125".into());
        segs.push("TD5*****UPS Ground".into());
        if let Some(g) = &po.gift_message {
            segs.push("N9*ZZ*GIFT".into());
            segs.push(format!("MSG*{g}"));
        }
        segs.push(format!("N1*ST*{}", po.ship_to));
        segs.push("N3*12 Sample Street".into());
        segs.push("N4*Springfield*IL*62701*US".into());
        for (i, (q, id, qty)) in po.lines.iter().enumerate() {
            segs.push(format!("PO1*{}*{qty}*EA*9.99**{q}*{id}", i + 1));
            segs.push(format!("PID*F****Item {id}"));
        }
        segs.push(format!("CTT*{}", po.lines.len()));
        let count = segs.len() + 1;
        for s in &segs {
            out.push_str(s);
            out.push_str("~\n");
        }
        let _ = writeln!(out, "SE*{count}*{:04}~", n + 1);
    }
    let _ = write!(out, "GE*{}*{isa_control}~\nIEA*1*{isa_control:09}~\n", orders.len());
    out.into_bytes()
}

/// The demo retailer's profile (TOML), with its folders under `data/`.
pub const DEMO_RETAILER: &str = r##"# A demo retailer. Copy this file to onboard a real one, then run
#   dropgate retailer apply retailers/NAME.toml
id = "demo"
name = "Demo Home Store"

[x12]
# The retailer's interchange id (ISA05:ISA06 of its files).
sender_id = "ZZ:DEMOSHOP"
# Our id in its files (ISA07:ISA08).
receiver_id = "ZZ:DROPGATE"
# Version of the documents we send; 997 or 999 follows the version of each group received.
version = "004010"

[policy]
# accept_partial | backorder | reject_order | cancel_line
on_short = "backorder"

[folders]
inbound = "data/retailers/demo/inbound"
outbound = "data/retailers/demo/outbound"

[outbound]
# Tokens: {doc} {control} {retailer} {po} {date} {time} {seq}
file_name = "{doc}_{control}.edi"

[brand]
# How its packing slips look (`dropgate slips print`); a logo is a PNG, JPEG
# or SVG file: logo = "retailers/demo-logo.svg"
return_address = ["Demo Home Store Returns", "1 Harbor Way", "Portland, OR 97201"]
phone = "+1 800 555 0100"
footer = "Thank you for shopping with Demo Home Store."
accent_color = "#1F5FAD"
show_prices = false
packing_slip = true
"##;

/// The demo stock file.
pub const DEMO_STOCK: &str = "sku,on_hand,upc,vendor_sku,description,unit_price,location
LAMP-01,25,012345678905,VL-100,Brass desk lamp,24.50,B-03-2
MUG-02,100,012345678912,VM-200,Stoneware mug,4.25,A-01-4
RUG-03,3,012345678929,VR-300,Wool rug 120x180,89.00,C-12-1
";

/// The demo 850: three orders, one short on stock, one with a gift message.
pub fn demo_850() -> Vec<u8> {
    let sender = PartyId { qualifier: "ZZ".into(), id: "DEMOSHOP".into() };
    let receiver = PartyId { qualifier: "ZZ".into(), id: "DROPGATE".into() };
    let mut gift = SamplePo::new("DEMO-1002", "Jordan Miller", &[("UP", "012345678912", 4)]);
    gift.gift_message = Some("Happy birthday, Jordan! Love, Sam".into());
    x12_850(
        &sender,
        &receiver,
        1,
        &[
            SamplePo::new("DEMO-1001", "Alex Example", &[("UP", "012345678905", 2), ("VN", "VM-200", 6)]),
            gift,
            SamplePo::new("DEMO-1003", "Casey Rivera", &[("VN", "VR-300", 5)]),
        ],
    )
}
