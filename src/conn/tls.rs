//! TLS with rustls, with libpq's sslmode semantics: which certificates are checked
//! (`require` checks nothing unless a root certificate file exists, `verify-ca` checks the
//! chain, `verify-full` the chain and the host name), client certificates, and the
//! per-attempt connector that pins the name to verify and records whether TLS was used.

use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::future::Future;
use std::path::Path;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::client::WebPkiServerVerifier;
use rustls::crypto::CryptoProvider;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName, UnixTime};
use rustls::{CertificateError, ClientConfig, DigitallySignedStruct, RootCertStore, SignatureScheme};
use tokio_postgres::tls::{MakeTlsConnect, TlsConnect};
use tokio_postgres::Socket;
use tokio_postgres_rustls::MakeRustlsConnect;
use x509_cert::der::Decode;

use super::copy_tap::{CopyTap, TapStream};
use super::options::{RootCerts, SslMode, SslOptions};
use crate::{Error, Result};

const ROOT_HINT: &str = "Either provide the file, use the system's trusted roots with sslrootcert=system, \
                         or change sslmode to disable server certificate verification.";

fn tls_error(message: String) -> Error {
    Error::ConnectionOptions(message)
}

/// Builds the rustls client configuration for `ssl`, loading root and client certificates.
/// `None` for `sslmode=disable`.
pub(crate) fn client_config(ssl: &SslOptions) -> Result<Option<Arc<ClientConfig>>> {
    if ssl.mode == SslMode::Disable {
        return Ok(None);
    }
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let roots = load_roots(ssl)?;
    let verifier = match roots {
        None => PgVerifier { webpki: None, pinned: Vec::new(), check_name: false, provider: provider.clone() },
        Some(store) => {
            let pinned: Vec<CertificateDer<'static>> = match &ssl.root_certs {
                RootCerts::File { path, .. } => read_certs(path, "root certificate")?,
                _ => Vec::new(),
            };
            let webpki = WebPkiServerVerifier::builder_with_provider(Arc::new(store), provider.clone())
                .build()
                .map_err(|e| tls_error(format!("could not set up certificate verification: {e}")))?;
            PgVerifier {
                webpki: Some(webpki),
                pinned,
                check_name: ssl.mode == SslMode::VerifyFull,
                provider: provider.clone(),
            }
        }
    };
    let mut versions: Vec<&'static rustls::SupportedProtocolVersion> = Vec::new();
    if ssl.tls13 {
        versions.push(&rustls::version::TLS13);
    }
    if ssl.tls12 {
        versions.push(&rustls::version::TLS12);
    }
    let builder = ClientConfig::builder_with_provider(provider)
        .with_protocol_versions(&versions)
        .map_err(|e| tls_error(format!("could not set up TLS: {e}")))?
        .dangerous()
        .with_custom_certificate_verifier(Arc::new(verifier));
    let mut config = match load_client_cert(ssl)? {
        Some((chain, key)) => builder
            .with_client_auth_cert(chain, key)
            .map_err(|e| tls_error(format!("could not load client certificate: {e}")))?,
        None => builder.with_no_client_auth(),
    };
    config.enable_sni = ssl.sni;
    // libpq 17+ always offers ALPN "postgresql"; servers 17+ require it for direct TLS.
    config.alpn_protocols = vec![b"postgresql".to_vec()];
    Ok(Some(Arc::new(config)))
}

