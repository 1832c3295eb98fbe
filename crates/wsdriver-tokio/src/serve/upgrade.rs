//! WebSockets on requests hyper parsed: [`upgrade`] for a hyper 1 service
//! and, with the `axum` feature, the [`WebSocketUpgrade`] extractor.
//!
//! The core's [`ServerHandshake`] validates the request and gives its
//! answer, the `101` or a refusal, as a structured head that becomes the
//! `hyper::Response` hyper sends; the same machine then runs on the
//! connection hyper hands over (a hixie-76 challenge is answered there),
//! and becomes the connection.

use crate::error::Error;
use crate::server::accept::opened;
use crate::server::options::ServerOptions;
use crate::websocket::config::Config;
use crate::websocket::WebSocket;
use bytes::Bytes;
use http_body_util::Full;
use hyper::header::HeaderValue;
use hyper::upgrade::{OnUpgrade, Upgraded};
use hyper::{Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use wsdriver::{HttpRequest, ResponseHead, ServerHandshake};

/// A WebSocket on the connection hyper handed over.
pub type UpgradedWebSocket = WebSocket<TokioIo<Upgraded>>;

/// Answers a WebSocket request that hyper parsed: the core validates it
/// and picks the subprotocol and extensions from `options`.
///
/// On success, returns the `101` response for the service to return and
/// an [`Upgrading`] future that resolves to the WebSocket once hyper has
/// sent it and handed over the connection (serve connections
/// `with_upgrades()`). A request the core refuses, or one that hyper
/// cannot upgrade, gives [`Refused`] holding the response to send
/// instead: the driver's status and plain-text body (`400 Not a
/// WebSocket request`, `426` with `Sec-WebSocket-Version: 13, 8`...).
///
/// ```
/// use futures_util::StreamExt;
/// use http_body_util::Full;
/// use hyper::body::{Bytes, Incoming};
/// use hyper::{Request, Response};
/// use wsdriver_tokio::ServerOptions;
///
/// async fn service(
///     mut request: Request<Incoming>,
/// ) -> Result<Response<Full<Bytes>>, std::convert::Infallible> {
///     let options = ServerOptions::default().protocols(["chat"]);
///     let (response, upgrading) = match wsdriver_tokio::upgrade(&mut request, &options) {
///         Ok(accepted) => accepted,
///         Err(refused) => return Ok(refused.into_response()),
///     };
///     tokio::spawn(async move {
///         let Ok(mut socket) = upgrading.await else { return };
///         while let Some(Ok(message)) = socket.next().await {
///             if socket.send(message).await.is_err() {
///                 break;
///             }
///         }
///     });
///     Ok(response)
/// }
/// ```
///
/// # Errors
/// [`Refused`], holding the response to send: the core's refusal, a
/// `426` when hyper cannot upgrade the connection, or a `500` for options
/// the core refuses.
///
/// # Limits you must set
/// hyper, not wsdriver, reads the request head on this path, and a bare
/// hyper connection waits for it for ever: a silent client, or one
/// sending a byte every few seconds, holds its connection and half-read
/// head as long as it likes. Serve with [`serve`](crate::serve), which
/// sets the same 30 s head timeout and 16 KiB head limit as
/// [`WebSocketServer`](crate::WebSocketServer), or give hyper's
/// `http1::Builder` a `timer(TokioTimer::new())` (its
/// `header_read_timeout`, 30 s by default, does nothing without one) and
/// a `max_buf_size`. Once upgraded, the WebSocket's own limits
/// ([`ServerOptions`]) apply.
///
/// # Panics
/// Never: a request hyper cannot upgrade is refused first.
pub fn upgrade<B>(
    request: &mut Request<B>,
    options: &ServerOptions,
) -> Result<(Response<Full<Bytes>>, Upgrading), Refused> {
    let on_upgrade = request.extensions_mut().remove::<OnUpgrade>();
    let (response, handshake) = handshake(&*request, on_upgrade.is_some(), options)?;
    let on_upgrade = on_upgrade.expect("handshake refuses requests hyper cannot upgrade");
    let upgrading = Upgrading::new(on_upgrade, handshake, options.config.clone());
    Ok((response, upgrading))
}

/// Runs the core's handshake on a parsed request. `upgradable` says
/// whether hyper can hand the connection over; a handshake the driver
/// accepts on a connection it cannot is answered `426`, as the raw server
/// answers plain HTTP.
fn handshake(
    request: &impl HttpRequest,
    upgradable: bool,
    options: &ServerOptions,
) -> Result<(Response<Full<Bytes>>, ServerHandshake), Refused> {
    let mut handshake = options.http_handshake(request).map_err(Refused::config)?;
    let head = match handshake.accept_head() {
        Ok(head) => head,
        Err(error @ wsdriver::Error::BadRequest { .. }) => {
            let wsdriver::Error::BadRequest { status, message } = &error else {
                unreachable!()
            };
            let answer = ResponseHead::refusal(*status, message);
            return Err(Refused::new(response(&answer), error.into()));
        }
        Err(error) => return Err(Refused::config(error)),
    };
    if !upgradable {
        // HTTP/1.0, HTTP/2, or a request made up outside hyper's server.
        let body = "Upgrade Required: this connection cannot be upgraded (HTTP/1.1 needed)\n";
        let answer = response(&ResponseHead::upgrade_required(body));
        let error = Error::Status {
            status: 426,
            headers: Box::default(),
            message: "The connection cannot be upgraded".into(),
            body: Default::default(),
        };
        return Err(Refused::new(answer, error));
    }
    Ok((response(&head), handshake))
}

/// The core's answer as hyper's response, the drafts' status lines kept.
fn response(head: &ResponseHead) -> Response<Full<Bytes>> {
    let body = Bytes::copy_from_slice(head.body().as_bytes());
    let mut response = head.to_http().map(|()| Full::new(body));
    if let Some(reason) = head.reason() {
        // The drafts' `101 WebSocket Protocol Handshake`.
        if let Ok(reason) = hyper::ext::ReasonPhrase::try_from(reason.as_bytes()) {
            response.extensions_mut().insert(reason);
        }
    }
    response
}

/// A handshake that did not succeed: the response to send back, and why.
///
/// For a request the core refused, the response is the driver's (its
/// status, headers and plain-text body) and [`error`](Self::error) the
/// driver's error. For options the core cannot work with (a bad
/// subprotocol name, a deflate setting out of range), it is a bare
/// `500 Internal Server Error` and the error says what is wrong.
pub struct Refused(Box<RefusedInner>);

struct RefusedInner {
    response: Response<Full<Bytes>>,
    error: Error,
}

impl Refused {
    fn new(response: Response<Full<Bytes>>, error: Error) -> Self {
        Refused(Box::new(RefusedInner { response, error }))
    }

    fn config(error: impl Into<Error>) -> Self {
        let mut response = Response::new(Full::new(Bytes::from_static(b"Internal Server Error")));
        *response.status_mut() = StatusCode::INTERNAL_SERVER_ERROR;
        response.headers_mut().insert(
            hyper::header::CONTENT_TYPE,
            HeaderValue::from_static("text/plain"),
        );
        Refused(Box::new(RefusedInner {
            response,
            error: error.into(),
        }))
    }

    /// The status of the response.
    pub fn status(&self) -> u16 {
        self.0.response.status().as_u16()
    }

    /// Why the handshake failed.
    pub fn error(&self) -> &Error {
        &self.0.error
    }

    /// The response to send back.
    pub fn response(&self) -> &Response<Full<Bytes>> {
        &self.0.response
    }

    /// The response to send back, taken.
    pub fn into_response(self) -> Response<Full<Bytes>> {
        self.0.response
    }
}

impl fmt::Debug for Refused {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Refused")
            .field("status", &self.0.response.status())
            .field("error", &self.0.error)
            .finish()
    }
}

