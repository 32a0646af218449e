//! A tiny spinner on stderr while the registry is awaited.
//!
//! It draws from its own thread, appears only after a short delay (fast answers do not flicker)
//! and erases its line when dropped. When stderr is not a terminal nothing is drawn.

use std::io::Write as _;
use std::sync::mpsc::{self, RecvTimeoutError, Sender};
use std::thread::JoinHandle;
use std::time::Duration;

const FRAMES: [&str; 10] = ["⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧", "⠇", "⠏"];
/// Calls answered faster than this show no spinner at all.
const DELAY: Duration = Duration::from_millis(150);
const TICK: Duration = Duration::from_millis(80);

/// A running spinner; dropping it stops it and clears its line.
pub struct Spinner {
    stop: Option<Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl Spinner {
    /// Starts `… message` on stderr if `enabled`; otherwise a no-op.
    pub fn start(message: &str, enabled: bool) -> Self {
        if !enabled {
            return Self {
                stop: None,
                thread: None,
            };
        }
        let (stop, stopped) = mpsc::channel::<()>();
        let message = message.to_owned();
        let thread = std::thread::spawn(move || {
            if !matches!(stopped.recv_timeout(DELAY), Err(RecvTimeoutError::Timeout)) {
                return;
            }
            let mut err = std::io::stderr();
            // hide the cursor while drawing
            let _ = write!(err, "\x1b[?25l");
            for frame in FRAMES.iter().cycle() {
                let _ = write!(err, "\r\x1b[2K{frame} {message}");
                let _ = err.flush();
                if !matches!(stopped.recv_timeout(TICK), Err(RecvTimeoutError::Timeout)) {
                    break;
                }
            }
            let _ = write!(err, "\r\x1b[2K\x1b[?25h");
            let _ = err.flush();
        });
        Self {
            stop: Some(stop),
            thread: Some(thread),
        }
    }
}

impl Drop for Spinner {
    fn drop(&mut self) {
        // dropping the sender wakes the thread; joining makes sure the line is clear before
        // anything else is printed
        self.stop.take();
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    #[test]
    fn a_disabled_spinner_starts_no_thread() {
        let spinner = Spinner::start("waiting", false);
        assert!(spinner.thread.is_none());
    }

    #[test]
    fn an_enabled_spinner_stops_when_dropped() {
        let spinner = Spinner::start("waiting", true);
        assert!(spinner.thread.is_some());
        drop(spinner); // must not hang
    }
}
