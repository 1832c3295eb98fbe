//! A client's transport to a URL: TCP or an HTTP proxy's tunnel, then TLS
//! for `wss:` and `https:`. What the WebSocket client ([`connect`](crate::connect))
//! and the [`EventSource`](crate::EventSource) share: the same TLS and
//! proxy options reach the same code, whatever protocol runs on top.

use crate::client::proxy::{open_tunnel, ProxyOptions};
use crate::client::target::bare_host;
use crate::client::transport_options::TransportOptions;
use crate::error::Error;
use crate::net::stream::MaybeTlsStream;
#[cfg(feature = "rustls")]
use crate::net::stream::PrefixedStream;
#[cfg(feature = "rustls")]
use crate::net::tls::tls_handshake;
use bytes::BytesMut;
use std::borrow::Cow;
use tokio::net::TcpStream;
use url::Url;

/// Opens the transport to `address` (`ws:`/`http:` plain, `wss:`/`https:`
/// with TLS), through a proxy when `transport` says, and returns it with the
/// bytes a proxy sent past its answer that belong to the protocol on top
/// (on TLS they went to the TLS handshake instead). `url` is how errors
/// name the server.
pub(crate) async fn open(
    address: &Url,
    url: &str,
    transport: &TransportOptions,
) -> Result<(MaybeTlsStream, BytesMut), Error> {
    let host = bare_host(address);
    let secure = matches!(address.scheme(), "wss" | "https");
    #[cfg(not(feature = "rustls"))]
    if secure {
        return Err(Error::Config(format!(
            "{}: needs the `rustls` feature",
            address.scheme()
        )));
    }
    let proxy = match &transport.proxy {
        Some(proxy) => Some(Cow::Borrowed(proxy)),
        None if transport.use_env_proxy => ProxyOptions::from_env(address.as_str()).map(Cow::Owned),
        None => None,
    };
    if let Some(proxy) = proxy {
        // The core's CONNECT exchange names its target with a WebSocket
        // URL; only the host and port go into the request.
        let mut target = address.clone();
        let scheme = if secure { "wss" } else { "ws" };
        target
            .set_scheme(scheme)
            .map_err(|()| Error::Config(format!("{url}: cannot be reached through a proxy")))?;
        let (tunnel, remaining) = open_tunnel(&proxy, target.as_str(), url).await?;
        #[cfg(feature = "rustls")]
        if secure {
            let inner = PrefixedStream::new(remaining, tunnel);
            let tls = tls_handshake(&transport.tls, &host, inner)
                .await
                .map_err(|e| e.at(url))?;
            return Ok((MaybeTlsStream::TlsTunnel(Box::new(tls)), BytesMut::new()));
        }
        return Ok((tunnel, remaining));
    }
    let port = address.port_or_known_default().unwrap_or(80);
    let tcp = TcpStream::connect((host.as_str(), port))
        .await
        .map_err(|e| Error::network(url, e))?;
    tcp.set_nodelay(true).map_err(|e| Error::network(url, e))?;
    #[cfg(feature = "rustls")]
    if secure {
        let tls = tls_handshake(&transport.tls, &host, tcp)
            .await
            .map_err(|e| e.at(url))?;
        return Ok((MaybeTlsStream::Tls(tls), BytesMut::new()));
    }
    Ok((MaybeTlsStream::Plain(tcp), BytesMut::new()))
}
