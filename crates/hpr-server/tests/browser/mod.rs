//! A real browser for the tests: Debian's headless Chromium driven through `chromedriver`
//! (WebDriver) with `fantoccini`, plain http on loopback.
//!
//! [`Browser::start`] starts `chromedriver --port=<free port>`, waits (bounded) until it
//! answers `GET /status`, and opens a session with a fresh profile in a temporary folder, the
//! window size of [`Opts`] and JavaScript on or off. On [`Browser::close`] (or drop, e.g. after
//! a failed assertion) the session ends and chromedriver, Chromium and every process still
//! running with that profile folder are killed; every wait is bounded.
//!
//! Helpers follow the web page's contract (`src/web/CONTRACT.md`): [`Browser::wait_for_step`]
//! waits for `body[data-step=…]`, [`Browser::submit`] clicks `button#continue`, and so on.
//! [`Browser::screenshot`] writes `<target>/screenshots/<name>-<width>.png`;
//! [`Browser::axe`] injects `axe-core` (installed with npm under `<target>/npm/` on first use)
//! and keeps a tally over the steps checked, which [`Browser::report`] prints.
//!
//! Without `/usr/bin/chromium` and `/usr/bin/chromedriver` (or `HPR_CHROMIUM` /
//! `HPR_CHROMEDRIVER`), [`Browser::start`] panics with how to install them, unless
//! `HPR_SKIP_BROWSER_TESTS=1` is set: then it says so and returns `None` (the test skips).
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

#[path = "../../../hpr-sandbox/tests/support/setup_lock.rs"]
mod setup_lock;

use std::collections::BTreeMap;
use std::fmt;
use std::fs;
use std::io::ErrorKind;
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use fantoccini::actions::{InputSource as _, KeyAction, KeyActions};
use fantoccini::key::Key;
use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::{Value, json};
use setup_lock::SetupLock;

/// The environment variable that turns a missing Chromium into a skip.
pub const SKIP_ENV: &str = "HPR_SKIP_BROWSER_TESTS";

/// Any single WebDriver command (navigation included) may take this long.
pub const COMMAND_LIMIT: Duration = Duration::from_secs(30);
/// [`Browser::wait_for_step`] and [`Browser::wait_for`] wait this long.
pub const WAIT_LIMIT: Duration = Duration::from_secs(20);
/// chromedriver must answer `GET /status` within this.
const DRIVER_START_LIMIT: Duration = Duration::from_secs(20);
/// `npm install axe-core` may take this long.
const NPM_LIMIT: Duration = Duration::from_secs(300);
/// How long a test waits for another test binary's axe-core install.
const LOCK_WAIT: Duration = Duration::from_secs(10 * 60);

/// The axe-core rules run on every page: WCAG 2.0/2.1 A and AA, and best practices.
pub const AXE_TAGS: [&str; 5] = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"];

/// Timers as microtasks, for axe on a page whose JavaScript is disabled (see [`Browser::axe`]).
const TIMER_SHIM: &str = r"
    if (!window.__hprTimerShim) {
      window.__hprTimerShim = { next: 0, cleared: new Set() };
      const shim = window.__hprTimerShim;
      const later = (fn, args) => {
        const id = ++shim.next;
        Promise.resolve().then(() => {
          if (!shim.cleared.has(id) && typeof fn === 'function') fn(...args);
        });
        return id;
      };
      window.setTimeout = (fn, _ms, ...args) => later(fn, args);
      window.clearTimeout = (id) => shim.cleared.add(id);
      window.requestAnimationFrame = (fn) => later(fn, [performance.now()]);
      window.cancelAnimationFrame = (id) => shim.cleared.add(id);
      window.requestIdleCallback = (fn) =>
        later(fn, [{ didTimeout: false, timeRemaining: () => 50 }]);
      window.cancelIdleCallback = (id) => shim.cleared.add(id);
    }
";

/// At most this many browsers at once in one test binary (each Chromium takes a few hundred MB).
static SLOTS: tokio::sync::Semaphore = tokio::sync::Semaphore::const_new(3);

/// The two window sizes of the issue.
pub const MOBILE: (u32, u32) = (360, 800);
pub const DESKTOP: (u32, u32) = (1280, 900);

