//! From a URL to a connected client: the parameters libpq users expect (sslmode with
//! `verify-ca` / `verify-full` and `sslrootcert`, `connect_timeout`), the password from the
//! URL, `PGPASSWORD` or the password file, and TLS through rustls.

use super::tls::{self, Verify};
use crate::ledger::store::{PgDefaults, StoreError, StoreResult};
use postgres::config::{Host, SslMode};
use postgres::{Client, Config};
use std::path::PathBuf;
use std::str::FromStr;
use std::time::Duration;

/// How long connecting may take when the URL does not say (`connect_timeout`, seconds).
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// A parsed location, ready to connect as often as needed (workers open their own).
#[derive(Clone)]
pub struct Target {
    config: Config,
    verify: Option<Verify>,
    /// The redacted URL, for messages.
    pub shown: String,
}

/// libpq's sslmode values beyond what the client library parses itself.
fn take_param(url: &str, name: &str) -> (String, Option<String>) {
    let Some((base, query)) = url.split_once('?') else {
        return (url.to_owned(), None);
    };
    let mut found = None;
    let kept: Vec<&str> = query
        .split('&')
        .filter(|p| match p.split_once('=') {
            Some((k, v)) if k == name => {
                found = Some(v.to_owned());
                false
            }
            _ => true,
        })
        .collect();
    if kept.is_empty() {
        (base.to_owned(), found)
    } else {
        (format!("{base}?{}", kept.join("&")), found)
    }
}

impl Target {
    pub fn parse(url: &str, env: &PgDefaults, shown: String) -> StoreResult<Target> {
        let bad = |why: String| StoreError::BadLocation(format!("{shown}: {why}"));
        let (url, sslmode) = take_param(url, "sslmode");
        let (url, rootcert) = take_param(&url, "sslrootcert");
        let mut config = Config::from_str(&url).map_err(|e| bad(e.to_string()))?;
        let verify = match sslmode.as_deref() {
            None | Some("prefer") => {
                config.ssl_mode(SslMode::Prefer);
                Some(Verify::Nothing)
            }
            Some("disable") => {
                config.ssl_mode(SslMode::Disable);
                None
            }
            Some("allow") | Some("require") => {
                config.ssl_mode(SslMode::Require);
                Some(Verify::Nothing)
            }
            Some(mode @ ("verify-ca" | "verify-full")) => {
                config.ssl_mode(SslMode::Require);
                let roots = rootcert.map(PathBuf::from).or_else(|| env.root_cert.clone());
                Some(Verify::Chain {
                    roots,
                    hostname: mode == "verify-full",
                })
            }
            Some(other) => {
                return Err(bad(format!(
                    "sslmode {} is not disable, allow, prefer, require, verify-ca or verify-full",
                    crate::text::quoted(other)
                )))
            }
        };
        if config.get_hosts().is_empty() {
            config.host(env.host.as_deref().unwrap_or("localhost"));
        }
        if config.get_user().is_none() {
            config.user(env.user.as_deref().unwrap_or("postgres"));
        }
        if config.get_dbname().is_none() {
            if let Some(db) = &env.dbname {
                config.dbname(db);
            }
        }
        if config.get_password().is_none() {
            if let Some(p) = password_from_env(&config, env) {
                config.password(p);
            }
        }
        if config.get_connect_timeout().is_none() {
            config.connect_timeout(env.connect_timeout.unwrap_or(CONNECT_TIMEOUT));
        }
        // A server that stops answering mid-command is found within about 25 s of silence
        // (libpq's default waits two hours), unless the URL sets keepalives itself.
        if config.get_keepalives_idle() == Duration::from_secs(7200) {
            config.keepalives_idle(Duration::from_secs(10));
            config.keepalives_interval(Duration::from_secs(5));
            config.keepalives_retries(3);
        }
        config.application_name("echoctl");
        Ok(Target {
            config,
            verify,
            shown,
        })
    }

