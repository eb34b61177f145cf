//! The X12 reader: bytes in, interchanges, groups, sets and domain documents out.
use super::ParsedFile;
pub fn read(_bytes: &[u8]) -> ParsedFile {
    ParsedFile::default()
}
