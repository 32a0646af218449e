//! `hpr completions bash|zsh|fish`: prints a shell completion script on stdout.
//!
//! ```text
//! hpr completions bash > ~/.local/share/bash-completion/completions/hpr
//! hpr completions zsh  > "${fpath[1]}/_hpr"
//! hpr completions fish > ~/.config/fish/completions/hpr.fish
//! ```

use std::io::Write as _;

use clap::CommandFactory as _;
use clap_complete::Shell;

use crate::cli::{Cli, CompletionsArgs};
use crate::exit::{CliError, ExitStatus};

/// The shells a script can be printed for.
const SHELLS: [(&str, Shell); 3] = [
    ("bash", Shell::Bash),
    ("zsh", Shell::Zsh),
    ("fish", Shell::Fish),
];

/// Runs `hpr completions`.
pub fn run(args: CompletionsArgs) -> Result<ExitStatus, CliError> {
    let wanted = args.shell.trim();
    let shell = SHELLS
        .iter()
        .find(|(name, _)| name.eq_ignore_ascii_case(wanted))
        .map(|(_, shell)| *shell)
        .ok_or_else(|| {
            CliError::usage(format!(
                "unknown shell `{wanted}`: expected one of bash, zsh, fish"
            ))
        })?;
    // generated into memory first: clap_complete panics on a failed write (e.g. a closed pipe)
    let mut script = Vec::new();
    clap_complete::generate(shell, &mut Cli::command(), "hpr", &mut script);
    let mut stdout = std::io::stdout().lock();
    stdout
        .write_all(&script)
        .and_then(|()| stdout.flush())
        .map_err(|e| CliError::failure(format!("cannot write to stdout: {e}")))?;
    Ok(ExitStatus::Success)
}