/// How to start the browser.
#[derive(Debug, Clone, Copy)]
pub struct Opts {
    pub width: u32,
    pub height: u32,
    pub javascript: bool,
}

impl Opts {
    /// 360×800, JavaScript on.
    pub fn mobile() -> Self {
        Self {
            width: MOBILE.0,
            height: MOBILE.1,
            javascript: true,
        }
    }

    /// 1280×900, JavaScript on.
    pub fn desktop() -> Self {
        Self {
            width: DESKTOP.0,
            height: DESKTOP.1,
            javascript: true,
        }
    }

    /// The same with JavaScript disabled.
    pub fn without_js(self) -> Self {
        Self {
            javascript: false,
            ..self
        }
    }
}

/// One axe-core violation on one page.
#[derive(Debug, Clone)]
pub struct Violation {
    /// The rule, e.g. `label`.
    pub id: String,
    /// `minor`, `moderate`, `serious` or `critical`.
    pub impact: String,
    /// How many elements violate it.
    pub nodes: usize,
    /// The rule's one-line help.
    pub help: String,
    /// The first few offending elements (CSS selectors).
    pub targets: Vec<String>,
}

impl fmt::Display for Violation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} ({}, {} node{}: {}) {}",
            self.id,
            self.impact,
            self.nodes,
            if self.nodes == 1 { "" } else { "s" },
            self.targets.join(", "),
            self.help
        )
    }
}

/// The running tally of [`Browser::axe`].
#[derive(Debug, Clone, Default)]
pub struct AxeTally {
    /// The steps checked, in order.
    pub steps: Vec<String>,
    /// Violations (rules × pages) by impact.
    pub by_impact: BTreeMap<String, usize>,
    /// Every violation, with the step it was found on.
    pub violations: Vec<(String, Violation)>,
}

impl AxeTally {
    /// Violations of impact `serious` or `critical`.
    pub fn serious_or_critical(&self) -> Vec<&(String, Violation)> {
        self.violations
            .iter()
            .filter(|(_, v)| v.impact == "serious" || v.impact == "critical")
            .collect()
    }

    /// Panics, listing them, if any violation is `serious` or `critical`.
    pub fn assert_no_serious(&self) {
        let bad = self.serious_or_critical();
        assert!(
            bad.is_empty(),
            "axe-core found serious or critical violations:\n{}",
            bad.iter()
                .map(|(step, v)| format!("  [{step}] {v}"))
                .collect::<Vec<_>>()
                .join("\n")
        );
    }
}

impl fmt::Display for AxeTally {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let counts = ["critical", "serious", "moderate", "minor"]
            .iter()
            .map(|impact| {
                format!(
                    "{impact} {}",
                    self.by_impact.get(*impact).copied().unwrap_or(0)
                )
            })
            .collect::<Vec<_>>()
            .join(", ");
        write!(
            f,
            "axe-core {}: {} step(s) checked ({}); violations by impact: {counts}",
            AXE_TAGS.join("+"),
            self.steps.len(),
            self.steps.join(", ")
        )?;
        for (step, v) in &self.violations {
            write!(f, "\n  [{step}] {v}")?;
        }
        Ok(())
    }
}

/// The Chromium and chromedriver binaries, if both exist.
fn binaries() -> Option<(PathBuf, PathBuf)> {
    let chromium = std::env::var_os("HPR_CHROMIUM")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("/usr/bin/chromium"));
    let driver = std::env::var_os("HPR_CHROMEDRIVER")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("/usr/bin/chromedriver"));
    (chromium.is_file() && driver.is_file()).then_some((chromium, driver))
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// The build's `target/` folder: `CARGO_TARGET_DIR` if set when the test runs, else the one
/// this test binary was built in.
pub fn target_dir() -> PathBuf {
    if let Some(dir) = std::env::var_os("CARGO_TARGET_DIR") {
        let dir = PathBuf::from(dir);
        return if dir.is_absolute() {
            dir
        } else {
            Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("../..")
                .join(dir)
        };
    }
    // <target>/tmp
    Path::new(env!("CARGO_TARGET_TMPDIR"))
        .parent()
        .map(Path::to_owned)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target"))
}

/// Where screenshots go: `<target>/screenshots/`.
pub fn screenshot_dir() -> PathBuf {
    target_dir().join("screenshots")
}

