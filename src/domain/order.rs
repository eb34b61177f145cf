//! Purchase orders and change requests as dropgate understands them,
//! whatever format they arrived in.

use super::Amount;
use compact_str::CompactString;
use serde::{Deserialize, Serialize};

/// A reference number (X12 REF / N9 without messages): qualifier and value.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Reference {
    pub qualifier: CompactString,
    pub value: CompactString,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<CompactString>,
}

/// A dated event (X12 DTM): qualifier such as `002` (delivery requested),
/// `010` (requested ship), date as CCYYMMDD, optional time HHMM[SS] and zone.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DateRef {
    pub qualifier: CompactString,
    pub date: CompactString,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub time: Option<CompactString>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub zone: Option<CompactString>,
}

/// A communication number (PER03/04, 05/06, 07/08): `TE` phone, `EM` e-mail…
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Comm {
    pub qualifier: CompactString,
    pub value: CompactString,
}

/// A contact (X12 PER): function code (`BD` buyer, `IC` information, `ZZ`…),
/// a name and its numbers.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Contact {
    pub function: CompactString,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<CompactString>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub comms: Vec<Comm>,
}

/// A party of the order (X12 N1 loop with N2/N3/N4/PER).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Party {
    /// Entity identifier code: `ST` ship-to (the consumer in drop-ship),
    /// `BT` bill-to, `RT`/`RE` return-to, `BY` buyer, `SF` ship-from, `LW`…
    pub role: CompactString,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<CompactString>,
    /// N1 identification code qualifier and code (e.g. `92` + store number).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id_qualifier: Option<CompactString>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<CompactString>,
    /// Additional name lines (N2).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub extra_names: Vec<CompactString>,
    /// Street lines (N3, up to two per segment, several segments allowed).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub address: Vec<CompactString>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub city: Option<CompactString>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub state: Option<CompactString>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub postal_code: Option<CompactString>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub country: Option<CompactString>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub contacts: Vec<Contact>,
}

impl Party {
    /// A stable text of the address used in the duplicate key
    /// (retailer, PO number, ship-to): upper-cased, whitespace collapsed.
    pub fn address_key(&self) -> String {
        let mut parts: Vec<&str> = Vec::new();
        if let Some(n) = &self.name {
            parts.push(n);
        }
        if let Some(i) = &self.id {
            parts.push(i);
        }
        parts.extend(self.address.iter().map(CompactString::as_str));
        for p in [&self.city, &self.state, &self.postal_code, &self.country].into_iter().flatten() {
            parts.push(p);
        }
        let joined = parts.join("|");
        joined.split_whitespace().collect::<Vec<_>>().join(" ").to_uppercase()
    }
}

/// What a free-text message is for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NoteKind {
    /// A consumer's gift message: printed on the packing slip.
    Gift,
    /// An instruction or message meant for the packing slip.
    Slip,
    /// Anything else (shipping instructions, terms, product text).
    Other,
}

/// A message (X12 N9 + MSG lines).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Note {
    pub kind: NoteKind,
    /// The N9 qualifier and identification (e.g. `ZZ` / `GIFT`, `L1`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub qualifier: Option<CompactString>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reference: Option<CompactString>,
    pub text: CompactString,
}

/// Carrier and routing (X12 TD5).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Carrier {
    /// TD503 identification code (SCAC) when given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scac: Option<CompactString>,
    /// TD504 transportation method (`M` motor, `U` parcel…).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mode: Option<CompactString>,
    /// TD505 routing: the free text most retailers put the ship method in.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub routing: Option<CompactString>,
    /// TD508 / TD512 service level code.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service_level: Option<CompactString>,
}

/// An allowance or charge (X12 SAC).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Charge {
    /// `A` allowance, `C` charge, `N` no allowance or charge.
    pub indicator: CompactString,
    pub code: CompactString,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub amount: Option<Amount>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub percent: Option<Amount>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<CompactString>,
}

/// One product identifier with its X12 qualifier: `UP` UPC, `UK` GTIN-14,
/// `EN` EAN, `VN`/`VP` vendor item, `IN`/`BP` buyer item, `SK` SKU…
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ItemId {
    pub qualifier: CompactString,
    pub value: CompactString,
}

/// Packaging (X12 PO4).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Pack {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pack: Option<Amount>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub size: Option<Amount>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unit: Option<CompactString>,
}

/// A price other than the unit price (X12 CTP): class of trade, price
/// qualifier (`RES` resale, `MSR`, `PUR` consumer paid…) and amount.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PriceInfo {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub class_of_trade: Option<CompactString>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub qualifier: Option<CompactString>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub amount: Option<Amount>,
}

