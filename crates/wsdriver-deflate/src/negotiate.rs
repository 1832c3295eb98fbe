//! RFC 7692 §7.1: the parameters of an offer and of its response, and the
//! checks on each.

use crate::config::DeflateConfig;
use wsdriver::Params;

const SERVER_NO_CONTEXT_TAKEOVER: &str = "server_no_context_takeover";
const CLIENT_NO_CONTEXT_TAKEOVER: &str = "client_no_context_takeover";
const SERVER_MAX_WINDOW_BITS: &str = "server_max_window_bits";
const CLIENT_MAX_WINDOW_BITS: &str = "client_max_window_bits";

/// The parameters of one offer or response, parsed and checked.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Parsed {
    pub server_no_context_takeover: bool,
    pub client_no_context_takeover: bool,
    pub server_max_window_bits: Option<u8>,
    /// `Some(None)`: the flag without a value (allowed in offers only).
    pub client_max_window_bits: Option<Option<u8>>,
}

/// What each direction of an active session does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Session {
    /// This side's compressor: window bits, and whether it resets.
    pub send_window_bits: u8,
    pub send_no_context_takeover: bool,
    /// The peer's compressor, which this side's decompressor follows.
    pub receive_window_bits: u8,
    pub receive_no_context_takeover: bool,
}

pub(crate) fn parse(params: &Params) -> Result<Parsed, String> {
    let mut parsed = Parsed::default();
    for (name, value) in params.iter() {
        if params.count(name) > 1 {
            return Err(format!("{name} appears more than once"));
        }
        match (name, value) {
            (SERVER_NO_CONTEXT_TAKEOVER, None) => parsed.server_no_context_takeover = true,
            (CLIENT_NO_CONTEXT_TAKEOVER, None) => parsed.client_no_context_takeover = true,
            (SERVER_MAX_WINDOW_BITS, Some(value)) => {
                parsed.server_max_window_bits = Some(bits(name, value)?)
            }
            (CLIENT_MAX_WINDOW_BITS, None) => parsed.client_max_window_bits = Some(None),
            (CLIENT_MAX_WINDOW_BITS, Some(value)) => {
                parsed.client_max_window_bits = Some(Some(bits(name, value)?))
            }
            (SERVER_NO_CONTEXT_TAKEOVER | CLIENT_NO_CONTEXT_TAKEOVER, Some(_)) => {
                return Err(format!("{name} takes no value"))
            }
            (SERVER_MAX_WINDOW_BITS, None) => return Err(format!("{name} needs a value")),
            (other, _) => return Err(format!("unknown parameter {other}")),
        }
    }
    Ok(parsed)
}

/// RFC 7692 §7.1.2: a decimal from 8 to 15, no leading zeros or signs.
fn bits(name: &str, value: &str) -> Result<u8, String> {
    match value.parse::<u8>() {
        Ok(bits @ 8..=15) if !value.starts_with('0') && !value.starts_with('+') => Ok(bits),
        _ => Err(format!("{name}={value} is not a window size from 8 to 15")),
    }
}

/// The client's offer for `config`.
pub(crate) fn offer(config: &DeflateConfig) -> Params {
    let mut params = Params::new();
    if config.no_context_takeover {
        params = params.flag(CLIENT_NO_CONTEXT_TAKEOVER);
    }
    params = match config.max_window_bits {
        Some(bits) => params.value(CLIENT_MAX_WINDOW_BITS, bits),
        None => params.flag(CLIENT_MAX_WINDOW_BITS),
    };
    if config.request_no_context_takeover {
        params = params.flag(SERVER_NO_CONTEXT_TAKEOVER);
    }
    if let Some(bits) = config.request_max_window_bits {
        params = params.value(SERVER_MAX_WINDOW_BITS, bits);
    }
    params
}

/// Client: whether the server's response fits the offer made with
/// `config`, and the session it sets up.
pub(crate) fn activate(config: &DeflateConfig, response: &Params) -> Result<Session, String> {
    let response = parse(response)?;
    if config.request_no_context_takeover && !response.server_no_context_takeover {
        return Err("the server did not agree to server_no_context_takeover".into());
    }
    if let Some(requested) = config.request_max_window_bits {
        match response.server_max_window_bits {
            None => return Err("the server did not agree to server_max_window_bits".into()),
            Some(bits) if bits > requested => {
                return Err(format!(
                    "server_max_window_bits={bits} is more than the {requested} requested"
                ))
            }
            Some(_) => {}
        }
    }
    let send_window_bits = match response.client_max_window_bits {
        Some(None) => return Err("client_max_window_bits needs a value in a response".into()),
        Some(Some(bits)) => match config.max_window_bits {
            Some(offered) if bits > offered => {
                return Err(format!(
                    "client_max_window_bits={bits} is more than the {offered} offered"
                ))
            }
            _ => bits,
        },
        None => config.max_window_bits.unwrap_or(15),
    };
    Ok(Session {
        send_window_bits,
        send_no_context_takeover: config.no_context_takeover || response.client_no_context_takeover,
        receive_window_bits: response.server_max_window_bits.unwrap_or(15),
        receive_no_context_takeover: response.server_no_context_takeover,
    })
}

/// Server: the response to the first acceptable offer, and its session.
pub(crate) fn accept(config: &DeflateConfig, offers: &[Params]) -> Option<(Params, Session)> {
    offers
        .iter()
        .find_map(|offer| accept_one(config, &parse(offer).ok()?))
}

