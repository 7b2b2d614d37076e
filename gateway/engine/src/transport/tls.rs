//! TLS configuration for the transport: rustls server and client configs
//! built from PEM files, and the FIX CompID bound to a client certificate.
//!
//! This module owns:
//! - loading PEM certificate chains, private keys and CA bundles, with a
//!   [`TlsError`] that names the file and the reason;
//! - [`server_config`]: a rustls `ServerConfig` (ring provider, TLS 1.2 and
//!   1.3 by default) with optional mutual TLS, client certificates verified
//!   against a CA;
//! - [`client_config`]: a rustls `ClientConfig` trusting a CA, with an
//!   optional client certificate;
//! - [`peer_comp_id`] / [`check_sender_comp_id`]: the CompID a client
//!   certificate is bound to, so the acceptor can refuse a Logon whose
//!   SenderCompID is not the certificate's.
//!
//! It does no network IO; the tokio transport wraps sockets with
//! `tokio_rustls::{TlsAcceptor, TlsConnector}` built from these configs.
//!
//! # CompID binding convention
//!
//! A client certificate is bound to a FIX CompID by a subjectAltName URI
//! `urn:fix:compid:<CompID>` ([`COMP_ID_URI_PREFIX`]) and/or by its subject
//! common name (CN); either alone suffices (the CN alone serves
//! certificates issued by CAs that cannot add URIs). A certificate whose
//! SAN URIs and CNs name more than one CompID between them is refused as
//! ambiguous rather than guessed at. CompIDs compare exactly (FIX CompIDs
//! are case-sensitive). `fixgw certs` issues certificates with both.

use std::fmt;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use rustls::client::WantsClientCert;
use rustls::crypto::CryptoProvider;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName};
use rustls::server::{VerifierBuilderError, WebPkiClientVerifier};
use rustls::{ClientConfig, ConfigBuilder, RootCertStore, ServerConfig, ServerConnection};
use serde::Deserialize;
use x509_parser::extensions::GeneralName;

/// Prefix of the subjectAltName URI that carries a client's FIX CompID:
/// `urn:fix:compid:CLIENT1` binds the certificate to `CLIENT1`.
pub const COMP_ID_URI_PREFIX: &str = "urn:fix:compid:";

/// Which TLS protocol versions a config offers or accepts. In a config
/// file: `versions = "1.2+1.3"` (the default), `"1.3"` or `"1.2"`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
pub enum TlsVersions {
    /// TLS 1.2 and TLS 1.3 (the default; 1.3 is preferred when both sides
    /// have it).
    #[default]
    #[serde(rename = "1.2+1.3")]
    Tls12And13,
    /// TLS 1.3 only.
    #[serde(rename = "1.3")]
    Tls13Only,
    /// TLS 1.2 only (for counterparties that cannot do 1.3, and for tests).
    #[serde(rename = "1.2")]
    Tls12Only,
}

impl TlsVersions {
    fn protocol_versions(self) -> &'static [&'static rustls::SupportedProtocolVersion] {
        static TLS13_ONLY: &[&rustls::SupportedProtocolVersion] = &[&rustls::version::TLS13];
        static TLS12_ONLY: &[&rustls::SupportedProtocolVersion] = &[&rustls::version::TLS12];
        match self {
            TlsVersions::Tls12And13 => rustls::ALL_VERSIONS,
            TlsVersions::Tls13Only => TLS13_ONLY,
            TlsVersions::Tls12Only => TLS12_ONLY,
        }
    }
}

/// Files and options for a TLS acceptor.
///
/// Without `client_ca`, clients are not asked for a certificate. With it,
/// client certificates are verified against that CA, and required unless
/// `client_cert_required = false` (then a client may connect without one,
/// but one it presents must still verify). Relative paths are relative to
/// the process's working directory; resolve them against the config file's
/// directory before calling [`server_config`] if that is what you mean.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServerTlsFiles {
    /// PEM file with the server certificate, then any intermediates.
    pub cert: PathBuf,
    /// PEM file with the server's private key (PKCS#8, PKCS#1 or SEC1).
    pub key: PathBuf,
    /// PEM file with the CA certificate(s) that client certificates must
    /// chain to; enables mutual TLS.
    #[serde(default)]
    pub client_ca: Option<PathBuf>,
    /// Whether a client must present a certificate. Unset: required
    /// exactly when `client_ca` is given. `Some(true)` without `client_ca`
    /// is an error.
    #[serde(default)]
    pub client_cert_required: Option<bool>,
    /// Protocol versions accepted.
    #[serde(default)]
    pub versions: TlsVersions,
}