impl fmt::Display for Refused {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.0.error, f)
    }
}

impl std::error::Error for Refused {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(&self.0.error)
    }
}

/// Resolves to the WebSocket once hyper has sent the `101` and handed
/// over the connection; from [`upgrade`]. Fails if the connection ends
/// first or was not served `with_upgrades()`.
#[must_use = "the WebSocket is had by awaiting this"]
pub struct Upgrading {
    protocol: Option<String>,
    opening: Pin<Box<dyn Future<Output = Result<UpgradedWebSocket, Error>> + Send>>,
}

impl Upgrading {
    fn new(on_upgrade: OnUpgrade, handshake: ServerHandshake, config: Config) -> Self {
        let protocol = handshake.protocol().map(str::to_owned);
        let opening = Box::pin(async move {
            let upgraded = on_upgrade
                .await
                .map_err(|e| Error::from(std::io::Error::other(e)))?;
            // Any challenge bytes still owed (hixie-76) are read there.
            opened(TokioIo::new(upgraded), handshake, config).await
        });
        Upgrading { protocol, opening }
    }

    /// The subprotocol agreed on in the `101`, if any.
    pub fn protocol(&self) -> Option<&str> {
        self.protocol.as_deref()
    }
}

impl fmt::Debug for Upgrading {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Upgrading")
            .field("protocol", &self.protocol)
            .finish_non_exhaustive()
    }
}

