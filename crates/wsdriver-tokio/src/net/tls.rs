//! TLS settings for a client: which certificates to trust, which to show,
//! built into a rustls `ClientConfig` (with the ring provider).

use crate::error::Error;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::{verify_tls12_signature, verify_tls13_signature, CryptoProvider};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName, UnixTime};
use rustls::{DigitallySignedStruct, SignatureScheme};
use std::fmt;
use std::sync::{Arc, OnceLock};
use tokio::io::{AsyncRead, AsyncWrite};
use tokio_rustls::client::TlsStream;

/// How to speak TLS to one peer (a `wss:` server, or an `https:` proxy).
///
/// By default the platform's trusted roots verify the peer and no client
/// certificate is shown. The platform's roots come with the `native-roots`
/// feature (on by default); without it only the roots added here
/// ([`add_ca_certs`](Self::add_ca_certs), [`add_ca_pem`](Self::add_ca_pem))
/// are trusted, and options with none fail with [`Error::Config`].
///
/// The server's are [`TransportOptions::tls`](crate::TransportOptions::tls), an
/// `https:` proxy's [`ProxyOptions::tls`](crate::ProxyOptions::tls): the
/// two may trust different CAs.
///
/// ```
/// use wsdriver_tokio::{ClientOptions, ProxyOptions, TlsOptions, TransportOptions};
///
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// # let ca = rcgen::generate_simple_self_signed(vec!["proxy.internal".to_owned()])?;
/// # let ca_pem = ca.cert.pem();
/// // ca_pem: the PEM of the CA that signed the proxy's certificate.
/// let tls = TlsOptions::default().add_ca_pem(ca_pem.as_bytes())?;
/// // Mistakes show here rather than at the first connection.
/// tls.client_config()?;
/// let proxy = ProxyOptions::new("https://proxy.internal:3129").tls(tls);
/// // The server behind it: the platform's roots, and a client certificate.
/// # let made = rcgen::generate_simple_self_signed(vec!["client.internal".to_owned()])?;
/// # let (cert_pem, key_pem) = (made.cert.pem(), made.key_pair.serialize_pem());
/// let cert = wsdriver_tokio::ClientCert::from_pem(cert_pem.as_bytes(), key_pem.as_bytes())?;
/// let options = ClientOptions::default().transport(
///     TransportOptions::default()
///         .tls(TlsOptions::default().client_cert(cert))
///         .proxy(proxy),
/// );
/// # Ok(()) }
/// ```
#[derive(Clone, Default)]
pub struct TlsOptions {
    config: Option<Arc<rustls::ClientConfig>>,
    ca_certs: Vec<CertificateDer<'static>>,
    client_cert: Option<ClientCert>,
    danger_accept_invalid_certs: bool,
}

impl fmt::Debug for TlsOptions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TlsOptions")
            .field("config", &self.config.as_ref().map(|_| "custom"))
            .field("ca_certs", &self.ca_certs.len())
            .field("client_cert", &self.client_cert)
            .field(
                "danger_accept_invalid_certs",
                &self.danger_accept_invalid_certs,
            )
            .finish()
    }
}

impl TlsOptions {
    /// A complete rustls configuration, used as it is: the other settings
    /// are then ignored. For what they cannot say: trusting *only* your
    /// own roots, ALPN, another crypto provider.
    pub fn rustls_config(mut self, config: Arc<rustls::ClientConfig>) -> Self {
        self.config = Some(config);
        self
    }

    /// Adds certificates to trust as roots besides the platform's (faye's
    /// and ws's `ca`, except that Node's replaces the platform roots and
    /// this adds to them). [`certs_from_pem`] reads them from PEM.
    pub fn add_ca_certs(
        mut self,
        certs: impl IntoIterator<Item = CertificateDer<'static>>,
    ) -> Self {
        self.ca_certs.extend(certs);
        self
    }

