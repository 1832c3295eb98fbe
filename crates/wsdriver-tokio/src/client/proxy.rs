//! HTTP `CONNECT` proxies for clients: which proxy (options, or the
//! environment), and the tunnel. The `CONNECT` exchange itself is the
//! core's [`wsdriver::Proxy`], run on the crate's drive loop.

use crate::error::Error;
use crate::net::drive::next_event;
use crate::net::stream::MaybeTlsStream;
#[cfg(feature = "rustls")]
use crate::net::tls::TlsOptions;
use bytes::BytesMut;
use std::io;
use std::net::IpAddr;
use tokio::net::TcpStream;
use wsdriver::{Proxy, ProxyEvent};

/// An HTTP proxy to open the connection through, with `CONNECT`
/// (faye-websocket's `proxy: {origin, headers, tls}`).
///
/// Give it to [`TransportOptions::proxy`](crate::TransportOptions::proxy), or let
/// [`TransportOptions::use_env_proxy`](crate::TransportOptions::use_env_proxy)
/// pick one per URL with [`from_env`](Self::from_env). The tunnel is
/// opened for `ws:` and `wss:` alike; `wss:` then runs TLS to the server
/// inside it, so the proxy sees only the host and port. A proxy that
/// refuses fails [`connect`](crate::connect) with an
/// [`Error::WebSocket`] holding [`wsdriver::Error::Proxy`] and its
/// status. Its `Debug` hides the password in the origin.
///
/// ```
/// use wsdriver_tokio::{ClientOptions, ProxyOptions, TransportOptions};
///
/// let proxy = ProxyOptions::new("http://user:secret@proxy.internal:3128")
///     .header("User-Agent", "my-app/1.0");
/// assert!(!format!("{proxy:?}").contains("secret"));
/// let options = ClientOptions::default().transport(TransportOptions::default().proxy(proxy));
/// ```
#[derive(Clone)]
pub struct ProxyOptions {
    origin: String,
    headers: Vec<(String, String)>,
    #[cfg(feature = "rustls")]
    tls: TlsOptions,
}

impl std::fmt::Debug for ProxyOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The password stays out of logs.
        let origin = match url::Url::parse(&self.origin) {
            Ok(mut url) if url.password().is_some() => {
                let _ = url.set_password(Some("***"));
                url.to_string()
            }
            _ => self.origin.clone(),
        };
        let mut f = f.debug_struct("ProxyOptions");
        f.field("origin", &origin)
            .field("headers", &self.headers.len());
        #[cfg(feature = "rustls")]
        f.field("tls", &self.tls);
        f.finish()
    }
}

impl ProxyOptions {
    /// A proxy at `origin`, with no extra headers and the default TLS.
    ///
    /// `origin` is the proxy's URL, `http://host:port` or
    /// `https://host:port` (TLS to the proxy, then TLS to a `wss:` server
    /// inside the tunnel; `https:` needs the `rustls` feature). Userinfo
    /// (`http://user:secret@host`, percent-encoded) is sent as Basic
    /// `Proxy-Authorization`. It is not checked here: a malformed one fails
    /// at [`connect`](crate::connect).
    pub fn new(origin: impl Into<String>) -> Self {
        ProxyOptions {
            origin: origin.into(),
            headers: Vec::new(),
            #[cfg(feature = "rustls")]
            tls: TlsOptions::default(),
        }
    }

    /// Adds a header to the `CONNECT` request (`User-Agent`, a
    /// `Proxy-Authorization` of another scheme...).
    pub fn header(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.headers.push((name.into(), value.into()));
        self
    }

    /// TLS settings for an `https:` proxy, apart from the server's: the
    /// proxy's certificate may come from another CA.
    #[cfg(feature = "rustls")]
    #[cfg_attr(docsrs, doc(cfg(feature = "rustls")))]
    pub fn tls(mut self, tls: TlsOptions) -> Self {
        self.tls = tls;
        self
    }

    /// The proxy's URL, as given to [`new`](Self::new) or found by
    /// [`from_env`](Self::from_env): to log which proxy a connection uses
    /// (the password included, unlike `Debug`).
    pub fn origin(&self) -> &str {
        &self.origin
    }

