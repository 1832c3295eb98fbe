//! What a line asks for: a message, or with --slash one of the commands
//! `/ping [data]`, `/pong [data]`, `/close [code [reason]]`.

/// One line's meaning.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Command {
    /// Send the line as a message.
    Send(String),
    Ping(Vec<u8>),
    Pong(Vec<u8>),
    Close(u16, String),
}

/// Reads `line`: a message, unless `slash` is on and it starts with `/`
/// (`//` sends a message starting with `/`). An unknown command or a bad
/// close code is an error to show; nothing is sent then.
pub fn parse(line: &str, slash: bool) -> Result<Command, String> {
    let Some(rest) = line.strip_prefix('/').filter(|_| slash) else {
        return Ok(Command::Send(line.to_owned()));
    };
    if rest.starts_with('/') {
        return Ok(Command::Send(rest.to_owned()));
    }
    let (name, argument) = match rest.split_once(' ') {
        Some((name, argument)) => (name, argument.trim_start()),
        None => (rest, ""),
    };
    match name {
        "ping" => Ok(Command::Ping(argument.as_bytes().to_vec())),
        "pong" => Ok(Command::Pong(argument.as_bytes().to_vec())),
        "close" => {
            let (code, reason) = match argument.split_once(' ') {
                Some((code, reason)) => (code, reason.trim_start()),
                None => (argument, ""),
            };
            if code.is_empty() {
                return Ok(Command::Close(1000, String::new()));
            }
            let code = code
                .parse()
                .map_err(|_| format!("/close: {code:?} is not a close code (1000-4999)"))?;
            Ok(Command::Close(code, reason.to_owned()))
        }
        other => Err(format!(
            "unknown command /{other} (the commands: /ping [data], /pong [data], /close [code [reason]])"
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn commands_with_and_without_their_arguments() {
        assert_eq!(parse("/ping", true), Ok(Command::Ping(vec![])));
        assert_eq!(parse("/ping a b", true), Ok(Command::Ping(b"a b".to_vec())));
        assert_eq!(parse("/pong x", true), Ok(Command::Pong(b"x".to_vec())));
        assert_eq!(
            parse("/close", true),
            Ok(Command::Close(1000, String::new()))
        );
        assert_eq!(
            parse("/close 4000", true),
            Ok(Command::Close(4000, String::new()))
        );
        assert_eq!(
            parse("/close 4001 so long", true),
            Ok(Command::Close(4001, "so long".into()))
        );
    }

    #[test]
    fn messages_unknown_commands_and_bad_codes() {
        // Without --slash every line is a message.
        assert_eq!(parse("/ping", false), Ok(Command::Send("/ping".into())));
        assert_eq!(parse("//ping", true), Ok(Command::Send("/ping".into())));
        assert_eq!(parse("hello", true), Ok(Command::Send("hello".into())));
        assert!(parse("/frobnicate", true)
            .unwrap_err()
            .contains("/frobnicate"));
        assert!(parse("/close soon", true)
            .unwrap_err()
            .contains("not a close code"));
    }
}