    /// Adds the certificates of a PEM file (one or more `CERTIFICATE`
    /// blocks) as roots, as [`add_ca_certs`](Self::add_ca_certs).
    ///
    /// Fails with [`Error::Config`] on unreadable PEM or PEM without a
    /// certificate.
    ///
    /// # Errors
    /// As said: [`Error::Config`].
    pub fn add_ca_pem(self, pem: &[u8]) -> Result<Self, Error> {
        Ok(self.add_ca_certs(certs_from_pem(pem)?))
    }

    /// A certificate chain and key to show when the peer asks for one
    /// (ws's `cert` and `key`).
    pub fn client_cert(mut self, cert: ClientCert) -> Self {
        self.client_cert = Some(cert);
        self
    }

    /// Accept any certificate: no chain, name or expiry check (the
    /// handshake signature is still checked). Anyone on the path can read
    /// and change the traffic: for tests only (ws's
    /// `rejectUnauthorized: false`, wscat's `--no-check`).
    pub fn danger_accept_invalid_certs(mut self, accept: bool) -> Self {
        self.danger_accept_invalid_certs = accept;
        self
    }

    /// The rustls configuration these options describe.
    ///
    /// Built each time (the platform's roots are read once per process),
    /// except for the default options, whose configuration is built once
    /// and shared. Fails with [`Error::Config`] when a CA certificate or
    /// the client certificate is unusable, or when there is no root to
    /// trust at all (no platform roots and none added). Uses ring as
    /// the crypto provider, TLS 1.2 and 1.3.
    ///
    /// # Errors
    /// As said: [`Error::Config`].
    pub fn client_config(&self) -> Result<Arc<rustls::ClientConfig>, Error> {
        if let Some(config) = &self.config {
            return Ok(config.clone());
        }
        let plain = self.ca_certs.is_empty()
            && self.client_cert.is_none()
            && !self.danger_accept_invalid_certs;
        if plain {
            static DEFAULT: OnceLock<Arc<rustls::ClientConfig>> = OnceLock::new();
            if let Some(config) = DEFAULT.get() {
                return Ok(config.clone());
            }
            let config = self.build()?;
            return Ok(DEFAULT.get_or_init(|| config).clone());
        }
        self.build()
    }

    fn build(&self) -> Result<Arc<rustls::ClientConfig>, Error> {
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let builder = rustls::ClientConfig::builder_with_provider(provider.clone())
            .with_safe_default_protocol_versions()
            .map_err(|e| Error::Config(e.to_string()))?;
        let builder = if self.danger_accept_invalid_certs {
            builder
                .dangerous()
                .with_custom_certificate_verifier(Arc::new(AcceptAnyCert(provider)))
        } else {
            let mut roots = rustls::RootCertStore::empty();
            for cert in platform_roots() {
                // A platform root rustls cannot read is skipped, as
                // browsers do.
                let _ = roots.add(cert.clone());
            }
            for cert in &self.ca_certs {
                roots
                    .add(cert.clone())
                    .map_err(|e| Error::Config(format!("unusable CA certificate: {e}")))?;
            }
            if roots.is_empty() {
                return Err(Error::Config(
                    "no trusted TLS roots found on this system (add some with add_ca_certs)".into(),
                ));
            }
            builder.with_root_certificates(roots)
        };
        let config = match &self.client_cert {
            Some(cert) => builder
                .with_client_auth_cert(cert.chain.clone(), cert.key.clone_key())
                .map_err(|e| Error::Config(format!("unusable client certificate: {e}")))?,
            None => builder.with_no_client_auth(),
        };
        Ok(Arc::new(config))
    }
}

/// The platform's trusted roots, read once.
#[cfg(feature = "native-roots")]
fn platform_roots() -> &'static [CertificateDer<'static>] {
    static ROOTS: OnceLock<Vec<CertificateDer<'static>>> = OnceLock::new();
    ROOTS.get_or_init(|| rustls_native_certs::load_native_certs().certs)
}

/// Without the `native-roots` feature, no platform roots: only those added.
#[cfg(not(feature = "native-roots"))]
fn platform_roots() -> &'static [CertificateDer<'static>] {
    &[]
}