    /// The proxy the environment names for `url`, as curl reads it:
    /// `https_proxy`/`HTTPS_PROXY` for `wss:`, `http_proxy`/`HTTP_PROXY`
    /// for `ws:` (lower case first; a value without a scheme is `http://`),
    /// and none when `no_proxy`/`NO_PROXY` lists the host: a comma (or
    /// space) separated list of host names, which also cover their
    /// subdomains (`example.com`, `.example.com`, `*.example.com`), IP
    /// addresses and CIDR blocks (`10.0.0.0/8`), each optionally with
    /// `:port`; `*` alone matches every host. `ws+unix:` URLs never use a
    /// proxy.
    pub fn from_env(url: &str) -> Option<Self> {
        Self::from_env_with(url, |name| std::env::var(name).ok())
    }

    /// As [`from_env`](Self::from_env), reading the variables through
    /// `var` (for tests, or a configuration of your own).
    ///
    /// `var` is asked for a variable by name and returns its value, if
    /// set; blank values count as unset.
    ///
    /// ```
    /// use wsdriver_tokio::ProxyOptions;
    ///
    /// let env = |name: &str| match name {
    ///     "https_proxy" => Some("proxy.internal:3128".to_owned()),
    ///     "NO_PROXY" => Some("localhost, .corp.example, 10.0.0.0/8".to_owned()),
    ///     _ => None,
    /// };
    /// let proxy = ProxyOptions::from_env_with("wss://example.com/chat", env);
    /// // No scheme in the variable: `http://`.
    /// assert_eq!(proxy.unwrap().origin(), "http://proxy.internal:3128");
    /// // Listed in NO_PROXY: connect directly.
    /// assert!(ProxyOptions::from_env_with("wss://api.corp.example/", env).is_none());
    /// assert!(ProxyOptions::from_env_with("wss://10.1.2.3/", env).is_none());
    /// // No http_proxy for ws: URLs.
    /// assert!(ProxyOptions::from_env_with("ws://example.com/", env).is_none());
    /// ```
    pub fn from_env_with(url: &str, var: impl Fn(&str) -> Option<String>) -> Option<Self> {
        let url = url::Url::parse(url).ok()?;
        let names = match url.scheme() {
            "wss" | "https" => ["https_proxy", "HTTPS_PROXY"],
            "ws" | "http" => ["http_proxy", "HTTP_PROXY"],
            _ => return None,
        };
        let proxy = names
            .into_iter()
            .filter_map(&var)
            .map(|value| value.trim().to_owned())
            .find(|value| !value.is_empty())?;
        let host = url.host_str()?;
        let port = url.port_or_known_default().unwrap_or(80);
        let no_proxy = ["no_proxy", "NO_PROXY"]
            .into_iter()
            .filter_map(&var)
            .find(|value| !value.trim().is_empty());
        if no_proxy.is_some_and(|list| no_proxy_matches(&list, host, port)) {
            return None;
        }
        let origin = if proxy.contains("://") {
            proxy
        } else {
            format!("http://{proxy}")
        };
        Some(ProxyOptions::new(origin))
    }
}

/// Whether a `NO_PROXY` list covers `host:port` (see
/// [`ProxyOptions::from_env`] for the syntax).
///
/// For a decision of your own about which hosts go direct. Names are
/// compared without case and without a trailing dot; `host` may be an IP
/// address, IPv6 with or without brackets. An entry names a domain, not a
/// suffix: `example.com` covers `api.example.com` but not
/// `badexample.com`.
///
/// ```
/// use wsdriver_tokio::no_proxy_matches;
///
/// let list = "localhost, .corp.example, 10.0.0.0/8, [::1]:9000";
/// assert!(no_proxy_matches(list, "api.corp.example", 443));
/// assert!(no_proxy_matches(list, "corp.example", 443));
/// assert!(!no_proxy_matches(list, "notcorp.example", 443));
/// assert!(no_proxy_matches(list, "10.20.30.40", 80));
/// assert!(no_proxy_matches(list, "[::1]", 9000));
/// assert!(!no_proxy_matches(list, "::1", 9001));
/// assert!(no_proxy_matches("*", "anything.example", 80));
/// ```
pub fn no_proxy_matches(list: &str, host: &str, port: u16) -> bool {
    let host = host
        .trim_start_matches('[')
        .trim_end_matches(']')
        .trim_end_matches('.')
        .to_ascii_lowercase();
    let host_ip = host.parse::<IpAddr>().ok();
    list.split(|c: char| c == ',' || c.is_ascii_whitespace())
        .filter(|entry| !entry.is_empty())
        .any(|entry| {
            if entry == "*" {
                return true;
            }
            let (name, entry_port) = split_port(entry);
            if entry_port.is_some_and(|p| p != port) {
                return false;
            }
            let name = name.trim_end_matches('.').to_ascii_lowercase();
            if let Some((net, bits)) = name.split_once('/') {
                return match (host_ip, net.parse::<IpAddr>(), bits.parse::<u32>()) {
                    (Some(ip), Ok(net), Ok(bits)) => in_cidr(ip, net, bits),
                    _ => false,
                };
            }
            if let (Some(ip), Ok(entry_ip)) = (host_ip, name.parse::<IpAddr>()) {
                return ip == entry_ip;
            }
            let domain = name.trim_start_matches('*').trim_start_matches('.');
            !domain.is_empty()
                && (host == domain
                    || (host.len() > domain.len()
                        && host.ends_with(domain)
                        && host.as_bytes()[host.len() - domain.len() - 1] == b'.'))
        })
}

