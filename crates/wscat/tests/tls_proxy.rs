//! wscat over TLS with a test CA (--ca, and -n without one), and through
//! an HTTP CONNECT proxy (--proxy), against in-process peers.

mod support;

use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, KeyPair, KeyUsagePurpose};
use std::sync::{Arc, Mutex};
use support::{echo_server, echo_server_with, run_piped, text};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use wsdriver_tokio::rustls::pki_types::pem::PemObject;
use wsdriver_tokio::rustls::pki_types::{CertificateDer, PrivateKeyDer};
use wsdriver_tokio::rustls::{self, ServerConfig};

/// A CA's PEM, and a server config whose certificate (for 127.0.0.1) it
/// signed.
fn certificates() -> (String, Arc<ServerConfig>) {
    let mut ca = CertificateParams::new(Vec::<String>::new()).unwrap();
    ca.distinguished_name
        .push(DnType::CommonName, "wscat test CA");
    ca.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca.key_usages = vec![KeyUsagePurpose::KeyCertSign];
    let ca_key = KeyPair::generate().unwrap();
    let ca = ca.self_signed(&ca_key).unwrap();
    let leaf = CertificateParams::new(vec!["127.0.0.1".to_owned()]).unwrap();
    let leaf_key = KeyPair::generate().unwrap();
    let leaf = leaf.signed_by(&leaf_key, &ca, &ca_key).unwrap();
    let chain = vec![CertificateDer::from_pem_slice(leaf.pem().as_bytes()).unwrap()];
    let key = PrivateKeyDer::from_pem_slice(leaf_key.serialize_pem().as_bytes()).unwrap();
    let config =
        ServerConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
            .with_safe_default_protocol_versions()
            .unwrap()
            .with_no_client_auth()
            .with_single_cert(chain, key)
            .unwrap();
    (ca.pem(), Arc::new(config))
}

#[tokio::test]
async fn ca_trusts_a_tls_server_that_is_refused_without_it() {
    let (ca, config) = certificates();
    let (url, seen, _server) = echo_server_with(|builder| builder.tls(config), "wss").await;
    let folder = tempdir();
    let ca_file = folder.join("ca.pem");
    std::fs::write(&ca_file, ca).unwrap();

    let output = run_piped(
        &[
            "-c",
            &url,
            "--ca",
            ca_file.to_str().unwrap(),
            "-x",
            "secure",
            "-w",
            "0.5",
        ],
        "",
    )
    .await;
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
    assert_eq!(text(&output.stdout), "secure\n");

    // Without the CA: refused, one line on stderr.
    let output = run_piped(&["-c", &url, "-x", "never", "-w", "0"], "").await;
    assert_eq!(output.status.code(), Some(1));
    let stderr = text(&output.stderr);
    assert!(
        stderr.starts_with("error: TLS: invalid peer certificate"),
        "{stderr:?}"
    );
    assert_eq!(stderr.lines().count(), 1);

    // -n: no check at all.
    let output = run_piped(&["-c", &url, "-n", "-x", "unchecked", "-w", "0.5"], "").await;
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
    assert_eq!(text(&output.stdout), "unchecked\n");
    let messages = seen.messages.lock().unwrap().clone();
    assert_eq!(messages, ["secure".into(), "unchecked".into()]);
    std::fs::remove_dir_all(folder).unwrap();
}

/// A CONNECT proxy in-process: it records each request line, answers 200
/// and joins the two connections.
async fn connect_proxy() -> (u16, Arc<Mutex<Vec<String>>>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let requests = Arc::new(Mutex::new(Vec::new()));
    let seen = requests.clone();
    tokio::spawn(async move {
        while let Ok((client, _)) = listener.accept().await {
            let seen = seen.clone();
            tokio::spawn(async move {
                let mut client = BufReader::new(client);
                let mut first = String::new();
                client.read_line(&mut first).await.unwrap();
                loop {
                    let mut line = String::new();
                    client.read_line(&mut line).await.unwrap();
                    if line == "\r\n" || line.is_empty() {
                        break;
                    }
                }
                seen.lock().unwrap().push(first.trim_end().to_owned());
                let target = first.split(' ').nth(1).unwrap().to_owned();
                let mut upstream = tokio::net::TcpStream::connect(target).await.unwrap();
                let mut client = client.into_inner();
                client
                    .write_all(b"HTTP/1.1 200 Connection established\r\n\r\n")
                    .await
                    .unwrap();
                let _ = tokio::io::copy_bidirectional(&mut client, &mut upstream).await;
            });
        }
    });
    (port, requests)
}

#[tokio::test]
async fn proxy_tunnels_through_connect() {
    let (url, seen, server) = echo_server().await;
    let (port, requests) = connect_proxy().await;
    let output = run_piped(
        &[
            "-c",
            &url,
            "--proxy",
            &format!("127.0.0.1:{port}"),
            "-w",
            "0.5",
        ],
        "through the tunnel\n",
    )
    .await;
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
    assert_eq!(text(&output.stdout), "through the tunnel\n");
    assert_eq!(
        *requests.lock().unwrap(),
        [format!("CONNECT {} HTTP/1.1", server.local_addr())]
    );
    assert_eq!(seen.messages.lock().unwrap().len(), 1);
}

fn tempdir() -> std::path::PathBuf {
    let folder = std::env::temp_dir().join(format!(
        "wscat-test-{}-{:?}",
        std::process::id(),
        std::thread::current().id()
    ));
    std::fs::create_dir_all(&folder).unwrap();
    folder
}