fn accept_one(config: &DeflateConfig, offer: &Parsed) -> Option<(Params, Session)> {
    let mut response = Params::new();
    let send_no_context_takeover = config.no_context_takeover || offer.server_no_context_takeover;
    if send_no_context_takeover {
        response = response.flag(SERVER_NO_CONTEXT_TAKEOVER);
    }
    let receive_no_context_takeover =
        config.request_no_context_takeover || offer.client_no_context_takeover;
    if receive_no_context_takeover {
        response = response.flag(CLIENT_NO_CONTEXT_TAKEOVER);
    }
    let ours = config.max_window_bits.unwrap_or(15);
    let send_window_bits = offer
        .server_max_window_bits
        .map_or(ours, |asked| asked.min(ours));
    if offer.server_max_window_bits.is_some() || config.max_window_bits.is_some() {
        response = response.value(SERVER_MAX_WINDOW_BITS, send_window_bits);
    }
    let receive_window_bits = match (offer.client_max_window_bits, config.request_max_window_bits) {
        // The client cannot limit its window: this offer will not do.
        (None, Some(_)) => return None,
        (None, None) => 15,
        (Some(limit), request) => {
            let bits = limit.unwrap_or(15).min(request.unwrap_or(15));
            if limit.is_some() || request.is_some() {
                response = response.value(CLIENT_MAX_WINDOW_BITS, bits);
            }
            bits
        }
    };
    Some((
        response,
        Session {
            send_window_bits,
            send_no_context_takeover,
            receive_window_bits,
            receive_no_context_takeover,
        },
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use wsdriver::extensions::header;

    fn params(text: &str) -> Params {
        header::parse(&format!("permessage-deflate{text}"))
            .unwrap()
            .remove(0)
            .params
    }

    fn show(p: &Params) -> String {
        header::serialize([("permessage-deflate", p)])
    }

    #[test]
    fn rfc7692_7_1_parameters_and_their_errors() {
        assert!(parse(&params(
            "; server_max_window_bits=10; client_max_window_bits"
        ))
        .is_ok());
        for bad in [
            "; server_max_window_bits",
            "; server_max_window_bits=7",
            "; server_max_window_bits=16",
            "; server_max_window_bits=010",
            "; client_max_window_bits=abc",
            "; server_no_context_takeover=1",
            "; server_no_context_takeover; server_no_context_takeover",
            "; unknown",
        ] {
            assert!(parse(&params(bad)).is_err(), "{bad}");
        }
    }

    #[test]
    fn client_offers() {
        assert_eq!(
            show(&offer(&DeflateConfig::default())),
            "permessage-deflate; client_max_window_bits"
        );
        let config = DeflateConfig::default()
            .no_context_takeover(true)
            .max_window_bits(10)
            .request_no_context_takeover(true)
            .request_max_window_bits(12);
        assert_eq!(
            show(&offer(&config)),
            "permessage-deflate; client_no_context_takeover; client_max_window_bits=10; server_no_context_takeover; server_max_window_bits=12"
        );
    }

    #[test]
    fn rfc7692_7_1_client_checks_the_response() {
        let plain = DeflateConfig::default();
        let session = activate(&plain, &Params::new()).unwrap();
        assert_eq!(
            (session.send_window_bits, session.receive_window_bits),
            (15, 15)
        );
        let session = activate(
            &plain,
            &params("; server_no_context_takeover; client_max_window_bits=9"),
        )
        .unwrap();
        assert!(session.receive_no_context_takeover && !session.send_no_context_takeover);
        assert_eq!(session.send_window_bits, 9);
        assert!(activate(&plain, &params("; client_max_window_bits")).is_err());

        let asking = DeflateConfig::default()
            .request_no_context_takeover(true)
            .request_max_window_bits(10);
        assert!(activate(&asking, &params("; server_max_window_bits=10")).is_err());
        assert!(activate(&asking, &params("; server_no_context_takeover")).is_err());
        assert!(activate(
            &asking,
            &params("; server_no_context_takeover; server_max_window_bits=11")
        )
        .is_err());
        assert!(activate(
            &asking,
            &params("; server_no_context_takeover; server_max_window_bits=9")
        )
        .is_ok());

        let limited = DeflateConfig::default().max_window_bits(10);
        assert!(activate(&limited, &params("; client_max_window_bits=11")).is_err());
        assert_eq!(
            activate(&limited, &Params::new()).unwrap().send_window_bits,
            10
        );
        for bits in [9u8, 10] {
            let response = params(&format!("; client_max_window_bits={bits}"));
            let session = activate(&limited, &response).unwrap();
            assert_eq!(session.send_window_bits, bits, "up to the offered 10");
        }

        // Our own no_context_takeover holds whether or not the server
        // repeats it.
        let forgetful = DeflateConfig::default().no_context_takeover(true);
        assert!(
            activate(&forgetful, &Params::new())
                .unwrap()
                .send_no_context_takeover
        );
    }

    #[test]
    fn rfc7692_7_1_server_answers_the_first_acceptable_offer() {
        let server = DeflateConfig::default().request_max_window_bits(10);
        // The first offer cannot limit the client's window; the second can.
        let offers = [
            params("; server_no_context_takeover"),
            params("; client_max_window_bits"),
        ];
        let (response, session) = accept(&server, &offers).unwrap();
        assert_eq!(
            show(&response),
            "permessage-deflate; client_max_window_bits=10"
        );
        assert_eq!(session.receive_window_bits, 10);

        let plain = DeflateConfig::default();
        let (response, session) = accept(
            &plain,
            &[params(
                "; server_no_context_takeover; server_max_window_bits=12",
            )],
        )
        .unwrap();
        assert_eq!(
            show(&response),
            "permessage-deflate; server_no_context_takeover; server_max_window_bits=12"
        );
        assert!(session.send_no_context_takeover);
        assert_eq!(session.send_window_bits, 12);

        assert!(accept(&plain, &[params("; bogus")]).is_none());
        let (response, _) = accept(&plain, &[params("; bogus"), Params::new()]).unwrap();
        assert!(response.is_empty());
    }
}
