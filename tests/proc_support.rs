//! What the tests of a running `planmap serve` read of it as its user would see it: CPU time
//! and resident memory from `/proc`, open descriptors; signals; raw sockets.

#![allow(dead_code)]

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

/// CPU time (user + system) the process used so far, in clock ticks (`/proc/PID/stat`'s
/// fields 14 and 15).
pub fn cpu_ticks(pid: u32) -> u64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).expect("/proc/PID/stat");
    // The command name (field 2) is in parentheses and may hold spaces: count after it.
    let rest = &stat[stat.rfind(')').expect("comm") + 2..];
    let f: Vec<&str> = rest.split_whitespace().collect();
    // rest[0] is field 3 (state): utime is field 14, stime 15.
    f[11].parse::<u64>().unwrap() + f[12].parse::<u64>().unwrap()
}

/// Clock ticks a second (`sysconf(_SC_CLK_TCK)`).
pub fn ticks_per_second() -> f64 {
    // SAFETY: sysconf reads a constant.
    (unsafe { libc::sysconf(libc::_SC_CLK_TCK) }) as f64
}

/// CPU seconds the process used so far.
pub fn cpu_seconds(pid: u32) -> f64 {
    cpu_ticks(pid) as f64 / ticks_per_second()
}

/// Resident memory of the process, MiB (`VmRSS` of `/proc/PID/status`).
pub fn rss_mib(pid: u32) -> f64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    let kb: f64 = status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.split_whitespace().next())
        .and_then(|v| v.parse().ok())
        .expect("VmRSS");
    kb / 1024.0
}

/// Descriptors the process has open.
pub fn open_fds(pid: u32) -> usize {
    std::fs::read_dir(format!("/proc/{pid}/fd"))
        .map(|d| d.count())
        .unwrap_or(0)
}

/// A window of CPU use: the process is idle when it used under a tenth of a core over it.
const WINDOW: Duration = Duration::from_millis(500);
const IDLE_SHARE: f64 = 0.1;

/// Seconds from now until a half-second window begins in which the process used under a
/// tenth of a core; `None` if none began within `limit` seconds.
pub fn seconds_until_idle(pid: u32, limit: f64) -> Option<f64> {
    let start = Instant::now();
    let mut samples: Vec<(f64, f64)> = Vec::new();
    loop {
        let t = start.elapsed().as_secs_f64();
        samples.push((t, cpu_seconds(pid)));
        let (t_now, c_now) = *samples.last().unwrap();
        if let Some(&(t0, c0)) = samples
            .iter()
            .rev()
            .find(|(t0, _)| t_now - t0 >= WINDOW.as_secs_f64())
        {
            if (c_now - c0) / (t_now - t0) < IDLE_SHARE {
                return Some(t0);
            }
            if t0 > limit {
                return None;
            }
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// [`seconds_until_idle`], with the CPU seconds the process used from now until then: what a
/// test of stopped work asserts on, since a loaded machine stretches wall time, not CPU time.
pub fn cpu_until_idle(pid: u32, limit: f64) -> Option<(f64, f64)> {
    let cpu0 = cpu_seconds(pid);
    let idle = seconds_until_idle(pid, limit)?;
    Some((idle, cpu_seconds(pid) - cpu0))
}

/// Waits until the process used at least `cpu` seconds more than `from` (its work began).
pub fn wait_busy(pid: u32, from: f64, cpu: f64, limit: Duration) {
    let start = Instant::now();
    while cpu_seconds(pid) - from < cpu {
        assert!(
            start.elapsed() < limit,
            "the server did not start computing"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Sends SIGTERM.
pub fn sigterm(pid: u32) {
    // SAFETY: kill sends a signal to a child of this test.
    assert_eq!(unsafe { libc::kill(pid as i32, libc::SIGTERM) }, 0);
}

/// Raises this process's open-file soft limit to the hard limit; returns the soft limit.
pub fn raise_nofile() -> u64 {
    let mut lim = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: getrlimit/setrlimit read and write the one struct given.
    unsafe {
        assert_eq!(libc::getrlimit(libc::RLIMIT_NOFILE, &mut lim), 0);
        lim.rlim_cur = lim.rlim_max;
        assert_eq!(libc::setrlimit(libc::RLIMIT_NOFILE, &lim), 0);
    }
    lim.rlim_cur
}

/// Closes a socket with a reset (SO_LINGER 0): no TIME_WAIT left to hold its port.
pub fn reset(s: TcpStream) {
    use std::os::fd::AsRawFd;
    let l = libc::linger {
        l_onoff: 1,
        l_linger: 0,
    };
    // SAFETY: setsockopt reads the one struct given, on a socket this test owns.
    unsafe {
        libc::setsockopt(
            s.as_raw_fd(),
            libc::SOL_SOCKET,
            libc::SO_LINGER,
            &l as *const libc::linger as *const libc::c_void,
            std::mem::size_of::<libc::linger>() as libc::socklen_t,
        );
    }
}

/// `127.0.0.1:PORT` of a base URL.
pub fn addr_of(base: &str) -> String {
    base.trim_start_matches("http://").to_string()
}

/// Whether the server closed the socket within `within` (a read sees the end or a reset);
/// the bytes it sent before.
pub fn closed_within(s: &mut TcpStream, within: Duration) -> (bool, Vec<u8>) {
    let end = Instant::now() + within;
    let mut got = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        let left = end.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return (false, got);
        }
        s.set_read_timeout(Some(left)).unwrap();
        match s.read(&mut buf) {
            Ok(0) => return (true, got),
            Ok(n) => got.extend_from_slice(&buf[..n]),
            Err(e)
                if matches!(
                    e.kind(),
                    std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                ) =>
            {
                return (false, got)
            }
            Err(_) => return (true, got),
        }
    }
}

/// Sends a request head and body on a fresh connection (kept open).
pub fn send_request(base: &str, head: &str, body: &[u8]) -> TcpStream {
    let mut s = TcpStream::connect(addr_of(base)).expect("connect");
    let mut req = head.replace('\n', "\r\n");
    req.push_str(&format!(
        "\r\nHost: {}\r\nContent-Length: {}\r\n\r\n",
        addr_of(base),
        body.len()
    ));
    s.write_all(req.as_bytes()).unwrap();
    s.write_all(body).unwrap();
    s
}
