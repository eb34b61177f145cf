//! Stock decisions: what to accept, backorder or reject for an order,
//! given the stock that is free and the retailer's policy. Pure.

use serde::{Deserialize, Serialize};
use std::collections::HashMap;

/// What to do with a line when stock is short (the retailer's `[policy] on_short`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OnShort {
    /// Accept what is in stock, reject (cancel) the rest of the line.
    AcceptPartial,
    /// Accept what is in stock, backorder the rest.
    #[default]
    Backorder,
    /// Accept the whole order or reject the whole order (Amazon-like).
    RejectOrder,
    /// Accept a line in full or reject it in full (Walmart-like).
    CancelLine,
}

impl OnShort {
    pub fn as_str(self) -> &'static str {
        match self {
            OnShort::AcceptPartial => "accept_partial",
            OnShort::Backorder => "backorder",
            OnShort::RejectOrder => "reject_order",
            OnShort::CancelLine => "cancel_line",
        }
    }
}

/// Why a line (or part of it) was rejected.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RejectReason {
    /// No product matches any of the line's identifiers.
    UnknownItem,
    /// The quantity is zero, negative or not whole.
    BadQuantity,
    /// Not enough stock and the policy does not backorder.
    OutOfStock,
    /// Another line failed and the policy rejects whole orders.
    OrderRejected,
    /// Cancelled by the retailer (860) or by the admin.
    Cancelled,
}

impl RejectReason {
    pub fn as_str(self) -> &'static str {
        match self {
            RejectReason::UnknownItem => "unknown_item",
            RejectReason::BadQuantity => "bad_quantity",
            RejectReason::OutOfStock => "out_of_stock",
            RejectReason::OrderRejected => "order_rejected",
            RejectReason::Cancelled => "cancelled",
        }
    }
}

/// One line to decide: the SKU it resolved to (if any) and the quantity
/// in whole units (`None` when the quantity is not a positive whole number).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LineRequest {
    pub sku: Option<String>,
    pub quantity: Option<i64>,
}

/// The decision for one line, in whole units.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct LineDecision {
    pub ordered: i64,
    pub accepted: i64,
    pub backordered: i64,
    pub rejected: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<RejectReason>,
}

/// State of an order after the stock decision.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DecisionState {
    Accepted,
    PartiallyAccepted,
    Backordered,
    Rejected,
}

