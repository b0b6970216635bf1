//! Ed25519 keys inside a YubiHSM2, through the `yubihsm` crate: over HTTP to a
//! `yubihsm-connector` (`http://HOST:PORT`), or over USB (`usb[:SERIAL]`, only in builds
//! with the `usb` feature). The private key never leaves the HSM; echoctl asks it for
//! signatures over checkpoint bodies.
//!
//! Failures are environment errors (exit 3) and happen before anything is written: the
//! writer signs inside its transaction, so a failed signature rolls the write back. A
//! signature that fails on a dead session is retried once on a new session.
//!
//! Sessions: yubihsm 0.42.1 (the newest on our registry) cannot close a session (its
//! issue #495, fixed upstream after that release), so each echoctl process leaves its
//! session for the HSM to expire after 30 s idle. A YubiHSM2 has 16; a burst of more
//! HSM-signed commands than that within 30 s gets a clear "no free session" error.

use super::{valid_key_name, Result, SignError, Signer};
use std::time::Duration;
use yubihsm::{asymmetric, object, Capability, Client, Connector, Credentials, Domain};

/// Where the HSM is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum HsmAddress {
    Http { host: String, port: u16 },
    Usb { serial: Option<String> },
}

impl HsmAddress {
    pub fn parse(s: &str) -> Result<Self> {
        let bad = || SignError::HsmAddress(s.to_owned());
        if let Some(rest) = s.strip_prefix("http://") {
            let rest = rest.trim_end_matches('/');
            let (host, port) = rest.rsplit_once(':').ok_or_else(bad)?;
            let port: u16 = port.parse().map_err(|_| bad())?;
            if host.is_empty() || host.contains('/') {
                return Err(bad());
            }
            return Ok(HsmAddress::Http {
                host: host.trim_start_matches('[').trim_end_matches(']').to_owned(),
                port,
            });
        }
        match s.split_once(':') {
            None if s == "usb" => Ok(HsmAddress::Usb { serial: None }),
            Some(("usb", serial)) if !serial.is_empty() && serial.bytes().all(|b| b.is_ascii_digit()) => {
                Ok(HsmAddress::Usb {
                    serial: Some(serial.to_owned()),
                })
            }
            _ => Err(bad()),
        }
    }

    fn connector(&self) -> Result<Connector> {
        match self {
            HsmAddress::Http { host, port } => Ok(Connector::http(&yubihsm::HttpConfig {
                addr: host.clone(),
                port: *port,
                timeout_ms: 5_000,
            })),
            #[cfg(feature = "usb")]
            HsmAddress::Usb { serial } => {
                let serial = match serial {
                    Some(s) => Some(
                        s.parse::<yubihsm::device::SerialNumber>()
                            .map_err(|_| SignError::HsmSerial(s.clone()))?,
                    ),
                    None => None,
                };
                Ok(Connector::usb(&yubihsm::UsbConfig {
                    serial,
                    timeout_ms: yubihsm::UsbConfig::DEFAULT_TIMEOUT_MILLIS,
                }))
            }
            #[cfg(not(feature = "usb"))]
            HsmAddress::Usb { .. } => Err(SignError::NoUsb),
        }
    }
}

impl std::fmt::Display for HsmAddress {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            HsmAddress::Http { host, port } => write!(f, "http://{host}:{port}"),
            HsmAddress::Usb { serial: None } => write!(f, "usb"),
            HsmAddress::Usb { serial: Some(s) } => write!(f, "usb:{s}"),
        }
    }
}

/// The authentication key and its password.
pub struct HsmAuth {
    pub key_id: u16,
    pub password: String,
}

/// An open session with an HSM.
pub struct Hsm {
    client: Client,
    address: HsmAddress,
}

impl Hsm {
    /// Connects and authenticates; errors say which of the two failed.
    pub fn open(address: &HsmAddress, auth: &HsmAuth) -> Result<Self> {
        let connector = address.connector()?;
        let creds = Credentials::from_password(auth.key_id, auth.password.as_bytes());
        let client = Client::open(connector, creds, true).map_err(|e| open_error(address, auth, &e))?;
        Ok(Hsm {
            client,
            address: address.clone(),
        })
    }

    /// Generates an Ed25519 key with the id and label given; it can sign and nothing else
    /// (not exportable).
    pub fn generate(&self, key_id: u16, name: &str) -> Result<HsmSigner> {
        let label = label(name)?;
        self.refuse_taken(key_id)?;
        self.retry(|c| {
            c.generate_asymmetric_key(
                key_id,
                label.clone(),
                Domain::DOM1,
                Capability::SIGN_EDDSA,
                asymmetric::Algorithm::Ed25519,
            )
        })
        .map_err(|e| self.op_error(&format!("cannot generate key {key_id}"), &e))?;
        self.signer(key_id)
    }

    /// Imports an Ed25519 seed as key `key_id`, not exportable: a one-way door.
    pub fn import(&self, key_id: u16, name: &str, seed: &[u8; 32]) -> Result<HsmSigner> {
        let label = label(name)?;
        self.refuse_taken(key_id)?;
        self.retry(|c| {
            c.put_asymmetric_key(
                key_id,
                label.clone(),
                Domain::DOM1,
                Capability::SIGN_EDDSA,
                asymmetric::Algorithm::Ed25519,
                seed.to_vec(),
            )
        })
        .map_err(|e| self.op_error(&format!("cannot import key {key_id}"), &e))?;
        self.signer(key_id)
    }

