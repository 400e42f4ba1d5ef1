//! What the server and a worker say to each other over the worker's stdin and stdout.
//!
//! The worker starts, sets its limits and writes [`HELLO`]. The parent sends one request: a
//! CBOR [`Request`] and the file's bytes, each after its length (little-endian `u32`, `u64`).
//! The worker answers a CBOR `Result<Answer, ReadError>` and exits. CBOR keeps every `f64`
//! as its exact bits.

use std::io::{self, Read, Write};
use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use crate::error::ReadError;
use crate::site::Site;
use crate::source::{Dataset, Format, ReadOptions};

/// The hidden `planmap` subcommand that makes the binary a worker.
pub const WORKER_COMMAND: &str = "__reader";

/// The line a worker writes when it is ready for its request: the protocol and its version.
pub const HELLO: &[u8] = b"planmap-reader 1\n";

/// Largest request header accepted (the options are a few hundred bytes).
const MAX_HEADER: u32 = 1 << 20;

/// What to read and what to give back.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Want {
    /// The file's polygons as one site (a check): only the geometry comes back.
    Site,
    /// Every feature with its attributes (an import).
    Dataset,
}

/// One request to a worker; the file comes after it, or `path` names it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Request {
    pub want: Want,
    pub format: Format,
    pub options: ReadOptions,
    /// A file on disk the worker opens itself (`planmap import FILE`), instead of bytes.
    pub path: Option<PathBuf>,
}

/// A worker's answer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum Answer {
    Site(Site),
    Dataset(Dataset),
}

/// Writes a request and the file's bytes.
pub fn write_request(w: &mut impl Write, req: &Request, payload: &[u8]) -> io::Result<()> {
    let mut head = Vec::new();
    ciborium::into_writer(req, &mut head).map_err(io::Error::other)?;
    w.write_all(&(head.len() as u32).to_le_bytes())?;
    w.write_all(&head)?;
    w.write_all(&(payload.len() as u64).to_le_bytes())?;
    w.write_all(payload)?;
    w.flush()
}

/// Reads a request and the file's bytes (the worker's side).
pub fn read_request(r: &mut impl Read) -> io::Result<(Request, Vec<u8>)> {
    let mut n4 = [0u8; 4];
    r.read_exact(&mut n4)?;
    let n = u32::from_le_bytes(n4);
    if n > MAX_HEADER {
        return Err(io::Error::other(format!("request header of {n} bytes")));
    }
    let mut head = vec![0u8; n as usize];
    r.read_exact(&mut head)?;
    let req: Request = ciborium::from_reader(head.as_slice()).map_err(io::Error::other)?;
    let mut n8 = [0u8; 8];
    r.read_exact(&mut n8)?;
    let len = u64::from_le_bytes(n8);
    let mut payload = Vec::new();
    r.take(len).read_to_end(&mut payload)?;
    if payload.len() as u64 != len {
        return Err(io::ErrorKind::UnexpectedEof.into());
    }
    Ok((req, payload))
}

/// Writes a worker's answer.
pub fn write_answer(w: &mut impl Write, answer: &Result<Answer, ReadError>) -> io::Result<()> {
    ciborium::into_writer(answer, &mut *w).map_err(io::Error::other)?;
    w.flush()
}

/// Reads a worker's answer (the parent's side); a worker that answered nonsense is a
/// [`ReadError::Worker`].
pub fn read_answer(bytes: &[u8]) -> Result<Answer, ReadError> {
    let answer: Result<Answer, ReadError> = ciborium::from_reader(bytes)
        .map_err(|e| ReadError::Worker(format!("the reader's answer does not decode: {e}")))?;
    answer
}

#[cfg(test)]
mod tests {
    use super::*;
    use geo::{polygon, MultiPolygon};

    #[test]
    fn requests_and_answers_go_through_unchanged() {
        let req = Request {
            want: Want::Site,
            format: Format::GeoPackage,
            options: ReadOptions {
                near_lon: Some(112.03),
                source_layer: Some("地块".into()),
                ..ReadOptions::default()
            },
            path: None,
        };
        let mut buf = Vec::new();
        write_request(&mut buf, &req, b"SQLite format 3\0").unwrap();
        let (back, payload) = read_request(&mut buf.as_slice()).unwrap();
        assert_eq!(back, req);
        assert_eq!(payload, b"SQLite format 3\0");

        // Coordinates keep every bit (0.1 + 0.2 is not 0.3).
        let x = 112.0 + 0.1 + 0.2;
        let site = Site {
            shape: MultiPolygon(vec![polygon![
                (x: x, y: 37.4),
                (x: 112.1, y: 37.4),
                (x: 112.1, y: 37.5 + 1e-12),
                (x: x, y: 37.4),
            ]]),
            crs: "EPSG:4490".into(),
            warnings: vec!["GDAL: 警告".into()],
            areas: vec![],
        };
        let mut buf = Vec::new();
        write_answer(&mut buf, &Ok(Answer::Site(site.clone()))).unwrap();
        assert_eq!(read_answer(&buf), Ok(Answer::Site(site)));
        let mut buf = Vec::new();
        let e = ReadError::CpuTime { seconds: 3 };
        write_answer(&mut buf, &Err(e.clone())).unwrap();
        assert_eq!(read_answer(&buf), Err(e));
        assert!(matches!(
            read_answer(b"\xff\x00"),
            Err(ReadError::Worker(_))
        ));
    }

    #[test]
    fn a_short_request_is_an_error() {
        let mut buf = Vec::new();
        let req = Request {
            want: Want::Dataset,
            format: Format::Kml,
            options: ReadOptions::default(),
            path: None,
        };
        write_request(&mut buf, &req, b"<kml/>").unwrap();
        buf.truncate(buf.len() - 2);
        assert!(read_request(&mut buf.as_slice()).is_err());
    }
}