/// Bounds one WebDriver command.
async fn bounded<T, E: fmt::Debug>(
    what: &str,
    fut: impl Future<Output = Result<T, E>>,
) -> Result<T, String> {
    match tokio::time::timeout(COMMAND_LIMIT, fut).await {
        Ok(Ok(v)) => Ok(v),
        Ok(Err(e)) => Err(format!("{what}: {e:?}")),
        Err(_) => Err(format!("{what}: no answer within {COMMAND_LIMIT:?}")),
    }
}

/// A headless Chromium session; see the module documentation.
pub struct Browser {
    client: Option<Client>,
    driver: Option<Child>,
    /// The profile (`--user-data-dir`) and chromedriver's log.
    dir: Option<tempfile::TempDir>,
    pub opts: Opts,
    tally: AxeTally,
    shots: Vec<PathBuf>,
    _slot: tokio::sync::SemaphorePermit<'static>,
}

impl Browser {
    /// Starts chromedriver and a session, or `None` (after saying why) when Chromium is not
    /// installed and `HPR_SKIP_BROWSER_TESTS=1`. Panics, saying how to install it, otherwise.
    pub async fn start(opts: Opts) -> Option<Self> {
        let Some((chromium, driver_bin)) = binaries() else {
            if std::env::var(SKIP_ENV).is_ok_and(|v| v == "1") {
                eprintln!(
                    "skipping: no /usr/bin/chromium and /usr/bin/chromedriver (or HPR_CHROMIUM, \
                     HPR_CHROMEDRIVER), and {SKIP_ENV}=1"
                );
                return None;
            }
            panic!(
                "the browser tests need Chromium and chromedriver (/usr/bin/chromium, \
                 /usr/bin/chromedriver, or HPR_CHROMIUM and HPR_CHROMEDRIVER). Install them \
                 (Debian: `sudo apt-get install chromium chromium-driver`; .ci/run does it as \
                 root), or set {SKIP_ENV}=1 to skip these tests"
            );
        };
        let slot = tokio::time::timeout(Duration::from_secs(15 * 60), SLOTS.acquire())
            .await
            .expect("a browser slot within 15 minutes")
            .unwrap();
        let dir = tempfile::Builder::new()
            .prefix("hpr-browser-")
            .tempdir()
            .unwrap();
        let profile = dir.path().join("profile");
        fs::create_dir(&profile).unwrap();
        let log = dir.path().join("chromedriver.log");
        let port = free_port();
        let mut cmd = Command::new(&driver_bin);
        cmd.arg(format!("--port={port}"))
            .arg(format!("--log-path={}", log.display()))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        {
            // its own process group, so that Chromium (its child) can be killed with it
            use std::os::unix::process::CommandExt as _;
            cmd.process_group(0);
        }
        let driver = cmd
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {}: {e}", driver_bin.display()));
        let mut browser = Browser {
            client: None,
            driver: Some(driver),
            dir: Some(dir),
            opts,
            tally: AxeTally::default(),
            shots: Vec::new(),
            _slot: slot,
        };
        let url = format!("http://127.0.0.1:{port}");
        browser.wait_for_driver(&url).await;

        let mut args = vec![
            "--headless=new".to_owned(),
            "--no-sandbox".to_owned(),
            "--disable-gpu".to_owned(),
            "--disable-dev-shm-usage".to_owned(),
            "--disable-quic".to_owned(),
            "--no-first-run".to_owned(),
            "--no-default-browser-check".to_owned(),
            "--disable-background-networking".to_owned(),
            "--disable-component-update".to_owned(),
            "--disable-sync".to_owned(),
            "--disable-extensions".to_owned(),
            "--disable-breakpad".to_owned(),
            "--disable-crash-reporter".to_owned(),
            "--hide-scrollbars".to_owned(),
            format!("--window-size={},{}", opts.width, opts.height),
            format!("--user-data-dir={}", profile.display()),
        ];
        args.push("--lang=en-US".to_owned());
        let mut prefs = serde_json::Map::new();
        if !opts.javascript {
            prefs.insert(
                "profile.managed_default_content_settings.javascript".to_owned(),
                json!(2),
            );
        }
        let mut caps = serde_json::Map::new();
        caps.insert("browserName".to_owned(), json!("chrome"));
        caps.insert(
            "goog:chromeOptions".to_owned(),
            json!({
                "binary": chromium,
                "args": args,
                "prefs": prefs,
            }),
        );
        caps.insert(
            "timeouts".to_owned(),
            json!({"pageLoad": 30_000, "script": 30_000, "implicit": 0}),
        );
        let connector = hyper_util::client::legacy::connect::HttpConnector::new();
        let client = match tokio::time::timeout(
            COMMAND_LIMIT,
            ClientBuilder::new(connector)
                .capabilities(caps)
                .connect(&url),
        )
        .await
        {
            Ok(Ok(client)) => client,
            Ok(Err(e)) => panic!(
                "chromedriver did not start a Chromium session: {e}\n{}",
                browser.driver_log()
            ),
            Err(_) => panic!(
                "chromedriver did not start a Chromium session within {COMMAND_LIMIT:?}\n{}",
                browser.driver_log()
            ),
        };
        browser.client = Some(client);
        // the content area, not the window, should be the size asked for
        browser.fit_viewport().await;
        Some(browser)
    }

