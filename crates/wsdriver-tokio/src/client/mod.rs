//! Connecting as a client: the URL and where it leads, HTTP proxies,
//! the options, and `connect` itself (redirects included).

pub(crate) mod connect;
pub(crate) mod options;
pub(crate) mod proxy;
pub(crate) mod request;
pub(crate) mod target;
pub(crate) mod transport;
pub(crate) mod transport_options;
