//! cXML: a bounded, DTD-free reader for OrderRequest (files, mail, or
//! `POST /cxml`) and writers for Response, ConfirmationRequest,
//! ShipNoticeRequest and InvoiceDetailRequest.

pub mod reader;
pub mod writer;
pub mod xml;

pub use reader::{read, Body, Credential, CxmlError, Header, Message};
pub use xml::Limits;
