//! The command line: a subcommand, then `--name value` options and
//! `--flag`s.

use std::collections::HashMap;

/// Parsed arguments.
#[derive(Debug, Default)]
pub struct Args {
    /// The subcommand (`all` when none).
    pub command: String,
    options: HashMap<String, String>,
    flags: Vec<String>,
}

/// Options that take a value; any other `--name` is a flag.
const WITH_VALUE: &[&str] = &[
    "--scenario",
    "--server",
    "--rounds",
    "--messages",
    "--addr",
    "--out",
    "--connections",
    "--seconds",
];

impl Args {
    /// Parses `args` (without the program's name).
    ///
    /// # Errors
    /// An option without its value, or a stray word.
    pub fn parse(args: impl IntoIterator<Item = String>) -> Result<Self, String> {
        let mut parsed = Args::default();
        let mut args = args.into_iter();
        while let Some(arg) = args.next() {
            if WITH_VALUE.contains(&arg.as_str()) {
                let value = args.next().ok_or(format!("{arg} needs a value"))?;
                parsed.options.insert(arg, value);
            } else if arg.starts_with("--") {
                parsed.flags.push(arg);
            } else if parsed.command.is_empty() {
                parsed.command = arg;
            } else {
                return Err(format!("unexpected argument {arg:?}"));
            }
        }
        if parsed.command.is_empty() {
            parsed.command = "all".to_owned();
        }
        Ok(parsed)
    }

    /// The value of `--name`.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.options.get(name).map(String::as_str)
    }

    /// The value of `--name` parsed, or `default`.
    ///
    /// # Errors
    /// A value that does not parse.
    pub fn number(&self, name: &str, default: u64) -> Result<u64, String> {
        self.get(name).map_or(Ok(default), |v| {
            v.parse().map_err(|_| format!("bad {name} {v:?}"))
        })
    }

    /// Whether `--flag` was given.
    pub fn flag(&self, flag: &str) -> bool {
        self.flags.iter().any(|f| f == flag)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn subcommand_options_and_flags() {
        let words = ["instructions", "--scenario", "20b", "--quick"];
        let args = Args::parse(words.map(String::from)).unwrap();
        assert_eq!(args.command, "instructions");
        assert_eq!(args.get("--scenario"), Some("20b"));
        assert!(args.flag("--quick") && !args.flag("--update"));
        assert_eq!(Args::parse([]).unwrap().command, "all");
        assert!(Args::parse(["--rounds".to_owned()]).is_err());
    }
}
