//! The flags of a client turned into the library's `ClientOptions`: each
//! is one of its settings, read here and nowhere else.

use crate::args::Args;
use base64::Engine;
use std::time::Duration;
use wsdriver_tokio::{
    ClientCert, ClientOptions, DeflateConfig, Options, ProxyOptions, TlsOptions, TransportOptions,
};

/// `url` with `ws://` in front when it has no scheme (`localhost:8080`),
/// as Node wscat does.
pub fn with_scheme(url: &str) -> String {
    let has_scheme = url.contains("://") || url.starts_with("ws+unix:");
    if has_scheme {
        url.to_owned()
    } else {
        format!("ws://{url}")
    }
}

/// Whether `url` has a scheme wscat connects with: `ws:`, `wss:`,
/// `http:` and `https:` (taken as `ws:` and `wss:`) or `ws+unix:`, as
/// Node's ws accepts. Fails with the line to show, which says so.
pub fn check_scheme(url: &str) -> Result<(), String> {
    let scheme = match url.split_once(':') {
        Some((scheme, _)) => scheme.to_ascii_lowercase(),
        None => String::new(),
    };
    match scheme.as_str() {
        "ws" | "wss" | "http" | "https" | "ws+unix" => Ok(()),
        _ => Err(format!(
            "Invalid URL: {url}: the scheme must be ws, wss, http, https or ws+unix"
        )),
    }
}

/// The client's options from the flags. Fails with a line to show when a
/// header is malformed or a certificate file cannot be read.
pub fn client_options(args: &Args) -> Result<ClientOptions, String> {
    let mut protocol = Options::default();
    if !args.subprotocols.is_empty() {
        protocol = protocol.protocols(args.subprotocols.iter().map(String::as_str));
    }
    if let Some(version) = &args.protocol_version {
        protocol = protocol.protocol_version(version.parse().map_err(|_| "bad --protocol")?);
    }
    let mut options = ClientOptions::default()
        .options(protocol)
        .follow_redirects(args.location)
        .transport(transport(args)?.max_redirects(args.max_redirects));
    for (name, value) in request_headers(args)? {
        options = options.header(name, value);
    }
    if let Some(origin) = &args.origin {
        options = options.origin(origin);
    }
    if args.deflate_on(false) {
        options = options.deflate([DeflateConfig::default()]);
    }
    Ok(options)
}

/// --ca/--cert/--key/-n, --proxy and --timeout: how both clients (a
/// WebSocket's and `--sse`'s) reach the server.
pub fn transport(args: &Args) -> Result<TransportOptions, String> {
    let mut transport = TransportOptions::default()
        .tls(tls_options(args)?)
        .connect_timeout(Some(seconds(args.timeout, "--timeout")?));
    if let Some(proxy) = &args.proxy {
        transport = transport.proxy(ProxyOptions::new(with_http_scheme(proxy)));
    }
    Ok(transport)
}

/// The headers the flags ask for, one value a name, as Node wscat builds
/// them: each -H in order, then --auth's `Authorization`, then --host's
/// `Host`, a later one replacing an earlier of the same name (in any
/// case): `-H 'Authorization: Bearer t' --auth u:p` sends Basic alone.
pub fn request_headers(args: &Args) -> Result<Vec<(String, String)>, String> {
    let mut headers = Vec::new();
    for header in &args.headers {
        let (name, value) = split_header(header)?;
        set_header(&mut headers, name, value.to_owned());
    }
    if let Some(auth) = &args.auth {
        // ws's `auth`: Basic credentials in the Authorization header (the
        // library drops it when a redirect leaves the host).
        let encoded = base64::engine::general_purpose::STANDARD.encode(auth);
        set_header(&mut headers, "Authorization", format!("Basic {encoded}"));
    }
    if let Some(host) = &args.host {
        set_header(&mut headers, "Host", host.clone());
    }
    Ok(headers)
}

/// Sets `name` to `value` in `headers`, in place of any value it had.
pub fn set_header(headers: &mut Vec<(String, String)>, name: &str, value: String) {
    headers.retain(|(had, _)| !had.eq_ignore_ascii_case(name));
    headers.push((name.to_owned(), value));
}