/// Reads every `CERTIFICATE` block of a PEM file.
///
/// Other blocks (keys) are skipped. Fails with [`Error::Config`] when the
/// PEM is malformed or holds no certificate.
///
/// ```
/// use wsdriver_tokio::certs_from_pem;
///
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// # let ca = rcgen::generate_simple_self_signed(vec!["ca.internal".to_owned()])?;
/// # let pem = ca.cert.pem();
/// let roots = certs_from_pem(pem.as_bytes())?;
/// assert_eq!(roots.len(), 1);
/// assert!(certs_from_pem(b"not a certificate").is_err());
/// # Ok(()) }
/// ```
///
/// # Errors
/// [`Error::Config`] for PEM that cannot be read or holds no certificate.
pub fn certs_from_pem(pem: &[u8]) -> Result<Vec<CertificateDer<'static>>, Error> {
    let certs = CertificateDer::pem_slice_iter(pem)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| Error::Config(format!("bad PEM certificate: {e}")))?;
    if certs.is_empty() {
        return Err(Error::Config("no CERTIFICATE found in the PEM".into()));
    }
    Ok(certs)
}

/// A client certificate chain and its private key.
///
/// Shown to servers (or proxies) that ask for one, from
/// [`TlsOptions::client_cert`]. Its `Debug` leaves the key out.
///
/// ```
/// use wsdriver_tokio::{ClientCert, ClientOptions, TlsOptions, TransportOptions};
///
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// # let made = rcgen::generate_simple_self_signed(vec!["client.internal".to_owned()])?;
/// # let (cert_pem, key_pem) = (made.cert.pem(), made.key_pair.serialize_pem());
/// // cert_pem and key_pem as read from their files.
/// let cert = ClientCert::from_pem(cert_pem.as_bytes(), key_pem.as_bytes())?;
/// let options = ClientOptions::default()
///     .transport(TransportOptions::default().tls(TlsOptions::default().client_cert(cert)));
/// # Ok(()) }
/// ```
///
/// Non-exhaustive: build one with [`new`](Self::new) or
/// [`from_pem`](Self::from_pem).
#[non_exhaustive]
pub struct ClientCert {
    /// The certificate first, then any intermediates.
    pub chain: Vec<CertificateDer<'static>>,
    /// The private key of the chain's first certificate. Whether rustls
    /// can use it is checked only when the configuration is built
    /// ([`TlsOptions::client_config`], or connecting).
    pub key: PrivateKeyDer<'static>,
}

impl ClientCert {
    /// From certificates and a key already parsed (DER), for keys that do
    /// not come from a PEM file. Checked when the configuration is built,
    /// as [`key`](Self::key) says.
    pub fn new(chain: Vec<CertificateDer<'static>>, key: PrivateKeyDer<'static>) -> Self {
        ClientCert { chain, key }
    }

    /// From PEM: the chain's `CERTIFICATE` blocks and a PKCS#8, PKCS#1
    /// (RSA) or SEC1 (EC) private key.
    ///
    /// Fails with [`Error::Config`] when either cannot be read (an
    /// encrypted key cannot here: see `from_pem_with_passphrase`, feature
    /// `encrypted-keys`).
    ///
    /// # Errors
    /// As said: [`Error::Config`].
    pub fn from_pem(cert_pem: &[u8], key_pem: &[u8]) -> Result<Self, Error> {
        let chain = certs_from_pem(cert_pem)?;
        let key = PrivateKeyDer::from_pem_slice(key_pem)
            .map_err(|e| Error::Config(format!("bad PEM private key: {e}")))?;
        Ok(ClientCert { chain, key })
    }
}

