//! The scenario reader: JSON text in, a typed `Scenario` or **every** error out, each with its JSON path
//! (`$.topics[0].config["min.insync.replicas"]`) and a reason a trainer can act on. It reads a
//! `serde_json::Value` by hand rather than through `#[derive(Deserialize)]` because serde stops at the
//! first error; the types in `model.rs` stay the single source of truth for the shape, and missing
//! fields take Kafka's defaults from their `Default` impls. Every size has a bound, so no file can make
//! the page hang; bad input is an error, never a panic. Where Kafka rejects a combination of configs we
//! use Kafka's own words, and where Kafka silently adjusts an unset config (idempotence turned off by
//! `acks=1`, `delivery.timeout.ms` raised to `linger.ms + request.timeout.ms`) we adjust it the same way.

// The app's own wasm (built without the `all-designs` feature) reads the log design only (see
// `other_designs`); the other designs' readers are compiled but unused there. The CLI and the
// comparison worker have every design.
#![cfg_attr(not(feature = "all-designs"), allow(dead_code))]

use std::collections::BTreeMap;

use serde_json::{Map, Value};

use super::model::*;

/// The `services` and `fraud` sections and the `crash_service` / `restart_service` actions.
mod contrast_sections;

/// What the app says of another design's section or action (the CLI reads them).
#[cfg(not(feature = "all-designs"))]
const CLI_ONLY: &str = "another design's section: the single run is the log design; open such a file in Compare or run it with `streamlab run`";

/// One problem in a scenario file: where (a JSON path) and what.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ScenarioError {
    pub path: String,
    pub message: String,
}

impl std::fmt::Display for ScenarioError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.path, self.message)
    }
}

pub const MAX_BROKERS: u32 = 64;
pub const MAX_CONTROLLERS: u32 = 7;
pub const MAX_PARTITIONS_PER_TOPIC: u32 = 10_000;
pub const MAX_TOTAL_PARTITIONS: u64 = 20_000;
pub const MAX_MEMBERS: u32 = 256;
pub const MAX_PRODUCERS: usize = 64;
pub const MAX_GROUPS: usize = 64;
pub const MAX_RATE_PER_SEC: f64 = 10_000_000.0;
pub const MAX_DURATION_MS: u64 = 86_400_000;
pub const MAX_TIMELINE: usize = 10_000;
pub const MAX_KEYS: u32 = 1_000_000;
pub const MAX_VALUE_BYTES: u32 = 1_048_576;
/// A user who fixes the first hundred errors will see the rest; listing a million would hang the page.
pub const MAX_ERRORS: usize = 100;

/// Kafka's `INT` configs stop at `Integer.MAX_VALUE`.
const INT_MAX: u64 = i32::MAX as u64;
/// 100 years: generous for Kafka's `LONG` millisecond configs, yet times 1000 (microseconds) it cannot
/// overflow a `u64`.
const LONG_MS_MAX: u64 = 3_153_600_000_000;
/// Kafka's limit on topic names (`Topic.MAX_NAME_LENGTH`); we use it for every name.
const MAX_NAME_LEN: usize = 249;

/// Reads a scenario file. `Err` holds every error found (at most `MAX_ERRORS`, then a count of the rest).
pub fn parse_scenario(json: &str) -> Result<Scenario, Vec<ScenarioError>> {
    let value: Value = match serde_json::from_str(json) {
        Ok(v) => v,
        Err(e) => return Err(vec![syntax_error(&e)]),
    };
    let mut r = Reader::default();
    let (scenario, _) = r.scenario(&value, &[]);
    r.finish(scenario)
}

/// Reads a session file: a scenario with a `"session"` object (the actions a person applied and where
/// they stopped, as the app exports them). A plain scenario file is a session with no actions.
pub fn parse_session(json: &str) -> Result<Session, Vec<ScenarioError>> {
    let mut value: Value = match serde_json::from_str(json) {
        Ok(v) => v,
        Err(e) => return Err(vec![syntax_error(&e)]),
    };
    let session = value.as_object_mut().and_then(|o| o.remove("session"));
    let extra: Vec<Value> = session
        .as_ref()
        .and_then(|s| s.get("actions"))
        .and_then(Value::as_array)
        .map(|items| items.iter().take(MAX_TIMELINE).cloned().collect())
        .unwrap_or_default();
    let mut r = Reader::default();
    let (scenario, refs) = r.scenario(&value, &extra);
    let (actions, stop) = match &session {
        Some(v) => r.session(v, "$.session", &refs, scenario.duration_ms.saturating_mul(1000)),
        None => (Vec::new(), None),
    };
    r.finish(Session { scenario, actions, stop })
}

/// Every field name of the scenario format that contains a dot (`linger.ms`, `group.id`), so paths
/// can name such fields without brackets (comparison files' `set`).
pub fn known_dotted_names() -> Vec<&'static str> {
    let lists: [&[&str]; 13] = [TOP, CLUSTER, NETWORK, BROKER_CONFIG, TOPIC, TOPIC_CONFIG, PRODUCER, PRODUCER_CONFIG, GROUP, FAILURES, CONSUMER_CONFIG, QUEUE, QUEUE_ARGS];
    let mut names: Vec<&'static str> = lists.iter().flat_map(|l| l.iter().copied()).filter(|n| n.contains('.')).collect();
    names.extend(contrast_sections::DOTTED);
    names.sort_unstable();
    names.dedup();
    names
}

/// Whether one queue's overrides set `key`.
fn queue_arg_set(a: &QueueArgs, key: &str) -> bool {
    match key {
        "queue.type" => a.queue_type.is_some(),
        "durable" => a.durable.is_some(),
        "x-message-ttl" => a.message_ttl_ms.is_some(),
        "x-max-length" => a.max_length.is_some(),
        "x-overflow" => a.overflow.is_some(),
        "x-delivery-limit" => a.delivery_limit.is_some(),
        "x-dead-letter-exchange" => a.dead_letter_exchange.is_some(),
        "binding_keys" => a.binding_keys.is_some(),
        _ => false,
    }
}

/// The scenario as pretty JSON, every field written out, so `parse_scenario` reads back the same value.
pub fn scenario_to_json(s: &Scenario) -> String {
    // Serializing these plain structs cannot fail (no maps with non-string keys); an empty string
    // would be the answer if it ever did, rather than a panic in the browser.
    // Through `Value`, so the scenario's serializer is generated once for the whole app (the share
    // link and the session file go through `Value` too): a smaller wasm.
    serde_json::to_value(s).and_then(|v| serde_json::to_string_pretty(&v)).unwrap_or_default()
}

fn syntax_error(e: &serde_json::Error) -> ScenarioError {
    // serde_json's message ends with " at line L column C"; we say it our way, once.
    let full = e.to_string();
    let suffix = format!(" at line {} column {}", e.line(), e.column());
    let reason = full.strip_suffix(&suffix).unwrap_or(&full);
    ScenarioError {
        path: "$".into(),
        message: format!(
            "invalid JSON at line {}, column {}: {}",
            e.line(),
            e.column(),
            reason
        ),
    }
}

// ---------------------------------------------------------------------------------------------------
// Paths and messages
// ---------------------------------------------------------------------------------------------------

/// `parent.key` for identifier-like keys, `parent["key"]` for keys with dots or other characters.
fn key_path(parent: &str, key: &str) -> String {
    let mut chars = key.chars();
    let plain = chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_');
    if plain {
        format!("{parent}.{key}")
    } else {
        format!("{parent}[{}]", quote(key))
    }
}

fn index_path(parent: &str, i: usize) -> String {
    format!("{parent}[{i}]")
}

fn quote(s: &str) -> String {
    serde_json::to_string(s).unwrap_or_else(|_| format!("\"{s}\""))
}

/// How a JSON value is named in "expected X, got Y".
fn describe(v: &Value) -> String {
    match v {
        Value::Null => "null".into(),
        Value::Bool(b) => format!("the boolean {b}"),
        Value::Number(n) => format!("the number {n}"),
        Value::String(s) => {
            let shown: String = s.chars().take(40).collect();
            let more = if s.chars().count() > 40 { "…" } else { "" };
            format!("the string {}{more}", quote(&shown))
        }
        Value::Array(_) => "an array".into(),
        Value::Object(_) => "an object".into(),
    }
}

fn quoted_list(items: &[&str]) -> String {
    items
        .iter()
        .map(|s| quote(s))
        .collect::<Vec<_>>()
        .join(", ")
}

fn levenshtein(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.iter().enumerate() {
        let mut cur = vec![i + 1; b.len() + 1];
        for (j, cb) in b.iter().enumerate() {
            let cost = usize::from(ca != cb);
            cur[j + 1] = (prev[j] + cost).min(prev[j + 1] + 1).min(cur[j] + 1);
        }
        prev = cur;
    }
    prev[b.len()]
}

/// The candidate a typo most likely meant: same letters ignoring case and `._-` (`min_insync_replicas`),
/// Kafka's broker-level `log.` prefix (`log.retention.ms`), or a small edit distance.
fn closest<'a>(word: &str, candidates: &[&'a str]) -> Option<&'a str> {
    let norm = |s: &str| -> String {
        s.chars()
            .filter(|c| c.is_ascii_alphanumeric())
            .map(|c| c.to_ascii_lowercase())
            .collect()
    };
    let w = norm(word);
    if let Some(c) = candidates.iter().find(|c| norm(c) == w) {
        return Some(c);
    }
    if let Some(rest) = word.strip_prefix("log.") {
        if let Some(c) = candidates.iter().find(|c| **c == rest) {
            return Some(c);
        }
    }
    candidates
        .iter()
        .map(|c| (levenshtein(word, c), *c))
        .filter(|(d, c)| *d <= (c.len() / 4).clamp(1, 3))
        .min_by_key(|(d, _)| *d)
        .map(|(_, c)| c)
}

/// "unknown topic "x"; did you mean "y"?" or the list of what exists.
fn unknown_name(kind: &str, plural: &str, name: &str, known: &[&str]) -> String {
    if known.is_empty() {
        return format!(
            "unknown {kind} {}: the scenario has no {plural}",
            quote(name)
        );
    }
    match closest(name, known) {
        Some(c) => format!("unknown {kind} {}; did you mean {}?", quote(name), quote(c)),
        None => format!(
            "unknown {kind} {}; the {plural} are {}",
            quote(name),
            quoted_list(known)
        ),
    }
}

/// A range of floats with open or closed ends, and how to say it.
#[derive(Clone, Copy)]
struct FRange {
    lo: f64,
    lo_incl: bool,
    hi: f64,
    hi_incl: bool,
}

impl FRange {
    /// [lo, hi]
    fn closed(lo: f64, hi: f64) -> FRange {
        FRange {
            lo,
            lo_incl: true,
            hi,
            hi_incl: true,
        }
    }
    /// (lo, hi]
    fn above(lo: f64, hi: f64) -> FRange {
        FRange {
            lo,
            lo_incl: false,
            hi,
            hi_incl: true,
        }
    }
    /// [lo, hi)
    fn below(lo: f64, hi: f64) -> FRange {
        FRange {
            lo,
            lo_incl: true,
            hi,
            hi_incl: false,
        }
    }
    fn contains(&self, x: f64) -> bool {
        let lo_ok = if self.lo_incl {
            x >= self.lo
        } else {
            x > self.lo
        };
        let hi_ok = if self.hi_incl {
            x <= self.hi
        } else {
            x < self.hi
        };
        lo_ok && hi_ok
    }
    fn describe(&self) -> String {
        match (self.lo_incl, self.hi_incl) {
            (true, true) => format!("{} to {}", self.lo, self.hi),
            (false, true) => format!("greater than {} and at most {}", self.lo, self.hi),
            (true, false) => format!("at least {} and less than {}", self.lo, self.hi),
            (false, false) => format!("between {} and {} (both excluded)", self.lo, self.hi),
        }
    }
}

