//! Logging through `tracing`, behind the `tracing` feature: a span per
//! connection and an event for what a server operator needs to see
//! (refusals, protocol errors, timeouts, closes, accept failures). Without
//! the feature every macro here expands to nothing, so the hot path pays
//! nothing: no field, no branch, no formatting.
//!
//! Levels: `warn` for what needs an operator (the accept loop out of file
//! descriptors), `debug` for each connection's open, refusal, failure and
//! close (one line each, never per message), so a production server can
//! run at `info` and see only what needs it, and `debug` to follow clients.

/// An event, when the feature is on.
macro_rules! event {
    ($level:ident, $($rest:tt)*) => {{
        #[cfg(feature = "tracing")]
        {
            ::tracing::$level!(target: "wsdriver", $($rest)*);
        }
    }};
}

pub(crate) use event;

/// The span a connection's work runs in.
#[cfg(feature = "tracing")]
pub(crate) type Span = tracing::Span;

/// Nothing, without the feature.
#[cfg(not(feature = "tracing"))]
#[derive(Debug, Clone, Default)]
pub(crate) struct Span;

/// A connection's span: the peer and what it asked for.
#[cfg(feature = "tracing")]
pub(crate) fn connection_span(peer: Option<std::net::SocketAddr>, url: Option<&str>) -> Span {
    tracing::debug_span!(target: "wsdriver", "websocket", peer = ?peer, url = url)
}

#[cfg(not(feature = "tracing"))]
pub(crate) fn connection_span(_peer: Option<std::net::SocketAddr>, _url: Option<&str>) -> Span {
    Span
}

/// Runs `body` inside `span`.
#[cfg(feature = "tracing")]
pub(crate) fn in_span<T>(span: &Span, body: impl FnOnce() -> T) -> T {
    span.in_scope(body)
}

#[cfg(not(feature = "tracing"))]
#[inline(always)]
pub(crate) fn in_span<T>(_span: &Span, body: impl FnOnce() -> T) -> T {
    body()
}

/// `future`, run inside `span`.
#[cfg(feature = "tracing")]
pub(crate) fn instrument<F: std::future::Future>(
    future: F,
    span: Span,
) -> impl std::future::Future<Output = F::Output> {
    tracing::Instrument::instrument(future, span)
}

#[cfg(not(feature = "tracing"))]
#[inline(always)]
pub(crate) fn instrument<F: std::future::Future>(future: F, _span: Span) -> F {
    future
}
