//! Who runs: the server picks from the client's offers, the client checks
//! the server's choice. Both keep the extensions that ended up active, in
//! registration order.

use super::header::{self, ExtensionOffer};
use super::{Extension, Params};

pub(crate) type Registry = Vec<Box<dyn Extension>>;

/// Client: the header value offering every registered extension, if any
/// offers anything.
pub(crate) fn client_offer(registry: &mut Registry) -> Option<String> {
    let mut offers: Vec<(String, Params)> = Vec::new();
    for extension in registry.iter_mut() {
        let name = extension.name().to_owned();
        offers.extend(
            extension
                .offers()
                .into_iter()
                .map(|params| (name.clone(), params)),
        );
    }
    if offers.is_empty() {
        return None;
    }
    Some(header::serialize(
        offers.iter().map(|(n, p)| (n.as_str(), p)),
    ))
}

/// Client: activates what the server's response names; keeps only those.
pub(crate) fn client_activate(
    registry: &mut Registry,
    response: Option<&str>,
) -> Result<(), String> {
    let accepted = match response {
        Some(value) => header::parse(value).map_err(|e| e.to_string())?,
        None => Vec::new(),
    };
    let mut active = vec![false; registry.len()];
    let mut rsv_used = 0u8;
    for ExtensionOffer { name, params } in &accepted {
        let Some(index) = registry.iter().position(|e| e.name() == name) else {
            return Err(format!(
                "Server sent an extension response for unknown extension \"{name}\""
            ));
        };
        if active[index] {
            return Err(format!(
                "Server sent two extension responses for \"{name}\""
            ));
        }
        let extension = &mut registry[index];
        if extension.rsv() & rsv_used != 0 {
            return Err(format!(
                "Server sent two extension responses that use the {} bit",
                rsv_name(extension.rsv() & rsv_used)
            ));
        }
        extension.activate(params).map_err(|reason| {
            let reason = reason.message;
            format!(
                "Server sent unacceptable extension parameters: {}: {reason}",
                header::serialize([(name.as_str(), params)])
            )
        })?;
        rsv_used |= extension.rsv();
        active[index] = true;
    }
    keep(registry, &active);
    Ok(())
}

/// Server: accepts what it can from the client's header and returns the
/// response header value, if anything was accepted.
pub(crate) fn server_accept(
    registry: &mut Registry,
    offered: Option<&str>,
) -> Result<Option<String>, String> {
    // The refusal goes back to the client: it names the header, not what
    // the header held.
    let offers = match offered {
        Some(value) => header::parse(value)
            .map_err(|_| "Invalid Sec-WebSocket-Extensions header".to_owned())?,
        None => Vec::new(),
    };
    let mut active = vec![false; registry.len()];
    let mut responses: Vec<(String, Params)> = Vec::new();
    let mut rsv_used = 0u8;
    for (index, extension) in registry.iter_mut().enumerate() {
        let mine: Vec<Params> = offers
            .iter()
            .filter(|o| o.name == extension.name())
            .map(|o| o.params.clone())
            .collect();
        if mine.is_empty() || extension.rsv() & rsv_used != 0 {
            continue;
        }
        if let Some(response) = extension.accept(&mine) {
            rsv_used |= extension.rsv();
            active[index] = true;
            responses.push((extension.name().to_owned(), response));
        }
    }
    keep(registry, &active);
    if responses.is_empty() {
        return Ok(None);
    }
    Ok(Some(header::serialize(
        responses.iter().map(|(n, p)| (n.as_str(), p)),
    )))
}

fn keep(registry: &mut Registry, active: &[bool]) {
    let mut flags = active.iter();
    registry.retain(|_| *flags.next().expect("one flag per extension"));
}

fn rsv_name(bits: u8) -> &'static str {
    if bits & super::RSV1 != 0 {
        "RSV1"
    } else if bits & super::RSV2 != 0 {
        "RSV2"
    } else {
        "RSV3"
    }
}
