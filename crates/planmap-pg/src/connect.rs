//! [`connect`]: one connection from a `postgres://` URL, with a connect timeout, its
//! `application_name` and a statement timeout, its driver task on the caller's runtime.

use std::time::Duration;

use tokio_postgres::config::Host;
use tokio_postgres::{Client, Config, NoTls};

use crate::error::PgError;

/// How long a connection attempt may take before it is an error.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

/// Parses a connection URL or key=value string; the error names it without its password.
pub fn parse_url(url: &str) -> Result<Config, PgError> {
    let mut cfg: Config = url
        .parse()
        .map_err(|e: tokio_postgres::Error| PgError::Url {
            url: redact(url),
            why: e.to_string(),
        })?;
    if cfg.get_hosts().is_empty() {
        return Err(PgError::Url {
            url: redact(url),
            why: "no host".into(),
        });
    }
    if cfg.get_dbname().is_none() {
        return Err(PgError::Url {
            url: redact(url),
            why: "no database name".into(),
        });
    }
    if cfg.get_user().is_none() {
        cfg.user("postgres");
    }
    if cfg.get_application_name().is_none() {
        cfg.application_name("planmap");
    }
    if cfg.get_connect_timeout().is_none() {
        cfg.connect_timeout(CONNECT_TIMEOUT);
    }
    Ok(cfg)
}

/// `user@host:port/db` — how errors name a database (no password, ever).
pub fn describe(cfg: &Config) -> String {
    let host = match cfg.get_hosts().first() {
        Some(Host::Tcp(h)) => h.clone(),
        Some(Host::Unix(p)) => p.display().to_string(),
        None => "?".into(),
    };
    let port = cfg.get_ports().first().copied().unwrap_or(5432);
    format!(
        "{}@{host}:{port}/{}",
        cfg.get_user().unwrap_or("?"),
        cfg.get_dbname().unwrap_or("?")
    )
}

/// Connects (no TLS: a replica and its database share a private network, as the deployment
/// in docs/postgis.md lays out) and spawns the connection's driver on the current runtime.
/// `statement_timeout` bounds every statement of the session.
pub async fn connect(cfg: &Config, statement_timeout: Duration) -> Result<Client, PgError> {
    let at = describe(cfg);
    let (client, conn) = cfg
        .connect(NoTls)
        .await
        .map_err(|source| PgError::Connect {
            at: at.clone(),
            source,
        })?;
    tokio::spawn(async move {
        // The error, if any, reaches the client's next call as a closed connection.
        let _ = conn.await;
    });
    let ms = statement_timeout.as_millis();
    client
        .batch_execute(&format!("SET statement_timeout = {ms}"))
        .await
        .map_err(|source| PgError::Query {
            at,
            step: "setting statement_timeout".into(),
            source,
        })?;
    Ok(client)
}

/// The URL with any password replaced by `***`.
fn redact(url: &str) -> String {
    // postgres://user:password@host/db — the password is between the first ':' after the
    // scheme and the '@'.
    if let Some(rest) = url
        .strip_prefix("postgres://")
        .or_else(|| url.strip_prefix("postgresql://"))
    {
        let scheme = &url[..url.len() - rest.len()];
        if let Some(at) = rest.find('@') {
            if let Some(colon) = rest[..at].find(':') {
                return format!("{scheme}{}:***{}", &rest[..colon], &rest[at..]);
            }
        }
        return url.to_string();
    }
    if url.contains("password") {
        return "(a connection string with a password)".into();
    }
    url.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_password_never_shows() {
        let e = parse_url("postgres://keeper:s3cret@db.example:notaport/plans").unwrap_err();
        let m = e.to_string();
        assert!(!m.contains("s3cret"), "{m}");
        assert!(m.contains("keeper:***@db.example"), "{m}");
        assert!(m.starts_with("--db "), "{m}");
    }

    #[test]
    fn a_url_without_a_database_is_refused() {
        let m = parse_url("postgres://u@127.0.0.1:5432")
            .unwrap_err()
            .to_string();
        assert!(m.contains("no database name"), "{m}");
    }

    #[test]
    fn defaults_and_description() {
        let cfg = parse_url("postgres://127.0.0.1:6543/plans").unwrap();
        assert_eq!(describe(&cfg), "postgres@127.0.0.1:6543/plans");
        assert_eq!(cfg.get_application_name(), Some("planmap"));
        assert_eq!(cfg.get_connect_timeout(), Some(&CONNECT_TIMEOUT));
    }
}