/// Files and options for a TLS initiator.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClientTlsFiles {
    /// PEM file with the CA certificate(s) the server must chain to.
    pub ca: PathBuf,
    /// PEM file with the client certificate chain, for mutual TLS; needs
    /// `key`.
    #[serde(default)]
    pub cert: Option<PathBuf>,
    /// PEM file with the client's private key; needs `cert`.
    #[serde(default)]
    pub key: Option<PathBuf>,
    /// Protocol versions offered.
    #[serde(default)]
    pub versions: TlsVersions,
}

/// Why a TLS configuration could not be built. Every variant that concerns
/// a file names it.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum TlsError {
    /// The file could not be read (missing, unreadable...).
    #[error("cannot read {}: {source}", path.display())]
    Read {
        /// The file.
        path: PathBuf,
        /// The IO error.
        source: io::Error,
    },
    /// The file is not valid PEM (bad base64, unterminated section...).
    #[error("{}: bad PEM: {source}", path.display())]
    BadPem {
        /// The file.
        path: PathBuf,
        /// The parser's error.
        source: io::Error,
    },
    /// A certificate was expected and the file holds none.
    #[error("{}: no certificate in file (expected a \"BEGIN CERTIFICATE\" section)", path.display())]
    NoCertificate {
        /// The file.
        path: PathBuf,
    },
    /// A private key was expected and the file holds none.
    #[error(
        "{}: no private key in file (expected a \"BEGIN PRIVATE KEY\", \"BEGIN RSA PRIVATE KEY\" or \"BEGIN EC PRIVATE KEY\" section)",
        path.display()
    )]
    NoPrivateKey {
        /// The file.
        path: PathBuf,
    },
    /// A CA certificate could not be used as a trust anchor.
    #[error("{}: invalid CA certificate: {source}", path.display())]
    BadCaCertificate {
        /// The file.
        path: PathBuf,
        /// rustls's reason.
        source: rustls::Error,
    },
    /// The client-certificate verifier could not be built from the CA file.
    #[error("{}: cannot verify client certificates with this CA: {source}", path.display())]
    ClientVerifier {
        /// The CA file.
        path: PathBuf,
        /// rustls's reason.
        source: VerifierBuilderError,
    },
    /// The certificate and key were read but rustls refused them (for
    /// example a key that does not match the certificate, or an
    /// unsupported key type).
    #[error("{} with {}: {source}", cert.display(), key.display())]
    CertifiedKey {
        /// The certificate file.
        cert: PathBuf,
        /// The key file.
        key: PathBuf,
        /// rustls's reason.
        source: rustls::Error,
    },
    /// `client_cert_required` without a `client_ca` to verify against.
    #[error("client_cert_required is set but no client_ca is given to verify client certificates")]
    ClientCaMissing,
    /// A client identity needs both a certificate and a key.
    #[error("client TLS identity incomplete: `{present}` is set but `{missing}` is not")]
    IncompleteClientIdentity {
        /// The key that is set.
        present: &'static str,
        /// The key that is missing.
        missing: &'static str,
    },
    /// The protocol versions are not supported by the crypto provider.
    #[error("TLS protocol versions {versions:?}: {source}")]
    Versions {
        /// The versions asked for.
        versions: TlsVersions,
        /// rustls's reason.
        source: rustls::Error,
    },
    /// A host name or IP address that cannot be a TLS server name.
    #[error("{host:?} is not a valid TLS server name (DNS name or IP address)")]
    BadServerName {
        /// The host as given.
        host: String,
    },
}

