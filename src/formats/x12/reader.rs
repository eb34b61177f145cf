//! The X12 reader: bytes in, interchanges, groups, sets and domain documents out.
