//! Development certificates for the TLS transport: a private CA, a server
//! certificate for the loopback names, and client certificates bound to FIX
//! CompIDs.
//!
//! This module owns the generation of the files under `certs/` (and of any
//! directory the operator names): `fixgw certs --out DIR` calls [`generate`].
//! It does not load or verify certificates; that is
//! `fix_engine::transport::tls`.
//!
//! # Files
//!
//! | file                              | what it is                                         |
//! |-----------------------------------|----------------------------------------------------|
//! | `ca.pem`, `ca-key.pem`            | the development CA (self-signed, may sign leaves only) |
//! | `server.pem`, `server-key.pem`    | server certificate: `localhost`, `127.0.0.1`, `::1` |
//! | `client-<ID>.pem`, `-key.pem`     | client certificate bound to FIX CompID `<ID>`      |
//!
//! Keys are ECDSA P-256 in PKCS#8 PEM; certificates are PEM.
//!
//! # CompID binding convention
//!
//! A client certificate names the FIX CompID it is bound to twice, and the
//! two must agree:
//! - the subject common name (CN) is the CompID, e.g. `CN=CLIENT1`;
//! - a subjectAltName URI `urn:fix:compid:<ID>`, e.g.
//!   `urn:fix:compid:CLIENT1` ([`COMP_ID_URI_PREFIX`]).
//!
//! The acceptor reads the binding back (SAN URI first, CN as fallback) and
//! refuses a Logon whose SenderCompID differs.
//!
//! # Validity
//!
//! Certificates are valid from the day before generation for ten years, so
//! the committed development set does not expire under the tests.

use std::fs;
use std::io::Write;
use std::path::Path;

use anyhow::{bail, Context};
use chrono::{Datelike, Days, NaiveDate, Utc};
use rcgen::{
    BasicConstraints, CertificateParams, DistinguishedName, DnType, ExtendedKeyUsagePurpose, IsCa,
    KeyPair, KeyUsagePurpose, SanType,
};

/// Prefix of the subjectAltName URI that carries a client's FIX CompID.
///
/// Must stay equal to `fix_engine::transport::tls::COMP_ID_URI_PREFIX`.
pub const COMP_ID_URI_PREFIX: &str = "urn:fix:compid:";

/// The CompIDs that [`generate`] issues client certificates for.
pub const DEFAULT_CLIENT_COMP_IDS: &[&str] = &["CLIENT1", "CLIENT2", "TW44"];

/// How long generated certificates stay valid, in days (ten years).
const VALIDITY_DAYS: u64 = 3653;

/// Writes the development CA, the server certificate and the client
/// certificates for [`DEFAULT_CLIENT_COMP_IDS`] into `out_dir` (created if
/// missing), overwriting files of the same names.
pub fn generate(out_dir: &Path) -> anyhow::Result<()> {
    generate_with(out_dir, DEFAULT_CLIENT_COMP_IDS, Utc::now().date_naive())
}

/// Like [`generate`], with the client CompIDs and the issue date chosen by
/// the caller. Certificates are valid from the day before `issued_on` for
/// ten years.
pub fn generate_with(
    out_dir: &Path,
    client_comp_ids: &[&str],
    issued_on: NaiveDate,
) -> anyhow::Result<()> {
    for id in client_comp_ids {
        check_comp_id(id)?;
    }
    fs::create_dir_all(out_dir)
        .with_context(|| format!("cannot create directory {}", out_dir.display()))?;

    let not_before = issued_on
        .checked_sub_days(Days::new(1))
        .context("issue date out of range")?;
    let not_after = not_before
        .checked_add_days(Days::new(VALIDITY_DAYS))
        .context("issue date out of range")?;
    let validity = Validity {
        not_before,
        not_after,
    };

    // The CA.
    let ca_key = KeyPair::generate().context("generating the CA key")?;
    let mut ca_params = CertificateParams::default();
    ca_params.distinguished_name = name("fix-gateway development CA");
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Constrained(0));
    ca_params.key_usages = vec![
        KeyUsagePurpose::KeyCertSign,
        KeyUsagePurpose::CrlSign,
        KeyUsagePurpose::DigitalSignature,
    ];
    validity.apply(&mut ca_params);
    let ca_cert = ca_params
        .self_signed(&ca_key)
        .context("signing the CA certificate")?;
    write_file(out_dir, "ca.pem", &ca_cert.pem(), false)?;
    write_file(out_dir, "ca-key.pem", &ca_key.serialize_pem(), true)?;

    // The server: the loopback names the demo and the tests connect to.
    let server_key = KeyPair::generate().context("generating the server key")?;
    let mut server_params = CertificateParams::new(vec![
        "localhost".to_owned(),
        "127.0.0.1".to_owned(),
        "::1".to_owned(),
    ])
    .context("server subject alternative names")?;
    server_params.distinguished_name = name("localhost");
    server_params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
    server_params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
    server_params.use_authority_key_identifier_extension = true;
    validity.apply(&mut server_params);
    let server_cert = server_params
        .signed_by(&server_key, &ca_cert, &ca_key)
        .context("signing the server certificate")?;
    write_file(out_dir, "server.pem", &server_cert.pem(), false)?;
    write_file(out_dir, "server-key.pem", &server_key.serialize_pem(), true)?;

    // One client certificate per CompID.
    for id in client_comp_ids {
        let key =
            KeyPair::generate().with_context(|| format!("generating the key of client {id}"))?;
        let mut params = CertificateParams::default();
        params.distinguished_name = name(id);
        let uri = format!("{COMP_ID_URI_PREFIX}{id}");
        params.subject_alt_names = vec![SanType::URI(
            uri.clone()
                .try_into()
                .with_context(|| format!("SAN URI {uri} is not ASCII"))?,
        )];
        params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
        params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ClientAuth];
        params.use_authority_key_identifier_extension = true;
        validity.apply(&mut params);
        let cert = params
            .signed_by(&key, &ca_cert, &ca_key)
            .with_context(|| format!("signing the certificate of client {id}"))?;
        write_file(out_dir, &format!("client-{id}.pem"), &cert.pem(), false)?;
        write_file(
            out_dir,
            &format!("client-{id}-key.pem"),
            &key.serialize_pem(),
            true,
        )?;
    }
    Ok(())
}