/// Builds the acceptor's rustls config (ring provider) from `files`.
pub fn server_config(files: &ServerTlsFiles) -> Result<Arc<ServerConfig>, TlsError> {
    let provider = provider();
    let builder = ServerConfig::builder_with_provider(provider.clone())
        .with_protocol_versions(files.versions.protocol_versions())
        .map_err(|source| TlsError::Versions {
            versions: files.versions,
            source,
        })?;
    let builder = match &files.client_ca {
        None if files.client_cert_required == Some(true) => return Err(TlsError::ClientCaMissing),
        None => builder.with_no_client_auth(),
        Some(ca) => {
            let roots = load_roots(ca)?;
            let verifier = WebPkiClientVerifier::builder_with_provider(Arc::new(roots), provider);
            let verifier = if files.client_cert_required.unwrap_or(true) {
                verifier
            } else {
                verifier.allow_unauthenticated()
            };
            let verifier = verifier
                .build()
                .map_err(|source| TlsError::ClientVerifier {
                    path: ca.clone(),
                    source,
                })?;
            builder.with_client_cert_verifier(verifier)
        }
    };
    let chain = load_certs(&files.cert)?;
    let key = load_private_key(&files.key)?;
    let config = builder
        .with_single_cert(chain, key)
        .map_err(|source| TlsError::CertifiedKey {
            cert: files.cert.clone(),
            key: files.key.clone(),
            source,
        })?;
    Ok(Arc::new(config))
}

/// Builds the initiator's rustls config (ring provider) from `files`.
pub fn client_config(files: &ClientTlsFiles) -> Result<Arc<ClientConfig>, TlsError> {
    let roots = load_roots(&files.ca)?;
    let builder: ConfigBuilder<ClientConfig, WantsClientCert> =
        ClientConfig::builder_with_provider(provider())
            .with_protocol_versions(files.versions.protocol_versions())
            .map_err(|source| TlsError::Versions {
                versions: files.versions,
                source,
            })?
            .with_root_certificates(roots);
    let config = match (&files.cert, &files.key) {
        (None, None) => builder.with_no_client_auth(),
        (Some(_), None) => {
            return Err(TlsError::IncompleteClientIdentity {
                present: "cert",
                missing: "key",
            })
        }
        (None, Some(_)) => {
            return Err(TlsError::IncompleteClientIdentity {
                present: "key",
                missing: "cert",
            })
        }
        (Some(cert), Some(key)) => {
            let chain = load_certs(cert)?;
            let private_key = load_private_key(key)?;
            builder
                .with_client_auth_cert(chain, private_key)
                .map_err(|source| TlsError::CertifiedKey {
                    cert: cert.clone(),
                    key: key.clone(),
                    source,
                })?
        }
    };
    Ok(Arc::new(config))
}

/// The server name to verify the acceptor's certificate against: a DNS name
/// (`localhost`) or an IP address (`127.0.0.1`, `::1`).
pub fn server_name(host: &str) -> Result<ServerName<'static>, TlsError> {
    ServerName::try_from(host.to_owned()).map_err(|_| TlsError::BadServerName {
        host: host.to_owned(),
    })
}

/// Reads every certificate in a PEM file, in order (leaf first for a
/// chain). Non-certificate sections are ignored; none at all is an error.
pub fn load_certs(path: &Path) -> Result<Vec<CertificateDer<'static>>, TlsError> {
    let pem = read(path)?;
    let certs = rustls_pemfile::certs(&mut pem.as_slice())
        .collect::<Result<Vec<_>, _>>()
        .map_err(|source| TlsError::BadPem {
            path: path.to_owned(),
            source,
        })?;
    if certs.is_empty() {
        return Err(TlsError::NoCertificate {
            path: path.to_owned(),
        });
    }
    Ok(certs)
}

/// Reads the first private key (PKCS#8, PKCS#1 or SEC1) of a PEM file.
pub fn load_private_key(path: &Path) -> Result<PrivateKeyDer<'static>, TlsError> {
    let pem = read(path)?;
    rustls_pemfile::private_key(&mut pem.as_slice())
        .map_err(|source| TlsError::BadPem {
            path: path.to_owned(),
            source,
        })?
        .ok_or_else(|| TlsError::NoPrivateKey {
            path: path.to_owned(),
        })
}

/// Reads a PEM bundle of CA certificates into a trust store.
pub fn load_roots(path: &Path) -> Result<RootCertStore, TlsError> {
    let mut roots = RootCertStore::empty();
    for cert in load_certs(path)? {
        roots
            .add(cert)
            .map_err(|source| TlsError::BadCaCertificate {
                path: path.to_owned(),
                source,
            })?;
    }
    Ok(roots)
}

