//! The X12 writers: strict acknowledgements and responses.
