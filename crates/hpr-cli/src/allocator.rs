//! The `hpr` binary's allocator: jemalloc, whose purge thread the long-running commands start.
//!
//! jemalloc with a background purge thread gives freed memory back to the OS within about a
//! second (decay times in `.cargo/config.toml`): after a burst of slow connections `hpr sandbox`
//! returns near its baseline, where glibc's malloc kept 25–40 MiB in its arenas. The thread is
//! not started at start-up: a one-shot `hpr step` lives a few milliseconds, frees almost nothing,
//! and starting then joining the thread cost it about 0.4 ms of its ~4 ms.

#[global_allocator]
static GLOBAL: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

/// Starts jemalloc's background purge thread, for a command that runs until it is stopped
/// (`hpr sandbox`, `hpr serve`). Without it jemalloc still purges, only later and on the
/// threads that allocate, so a failure is logged and the command goes on.
pub fn purge_in_background() {
    if let Err(e) = tikv_jemalloc_ctl::background_thread::write(true) {
        tracing::warn!(
            "jemalloc's background purge thread did not start ({e}); memory is purged on allocation instead"
        );
    }
}

#[cfg(test)]
#[allow(clippy::expect_used)]
mod tests {
    use super::*;
    use tikv_jemalloc_ctl::{background_thread, opt};

    #[test]
    fn the_purge_thread_starts_on_request_not_at_start_up() {
        assert!(
            !opt::background_thread::read().expect("opt.background_thread"),
            "jemalloc must not start its purge thread at start-up (see .cargo/config.toml)"
        );
        purge_in_background();
        assert!(background_thread::read().expect("background_thread"));
    }
}