// Field names of each object, in the order `Serialize` writes them.
const TOP: &[&str] = &[
    "name",
    "description",
    "seed",
    "duration_ms",
    "cluster",
    "topics",
    "producers",
    "consumer_groups",
    "timeline",
    "design",
    "queue",
    "services",
    "fraud",
];
const CLUSTER: &[&str] = &["brokers", "controllers", "racks", "network", "config"];
const NETWORK: &[&str] = &["latency_ms", "jitter_ms", "loss", "links"];
const LINK: &[&str] = &["between", "latency_ms", "jitter_ms"];
/// At most this many link overrides.
const MAX_LINKS: usize = 256;
const BROKER_CONFIG: &[&str] = &[
    "unclean.leader.election.enable",
    "replica.lag.time.max.ms",
    "replica.fetch.wait.max.ms",
    "replica.fetch.backoff.ms",
    "broker.heartbeat.interval.ms",
    "broker.session.timeout.ms",
    "controller.quorum.election.timeout.ms",
    "controller.quorum.fetch.timeout.ms",
    "log.retention.check.interval.ms",
    "auto.leader.rebalance.enable",
    "leader.imbalance.check.interval.seconds",
    "group.initial.rebalance.delay.ms",
];
const TOPIC: &[&str] = &["name", "partitions", "replication.factor", "config"];
const TOPIC_CONFIG: &[&str] = &[
    "min.insync.replicas",
    "retention.ms",
    "retention.bytes",
    "cleanup.policy",
    "segment.bytes",
    "segment.ms",
    "delete.retention.ms",
    "min.cleanable.dirty.ratio",
];
const PRODUCER: &[&str] = &[
    "name",
    "topic",
    "rate_per_sec",
    "arrival",
    "keys",
    "value_bytes",
    "tombstone_share",
    "config",
];
const PRODUCER_CONFIG: &[&str] = &[
    "acks",
    "enable.idempotence",
    "linger.ms",
    "batch.size",
    "retries",
    "max.in.flight.requests.per.connection",
    "request.timeout.ms",
    "delivery.timeout.ms",
    "retry.backoff.ms",
    "partitioner.class",
];
const GROUP: &[&str] = &[
    "group.id",
    "group.type",
    "topics",
    "members",
    "static",
    "processing_ms",
    "failures",
    "config",
];
const FAILURES: &[&str] = &["rate", "poison_keys", "policy", "retries", "retry.backoff.ms"];
/// At most this many poison keys per group.
const MAX_POISON_KEYS: usize = 1_000;
/// The broker's `group.min.session.timeout.ms` and `group.max.session.timeout.ms` (defaults).
const GROUP_MIN_SESSION_TIMEOUT_MS: u64 = 6_000;
const GROUP_MAX_SESSION_TIMEOUT_MS: u64 = 1_800_000;
const CONSUMER_CONFIG: &[&str] = &[
    "auto.offset.reset",
    "enable.auto.commit",
    "auto.commit.interval.ms",
    "max.poll.records",
    "fetch.max.wait.ms",
    "request.timeout.ms",
    "retry.backoff.ms",
    "partition.assignment.strategy",
    "group.instance.id",
    "session.timeout.ms",
    "heartbeat.interval.ms",
    "max.poll.interval.ms",
    "prefetch",
    "share.record.lock.duration.ms",
    "share.delivery.count.limit",
    "share.partition.max.record.locks",
    "share.auto.offset.reset",
    "share.acknowledgement.mode",
];
/// KIP-932's names, read for share groups only.
const SHARE_CONFIG: &[&str] = &[
    "share.record.lock.duration.ms",
    "share.delivery.count.limit",
    "share.partition.max.record.locks",
    "share.auto.offset.reset",
    "share.acknowledgement.mode",
];
/// Consumer configs of the classic protocol that a share consumer does not take, and why.
const NOT_FOR_SHARE_GROUPS: &[(&str, &str)] = &[
    ("auto.offset.reset", "a share group starts where share.auto.offset.reset says (a group config)"),
    ("enable.auto.commit", "share groups commit no offsets: records are acknowledged one by one"),
    ("auto.commit.interval.ms", "share groups commit no offsets: records are acknowledged one by one"),
    ("partition.assignment.strategy", "the share group's assignor gives every member every partition here"),
    ("group.instance.id", "share groups have no static membership"),
    ("session.timeout.ms", "share group membership is not simulated: a crashed member's records come back when their locks expire"),
    ("heartbeat.interval.ms", "share group membership is not simulated: a crashed member's records come back when their locks expire"),
    ("max.poll.interval.ms", "share group membership is not simulated: a slow member keeps its records until their locks expire"),
];
/// Kafka's bounds: `group.share.min.record.lock.duration.ms` and `group.share.max.record.lock.duration.ms`
/// (broker defaults), the delivery count limit's and the record locks' valid ranges.
const SHARE_LOCK_DURATION_MS: (u64, u64) = (15_000, 60_000);
const SHARE_DELIVERY_COUNT_LIMIT: (u32, u32) = (2, 10);
const SHARE_MAX_RECORD_LOCKS: (u32, u32) = (100, 10_000);
const QUEUE: &[&str] = &[
    "exchange.type",
    "publisher_confirms",
    "persistent",
    "prefetch",
    "leader.election.ms",
    "queue.type",
    "durable",
    "x-message-ttl",
    "x-max-length",
    "x-overflow",
    "x-delivery-limit",
    "x-dead-letter-exchange",
    "binding_keys",
    "queues",
];
const QUEUE_ARGS: &[&str] = &[
    "queue.type",
    "durable",
    "x-message-ttl",
    "x-max-length",
    "x-overflow",
    "x-delivery-limit",
    "x-dead-letter-exchange",
    "binding_keys",
];
/// RabbitMQ's limit on `x-message-ttl` (an unsigned 32-bit number of milliseconds).
const MAX_TTL_MS: u64 = u32::MAX as u64;
const MAX_BINDING_KEYS: usize = 1_000;
const ACTIONS: &[&str] = &[
    "crash_broker",
    "restart_broker",
    "crash_leader",
    "isolate_broker",
    "partition_network",
    "heal_network",
    "crash_controller",
    "restart_controller",
    "slow_consumer",
    "crash_consumer",
    "restart_consumer",
    "add_consumer",
    "remove_consumer",
    "traffic_spike",
    "set_producer_rate",
    "set_producer_acks",
    "reset_offsets",
    "add_consumer_group",
    "crash_service",
    "restart_service",
];
/// `reset_offsets` options (`kafka-consumer-groups --reset-offsets --to-earliest` …) and the one extra
/// field each needs.
const RESET_OPTIONS: &[(&str, Option<&str>)] = &[
    ("earliest", None),
    ("latest", None),
    ("current", None),
    ("offset", Some("offset")),
    ("shift-by", Some("shift")),
    ("datetime", Some("datetime_ms")),
    ("duration", Some("duration_ms")),
];

/// The fields an action takes besides `at_ms` and `action`.
fn action_fields(action: &str) -> &'static [&'static str] {
    match action {
        "crash_broker" | "restart_broker" | "isolate_broker" => &["broker"],
        "crash_leader" => &["topic", "partition"],
        "partition_network" => &["groups"],
        "crash_controller" | "restart_controller" => &["controller"],
        "slow_consumer" => &["group", "member", "factor"],
        "crash_consumer" | "restart_consumer" | "remove_consumer" => &["group", "member"],
        "add_consumer" => &["group"],
        "traffic_spike" => &["producer", "factor", "duration_ms"],
        "set_producer_rate" => &["producer", "rate_per_sec"],
        "set_producer_acks" => &["producer", "acks"],
        "reset_offsets" => &[
            "group",
            "topic",
            "partition",
            "to",
            "offset",
            "shift",
            "datetime_ms",
            "duration_ms",
        ],
        "add_consumer_group" => &["group"],
        "crash_service" | "restart_service" => &["service"],
        _ => &[],
    }
}

// ---------------------------------------------------------------------------------------------------
// The reader: records errors and keeps going
// ---------------------------------------------------------------------------------------------------

/// An object being read (or `map: None` when the value was not an object, already reported).
struct Obj<'v> {
    map: Option<&'v Map<String, Value>>,
    path: String,
}

impl<'v> Obj<'v> {
    fn get(&self, key: &str) -> Option<&'v Value> {
        self.map.and_then(|m| m.get(key))
    }
    fn has(&self, key: &str) -> bool {
        self.get(key).is_some()
    }
    fn at(&self, key: &str) -> String {
        key_path(&self.path, key)
    }
}

#[derive(Default)]
struct Reader {
    errors: Vec<ScenarioError>,
    dropped: usize,
    /// group.id → consumers added so far by `add_consumer` entries (timeline, then session).
    added: BTreeMap<String, u32>,
}

/// What later sections may refer to. A name that failed to parse makes the list incomplete, and then
/// we do not call other names unknown (the first error explains them).
#[derive(Default)]
struct Refs {
    brokers: Option<u32>,
    controllers: Option<u32>,
    /// name → partitions (if valid) and compacted (if known).
    topics: BTreeMap<String, (Option<u32>, bool)>,
    topics_complete: bool,
    /// name → rate (if valid) and whether it is idempotent (if known).
    producers: BTreeMap<String, (Option<f64>, Option<bool>)>,
    producers_complete: bool,
    /// group.id → members at start (if valid).
    groups: BTreeMap<String, Option<u32>>,
    groups_complete: bool,
    /// group.id → how many `add_consumer` the timeline holds for it.
    adds: BTreeMap<String, u32>,
    /// group.id → the topics it subscribes to (if valid), for `reset_offsets`.
    group_topics: BTreeMap<String, Vec<String>>,
    /// The names in the `services` section (None: the scenario has none) and whether every one
    /// was valid.
    services: Option<Vec<String>>,
    services_complete: bool,
}

impl Reader {
    /// The value read, or every error (with a count of those not listed).
    fn finish<T>(self, value: T) -> Result<T, Vec<ScenarioError>> {
        if self.errors.is_empty() {
            return Ok(value);
        }
        let mut errors = self.errors;
        if self.dropped > 0 {
            errors.push(ScenarioError {
                path: "$".into(),
                message: format!("{} more errors not shown; fix the ones above first", self.dropped),
            });
        }
        Err(errors)
    }

    fn error(&mut self, path: impl Into<String>, message: impl Into<String>) {
        if self.errors.len() < MAX_ERRORS {
            self.errors.push(ScenarioError {
                path: path.into(),
                message: message.into(),
            });
        } else {
            self.dropped += 1;
        }
    }

    fn wrong_type(&mut self, path: &str, expected: &str, got: &Value) {
        self.error(path, format!("expected {expected}, got {}", describe(got)));
    }