impl Future for Upgrading {
    type Output = Result<UpgradedWebSocket, Error>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        self.opening.as_mut().poll(cx)
    }
}

#[cfg(feature = "axum")]
pub use self::axum_extract::{NotWebSocket, WebSocketUpgrade};

#[cfg(feature = "axum")]
mod axum_extract {
    use super::{handshake, Refused, UpgradedWebSocket, Upgrading};
    use crate::error::Error;
    use crate::server::options::ServerOptions;
    use axum::body::Body;
    use axum::extract::FromRequestParts;
    use axum::http::request::Parts;
    use axum::response::{IntoResponse, Response};
    use hyper::upgrade::OnUpgrade;
    use std::fmt;
    use std::future::Future;
    use wsdriver::{is_websocket, Request};

    type OnFailed = Box<dyn FnOnce(Error) + Send>;

    /// An axum extractor for a WebSocket handshake, as axum's own
    /// `WebSocketUpgrade`, with the core driver deciding.
    ///
    /// A request that is not a WebSocket handshake at all (a plain GET from
    /// a browser) is rejected with [`NotWebSocket`], which answers `426
    /// Upgrade Required`; take `Result<WebSocketUpgrade, NotWebSocket>` to
    /// serve something else on the same route. A WebSocket request the
    /// core refuses (a bad key, a version it does not speak) gets the
    /// core's answer from [`on_upgrade`](Self::on_upgrade).
    ///
    /// Serve the router with [`serve`](crate::serve), not `axum::serve`:
    /// axum reads request heads with no time limit (see [`upgrade`](fn@crate::upgrade)'s
    /// "Limits you must set").
    ///
    /// ```
    /// # #[cfg(feature = "deflate")] {
    /// use axum::{response::Response, routing::get, Router};
    /// use futures_util::StreamExt;
    /// use wsdriver_tokio::{DeflateConfig, ServerOptions, WebSocketUpgrade};
    ///
    /// async fn chat(upgrade: WebSocketUpgrade) -> Response {
    ///     let options = ServerOptions::default()
    ///         .protocols(["chat"])
    ///         .deflate(DeflateConfig::default());
    ///     upgrade
    ///         .server_options(options)
    ///         .on_upgrade(|mut socket| async move {
    ///             while let Some(Ok(message)) = socket.next().await {
    ///                 if socket.send(message).await.is_err() {
    ///                     break;
    ///                 }
    ///             }
    ///         })
    /// }
    ///
    /// let app: Router = Router::new().route("/chat", get(chat));
    /// # }
    /// ```
    pub struct WebSocketUpgrade {
        request: Request,
        on_upgrade: Option<OnUpgrade>,
        options: ServerOptions,
        on_failed: Option<OnFailed>,
    }