/// The root store to verify against, or `None` when nothing is verified (libpq: no root
/// file and sslmode below verify-ca).
fn load_roots(ssl: &SslOptions) -> Result<Option<RootCertStore>> {
    let wants_verification = ssl.mode >= SslMode::VerifyCa;
    match &ssl.root_certs {
        RootCerts::System => {
            let found = rustls_native_certs::load_native_certs();
            let mut store = RootCertStore::empty();
            let (added, _ignored) = store.add_parsable_certificates(found.certs);
            if added == 0 {
                return Err(tls_error("could not load the system's trusted root certificates".into()));
            }
            Ok(Some(store))
        }
        RootCerts::None if wants_verification => Err(tls_error(format!(
            "could not get home directory to locate root certificate file\n{ROOT_HINT}"
        ))),
        RootCerts::None => Ok(None),
        RootCerts::File { path, .. } => {
            if !path.exists() {
                return if wants_verification {
                    Err(tls_error(format!("root certificate file \"{}\" does not exist\n{ROOT_HINT}", path.display())))
                } else {
                    Ok(None)
                };
            }
            // Like libpq, an existing root file means the chain is verified in every mode.
            let mut store = RootCertStore::empty();
            for cert in read_certs(path, "root certificate")? {
                store
                    .add(cert)
                    .map_err(|e| tls_error(format!("could not read root certificate file \"{}\": {e}", path.display())))?;
            }
            Ok(Some(store))
        }
    }
}

fn read_certs(path: &Path, what: &str) -> Result<Vec<CertificateDer<'static>>> {
    let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(path)
        .and_then(|iter| iter.collect::<std::result::Result<Vec<_>, _>>())
        .map_err(|e| tls_error(format!("could not read {what} file \"{}\": {e}", path.display())))?;
    if certs.is_empty() {
        return Err(tls_error(format!("could not read {what} file \"{}\": no certificate found", path.display())));
    }
    Ok(certs)
}

/// The client certificate and key, when the certificate file exists (libpq silently
/// skips a missing one).
fn load_client_cert(ssl: &SslOptions) -> Result<Option<(Vec<CertificateDer<'static>>, PrivateKeyDer<'static>)>> {
    let Some(cert_path) = ssl.cert.as_deref().filter(|p| p.is_file()) else {
        return Ok(None);
    };
    let chain = read_certs(cert_path, "certificate")?;
    let key_path = ssl
        .key
        .as_deref()
        .filter(|p| p.exists())
        .ok_or_else(|| {
            let shown = ssl.key.as_deref().map(|p| p.display().to_string()).unwrap_or_default();
            tls_error(format!("certificate present, but not private key file \"{shown}\""))
        })?;
    let meta = std::fs::metadata(key_path)
        .map_err(|e| tls_error(format!("could not load private key file \"{}\": {e}", key_path.display())))?;
    // libpq: 0600 or less for the owner's key, 0640 or less for a key owned by root.
    let forbidden = if meta.uid() == 0 { 0o037 } else { 0o077 };
    if meta.permissions().mode() & forbidden != 0 {
        return Err(tls_error(format!(
            "private key file \"{}\" has group or world access; file must have permissions u=rw (0600) or less \
             if owned by the current user, or permissions u=rw,g=r (0640) or less if owned by root",
            key_path.display()
        )));
    }
    let key = PrivateKeyDer::from_pem_file(key_path)
        .map_err(|e| tls_error(format!("could not load private key file \"{}\": {e}", key_path.display())))?;
    Ok(Some((chain, key)))
}

/// libpq's checks on the server certificate. `webpki: None` accepts any certificate
/// (sslmode=require without root certificates). A server certificate that is itself one of
/// the root certificates (a self-signed server certificate given as sslrootcert) is
/// accepted as libpq/OpenSSL accept it, though webpki alone would refuse a CA certificate
/// used as an end entity.
#[derive(Debug)]
struct PgVerifier {
    webpki: Option<Arc<WebPkiServerVerifier>>,
    pinned: Vec<CertificateDer<'static>>,
    check_name: bool,
    provider: Arc<CryptoProvider>,
}