/// One line of a purchase order (X12 PO1 loop).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrderLine {
    /// PO101 assigned identification, as sent (`1`, `001`, `0010`).
    /// When absent, the 1-based position is used.
    pub line_number: CompactString,
    pub quantity: Amount,
    /// PO103 unit of measure (`EA`, `CA`…).
    pub unit: CompactString,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unit_price: Option<Amount>,
    /// PO105 basis of unit price (`PE`, `NT`, `PP`…).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub price_basis: Option<CompactString>,
    pub ids: Vec<ItemId>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<CompactString>,
    /// Boxed: few orders carry a PO4, and every line would pay for it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pack: Option<Box<Pack>>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub prices: Vec<PriceInfo>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub charges: Vec<Charge>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub messages: Vec<CompactString>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub references: Vec<Reference>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub dates: Vec<DateRef>,
}

impl OrderLine {
    /// The first identifier with one of the given qualifiers.
    pub fn id(&self, qualifiers: &[&str]) -> Option<&str> {
        qualifiers.iter().find_map(|q| self.ids.iter().find(|i| i.qualifier == *q).map(|i| i.value.as_str()))
    }
}

/// A purchase order (X12 850, and later cXML OrderRequest, EDIFACT ORDERS, CSV).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PurchaseOrder {
    pub po_number: CompactString,
    /// BEG01 transaction set purpose (`00` original, `06` confirmation, `07` duplicate…).
    pub purpose: CompactString,
    /// BEG02 order type (`SA` stand-alone, `DS` drop ship, `RL` release…).
    pub order_type: CompactString,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub release_number: Option<CompactString>,
    /// BEG05 order date, CCYYMMDD.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub order_date: Option<CompactString>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub currency: Option<CompactString>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub references: Vec<Reference>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub contacts: Vec<Contact>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub dates: Vec<DateRef>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub carriers: Vec<Carrier>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<Note>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub parties: Vec<Party>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub charges: Vec<Charge>,
    pub lines: Vec<OrderLine>,
    /// CTT01 as sent (number of line items), checked by the reader.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub declared_line_count: Option<u32>,
}

impl PurchaseOrder {
    pub fn party(&self, role: &str) -> Option<&Party> {
        self.parties.iter().find(|p| p.role == role)
    }
    /// The consumer's address: N1*ST.
    pub fn ship_to(&self) -> Option<&Party> {
        self.party("ST")
    }
    /// The retailer's customer order number: REF*CO, else REF*PRF / REF*OQ.
    pub fn customer_order_number(&self) -> Option<&str> {
        ["CO", "PRF", "OQ"]
            .iter()
            .find_map(|q| self.references.iter().find(|r| r.qualifier == *q).map(|r| r.value.as_str()))
    }
    /// The gift message, when one was sent (all gift notes joined).
    pub fn gift_message(&self) -> Option<String> {
        let parts: Vec<&str> =
            self.notes.iter().filter(|n| n.kind == NoteKind::Gift).map(|n| n.text.as_str()).collect();
        (!parts.is_empty()).then(|| parts.join("\n"))
    }
}

/// What an 860 asks for one line (X12 POC02 change type).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct LineChange {
    pub line_number: CompactString,
    /// POC02: `DI` delete item, `QD` quantity decrease, `QI` quantity
    /// increase, `CA` changes to line items, `AI` add item, `PC` price change…
    pub change_code: CompactString,
    /// POC03: the quantity ordered after the change, when given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub quantity: Option<Amount>,
    /// POC04: quantity left to receive, when given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub quantity_left: Option<Amount>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unit: Option<CompactString>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unit_price: Option<Amount>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub ids: Vec<ItemId>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<CompactString>,
}

/// A purchase order change request (X12 860).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrderChange {
    pub po_number: CompactString,
    /// BCH01: `01` cancellation, `04` change, `05` replace…
    pub purpose: CompactString,
    /// BCH02 order type.
    pub order_type: CompactString,
    /// BCH06 date of the original PO, CCYYMMDD.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub order_date: Option<CompactString>,
    /// BCH11 change request date.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub change_date: Option<CompactString>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub references: Vec<Reference>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<Note>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub parties: Vec<Party>,
    pub changes: Vec<LineChange>,
}

impl OrderChange {
    /// Whether the whole order is cancelled (BCH01 = 01).
    pub fn cancels_order(&self) -> bool {
        self.purpose == "01"
    }
}

/// What dropgate did with one line of a change request (for the 865).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct LineChangeOutcome {
    pub line_number: String,
    pub change_code: String,
    pub accepted: bool,
    /// Units on the line after the change (ordered), when the line exists.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub quantity: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unit: Option<String>,
    /// Why a change was refused, in words.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

/// What dropgate did with a change request as a whole (for the 865).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChangeOutcome {
    /// The whole order was cancelled.
    pub order_cancelled: bool,
    /// The request was refused as a whole (e.g. the order already shipped).
    pub refused: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    pub lines: Vec<LineChangeOutcome>,
}