fn read(path: &Path) -> Result<Vec<u8>, TlsError> {
    std::fs::read(path).map_err(|source| TlsError::Read {
        path: path.to_owned(),
        source,
    })
}

fn provider() -> Arc<CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

/// Why no CompID could be taken from a peer's certificate, or why a Logon's
/// SenderCompID is refused for it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum PeerIdentityError {
    /// The peer presented no certificate.
    #[error("no client certificate was presented")]
    NoCertificate,
    /// The certificate could not be parsed as X.509.
    #[error("client certificate cannot be parsed: {reason}")]
    Unparsable {
        /// The parser's reason.
        reason: String,
    },
    /// The certificate names no CompID (no SAN URI with the prefix, no CN).
    #[error("client certificate is not bound to a CompID (no {COMP_ID_URI_PREFIX}<CompID> SAN URI and no subject CN)")]
    NotBound,
    /// The certificate names several different CompIDs.
    #[error(
        "client certificate names more than one CompID: {}",
        CompIdList(candidates)
    )]
    Ambiguous {
        /// Every CompID found, SAN URIs first.
        candidates: Vec<String>,
    },
    /// The Logon's SenderCompID is not the certificate's CompID.
    #[error("SenderCompID {sender_comp_id} does not match CompID {certificate} bound to the client certificate")]
    Mismatch {
        /// The CompID the certificate is bound to.
        certificate: String,
        /// The SenderCompID of the Logon.
        sender_comp_id: String,
    },
}

struct CompIdList<'a>(&'a [String]);

impl fmt::Display for CompIdList<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, id) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str(", ")?;
            }
            write!(f, "{id}")?;
        }
        Ok(())
    }
}

/// The CompID the client's certificate is bound to, or `None` when the
/// client presented no certificate (possible only when the acceptor does
/// not require one).
pub fn peer_comp_id(conn: &ServerConnection) -> Result<Option<String>, PeerIdentityError> {
    match conn.peer_certificates().and_then(|chain| chain.first()) {
        None => Ok(None),
        Some(leaf) => comp_id_from_certificate(leaf).map(Some),
    }
}

/// Checks a Logon's SenderCompID against the client certificate: `Ok` only
/// when the client presented a certificate bound to exactly that CompID.
/// Call it for every Logon on a mutual-TLS connection; refuse the Logon
/// (Logout with the error's text, then disconnect) on `Err`.
pub fn check_sender_comp_id(
    conn: &ServerConnection,
    sender_comp_id: &str,
) -> Result<(), PeerIdentityError> {
    let certificate = peer_comp_id(conn)?.ok_or(PeerIdentityError::NoCertificate)?;
    if certificate == sender_comp_id {
        Ok(())
    } else {
        Err(PeerIdentityError::Mismatch {
            certificate,
            sender_comp_id: sender_comp_id.to_owned(),
        })
    }
}