impl ServerCertVerifier for PgVerifier {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> std::result::Result<ServerCertVerified, rustls::Error> {
        let Some(webpki) = &self.webpki else {
            return Ok(ServerCertVerified::assertion());
        };
        if self.pinned.iter().any(|root| root.as_ref() == end_entity.as_ref()) {
            // The server presented a certificate the user trusts as such (OpenSSL accepts
            // this; webpki refuses a CA certificate used as an end entity).
            return if self.check_name {
                check_name_of_pinned(end_entity, server_name)
            } else {
                Ok(ServerCertVerified::assertion())
            };
        }
        match webpki.verify_server_cert(end_entity, intermediates, server_name, ocsp_response, now) {
            Err(rustls::Error::InvalidCertificate(
                CertificateError::NotValidForName | CertificateError::NotValidForNameContext { .. },
            )) if !self.check_name || common_name_matches(end_entity, server_name) => {
                Ok(ServerCertVerified::assertion())
            }
            Err(rustls::Error::InvalidCertificate(CertificateError::NotValidForNameContext { presented, .. })) => {
                Err(rustls::Error::General(name_mismatch(&presented, server_name)))
            }
            Err(rustls::Error::InvalidCertificate(CertificateError::NotValidForName)) => {
                Err(rustls::Error::General(name_mismatch(&[], server_name)))
            }
            other => other,
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> std::result::Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(message, cert, dss, &self.provider.signature_verification_algorithms)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> std::result::Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(message, cert, dss, &self.provider.signature_verification_algorithms)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.provider.signature_verification_algorithms.supported_schemes()
    }
}

/// Host name check of a pinned (self-signed) server certificate.
fn check_name_of_pinned(
    end_entity: &CertificateDer<'_>,
    server_name: &ServerName<'_>,
) -> std::result::Result<ServerCertVerified, rustls::Error> {
    let cert = webpki::EndEntityCert::try_from(end_entity)
        .map_err(|e| rustls::Error::General(format!("could not parse server certificate: {e}")))?;
    match cert.verify_is_valid_for_subject_name(server_name) {
        Ok(()) => Ok(ServerCertVerified::assertion()),
        Err(_) if common_name_matches(end_entity, server_name) => Ok(ServerCertVerified::assertion()),
        Err(_) => Err(rustls::Error::General(name_mismatch(&certificate_names(end_entity), server_name))),
    }
}

/// libpq's fallback that webpki lacks: when the certificate has no dNSName in its
/// subjectAltName, the host name is compared with the subject's Common Name (with a
/// leading `*.` matching one label), as in the PostgreSQL documentation's
/// `openssl req -x509 -subj "/CN=dbhost.yourdomain.com"` recipe.
fn common_name_matches(end_entity: &CertificateDer<'_>, server_name: &ServerName<'_>) -> bool {
    let Ok(cert) = x509_cert::Certificate::from_der(end_entity.as_ref()) else {
        return false;
    };
    if !dns_alt_names(&cert).is_empty() {
        return false;
    }
    let host = server_name.to_str();
    common_names(&cert).iter().any(|cn| host_matches(cn, &host))
}

/// The names a certificate shows, for mismatch messages: dNSNames, else Common Names.
fn certificate_names(end_entity: &CertificateDer<'_>) -> Vec<String> {
    let Ok(cert) = x509_cert::Certificate::from_der(end_entity.as_ref()) else {
        return Vec::new();
    };
    let dns = dns_alt_names(&cert);
    if dns.is_empty() {
        common_names(&cert)
    } else {
        dns
    }
}

fn dns_alt_names(cert: &x509_cert::Certificate) -> Vec<String> {
    use x509_cert::ext::pkix::name::GeneralName;
    use x509_cert::ext::pkix::SubjectAltName;
    let san_oid = x509_cert::der::oid::db::rfc5280::ID_CE_SUBJECT_ALT_NAME;
    cert.tbs_certificate
        .extensions
        .iter()
        .flatten()
        .filter(|ext| ext.extn_id == san_oid)
        .filter_map(|ext| SubjectAltName::from_der(ext.extn_value.as_bytes()).ok())
        .flat_map(|san| san.0)
        .filter_map(|name| match name {
            GeneralName::DnsName(dns) => Some(dns.to_string()),
            _ => None,
        })
        .collect()
}

fn common_names(cert: &x509_cert::Certificate) -> Vec<String> {
    use x509_cert::der::Encode;
    use x509_cert::ext::pkix::name::DirectoryString;
    let cn_oid = x509_cert::der::oid::db::rfc4519::CN;
    let mut names = Vec::new();
    for rdn in &cert.tbs_certificate.subject.0 {
        for attribute in rdn.0.iter().filter(|a| a.oid == cn_oid) {
            let decoded = attribute.value.to_der().ok().and_then(|der| DirectoryString::from_der(&der).ok());
            match decoded {
                Some(DirectoryString::Utf8String(text)) => names.push(text),
                Some(DirectoryString::PrintableString(text)) => names.push(text.to_string()),
                Some(DirectoryString::TeletexString(text)) => names.push(text.to_string()),
                None => {}
            }
        }
    }
    names
}

/// Case-insensitive equality, or a `*.` wildcard standing for exactly one label
/// (libpq's `wildcard_certificate_match`).
fn host_matches(pattern: &str, host: &str) -> bool {
    let pattern = pattern.to_ascii_lowercase();
    let host = host.to_ascii_lowercase();
    if pattern == host {
        return true;
    }
    match pattern.strip_prefix('*') {
        Some(suffix) if suffix.starts_with('.') && host.len() > suffix.len() && host.ends_with(suffix) => {
            let label = &host[..host.len() - suffix.len()];
            !label.contains('.')
        }
        _ => false,
    }
}

/// libpq's wording: `server certificate for "a" (and 2 other names) does not match host name "b"`.
fn name_mismatch(presented: &[String], server_name: &ServerName<'_>) -> String {
    let expected = server_name.to_str();
    let names: Vec<String> = presented.iter().map(|name| unwrap_presented(name)).collect();
    match names.as_slice() {
        [] => format!("server certificate does not match host name \"{expected}\""),
        [one] => format!("server certificate for \"{one}\" does not match host name \"{expected}\""),
        [first, rest @ ..] => format!(
            "server certificate for \"{first}\" (and {} other name{}) does not match host name \"{expected}\"",
            rest.len(),
            if rest.len() == 1 { "" } else { "s" }
        ),
    }
}

/// webpki shows names as `DnsName("x")` / `IpAddress(...)`; keep the name.
fn unwrap_presented(name: &str) -> String {
    match (name.find('"'), name.rfind('"')) {
        (Some(start), Some(end)) if end > start => name[start + 1..end].to_string(),
        _ => name.to_string(),
    }
}

/// The connector for one connection attempt: verifies `server_name` whatever tokio-postgres
/// passes (it passes nothing useful when only `hostaddr` is known), and records whether a
/// TLS handshake was started, which decides sslmode=prefer's plain-text retry.
#[derive(Clone)]
pub(crate) struct AttemptTls {
    inner: MakeRustlsConnect,
    server_name: String,
    started: Arc<AtomicBool>,
    tap: CopyTap,
}

impl AttemptTls {
    /// `tap` is put above the TLS stream (where the protocol is plaintext).
    pub(crate) fn new(config: Arc<ClientConfig>, server_name: String, tap: CopyTap) -> AttemptTls {
        AttemptTls {
            inner: MakeRustlsConnect::new((*config).clone()),
            server_name,
            started: Arc::new(AtomicBool::new(false)),
            tap,
        }
    }

