//! Untrusted files read in a worker process: the sandbox.
//!
//! A GeoPackage is a database whose views, triggers and SQLite extensions GDAL runs when it
//! reads it; a DXF, KML or Shapefile goes through parsers in C. Read in the server, one file
//! could hold a core forever or take gigabytes (a view over an endless recursive query, a
//! view of 100 MB blobs). So every file that needs GDAL is read by a worker: the `planmap`
//! binary itself in a hidden mode ([`worker`], `planmap __reader`), with limits on its CPU time
//! (`RLIMIT_CPU`) and address space (`RLIMIT_AS`) ([`Limits`]), used for one file and then
//! gone. The parent stops it at the job's deadline or when the job is cancelled ([`Job`]: the
//! server cancels when the request is dropped — timed out, client gone) and tells which limit
//! ended it ([`ReadError::CpuTime`], [`ReadError::Memory`], [`ReadError::Deadline`]).
//!
//! A [`Sandbox`] keeps a few workers started and idle (GDAL already set up), so a read does not
//! wait for one to start; each is replaced once taken. GeoJSON and the coordinate TXT are
//! read in-process (pure Rust, bounded); so is a GDAL transform of a CRS the user names.
//!
//! The worker program is the running executable by default; a program embedding the server
//! (the tests) names the `planmap` binary ([`SandboxSettings::program`]).

mod limits;
mod process;
pub mod wire;
pub mod worker;

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

pub use limits::Limits;
pub use process::{CancelOnDrop, Job};

use crate::error::{ReadError, SourceError};
use crate::site::Site;
use crate::source::read::{needs_gdal, path_format, upload_name};
use crate::source::{Dataset, Format, ReadOptions};
use process::Worker;
use wire::{Answer, Request, Want};

/// Largest answer a worker may give for a site (its polygons only): far more than the
/// check's vertex limit needs.
const MAX_SITE_ANSWER: usize = 64 << 20;

/// How the sandbox runs its workers.
#[derive(Debug, Clone, PartialEq)]
pub struct SandboxSettings {
    /// The `planmap` binary (any build of the same version) run as `PROGRAM __reader …`.
    pub program: PathBuf,
    pub limits: Limits,
    /// Workers kept started and idle.
    pub idle: usize,
    /// How long a worker may take to start (GDAL's set-up) before it is given up.
    pub start_timeout: Duration,
}

impl SandboxSettings {
    /// Workers of `program` with the default limits and two idle workers.
    pub fn new(program: impl Into<PathBuf>) -> SandboxSettings {
        SandboxSettings {
            program: program.into(),
            limits: Limits::default(),
            idle: 2,
            start_timeout: Duration::from_secs(20),
        }
    }

    /// Workers of the running executable (what `planmap` itself uses): on Linux by
    /// `/proc/self/exe`, which still starts it after the file was replaced (a new build, a
    /// package upgrade) while the server runs.
    pub fn current_exe() -> SandboxSettings {
        let proc = Path::new("/proc/self/exe");
        let exe = if proc.exists() {
            proc.to_path_buf()
        } else {
            std::env::current_exe().unwrap_or_else(|_| PathBuf::from("planmap"))
        };
        SandboxSettings::new(exe)
    }
}

/// Reads untrusted files in worker processes; cheap to clone (clones share the idle workers).
#[derive(Clone)]
pub struct Sandbox {
    inner: Arc<Inner>,
}

struct Inner {
    settings: SandboxSettings,
    idle: Mutex<Vec<Worker>>,
}

impl std::fmt::Debug for Sandbox {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Sandbox")
            .field("settings", &self.inner.settings)
            .finish_non_exhaustive()
    }
}

impl Default for Sandbox {
    fn default() -> Self {
        Sandbox::new(SandboxSettings::current_exe())
    }
}

impl Sandbox {
    /// A sandbox; no worker starts before [`Sandbox::warm`] or the first read.
    pub fn new(settings: SandboxSettings) -> Sandbox {
        Sandbox {
            inner: Arc::new(Inner {
                settings,
                idle: Mutex::new(Vec::new()),
            }),
        }
    }

    pub fn settings(&self) -> &SandboxSettings {
        &self.inner.settings
    }

    /// Starts the idle workers and waits until the first is ready: a program that is not
    /// `planmap` is an error now rather than at the first upload.
    pub fn warm(&self) -> Result<(), ReadError> {
        let s = self.settings();
        let mut first = self.spawn()?;
        first.wait_ready(s.start_timeout)?;
        self.put_idle(first);
        self.refill();
        Ok(())
    }

    fn spawn(&self) -> Result<Worker, ReadError> {
        let s = self.settings();
        Worker::spawn(&s.program, s.limits).map_err(|e| {
            ReadError::Worker(format!(
                "cannot start the reader {}: {e}",
                s.program.display()
            ))
        })
    }

