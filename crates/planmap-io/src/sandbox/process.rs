//! One worker process from the parent's side: started with its limits, ready once it said
//! [`wire::HELLO`], given one request, watched until it answers, dies or must be stopped —
//! at the job's deadline, when the job is cancelled, or when its answer grows too large — and
//! its end told apart: which limit it hit, or how it failed.

use std::io::{self, Read, Write};
use std::os::fd::AsRawFd;
use std::os::unix::process::ExitStatusExt;
use std::path::Path;
use std::process::{Child, ChildStderr, ChildStdin, ChildStdout, Command, ExitStatus, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use super::limits::Limits;
use super::wire::{self, Request, HELLO, WORKER_COMMAND};
use crate::error::ReadError;

/// How often a waiting parent looks at the job's deadline and cancel flag.
const TICK: Duration = Duration::from_millis(50);

/// What the last bytes of a worker's stderr keep (a panic or allocation failure message).
const STDERR_TAIL: usize = 4096;

/// The time and the stop flag of one read. Clones share the flag: the server keeps one in
/// the request's future ([`Job::cancel_on_drop`]), so a request dropped (timed out, client
/// gone) stops its worker within [`TICK`].
#[derive(Debug, Clone, Default)]
pub struct Job {
    deadline: Option<(Instant, Duration)>,
    cancelled: Arc<AtomicBool>,
}

impl Job {
    /// A job with no deadline.
    pub fn new() -> Job {
        Job::default()
    }

    /// A job that must be done within `limit` from now.
    pub fn within(limit: Duration) -> Job {
        Job {
            deadline: Some((Instant::now() + limit, limit)),
            ..Job::default()
        }
    }

    /// Stops the job's worker, if it still runs.
    pub fn cancel(&self) {
        self.cancelled.store(true, Ordering::SeqCst);
    }

    pub fn is_cancelled(&self) -> bool {
        self.cancelled.load(Ordering::SeqCst)
    }

    /// A guard that cancels the job when dropped.
    pub fn cancel_on_drop(&self) -> CancelOnDrop {
        CancelOnDrop(self.clone())
    }

    /// Why the job must stop now, if it must.
    fn stop(&self) -> Option<ReadError> {
        if self.is_cancelled() {
            return Some(ReadError::Cancelled);
        }
        match self.deadline {
            Some((at, limit)) if Instant::now() >= at => Some(ReadError::Deadline {
                seconds: limit.as_secs_f64().ceil() as u64,
            }),
            _ => None,
        }
    }
}

/// Cancels its job when dropped (see [`Job::cancel_on_drop`]).
#[derive(Debug)]
pub struct CancelOnDrop(Job);

impl Drop for CancelOnDrop {
    fn drop(&mut self) {
        self.0.cancel();
    }
}

/// A started worker. Dropping it kills it (if it still runs) and reaps it.
pub struct Worker {
    child: Child,
    stdin: Option<ChildStdin>,
    stdout: ChildStdout,
    stderr: ChildStderr,
    limits: Limits,
    /// Bytes read from stdout: the hello line, then the answer.
    out: Vec<u8>,
    ready: bool,
}

impl std::fmt::Debug for Worker {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Worker")
            .field("pid", &self.child.id())
            .field("ready", &self.ready)
            .finish()
    }
}

impl Drop for Worker {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Waits until one of `fds` can be read (or is closed) or `timeout` passes; `None` entries
/// are skipped. Returns which are readable.
fn poll(fds: [Option<i32>; 2], timeout: Duration) -> io::Result<[bool; 2]> {
    let mut p = fds.map(|fd| libc::pollfd {
        fd: fd.unwrap_or(-1),
        events: libc::POLLIN,
        revents: 0,
    });
    let ms = timeout.as_millis().min(i32::MAX as u128) as i32;
    // SAFETY: `p` is a valid array of two pollfd for the duration of the call.
    let n = unsafe { libc::poll(p.as_mut_ptr(), 2, ms) };
    if n < 0 {
        let e = io::Error::last_os_error();
        if e.kind() == io::ErrorKind::Interrupted {
            return Ok([false, false]);
        }
        return Err(e);
    }
    Ok(p.map(|q| q.fd >= 0 && q.revents != 0))
}

impl Worker {
    /// Starts `program` as a worker with `limits` (it says [`HELLO`] when ready).
    pub fn spawn(program: &Path, limits: Limits) -> io::Result<Worker> {
        let mut child = Command::new(program)
            .arg(WORKER_COMMAND)
            .args(limits.args())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()?;
        let (stdin, stdout, stderr) =
            (child.stdin.take(), child.stdout.take(), child.stderr.take());
        let (Some(stdout), Some(stderr)) = (stdout, stderr) else {
            return Err(io::Error::other("no pipes to the worker"));
        };
        Ok(Worker {
            child,
            stdin,
            stdout,
            stderr,
            limits,
            out: Vec::new(),
            ready: false,
        })
    }