/// The CompID a (DER) certificate is bound to, by the convention in the
/// module doc: the `urn:fix:compid:` SAN URI and/or the subject CN, which
/// must agree.
pub fn comp_id_from_certificate(cert: &CertificateDer<'_>) -> Result<String, PeerIdentityError> {
    let (_, x509) = x509_parser::parse_x509_certificate(cert.as_ref()).map_err(|e| {
        PeerIdentityError::Unparsable {
            reason: e.to_string(),
        }
    })?;
    let mut candidates: Vec<String> = Vec::new();
    let mut push = |id: &str| {
        if !candidates.iter().any(|c| c == id) {
            candidates.push(id.to_owned());
        }
    };
    let san = x509
        .subject_alternative_name()
        .map_err(|e| PeerIdentityError::Unparsable {
            reason: format!("subjectAltName: {e}"),
        })?;
    if let Some(san) = san {
        for name in &san.value.general_names {
            if let GeneralName::URI(uri) = name {
                if let Some(id) = uri.strip_prefix(COMP_ID_URI_PREFIX) {
                    if !id.is_empty() {
                        push(id);
                    }
                }
            }
        }
    }
    for cn in x509.subject().iter_common_name() {
        let cn = cn.as_str().map_err(|e| PeerIdentityError::Unparsable {
            reason: format!("subject CN: {e}"),
        })?;
        if !cn.is_empty() {
            push(cn);
        }
    }
    match candidates.len() {
        0 => Err(PeerIdentityError::NotBound),
        1 => Ok(candidates.remove(0)),
        _ => Err(PeerIdentityError::Ambiguous { candidates }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rustls::ProtocolVersion;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    use tokio::net::{TcpListener, TcpStream};
    use tokio_rustls::{TlsAcceptor, TlsConnector};

    fn cert_path(name: &str) -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../certs")
            .join(name)
    }

    fn server_files(client_ca: bool) -> ServerTlsFiles {
        ServerTlsFiles {
            cert: cert_path("server.pem"),
            key: cert_path("server-key.pem"),
            client_ca: client_ca.then(|| cert_path("ca.pem")),
            client_cert_required: None,
            versions: TlsVersions::default(),
        }
    }

    fn client_files(comp_id: Option<&str>, versions: TlsVersions) -> ClientTlsFiles {
        ClientTlsFiles {
            ca: cert_path("ca.pem"),
            cert: comp_id.map(|id| cert_path(&format!("client-{id}.pem"))),
            key: comp_id.map(|id| cert_path(&format!("client-{id}-key.pem"))),
            versions,
        }
    }

    /// What the server side of one connection saw.
    #[derive(Debug)]
    struct ServerSide {
        version: Option<ProtocolVersion>,
        comp_id: Result<Option<String>, PeerIdentityError>,
        logon_check: Result<(), PeerIdentityError>,
        received: Vec<u8>,
    }

    /// Runs one connection over loopback TCP: the server accepts, records
    /// the peer's CompID, reads a line and answers it; the client sends
    /// `ping\n` and reads the answer. The listener is bound before the
    /// client connects, so no readiness wait is needed. Returns the server's
    /// outcome and the client's (negotiated version, bytes received).
    async fn exchange(
        server: Arc<ServerConfig>,
        client: Arc<ClientConfig>,
        host: &str,
        sender_comp_id: &str,
    ) -> (
        io::Result<ServerSide>,
        io::Result<(Option<ProtocolVersion>, Vec<u8>)>,
    ) {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let acceptor = TlsAcceptor::from(server);
        let connector = TlsConnector::from(client);
        let name = server_name(host).unwrap();

        let server_task = async move {
            let (tcp, _) = listener.accept().await?;
            let mut tls = acceptor.accept(tcp).await?;
            let (_, conn) = tls.get_ref();
            let version = conn.protocol_version();
            let comp_id = peer_comp_id(conn);
            let logon_check = check_sender_comp_id(conn, sender_comp_id);
            let mut buf = [0u8; 5];
            tls.read_exact(&mut buf).await?;
            tls.write_all(b"pong\n").await?;
            tls.shutdown().await?;
            Ok(ServerSide {
                version,
                comp_id,
                logon_check,
                received: buf.to_vec(),
            })
        };
        let client_task = async move {
            let tcp = TcpStream::connect(addr).await?;
            let mut tls = connector.connect(name, tcp).await?;
            let version = tls.get_ref().1.protocol_version();
            tls.write_all(b"ping\n").await?;
            let mut answer = Vec::new();
            tls.read_to_end(&mut answer).await?;
            Ok((version, answer))
        };
        tokio::join!(server_task, client_task)
    }

    fn configs(
        mutual: bool,
        client_comp_id: Option<&str>,
        versions: TlsVersions,
    ) -> (Arc<ServerConfig>, Arc<ClientConfig>) {
        (
            server_config(&server_files(mutual)).unwrap(),
            client_config(&client_files(client_comp_id, versions)).unwrap(),
        )
    }

    #[tokio::test]
    async fn tls13_handshake_without_client_auth() {
        let (server, client) = configs(false, None, TlsVersions::default());
        let (server, client) = exchange(server, client, "localhost", "CLIENT1").await;
        let server = server.unwrap();
        let (version, answer) = client.unwrap();
        assert_eq!(version, Some(ProtocolVersion::TLSv1_3));
        assert_eq!(server.version, Some(ProtocolVersion::TLSv1_3));
        assert_eq!(server.received, b"ping\n");
        assert_eq!(answer, b"pong\n");
        assert_eq!(server.comp_id, Ok(None));
        assert_eq!(server.logon_check, Err(PeerIdentityError::NoCertificate));
    }

    #[tokio::test]
    async fn forced_tls12_handshake() {
        let (server, client) = configs(false, None, TlsVersions::Tls12Only);
        let (server, client) = exchange(server, client, "127.0.0.1", "CLIENT1").await;
        let (version, answer) = client.unwrap();
        assert_eq!(version, Some(ProtocolVersion::TLSv1_2));
        assert_eq!(server.unwrap().version, Some(ProtocolVersion::TLSv1_2));
        assert_eq!(answer, b"pong\n");
    }

    #[tokio::test]
    async fn ipv6_loopback_name_verifies() {
        // The server certificate names ::1; the socket is IPv4, which does
        // not matter to name verification.
        let (server, client) = configs(false, None, TlsVersions::default());
        let (server, client) = exchange(server, client, "::1", "CLIENT1").await;
        server.unwrap();
        client.unwrap();
    }

    #[tokio::test]
    async fn wrong_server_name_is_refused_by_the_client() {
        let (server, client) = configs(false, None, TlsVersions::default());
        let (_, client) = exchange(server, client, "gateway.example.com", "CLIENT1").await;
        let err = client.unwrap_err();
        assert!(err.to_string().contains("certificate"), "{err}");
    }

    #[tokio::test]
    async fn mutual_tls_binds_comp_id_tls13_and_tls12() {
        for versions in [TlsVersions::Tls13Only, TlsVersions::Tls12Only] {
            let (server, client) = configs(true, Some("CLIENT1"), versions);
            let (server, client) = exchange(server, client, "localhost", "CLIENT1").await;
            let server = server.unwrap();
            assert_eq!(client.unwrap().1, b"pong\n");
            assert_eq!(server.comp_id, Ok(Some("CLIENT1".to_owned())));
            assert_eq!(server.logon_check, Ok(()));
        }
    }

    #[tokio::test]
    async fn mutual_tls_refuses_a_logon_for_another_comp_id() {
        let (server, client) = configs(true, Some("CLIENT2"), TlsVersions::default());
        let (server, _) = exchange(server, client, "localhost", "CLIENT1").await;
        let server = server.unwrap();
        assert_eq!(server.comp_id, Ok(Some("CLIENT2".to_owned())));
        let err = server.logon_check.unwrap_err();
        assert_eq!(
            err,
            PeerIdentityError::Mismatch {
                certificate: "CLIENT2".to_owned(),
                sender_comp_id: "CLIENT1".to_owned(),
            }
        );
        assert_eq!(
            err.to_string(),
            "SenderCompID CLIENT1 does not match CompID CLIENT2 bound to the client certificate"
        );
    }

    #[tokio::test]
    async fn mutual_tls_fails_without_a_client_certificate() {
        for versions in [TlsVersions::Tls13Only, TlsVersions::Tls12Only] {
            let (server, client) = configs(true, None, versions);
            let (server, client) = exchange(server, client, "localhost", "CLIENT1").await;
            let err = server.unwrap_err();
            assert!(
                err.to_string().contains("certificate"),
                "{versions:?}: {err}"
            );
            // TLS 1.2 fails the client's handshake; with TLS 1.3 the client
            // finishes first and learns of the refusal when it reads.
            match client {
                Err(_) => {}
                Ok((_, answer)) => panic!("{versions:?}: client read {answer:?}"),
            }
        }
    }

    #[tokio::test]
    async fn optional_client_auth_accepts_both() {
        let mut files = server_files(true);
        files.client_cert_required = Some(false);
        let server = server_config(&files).unwrap();
        let anonymous = client_config(&client_files(None, TlsVersions::default())).unwrap();
        let (s, c) = exchange(server.clone(), anonymous, "localhost", "CLIENT1").await;
        assert_eq!(s.unwrap().comp_id, Ok(None));
        c.unwrap();
        let tw44 = client_config(&client_files(Some("TW44"), TlsVersions::default())).unwrap();
        let (s, c) = exchange(server, tw44, "localhost", "TW44").await;
        let s = s.unwrap();
        assert_eq!(s.comp_id, Ok(Some("TW44".to_owned())));
        assert_eq!(s.logon_check, Ok(()));
        c.unwrap();
    }

    /// A CA and a client certificate that the development CA did not sign.
    fn foreign_client(dir: &Path, cn: Option<&str>, uris: &[&str]) -> (PathBuf, PathBuf) {
        let ca_key = rcgen::KeyPair::generate().unwrap();
        let mut ca = rcgen::CertificateParams::default();
        ca.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
        let ca = ca.self_signed(&ca_key).unwrap();
        let key = rcgen::KeyPair::generate().unwrap();
        let mut params = rcgen::CertificateParams::default();
        params.distinguished_name = rcgen::DistinguishedName::new();
        if let Some(cn) = cn {
            params
                .distinguished_name
                .push(rcgen::DnType::CommonName, cn);
        }
        params.subject_alt_names = uris
            .iter()
            .map(|u| rcgen::SanType::URI((*u).try_into().unwrap()))
            .collect();
        let cert = params.signed_by(&key, &ca, &ca_key).unwrap();
        let cert_path = dir.join("foreign.pem");
        let key_path = dir.join("foreign-key.pem");
        std::fs::write(&cert_path, cert.pem()).unwrap();
        std::fs::write(&key_path, key.serialize_pem()).unwrap();
        (cert_path, key_path)
    }

    #[tokio::test]
    async fn mutual_tls_refuses_a_certificate_from_another_ca() {
        let dir = tempfile::tempdir().unwrap();
        let (cert, key) = foreign_client(dir.path(), Some("CLIENT1"), &[]);
        let server = server_config(&server_files(true)).unwrap();
        let client = client_config(&ClientTlsFiles {
            ca: cert_path("ca.pem"),
            cert: Some(cert),
            key: Some(key),
            versions: TlsVersions::default(),
        })
        .unwrap();
        let (server, client) = exchange(server, client, "localhost", "CLIENT1").await;
        let err = server.unwrap_err();
        assert!(err.to_string().contains("UnknownIssuer"), "{err}");
        assert!(client.is_err());
    }

    fn comp_id_of(cn: Option<&str>, uris: &[&str]) -> Result<String, PeerIdentityError> {
        let dir = tempfile::tempdir().unwrap();
        let (cert, _) = foreign_client(dir.path(), cn, uris);
        comp_id_from_certificate(&load_certs(&cert).unwrap()[0])
    }

    #[test]
    fn comp_id_from_the_committed_client_certificates() {
        for id in ["CLIENT1", "CLIENT2", "TW44"] {
            let certs = load_certs(&cert_path(&format!("client-{id}.pem"))).unwrap();
            assert_eq!(comp_id_from_certificate(&certs[0]).unwrap(), id);
        }
    }

    #[test]
    fn comp_id_conventions() {
        assert_eq!(comp_id_of(Some("ACME"), &[]), Ok("ACME".to_owned()));
        assert_eq!(
            comp_id_of(None, &["urn:fix:compid:ACME"]),
            Ok("ACME".to_owned())
        );
        assert_eq!(
            comp_id_of(
                Some("ACME"),
                &["urn:fix:compid:ACME", "https://acme.example"]
            ),
            Ok("ACME".to_owned())
        );
        assert_eq!(
            comp_id_of(None, &["https://acme.example"]),
            Err(PeerIdentityError::NotBound)
        );
        let ambiguous = comp_id_of(Some("ACME"), &["urn:fix:compid:OTHER"]).unwrap_err();
        assert_eq!(
            ambiguous,
            PeerIdentityError::Ambiguous {
                candidates: vec!["OTHER".to_owned(), "ACME".to_owned()]
            }
        );
        assert_eq!(
            ambiguous.to_string(),
            "client certificate names more than one CompID: OTHER, ACME"
        );
        // Case matters: FIX CompIDs are case-sensitive.
        assert!(matches!(
            comp_id_of(Some("acme"), &["urn:fix:compid:ACME"]),
            Err(PeerIdentityError::Ambiguous { .. })
        ));
        assert!(matches!(
            comp_id_from_certificate(&CertificateDer::from(vec![0x30, 0x03, 1, 2, 3])),
            Err(PeerIdentityError::Unparsable { .. })
        ));
    }

    #[test]
    fn file_errors_name_the_file_and_the_reason() {
        let dir = tempfile::tempdir().unwrap();
        let missing = dir.path().join("missing.pem");
        let err = load_certs(&missing).unwrap_err();
        assert!(matches!(err, TlsError::Read { ref path, .. } if *path == missing));
        assert!(err
            .to_string()
            .starts_with(&format!("cannot read {}", missing.display())));

        // A key file where a certificate is expected, and the reverse.
        let err = load_certs(&cert_path("server-key.pem")).unwrap_err();
        assert!(matches!(err, TlsError::NoCertificate { .. }), "{err}");
        assert!(err
            .to_string()
            .contains("server-key.pem: no certificate in file"));
        let err = load_private_key(&cert_path("server.pem")).unwrap_err();
        assert!(matches!(err, TlsError::NoPrivateKey { .. }), "{err}");
        assert!(err
            .to_string()
            .contains("server.pem: no private key in file"));

        let bad = dir.path().join("bad.pem");
        std::fs::write(
            &bad,
            "-----BEGIN CERTIFICATE-----\n!!!not base64!!!\n-----END CERTIFICATE-----\n",
        )
        .unwrap();
        let err = load_certs(&bad).unwrap_err();
        assert!(matches!(err, TlsError::BadPem { .. }), "{err}");
        assert!(err.to_string().contains("bad.pem: bad PEM"), "{err}");

        let empty = dir.path().join("empty.pem");
        std::fs::write(&empty, "").unwrap();
        assert!(matches!(
            load_roots(&empty),
            Err(TlsError::NoCertificate { .. })
        ));
    }

    #[test]
    fn config_errors() {
        // Key of another certificate.
        let mut files = server_files(false);
        files.key = cert_path("client-CLIENT1-key.pem");
        let err = server_config(&files).unwrap_err();
        assert!(matches!(err, TlsError::CertifiedKey { .. }), "{err}");
        assert!(err.to_string().contains("server.pem with"), "{err}");

        let mut files = server_files(false);
        files.client_cert_required = Some(true);
        assert!(matches!(
            server_config(&files),
            Err(TlsError::ClientCaMissing)
        ));

        let mut files = server_files(true);
        files.client_ca = Some(cert_path("nope.pem"));
        assert!(matches!(server_config(&files), Err(TlsError::Read { .. })));

        let mut files = client_files(Some("CLIENT1"), TlsVersions::default());
        files.key = None;
        let err = client_config(&files).unwrap_err();
        assert_eq!(
            err.to_string(),
            "client TLS identity incomplete: `cert` is set but `key` is not"
        );

        assert!(matches!(
            server_name("not a host!"),
            Err(TlsError::BadServerName { .. })
        ));
    }

    #[test]
    fn config_from_toml() {
        #[derive(Deserialize)]
        struct Wrapper {
            tls: ServerTlsFiles,
        }
        let w: Wrapper = toml::from_str(
            "[tls]\ncert = \"certs/server.pem\"\nkey = \"certs/server-key.pem\"\nclient_ca = \"certs/ca.pem\"\nversions = \"1.3\"\n",
        )
        .unwrap();
        assert_eq!(w.tls.versions, TlsVersions::Tls13Only);
        assert_eq!(w.tls.client_cert_required, None);
        let err = toml::from_str::<Wrapper>("[tls]\ncert = \"a\"\nkey = \"b\"\nkye = \"c\"\n")
            .err()
            .unwrap();
        assert!(err.to_string().contains("kye"), "{err}");

        // Plain TLS (no client_ca, nothing about client certificates) builds,
        // and asks for no client certificate.
        let plain = format!(
            "[tls]\ncert = {:?}\nkey = {:?}\n",
            cert_path("server.pem"),
            cert_path("server-key.pem")
        );
        let w: Wrapper = toml::from_str(&plain).unwrap();
        assert_eq!(w.tls.client_ca, None);
        server_config(&w.tls).unwrap();
        let with_ca = format!("{plain}client_ca = {:?}\n", cert_path("ca.pem"));
        let w: Wrapper = toml::from_str(&with_ca).unwrap();
        server_config(&w.tls).unwrap();
    }
}
