//! The text encodings a coordinate TXT comes in (read) and is written in: its own module, so
//! the reader ([`super`]) and the writer ([`super::write`]) share it without importing each
//! other.

/// The text encoding a file came in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TxtEncoding {
    Utf8,
    Gbk,
}
