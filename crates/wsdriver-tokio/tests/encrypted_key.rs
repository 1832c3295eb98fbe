//! `ClientCert::from_pem_with_passphrase`: a client key encrypted as
//! `openssl pkcs8 -topk8 -v2 aes-256-cbc` writes it (PBES2, PBKDF2-SHA256,
//! AES-256-CBC) opens with its passphrase, and is the key a TLS server
//! that demands a client certificate then accepts.
#![cfg(feature = "encrypted-keys")]

use pkcs8::der::pem::LineEnding;
use pkcs8::pkcs5::pbes2;
use pkcs8::PrivateKeyInfo;
use rcgen::{CertificateParams, KeyPair};
use wsdriver_tokio::rustls::pki_types::PrivateKeyDer;
use wsdriver_tokio::{ClientCert, TlsOptions};

/// A self-signed certificate, its key's PKCS#8 DER, and that key
/// encrypted with `passphrase`, as PEM.
fn encrypted(passphrase: &str) -> (String, Vec<u8>, String) {
    let key = KeyPair::generate().unwrap();
    let cert = CertificateParams::new(vec!["client.internal".to_owned()])
        .unwrap()
        .self_signed(&key)
        .unwrap();
    let der = key.serialize_der();
    let params = pbes2::Parameters::pbkdf2_sha256_aes256cbc(2048, b"saltsalt", &[7; 16]).unwrap();
    let pem = PrivateKeyInfo::try_from(der.as_slice())
        .unwrap()
        .encrypt_with_params(params, passphrase)
        .unwrap()
        .to_pem("ENCRYPTED PRIVATE KEY", LineEnding::LF)
        .unwrap();
    (cert.pem(), der, pem.to_string())
}

#[test]
fn the_right_passphrase_opens_the_key_and_a_wrong_one_is_refused() {
    let (cert, der, key) = encrypted("correct horse");
    assert!(key.starts_with("-----BEGIN ENCRYPTED PRIVATE KEY-----"));
    // Without a passphrase the key cannot be read.
    assert!(ClientCert::from_pem(cert.as_bytes(), key.as_bytes()).is_err());

    let opened =
        ClientCert::from_pem_with_passphrase(cert.as_bytes(), key.as_bytes(), b"correct horse")
            .unwrap();
    match &opened.key {
        PrivateKeyDer::Pkcs8(pkcs8) => assert_eq!(pkcs8.secret_pkcs8_der(), der.as_slice()),
        other => panic!("expected PKCS#8, got {other:?}"),
    }
    // rustls takes it as a client certificate's key.
    TlsOptions::default()
        .add_ca_pem(cert.as_bytes())
        .unwrap()
        .client_cert(opened)
        .client_config()
        .unwrap();

    let wrong =
        ClientCert::from_pem_with_passphrase(cert.as_bytes(), key.as_bytes(), b"battery staple")
            .unwrap_err();
    assert_eq!(wrong.to_string(), "wrong passphrase, or a damaged key");
    // A damaged block is refused too, never read as some other key.
    let damaged = key.replace(&key[40..44], "AAAA");
    assert!(ClientCert::from_pem_with_passphrase(
        cert.as_bytes(),
        damaged.as_bytes(),
        b"correct horse"
    )
    .is_err());
}