    fn put_idle(&self, w: Worker) {
        if let Ok(mut idle) = self.inner.idle.lock() {
            idle.push(w);
        }
    }

    /// Starts workers until as many as the settings ask for are idle (starting one takes a
    /// millisecond; its GDAL set-up runs in it while the others wait for nothing).
    fn refill(&self) {
        let Ok(mut idle) = self.inner.idle.lock() else {
            return;
        };
        while idle.len() < self.settings().idle {
            match self.spawn() {
                Ok(w) => idle.push(w),
                Err(_) => return,
            }
        }
    }

    /// A ready worker: an idle one if there is a live one, else a new one; the idle ones are
    /// then topped up.
    fn take(&self) -> Result<Worker, ReadError> {
        let pooled = loop {
            match self.inner.idle.lock().ok().and_then(|mut i| i.pop()) {
                Some(mut w) => {
                    if !w.has_exited() {
                        break Some(w);
                    }
                }
                None => break None,
            }
        };
        self.refill();
        let timeout = self.settings().start_timeout;
        if let Some(mut w) = pooled {
            if w.wait_ready(timeout).is_ok() {
                return Ok(w);
            }
        }
        let mut w = self.spawn()?;
        w.wait_ready(timeout)?;
        Ok(w)
    }

    /// Has a worker read what `req` asks for.
    fn run(&self, req: &Request, payload: &[u8], job: &Job) -> Result<Answer, ReadError> {
        if job.is_cancelled() {
            return Err(ReadError::Cancelled);
        }
        let max = match req.want {
            Want::Site => MAX_SITE_ANSWER,
            Want::Dataset => (self.settings().limits.memory_mib as usize) << 20,
        };
        let bytes = self.take()?.exchange(req, payload, job, max)?;
        wire::read_answer(&bytes)
    }

    /// Reads a file given as bytes or named by path, for `want`: in a worker when it needs
    /// GDAL, else here; errors name the upload or the path.
    fn read(
        &self,
        want: Want,
        file: File,
        o: &ReadOptions,
        job: &Job,
    ) -> Result<Answer, SourceError> {
        let (name, format, bytes, path) = match file {
            File::Bytes(b, f) => (upload_name(f), Ok(f), b, None),
            File::Path(p) => (p.display().to_string(), path_format(p, o), &[][..], Some(p)),
        };
        let read = || {
            let format = format?;
            let path = path
                .map(std::path::absolute)
                .transpose()
                .map_err(|e| ReadError::Io(e.to_string()))?;
            let req = Request {
                want,
                format,
                options: ReadOptions {
                    format: Some(format),
                    ..o.clone()
                },
                path,
            };
            if needs_gdal(format, o) {
                self.run(&req, bytes, job)
            } else {
                worker::answer(&req, bytes, self.settings().limits)
            }
        };
        read().map_err(|e| SourceError::new(name, e))
    }

    /// Reads an uploaded site.
    pub fn read_site_bytes(
        &self,
        bytes: &[u8],
        format: Format,
        o: &ReadOptions,
        job: &Job,
    ) -> Result<Site, SourceError> {
        self.read(Want::Site, File::Bytes(bytes, format), o, job)
            .and_then(site)
    }

    /// Reads an uploaded file's features (a layer import).
    pub fn read_bytes(
        &self,
        bytes: &[u8],
        format: Format,
        o: &ReadOptions,
        job: &Job,
    ) -> Result<Dataset, SourceError> {
        self.read(Want::Dataset, File::Bytes(bytes, format), o, job)
            .and_then(dataset)
    }

    /// Reads a file named by path (`planmap import`); a worker opens it itself.
    pub fn read_path(
        &self,
        path: &Path,
        o: &ReadOptions,
        job: &Job,
    ) -> Result<Dataset, SourceError> {
        self.read(Want::Dataset, File::Path(path), o, job)
            .and_then(dataset)
    }

    /// Reads a site file named by path (`planmap check FILE`).
    pub fn read_site(&self, path: &Path, o: &ReadOptions, job: &Job) -> Result<Site, SourceError> {
        self.read(Want::Site, File::Path(path), o, job)
            .and_then(site)
    }
}

/// A file to read: an upload's bytes and format, or a path.
#[derive(Clone, Copy)]
enum File<'a> {
    Bytes(&'a [u8], Format),
    Path(&'a Path),
}

fn site(answer: Answer) -> Result<Site, SourceError> {
    match answer {
        Answer::Site(s) => Ok(s),
        Answer::Dataset(_) => Err(wrong_answer()),
    }
}

fn dataset(answer: Answer) -> Result<Dataset, SourceError> {
    match answer {
        Answer::Dataset(d) => Ok(d),
        Answer::Site(_) => Err(wrong_answer()),
    }
}

fn wrong_answer() -> SourceError {
    SourceError::new(
        "reader",
        ReadError::Worker("the reader answered another question".into()),
    )
}