/// A -H flag's name and value.
pub fn split_header(header: &str) -> Result<(&str, &str), String> {
    let (name, value) = header
        .split_once(':')
        .ok_or_else(|| format!("-H {header:?}: a header is 'Name: value'"))?;
    Ok((name.trim(), value.trim()))
}

/// --ca, --cert, --key, --passphrase and --no-check.
pub fn tls_options(args: &Args) -> Result<TlsOptions, String> {
    let mut tls = TlsOptions::default().danger_accept_invalid_certs(args.no_check);
    if let Some(ca) = &args.ca {
        let pem = read(ca)?;
        tls = tls
            .add_ca_pem(&pem)
            .map_err(|e| format!("--ca {}: {e}", ca.display()))?;
    }
    if let (Some(cert), Some(key)) = (&args.cert, &args.key) {
        let (cert_pem, key_pem) = (read(cert)?, read(key)?);
        let client = match &args.passphrase {
            Some(passphrase) => {
                let passphrase = if passphrase.is_empty() {
                    crate::input::read_secret("Passphrase: ").map_err(|e| e.to_string())?
                } else {
                    passphrase.clone()
                };
                ClientCert::from_pem_with_passphrase(&cert_pem, &key_pem, passphrase.as_bytes())
            }
            None => ClientCert::from_pem(&cert_pem, &key_pem),
        }
        .map_err(|e| format!("--cert/--key: {e}"))?;
        tls = tls.client_cert(client);
    }
    Ok(tls)
}

/// A proxy given as `host:port` is an `http://` one.
pub fn with_http_scheme(proxy: &str) -> String {
    if proxy.contains("://") {
        proxy.to_owned()
    } else {
        format!("http://{proxy}")
    }
}

fn read(path: &std::path::Path) -> Result<Vec<u8>, String> {
    std::fs::read(path).map_err(|e| format!("{}: {e}", path.display()))
}

/// A number of seconds from a flag.
pub fn seconds(value: f64, flag: &str) -> Result<Duration, String> {
    Duration::try_from_secs_f64(value)
        .map_err(|_| format!("{flag} {value}: not a number of seconds"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_scheme_is_added_only_when_missing() {
        assert_eq!(with_scheme("localhost:8080"), "ws://localhost:8080");
        assert_eq!(with_scheme("wss://example.com/"), "wss://example.com/");
        assert_eq!(with_scheme("ws+unix:/tmp/s.sock"), "ws+unix:/tmp/s.sock");
        assert_eq!(with_http_scheme("proxy:3128"), "http://proxy:3128");
    }

    #[test]
    fn the_schemes_ws_accepts_and_the_message_for_others() {
        for url in [
            "ws://a/",
            "WSS://a/",
            "http://a/",
            "https://a/",
            "ws+unix:/tmp/s.sock",
        ] {
            assert_eq!(check_scheme(url), Ok(()), "{url}");
        }
        assert_eq!(
            check_scheme("ftp://a/"),
            Err("Invalid URL: ftp://a/: the scheme must be ws, wss, http, https or ws+unix".into())
        );
    }

    #[test]
    fn a_later_header_replaces_an_earlier_of_the_same_name() {
        use clap::Parser;
        let args = Args::parse_from([
            "wscat",
            "-c",
            "ws://a/",
            "-H",
            "Authorization: Bearer t",
            "-H",
            "X-One: 1",
            "-H",
            "x-one: 2",
            "-H",
            "Host: h",
            "--auth",
            "u:p",
            "--host",
            "example.test",
        ]);
        let headers = request_headers(&args).unwrap();
        let pairs: Vec<(&str, &str)> = headers
            .iter()
            .map(|(name, value)| (name.as_str(), value.as_str()))
            .collect();
        assert_eq!(
            pairs,
            [
                ("x-one", "2"),
                ("Authorization", "Basic dTpw"),
                ("Host", "example.test"),
            ]
        );
    }
}