/// `name[:port]`, `[v6]:port`, or a bare IPv6 address (no port).
fn split_port(entry: &str) -> (&str, Option<u16>) {
    if let Some(rest) = entry.strip_prefix('[') {
        return match rest.split_once(']') {
            Some((ip, tail)) => (ip, tail.strip_prefix(':').and_then(|p| p.parse().ok())),
            None => (rest, None),
        };
    }
    match entry.rsplit_once(':') {
        Some((name, port)) if !name.contains(':') => match port.parse() {
            Ok(port) => (name, Some(port)),
            Err(_) => (entry, None),
        },
        _ => (entry, None),
    }
}

fn in_cidr(ip: IpAddr, net: IpAddr, bits: u32) -> bool {
    match (ip, net) {
        (IpAddr::V4(ip), IpAddr::V4(net)) if bits <= 32 => {
            let mask = u32::MAX.checked_shl(32 - bits).unwrap_or(0);
            u32::from(ip) & mask == u32::from(net) & mask
        }
        (IpAddr::V6(ip), IpAddr::V6(net)) if bits <= 128 => {
            let mask = u128::MAX.checked_shl(128 - bits).unwrap_or(0);
            u128::from(ip) & mask == u128::from(net) & mask
        }
        _ => false,
    }
}

/// Connects to the proxy (TLS too for `https:`), runs the core's
/// `CONNECT` exchange to `target` on the drive loop, and returns the
/// connection to the proxy, now a tunnel, with the bytes that came after
/// the proxy's answer (they belong to the next layer). `url` is how errors
/// name the target.
pub(crate) async fn open_tunnel(
    options: &ProxyOptions,
    target: &str,
    url: &str,
) -> Result<(MaybeTlsStream, BytesMut), Error> {
    let mut proxy = Proxy::new(target, &options.origin)?;
    for (name, value) in &options.headers {
        proxy.set_header(name, value)?;
    }
    let proxy_url = proxy.proxy_url().clone();
    let host = crate::client::target::bare_host(&proxy_url);
    let port = proxy_url.port_or_known_default().unwrap_or(80);
    #[cfg(not(feature = "rustls"))]
    if proxy_url.scheme() == "https" {
        return Err(Error::Config(
            "https: proxies need the `rustls` feature".into(),
        ));
    }
    let failed = |e: io::Error| {
        Error::network(
            url,
            io::Error::new(e.kind(), format!("proxy {host}:{port}: {e}")),
        )
    };
    let tcp = TcpStream::connect((host.as_str(), port))
        .await
        .map_err(failed)?;
    tcp.set_nodelay(true).map_err(failed)?;
    #[cfg(feature = "rustls")]
    let mut stream = if proxy_url.scheme() == "https" {
        let tls = crate::net::tls::tls_handshake(&options.tls, &host, tcp)
            .await
            .map_err(|e| match e {
                Error::Io { source, .. } => failed(source),
                Error::Tls { source, .. } => Error::Tls {
                    url: None,
                    proxy: Some(format!("{host}:{port}")),
                    source,
                }
                .at(url),
                other => other,
            })?;
        MaybeTlsStream::Tls(tls)
    } else {
        MaybeTlsStream::Plain(tcp)
    };
    #[cfg(not(feature = "rustls"))]
    let mut stream = MaybeTlsStream::Plain(tcp);

    proxy.start();
    match next_event(&mut stream, &mut proxy)
        .await
        .map_err(|e| match e {
            Error::Io { source, .. } => failed(source),
            other => other,
        })? {
        ProxyEvent::Connect => Ok((stream, proxy.take_remaining())),
        ProxyEvent::Error(error) => Err(error.into()),
    }
}