    /// A new connection; every failure is typed (unreachable, refused login, TLS). The
    /// whole of it, TLS and login included, takes at most the connect timeout: the client
    /// library's own timeout covers only the TCP connect, and a server that accepts and
    /// then never answers would hold the command forever. Past the deadline the attempt
    /// is abandoned on its thread, which ends when the socket does.
    pub fn connect(&self) -> StoreResult<Client> {
        let tls = match &self.verify {
            None => None,
            Some(v) => {
                Some(tls::connector(v).map_err(|e| StoreError::BadLocation(format!("{}: {e}", self.shown)))?)
            }
        };
        let config = self.config.clone();
        let deadline = config.get_connect_timeout().copied().unwrap_or(CONNECT_TIMEOUT);
        let (tx, rx) = std::sync::mpsc::sync_channel(1);
        let attempt = move || {
            let result = match tls {
                None => config.connect(postgres::NoTls),
                Some(tls) => config.connect(tls),
            };
            let _ = tx.send(result);
        };
        std::thread::Builder::new()
            .name("pg-connect".into())
            .spawn(attempt)
            .map_err(|e| StoreError::Unavailable(format!("{}: cannot start a thread: {e}", self.shown)))?;
        match rx.recv_timeout(deadline) {
            Ok(result) => result.map_err(|e| super::map(e).at(&self.shown)),
            Err(_) => Err(StoreError::Unavailable(format!(
                "{}: no answer from the server within {:.1} s (connect timeout)",
                self.shown,
                deadline.as_secs_f64()
            ))),
        }
    }

    pub fn dbname(&self) -> String {
        self.config
            .get_dbname()
            .or(self.config.get_user())
            .unwrap_or("postgres")
            .to_owned()
    }

    /// The same server, another database (to create or drop one in tests and tools).
    pub fn with_dbname(&self, db: &str) -> Target {
        let mut t = self.clone();
        t.config.dbname(db);
        t
    }
}

/// `PGPASSWORD`, else the password file (`PGPASSFILE`, else `~/.pgpass`): libpq's rules,
/// `host:port:database:user:password` with `*` for any and `\` escaping `:` and `\`.
fn password_from_env(config: &Config, env: &PgDefaults) -> Option<Vec<u8>> {
    if let Some(p) = &env.password {
        return Some(p.clone().into_bytes());
    }
    // As libpq: a password file that others may read is ignored.
    let file = env.passfile.as_ref()?;
    let private = {
        use std::os::unix::fs::PermissionsExt;
        std::fs::metadata(file).is_ok_and(|m| m.permissions().mode() & 0o077 == 0)
    };
    if !private {
        return None;
    }
    let text = std::fs::read_to_string(file).ok()?;
    let host = match config.get_hosts().first() {
        Some(Host::Tcp(h)) => h.clone(),
        Some(Host::Unix(_)) | None => "localhost".to_owned(),
    };
    let port = config.get_ports().first().copied().unwrap_or(5432).to_string();
    let db = config.get_dbname().unwrap_or_default();
    let user = config.get_user().unwrap_or_default();
    pgpass_lookup(&text, &[&host, &port, db, user])
}

pub(super) fn pgpass_lookup(text: &str, want: &[&str; 4]) -> Option<Vec<u8>> {
    for line in text.lines() {
        if line.starts_with('#') || line.trim().is_empty() {
            continue;
        }
        let mut fields = Vec::new();
        let mut cur = String::new();
        let mut chars = line.chars();
        while let Some(c) = chars.next() {
            match c {
                '\\' => cur.extend(chars.next()),
                ':' if fields.len() < 4 => fields.push(std::mem::take(&mut cur)),
                c => cur.push(c),
            }
        }
        fields.push(cur);
        if fields.len() == 5 && fields[..4].iter().zip(want).all(|(f, w)| f == "*" || f == w) {
            return Some(fields.pop().unwrap_or_default().into_bytes());
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_password_file_follows_libpq_rules() {
        let file = "# comment\nother:5432:*:u:no\n*:5432:ledger:u:p\\:w\\\\d\n*:*:*:*:any\n";
        assert_eq!(
            pgpass_lookup(file, &["db.example", "5432", "ledger", "u"]),
            Some(b"p:w\\d".to_vec())
        );
        assert_eq!(
            pgpass_lookup(file, &["h", "6000", "x", "y"]),
            Some(b"any".to_vec())
        );
        assert_eq!(pgpass_lookup("h:1:d:u:p\n", &["h", "2", "d", "u"]), None);
    }

    #[test]
    fn sslmode_and_sslrootcert_are_taken_out_of_the_url() {
        let (u, m) = take_param("postgres://h/db?sslmode=verify-full&x=1", "sslmode");
        assert_eq!(
            (u.as_str(), m.as_deref()),
            ("postgres://h/db?x=1", Some("verify-full"))
        );
        let (u, m) = take_param("postgres://h/db?sslmode=require", "sslmode");
        assert_eq!((u.as_str(), m.as_deref()), ("postgres://h/db", Some("require")));
        assert!(Target::parse(
            "postgres://h/db?sslmode=sometimes",
            &PgDefaults::default(),
            "x".into()
        )
        .is_err());
    }
}