#[cfg(feature = "encrypted-keys")]
impl ClientCert {
    /// From PEM with a passphrase-protected key: the chain's `CERTIFICATE`
    /// blocks and an `ENCRYPTED PRIVATE KEY` (PKCS#8 with PBES2: PBKDF2
    /// or scrypt, AES-CBC or AES-GCM; what `openssl pkcs8 -topk8 -v2
    /// aes-256-cbc` and `openssl genpkey -aes256` write). ws's
    /// `passphrase`, wscat's `--passphrase`. A key that is not encrypted
    /// is read as [`from_pem`](Self::from_pem) reads it, the passphrase
    /// unused, as Node does.
    ///
    /// The legacy OpenSSL form (`Proc-Type: 4,ENCRYPTED` in a `BEGIN RSA
    /// PRIVATE KEY` block) is not read: convert it with `openssl pkcs8
    /// -topk8`.
    ///
    /// ```
    /// use wsdriver_tokio::ClientCert;
    ///
    /// # fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let made = rcgen::generate_simple_self_signed(vec!["client.internal".to_owned()])?;
    /// # let cert_pem = made.cert.pem();
    /// # let key_pem = made.key_pair.serialize_pem();
    /// // A key that is not encrypted is read as it is.
    /// let cert = ClientCert::from_pem_with_passphrase(cert_pem.as_bytes(), key_pem.as_bytes(), b"unused")?;
    /// assert_eq!(cert.chain.len(), 1);
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    /// [`Error::Config`] when the certificate or the key cannot be read,
    /// or the passphrase is wrong (`wrong passphrase, or a damaged key`).
    pub fn from_pem_with_passphrase(
        cert_pem: &[u8],
        key_pem: &[u8],
        passphrase: &[u8],
    ) -> Result<Self, Error> {
        use pkcs8::der::pem::PemLabel;
        use pkcs8::{EncryptedPrivateKeyInfo, SecretDocument};
        use rustls::pki_types::PrivatePkcs8KeyDer;

        let text = std::str::from_utf8(key_pem)
            .map_err(|_| Error::Config("bad PEM private key: not text".into()))?;
        let Ok((label, document)) = SecretDocument::from_pem(text) else {
            // Not one block we can take apart: leave it to from_pem,
            // which says what is wrong with it.
            return Self::from_pem(cert_pem, key_pem);
        };
        if label != EncryptedPrivateKeyInfo::PEM_LABEL {
            return Self::from_pem(cert_pem, key_pem);
        }
        let chain = certs_from_pem(cert_pem)?;
        let encrypted = EncryptedPrivateKeyInfo::try_from(document.as_bytes())
            .map_err(|e| Error::Config(format!("bad encrypted private key: {e}")))?;
        let key = encrypted
            .decrypt(passphrase)
            .map_err(|_| Error::Config("wrong passphrase, or a damaged key".into()))?;
        let key = PrivatePkcs8KeyDer::from(key.as_bytes().to_vec());
        Ok(ClientCert {
            chain,
            key: PrivateKeyDer::Pkcs8(key),
        })
    }
}

impl Clone for ClientCert {
    fn clone(&self) -> Self {
        ClientCert {
            chain: self.chain.clone(),
            key: self.key.clone_key(),
        }
    }
}

impl fmt::Debug for ClientCert {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientCert")
            .field("chain", &self.chain.len())
            .finish_non_exhaustive()
    }
}

/// The verifier behind `danger_accept_invalid_certs`: any certificate
/// passes; the handshake signatures are still checked with the provider's
/// algorithms, so the peer must hold the key of the certificate it sent.
#[derive(Debug)]
struct AcceptAnyCert(Arc<CryptoProvider>);

impl ServerCertVerifier for AcceptAnyCert {
    fn verify_server_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        verify_tls12_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        verify_tls13_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.signature_verification_algorithms.supported_schemes()
    }
}

/// The TLS handshake with `host` over `stream`.
pub(crate) async fn tls_handshake<S>(
    tls: &TlsOptions,
    host: &str,
    stream: S,
) -> Result<TlsStream<S>, Error>
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    let config = tls.client_config()?;
    let name = rustls::pki_types::ServerName::try_from(host.to_owned())
        .map_err(|e| Error::Config(format!("{host} is not a valid TLS server name: {e}")))?;
    let connector = tokio_rustls::TlsConnector::from(config);
    connector
        .connect(name, stream)
        .await
        .map_err(Error::from_tls_io)
}