    impl fmt::Debug for WebSocketUpgrade {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.debug_struct("WebSocketUpgrade")
                .field("request", &self.request)
                .field("upgradable", &self.on_upgrade.is_some())
                .field("options", &self.options)
                .finish_non_exhaustive()
        }
    }

    impl<S: Send + Sync> FromRequestParts<S> for WebSocketUpgrade {
        type Rejection = NotWebSocket;

        async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, NotWebSocket> {
            if !is_websocket(&*parts) {
                return Err(NotWebSocket(()));
            }
            Ok(WebSocketUpgrade {
                request: Request {
                    method: parts.method.clone(),
                    uri: parts.uri.clone(),
                    version: parts.version,
                    headers: parts.headers.clone(),
                },
                on_upgrade: parts.extensions.remove::<OnUpgrade>(),
                options: ServerOptions::default(),
                on_failed: None,
            })
        }
    }

    /// The rejection of [`WebSocketUpgrade`]: the request is not a
    /// WebSocket handshake (no `Upgrade: websocket`, or not a `GET`). As a
    /// response it is `426 Upgrade Required` with `Upgrade: websocket`, as
    /// ws answers plain HTTP on its own listener.
    #[derive(Debug)]
    pub struct NotWebSocket(());

    impl fmt::Display for NotWebSocket {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("Not a WebSocket request")
        }
    }

    impl std::error::Error for NotWebSocket {}

    impl IntoResponse for NotWebSocket {
        fn into_response(self) -> Response {
            let body = wsdriver::handshake::NOT_WEBSOCKET;
            super::response(&wsdriver::ResponseHead::upgrade_required(body)).map(Body::new)
        }
    }

    impl WebSocketUpgrade {
        /// The request being answered.
        pub fn request(&self) -> &Request {
            &self.request
        }

        /// The subprotocol [`on_upgrade`](Self::on_upgrade) will agree on
        /// with the options set so far, if any: to pick a handler before
        /// upgrading.
        pub fn selected_protocol(&self) -> Option<String> {
            wsdriver::handshake::selected_protocol(&self.request, &self.options.core_options())
        }

        /// What the handshake accepts: subprotocols, `max_length`,
        /// deflate, keepalive... (see [`ServerOptions`]), replacing what
        /// was set before.
        pub fn server_options(mut self, options: ServerOptions) -> Self {
            self.options = options;
            self
        }

        /// Called instead of the [`on_upgrade`](Self::on_upgrade) callback
        /// if the handshake was accepted but hyper never handed the
        /// connection over (the client went away first).
        pub fn on_failed_upgrade(mut self, callback: impl FnOnce(Error) + Send + 'static) -> Self {
            self.on_failed = Some(Box::new(callback));
            self
        }

        /// Runs the handshake and returns its response. If it is the
        /// `101`, `callback` gets the WebSocket in a task of its own once
        /// hyper has handed over the connection; otherwise the response is
        /// the driver's refusal and `callback` is never called.
        ///
        /// # Panics
        /// Never: a request hyper cannot upgrade is refused first.
        pub fn on_upgrade<F, Fut>(self, callback: F) -> Response
        where
            F: FnOnce(UpgradedWebSocket) -> Fut + Send + 'static,
            Fut: Future<Output = ()> + Send + 'static,
        {
            let upgradable = self.on_upgrade.is_some();
            let (response, handshake) = match handshake(&self.request, upgradable, &self.options) {
                Ok(accepted) => accepted,
                Err(refused) => return IntoResponse::into_response(refused),
            };
            let on_upgrade = self
                .on_upgrade
                .expect("handshake refuses requests hyper cannot upgrade");
            let upgrading = Upgrading::new(on_upgrade, handshake, self.options.config);
            let on_failed = self.on_failed;
            tokio::spawn(async move {
                match upgrading.await {
                    Ok(socket) => callback(socket).await,
                    Err(error) => {
                        if let Some(on_failed) = on_failed {
                            on_failed(error);
                        }
                    }
                }
            });
            response.map(Body::new)
        }
    }

    impl IntoResponse for Refused {
        fn into_response(self) -> Response {
            Refused::into_response(self).map(Body::new)
        }
    }
}