impl DecisionState {
    pub fn as_str(self) -> &'static str {
        match self {
            DecisionState::Accepted => "accepted",
            DecisionState::PartiallyAccepted => "partially_accepted",
            DecisionState::Backordered => "backordered",
            DecisionState::Rejected => "rejected",
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrderDecision {
    pub state: DecisionState,
    pub lines: Vec<LineDecision>,
}

impl OrderDecision {
    /// Units to reserve per SKU.
    pub fn reservations<'a>(&self, requests: &'a [LineRequest]) -> Vec<(&'a str, i64)> {
        let mut out: Vec<(&str, i64)> = Vec::new();
        for (req, d) in requests.iter().zip(&self.lines) {
            if let (Some(sku), true) = (&req.sku, d.accepted > 0) {
                match out.iter_mut().find(|(s, _)| *s == sku) {
                    Some((_, q)) => *q += d.accepted,
                    None => out.push((sku, d.accepted)),
                }
            }
        }
        out
    }
}

/// Decides every line of an order against the free stock per SKU
/// (`available` = on hand − reserved at the moment of the decision).
/// Lines of the same SKU draw from the same stock, in line order.
pub fn decide(policy: OnShort, lines: &[LineRequest], available: &HashMap<String, i64>) -> OrderDecision {
    let mut free: HashMap<&str, i64> = HashMap::new();
    let mut out = Vec::with_capacity(lines.len());
    for req in lines {
        let ordered = req.quantity.unwrap_or(0).max(0);
        let mut d = LineDecision { ordered, ..LineDecision::default() };
        match (&req.sku, req.quantity) {
            (_, None) => {
                d.rejected = ordered;
                d.reason = Some(RejectReason::BadQuantity);
            }
            (None, Some(_)) => {
                d.rejected = ordered;
                d.reason = Some(RejectReason::UnknownItem);
            }
            (Some(sku), Some(q)) => {
                let f = free.entry(sku.as_str()).or_insert_with(|| available.get(sku).copied().unwrap_or(0).max(0));
                let take = (*f).min(q);
                let short = q - take;
                match policy {
                    OnShort::AcceptPartial => {
                        d.accepted = take;
                        d.rejected = short;
                    }
                    OnShort::Backorder => {
                        d.accepted = take;
                        d.backordered = short;
                    }
                    OnShort::RejectOrder | OnShort::CancelLine => {
                        if short == 0 {
                            d.accepted = q;
                        } else {
                            d.rejected = q;
                        }
                    }
                }
                if d.rejected > 0 {
                    d.reason = Some(RejectReason::OutOfStock);
                }
                *f -= d.accepted;
            }
        }
        out.push(d);
    }
    if policy == OnShort::RejectOrder && out.iter().any(|d| d.rejected > 0) {
        for d in &mut out {
            if d.rejected == 0 {
                d.reason = Some(RejectReason::OrderRejected);
            }
            d.rejected = d.ordered;
            d.accepted = 0;
            d.backordered = 0;
        }
    }
    OrderDecision { state: state_of(&out), lines: out }
}

/// The order state that a set of line decisions amounts to.
pub fn state_of(lines: &[LineDecision]) -> DecisionState {
    let ordered: i64 = lines.iter().map(|d| d.ordered).sum();
    let accepted: i64 = lines.iter().map(|d| d.accepted).sum();
    let backordered: i64 = lines.iter().map(|d| d.backordered).sum();
    if accepted > 0 && accepted == ordered {
        DecisionState::Accepted
    } else if accepted == 0 && backordered == 0 {
        DecisionState::Rejected
    } else if accepted == 0 {
        DecisionState::Backordered
    } else {
        DecisionState::PartiallyAccepted
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn req(sku: Option<&str>, q: Option<i64>) -> LineRequest {
        LineRequest { sku: sku.map(str::to_string), quantity: q }
    }

    fn stock(pairs: &[(&str, i64)]) -> HashMap<String, i64> {
        pairs.iter().map(|(s, q)| ((*s).to_string(), *q)).collect()
    }

    #[test]
    fn policies_on_a_short_line() {
        let lines = [req(Some("A"), Some(5)), req(Some("B"), Some(3))];
        let st = stock(&[("A", 2), ("B", 10)]);
        let d = decide(OnShort::AcceptPartial, &lines, &st);
        assert_eq!((d.lines[0].accepted, d.lines[0].rejected, d.lines[0].backordered), (2, 3, 0));
        assert_eq!(d.state, DecisionState::PartiallyAccepted);
        let d = decide(OnShort::Backorder, &lines, &st);
        assert_eq!((d.lines[0].accepted, d.lines[0].rejected, d.lines[0].backordered), (2, 0, 3));
        let d = decide(OnShort::CancelLine, &lines, &st);
        assert_eq!((d.lines[0].accepted, d.lines[0].rejected), (0, 5));
        assert_eq!(d.lines[1].accepted, 3);
        let d = decide(OnShort::RejectOrder, &lines, &st);
        assert_eq!(d.state, DecisionState::Rejected);
        assert!(d.lines.iter().all(|l| l.accepted == 0 && l.rejected == l.ordered));
        assert_eq!(d.lines[1].reason, Some(RejectReason::OrderRejected));
    }

    #[test]
    fn same_sku_on_two_lines_draws_from_one_stock() {
        let lines = [req(Some("A"), Some(3)), req(Some("A"), Some(3))];
        let d = decide(OnShort::Backorder, &lines, &stock(&[("A", 4)]));
        assert_eq!(d.lines[0].accepted, 3);
        assert_eq!((d.lines[1].accepted, d.lines[1].backordered), (1, 2));
        assert_eq!(d.reservations(&lines), vec![("A", 4)]);
    }

    #[test]
    fn unknown_items_and_bad_quantities_are_rejected() {
        let lines = [req(None, Some(1)), req(Some("A"), None), req(Some("A"), Some(1))];
        let d = decide(OnShort::Backorder, &lines, &stock(&[("A", 1)]));
        assert_eq!(d.lines[0].reason, Some(RejectReason::UnknownItem));
        assert_eq!(d.lines[1].reason, Some(RejectReason::BadQuantity));
        assert_eq!(d.lines[2].accepted, 1);
        assert_eq!(d.state, DecisionState::PartiallyAccepted);
        let none = decide(OnShort::Backorder, &[req(Some("Z"), Some(2))], &HashMap::new());
        assert_eq!(none.state, DecisionState::Backordered);
    }
}