    /// The value as an object, without checking its field names (see `check_fields`).
    fn as_object<'v>(&mut self, v: &'v Value, path: &str) -> Obj<'v> {
        match v {
            Value::Object(m) => Obj {
                map: Some(m),
                path: path.to_string(),
            },
            other => {
                self.wrong_type(path, "an object", other);
                Obj {
                    map: None,
                    path: path.to_string(),
                }
            }
        }
    }

    /// Reports every field not in `fields`; `nested` names sub-objects whose fields users often put
    /// one level too high (`"acks"` beside `"config"` instead of inside it).
    fn check_fields(&mut self, o: &Obj, fields: &[&str], nested: &[(&str, &[&str])]) {
        let Some(map) = o.map else { return };
        for key in map.keys() {
            if fields.contains(&key.as_str()) {
                continue;
            }
            let message =
                if let Some((sub, _)) = nested.iter().find(|(_, f)| f.contains(&key.as_str())) {
                    format!(
                        "unknown field {} here; it belongs inside {}",
                        quote(key),
                        quote(sub)
                    )
                } else if let Some(c) = closest(key, fields) {
                    format!("unknown field {}; did you mean {}?", quote(key), quote(c))
                } else {
                    format!(
                        "unknown field {}; expected one of {}",
                        quote(key),
                        quoted_list(fields)
                    )
                };
            self.error(o.at(key), message);
        }
    }

    fn object<'v>(
        &mut self,
        v: &'v Value,
        path: &str,
        fields: &[&str],
        nested: &[(&str, &[&str])],
    ) -> Obj<'v> {
        let o = self.as_object(v, path);
        self.check_fields(&o, fields, nested);
        o
    }

    /// An optional field: `Some(default)` when absent, `Some(value)` when valid, `None` when invalid
    /// (already reported). Callers that need no "was it valid" use `val`.
    fn opt<'v, T>(
        &mut self,
        o: &Obj<'v>,
        key: &str,
        default: T,
        read: impl FnOnce(&mut Self, &'v Value, &str) -> Option<T>,
    ) -> Option<T> {
        match o.get(key) {
            None => Some(default),
            Some(v) => read(self, v, &o.at(key)),
        }
    }

    fn val<'v, T: Clone>(
        &mut self,
        o: &Obj<'v>,
        key: &str,
        default: T,
        read: impl FnOnce(&mut Self, &'v Value, &str) -> Option<T>,
    ) -> T {
        self.opt(o, key, default.clone(), read).unwrap_or(default)
    }

    /// A required field: reports it missing (unless the object itself was already wrong).
    fn req<'v, T>(
        &mut self,
        o: &Obj<'v>,
        key: &str,
        read: impl FnOnce(&mut Self, &'v Value, &str) -> Option<T>,
    ) -> Option<T> {
        match o.get(key) {
            Some(v) => read(self, v, &o.at(key)),
            None => {
                if o.map.is_some() {
                    self.error(o.at(key), format!("missing required field {}", quote(key)));
                }
                None
            }
        }
    }

    /// An integer in lo..=hi. Rejects floats (`3.0` too: the field is an integer), negatives and
    /// anything beyond the range, with the range in the message.
    fn uint(&mut self, v: &Value, path: &str, lo: u64, hi: u64) -> Option<u64> {
        let Value::Number(n) = v else {
            self.wrong_type(path, "an integer", v);
            return None;
        };
        let range = || format!("{lo} to {hi}");
        if let Some(x) = n.as_u64() {
            if x < lo || x > hi {
                self.error(path, format!("out of range: expected {}, got {x}", range()));
                return None;
            }
            return Some(x);
        }
        if let Some(x) = n.as_i64() {
            self.error(path, format!("out of range: expected {}, got {x}", range()));
            return None;
        }
        let f = n.as_f64().unwrap_or(f64::NAN);
        if f.fract() == 0.0 && f.abs() >= 9.2e18 {
            self.error(path, format!("out of range: expected {}, got {n}", range()));
        } else {
            self.error(path, format!("expected an integer, got {n}"));
        }
        None
    }

    fn u32_in(&mut self, v: &Value, path: &str, lo: u32, hi: u32) -> Option<u32> {
        // hi <= u32::MAX, so the narrowing is exact.
        self.uint(v, path, u64::from(lo), u64::from(hi))
            .map(|x| x as u32)
    }

    /// A signed integer in lo..=hi (for Kafka's `-1 = unlimited` configs).
    fn int(&mut self, v: &Value, path: &str, lo: i64, hi: i64) -> Option<i64> {
        let Value::Number(n) = v else {
            self.wrong_type(path, "an integer", v);
            return None;
        };
        let out =
            |n: &dyn std::fmt::Display| format!("out of range: expected {lo} to {hi}, got {n}");
        if let Some(x) = n.as_i64() {
            if x < lo || x > hi {
                self.error(path, out(&x));
                return None;
            }
            return Some(x);
        }
        if n.is_u64() {
            self.error(path, out(n));
            return None;
        }
        let f = n.as_f64().unwrap_or(f64::NAN);
        if f.fract() == 0.0 && f.abs() >= 9.2e18 {
            self.error(path, out(n));
        } else {
            self.error(path, format!("expected an integer, got {n}"));
        }
        None
    }

    /// Any JSON number within `range` (JSON has no NaN or infinity, so the range is the whole check).
    fn float(&mut self, v: &Value, path: &str, range: FRange) -> Option<f64> {
        let Some(x) = v.as_f64().filter(|_| v.is_number()) else {
            self.wrong_type(path, "a number", v);
            return None;
        };
        if !range.contains(x) {
            let shown = match v {
                Value::Number(n) => n.to_string(),
                _ => x.to_string(),
            };
            self.error(
                path,
                format!("out of range: expected {}, got {shown}", range.describe()),
            );
            return None;
        }
        Some(x)
    }

    fn boolean(&mut self, v: &Value, path: &str) -> Option<bool> {
        match v {
            Value::Bool(b) => Some(*b),
            other => {
                self.wrong_type(path, "true or false", other);
                None
            }
        }
    }

    fn string(&mut self, v: &Value, path: &str) -> Option<String> {
        match v {
            Value::String(s) => Some(s.clone()),
            other => {
                self.wrong_type(path, "a string", other);
                None
            }
        }
    }

    /// A name other entries refer to: a non-empty string of at most 249 characters.
    fn name(&mut self, v: &Value, path: &str) -> Option<String> {
        let s = self.string(v, path)?;
        if s.is_empty() {
            self.error(path, "must not be empty");
            return None;
        }
        if s.chars().count() > MAX_NAME_LEN {
            self.error(path, format!("too long: at most {MAX_NAME_LEN} characters"));
            return None;
        }
        Some(s)
    }

    /// A topic name, with Kafka's own checks and messages (`org.apache.kafka.common.internals.Topic`).
    fn topic_name(&mut self, v: &Value, path: &str) -> Option<String> {
        let s = self.string(v, path)?;
        let message = if s.is_empty() {
            Some("Topic name is illegal, it can't be empty".to_string())
        } else if s == "." || s == ".." {
            Some("Topic name cannot be \".\" or \"..\"".to_string())
        } else if s.chars().count() > MAX_NAME_LEN {
            Some(format!(
                "Topic name is illegal, it can't be longer than {MAX_NAME_LEN} characters, topic name: {s}"
            ))
        } else if !s
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '.' || c == '_' || c == '-')
        {
            Some(format!(
                "Topic name \"{s}\" is illegal, it contains a character other than ASCII alphanumerics, '.', '_' and '-'"
            ))
        } else {
            None
        };
        match message {
            Some(m) => {
                self.error(path, m);
                None
            }
            None => Some(s),
        }
    }

    /// One of a fixed set of strings.
    fn choice<T: Copy>(&mut self, v: &Value, path: &str, options: &[(&str, T)]) -> Option<T> {
        let names: Vec<&str> = options.iter().map(|(n, _)| *n).collect();
        let Value::String(s) = v else {
            self.error(
                path,
                format!(
                    "expected one of {}, got {}",
                    quoted_list(&names),
                    describe(v)
                ),
            );
            return None;
        };
        if let Some((_, t)) = options.iter().find(|(n, _)| n == s) {
            return Some(*t);
        }
        let message = match closest(s, &names) {
            Some(c) => format!("unknown value {}; did you mean {}?", quote(s), quote(c)),
            None => format!(
                "unknown value {}; expected one of {}",
                quote(s),
                quoted_list(&names)
            ),
        };
        self.error(path, message);
        None
    }

    /// `acks` as Kafka accepts it: "all", "-1", "0", "1", or the numbers -1, 0, 1.
    fn acks(&mut self, v: &Value, path: &str) -> Option<Acks> {
        let acks = match v {
            Value::String(s) => match s.as_str() {
                "all" | "-1" => Some(Acks::All),
                "0" => Some(Acks::Zero),
                "1" => Some(Acks::One),
                _ => None,
            },
            Value::Number(n) => match n.as_i64() {
                Some(-1) => Some(Acks::All),
                Some(0) => Some(Acks::Zero),
                Some(1) => Some(Acks::One),
                _ => None,
            },
            _ => None,
        };
        if acks.is_none() {
            self.error(
                path,
                format!(
                    "expected one of \"all\", \"-1\", \"0\", \"1\", got {}",
                    describe(v)
                ),
            );
        }
        acks
    }

    /// An array of at most `max` elements (longer ones are reported and not read further).
    fn array<'v>(
        &mut self,
        v: &'v Value,
        path: &str,
        what: &str,
        max: usize,
    ) -> Option<&'v Vec<Value>> {
        let Value::Array(items) = v else {
            self.wrong_type(path, "an array", v);
            return None;
        };
        if items.len() > max {
            self.error(
                path,
                format!(
                    "too many {what}: {}; at most {max} are allowed",
                    items.len()
                ),
            );
            return None;
        }
        Some(items)
    }

    /// A list of distinct items, each read by `read` (which reports its own errors). `empty` is the
    /// message for an empty list where one is not allowed; `twice(item, index of its first)` the one
    /// for a repeat.
    #[allow(clippy::too_many_arguments)]
    fn distinct<T: PartialEq>(
        &mut self,
        v: &Value,
        path: &str,
        what: &str,
        max: usize,
        empty: Option<&str>,
        mut read: impl FnMut(&mut Self, &Value, &str) -> Option<T>,
        twice: impl Fn(&T, usize) -> String,
    ) -> Option<Vec<T>> {
        let items = self.array(v, path, what, max)?;
        if items.is_empty() {
            if let Some(message) = empty {
                self.error(path, message);
                return None;
            }
        }
        let mut list: Vec<(T, usize)> = Vec::new();
        let mut ok = true;
        for (i, item) in items.iter().enumerate() {
            let item_path = index_path(path, i);
            match read(self, item, &item_path) {
                Some(x) => match list.iter().find(|(y, _)| *y == x) {
                    Some((_, first)) => {
                        let message = twice(&x, *first);
                        self.error(item_path, message);
                        ok = false;
                    }
                    None => list.push((x, i)),
                },
                None => ok = false,
            }
        }
        ok.then(|| list.into_iter().map(|(x, _)| x).collect())
    }

    // -----------------------------------------------------------------------------------------------
    // The scenario, section by section
    // -----------------------------------------------------------------------------------------------

    /// The scenario, and what its names refer to. `extra` are a session's actions: members and groups
    /// they add may be named by the timeline and by each other.
    fn scenario(&mut self, v: &Value, extra: &[Value]) -> (Scenario, Refs) {
        let o = self.object(
            v,
            "$",
            TOP,
            &[
                ("cluster", CLUSTER),
                ("cluster.network", NETWORK),
                ("cluster.config", BROKER_CONFIG),
            ],
        );
        let name = self.val(&o, "name", "untitled".to_string(), |r, v, p| r.string(v, p));
        let description = self.val(&o, "description", String::new(), |r, v, p| r.string(v, p));
        let seed = self.val(&o, "seed", 1, |r, v, p| r.uint(v, p, 0, u64::MAX));
        let duration_ms = self.val(&o, "duration_ms", 60_000, |r, v, p| {
            r.uint(v, p, 1, MAX_DURATION_MS)
        });

        let mut refs = Refs::default();
        let cluster = match o.get("cluster") {
            Some(v) => self.cluster(v, &o.at("cluster"), &mut refs),
            None => {
                let c = ClusterSpec::default();
                refs.brokers = Some(c.brokers);
                refs.controllers = Some(c.controllers);
                c
            }
        };
        let topics = self.topics(&o, &mut refs);
        let producers = self.producers(&o, &mut refs);
        let consumer_groups = self.groups(&o, &mut refs);
        let services = self.services_section_here(&o, &mut refs);
        let timeline = self.timeline(&o, &mut refs, extra);
        let design = self.val(&o, "design", Design::Log, |r, v, p| {
            r.choice(v, p, &[("log", Design::Log), ("queue", Design::Queue), ("rest", Design::Rest), ("events", Design::Events), ("batch", Design::Batch), ("stream", Design::Stream)])
        });
        let (queue, fraud) = self.other_designs(&o, &refs, &producers, duration_ms, design, services.is_some());

        let scenario = Scenario {
            name,
            description,
            seed,
            duration_ms,
            cluster,
            topics,
            producers,
            consumer_groups,
            timeline,
            design,
            queue,
            services,
            fraud,
        };
        (scenario, refs)
    }

    /// The `services` section (the rest and events designs); natively only, see `other_designs`.
    #[cfg(feature = "all-designs")]
    fn services_section_here(&mut self, top: &Obj, refs: &mut Refs) -> Option<crate::scenario::contrasts::ServicesSpec> {
        self.services_section(top, refs)
    }

    /// In the browser the app runs the log design only, so the other designs' sections are not read
    /// there (which keeps their readers out of the wasm): each is an error that says where to run it.
    #[cfg(not(feature = "all-designs"))]
    fn services_section_here(&mut self, top: &Obj, _refs: &mut Refs) -> Option<crate::scenario::contrasts::ServicesSpec> {
        if top.has("services") {
            self.error(top.at("services"), CLI_ONLY);
        }
        None
    }

    /// The `queue` and `fraud` sections and the design's consistency checks (natively).
    #[cfg(feature = "all-designs")]
    fn other_designs(
        &mut self,
        o: &Obj,
        refs: &Refs,
        producers: &[ProducerSpec],
        duration_ms: u64,
        design: Design,
        has_services: bool,
    ) -> (QueueSpec, Option<crate::scenario::contrasts::FraudSpec>) {
        let fraud = self.fraud_section(o, producers, duration_ms);
        self.check_contrast_design(o, design, has_services, fraud.is_some(), producers.is_empty());
        let queue = match o.get("queue") {
            Some(v) => self.queue_spec(v, &o.at("queue"), refs, design),
            None => QueueSpec::default(),
        };
        (queue, fraud)
    }

    #[cfg(not(feature = "all-designs"))]
    fn other_designs(
        &mut self,
        o: &Obj,
        _refs: &Refs,
        _producers: &[ProducerSpec],
        _duration_ms: u64,
        _design: Design,
        _has_services: bool,
    ) -> (QueueSpec, Option<crate::scenario::contrasts::FraudSpec>) {
        for key in ["queue", "fraud"] {
            if o.has(key) {
                self.error(o.at(key), CLI_ONLY);
            }
        }
        (QueueSpec::default(), None)
    }

    /// The `queue` section: RabbitMQ's settings for the queue design.
    #[cfg(feature = "all-designs")]
    fn queue_spec(&mut self, v: &Value, path: &str, refs: &Refs, design: Design) -> QueueSpec {
        let o = self.object(v, path, QUEUE, &[]);
        let d = QueueSpec::default();
        let exchange_type = self.val(&o, "exchange.type", d.exchange_type, |r, v, p| {
            r.choice(v, p, &[("fanout", ExchangeType::Fanout), ("direct", ExchangeType::Direct), ("topic", ExchangeType::Topic)])
        });
        let publisher_confirms = self.val(&o, "publisher_confirms", d.publisher_confirms, |r, v, p| r.boolean(v, p));
        let persistent = self.val(&o, "persistent", d.persistent, |r, v, p| r.boolean(v, p));
        let prefetch = self.val(&o, "prefetch", d.prefetch, |r, v, p| r.u32_in(v, p, 0, u16::MAX as u32));
        let leader_election_ms = self.val(&o, "leader.election.ms", d.leader_election_ms, |r, v, p| r.uint(v, p, 0, LONG_MS_MAX));
        let args = self.queue_args(&o);
        let mut queues = BTreeMap::new();
        if let Some(qv) = o.get("queues") {
            let qpath = o.at("queues");
            match qv {
                Value::Object(m) => {
                    if m.len() > MAX_GROUPS {
                        self.error(&qpath, format!("too many queues: {}; at most {MAX_GROUPS} are allowed", m.len()));
                    } else {
                        for (name, item) in m {
                            let ipath = key_path(&qpath, name);
                            if refs.groups_complete && !refs.groups.contains_key(name) {
                                let known: Vec<&str> = refs.groups.keys().map(String::as_str).collect();
                                self.error(&ipath, format!("{} (each consumer group has a queue of its name)", unknown_name("consumer group", "consumer groups", name, &known)));
                            }
                            let io = self.object(item, &ipath, QUEUE_ARGS, &[]);
                            let a = self.queue_args(&io);
                            queues.insert(name.clone(), a);
                        }
                    }
                }
                other => self.wrong_type(&qpath, "an object mapping a consumer group's id to its queue's arguments", other),
            }
        }
        let spec = QueueSpec { exchange_type, publisher_confirms, persistent, prefetch, leader_election_ms, args, queues };
        // Combinations RabbitMQ refuses, checked per queue with the arguments it ends up with.
        let mut names: Vec<String> = refs.groups.keys().cloned().collect();
        for n in spec.queues.keys() {
            if !names.contains(n) {
                names.push(n.clone());
            }
        }
        for name in &names {
            let a = spec.args_for(name);
            let at = |key: &str| -> String {
                if spec.queues.get(name).is_some_and(|q| queue_arg_set(q, key)) {
                    key_path(&key_path(&o.at("queues"), name), key)
                } else {
                    key_path(path, key)
                }
            };
            let quorum = a.queue_type == Some(QueueType::Quorum);
            if !quorum && a.delivery_limit.is_some() {
                self.error(at("x-delivery-limit"), format!("x-delivery-limit is a quorum queue argument; the queue of group {} is classic (set \"queue.type\": \"quorum\"), and a classic queue redelivers a rejected message forever", quote(name)));
            }
            if quorum && a.durable == Some(false) {
                self.error(at("durable"), format!("quorum queues are always durable; the queue of group {} cannot be \"durable\": false", quote(name)));
            }
            if design == Design::Queue && exchange_type == ExchangeType::Direct && a.binding_keys.is_none() {
                self.error(key_path(path, "binding_keys"), format!("a direct exchange routes by binding key: give the queue of group {} its \"binding_keys\" (the record keys it takes, e.g. [\"key-1\"])", quote(name)));
            }
        }
        spec
    }

    /// The queue arguments found in `o` (the defaults section or one queue's overrides).
    #[cfg(feature = "all-designs")]
    fn queue_args(&mut self, o: &Obj) -> QueueArgs {
        let mut a = QueueArgs::default();
        if let Some(v) = o.get("queue.type") {
            a.queue_type = self.choice(v, &o.at("queue.type"), &[("classic", QueueType::Classic), ("quorum", QueueType::Quorum)]);
        }
        if let Some(v) = o.get("durable") {
            a.durable = self.boolean(v, &o.at("durable"));
        }
        if let Some(v) = o.get("x-message-ttl") {
            a.message_ttl_ms = self.uint(v, &o.at("x-message-ttl"), 0, MAX_TTL_MS);
        }
        if let Some(v) = o.get("x-max-length") {
            a.max_length = self.uint(v, &o.at("x-max-length"), 0, INT_MAX);
        }
        if let Some(v) = o.get("x-overflow") {
            a.overflow = self.choice(v, &o.at("x-overflow"), &[("drop-head", Overflow::DropHead), ("reject-publish", Overflow::RejectPublish), ("reject-publish-dlx", Overflow::RejectPublishDlx)]);
        }
        if let Some(v) = o.get("x-delivery-limit") {
            a.delivery_limit = self.int(v, &o.at("x-delivery-limit"), -1, INT_MAX as i64).and_then(|n| {
                if n == 0 {
                    self.error(o.at("x-delivery-limit"), "must be at least 1 (deliveries before dead-lettering), or -1 for unlimited");
                    None
                } else {
                    Some(n)
                }
            });
        }
        if let Some(v) = o.get("x-dead-letter-exchange") {
            a.dead_letter_exchange = self.name(v, &o.at("x-dead-letter-exchange"));
        }
        if let Some(v) = o.get("binding_keys") {
            a.binding_keys = self.distinct(
                v,
                &o.at("binding_keys"),
                "binding keys",
                MAX_BINDING_KEYS,
                Some("a queue needs at least one binding key"),
                |r, v, p| r.string(v, p),
                |k, _| format!("binding key {} is listed twice", quote(k)),
            );
        }
        a
    }

    fn cluster(&mut self, v: &Value, path: &str, refs: &mut Refs) -> ClusterSpec {
        let o = self.object(
            v,
            path,
            CLUSTER,
            &[("network", NETWORK), ("config", BROKER_CONFIG)],
        );
        let d = ClusterSpec::default();
        refs.brokers = self.opt(&o, "brokers", d.brokers, |r, v, p| {
            r.u32_in(v, p, 1, MAX_BROKERS)
        });
        refs.controllers = self.opt(&o, "controllers", d.controllers, |r, v, p| {
            r.u32_in(v, p, 1, MAX_CONTROLLERS)
        });
        let racks_read = self.opt(&o, "racks", Vec::new(), |r, v, p| {
            let items = r.array(v, p, "racks", MAX_BROKERS as usize)?;
            let racks: Vec<Option<String>> = items
                .iter()
                .enumerate()
                .map(|(i, v)| r.name(v, &index_path(p, i)))
                .collect();
            racks.into_iter().collect()
        });
        let network = match o.get("network") {
            Some(v) => self.network(v, &o.at("network"), refs, racks_read.as_deref()),
            None => d.network,
        };
        let config = match o.get("config") {
            Some(v) => self.broker_config(v, &o.at("config")),
            None => d.config,
        };
        let racks = racks_read.unwrap_or_default();
        ClusterSpec {
            brokers: refs.brokers.unwrap_or(d.brokers),
            controllers: refs.controllers.unwrap_or(d.controllers),
            racks,
            network,
            config,
        }
    }

    /// `racks` is None when the racks list itself was invalid (then rack names are not checked).
    fn network(&mut self, v: &Value, path: &str, refs: &Refs, racks: Option<&[String]>) -> NetworkSpec {
        let o = self.object(v, path, NETWORK, &[]);
        let d = NetworkSpec::default();
        let latency_ms = self.val(&o, "latency_ms", d.latency_ms, |r, v, p| {
            r.float(v, p, FRange::closed(0.0, 60_000.0))
        });
        let jitter_ms = self.val(&o, "jitter_ms", d.jitter_ms, |r, v, p| {
            r.float(v, p, FRange::closed(0.0, 60_000.0))
        });
        let loss = self.val(&o, "loss", d.loss, |r, v, p| {
            r.float(v, p, FRange::below(0.0, 1.0))
        });
        let links = self.val(&o, "links", Vec::new(), |r, v, p| {
            let items = r.array(v, p, "links", MAX_LINKS)?;
            let links: Vec<Option<LinkSpec>> = items
                .iter()
                .enumerate()
                .map(|(i, v)| r.link(v, &index_path(p, i), refs, racks, jitter_ms))
                .collect();
            links.into_iter().collect()
        });
        NetworkSpec { latency_ms, jitter_ms, loss, links }
    }

    fn link(&mut self, v: &Value, path: &str, refs: &Refs, racks: Option<&[String]>, jitter: f64) -> Option<LinkSpec> {
        let o = self.object(v, path, LINK, &[]);
        let between = self.req(&o, "between", |r, b, bp| match b {
            Value::Array(ends) if ends.len() == 2 => {
                let a = r.endpoint(&ends[0], &index_path(bp, 0), refs, racks);
                let b = r.endpoint(&ends[1], &index_path(bp, 1), refs, racks);
                Some([a?, b?])
            }
            Value::Array(ends) => {
                r.error(bp, format!("expected exactly 2 ends, got {}", ends.len()));
                None
            }
            other => {
                r.wrong_type(bp, "an array of 2 ends", other);
                None
            }
        });
        let latency_ms = self.req(&o, "latency_ms", |r, v, p| r.float(v, p, FRange::closed(0.0, 60_000.0)));
        let jitter_ms = self.val(&o, "jitter_ms", jitter, |r, v, p| {
            r.float(v, p, FRange::closed(0.0, 60_000.0))
        });
        Some(LinkSpec { between: between?, latency_ms: latency_ms?, jitter_ms })
    }

    fn endpoint(&mut self, v: &Value, path: &str, refs: &Refs, racks: Option<&[String]>) -> Option<Endpoint> {
        const EXPECTED: &str = "a broker id, \"rack:NAME\", \"clients\" or \"controllers\"";
        match v {
            Value::Number(_) => self.broker_id(v, path, refs).map(Endpoint::Broker),
            Value::String(s) if s == "clients" => Some(Endpoint::Clients),
            Value::String(s) if s == "controllers" => Some(Endpoint::Controllers),
            Value::String(s) => match s.strip_prefix("rack:") {
                Some(rack) => match racks {
                    Some(list) if !list.iter().any(|r| r == rack) => {
                        let known = if list.is_empty() {
                            "the cluster has no racks (set cluster.racks)".to_string()
                        } else {
                            format!("cluster.racks has {}", list.join(", "))
                        };
                        self.error(path, format!("unknown rack \"{rack}\": {known}"));
                        None
                    }
                    _ => Some(Endpoint::Rack(rack.to_string())),
                },
                None => {
                    self.error(path, format!("expected {EXPECTED}, got \"{s}\""));
                    None
                }
            },
            other => {
                self.wrong_type(path, EXPECTED, other);
                None
            }
        }
    }

    fn broker_config(&mut self, v: &Value, path: &str) -> BrokerConfig {
        let o = self.object(v, path, BROKER_CONFIG, &[]);
        let d = BrokerConfig::default();
        let ms = |lo: u64, hi: u64| move |r: &mut Reader, v: &Value, p: &str| r.uint(v, p, lo, hi);
        let lag = self.opt(
            &o,
            "replica.lag.time.max.ms",
            d.replica_lag_time_max_ms,
            ms(1, LONG_MS_MAX),
        );
        let fetch_wait = self.opt(
            &o,
            "replica.fetch.wait.max.ms",
            d.replica_fetch_wait_max_ms,
            ms(0, INT_MAX),
        );
        // KafkaConfig's own check, in its words.
        if let (Some(wait), Some(lag)) = (fetch_wait, lag) {
            if wait > lag {
                self.error(
                    o.at("replica.fetch.wait.max.ms"),
                    "replica.fetch.wait.max.ms should always be less than or equal to replica.lag.time.max.ms to prevent frequent changes in ISR",
                );
            }
        }
        BrokerConfig {
            unclean_leader_election_enable: self.val(
                &o,
                "unclean.leader.election.enable",
                d.unclean_leader_election_enable,
                |r, v, p| r.boolean(v, p),
            ),
            replica_lag_time_max_ms: lag.unwrap_or(d.replica_lag_time_max_ms),
            replica_fetch_wait_max_ms: fetch_wait.unwrap_or(d.replica_fetch_wait_max_ms),
            replica_fetch_backoff_ms: self.val(
                &o,
                "replica.fetch.backoff.ms",
                d.replica_fetch_backoff_ms,
                ms(0, INT_MAX),
            ),
            broker_heartbeat_interval_ms: self.val(
                &o,
                "broker.heartbeat.interval.ms",
                d.broker_heartbeat_interval_ms,
                ms(1, INT_MAX),
            ),
            broker_session_timeout_ms: self.val(
                &o,
                "broker.session.timeout.ms",
                d.broker_session_timeout_ms,
                ms(1, INT_MAX),
            ),
            controller_quorum_election_timeout_ms: self.val(
                &o,
                "controller.quorum.election.timeout.ms",
                d.controller_quorum_election_timeout_ms,
                ms(1, INT_MAX),
            ),
            controller_quorum_fetch_timeout_ms: self.val(
                &o,
                "controller.quorum.fetch.timeout.ms",
                d.controller_quorum_fetch_timeout_ms,
                ms(1, INT_MAX),
            ),
            log_retention_check_interval_ms: self.val(
                &o,
                "log.retention.check.interval.ms",
                d.log_retention_check_interval_ms,
                ms(1, LONG_MS_MAX),
            ),
            auto_leader_rebalance_enable: self.val(
                &o,
                "auto.leader.rebalance.enable",
                d.auto_leader_rebalance_enable,
                |r, v, p| r.boolean(v, p),
            ),
            leader_imbalance_check_interval_seconds: self.val(
                &o,
                "leader.imbalance.check.interval.seconds",
                d.leader_imbalance_check_interval_seconds,
                ms(1, LONG_MS_MAX / 1000),
            ),
            group_initial_rebalance_delay_ms: self.val(
                &o,
                "group.initial.rebalance.delay.ms",
                d.group_initial_rebalance_delay_ms,
                ms(0, INT_MAX),
            ),
        }
    }

    fn topics(&mut self, top: &Obj, refs: &mut Refs) -> Vec<TopicSpec> {
        refs.topics_complete = true;
        let Some(v) = top.get("topics") else {
            return Vec::new();
        };
        let path = top.at("topics");
        // The partition bound makes a separate bound on the number of topics unnecessary.
        let Some(items) = self.array(v, &path, "topics", MAX_TOTAL_PARTITIONS as usize) else {
            refs.topics_complete = false;
            return Vec::new();
        };
        let mut topics = Vec::new();
        let mut first_index: BTreeMap<String, usize> = BTreeMap::new();
        let mut total: u64 = 0;
        for (i, item) in items.iter().enumerate() {
            let (topic, name_ok, partitions_ok) =
                self.topic(item, &index_path(&path, i), refs.brokers);
            total += u64::from(topic.partitions);
            if name_ok {
                if let Some(first) = first_index.get(&topic.name) {
                    self.error(
                        key_path(&index_path(&path, i), "name"),
                        format!(
                            "duplicate topic name {}: {}[{first}] has it too",
                            quote(&topic.name),
                            path
                        ),
                    );
                } else {
                    first_index.insert(topic.name.clone(), i);
                    let compacted = topic.config.cleanup_policy == CleanupPolicy::Compact;
                    refs.topics.insert(
                        topic.name.clone(),
                        (partitions_ok.then_some(topic.partitions), compacted),
                    );
                }
            } else {
                refs.topics_complete = false;
            }
            topics.push(topic);
        }
        if total > MAX_TOTAL_PARTITIONS {
            self.error(
                path,
                format!("the topics have {total} partitions in total; at most {MAX_TOTAL_PARTITIONS} are allowed"),
            );
        }
        topics
    }

    /// A topic, and whether its name and partition count are valid (other sections refer to them).
    fn topic(&mut self, v: &Value, path: &str, brokers: Option<u32>) -> (TopicSpec, bool, bool) {
        let o = self.object(v, path, TOPIC, &[("config", TOPIC_CONFIG)]);
        let name = self.req(&o, "name", |r, v, p| r.topic_name(v, p));
        let partitions = self.req(&o, "partitions", |r, v, p| {
            r.u32_in(v, p, 1, MAX_PARTITIONS_PER_TOPIC)
        });
        let default_rf = brokers.unwrap_or(3).min(3);
        let rf = self.opt(&o, "replication.factor", default_rf, |r, v, p| {
            r.u32_in(v, p, 1, MAX_BROKERS)
        });
        if let (Some(rf), Some(brokers)) = (rf, brokers) {
            if rf > brokers {
                // Kafka's InvalidReplicationFactorException, word for word.
                self.error(
                    o.at("replication.factor"),
                    format!("Replication factor: {rf} larger than available brokers: {brokers}."),
                );
            }
        }
        let config_path = o.at("config");
        let config = match o.get("config") {
            Some(v) => self.topic_config(v, &config_path, rf),
            None => TopicConfig::default(),
        };
        let spec = TopicSpec {
            name: name.clone().unwrap_or_default(),
            partitions: partitions.unwrap_or(1),
            replication_factor: rf.unwrap_or(default_rf),
            config,
        };
        (spec, name.is_some(), partitions.is_some())
    }

    fn topic_config(&mut self, v: &Value, path: &str, rf: Option<u32>) -> TopicConfig {
        let o = self.object(v, path, TOPIC_CONFIG, &[]);
        let d = TopicConfig::default();
        let min_isr = self.opt(
            &o,
            "min.insync.replicas",
            d.min_insync_replicas,
            |r, v, p| r.u32_in(v, p, 1, MAX_BROKERS),
        );
        if let (Some(m), Some(rf)) = (min_isr, rf) {
            if m > rf {
                self.error(
                    o.at("min.insync.replicas"),
                    format!(
                        "min.insync.replicas ({m}) is larger than replication.factor ({rf}): the ISR can never be that large, so every acks=all write would fail with NOT_ENOUGH_REPLICAS"
                    ),
                );
            }
        }
        let long_ms =
            |lo: u64| move |r: &mut Reader, v: &Value, p: &str| r.uint(v, p, lo, LONG_MS_MAX);
        TopicConfig {
            min_insync_replicas: min_isr.unwrap_or(d.min_insync_replicas),
            retention_ms: self.val(&o, "retention.ms", d.retention_ms, |r, v, p| {
                r.int(v, p, -1, LONG_MS_MAX as i64)
            }),
            retention_bytes: self.val(&o, "retention.bytes", d.retention_bytes, |r, v, p| {
                r.int(v, p, -1, i64::MAX)
            }),
            cleanup_policy: self.val(&o, "cleanup.policy", d.cleanup_policy, |r, v, p| {
                r.choice(
                    v,
                    p,
                    &[
                        ("delete", CleanupPolicy::Delete),
                        ("compact", CleanupPolicy::Compact),
                    ],
                )
            }),
            segment_bytes: self.val(&o, "segment.bytes", d.segment_bytes, |r, v, p| {
                r.uint(v, p, 1024, INT_MAX)
            }),
            segment_ms: self.val(&o, "segment.ms", d.segment_ms, long_ms(1)),
            delete_retention_ms: self.val(
                &o,
                "delete.retention.ms",
                d.delete_retention_ms,
                long_ms(0),
            ),
            min_cleanable_dirty_ratio: self.val(
                &o,
                "min.cleanable.dirty.ratio",
                d.min_cleanable_dirty_ratio,
                |r, v, p| r.float(v, p, FRange::closed(0.0, 1.0)),
            ),
        }
    }

    fn producers(&mut self, top: &Obj, refs: &mut Refs) -> Vec<ProducerSpec> {
        refs.producers_complete = true;
        let Some(v) = top.get("producers") else {
            return Vec::new();
        };
        let path = top.at("producers");
        let Some(items) = self.array(v, &path, "producers", MAX_PRODUCERS) else {
            refs.producers_complete = false;
            return Vec::new();
        };
        let mut producers = Vec::new();
        for (i, item) in items.iter().enumerate() {
            let p_path = index_path(&path, i);
            let (spec, name_ok, rate_ok, idempotent_ok) = self.producer(item, &p_path, refs);
            if name_ok {
                if refs.producers.contains_key(&spec.name) {
                    let first = producers
                        .iter()
                        .position(|p: &ProducerSpec| p.name == spec.name)
                        .unwrap_or(0);
                    self.error(
                        key_path(&p_path, "name"),
                        format!(
                            "duplicate producer name {}: {path}[{first}] has it too",
                            quote(&spec.name)
                        ),
                    );
                } else {
                    refs.producers.insert(
                        spec.name.clone(),
                        (
                            rate_ok.then_some(spec.rate_per_sec),
                            idempotent_ok.then_some(spec.config.enable_idempotence),
                        ),
                    );
                }
            } else {
                refs.producers_complete = false;
            }
            producers.push(spec);
        }
        producers
    }

    /// A producer, and whether its name, rate and idempotence are valid.
    fn producer(&mut self, v: &Value, path: &str, refs: &Refs) -> (ProducerSpec, bool, bool, bool) {
        let o = self.object(v, path, PRODUCER, &[("config", PRODUCER_CONFIG)]);
        let name = self.req(&o, "name", |r, v, p| r.name(v, p));
        let topic = self.req(&o, "topic", |r, v, p| r.string(v, p));
        if let Some(t) = &topic {
            if refs.topics_complete && !refs.topics.contains_key(t) {
                let known: Vec<&str> = refs.topics.keys().map(String::as_str).collect();
                self.error(o.at("topic"), unknown_name("topic", "topics", t, &known));
            }
        }
        let rate = self.req(&o, "rate_per_sec", |r, v, p| {
            r.float(v, p, FRange::above(0.0, MAX_RATE_PER_SEC))
        });
        let arrival = self.val(&o, "arrival", Arrival::Poisson, |r, v, p| {
            r.choice(
                v,
                p,
                &[
                    ("constant", Arrival::Constant),
                    ("poisson", Arrival::Poisson),
                ],
            )
        });
        let keys = self.opt(&o, "keys", KeySpec::None, |r, v, p| r.keys(v, p));
        if let (Some(KeySpec::None), Some(t)) = (&keys, &topic) {
            if let Some((_, true)) = refs.topics.get(t) {
                // The broker's error for a keyless record on a compacted topic, word for word.
                self.error(
                    o.at("keys"),
                    format!("Compacted topic cannot accept message without key in topic partition {t}-0."),
                );
            }
        }
        let value_bytes = self.val(&o, "value_bytes", 100, |r, v, p| {
            r.u32_in(v, p, 1, MAX_VALUE_BYTES)
        });
        let tombstone_share = self.val(&o, "tombstone_share", 0.0, |r, v, p| {
            r.float(v, p, FRange::closed(0.0, 1.0))
        });
        let (config, idempotent_ok) = match o.get("config") {
            Some(v) => self.producer_config(v, &o.at("config")),
            None => (ProducerConfig::default(), true),
        };
        let spec = ProducerSpec {
            name: name.clone().unwrap_or_default(),
            topic: topic.unwrap_or_default(),
            rate_per_sec: rate.unwrap_or(1.0),
            arrival,
            keys: keys.unwrap_or(KeySpec::None),
            value_bytes,
            tombstone_share,
            config,
        };
        (spec, name.is_some(), rate.is_some(), idempotent_ok)
    }

    fn keys(&mut self, v: &Value, path: &str) -> Option<KeySpec> {
        #[derive(Clone, Copy)]
        enum D {
            None,
            Uniform,
            Zipf,
            Hot,
        }
        let o = self.as_object(v, path);
        let d = self.req(&o, "distribution", |r, v, p| {
            r.choice(
                v,
                p,
                &[
                    ("none", D::None),
                    ("uniform", D::Uniform),
                    ("zipf", D::Zipf),
                    ("hot", D::Hot),
                ],
            )
        });
        let fields: &[&str] = match d {
            Some(D::None) => &["distribution"],
            Some(D::Uniform) => &["distribution", "count"],
            Some(D::Zipf) => &["distribution", "count", "exponent"],
            Some(D::Hot) => &["distribution", "count", "hot_share"],
            None => &["distribution", "count", "exponent", "hot_share"],
        };
        self.check_fields(&o, fields, &[]);
        let count =
            |r: &mut Reader, o: &Obj| r.req(o, "count", |r, v, p| r.u32_in(v, p, 1, MAX_KEYS));
        match d? {
            D::None => Some(KeySpec::None),
            D::Uniform => Some(KeySpec::Uniform {
                count: count(self, &o)?,
            }),
            D::Zipf => {
                let count = count(self, &o);
                let exponent = self.req(&o, "exponent", |r, v, p| {
                    r.float(v, p, FRange::above(0.0, 100.0))
                });
                Some(KeySpec::Zipf {
                    count: count?,
                    exponent: exponent?,
                })
            }
            D::Hot => {
                let count = count(self, &o);
                let hot_share = self.req(&o, "hot_share", |r, v, p| {
                    r.float(v, p, FRange::closed(0.0, 1.0))
                });
                Some(KeySpec::Hot {
                    count: count?,
                    hot_share: hot_share?,
                })
            }
        }
    }

    /// The producer's config, and whether `enable.idempotence` is known (all its inputs valid).
    fn producer_config(&mut self, v: &Value, path: &str) -> (ProducerConfig, bool) {
        let o = self.object(v, path, PRODUCER_CONFIG, &[]);
        let d = ProducerConfig::default();
        let int = |lo: u64, hi: u64| move |r: &mut Reader, v: &Value, p: &str| r.uint(v, p, lo, hi);
        let int32 =
            |lo: u32| move |r: &mut Reader, v: &Value, p: &str| r.u32_in(v, p, lo, i32::MAX as u32);

        let acks = self.opt(&o, "acks", d.acks, |r, v, p| r.acks(v, p));
        let idempotence_set = o.has("enable.idempotence");
        let idempotence = self.opt(&o, "enable.idempotence", d.enable_idempotence, |r, v, p| {
            r.boolean(v, p)
        });
        let linger = self.opt(&o, "linger.ms", d.linger_ms, |r, v, p| {
            r.float(v, p, FRange::closed(0.0, 3_600_000.0))
        });
        let retries = self.opt(&o, "retries", d.retries, int32(0));
        let in_flight = self.opt(
            &o,
            "max.in.flight.requests.per.connection",
            d.max_in_flight_requests_per_connection,
            int32(1),
        );
        let request_timeout = self.opt(
            &o,
            "request.timeout.ms",
            d.request_timeout_ms,
            int(0, INT_MAX),
        );
        let delivery_set = o.has("delivery.timeout.ms");
        let delivery = self.opt(
            &o,
            "delivery.timeout.ms",
            d.delivery_timeout_ms,
            int(0, INT_MAX),
        );

        // ProducerConfig.postProcessAndValidateIdempotenceConfigs: an explicit enable.idempotence=true
        // conflicting with retries, acks or in-flight is an error (Kafka's words); an implicit one
        // (the default) is quietly turned off, as Kafka does since 3.2.
        let mut idempotence_known = idempotence.is_some();
        let mut enable_idempotence = idempotence.unwrap_or(d.enable_idempotence);
        if enable_idempotence {
            let conflicts = [
                (
                    retries.map(|x| x == 0),
                    "retries",
                    "Must set retries to non-zero when using the idempotent producer.",
                ),
                (
                    acks.map(|a| a != Acks::All),
                    "acks",
                    "Must set acks to all in order to use the idempotent producer. Otherwise we cannot guarantee idempotence.",
                ),
                (
                    in_flight.map(|x| x > 5),
                    "max.in.flight.requests.per.connection",
                    "Must set max.in.flight.requests.per.connection to at most 5 when using the idempotent producer.",
                ),
            ];
            for (conflict, key, message) in conflicts {
                match conflict {
                    Some(true) if idempotence_set => self.error(o.at(key), message),
                    Some(true) => enable_idempotence = false,
                    Some(false) => {}
                    None => idempotence_known = false,
                }
            }
        }

        // KafkaProducer.configureDeliveryTimeout: an explicit delivery.timeout.ms below
        // linger.ms + request.timeout.ms is an error; the default one is raised to that sum.
        let mut delivery_timeout_ms = delivery.unwrap_or(d.delivery_timeout_ms);
        if let (Some(linger), Some(request), Some(delivery)) = (linger, request_timeout, delivery) {
            let floor = linger + request as f64;
            if (delivery as f64) < floor {
                if delivery_set {
                    self.error(
                        o.at("delivery.timeout.ms"),
                        "delivery.timeout.ms should be equal to or larger than linger.ms + request.timeout.ms",
                    );
                } else {
                    delivery_timeout_ms = floor.ceil() as u64;
                }
            }
        }

        let config = ProducerConfig {
            acks: acks.unwrap_or(d.acks),
            enable_idempotence,
            linger_ms: linger.unwrap_or(d.linger_ms),
            batch_size: self.val(&o, "batch.size", d.batch_size, int32(0)),
            retries: retries.unwrap_or(d.retries),
            max_in_flight_requests_per_connection: in_flight
                .unwrap_or(d.max_in_flight_requests_per_connection),
            request_timeout_ms: request_timeout.unwrap_or(d.request_timeout_ms),
            delivery_timeout_ms,
            retry_backoff_ms: self.val(
                &o,
                "retry.backoff.ms",
                d.retry_backoff_ms,
                int(0, LONG_MS_MAX),
            ),
            partitioner_class: self.val(&o, "partitioner.class", d.partitioner_class, |r, v, p| {
                r.partitioner(v, p)
            }),
        };
        (config, idempotence_known)
    }

    /// `partitioner.class`: Kafka's `RoundRobinPartitioner`, by its class name or the short one.
    /// Leaving it out gives Kafka's built-in partitioner, so no other value is simulated.
    fn partitioner(&mut self, v: &Value, path: &str) -> Option<Partitioner> {
        let names = Partitioner::ROUND_ROBIN_NAMES;
        let accepted = format!(
            "{} (leave partitioner.class out for Kafka's built-in partitioner: murmur2 of the key, sticky for null keys)",
            quoted_list(&names)
        );
        let Value::String(s) = v else {
            self.error(path, format!("expected one of {accepted}, got {}", describe(v)));
            return None;
        };
        if let Some(p) = Partitioner::from_class_name(s) {
            return Some(p);
        }
        let message = match closest(s, &names) {
            Some(c) => format!("unknown partitioner {}; did you mean {}? Accepted: {accepted}", quote(s), quote(c)),
            None => format!("unknown partitioner {}; expected one of {accepted}", quote(s)),
        };
        self.error(path, message);
        None
    }

    fn groups(&mut self, top: &Obj, refs: &mut Refs) -> Vec<GroupSpec> {
        refs.groups_complete = true;
        let Some(v) = top.get("consumer_groups") else {
            return Vec::new();
        };
        let path = top.at("consumer_groups");
        let Some(items) = self.array(v, &path, "consumer groups", MAX_GROUPS) else {
            refs.groups_complete = false;
            return Vec::new();
        };
        let mut groups: Vec<GroupSpec> = Vec::new();
        for (i, item) in items.iter().enumerate() {
            let g_path = index_path(&path, i);
            let (spec, id_ok, members_ok) = self.group(item, &g_path, refs);
            if id_ok {
                if refs.groups.contains_key(&spec.group_id) {
                    let first = groups
                        .iter()
                        .position(|g| g.group_id == spec.group_id)
                        .unwrap_or(0);
                    self.error(
                        key_path(&g_path, "group.id"),
                        format!(
                            "duplicate group.id {}: {path}[{first}] has it too",
                            quote(&spec.group_id)
                        ),
                    );
                } else {
                    refs.groups
                        .insert(spec.group_id.clone(), members_ok.then_some(spec.members));
                    refs.group_topics
                        .insert(spec.group_id.clone(), spec.topics.clone());
                }
            } else {
                refs.groups_complete = false;
            }
            groups.push(spec);
        }
        groups
    }

    /// A consumer group, and whether its id and member count are valid.
    fn group(&mut self, v: &Value, path: &str, refs: &Refs) -> (GroupSpec, bool, bool) {
        let o = self.object(
            v,
            path,
            GROUP,
            &[("config", CONSUMER_CONFIG), ("failures", FAILURES)],
        );
        let group_id = self.req(&o, "group.id", |r, v, p| r.name(v, p));
        let group_type = self.val(&o, "group.type", GroupType::Classic, |r, v, p| {
            r.choice(v, p, &[("classic", GroupType::Classic), ("share", GroupType::Share)])
        });
        let topics = self.req(&o, "topics", |r, v, p| {
            r.distinct(
                v,
                p,
                "topics",
                MAX_TOTAL_PARTITIONS as usize,
                Some("a group must subscribe to at least one topic"),
                |r, v, p| r.topic_ref(v, p, refs),
                |t, _| format!("topic {} is listed twice", quote(t)),
            )
        });
        let members = self.opt(&o, "members", 1, |r, v, p| r.u32_in(v, p, 0, MAX_MEMBERS));
        let processing_ms = self.val(
            &o,
            "processing_ms",
            ProcessingSpec::Constant { mean: 0.0 },
            |r, v, p| r.processing(v, p),
        );
        let failures = match o.get("failures") {
            Some(v) => self.failures(v, &o.at("failures")),
            None => None,
        };
        if let (GroupType::Share, Some(f)) = (group_type, &failures) {
            // Exports write every field: Kafka-side defaults are accepted, anything else is an error.
            let d = FailureSpec::default();
            let set = [("policy", f.policy != d.policy), ("retries", f.retries != d.retries), ("retry.backoff.ms", f.retry_backoff_ms != d.retry_backoff_ms)];
            for (key, differs) in set {
                if differs {
                    self.error(
                        key_path(&o.at("failures"), key),
                        format!("{} is not for share groups: a failed record is released and redelivered (with share.acknowledgement.mode \"explicit\") until share.delivery.count.limit deliveries, then archived; KIP-932 has no dead-letter topic", quote(key)),
                    );
                }
            }
        }
        let mut config = match o.get("config") {
            Some(v) => self.consumer_config(v, &o.at("config"), group_type),
            None => ConsumerConfig::default(),
        };
        // `"static": true` gives member i the instance id "{group.id}-{i}".
        if self.val(&o, "static", false, |r, v, p| r.boolean(v, p)) {
            if group_type == GroupType::Share {
                self.error(o.at("static"), "share groups have no static membership");
            } else if config.group_instance_id.is_some() {
                self.error(
                    o.at("static"),
                    "give either \"static\": true or config[\"group.instance.id\"], not both",
                );
            } else if let Some(id) = &group_id {
                config.group_instance_id = Some(InstanceIds::Prefix(id.clone()));
            }
        }
        let spec = GroupSpec {
            group_id: group_id.clone().unwrap_or_default(),
            group_type,
            topics: topics.unwrap_or_default(),
            members: members.unwrap_or(1),
            processing_ms,
            failures,
            config,
        };
        (spec, group_id.is_some(), members.is_some())
    }

    fn processing(&mut self, v: &Value, path: &str) -> Option<ProcessingSpec> {
        let o = self.object(v, path, &["distribution", "mean"], &[]);
        let exponential = self.req(&o, "distribution", |r, v, p| {
            r.choice(v, p, &[("constant", false), ("exponential", true)])
        });
        // An exponential with mean 0 is no distribution at all; a constant 0 means "instant".
        let range = if exponential == Some(true) {
            FRange::above(0.0, 3_600_000.0)
        } else {
            FRange::closed(0.0, 3_600_000.0)
        };
        let mean = self.req(&o, "mean", |r, v, p| r.float(v, p, range));
        match (exponential?, mean?) {
            (true, mean) => Some(ProcessingSpec::Exponential { mean }),
            (false, mean) => Some(ProcessingSpec::Constant { mean }),
        }
    }

    /// Which records fail processing, and the group's policy for them.
    fn failures(&mut self, v: &Value, path: &str) -> Option<FailureSpec> {
        let o = self.object(v, path, FAILURES, &[]);
        o.map?;
        let d = FailureSpec::default();
        let rate = self.val(&o, "rate", d.rate, |r, v, p| {
            r.float(v, p, FRange::closed(0.0, 1.0))
        });
        let poison_keys = self.val(&o, "poison_keys", Vec::new(), |r, v, p| {
            r.distinct(
                v,
                p,
                "poison keys",
                MAX_POISON_KEYS,
                None,
                |r, v, p| {
                    let k = r.string(v, p)?;
                    let valid = k == "hot"
                        || k.strip_prefix("key-").is_some_and(|n| n.parse::<u32>().is_ok_and(|n| n < MAX_KEYS));
                    if !valid {
                        r.error(p, format!("unknown key {}: producers name their keys \"key-0\", \"key-1\", … (and \"hot\" for the hot key)", quote(&k)));
                        return None;
                    }
                    Some(k)
                },
                |k, _| format!("key {} is listed twice", quote(k)),
            )
        });
        let policy = self.val(&o, "policy", d.policy.clone(), |r, v, p| {
            r.choice(
                v,
                p,
                &[
                    ("retry", 0u8),
                    ("skip", 1),
                    ("stop", 2),
                    ("dead_letter", 3),
                ],
            )
            .map(|i| match i {
                0 => FailurePolicy::Retry,
                1 => FailurePolicy::Skip,
                2 => FailurePolicy::Stop,
                _ => FailurePolicy::DeadLetter,
            })
        });
        let retries = self.val(&o, "retries", d.retries, |r, v, p| r.u32_in(v, p, 0, 1_000));
        let retry_backoff_ms = self.val(&o, "retry.backoff.ms", d.retry_backoff_ms, |r, v, p| {
            r.uint(v, p, 0, LONG_MS_MAX)
        });
        Some(FailureSpec {
            rate,
            poison_keys,
            policy,
            retries,
            retry_backoff_ms,
        })
    }

    /// `partition.assignment.strategy`: one name or a list, Kafka's short names or class names.
    fn strategies(&mut self, v: &Value, path: &str) -> Option<Vec<AssignorName>> {
        let one = |r: &mut Reader, v: &Value, p: &str| -> Option<AssignorName> {
            let s = r.string(v, p)?;
            if let Some(a) = AssignorName::from_name(&s) {
                return Some(a);
            }
            let names: Vec<&str> = AssignorName::ALL.iter().map(|a| a.name()).collect();
            let message = match closest(&s, &names) {
                Some(c) => format!("unknown assignor {}; did you mean {}?", quote(&s), quote(c)),
                None => format!(
                    "unknown assignor {}; expected one of {} (or Kafka's class names, such as \"org.apache.kafka.clients.consumer.RangeAssignor\")",
                    quote(&s),
                    quoted_list(&names)
                ),
            };
            r.error(p, message);
            None
        };
        if !v.is_array() {
            return one(self, v, path).map(|a| vec![a]);
        }
        self.distinct(v, path, "assignors", 16, Some("list at least one assignor"), one, |a, _| {
            format!("assignor {} is listed twice", quote(a.name()))
        })
    }

    /// `group.instance.id`: a prefix (member i gets "{prefix}-{i}") or one id per member.
    fn instance_ids(&mut self, v: &Value, path: &str) -> Option<InstanceIds> {
        if v.is_string() {
            return self.name(v, path).map(InstanceIds::Prefix);
        }
        if !v.is_array() {
            self.wrong_type(path, "a string (a prefix: member i gets \"{prefix}-{i}\") or an array of ids, one per member", v);
            return None;
        }
        self.distinct(
            v,
            path,
            "instance ids",
            MAX_MEMBERS as usize,
            None,
            |r, v, p| r.name(v, p),
            |id, first| format!("group.instance.id {} is already member {first}'s: static members need distinct ids", quote(id)),
        )
        .map(InstanceIds::List)
    }

    fn consumer_config(&mut self, v: &Value, path: &str, group_type: GroupType) -> ConsumerConfig {
        let o = self.object(v, path, CONSUMER_CONFIG, &[]);
        let d = ConsumerConfig::default();
        let share = self.share_config(&o, group_type);
        let int = |lo: u64, hi: u64| move |r: &mut Reader, v: &Value, p: &str| r.uint(v, p, lo, hi);
        let session = self.opt(&o, "session.timeout.ms", d.session_timeout_ms, |r, v, p| {
            let ms = r.uint(v, p, 0, INT_MAX)?;
            if !(GROUP_MIN_SESSION_TIMEOUT_MS..=GROUP_MAX_SESSION_TIMEOUT_MS).contains(&ms) {
                // The coordinator's INVALID_SESSION_TIMEOUT, with the broker defaults spelled out.
                r.error(
                    p,
                    format!("The session timeout is not within the range allowed by the broker (as configured by group.min.session.timeout.ms and group.max.session.timeout.ms): {ms} is outside {GROUP_MIN_SESSION_TIMEOUT_MS} to {GROUP_MAX_SESSION_TIMEOUT_MS}"),
                );
                return None;
            }
            Some(ms)
        });
        let heartbeat = self.opt(
            &o,
            "heartbeat.interval.ms",
            d.heartbeat_interval_ms,
            int(1, INT_MAX),
        );
        if let (Some(hb), Some(session)) = (heartbeat, session) {
            if hb >= session {
                // The consumer's own check (its Heartbeat), in its words.
                self.error(
                    if o.has("heartbeat.interval.ms") {
                        o.at("heartbeat.interval.ms")
                    } else {
                        o.at("session.timeout.ms")
                    },
                    format!("Heartbeat must be set lower than the session timeout (heartbeat.interval.ms {hb} >= session.timeout.ms {session})"),
                );
            }
        }
        let config = ConsumerConfig {
            partition_assignment_strategy: self.val(
                &o,
                "partition.assignment.strategy",
                d.partition_assignment_strategy.clone(),
                |r, v, p| r.strategies(v, p),
            ),
            group_instance_id: self.val(&o, "group.instance.id", None, |r, v, p| {
                r.instance_ids(v, p).map(Some)
            }),
            session_timeout_ms: session.unwrap_or(d.session_timeout_ms),
            heartbeat_interval_ms: heartbeat.unwrap_or(d.heartbeat_interval_ms),
            max_poll_interval_ms: self.val(
                &o,
                "max.poll.interval.ms",
                d.max_poll_interval_ms,
                int(1, INT_MAX),
            ),
            auto_offset_reset: self.val(&o, "auto.offset.reset", d.auto_offset_reset, |r, v, p| {
                r.choice(
                    v,
                    p,
                    &[
                        ("earliest", OffsetReset::Earliest),
                        ("latest", OffsetReset::Latest),
                        ("none", OffsetReset::None),
                    ],
                )
            }),
            enable_auto_commit: self.val(
                &o,
                "enable.auto.commit",
                d.enable_auto_commit,
                |r, v, p| r.boolean(v, p),
            ),
            auto_commit_interval_ms: self.val(
                &o,
                "auto.commit.interval.ms",
                d.auto_commit_interval_ms,
                int(0, INT_MAX),
            ),
            max_poll_records: self.val(&o, "max.poll.records", d.max_poll_records, |r, v, p| {
                r.u32_in(v, p, 1, i32::MAX as u32)
            }),
            fetch_max_wait_ms: self.val(
                &o,
                "fetch.max.wait.ms",
                d.fetch_max_wait_ms,
                int(0, INT_MAX),
            ),
            request_timeout_ms: self.val(
                &o,
                "request.timeout.ms",
                d.request_timeout_ms,
                int(0, INT_MAX),
            ),
            retry_backoff_ms: self.val(
                &o,
                "retry.backoff.ms",
                d.retry_backoff_ms,
                int(0, LONG_MS_MAX),
            ),
            prefetch: self.val(&o, "prefetch", None, |r, v, p| r.u32_in(v, p, 0, u16::MAX as u32).map(Some)),
            share,
        };
        if group_type == GroupType::Share {
            // Exports write every field: a classic setting left at Kafka's default is accepted.
            let differs = |key: &str| match key {
                "auto.offset.reset" => config.auto_offset_reset != d.auto_offset_reset,
                "enable.auto.commit" => config.enable_auto_commit != d.enable_auto_commit,
                "auto.commit.interval.ms" => config.auto_commit_interval_ms != d.auto_commit_interval_ms,
                "partition.assignment.strategy" => config.partition_assignment_strategy != d.partition_assignment_strategy,
                "group.instance.id" => config.group_instance_id.is_some(),
                "session.timeout.ms" => config.session_timeout_ms != d.session_timeout_ms,
                "heartbeat.interval.ms" => config.heartbeat_interval_ms != d.heartbeat_interval_ms,
                "max.poll.interval.ms" => config.max_poll_interval_ms != d.max_poll_interval_ms,
                _ => false,
            };
            for (key, why) in NOT_FOR_SHARE_GROUPS {
                if o.has(key) && differs(key) {
                    self.error(o.at(key), format!("{} is not supported by share groups (only Kafka's default is accepted): {why}", quote(key)));
                }
            }
        }
        config
    }

    /// KIP-932's settings in a group's `config`: read for share groups; for classic groups each one
    /// given is an error, and for share groups each classic-only consumer config is.
    fn share_config(&mut self, o: &Obj, group_type: GroupType) -> ShareConfig {
        let d = ShareConfig::default();
        if group_type == GroupType::Classic {
            for key in SHARE_CONFIG {
                if o.has(key) {
                    self.error(o.at(key), format!("{} is a share group setting; this group's group.type is \"classic\" (set \"group.type\": \"share\" on the group)", quote(key)));
                }
            }
            return d;
        }
        let (lock_lo, lock_hi) = SHARE_LOCK_DURATION_MS;
        let (count_lo, count_hi) = SHARE_DELIVERY_COUNT_LIMIT;
        let (locks_lo, locks_hi) = SHARE_MAX_RECORD_LOCKS;
        ShareConfig {
            record_lock_duration_ms: self.val(o, "share.record.lock.duration.ms", d.record_lock_duration_ms, |r, v, p| r.uint(v, p, lock_lo, lock_hi)),
            delivery_count_limit: self.val(o, "share.delivery.count.limit", d.delivery_count_limit, |r, v, p| r.u32_in(v, p, count_lo, count_hi)),
            partition_max_record_locks: self.val(o, "share.partition.max.record.locks", d.partition_max_record_locks, |r, v, p| r.u32_in(v, p, locks_lo, locks_hi)),
            auto_offset_reset: self.val(o, "share.auto.offset.reset", d.auto_offset_reset, |r, v, p| {
                r.choice(v, p, &[("earliest", ShareOffsetReset::Earliest), ("latest", ShareOffsetReset::Latest)])
            }),
            acknowledgement_mode: self.val(o, "share.acknowledgement.mode", d.acknowledgement_mode, |r, v, p| {
                r.choice(v, p, &[("implicit", AckMode::Implicit), ("explicit", AckMode::Explicit)])
            }),
        }
    }

    fn timeline(&mut self, top: &Obj, refs: &mut Refs, extra: &[Value]) -> Vec<TimelineEntry> {
        let path = top.at("timeline");
        let items: &[Value] = match top.get("timeline") {
            Some(v) => self.array(v, &path, "timeline entries", MAX_TIMELINE).map(Vec::as_slice).unwrap_or(&[]),
            None => &[],
        };
        // Every entry, the session's actions after the timeline's, with its path.
        let all: Vec<(String, &Value)> = items
            .iter()
            .enumerate()
            .map(|(i, item)| (index_path(&path, i), item))
            .chain(extra.iter().enumerate().map(|(i, item)| (index_path("$.session.actions", i), item)))
            .collect();
        // Members added anywhere in the timeline may be named by any entry: the engine numbers them
        // on from the initial members, and the file need not be sorted by time.
        for (_, item) in &all {
            if item.get("action").and_then(Value::as_str) == Some("add_consumer") {
                if let Some(g) = item.get("group").and_then(Value::as_str) {
                    *refs.adds.entry(g.to_string()).or_insert(0) += 1;
                }
            }
        }
        // Likewise groups started by `add_consumer_group`: any entry may name them. Their full
        // validation comes with the entry; here only the id, its uniqueness, members and topics.
        let initial_groups: Vec<String> = refs.groups.keys().cloned().collect();
        for (item_path, item) in &all {
            if item.get("action").and_then(Value::as_str) != Some("add_consumer_group") {
                continue;
            }
            let Some(g) = item.get("group").filter(|g| g.is_object()) else {
                continue;
            };
            let Some(id) = g.get("group.id").and_then(Value::as_str) else {
                refs.groups_complete = false;
                continue;
            };
            let id_path = key_path(&key_path(item_path, "group"), "group.id");
            if refs.groups.contains_key(id) {
                let other = if initial_groups.iter().any(|x| x == id) {
                    "a group in consumer_groups has it".to_string()
                } else {
                    "an earlier add_consumer_group has it".to_string()
                };
                self.error(id_path, format!("duplicate group.id {}: {other}", quote(id)));
                continue;
            }
            let members = match g.get("members") {
                None => Some(1),
                Some(m) => m.as_u64().filter(|&m| m <= u64::from(MAX_MEMBERS)).map(|m| m as u32),
            };
            refs.groups.insert(id.to_string(), members);
            let topics: Vec<String> = g
                .get("topics")
                .and_then(Value::as_array)
                .map(|ts| ts.iter().filter_map(|t| t.as_str().map(str::to_string)).collect())
                .unwrap_or_default();
            refs.group_topics.insert(id.to_string(), topics);
        }
        let mut added = std::mem::take(&mut self.added);
        let mut entries = Vec::new();
        for (i, item) in items.iter().enumerate() {
            if let Some(e) = self.entry(item, &index_path(&path, i), refs, &mut added) {
                entries.push(e);
            }
        }
        self.added = added;
        entries
    }

    /// A session's `"session"` object: its version, where it stopped, and the actions applied, in
    /// the order they were applied and within the scenario's duration.
    fn session(&mut self, v: &Value, path: &str, refs: &Refs, end_us: u64) -> (Vec<AppliedAction>, Option<StopAt>) {
        let o = self.object(v, path, &["version", "stop_at", "actions"], &[("stop_at", &["t_us", "events"])]);
        self.req(&o, "version", |r, v, p| {
            let n = r.uint(v, p, 0, u64::MAX)?;
            if n != SESSION_VERSION {
                r.error(p, format!("session version {n} is not one this Streamlab reads (it reads version {SESSION_VERSION}); export the session again"));
                return None;
            }
            Some(n)
        });
        let stop = o.get("stop_at").and_then(|v| {
            let p = o.at("stop_at");
            let s = self.as_object(v, &p);
            let t_us = self.req(&s, "t_us", |r, v, p| r.uint(v, p, 0, end_us));
            let events = self.req(&s, "events", |r, v, p| r.uint(v, p, 0, u64::MAX));
            Some(StopAt { t_us: t_us?, events: events? })
        });
        let mut actions: Vec<AppliedAction> = Vec::new();
        if let Some(items) = o.get("actions").and_then(|v| self.array(v, &o.at("actions"), "session actions", MAX_TIMELINE)) {
            let mut added = std::mem::take(&mut self.added);
            let mut last: Option<(u64, u64)> = None;
            for (i, item) in items.iter().enumerate() {
                let p = index_path(&o.at("actions"), i);
                let a = self.as_object(item, &p);
                let t_us = self.req(&a, "t_us", |r, v, p| r.uint(v, p, 0, end_us));
                let after_events = self.req(&a, "after_events", |r, v, p| r.uint(v, p, 0, u64::MAX));
                let Some(name) = self.req(&a, "action", |r, v, p| r.action_name(v, p)) else { continue };
                let mut fields = vec!["t_us", "after_events", "action"];
                fields.extend_from_slice(action_fields(&name));
                self.check_fields(&a, &fields, &[]);
                let action = self.action(&name, &a, refs, &mut added);
                let (Some(t_us), Some(after_events), Some(action)) = (t_us, after_events, action) else { continue };
                if last.is_some_and(|l| (t_us, after_events) < l) {
                    self.error(&p, "actions must be in the order they were applied: this one comes before the one above it (t_us, then after_events)");
                    continue;
                }
                last = Some((t_us, after_events));
                actions.push(AppliedAction { t_us, after_events, action });
            }
            self.added = added;
            if let (Some(stop), Some((t, e))) = (stop, last) {
                if (stop.t_us, stop.events.max(e)) < (t, e) {
                    self.error(key_path(&o.at("stop_at"), "t_us"), format!("the session stops at {} µs, before its last action at {t} µs", stop.t_us));
                }
            }
        } else if o.map.is_some() && !o.has("actions") {
            self.error(o.at("actions"), "missing required field \"actions\" (an empty list when no action was applied)");
        }
        (actions, stop)
    }

    fn entry(
        &mut self,
        v: &Value,
        path: &str,
        refs: &Refs,
        added: &mut BTreeMap<String, u32>,
    ) -> Option<TimelineEntry> {
        let o = self.as_object(v, path);
        let at_ms = self.req(&o, "at_ms", |r, v, p| r.uint(v, p, 0, LONG_MS_MAX));
        let action_name = self.req(&o, "action", |r, v, p| r.action_name(v, p));
        let Some(action_name) = action_name else {
            // Without a known action we cannot tell which other fields belong; say nothing about them.
            return None;
        };
        let mut fields = vec!["at_ms", "action"];
        fields.extend_from_slice(action_fields(&action_name));
        self.check_fields(&o, &fields, &[]);
        let action = self.action(&action_name, &o, refs, added);
        Some(TimelineEntry {
            at_ms: at_ms?,
            action: action?,
        })
    }

    /// One of `ACTIONS`, or an error that suggests the closest.
    fn action_name(&mut self, v: &Value, p: &str) -> Option<String> {
        let s = self.string(v, p)?;
        if ACTIONS.contains(&s.as_str()) {
            return Some(s);
        }
        let message = match closest(&s, ACTIONS) {
            Some(c) => format!("unknown action {}; did you mean {}?", quote(&s), quote(c)),
            None => format!("unknown action {}; expected one of {}", quote(&s), quoted_list(ACTIONS)),
        };
        self.error(p, message);
        None
    }

    fn action(
        &mut self,
        name: &str,
        o: &Obj,
        refs: &Refs,
        added: &mut BTreeMap<String, u32>,
    ) -> Option<Action> {
        let action = match name {
            "crash_broker" => Action::CrashBroker {
                broker: self.req(o, "broker", |r, v, p| r.broker_ref(v, p, refs, false))?,
            },
            "restart_broker" => Action::RestartBroker {
                broker: self.req(o, "broker", |r, v, p| r.broker_ref(v, p, refs, true))?,
            },
            "crash_leader" => {
                let topic = self.req(o, "topic", |r, v, p| r.topic_ref(v, p, refs));
                let partitions = topic
                    .as_ref()
                    .and_then(|t| refs.topics.get(t))
                    .and_then(|(n, _)| *n);
                let partition = self.req(o, "partition", |r, v, p| {
                    let x = r.u32_in(v, p, 0, u32::MAX)?;
                    match (partitions, &topic) {
                        (Some(n), Some(t)) if x >= n => {
                            r.error(p, format!("topic {} has {n} partitions (0 to {}), so there is no partition {x}", quote(t), n - 1));
                            None
                        }
                        _ => Some(x),
                    }
                });
                Action::CrashLeader {
                    topic: topic?,
                    partition: partition?,
                }
            }
            "isolate_broker" => Action::IsolateBroker {
                broker: self.req(o, "broker", |r, v, p| r.broker_id(v, p, refs))?,
            },
            "partition_network" => Action::PartitionNetwork {
                groups: self.req(o, "groups", |r, v, p| r.net_groups(v, p, refs))?,
            },
            "heal_network" => Action::HealNetwork,
            "crash_controller" => Action::CrashController {
                controller: self.req(o, "controller", |r, v, p| {
                    if v.as_str() == Some("active") {
                        return Some(ControllerRef::Active);
                    }
                    if !v.is_number() {
                        r.wrong_type(p, "a controller id or \"active\"", v);
                        return None;
                    }
                    r.controller_id(v, p, refs).map(ControllerRef::Id)
                })?,
            },
            "restart_controller" => Action::RestartController {
                controller: self.req(o, "controller", |r, v, p| r.controller_id(v, p, refs))?,
            },
            "slow_consumer" => {
                let group = self.req(o, "group", |r, v, p| r.group_ref(v, p, refs));
                let member = self.req(o, "member", |r, v, p| {
                    r.member(v, p, group.as_deref(), refs)
                });
                let factor = self.req(o, "factor", |r, v, p| {
                    r.float(v, p, FRange::closed(1.0, 1000.0))
                });
                Action::SlowConsumer {
                    group: group?,
                    member: member?,
                    factor: factor?,
                }
            }
            "crash_consumer" | "restart_consumer" | "remove_consumer" => {
                let group = self.req(o, "group", |r, v, p| r.group_ref(v, p, refs));
                let member = self.req(o, "member", |r, v, p| {
                    r.member(v, p, group.as_deref(), refs)
                });
                let (group, member) = (group?, member?);
                match name {
                    "crash_consumer" => Action::CrashConsumer { group, member },
                    "restart_consumer" => Action::RestartConsumer { group, member },
                    _ => Action::RemoveConsumer { group, member },
                }
            }
            "add_consumer" => {
                let group = self.req(o, "group", |r, v, p| r.group_ref(v, p, refs))?;
                if let Some(Some(members)) = refs.groups.get(&group) {
                    let n = added.entry(group.clone()).or_insert(0);
                    *n += 1;
                    if members + *n > MAX_MEMBERS {
                        self.error(
                            o.at("group"),
                            format!("this add_consumer would give group {} more than {MAX_MEMBERS} members", quote(&group)),
                        );
                        return None;
                    }
                }
                Action::AddConsumer { group }
            }
            "traffic_spike" => {
                let producer = self.req(o, "producer", |r, v, p| r.producer_ref(v, p, refs));
                let rate = producer
                    .as_ref()
                    .and_then(|n| refs.producers.get(n))
                    .and_then(|(r, _)| *r);
                let factor = self.req(o, "factor", |r, v, p| {
                    let f = r.float(v, p, FRange::above(0.0, 1000.0))?;
                    match rate {
                        Some(rate) if rate * f > MAX_RATE_PER_SEC => {
                            r.error(p, format!("rate_per_sec {rate} × factor {f} = {} records/s, more than the limit of {MAX_RATE_PER_SEC}", rate * f));
                            None
                        }
                        _ => Some(f),
                    }
                });
                let duration_ms =
                    self.req(o, "duration_ms", |r, v, p| r.uint(v, p, 1, LONG_MS_MAX));
                Action::TrafficSpike {
                    producer: producer?,
                    factor: factor?,
                    duration_ms: duration_ms?,
                }
            }
            "set_producer_rate" => {
                let producer = self.req(o, "producer", |r, v, p| r.producer_ref(v, p, refs));
                let rate = self.req(o, "rate_per_sec", |r, v, p| {
                    r.float(v, p, FRange::above(0.0, MAX_RATE_PER_SEC))
                });
                Action::SetProducerRate {
                    producer: producer?,
                    rate_per_sec: rate?,
                }
            }
            "set_producer_acks" => {
                let producer = self.req(o, "producer", |r, v, p| r.producer_ref(v, p, refs));
                let idempotent = producer
                    .as_ref()
                    .and_then(|n| refs.producers.get(n))
                    .and_then(|(_, i)| *i);
                let acks = self.req(o, "acks", |r, v, p| {
                    let a = r.acks(v, p)?;
                    if a != Acks::All && idempotent == Some(true) {
                        r.error(
                            p,
                            "Must set acks to all in order to use the idempotent producer. Otherwise we cannot guarantee idempotence. (Set enable.idempotence to false on this producer to change its acks.)",
                        );
                        return None;
                    }
                    Some(a)
                });
                Action::SetProducerAcks {
                    producer: producer?,
                    acks: acks?,
                }
            }
            "reset_offsets" => return self.reset_offsets(o, refs),
            #[cfg(feature = "all-designs")]
            "crash_service" | "restart_service" => return self.service_action(name, o, refs),
            #[cfg(not(feature = "all-designs"))]
            "crash_service" | "restart_service" => {
                self.error(o.at("action"), CLI_ONLY);
                return None;
            }
            "add_consumer_group" => {
                let v = o.get("group");
                let Some(v) = v else {
                    self.error(o.at("group"), "missing required field \"group\"");
                    return None;
                };
                if !v.is_object() {
                    self.wrong_type(&o.at("group"), "a consumer group (an object like those in consumer_groups)", v);
                    return None;
                }
                let errors_before = self.errors.len() + self.dropped;
                let (group, id_ok, members_ok) = self.group(v, &o.at("group"), refs);
                if !id_ok || !members_ok || self.errors.len() + self.dropped > errors_before {
                    return None;
                }
                Action::AddConsumerGroup { group }
            }
            // `entry` only calls us with a name from ACTIONS.
            _ => return None,
        };
        Some(action)
    }

    /// `reset_offsets`: the group, optionally one topic (and one partition of it), and where to.
    fn reset_offsets(&mut self, o: &Obj, refs: &Refs) -> Option<Action> {
        let group = self.req(o, "group", |r, v, p| r.group_ref(v, p, refs));
        let subscribed = group.as_ref().and_then(|g| refs.group_topics.get(g));
        let topic = self.opt(o, "topic", None, |r, v, p| {
            let t = r.topic_ref(v, p, refs)?;
            if let (Some(g), Some(subs)) = (&group, subscribed) {
                if !subs.contains(&t) {
                    r.error(
                        p,
                        format!("group {} does not subscribe to topic {} (it reads {})", quote(g), quote(&t), quoted_list(&subs.iter().map(String::as_str).collect::<Vec<_>>())),
                    );
                    return None;
                }
            }
            Some(Some(t))
        });
        let partition = self.opt(o, "partition", None, |r, v, p| {
            let x = r.u32_in(v, p, 0, u32::MAX)?;
            let Some(Some(t)) = &topic else {
                if topic.is_some() {
                    r.error(p, "a partition needs a \"topic\" too");
                }
                return None;
            };
            match refs.topics.get(t).and_then(|(n, _)| *n) {
                Some(n) if x >= n => {
                    r.error(p, format!("topic {} has {n} partitions (0 to {}), so there is no partition {x}", quote(t), n - 1));
                    None
                }
                _ => Some(Some(x)),
            }
        });
        let names: Vec<&str> = RESET_OPTIONS.iter().map(|(n, _)| *n).collect();
        let to = self.req(o, "to", |r, v, p| {
            let options: Vec<(&str, &str)> = names.iter().map(|n| (*n, *n)).collect();
            r.choice(v, p, &options)
        });
        // Each option takes its own field and no other option's.
        let needs = to.and_then(|t| RESET_OPTIONS.iter().find(|(n, _)| *n == t)).and_then(|(_, f)| *f);
        for (option, field) in RESET_OPTIONS {
            let Some(field) = field else { continue };
            if o.has(field) && to.is_some() && needs != Some(*field) {
                self.error(
                    o.at(field),
                    format!("{} only applies with \"to\": {}", quote(field), quote(option)),
                );
            }
        }
        let to = match to? {
            "earliest" => ResetTo::Earliest,
            "latest" => ResetTo::Latest,
            "current" => ResetTo::Current,
            "offset" => ResetTo::Offset {
                offset: self.req(o, "offset", |r, v, p| r.uint(v, p, 0, i64::MAX as u64))?,
            },
            "shift-by" => ResetTo::ShiftBy {
                shift: self.req(o, "shift", |r, v, p| r.int(v, p, -(i64::MAX), i64::MAX))?,
            },
            "datetime" => ResetTo::Datetime {
                datetime_ms: self.req(o, "datetime_ms", |r, v, p| r.uint(v, p, 0, LONG_MS_MAX))?,
            },
            _ => ResetTo::Duration {
                duration_ms: self.req(o, "duration_ms", |r, v, p| r.uint(v, p, 0, LONG_MS_MAX))?,
            },
        };
        Some(Action::ResetOffsets {
            group: group?,
            topic: topic?,
            partition: partition?,
            to,
        })
    }

    // References from timeline entries to the rest of the scenario.

    fn broker_id(&mut self, v: &Value, path: &str, refs: &Refs) -> Option<u32> {
        let id = self.u32_in(v, path, 0, u32::MAX)?;
        match refs.brokers {
            Some(n) if id >= n => {
                self.error(
                    path,
                    format!(
                        "no broker {id}: the cluster has {n} brokers, ids 0 to {}",
                        n - 1
                    ),
                );
                None
            }
            _ => Some(id),
        }
    }

    fn broker_ref(
        &mut self,
        v: &Value,
        path: &str,
        refs: &Refs,
        restart: bool,
    ) -> Option<BrokerRef> {
        match v {
            Value::String(s) if s == "crashed" => {
                if restart {
                    Some(BrokerRef::Crashed)
                } else {
                    self.error(path, "\"crashed\" names the broker crashed last; it only makes sense in restart_broker");
                    None
                }
            }
            Value::Number(_) => self.broker_id(v, path, refs).map(BrokerRef::Id),
            other => {
                let expected = if restart {
                    "a broker id or \"crashed\""
                } else {
                    "a broker id"
                };
                self.wrong_type(path, expected, other);
                None
            }
        }
    }

    fn controller_id(&mut self, v: &Value, path: &str, refs: &Refs) -> Option<u32> {
        let id = self.u32_in(v, path, 0, u32::MAX)?;
        match refs.controllers {
            Some(n) if id >= n => {
                self.error(
                    path,
                    format!(
                        "no controller {id}: the quorum has {n} controllers, ids 0 to {}",
                        n - 1
                    ),
                );
                None
            }
            _ => Some(id),
        }
    }

    fn net_groups(&mut self, v: &Value, path: &str, refs: &Refs) -> Option<Vec<Vec<u32>>> {
        let items = self.array(v, path, "groups", MAX_BROKERS as usize)?;
        if items.len() < 2 {
            self.error(
                path,
                "a network partition needs at least 2 groups of brokers",
            );
            return None;
        }
        let mut seen: BTreeMap<u32, usize> = BTreeMap::new();
        let mut groups = Vec::new();
        let mut ok = true;
        for (i, item) in items.iter().enumerate() {
            let g_path = index_path(path, i);
            let Some(ids) = self.array(item, &g_path, "brokers", MAX_BROKERS as usize) else {
                ok = false;
                continue;
            };
            if ids.is_empty() {
                self.error(&g_path, "a group needs at least one broker");
                ok = false;
            }
            let mut group = Vec::new();
            for (j, id) in ids.iter().enumerate() {
                let id_path = index_path(&g_path, j);
                let Some(id) = self.broker_id(id, &id_path, refs) else {
                    ok = false;
                    continue;
                };
                if let Some(first) = seen.get(&id) {
                    self.error(
                        id_path,
                        format!("broker {id} is already in {path}[{first}]"),
                    );
                    ok = false;
                } else {
                    seen.insert(id, i);
                }
                group.push(id);
            }
            groups.push(group);
        }
        ok.then_some(groups)
    }

    fn topic_ref(&mut self, v: &Value, path: &str, refs: &Refs) -> Option<String> {
        let t = self.string(v, path)?;
        if refs.topics_complete && !refs.topics.contains_key(&t) {
            let known: Vec<&str> = refs.topics.keys().map(String::as_str).collect();
            self.error(path, unknown_name("topic", "topics", &t, &known));
            return None;
        }
        Some(t)
    }

    fn group_ref(&mut self, v: &Value, path: &str, refs: &Refs) -> Option<String> {
        let g = self.string(v, path)?;
        if refs.groups_complete && !refs.groups.contains_key(&g) {
            let known: Vec<&str> = refs.groups.keys().map(String::as_str).collect();
            self.error(
                path,
                unknown_name("consumer group", "consumer groups", &g, &known),
            );
            return None;
        }
        Some(g)
    }

    fn producer_ref(&mut self, v: &Value, path: &str, refs: &Refs) -> Option<String> {
        let p = self.string(v, path)?;
        if refs.producers_complete && !refs.producers.contains_key(&p) {
            let known: Vec<&str> = refs.producers.keys().map(String::as_str).collect();
            self.error(path, unknown_name("producer", "producers", &p, &known));
            return None;
        }
        Some(p)
    }

    /// A member index of `group`: below its initial members plus the members the timeline adds.
    fn member(&mut self, v: &Value, path: &str, group: Option<&str>, refs: &Refs) -> Option<u32> {
        let m = self.u32_in(v, path, 0, MAX_MEMBERS)?;
        let Some(g) = group else { return Some(m) };
        let Some(Some(members)) = refs.groups.get(g) else {
            return Some(m);
        };
        let limit = members + refs.adds.get(g).copied().unwrap_or(0);
        if m >= limit {
            let message = if limit == 0 {
                format!(
                    "group {} has no members (members is 0 and no add_consumer adds one)",
                    quote(g)
                )
            } else {
                format!(
                    "no member {m} in group {}: its members are numbered 0 to {}",
                    quote(g),
                    limit - 1
                )
            };
            self.error(path, message);
            return None;
        }
        Some(m)
    }
}