    async fn wait_for_driver(&self, url: &str) {
        let started = Instant::now();
        let status = format!("{url}/status");
        let addr = url.trim_start_matches("http://").to_owned();
        loop {
            if let Ok(Ok(true)) =
                tokio::time::timeout(Duration::from_secs(2), status_ok(&addr)).await
            {
                return;
            }
            assert!(
                started.elapsed() < DRIVER_START_LIMIT,
                "chromedriver did not answer GET {status} within {DRIVER_START_LIMIT:?}\n{}",
                self.driver_log()
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Resizes the window so that the viewport is `opts.width` × `opts.height`.
    async fn fit_viewport(&self) {
        let inner = self
            .execute("return [window.innerWidth, window.innerHeight];", vec![])
            .await;
        let (w, h) = (
            inner[0].as_u64().unwrap_or(0),
            inner[1].as_u64().unwrap_or(0),
        );
        if (w, h) == (u64::from(self.opts.width), u64::from(self.opts.height)) || w == 0 {
            return;
        }
        let (ow, oh) = bounded("get window size", self.client().get_window_size())
            .await
            .unwrap();
        let width = ow + u64::from(self.opts.width) - w.min(ow + u64::from(self.opts.width));
        let height = oh + u64::from(self.opts.height) - h.min(oh + u64::from(self.opts.height));
        let _ = bounded(
            "set window size",
            self.client()
                .set_window_size(width.try_into().unwrap(), height.try_into().unwrap()),
        )
        .await;
    }

    /// The last lines of chromedriver's log, for failure messages.
    pub fn driver_log(&self) -> String {
        let Some(dir) = &self.dir else {
            return String::new();
        };
        let text = fs::read_to_string(dir.path().join("chromedriver.log")).unwrap_or_default();
        let lines: Vec<&str> = text.lines().collect();
        let tail = lines[lines.len().saturating_sub(30)..].join("\n");
        format!("(chromedriver log, last lines)\n{tail}")
    }

    /// The Chromium profile folder (`--user-data-dir`), on the command line of every Chromium
    /// process of this browser.
    pub fn profile_dir(&self) -> PathBuf {
        self.dir
            .as_ref()
            .map(|d| d.path().join("profile"))
            .unwrap_or_default()
    }

    /// The WebDriver client, for what the helpers do not cover.
    pub fn client(&self) -> &Client {
        self.client.as_ref().expect("the session is open")
    }

    /// The window width (the suffix of screenshot names).
    pub fn width(&self) -> u32 {
        self.opts.width
    }

    /// Opens `url`.
    pub async fn goto(&self, url: &str) {
        bounded(&format!("goto {url}"), self.client().goto(url))
            .await
            .unwrap();
    }

    /// The current URL.
    pub async fn url(&self) -> String {
        bounded("current url", self.client().current_url())
            .await
            .map(|u| u.to_string())
            .unwrap_or_else(|e| format!("<{e}>"))
    }

    /// Runs `script` (a function body; `arguments` holds `args`) and returns what it returns.
    pub async fn execute(&self, script: &str, args: Vec<Value>) -> Value {
        bounded("execute script", self.client().execute(script, args))
            .await
            .unwrap()
    }

    /// The page's `body[data-step]`, or a description of why there is none.
    pub async fn current_step(&self) -> String {
        match tokio::time::timeout(COMMAND_LIMIT, self.client().find(Locator::Css("body"))).await {
            Ok(Ok(body)) => match bounded("data-step", body.attr("data-step")).await {
                Ok(Some(step)) => step,
                Ok(None) => "<no data-step on body>".to_owned(),
                Err(e) => format!("<{e}>"),
            },
            Ok(Err(e)) => format!("<no body: {e}>"),
            Err(_) => "<no answer>".to_owned(),
        }
    }

    /// Waits until `css` matches an element; panics (with the URL and step) after
    /// [`WAIT_LIMIT`].
    pub async fn wait_for(&self, css: &str) {
        let started = Instant::now();
        loop {
            if self.exists(css).await {
                return;
            }
            if started.elapsed() > WAIT_LIMIT {
                panic!(
                    "waited {WAIT_LIMIT:?} for `{css}`; the page is {} with body[data-step={}]; \
                     its text begins: {:.600}",
                    self.url().await,
                    self.current_step().await,
                    self.text("body").await.unwrap_or_default()
                );
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Waits until the page is `body[data-step=step]`; panics after [`WAIT_LIMIT`] with the
    /// URL, the page's step and the error summary if any.
    pub async fn wait_for_step(&self, step: &str) {
        self.wait_for_step_within(step, WAIT_LIMIT).await;
    }

    /// [`Browser::wait_for_step`] with another limit.
    pub async fn wait_for_step_within(&self, step: &str, limit: Duration) {
        let css = format!("body[data-step={step}]");
        let started = Instant::now();
        loop {
            if self.exists(&css).await {
                return;
            }
            if started.elapsed() > limit {
                let summary = self.text("#error-summary").await;
                panic!(
                    "waited {limit:?} for body[data-step={step}]; the page is {} with \
                     body[data-step={}]{}",
                    self.url().await,
                    self.current_step().await,
                    summary
                        .map(|s| format!("; its error summary says: {s}"))
                        .unwrap_or_default()
                );
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Whether `css` matches an element now.
    pub async fn exists(&self, css: &str) -> bool {
        match tokio::time::timeout(COMMAND_LIMIT, self.client().find_all(Locator::Css(css))).await {
            Ok(Ok(found)) => !found.is_empty(),
            Ok(Err(e)) => panic!("find `{css}`: {e}"),
            Err(_) => panic!("find `{css}`: no answer within {COMMAND_LIMIT:?}"),
        }
    }

    async fn find(&self, css: &str) -> fantoccini::elements::Element {
        match tokio::time::timeout(COMMAND_LIMIT, self.client().find(Locator::Css(css))).await {
            Ok(Ok(element)) => element,
            Ok(Err(e)) => panic!(
                "no `{css}` on {} (body[data-step={}]): {e}",
                self.url().await,
                self.current_step().await
            ),
            Err(_) => panic!("find `{css}`: no answer within {COMMAND_LIMIT:?}"),
        }
    }

    /// The visible text of the first element matching `css`, if any.
    pub async fn text(&self, css: &str) -> Option<String> {
        let found = bounded("find", self.client().find_all(Locator::Css(css)))
            .await
            .unwrap();
        let first = found.into_iter().next()?;
        Some(bounded("text", first.text()).await.unwrap())
    }

    /// The attribute `name` of the first element matching `css` (`None` if either is absent).
    pub async fn attr(&self, css: &str, name: &str) -> Option<String> {
        let found = bounded("find", self.client().find_all(Locator::Css(css)))
            .await
            .unwrap();
        let first = found.into_iter().next()?;
        bounded("attr", first.attr(name)).await.unwrap()
    }

    /// Clears the text field named `name` (an `input` that is not hidden, or a `textarea`)
    /// and types `value`.
    pub async fn fill(&self, name: &str, value: &str) {
        let css = format!("input[name=\"{name}\"]:not([type=hidden]), textarea[name=\"{name}\"]");
        let field = self.find(&css).await;
        bounded(&format!("clear {name}"), field.clear())
            .await
            .unwrap();
        bounded(&format!("type into {name}"), field.send_keys(value))
            .await
            .unwrap();
    }

    /// Chooses `value` in the `select` named `name`.
    pub async fn select(&self, name: &str, value: &str) {
        let field = self.find(&format!("select[name=\"{name}\"]")).await;
        bounded(
            &format!("select {value} in {name}"),
            field.select_by_value(value),
        )
        .await
        .unwrap();
    }

    /// Clicks the first element matching `css`.
    pub async fn click(&self, css: &str) {
        let element = self.find(css).await;
        bounded(&format!("click {css}"), element.click())
            .await
            .unwrap();
    }

    /// Clicks `button#continue`.
    pub async fn submit(&self) {
        self.click("button#continue").await;
    }

    /// The `id` of the focused element (`""` when it has none, e.g. `body`).
    pub async fn focused_id(&self) -> String {
        let element = bounded("active element", self.client().active_element())
            .await
            .unwrap();
        bounded("id", element.attr("id"))
            .await
            .unwrap()
            .unwrap_or_default()
    }

    /// Presses and releases `key` on whatever has the focus.
    pub async fn press(&self, key: Key) {
        let value = key.chars().next().unwrap();
        let actions = KeyActions::new("keyboard".to_owned())
            .then(KeyAction::Down { value })
            .then(KeyAction::Up { value });
        bounded("key press", self.client().perform_actions(actions))
            .await
            .unwrap();
    }

    /// Types `text` (plain characters) on whatever has the focus.
    pub async fn type_keys(&self, text: &str) {
        let mut actions = KeyActions::new("keyboard".to_owned());
        for value in text.chars() {
            actions = actions
                .then(KeyAction::Down { value })
                .then(KeyAction::Up { value });
        }
        bounded("typing", self.client().perform_actions(actions))
            .await
            .unwrap();
    }

    /// Writes the viewport as `<target>/screenshots/<name>-<width>.png`; its path.
    ///
    /// The whole page, not just the viewport: for a page taller than the window, the window
    /// grows to the page's height for the shot (the width stays) and shrinks back after.
    pub async fn screenshot(&mut self, name: &str) -> PathBuf {
        let sizes = self
            .execute(
                "return [document.documentElement.scrollHeight, window.innerHeight];",
                vec![],
            )
            .await;
        let page = sizes[0].as_u64().unwrap_or(0).min(8000);
        let view = sizes[1].as_u64().unwrap_or(0);
        let window = if page > view && view > 0 {
            let (w, h) = bounded("get window size", self.client().get_window_size())
                .await
                .unwrap();
            bounded(
                "grow the window",
                self.client()
                    .set_window_size(w.try_into().unwrap(), (h + page - view).try_into().unwrap()),
            )
            .await
            .unwrap();
            Some((w, h))
        } else {
            None
        };
        let png = bounded("screenshot", self.client().screenshot()).await;
        if let Some((w, h)) = window {
            bounded(
                "restore the window",
                self.client()
                    .set_window_size(w.try_into().unwrap(), h.try_into().unwrap()),
            )
            .await
            .unwrap();
        }
        let png = png.unwrap();
        assert!(
            png.starts_with(b"\x89PNG\r\n\x1a\n"),
            "the screenshot is not a PNG"
        );
        let dir = screenshot_dir();
        fs::create_dir_all(&dir).unwrap_or_else(|e| panic!("cannot create {}: {e}", dir.display()));
        let path = dir.join(format!("{name}-{}.png", self.opts.width));
        fs::write(&path, &png).unwrap_or_else(|e| panic!("cannot write {}: {e}", path.display()));
        if !self.shots.contains(&path) {
            self.shots.push(path.clone());
        }
        path
    }

    /// The screenshots written so far.
    pub fn screenshots(&self) -> &[PathBuf] {
        &self.shots
    }

    /// Injects axe-core into the page (WebDriver's script execution is not subject to the
    /// page's Content-Security-Policy), runs it with [`AXE_TAGS`] and adds the result to the
    /// tally under `step`; the violations on this page.
    pub async fn axe(&mut self, step: &str) -> Vec<Violation> {
        let source = axe_source();
        let loaded = self
            .execute(
                &format!(
                    "if (typeof window.axe === 'undefined') {{ {source}\n }} return typeof window.axe;"
                ),
                vec![],
            )
            .await;
        assert_eq!(
            loaded,
            json!("object"),
            "axe-core did not load into {}",
            self.url().await
        );
        if !self.opts.javascript {
            // With JavaScript disabled by the content setting, WebDriver's scripts still run
            // and so do promise callbacks, but timers never fire, and axe.run waits on them:
            // run timer callbacks as microtasks instead (the page itself runs no script).
            self.execute(TIMER_SHIM, vec![]).await;
        }
        let script = r"
            const done = arguments[arguments.length - 1];
            window.axe
              .run(document, { runOnly: { type: 'tag', values: arguments[0] } })
              .then((r) => done({
                violations: r.violations.map((v) => ({
                  id: v.id,
                  impact: v.impact || 'unknown',
                  nodes: v.nodes.length,
                  help: v.help,
                  targets: v.nodes.slice(0, 3).map((n) => n.target.join(' ')),
                })),
                passes: r.passes.length,
              }))
              .catch((e) => done({ error: String(e) }));
        ";
        let result = bounded(
            "axe.run",
            self.client().execute_async(script, vec![json!(AXE_TAGS)]),
        )
        .await
        .unwrap();
        if let Some(error) = result.get("error") {
            panic!("axe.run failed on {}: {error}", self.url().await);
        }
        let violations: Vec<Violation> = result["violations"]
            .as_array()
            .expect("axe's violations")
            .iter()
            .map(|v| Violation {
                id: v["id"].as_str().unwrap_or_default().to_owned(),
                impact: v["impact"].as_str().unwrap_or("unknown").to_owned(),
                nodes: v["nodes"].as_u64().unwrap_or(0).try_into().unwrap(),
                help: v["help"].as_str().unwrap_or_default().to_owned(),
                targets: v["targets"]
                    .as_array()
                    .map(|t| {
                        t.iter()
                            .filter_map(|s| s.as_str().map(str::to_owned))
                            .collect()
                    })
                    .unwrap_or_default(),
            })
            .collect();
        let label = format!("{step}@{}", self.opts.width);
        self.tally.steps.push(label.clone());
        for v in &violations {
            *self.tally.by_impact.entry(v.impact.clone()).or_default() += 1;
            self.tally.violations.push((label.clone(), v.clone()));
        }
        violations
    }

    /// What [`Browser::axe`] found so far.
    pub fn tally(&self) -> &AxeTally {
        &self.tally
    }

    /// Waits for `step`, writes the screenshot `<prefix>-<step>-<width>.png` and runs axe.
    pub async fn check_step(&mut self, prefix: &str, step: &str) {
        self.wait_for_step(step).await;
        self.screenshot(&format!("{prefix}-{step}")).await;
        self.axe(step).await;
    }

    /// Prints the screenshots written and the axe tally.
    pub fn report(&self, test: &str) {
        println!("== {test}: screenshots written ({}):", self.shots.len());
        for shot in &self.shots {
            println!("  {}", shot.display());
        }
        println!("== {test}: {}", self.tally);
    }

    /// Ends the session (Chromium quits) and stops chromedriver.
    pub async fn close(mut self) {
        if let Some(client) = self.client.take() {
            let _ = tokio::time::timeout(Duration::from_secs(10), client.close()).await;
        }
        self.kill();
    }

    /// Kills chromedriver's process group and anything still running with our profile.
    fn kill(&mut self) {
        if let Some(mut driver) = self.driver.take() {
            let pgid = driver.id();
            let _ = Command::new("kill")
                .args(["-KILL", "--", &format!("-{pgid}")])
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .status();
            let _ = driver.kill();
            let _ = driver.wait();
        }
        if let Some(dir) = &self.dir {
            let marker = dir.path().join("profile");
            let started = Instant::now();
            loop {
                let left = processes_with(&marker);
                if left.is_empty() || started.elapsed() > Duration::from_secs(5) {
                    break;
                }
                for pid in left {
                    let _ = Command::new("kill")
                        .args(["-KILL", &pid.to_string()])
                        .stdin(Stdio::null())
                        .stdout(Stdio::null())
                        .stderr(Stdio::null())
                        .status();
                }
                std::thread::sleep(Duration::from_millis(100));
            }
        }
        self.dir.take();
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        // the session's client task dies with its runtime; the processes are ours to end
        self.client.take();
        self.kill();
    }
}

/// Whether `GET /status` on `addr` answers 200 (plain HTTP/1.1 over TCP).
async fn status_ok(addr: &str) -> std::io::Result<bool> {
    use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
    let mut stream = tokio::net::TcpStream::connect(addr).await?;
    stream
        .write_all(
            format!("GET /status HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n").as_bytes(),
        )
        .await?;
    let mut head = [0u8; 12];
    stream.read_exact(&mut head).await?;
    Ok(head.starts_with(b"HTTP/1.1 200"))
}

/// The processes whose command line mentions `marker` (our profile folder).
pub fn processes_with(marker: &Path) -> Vec<u32> {
    let needle = marker.to_string_lossy().into_owned();
    let Ok(entries) = fs::read_dir("/proc") else {
        return Vec::new();
    };
    entries
        .filter_map(Result::ok)
        .filter_map(|e| e.file_name().to_str()?.parse::<u32>().ok())
        .filter(|pid| {
            fs::read(format!("/proc/{pid}/cmdline"))
                .is_ok_and(|c| String::from_utf8_lossy(&c).contains(&needle))
        })
        .collect()
}

/// axe-core's `axe.min.js`, installed with npm under `<target>/npm/` when missing (one test
/// process at a time; others wait on a lock).
pub fn axe_source() -> &'static str {
    static SOURCE: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    SOURCE.get_or_init(|| {
        let prefix = target_dir().join("npm");
        let file = prefix.join("node_modules/axe-core/axe.min.js");
        if !file.is_file() {
            let _lock = SetupLock::acquire(&target_dir().join("npm.lock"), LOCK_WAIT);
            if !file.is_file() {
                npm_install_axe(&prefix);
            }
        }
        fs::read_to_string(&file).unwrap_or_else(|e| panic!("cannot read {}: {e}", file.display()))
    })
}

fn npm_install_axe(prefix: &Path) {
    fs::create_dir_all(prefix)
        .unwrap_or_else(|e| panic!("cannot create {}: {e}", prefix.display()));
    let started = Instant::now();
    let mut child = match Command::new("npm")
        .args(["install", "--prefix"])
        .arg(prefix)
        .args([
            "axe-core@4",
            "--no-audit",
            "--no-fund",
            "--no-save",
            "--no-package-lock",
        ])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
    {
        Ok(child) => child,
        Err(e) if e.kind() == ErrorKind::NotFound => panic!(
            "npm was not found on PATH. The browser tests install axe-core with npm into {} \
             (Debian: apt-get install npm; or Node.js from nodejs.org)",
            prefix.display()
        ),
        Err(e) => panic!("cannot run npm: {e}"),
    };
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if started.elapsed() > NPM_LIMIT {
            let _ = child.kill();
            let _ = child.wait();
            panic!("npm install axe-core@4 took more than {NPM_LIMIT:?}; killed");
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    let output = child.wait_with_output().unwrap();
    assert!(
        status.success(),
        "npm install --prefix {} axe-core@4 failed ({status}):\n{}\n{}",
        prefix.display(),
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}

/// Whether fontconfig knows a font for Hindi (without one, Devanagari renders as boxes in
/// screenshots; the DOM checks still hold). `.ci/run` installs `fonts-lohit-deva`.
pub fn devanagari_font_installed() -> bool {
    Command::new("fc-list")
        .arg(":lang=hi")
        .stdin(Stdio::null())
        .stderr(Stdio::null())
        .output()
        .is_ok_and(|o| o.status.success() && !o.stdout.is_empty())
}

/// Whether `text` has a Devanagari letter.
pub fn has_devanagari(text: &str) -> bool {
    text.chars().any(|c| ('\u{0900}'..='\u{097F}').contains(&c))
}

/// The width and height in a PNG's IHDR.
pub fn png_size(png: &[u8]) -> Option<(u32, u32)> {
    if png.len() < 24 || !png.starts_with(b"\x89PNG\r\n\x1a\n") || &png[12..16] != b"IHDR" {
        return None;
    }
    let w = u32::from_be_bytes(png[16..20].try_into().ok()?);
    let h = u32::from_be_bytes(png[20..24].try_into().ok()?);
    Some((w, h))
}