/// The validity period shared by every certificate of one generation.
struct Validity {
    not_before: NaiveDate,
    not_after: NaiveDate,
}

impl Validity {
    /// Sets both bounds (midnight UTC) through rcgen's own date helper, so
    /// this crate needs no direct dependency on the `time` crate.
    fn apply(&self, params: &mut CertificateParams) {
        let (y, m, d) = ymd(self.not_before);
        params.not_before = rcgen::date_time_ymd(y, m, d);
        let (y, m, d) = ymd(self.not_after);
        params.not_after = rcgen::date_time_ymd(y, m, d);
    }
}

/// Year, month (1..=12) and day (1..=31) of `date`; both of the latter
/// always fit in a `u8`.
fn ymd(date: NaiveDate) -> (i32, u8, u8) {
    let month = u8::try_from(date.month()).unwrap_or(1);
    let day = u8::try_from(date.day()).unwrap_or(1);
    (date.year(), month, day)
}

fn name(common_name: &str) -> DistinguishedName {
    let mut dn = DistinguishedName::new();
    dn.push(DnType::OrganizationName, "fix-gateway development");
    dn.push(DnType::CommonName, common_name);
    dn
}

/// A CompID must be usable as a file name, a CN and an ASCII SAN URI.
fn check_comp_id(id: &str) -> anyhow::Result<()> {
    if id.is_empty() {
        bail!("client CompID must not be empty");
    }
    if let Some(c) = id
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.')))
    {
        bail!("client CompID {id:?}: character {c:?} not allowed (ASCII letters, digits, '_', '-', '.')");
    }
    Ok(())
}

/// Writes `contents` to `dir/file_name`; private keys are created readable
/// by the owner only on Unix.
fn write_file(dir: &Path, file_name: &str, contents: &str, private: bool) -> anyhow::Result<()> {
    let path = dir.join(file_name);
    let mut options = fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    if private {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    #[cfg(not(unix))]
    let _ = private;
    let mut file = options
        .open(&path)
        .with_context(|| format!("cannot create {}", path.display()))?;
    file.write_all(contents.as_bytes())
        .with_context(|| format!("cannot write {}", path.display()))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use fix_engine::transport::tls;

    #[test]
    fn generated_set_loads_and_binds_comp_ids() {
        let dir = tempfile::tempdir().unwrap();
        let issued = NaiveDate::from_ymd_opt(2026, 11, 24).unwrap();
        generate_with(dir.path(), &["CLIENT1", "TW44"], issued).unwrap();

        let server = tls::ServerTlsFiles {
            cert: dir.path().join("server.pem"),
            key: dir.path().join("server-key.pem"),
            client_ca: Some(dir.path().join("ca.pem")),
            client_cert_required: None,
            versions: tls::TlsVersions::default(),
        };
        tls::server_config(&server).unwrap();
        for id in ["CLIENT1", "TW44"] {
            let client = tls::ClientTlsFiles {
                ca: dir.path().join("ca.pem"),
                cert: Some(dir.path().join(format!("client-{id}.pem"))),
                key: Some(dir.path().join(format!("client-{id}-key.pem"))),
                versions: tls::TlsVersions::default(),
            };
            tls::client_config(&client).unwrap();
            let cert = &tls::load_certs(client.cert.as_ref().unwrap()).unwrap()[0];
            assert_eq!(tls::comp_id_from_certificate(cert).unwrap(), id);
        }
        assert!(!dir.path().join("client-CLIENT2.pem").exists());
    }

    #[test]
    fn uri_prefix_matches_the_engine() {
        assert_eq!(COMP_ID_URI_PREFIX, tls::COMP_ID_URI_PREFIX);
    }

    #[test]
    fn refuses_comp_ids_unfit_for_names() {
        let dir = tempfile::tempdir().unwrap();
        let issued = NaiveDate::from_ymd_opt(2026, 11, 24).unwrap();
        let err = generate_with(dir.path(), &["BAD/ID"], issued).unwrap_err();
        assert!(err.to_string().contains("'/' not allowed"), "{err}");
        assert!(generate_with(dir.path(), &[""], issued).is_err());
    }
}
