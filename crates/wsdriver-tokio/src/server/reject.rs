//! [`Reject`]: a server's refusal of a handshake, as the application words
//! it: a status, a plain-text body and headers (`WWW-Authenticate` on a
//! 401, `Retry-After` on a 503). The core writes it, so it is framed like
//! every other refusal (`Content-Length`, `Connection: close`).

use crate::error::Error;
use wsdriver::http_types::{HeaderName, HeaderValue, Response};

/// A refusal from [`verify_client`](crate::ServerBuilder::verify_client)
/// or [`accept_with`](crate::accept_with)'s check.
///
/// `(u16, String)` and `(u16, &str)` convert into one, for refusals that
/// need no headers, and so does a whole `http::Response<String>`.
///
/// ```
/// use wsdriver_tokio::Reject;
///
/// let unauthorized = Reject::new(401, "Log in first")
///     .header("WWW-Authenticate", "Bearer realm=\"chat\"")
///     .unwrap();
/// assert_eq!(unauthorized.status(), 401);
/// let plain: Reject = (403, "Not you").into();
/// assert_eq!(plain.body(), "Not you");
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reject {
    status: u16,
    body: String,
    headers: Vec<(HeaderName, HeaderValue)>,
}

impl Reject {
    /// A refusal with `status` (a final one, 200-599: a 101 would not be
    /// a refusal) and a plain-text `body`.
    pub fn new(status: u16, body: impl Into<String>) -> Self {
        Reject {
            status,
            body: body.into(),
            headers: Vec::new(),
        }
    }

    /// Adds a header to the answer.
    ///
    /// # Errors
    /// [`Error::Config`] for a name or value that is not valid HTTP.
    pub fn header(mut self, name: &str, value: &str) -> Result<Self, Error> {
        let name = HeaderName::from_bytes(name.as_bytes())
            .map_err(|_| Error::Config(format!("{name:?} is not a valid header name")))?;
        let value = HeaderValue::from_str(value)
            .map_err(|_| Error::Config(format!("{value:?} is not a valid value for {name}")))?;
        self.headers.push((name, value));
        Ok(self)
    }

    /// The status sent.
    pub fn status(&self) -> u16 {
        self.status
    }

    /// The plain-text body sent.
    pub fn body(&self) -> &str {
        &self.body
    }

    /// The headers added, in order.
    pub fn headers(&self) -> impl Iterator<Item = (&HeaderName, &HeaderValue)> {
        self.headers.iter().map(|(name, value)| (name, value))
    }
}

/// A whole response: its status, headers and body (as text).
///
/// ```
/// use wsdriver_tokio::core::http_types::Response;
/// use wsdriver_tokio::Reject;
///
/// let response = Response::builder()
///     .status(503)
///     .header("Retry-After", "30")
///     .body("Busy, try later".to_owned())
///     .unwrap();
/// let reject = Reject::from(response);
/// assert_eq!((reject.status(), reject.body()), (503, "Busy, try later"));
/// assert_eq!(reject.headers().next().unwrap().1, "30");
///
/// let twice = Response::builder()
///     .status(401)
///     .header("WWW-Authenticate", "Bearer")
///     .header("WWW-Authenticate", "Basic")
///     .body(String::new())
///     .unwrap();
/// assert_eq!(Reject::from(twice).headers().count(), 2);
/// ```
impl From<Response<String>> for Reject {
    fn from(response: Response<String>) -> Self {
        let (parts, body) = response.into_parts();
        // A name comes once, before all of its values.
        let mut last = None;
        let mut headers = Vec::new();
        for (name, value) in parts.headers {
            if let Some(name) = name {
                last = Some(name);
            }
            if let Some(name) = &last {
                headers.push((name.clone(), value));
            }
        }
        Reject {
            status: parts.status.as_u16(),
            body,
            headers,
        }
    }
}

impl From<(u16, String)> for Reject {
    fn from((status, body): (u16, String)) -> Self {
        Reject::new(status, body)
    }
}

impl From<(u16, &str)> for Reject {
    fn from((status, body): (u16, &str)) -> Self {
        Reject::new(status, body)
    }
}
