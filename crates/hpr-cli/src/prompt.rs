//! Asking the user: a small [`Prompter`] trait, so the wizard's logic can be driven by a script in
//! tests, and [`InquirePrompter`], its terminal implementation on `inquire`.
//!
//! Prompts block the calling thread (they read the terminal in raw mode): call them from the main
//! thread, never from inside an async task.

use inquire::error::InquireError;
use inquire::{Confirm, Password, PasswordDisplayMode, Select, Text};

/// How an accepted answer is shown once the prompt is done (e.g. only the last 4 digits).
pub type Shown = fn(&str) -> String;

/// How the answer is echoed while typed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Echo {
    /// As typed.
    Visible,
    /// One `*` per character (Ctrl+R reveals it, to check for typos).
    Masked,
    /// Nothing at all (passwords).
    Hidden,
}

/// One free-text question.
#[derive(Clone, Copy)]
pub struct Ask<'a> {
    /// The question.
    pub message: &'a str,
    /// A hint shown under the prompt.
    pub help: Option<&'a str>,
    /// How typing is echoed.
    pub echo: Echo,
    /// Text already in the input, to keep with Enter or edit (visible answers only).
    pub initial: Option<&'a str>,
    /// How the accepted answer is displayed afterwards.
    pub shown: Option<Shown>,
    /// For [`Echo::Hidden`]: ask a second time with this message and require the same answer.
    pub confirm: Option<&'a str>,
}

impl<'a> Ask<'a> {
    /// A visible question with no check.
    pub fn new(message: &'a str) -> Self {
        Self {
            message,
            help: None,
            echo: Echo::Visible,
            initial: None,
            shown: None,
            confirm: None,
        }
    }

    /// Adds a hint.
    pub fn help(mut self, help: &'a str) -> Self {
        self.help = Some(help);
        self
    }

    /// Sets how typing is echoed.
    pub fn echo(mut self, echo: Echo) -> Self {
        self.echo = echo;
        self
    }

    /// Starts the input with `text` (a prefilled value the user may keep or edit).
    pub fn initial(mut self, text: &'a str) -> Self {
        self.initial = Some(text);
        self
    }

    /// Sets how the accepted answer is displayed.
    pub fn shown(mut self, shown: Shown) -> Self {
        self.shown = Some(shown);
        self
    }

    /// Asks twice (hidden answers only).
    pub fn confirm(mut self, message: &'a str) -> Self {
        self.confirm = Some(message);
        self
    }
}

/// Why a prompt gave no answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PromptError {
    /// Ctrl-C.
    Interrupted,
    /// Esc.
    Cancelled,
    /// The terminal failed (closed, not a terminal after all, I/O error).
    Failed(String),
}

/// Something that can ask the user questions.
pub trait Prompter {
    /// A free-text answer.
    fn input(&mut self, ask: Ask<'_>) -> Result<String, PromptError>;

    /// The index of the chosen option; the cursor starts on `start`.
    fn select(
        &mut self,
        message: &str,
        options: &[String],
        help: Option<&str>,
        start: usize,
    ) -> Result<usize, PromptError>;

    /// Yes or no.
    fn confirm(&mut self, message: &str, default: bool) -> Result<bool, PromptError>;
}

/// Prompts on the terminal (stderr) with `inquire`. Colours follow `NO_COLOR`.
#[derive(Debug, Default)]
pub struct InquirePrompter;

fn map_error(e: InquireError) -> PromptError {
    match e {
        InquireError::OperationInterrupted => PromptError::Interrupted,
        InquireError::OperationCanceled => PromptError::Cancelled,
        InquireError::NotTTY => PromptError::Failed("the terminal is not interactive".into()),
        other => PromptError::Failed(other.to_string()),
    }
}

/// How an accepted answer stays on screen: a hidden or masked answer is never echoed back in
/// clear unless `shown` says how.
fn displayed(shown: Option<Shown>, echo: Echo, answer: &str) -> String {
    match (shown, echo) {
        (Some(f), _) => f(answer),
        (None, Echo::Visible) => answer.to_owned(),
        (None, Echo::Masked | Echo::Hidden) => "********".to_owned(),
    }
}

impl Prompter for InquirePrompter {
    fn input(&mut self, ask: Ask<'_>) -> Result<String, PromptError> {
        let (shown, echo) = (ask.shown, ask.echo);
        let format = move |answer: &str| displayed(shown, echo, answer);
        let result = match ask.echo {
            Echo::Visible => {
                let mut prompt = Text::new(ask.message).with_formatter(&format);
                if let Some(help) = ask.help {
                    prompt = prompt.with_help_message(help);
                }
                if let Some(initial) = ask.initial {
                    prompt = prompt.with_initial_value(initial);
                }
                prompt.prompt()
            }
            Echo::Masked | Echo::Hidden => {
                let mut prompt = Password::new(ask.message).with_formatter(&format);
                prompt = if ask.echo == Echo::Masked {
                    prompt
                        .with_display_mode(PasswordDisplayMode::Masked)
                        .with_display_toggle_enabled()
                } else {
                    prompt.with_display_mode(PasswordDisplayMode::Hidden)
                };
                prompt = match ask.confirm {
                    Some(again) => prompt
                        .with_custom_confirmation_message(again)
                        .with_custom_confirmation_error_message(
                            "The two entries do not match: type it again.",
                        ),
                    None => prompt.without_confirmation(),
                };
                if let Some(help) = ask.help {
                    prompt = prompt.with_help_message(help);
                }
                prompt.prompt()
            }
        };
        result.map_err(map_error)
    }

    fn select(
        &mut self,
        message: &str,
        options: &[String],
        help: Option<&str>,
        start: usize,
    ) -> Result<usize, PromptError> {
        let mut prompt = Select::new(message, options.to_vec())
            .without_filtering()
            .with_starting_cursor(start.min(options.len().saturating_sub(1)))
            .with_page_size(options.len().clamp(1, 12));
        prompt = prompt.with_help_message(help.unwrap_or("↑↓ to move, Enter to choose"));
        prompt
            .raw_prompt()
            .map(|chosen| chosen.index)
            .map_err(map_error)
    }

    fn confirm(&mut self, message: &str, default: bool) -> Result<bool, PromptError> {
        Confirm::new(message)
            .with_default(default)
            .prompt()
            .map_err(map_error)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    #[test]
    fn secret_answers_are_never_displayed_in_clear() {
        assert_eq!(displayed(None, Echo::Hidden, "Ayushman@143"), "********");
        assert_eq!(displayed(None, Echo::Masked, "234123412346"), "********");
        assert_eq!(displayed(None, Echo::Visible, "asha"), "asha");
        let last4: Shown = |s| format!("XXXX{}", &s[s.len() - 4..]);
        assert_eq!(
            displayed(Some(last4), Echo::Masked, "234123412346"),
            "XXXX2346"
        );
    }
}
