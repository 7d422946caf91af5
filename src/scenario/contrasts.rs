//! The typed sections of the two contrast designs of issue 5, kept apart from `model.rs` so the log
//! and queue model stays as it was. `services` describes N services and how they are integrated
//! (`"design": "rest"`: synchronous calls; `"design": "events"`: each service consumes its input
//! and publishes to the next); `fraud` describes a fraud rule evaluated by a batch job
//! (`"design": "batch"`) or a stream processor (`"design": "stream"`). `parse.rs` reads them with
//! every error on its JSON path; `Serialize` writes back what it reads.

use serde::Serialize;

use super::model::ProcessingSpec;

/// The services of the `rest` and `events` designs and the REST clients' settings.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ServicesSpec {
    /// The services; the first one is the entry: every record a producer sends is a request (rest)
    /// or an event (events) arriving there.
    pub list: Vec<ServiceSpec>,
    pub rest: RestSpec,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ServiceSpec {
    pub name: String,
    /// Own work per request or event, like a consumer group's `processing_ms`.
    pub processing_ms: ProcessingSpec,
    /// Instances (rest) or consumer group members (events). Default 1.
    pub replicas: u32,
    /// Worker threads per replica: requests served at once (rest), events processed at once (events).
    /// Default 8.
    pub concurrency: u32,
    /// Downstream services. Rest: called one after the other, synchronously, after the own work.
    /// Events: they consume what this service publishes.
    pub calls: Vec<String>,
}

/// The HTTP clients' settings (every caller, the external client included).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct RestSpec {
    /// How long a caller waits for a response before it gives up on the attempt. Default 1000.
    #[serde(rename = "timeout.ms")]
    pub timeout_ms: u64,
    /// Attempts after the first when one fails (error, rejection, timeout). Default 2.
    pub retries: u32,
    #[serde(rename = "retry.backoff.ms")]
    pub retry_backoff_ms: u64,
    /// Connections from one calling service (all its replicas) to one downstream service: calls in
    /// flight beyond this are refused at once by the caller's pool. Default 50.
    #[serde(rename = "max.connections")]
    pub max_connections: u32,
}

impl Default for RestSpec {
    fn default() -> Self {
        RestSpec { timeout_ms: 1_000, retries: 2, retry_backoff_ms: 100, max_connections: 50 }
    }
}

/// How the stream processor windows payments.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum WindowKind {
    /// Fixed, non-overlapping windows [kW, (k+1)W).
    #[default]
    Tumbling,
    /// Windows of size W starting every `advance.ms`: [kA, kA + W).
    Hopping,
}

/// A fraud rule, more than `threshold` payments on one card within `window.ms`, and where it runs.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct FraudSpec {
    /// Cards of ordinary customers; payments pick one with the producer's key distribution
    /// (uniform when the producer has no keys). Default: the first producer's key count, else 1000.
    pub cards: u32,
    /// K: an alert is due when a card has more than K payments within the window.
    pub threshold: u32,
    #[serde(rename = "window.ms")]
    pub window_ms: u64,
    /// The stream processor's windows.
    pub window: WindowKind,
    /// Hopping windows only: how far apart window starts are.
    #[serde(rename = "advance.ms", skip_serializing_if = "Option::is_none")]
    pub advance_ms: Option<u64>,
    pub batch: BatchSpec,
    pub stream: StreamSpec,
    /// Fraud injected at given times, each on a card of its own.
    pub bursts: Vec<BurstSpec>,
    /// Fraud injected at random times (the seed decides), each on a card of its own.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub random_bursts: Option<RandomBursts>,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct BatchSpec {
    /// A batch job starts every `interval.ms` (900000: every 15 minutes; 86400000: nightly).
    #[serde(rename = "interval.ms")]
    pub interval_ms: u64,
    /// How long one job runs; its alerts come out when it ends.
    #[serde(rename = "job.ms")]
    pub job_ms: u64,
}

impl Default for BatchSpec {
    fn default() -> Self {
        BatchSpec { interval_ms: 900_000, job_ms: 60_000 }
    }
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct StreamSpec {
    /// The processor emits what its record cache holds (and commits) every `commit.interval.ms`:
    /// Kafka Streams' default is 30000 (100 under exactly-once); 0 emits at once.
    #[serde(rename = "commit.interval.ms")]
    pub commit_interval_ms: u64,
}

impl Default for StreamSpec {
    fn default() -> Self {
        StreamSpec { commit_interval_ms: 30_000 }
    }
}

/// `payments` payments on one fresh card, the first at `at_ms`, spread evenly over `spread_ms`.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct BurstSpec {
    pub at_ms: u64,
    /// Default threshold + 1.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub payments: Option<u32>,
    pub spread_ms: u64,
}

/// `count` bursts at uniformly random start times within the run.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct RandomBursts {
    pub count: u32,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub payments: Option<u32>,
    pub spread_ms: u64,
}

impl FraudSpec {
    /// The payments of one burst: given, or just enough to break the rule.
    pub fn burst_payments(&self, payments: Option<u32>) -> u32 {
        payments.unwrap_or(self.threshold.saturating_add(1))
    }
}
