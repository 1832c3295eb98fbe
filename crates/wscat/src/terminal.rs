//! The terminal's settings, saved and put back: the line editor holds the
//! terminal in raw mode while it waits for a line and cannot be told to
//! stop, so when the connection ends first the program puts the terminal
//! back itself before it exits.

/// The terminal's settings at one moment (nothing when stdin is not a
/// terminal, or off Unix).
pub struct Saved {
    #[cfg(unix)]
    termios: Option<nix::sys::termios::Termios>,
}

impl Saved {
    pub fn now() -> Saved {
        Saved {
            #[cfg(unix)]
            termios: nix::sys::termios::tcgetattr(std::io::stdin()).ok(),
        }
    }

    /// Puts the settings back.
    pub fn restore(&self) {
        #[cfg(unix)]
        if let Some(termios) = &self.termios {
            use nix::sys::termios::{tcsetattr, SetArg};
            let _ = tcsetattr(std::io::stdin(), SetArg::TCSANOW, termios);
        }
    }
}

/// Stops the terminal echoing what is typed (for a passphrase).
pub fn no_echo() {
    #[cfg(unix)]
    {
        use nix::sys::termios::{tcgetattr, tcsetattr, LocalFlags, SetArg};
        if let Ok(mut termios) = tcgetattr(std::io::stdin()) {
            termios.local_flags.remove(LocalFlags::ECHO);
            let _ = tcsetattr(std::io::stdin(), SetArg::TCSANOW, &termios);
        }
    }
}
