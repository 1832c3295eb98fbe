//! The `Sec-WebSocket-Extensions` grammar (RFC 6455 §9.1): a comma list of
//! extensions, each a token followed by `;`-separated parameters that are
//! flags or `name=value`, the value a token or a quoted string.

use super::Params;
use crate::http::is_token;

/// One extension in a header: its name and parameters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExtensionOffer {
    /// The extension's token, as written (`permessage-deflate`).
    pub name: String,
    /// Its `;`-separated parameters, quoted values unquoted.
    pub params: Params,
}

/// The header did not follow the grammar; holds the whole header value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InvalidHeader(pub String);

impl std::fmt::Display for InvalidHeader {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Invalid Sec-WebSocket-Extensions header: {}", self.0)
    }
}

impl std::error::Error for InvalidHeader {}

/// Parses a header value into its extensions, in order. A name offered
/// twice gives two entries (a client's alternative offers). Join repeated
/// headers with `, ` first; an empty value is an error.
///
/// ```
/// use wsdriver::extensions::header;
///
/// let offers = header::parse(
///     r#"permessage-deflate; client_max_window_bits; server_max_window_bits="10", x-foo"#,
/// )
/// .unwrap();
/// assert_eq!(offers.len(), 2);
/// assert_eq!(offers[0].name, "permessage-deflate");
/// assert_eq!(offers[0].params.get("client_max_window_bits"), Some(None));
/// assert_eq!(offers[0].params.get("server_max_window_bits"), Some(Some("10")));
/// assert!(offers[1].params.is_empty());
///
/// // §9.1: a quoted value must still be a token.
/// assert!(header::parse(r#"x-foo; a="not a token""#).is_err());
/// ```
///
/// # Errors
/// A header that does not follow RFC 7692 §9.1's grammar.
pub fn parse(header: &str) -> Result<Vec<ExtensionOffer>, InvalidHeader> {
    let invalid = || InvalidHeader(header.to_owned());
    let mut lexer = Lexer {
        rest: header.as_bytes(),
    };
    let mut list = Vec::new();
    loop {
        let name = lexer.token().ok_or_else(invalid)?;
        let mut params = Params::default();
        while lexer.eat(b';') {
            let key = lexer.token().ok_or_else(invalid)?;
            let value = if lexer.eat(b'=') {
                Some(lexer.value().ok_or_else(invalid)?)
            } else {
                None
            };
            params.push(key, value);
        }
        list.push(ExtensionOffer { name, params });
        if lexer.at_end() {
            return Ok(list);
        }
        if !lexer.eat(b',') {
            return Err(invalid());
        }
    }
}

/// Writes extensions in header form: `name; flag; key=value, other`,
/// quoting any value that is not a token. [`parse`] reads it back.
pub fn serialize<'a>(offers: impl IntoIterator<Item = (&'a str, &'a Params)>) -> String {
    let mut out = String::new();
    for (name, params) in offers {
        if !out.is_empty() {
            out.push_str(", ");
        }
        out.push_str(name);
        for (key, value) in params.iter() {
            out.push_str("; ");
            out.push_str(key);
            if let Some(value) = value {
                out.push('=');
                if is_token(value) {
                    out.push_str(value);
                } else {
                    out.push('"');
                    for c in value.chars() {
                        if c == '"' || c == '\\' {
                            out.push('\\');
                        }
                        out.push(c);
                    }
                    out.push('"');
                }
            }
        }
    }
    out
}

struct Lexer<'a> {
    rest: &'a [u8],
}

impl Lexer<'_> {
    fn skip_space(&mut self) {
        while let [b' ' | b'\t', rest @ ..] = self.rest {
            self.rest = rest;
        }
    }

    fn at_end(&mut self) -> bool {
        self.skip_space();
        self.rest.is_empty()
    }

    fn eat(&mut self, byte: u8) -> bool {
        self.skip_space();
        match self.rest {
            [first, rest @ ..] if *first == byte => {
                self.rest = rest;
                true
            }
            _ => false,
        }
    }

    fn token(&mut self) -> Option<String> {
        self.skip_space();
        let len = self.rest.iter().take_while(|&&b| is_token_byte(b)).count();
        if len == 0 {
            return None;
        }
        let (token, rest) = self.rest.split_at(len);
        self.rest = rest;
        Some(String::from_utf8(token.to_vec()).expect("token bytes are ASCII"))
    }

    /// A token, or a quoted string whose unescaped content is a token
    /// (§9.1 requires it).
    fn value(&mut self) -> Option<String> {
        self.skip_space();
        let [b'"', rest @ ..] = self.rest else {
            return self.token();
        };
        let mut value = Vec::new();
        let mut bytes = rest.iter();
        loop {
            match bytes.next()? {
                b'"' => break,
                b'\\' => value.push(*bytes.next()?),
                &b => value.push(b),
            }
        }
        self.rest = bytes.as_slice();
        let value = String::from_utf8(value).ok()?;
        is_token(&value).then_some(value)
    }
}

fn is_token_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn params(list: &[(&str, Option<&str>)]) -> Params {
        let mut params = Params::default();
        for (k, v) in list {
            params.push(k.to_string(), v.map(str::to_owned));
        }
        params
    }

    #[test]
    fn rfc6455_9_1_tokens_flags_values_quoted_and_repeats() {
        let parsed = parse(
            r#"permessage-deflate; client_max_window_bits; server_max_window_bits="10" , x-foo;a=1;a=2 ,bar"#,
        )
        .unwrap();
        assert_eq!(
            parsed,
            [
                ExtensionOffer {
                    name: "permessage-deflate".into(),
                    params: params(&[
                        ("client_max_window_bits", None),
                        ("server_max_window_bits", Some("10"))
                    ]),
                },
                ExtensionOffer {
                    name: "x-foo".into(),
                    params: params(&[("a", Some("1")), ("a", Some("2"))])
                },
                ExtensionOffer {
                    name: "bar".into(),
                    params: Params::default()
                },
            ]
        );
    }

    #[test]
    fn rfc6455_9_1_malformed_headers_are_errors() {
        for bad in [
            "",
            ",",
            "a,",
            "a;",
            "a; b=",
            "a b",
            "a; b=\"unterminated",
            "a; b=\"not a token\"",
            "a; =1",
            "a; b=1 c",
            "a,,b",
            "é",
        ] {
            let error = parse(bad).unwrap_err();
            assert_eq!(
                error.to_string(),
                format!("Invalid Sec-WebSocket-Extensions header: {bad}")
            );
        }
    }

    #[test]
    fn serialize_round_trips() {
        let p = params(&[
            ("client_max_window_bits", None),
            ("server_max_window_bits", Some("10")),
        ]);
        let header = serialize([("permessage-deflate", &p), ("x", &Params::default())]);
        assert_eq!(
            header,
            "permessage-deflate; client_max_window_bits; server_max_window_bits=10, x"
        );
        let back = parse(&header).unwrap();
        assert_eq!(back[0].params, p);
        assert_eq!(back[1].name, "x");
    }

    #[test]
    fn escaped_quotes_in_values() {
        let parsed = parse(r#"a; b="x\y""#).unwrap();
        assert_eq!(parsed[0].params.get("b"), Some(Some("xy")));
    }
}