    /// Refuses an object id that already holds a key: nothing is ever overwritten.
    fn refuse_taken(&self, key_id: u16) -> Result<()> {
        match self.retry(|c| c.get_object_info(key_id, object::Type::AsymmetricKey)) {
            Ok(_) => Err(SignError::HsmKeyTaken {
                address: self.address.to_string(),
                key_id,
            }),
            Err(e) if e.device_error() == Some(yubihsm::device::ErrorKind::ObjectNotFound) => Ok(()),
            Err(e) => Err(self.op_error(&format!("cannot check key id {key_id}"), &e)),
        }
    }

    /// The signer for an existing Ed25519 key; its label is its key name.
    pub fn signer(&self, key_id: u16) -> Result<HsmSigner> {
        let info = self
            .retry(|c| c.get_object_info(key_id, object::Type::AsymmetricKey))
            .map_err(|e| self.op_error(&format!("cannot read key {key_id}"), &e))?;
        if info.algorithm != yubihsm::Algorithm::Asymmetric(asymmetric::Algorithm::Ed25519) {
            return Err(SignError::HsmNotEd25519 {
                key_id,
                address: self.address.to_string(),
            });
        }
        let name = info
            .label
            .try_as_str()
            .map(|s| s.trim_end_matches('\0').to_owned())
            .unwrap_or_default();
        if !valid_key_name(&name) {
            return Err(SignError::HsmLabel { key_id, label: name });
        }
        let pk = self
            .retry(|c| c.get_public_key(key_id))
            .map_err(|e| self.op_error(&format!("cannot read key {key_id}"), &e))?;
        let public_key: [u8; 32] = pk
            .as_ref()
            .try_into()
            .map_err(|_| SignError::HsmPublicKey(key_id))?;
        Ok(HsmSigner {
            hsm: Hsm {
                client: self.client.clone(),
                address: self.address.clone(),
            },
            key_id,
            name,
            public_key,
        })
    }

    /// Runs `op`; when it fails because the session or the connection dropped, once more
    /// on a new session.
    fn retry<T>(
        &self,
        op: impl Fn(&Client) -> std::result::Result<T, yubihsm::client::Error>,
    ) -> std::result::Result<T, yubihsm::client::Error> {
        match op(&self.client) {
            Err(e) if e.device_error().is_none() => {
                std::thread::sleep(Duration::from_millis(50));
                op(&self.client)
            }
            other => other,
        }
    }

    fn op_error(&self, what: &str, e: &yubihsm::client::Error) -> SignError {
        use yubihsm::device::ErrorKind as D;
        let what = what.to_owned();
        match e.device_error() {
            Some(D::ObjectNotFound) => SignError::HsmNoKey {
                what,
                address: self.address.to_string(),
            },
            Some(D::ObjectExists) => SignError::HsmObjectExists { what },
            Some(D::InsufficientPermissions) => SignError::HsmPermission { what },
            _ => SignError::HsmFailed {
                what,
                address: self.address.to_string(),
                detail: e.to_string(),
            },
        }
    }
}

fn label(name: &str) -> Result<object::Label> {
    if !valid_key_name(name) {
        return Err(SignError::KeyName(name.to_owned()));
    }
    object::Label::from_bytes(name.as_bytes()).map_err(|_| SignError::LabelTooLong(name.to_owned()))
}

fn open_error(address: &HsmAddress, auth: &HsmAuth, e: &yubihsm::client::Error) -> SignError {
    let chain = crate::text::with_causes(e);
    let lower = chain.to_lowercase();
    let address = address.to_string();
    if lower.contains("sessionsfull") || lower.contains("sessions full") || lower.contains("session count") {
        SignError::HsmNoSession {
            address,
            detail: chain,
        }
    } else if lower.contains("auth") || lower.contains("cryptogram") || lower.contains("mac") {
        SignError::HsmAuth {
            address,
            auth_key: auth.key_id,
            detail: chain,
        }
    } else {
        SignError::HsmUnreachable {
            address,
            detail: chain,
        }
    }
}

/// An Ed25519 key inside an HSM.
pub struct HsmSigner {
    hsm: Hsm,
    key_id: u16,
    name: String,
    public_key: [u8; 32],
}

impl HsmSigner {
    pub fn key_id(&self) -> u16 {
        self.key_id
    }

    pub fn address(&self) -> &HsmAddress {
        &self.hsm.address
    }
}

impl Signer for HsmSigner {
    fn name(&self) -> &str {
        &self.name
    }

    fn public_key(&self) -> [u8; 32] {
        self.public_key
    }

    fn sign(&self, msg: &[u8]) -> Result<[u8; 64]> {
        let sig = self
            .hsm
            .retry(|c| c.sign_ed25519(self.key_id, msg.to_vec()))
            .map_err(|e| {
                self.hsm
                    .op_error(&format!("cannot sign with HSM key {}", self.key_id), &e)
            })?;
        let bytes = sig.to_bytes();
        // Never trust a device blindly: a wrong signature would poison the ledger.
        if !self.verifier().verify(msg, &bytes) {
            return Err(SignError::HsmBadSignature(self.key_id));
        }
        Ok(bytes)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses() {
        assert_eq!(
            HsmAddress::parse("http://127.0.0.1:12345").unwrap(),
            HsmAddress::Http {
                host: "127.0.0.1".into(),
                port: 12345
            }
        );
        assert_eq!(
            HsmAddress::parse("usb:0012345").unwrap(),
            HsmAddress::Usb {
                serial: Some("0012345".into())
            }
        );
        assert_eq!(HsmAddress::parse("usb").unwrap().to_string(), "usb");
        for bad in [
            "",
            "https://h:1",
            "http://h",
            "http://h:99999",
            "usb:",
            "usb:x1",
            "http://:80",
        ] {
            assert!(HsmAddress::parse(bad).is_err(), "{bad}");
        }
    }
}