    /// Whether the worker has exited (an idle one that died is not used).
    pub fn has_exited(&mut self) -> bool {
        !matches!(self.child.try_wait(), Ok(None))
    }

    /// Waits up to `timeout` for the worker's hello.
    pub fn wait_ready(&mut self, timeout: Duration) -> Result<(), ReadError> {
        let until = Instant::now() + timeout;
        let mut err = Vec::new();
        while !self.ready {
            let left = until.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return Err(ReadError::Worker(format!(
                    "the reader did not start within {} s",
                    timeout.as_secs()
                )));
            }
            let fds = [Some(self.stdout.as_raw_fd()), Some(self.stderr.as_raw_fd())];
            let [out, e] = poll(fds, left.min(TICK)).map_err(worker_io)?;
            if e {
                let mut buf = [0u8; 1024];
                let n = self.stderr.read(&mut buf).map_err(worker_io)?;
                err.extend_from_slice(&buf[..n]);
            }
            if !out {
                continue;
            }
            let mut buf = [0u8; 256];
            let n = self.stdout.read(&mut buf).map_err(worker_io)?;
            if n == 0 {
                return Err(self.died_starting(err));
            }
            self.out.extend_from_slice(&buf[..n]);
            if self.out.len() >= HELLO.len() {
                if !self.out.starts_with(HELLO) {
                    return Err(ReadError::Worker(
                        "the reader program does not speak planmap's reader protocol (is it \
                         this version of planmap?)"
                            .into(),
                    ));
                }
                self.out.drain(..HELLO.len());
                self.ready = true;
            }
        }
        Ok(())
    }

    /// Why a worker ended before it was ready (its stderr so far in `err`).
    fn died_starting(&mut self, mut err: Vec<u8>) -> ReadError {
        let _ = self.stderr.read_to_end(&mut err);
        let status = match self.child.wait() {
            Ok(s) => s,
            Err(e) => return worker_io(e),
        };
        match ended(status, &err, self.limits) {
            ReadError::Memory { mib } => ReadError::Worker(format!(
                "the reader cannot start within its memory limit of {mib} MiB \
                 (reader_memory_mb): it needs about 200 MiB"
            )),
            other => ReadError::Worker(format!("the reader ended before it was ready: {other}")),
        }
    }

    /// Sends the request and waits for the answer: at most `max_answer` bytes, within the
    /// job's deadline, unless the job is cancelled. The worker is gone afterwards.
    pub fn exchange(
        mut self,
        req: &Request,
        payload: &[u8],
        job: &Job,
        max_answer: usize,
    ) -> Result<Vec<u8>, ReadError> {
        if let Some(mut stdin) = self.stdin.take() {
            // A worker that dies while reading its request (a limit) is told apart below.
            let _ = wire::write_request(&mut stdin, req, payload).and_then(|_| stdin.flush());
        }
        let mut err = Vec::new();
        let (mut out_open, mut err_open) = (true, true);
        let mut stopped: Option<ReadError> = None;
        let mut buf = vec![0u8; 64 * 1024];
        while out_open || err_open {
            if let Some(why) = job.stop() {
                stopped = Some(why);
                break;
            }
            let fds = [
                out_open.then(|| self.stdout.as_raw_fd()),
                err_open.then(|| self.stderr.as_raw_fd()),
            ];
            let [out, e] = poll(fds, TICK).map_err(worker_io)?;
            if out {
                let n = self.stdout.read(&mut buf).map_err(worker_io)?;
                out_open = n > 0;
                self.out.extend_from_slice(&buf[..n]);
                if self.out.len() > max_answer {
                    stopped = Some(ReadError::limit(
                        "reader_answer_bytes",
                        format!(
                            "what it holds is more than the {} MiB a file may give",
                            max_answer >> 20
                        ),
                    ));
                    break;
                }
            }
            if e {
                let n = self.stderr.read(&mut buf).map_err(worker_io)?;
                err_open = n > 0;
                err.extend_from_slice(&buf[..n]);
                if err.len() > 2 * STDERR_TAIL {
                    err.drain(..err.len() - STDERR_TAIL);
                }
            }
        }
        if let Some(why) = stopped {
            let _ = self.child.kill();
            let _ = self.child.wait();
            return Err(why);
        }
        let status = self.child.wait().map_err(worker_io)?;
        if status.success() {
            return Ok(std::mem::take(&mut self.out));
        }
        Err(ended(status, &err, self.limits))
    }
}

