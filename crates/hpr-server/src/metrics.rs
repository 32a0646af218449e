//! Prometheus metrics: requests by route and status, step latencies, registrations started and
//! completed. Labels are route templates and step names only, never ids or personal data.

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::registry::Registry;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RequestLabels {
    method: String,
    route: String,
    status: u16,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct StepLabels {
    step: String,
    outcome: &'static str,
}

/// The service's metrics.
pub struct Metrics {
    registry: Registry,
    requests: Family<RequestLabels, Counter>,
    steps: Family<StepLabels, Histogram, fn() -> Histogram>,
    started: Counter,
    completed: Counter,
}

impl std::fmt::Debug for Metrics {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Metrics")
    }
}

fn step_histogram() -> Histogram {
    // 1 ms to ~16 s: the in-process sandbox answers in microseconds, a registry in seconds
    Histogram::new([
        0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 16.0,
    ])
}

impl Default for Metrics {
    fn default() -> Self {
        let mut registry = Registry::with_prefix("hpr");
        let requests = Family::<RequestLabels, Counter>::default();
        let steps = Family::<StepLabels, Histogram, fn() -> Histogram>::new_with_constructor(
            step_histogram as fn() -> Histogram,
        );
        let started = Counter::default();
        let completed = Counter::default();
        registry.register(
            "http_requests",
            "HTTP requests by method, route template and status",
            requests.clone(),
        );
        registry.register(
            "step_duration_seconds",
            "Time to run one registration step (registry call and database), by step and outcome",
            steps.clone(),
        );
        registry.register(
            "registrations_started",
            "Registrations started (Aadhaar OTP sent)",
            started.clone(),
        );
        registry.register(
            "registrations_completed",
            "Registrations that reached an HPR ID (created or already existing)",
            completed.clone(),
        );
        Self {
            registry,
            requests,
            steps,
            started,
            completed,
        }
    }
}

impl Metrics {
    /// Counts one answered request.
    pub fn request(&self, method: &str, route: &str, status: u16) {
        self.requests
            .get_or_create(&RequestLabels {
                method: method.to_owned(),
                route: route.to_owned(),
                status,
            })
            .inc();
    }

    /// Records one step's duration; `ok` tells whether it succeeded.
    pub fn step(&self, step: &str, ok: bool, seconds: f64) {
        self.steps
            .get_or_create(&StepLabels {
                step: step.to_owned(),
                outcome: if ok { "ok" } else { "error" },
            })
            .observe(seconds);
    }

    /// Counts a registration started.
    pub fn started(&self) {
        self.started.inc();
    }

    /// Counts a registration completed.
    pub fn completed(&self) {
        self.completed.inc();
    }

    /// The Prometheus text exposition.
    pub fn encode(&self) -> String {
        let mut text = String::new();
        if prometheus_client::encoding::text::encode(&mut text, &self.registry).is_err() {
            text.clear();
        }
        text
    }
}
