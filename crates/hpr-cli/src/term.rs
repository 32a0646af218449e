//! What the process is attached to, detected once, and optional ANSI colour (`NO_COLOR` honoured).

use std::io::IsTerminal as _;

/// Which standard streams are terminals.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Terminal {
    /// Keys can be read (prompts are possible).
    pub stdin: bool,
    /// The result card goes here.
    pub stdout: bool,
    /// Prompts, progress and messages go here.
    pub stderr: bool,
}

impl Terminal {
    /// Looks at the three standard streams.
    pub fn detect() -> Self {
        Self {
            stdin: std::io::stdin().is_terminal(),
            stdout: std::io::stdout().is_terminal(),
            stderr: std::io::stderr().is_terminal(),
        }
    }
}

/// `true` unless `NO_COLOR` is set to a non-empty value (<https://no-color.org>) or `TERM=dumb`.
pub fn colour_allowed() -> bool {
    let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
    let dumb = std::env::var_os("TERM").is_some_and(|t| t == "dumb");
    !no_color && !dumb
}

/// Wraps text in ANSI styles when enabled.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Paint(pub bool);

impl Paint {
    fn wrap(self, code: &str, text: &str) -> String {
        if self.0 {
            format!("\x1b[{code}m{text}\x1b[0m")
        } else {
            text.to_owned()
        }
    }

    /// Bold.
    pub fn bold(self, text: &str) -> String {
        self.wrap("1", text)
    }

    /// Dim.
    pub fn dim(self, text: &str) -> String {
        self.wrap("2", text)
    }

    /// Green (success).
    pub fn green(self, text: &str) -> String {
        self.wrap("32", text)
    }

    /// Red (errors).
    pub fn red(self, text: &str) -> String {
        self.wrap("31", text)
    }

    /// Yellow (warnings, notices).
    pub fn yellow(self, text: &str) -> String {
        self.wrap("33", text)
    }

    /// Cyan (the fake SMS).
    pub fn cyan(self, text: &str) -> String {
        self.wrap("36", text)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    #[test]
    fn paint_is_plain_when_disabled() {
        assert_eq!(Paint(false).bold("x"), "x");
        assert_eq!(Paint(true).bold("x"), "\x1b[1mx\x1b[0m");
    }
}
