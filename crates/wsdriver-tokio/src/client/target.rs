//! Where a client connects, worked out from a URL alone: ws's
//! `ws+unix:` form, `http:` and `https:` taken as `ws:` and `wss:`, and a
//! redirect's `Location` resolved against the URL it answered. It is URL
//! work with no I/O, kept apart from the connecting code so that it can be
//! read and tested on its own.

use crate::error::Error;
use std::path::PathBuf;
use url::Url;

/// Where one attempt connects.
#[derive(Debug, Clone)]
pub(crate) struct Target {
    /// The URL as the caller or a `Location` wrote it, for messages.
    pub(crate) display: String,
    /// The URL the driver is given: `ws:`/`wss:`, `ws://localhost/...` for
    /// a Unix socket.
    pub(crate) url: Url,
    /// The Unix socket of a `ws+unix:` URL.
    pub(crate) socket: Option<PathBuf>,
}

impl Target {
    pub(crate) fn parse(text: &str) -> Result<Target, Error> {
        let invalid =
            |why: &str| Error::WebSocket(wsdriver::Error::InvalidUrl(format!("{text}: {why}")));
        if let Some(rest) = strip_prefix_ignore_case(text, "ws+unix:") {
            // `ws+unix:///socket:/path` has an (empty) authority.
            let rest = match rest.strip_prefix("//") {
                Some(after) => after.find('/').map_or("", |i| &after[i..]),
                None => rest,
            };
            if rest.contains('#') {
                return Err(invalid("a WebSocket URL cannot have a fragment"));
            }
            // ws splits at the first colon; the socket path is before it.
            let (socket, request) = rest.split_once(':').unwrap_or((rest, ""));
            if socket.is_empty() {
                return Err(invalid("no socket path"));
            }
            let request = match request.starts_with('/') {
                true => request.to_owned(),
                false => format!("/{request}"),
            };
            let url = Url::parse(&format!("ws://localhost{request}"))
                .map_err(|e| invalid(&e.to_string()))?;
            return Ok(Target {
                display: text.to_owned(),
                url,
                socket: Some(PathBuf::from(socket)),
            });
        }
        let mut url = Url::parse(text).map_err(|e| invalid(&e.to_string()))?;
        let scheme = match url.scheme() {
            "http" => Some("ws"),
            "https" => Some("wss"),
            "ws" | "wss" => None,
            // Said here, not by the core, which takes ws and wss only:
            // this layer takes more.
            _ => {
                return Err(invalid(
                    "the scheme must be ws, wss, http, https or ws+unix",
                ))
            }
        };
        if let Some(scheme) = scheme {
            url.set_scheme(scheme)
                .map_err(|()| invalid("cannot be made a WebSocket URL"))?;
        }
        Ok(Target {
            display: text.to_owned(),
            url,
            socket: None,
        })
    }

    /// The target a `Location` points to, relative ones resolved against
    /// this one (on the same socket, for `ws+unix:`).
    pub(crate) fn redirect(&self, location: &str) -> Result<Target, Error> {
        let invalid = |e: url::ParseError| {
            Error::WebSocket(wsdriver::Error::InvalidUrl(format!("{location}: {e}")))
        };
        let mut next = match Url::parse(location) {
            Ok(_) => Target::parse(location)?,
            Err(url::ParseError::RelativeUrlWithoutBase) => {
                let mut url = self.url.join(location).map_err(invalid)?;
                url.set_fragment(None);
                match &self.socket {
                    Some(socket) => {
                        let mut request = url.path().to_owned();
                        if let Some(query) = url.query() {
                            request.push('?');
                            request.push_str(query);
                        }
                        Target {
                            display: format!("ws+unix:{}:{request}", socket.display()),
                            url,
                            socket: Some(socket.clone()),
                        }
                    }
                    None => Target {
                        display: url.to_string(),
                        url,
                        socket: None,
                    },
                }
            }
            Err(e) => return Err(invalid(e)),
        };
        // A fragment means nothing to a server, and the driver refuses it.
        next.url.set_fragment(None);
        Ok(next)
    }

    pub(crate) fn is_secure(&self) -> bool {
        self.socket.is_none() && self.url.scheme() == "wss"
    }

    pub(crate) fn same_host(&self, other: &Target) -> bool {
        match (&self.socket, &other.socket) {
            (Some(a), Some(b)) => a == b,
            (None, None) => {
                self.url.host_str() == other.url.host_str()
                    && self.url.port_or_known_default() == other.url.port_or_known_default()
            }
            _ => false,
        }
    }
}

fn strip_prefix_ignore_case<'a>(text: &'a str, prefix: &str) -> Option<&'a str> {
    let head = text.get(..prefix.len())?;
    head.eq_ignore_ascii_case(prefix)
        .then(|| &text[prefix.len()..])
}

/// The URL's host without IPv6 brackets, to connect to or name in TLS.
pub(crate) fn bare_host(url: &Url) -> String {
    url.host_str()
        .unwrap_or_default()
        .trim_start_matches('[')
        .trim_end_matches(']')
        .to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unix_urls() {
        let t = Target::parse("ws+unix:/tmp/app.sock:/chat?room=1").unwrap();
        assert_eq!(
            t.socket.as_deref(),
            Some(std::path::Path::new("/tmp/app.sock"))
        );
        assert_eq!(t.url.as_str(), "ws://localhost/chat?room=1");
        let t = Target::parse("ws+unix:///tmp/app.sock").unwrap();
        assert_eq!(
            t.socket.as_deref(),
            Some(std::path::Path::new("/tmp/app.sock"))
        );
        assert_eq!(t.url.as_str(), "ws://localhost/");
        assert!(Target::parse("ws+unix:").is_err());
        assert!(Target::parse("ws+unix:/s:/x#frag").is_err());

        let next = t.redirect("/other?x").unwrap();
        assert_eq!(next.socket, t.socket);
        assert_eq!(next.url.as_str(), "ws://localhost/other?x");
        assert_eq!(next.display, "ws+unix:/tmp/app.sock:/other?x");
    }

    #[test]
    fn redirect_locations() {
        let t = Target::parse("wss://example.com/a/b?q").unwrap();
        assert_eq!(
            t.redirect("c").unwrap().url.as_str(),
            "wss://example.com/a/c"
        );
        assert_eq!(
            t.redirect("/c#f").unwrap().url.as_str(),
            "wss://example.com/c"
        );
        assert_eq!(
            t.redirect("//other.example/x").unwrap().url.as_str(),
            "wss://other.example/x"
        );
        let ftp = Target::parse("ftp://example.com/").unwrap_err().to_string();
        assert!(
            ftp.ends_with("the scheme must be ws, wss, http, https or ws+unix"),
            "{ftp}"
        );
        let http = t.redirect("http://other.example:8080/x").unwrap();
        assert_eq!(http.url.as_str(), "ws://other.example:8080/x");
        assert!(!http.same_host(&t));
        assert!(t
            .redirect("https://example.com:443/")
            .unwrap()
            .same_host(&t));
    }
}
