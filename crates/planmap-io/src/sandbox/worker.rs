//! The worker's side: `planmap __reader --cpu-seconds N --memory-mib M` sets its limits on
//! itself, starts GDAL, says [`HELLO`], reads one request, answers it and exits. Everything
//! GDAL runs for the file (a GeoPackage's views and triggers, SQLite, the drivers' parsers)
//! runs here, within the limits, never in the server.

use std::io::{self, BufWriter, Write};

use super::limits::Limits;
use super::wire::{self, Answer, Request, Want, HELLO};
use crate::error::ReadError;
use crate::site::{read_site, read_site_bytes};
use crate::source::read::{read_bytes, read_path};

/// Runs a worker with the limits in `args`; the process's exit code.
pub fn run(args: &[String]) -> i32 {
    let limits = match Limits::from_args(args) {
        Ok(l) => l,
        Err(e) => {
            eprintln!("planmap reader: {e}");
            return 2;
        }
    };
    if let Err(e) = limits.apply() {
        eprintln!("planmap reader: cannot set its limits: {e}");
        return 2;
    }
    #[cfg(feature = "gdal")]
    crate::gdal_io::init();
    let mut stdout = io::stdout().lock();
    if stdout
        .write_all(HELLO)
        .and_then(|_| stdout.flush())
        .is_err()
    {
        return 0;
    }
    let (req, payload) = match wire::read_request(&mut io::stdin().lock()) {
        Ok(r) => r,
        // The parent went away (a server that stopped): nothing to do.
        Err(e) if e.kind() == io::ErrorKind::UnexpectedEof => return 0,
        Err(e) => {
            eprintln!("planmap reader: bad request: {e}");
            return 2;
        }
    };
    let answer = std::panic::catch_unwind(|| answer(&req, &payload, limits)).unwrap_or_else(|p| {
        let what = p
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| p.downcast_ref::<String>().cloned())
            .unwrap_or_default();
        Err(ReadError::Worker(format!("the reader failed: {what}")))
    });
    let mut w = BufWriter::new(stdout);
    match wire::write_answer(&mut w, &answer) {
        Ok(()) => 0,
        Err(_) => 1,
    }
}

/// Reads what `req` asks for, in this process: what a worker does with a request.
pub fn answer(req: &Request, payload: &[u8], limits: Limits) -> Result<Answer, ReadError> {
    let o = &req.options;
    let read = match (req.want, &req.path) {
        (Want::Site, None) => read_site_bytes(payload, req.format, o).map(Answer::Site),
        (Want::Site, Some(p)) => read_site(p, o).map(Answer::Site),
        (Want::Dataset, None) => read_bytes(payload, req.format, o).map(Answer::Dataset),
        (Want::Dataset, Some(p)) => read_path(p, o).map(Answer::Dataset),
    };
    read.map_err(|e| out_of_memory(e.error, limits))
}

/// GDAL and SQLite report a failed allocation as an error of the file: here it is the
/// memory limit.
fn out_of_memory(e: ReadError, limits: Limits) -> ReadError {
    let m = e.to_string().to_lowercase();
    let memory = ["out of memory", "cannot allocate", "memory allocation"];
    if matches!(e, ReadError::Invalid(_) | ReadError::Gdal(_))
        && memory.iter().any(|w| m.contains(w))
    {
        ReadError::Memory {
            mib: limits.memory_mib,
        }
    } else {
        e
    }
}
