//! Where a ledger lives: a file (SQLite) or a PostgreSQL URL. The engine follows from
//! the location; nothing above the store boundary looks inside one.

use std::ffi::{OsStr, OsString};
use std::fmt;
use std::path::{Path, PathBuf};

/// A ledger's location.
#[derive(Clone, PartialEq, Eq)]
pub enum Location {
    /// A SQLite file.
    File(PathBuf),
    /// A PostgreSQL database, as a `postgres://` or `postgresql://` URL (it may hold a
    /// password: print it only through `Display`, which hides it), and what the
    /// environment supplies where the URL is silent.
    Postgres { url: String, defaults: PgDefaults },
}

/// libpq's environment, read by the CLI's settings (the library reads no variables):
/// `PGHOST`, `PGUSER` (else `USER`), `PGDATABASE`, `PGPASSWORD`, `PGPASSFILE` (else
/// `~/.pgpass`), `PGSSLROOTCERT` (else `~/.postgresql/root.crt`).
#[derive(Clone, Default, PartialEq, Eq)]
pub struct PgDefaults {
    pub host: Option<String>,
    pub user: Option<String>,
    pub dbname: Option<String>,
    pub password: Option<String>,
    pub passfile: Option<PathBuf>,
    pub root_cert: Option<PathBuf>,
    /// Where the URL has no `connect_timeout`.
    pub connect_timeout: Option<std::time::Duration>,
}

impl Location {
    /// A `postgres://` or `postgresql://` URL selects PostgreSQL; anything else is a path.
    pub fn parse(s: &OsStr) -> Location {
        match s.to_str() {
            Some(u) if is_postgres_url(u) => Location::Postgres {
                url: u.to_owned(),
                defaults: PgDefaults::default(),
            },
            _ => Location::File(PathBuf::from(s)),
        }
    }

    /// The file, for a SQLite ledger.
    pub fn file(&self) -> Option<&Path> {
        match self {
            Location::File(p) => Some(p),
            Location::Postgres { .. } => None,
        }
    }

    /// The same location with libpq's environment for a PostgreSQL URL.
    pub fn with_defaults(self, d: PgDefaults) -> Location {
        match self {
            Location::Postgres { url, .. } => Location::Postgres { url, defaults: d },
            file => file,
        }
    }

    /// The engine's name, for messages and `--json`.
    pub fn engine(&self) -> &'static str {
        match self {
            Location::File(_) => "sqlite",
            Location::Postgres { .. } => "postgres",
        }
    }

    /// A path beside the ledger with `suffix` appended (a file ledger), else `fallback`.
    pub fn beside(&self, suffix: &str, fallback: &str) -> PathBuf {
        match self {
            Location::File(p) => {
                let mut s: OsString = p.clone().into_os_string();
                s.push(suffix);
                PathBuf::from(s)
            }
            Location::Postgres { .. } => PathBuf::from(fallback),
        }
    }
}

impl From<&Path> for Location {
    fn from(p: &Path) -> Self {
        Location::File(p.to_owned())
    }
}

impl From<&PathBuf> for Location {
    fn from(p: &PathBuf) -> Self {
        Location::File(p.clone())
    }
}

impl From<PathBuf> for Location {
    fn from(p: PathBuf) -> Self {
        Location::File(p)
    }
}

pub fn is_postgres_url(s: &str) -> bool {
    let lower = s.get(..13).unwrap_or(s).to_ascii_lowercase();
    lower.starts_with("postgres://") || lower.starts_with("postgresql://")
}

/// A URL with its password (if any) replaced by `***`: the form every message, log line
/// and `--json` output uses. Key-value parameters named `password` are hidden too.
pub fn redact(url: &str) -> String {
    let Some(scheme_end) = url.find("://") else {
        return url.to_owned();
    };
    let rest = &url[scheme_end + 3..];
    let authority_end = rest.find(['/', '?']).unwrap_or(rest.len());
    let authority = &rest[..authority_end];
    let mut out = String::with_capacity(url.len());
    out.push_str(&url[..scheme_end + 3]);
    match authority.rfind('@') {
        Some(at) => {
            let userinfo = &authority[..at];
            match userinfo.find(':') {
                Some(colon) => {
                    out.push_str(&userinfo[..colon]);
                    out.push_str(":***");
                }
                None => out.push_str(userinfo),
            }
            out.push_str(&authority[at..]);
        }
        None => out.push_str(authority),
    }
    let tail = &rest[authority_end..];
    match tail.split_once('?') {
        Some((path, query)) => {
            out.push_str(path);
            out.push('?');
            let params: Vec<String> = query
                .split('&')
                .map(|p| match p.split_once('=') {
                    Some((k, _)) if k.eq_ignore_ascii_case("password") => format!("{k}=***"),
                    _ => p.to_owned(),
                })
                .collect();
            out.push_str(&params.join("&"));
        }
        None => out.push_str(tail),
    }
    out
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Location::File(p) => write!(f, "{}", p.display()),
            Location::Postgres { url, .. } => f.write_str(&redact(url)),
        }
    }
}

/// Debug output hides the password too (a location may end up in a panic message).
impl fmt::Debug for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Location({self})")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_password_never_survives_display() {
        for (url, shown) in [
            ("postgres://u:secret@h/db", "postgres://u:***@h/db"),
            (
                "postgresql://u:p%40ss@h:5432/db?sslmode=require",
                "postgresql://u:***@h:5432/db?sslmode=require",
            ),
            (
                "postgres://u@h/db?password=secret&x=1",
                "postgres://u@h/db?password=***&x=1",
            ),
            ("postgres://h/db", "postgres://h/db"),
            ("postgres://u:a:b@c@h/db", "postgres://u:***@h/db"),
        ] {
            assert_eq!(redact(url), shown);
            let at = Location::parse(url.as_ref());
            assert!(!at.to_string().contains("secret") && !format!("{at:?}").contains("secret"));
        }
    }

    #[test]
    fn only_a_postgres_url_selects_postgres() {
        assert_eq!(Location::parse("POSTGRES://h/db".as_ref()).engine(), "postgres");
        assert_eq!(Location::parse("postgresql://h/db".as_ref()).engine(), "postgres");
        assert_eq!(Location::parse("echo.db".as_ref()).engine(), "sqlite");
        assert_eq!(Location::parse("postgres:/x".as_ref()).engine(), "sqlite");
    }
}
