//! [`IntoClientRequest`]: what [`connect`](crate::connect) and
//! [`connect_on`](crate::connect_on) take, a URL or a whole
//! `http::Request`, so a request built elsewhere (with its cookies and
//! tokens) is sent as it is.

use crate::error::Error;
use wsdriver::http_types::{Method, Request};

/// The URL to connect to and the headers to send with the handshake.
#[derive(Debug, Clone)]
pub struct ClientRequest {
    pub(crate) url: String,
    pub(crate) headers: Vec<(String, String)>,
}

/// A URL (`&str`, `String`) or an `http::Request<()>`: a `GET` whose URI
/// is the `ws:`/`wss:` URL and whose headers go out with the handshake,
/// after [`ClientOptions`](crate::ClientOptions)' own.
///
/// ```
/// use wsdriver_tokio::core::http_types::Request;
/// use wsdriver_tokio::IntoClientRequest;
///
/// let request = Request::get("ws://example.com/chat")
///     .header("Cookie", "session=abc")
///     .body(())
///     .unwrap();
/// assert!(request.into_client_request().is_ok());
/// let post = Request::post("ws://example.com/").body(()).unwrap();
/// assert!(post.into_client_request().is_err());
/// ```
pub trait IntoClientRequest {
    /// The URL and the headers.
    ///
    /// # Errors
    /// [`Error::Config`] for a request that is not a `GET`, or a header
    /// value that is not text.
    fn into_client_request(self) -> Result<ClientRequest, Error>;
}

impl IntoClientRequest for &str {
    fn into_client_request(self) -> Result<ClientRequest, Error> {
        Ok(ClientRequest {
            url: self.to_owned(),
            headers: Vec::new(),
        })
    }
}

impl IntoClientRequest for String {
    fn into_client_request(self) -> Result<ClientRequest, Error> {
        Ok(ClientRequest {
            url: self,
            headers: Vec::new(),
        })
    }
}

impl IntoClientRequest for &String {
    fn into_client_request(self) -> Result<ClientRequest, Error> {
        self.as_str().into_client_request()
    }
}

impl IntoClientRequest for Request<()> {
    fn into_client_request(self) -> Result<ClientRequest, Error> {
        if self.method() != Method::GET {
            return Err(Error::Config(format!(
                "a WebSocket handshake is a GET, not a {}",
                self.method()
            )));
        }
        let mut headers = Vec::with_capacity(self.headers().len());
        for (name, value) in self.headers() {
            let value = value
                .to_str()
                .map_err(|_| Error::Config(format!("the value of {name} is not text")))?;
            headers.push((name.as_str().to_owned(), value.to_owned()));
        }
        Ok(ClientRequest {
            url: self.uri().to_string(),
            headers,
        })
    }
}

impl IntoClientRequest for ClientRequest {
    fn into_client_request(self) -> Result<ClientRequest, Error> {
        Ok(self)
    }
}