    /// Whether the TLS handshake was started (the server accepted the SSLRequest).
    pub(crate) fn handshake_started(&self) -> bool {
        self.started.load(Ordering::SeqCst)
    }
}

type RustlsConnect = <MakeRustlsConnect as MakeTlsConnect<Socket>>::TlsConnect;

impl MakeTlsConnect<Socket> for AttemptTls {
    type Stream = TapStream<<RustlsConnect as TlsConnect<Socket>>::Stream>;
    type TlsConnect = MarkStarted<RustlsConnect>;
    type Error = <MakeRustlsConnect as MakeTlsConnect<Socket>>::Error;

    fn make_tls_connect(&mut self, _domain: &str) -> std::result::Result<Self::TlsConnect, Self::Error> {
        let inner = <MakeRustlsConnect as MakeTlsConnect<Socket>>::make_tls_connect(&mut self.inner, &self.server_name)?;
        Ok(MarkStarted { inner, started: self.started.clone(), tap: self.tap.clone() })
    }
}

pub(crate) struct MarkStarted<T> {
    inner: T,
    started: Arc<AtomicBool>,
    tap: CopyTap,
}

impl<T> TlsConnect<Socket> for MarkStarted<T>
where
    T: TlsConnect<Socket>,
    T::Future: Send + 'static,
{
    type Stream = TapStream<T::Stream>;
    type Error = T::Error;
    type Future = Pin<Box<dyn Future<Output = std::result::Result<Self::Stream, T::Error>> + Send>>;

    fn connect(self, stream: Socket) -> Self::Future {
        self.started.store(true, Ordering::SeqCst);
        let handshake = self.inner.connect(stream);
        let tap = self.tap;
        Box::pin(async move { handshake.await.map(|tls| tap.wrap(tls)) })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::PathBuf;

    fn ssl(mode: SslMode, root_certs: RootCerts) -> SslOptions {
        SslOptions { mode, root_certs, cert: None, key: None, sni: true, direct: false, tls12: true, tls13: true }
    }

    #[test]
    fn verify_modes_need_a_root_file_others_do_not() {
        let missing = RootCerts::File { path: PathBuf::from("/nonexistent/root.crt"), explicit: false };
        assert!(client_config(&ssl(SslMode::Disable, missing.clone())).expect("disable").is_none());
        assert!(client_config(&ssl(SslMode::Require, missing.clone())).expect("require").is_some());
        let err = client_config(&ssl(SslMode::VerifyCa, missing)).expect_err("verify-ca");
        assert_eq!(
            err.to_string(),
            format!("root certificate file \"/nonexistent/root.crt\" does not exist\n{ROOT_HINT}")
        );
    }

    #[test]
    fn common_name_is_used_only_without_dns_alt_names() {
        let key = rcgen::KeyPair::generate().expect("key");
        let mut params = rcgen::CertificateParams::new(Vec::<String>::new()).expect("params");
        params.distinguished_name.push(rcgen::DnType::CommonName, "db.example.com");
        let cn_only = params.self_signed(&key).expect("cert");
        let name = |n: &str| ServerName::try_from(n.to_string()).expect("name");
        assert!(common_name_matches(cn_only.der(), &name("DB.example.com")));
        assert!(!common_name_matches(cn_only.der(), &name("other.example.com")));
        assert_eq!(certificate_names(cn_only.der()), vec!["db.example.com".to_string()]);

        let mut params = rcgen::CertificateParams::new(vec!["alt.example.com".to_string()]).expect("params");
        params.distinguished_name.push(rcgen::DnType::CommonName, "db.example.com");
        let with_san = params.self_signed(&key).expect("cert");
        assert!(!common_name_matches(with_san.der(), &name("db.example.com")));
        assert_eq!(certificate_names(with_san.der()), vec!["alt.example.com".to_string()]);
    }

    #[test]
    fn wildcards_stand_for_one_label() {
        assert!(host_matches("*.example.com", "db.example.com"));
        assert!(!host_matches("*.example.com", "a.b.example.com"));
        assert!(!host_matches("*.example.com", "example.com"));
        assert!(host_matches("Example.COM", "example.com"));
    }

    #[test]
    fn name_mismatch_reads_like_libpq() {
        let name = ServerName::try_from("wrong.example").expect("name");
        assert_eq!(
            name_mismatch(&["DnsName(\"localhost\")".into()], &name),
            "server certificate for \"localhost\" does not match host name \"wrong.example\""
        );
        assert_eq!(
            name_mismatch(&["a".into(), "b".into(), "c".into()], &name),
            "server certificate for \"a\" (and 2 other names) does not match host name \"wrong.example\""
        );
    }
}
