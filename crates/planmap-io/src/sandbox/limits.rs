//! What one worker may use: CPU time (`RLIMIT_CPU`) and address space (`RLIMIT_AS`), set by
//! the worker on itself before it reads anything ([`Limits::apply`]), and passed to it as
//! arguments ([`Limits::args`]).

use std::io;

/// The limits of one worker process.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// CPU seconds the worker may use, its start-up included (a few hundredths of a second).
    /// At the limit the kernel sends `SIGXCPU`, a second later `SIGKILL`.
    pub cpu_seconds: u64,
    /// Address space the worker may map, MiB: its code and libraries (GDAL, PROJ, SQLite:
    /// about 150 MiB) count too. Allocations beyond it fail.
    pub memory_mib: u64,
}

impl Default for Limits {
    /// 30 s of CPU and 1 GiB: a site or a layer upload of the server's 10 MiB body limit reads
    /// in well under a second and a few hundred MiB.
    fn default() -> Self {
        Limits {
            cpu_seconds: 30,
            memory_mib: 1024,
        }
    }
}

const CPU_ARG: &str = "--cpu-seconds";
const MEMORY_ARG: &str = "--memory-mib";

impl Limits {
    /// The worker's command-line arguments that carry these limits.
    pub fn args(&self) -> [String; 4] {
        [
            CPU_ARG.into(),
            self.cpu_seconds.to_string(),
            MEMORY_ARG.into(),
            self.memory_mib.to_string(),
        ]
    }

    /// The limits given as [`Limits::args`].
    pub fn from_args(args: &[String]) -> Result<Limits, String> {
        let value = |name: &str| -> Result<u64, String> {
            let i = args
                .iter()
                .position(|a| a == name)
                .ok_or_else(|| format!("{name} missing"))?;
            args.get(i + 1)
                .and_then(|v| v.parse().ok())
                .filter(|v| *v > 0)
                .ok_or_else(|| format!("{name}: expected a positive whole number"))
        };
        Ok(Limits {
            cpu_seconds: value(CPU_ARG)?,
            memory_mib: value(MEMORY_ARG)?,
        })
    }

    /// Sets the limits on this process, and no core files.
    pub fn apply(&self) -> io::Result<()> {
        let cpu = self.cpu_seconds;
        let bytes = self.memory_mib.saturating_mul(1024 * 1024);
        set(libc::RLIMIT_CPU, cpu, cpu.saturating_add(1))?;
        set(libc::RLIMIT_AS, bytes, bytes)?;
        set(libc::RLIMIT_CORE, 0, 0)
    }
}

fn set(resource: libc::__rlimit_resource_t, soft: u64, hard: u64) -> io::Result<()> {
    let lim = libc::rlimit {
        rlim_cur: soft as libc::rlim_t,
        rlim_max: hard as libc::rlim_t,
    };
    // SAFETY: a plain system call with a valid pointer to a local struct.
    if unsafe { libc::setrlimit(resource, &lim) } != 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limits_go_through_their_arguments() {
        let l = Limits {
            cpu_seconds: 7,
            memory_mib: 640,
        };
        assert_eq!(Limits::from_args(&l.args()), Ok(l));
        let e = Limits::from_args(&["--cpu-seconds".into(), "0".into()]).unwrap_err();
        assert!(e.contains("--cpu-seconds"), "{e}");
    }
}
