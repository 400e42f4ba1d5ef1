//! I/O errors, each naming the file or input and what is wrong with it: [`IoError`] for the
//! plan folder, [`ReadError`] for a file being read (an upload, an import, a site file).

use serde::{Deserialize, Serialize};
use thiserror::Error;

#[derive(Debug, Error)]
pub enum IoError {
    #[error("{path}: {source}")]
    Read {
        path: String,
        source: std::io::Error,
    },
    #[error("{path}: {message}")]
    Format { path: String, message: String },
    #[error("{0}")]
    Invalid(String),
    #[error(transparent)]
    Plan(#[from] planmap_core::PlanError),
}

impl IoError {
    pub fn format(path: impl Into<String>, message: impl Into<String>) -> Self {
        IoError::Format {
            path: path.into(),
            message: message.into(),
        }
    }
}

/// Why a file could not be read, by kind: what the server answers (413, 415, 422, 503, 500)
/// and the CLI's exit code follow from the kind. Messages are one line and never show
/// in-memory file names or process ids.
///
/// The last four kinds are the sandbox's ([`crate::sandbox`]): the worker process reading the
/// file was stopped at one of its limits, or failed.
#[derive(Debug, Clone, PartialEq, Error, Serialize, Deserialize)]
pub enum ReadError {
    /// A limit on what one upload may hold ([`crate::limits::UploadLimits`]); `limit` names it
    /// (`max_features`, `max_zip_entries`, …).
    #[error("{message}")]
    Limit { limit: String, message: String },
    /// A format (or a variant of one) planmap does not read, or not in this build.
    #[error("{0}")]
    Unsupported(String),
    /// The coordinates' reference system: unknown, inconsistent, or not transformable.
    #[error("{0}")]
    Crs(String),
    /// The file does not parse, or holds nothing usable.
    #[error("{0}")]
    Invalid(String),
    /// GDAL itself failed (not the file): an internal error.
    #[error("{0}")]
    Gdal(String),
    /// The file system: a file named on the command line cannot be read.
    #[error("{0}")]
    Io(String),
    /// The reader used more CPU time than its limit (`RLIMIT_CPU`).
    #[error(
        "reading it took more than the CPU time limit of {seconds} s for one file \
         (reader_cpu_seconds): the reader was stopped"
    )]
    CpuTime { seconds: u64 },
    /// The reader needed more memory than its limit (`RLIMIT_AS`, address space).
    #[error(
        "reading it needed more than the memory limit of {mib} MiB for one file \
         (reader_memory_mb): the reader was stopped"
    )]
    Memory { mib: u64 },
    /// The request the file came with ran out of time.
    #[error(
        "reading it took longer than the request's time limit of {seconds} s: the reader \
         was stopped"
    )]
    Deadline { seconds: u64 },
    /// The reader was stopped because nobody waits for its answer any more.
    #[error("reading it was cancelled")]
    Cancelled,
    /// The worker process failed (crashed, could not start, answered nonsense): an internal
    /// error.
    #[error("{0}")]
    Worker(String),
}

impl ReadError {
    /// Whether the fault is planmap's (or its machine's), not the file's: the server answers
    /// 500 and logs the message instead of showing it.
    pub fn is_internal(&self) -> bool {
        matches!(
            self,
            ReadError::Gdal(_) | ReadError::Io(_) | ReadError::Worker(_)
        )
    }

    /// A limit error naming the limit.
    pub fn limit(limit: &str, message: impl Into<String>) -> ReadError {
        ReadError::Limit {
            limit: limit.into(),
            message: message.into(),
        }
    }
}

/// A file that cannot be read, and why: one line naming the file.
#[derive(Debug, Clone, PartialEq, Error, Serialize, Deserialize)]
#[error("{source_name}: {error}")]
pub struct SourceError {
    pub source_name: String,
    pub error: ReadError,
}

impl SourceError {
    pub fn new(source_name: impl Into<String>, error: ReadError) -> Self {
        SourceError {
            source_name: source_name.into(),
            error,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sandbox_limits_are_named_in_their_messages() {
        let cpu = ReadError::CpuTime { seconds: 2 }.to_string();
        assert!(cpu.contains("CPU time limit of 2 s"), "{cpu}");
        let mem = ReadError::Memory { mib: 512 }.to_string();
        assert!(mem.contains("memory limit of 512 MiB"), "{mem}");
        assert!(ReadError::Worker("x".into()).is_internal());
        assert!(!ReadError::Invalid("x".into()).is_internal());
        let e = SourceError::new("uploaded gpkg", ReadError::Invalid("bad".into()));
        assert_eq!(e.to_string(), "uploaded gpkg: bad");
    }
}