fn worker_io(e: io::Error) -> ReadError {
    ReadError::Worker(format!("talking to the reader failed: {e}"))
}

/// The last line of what a worker wrote on stderr.
fn tail_text(err: &[u8]) -> String {
    let text = String::from_utf8_lossy(err);
    let line = text.trim().lines().last().unwrap_or("").to_string();
    line.chars().take(300).collect()
}

/// Why a worker that did not answer ended: a limit it hit, or a failure.
fn ended(status: ExitStatus, err: &[u8], limits: Limits) -> ReadError {
    let text = String::from_utf8_lossy(err);
    // Rust's allocator aborts with this message when an allocation fails (RLIMIT_AS).
    if text.contains("memory allocation of") {
        return ReadError::Memory {
            mib: limits.memory_mib,
        };
    }
    match status.signal() {
        // SIGXCPU at the soft CPU limit; SIGKILL at the hard one (nobody else kills it: the
        // parent's own kills are told apart before).
        Some(libc::SIGXCPU) | Some(libc::SIGKILL) => ReadError::CpuTime {
            seconds: limits.cpu_seconds,
        },
        Some(sig) => ReadError::Worker(format!(
            "the reader stopped on signal {sig}: {}",
            tail_text(err)
        )),
        None => ReadError::Worker(format!("the reader failed ({status}): {}", tail_text(err))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const L: Limits = Limits {
        cpu_seconds: 2,
        memory_mib: 512,
    };

    #[test]
    fn a_worker_end_names_the_limit_it_hit() {
        // Wait statuses as the kernel gives them: a signal in the low bits, an exit code above.
        let signal = |s: i32| ExitStatus::from_raw(s);
        assert_eq!(
            ended(signal(libc::SIGXCPU), b"", L),
            ReadError::CpuTime { seconds: 2 }
        );
        assert_eq!(
            ended(signal(libc::SIGKILL), b"", L),
            ReadError::CpuTime { seconds: 2 }
        );
        let abort = b"memory allocation of 104857600 bytes failed\n";
        assert_eq!(
            ended(signal(libc::SIGABRT), abort, L),
            ReadError::Memory { mib: 512 }
        );
        let e = ended(signal(libc::SIGSEGV), b"", L);
        assert!(
            matches!(&e, ReadError::Worker(m) if m.contains("signal 11")),
            "{e}"
        );
        let e = ended(
            ExitStatus::from_raw(3 << 8),
            b"line 1\nplanmap reader: bad\n",
            L,
        );
        assert!(
            matches!(&e, ReadError::Worker(m) if m.contains("planmap reader: bad")),
            "{e}"
        );
    }

    #[test]
    fn jobs_stop_at_their_deadline_or_when_dropped() {
        let job = Job::within(Duration::ZERO);
        assert_eq!(job.stop(), Some(ReadError::Deadline { seconds: 0 }));
        let job = Job::new();
        assert_eq!(job.stop(), None);
        let guard = job.cancel_on_drop();
        assert_eq!(job.stop(), None);
        drop(guard);
        assert_eq!(job.stop(), Some(ReadError::Cancelled));
    }

    #[test]
    fn a_program_that_is_not_a_reader_is_refused() {
        let mut w = Worker::spawn(Path::new("/bin/echo"), L).unwrap();
        let e = w.wait_ready(Duration::from_secs(20)).unwrap_err();
        assert!(e.to_string().contains("protocol"), "{e}");
        let mut w = Worker::spawn(Path::new("/bin/false"), L).unwrap();
        let e = w.wait_ready(Duration::from_secs(20)).unwrap_err();
        assert!(e.to_string().contains("ended before it was ready"), "{e}");
        assert!(Worker::spawn(Path::new("/nonexistent/planmap"), L).is_err());
    }
}
