//! The scenario file's typed form. Field names follow Kafka's configs (`acks`, `min.insync.replicas`,
//! `linger.ms` …) and every default is Kafka's own (3.7+/4.0), so a practitioner can read a scenario
//! file as a Kafka configuration. `parse.rs` builds these types from JSON, collecting every error with
//! its JSON path; `Serialize` writes them back (session export, share links).

use serde::Serialize;

/// One scenario: a cluster, its topics, the clients that use it, and a timeline of actions and faults.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Scenario {
    pub name: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub description: String,
    pub seed: u64,
    pub duration_ms: u64,
    pub cluster: ClusterSpec,
    pub topics: Vec<TopicSpec>,
    pub producers: Vec<ProducerSpec>,
    pub consumer_groups: Vec<GroupSpec>,
    pub timeline: Vec<TimelineEntry>,
    /// `log` (Kafka, the default) or `queue` (a RabbitMQ-style classic queue per consumer group).
    /// Written out only when it is not the default, so existing files export unchanged.
    #[serde(skip_serializing_if = "Design::is_log")]
    pub design: Design,
    /// The queue design's settings (RabbitMQ's argument names); read by the queue design only.
    #[serde(skip_serializing_if = "QueueSpec::is_default")]
    pub queue: QueueSpec,
    /// The `rest` and `events` designs' services (see `contrasts.rs`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub services: Option<super::contrasts::ServicesSpec>,
    /// The `batch` and `stream` designs' fraud rule (see `contrasts.rs`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fraud: Option<super::contrasts::FraudSpec>,
}

/// Which system runs the scenario's workload.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Design {
    /// A replicated, partitioned log (Kafka): consumers read by offset, records stay until retention.
    #[default]
    Log,
    /// A message queue (RabbitMQ): each consumer group is a queue bound to the producers' exchanges;
    /// its members compete for messages, which are deleted on acknowledgement.
    Queue,
    /// Services calling each other synchronously over HTTP (the `services` section).
    Rest,
    /// The same services, each consuming an input topic and publishing to the next.
    Events,
    /// A fraud rule evaluated by a batch job every `batch.interval.ms` (the `fraud` section).
    Batch,
    /// The same rule in a stream processor with a windowed count in a state store.
    Stream,
}

impl Design {
    pub fn is_log(&self) -> bool {
        *self == Design::Log
    }
    pub fn name(self) -> &'static str {
        match self {
            Design::Log => "log",
            Design::Queue => "queue",
            Design::Rest => "rest",
            Design::Events => "events",
            Design::Batch => "batch",
            Design::Stream => "stream",
        }
    }
}

/// RabbitMQ's queue types (`x-queue-type`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum QueueType {
    /// One node holds the queue; durable queues keep persistent messages on its disk.
    #[default]
    Classic,
    /// Raft-replicated over three nodes (or every node of a smaller cluster): a leader, quorum writes
    /// before the publisher confirm, leader failover on crash.
    Quorum,
}

/// `x-overflow`: what a full queue (`x-max-length`) does with a new message.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Overflow {
    /// Drop (or dead-letter) the oldest ready message to make room (RabbitMQ's default).
    #[default]
    DropHead,
    /// Refuse the new message: a publisher with confirms gets a nack.
    RejectPublish,
    /// Refuse the new message and dead-letter it.
    RejectPublishDlx,
}

/// The exchange type every producer's exchange has (the exchange is named after the producer's topic).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ExchangeType {
    /// Every bound queue gets every message: each group sees the whole stream, like a Kafka group.
    #[default]
    Fanout,
    /// A queue gets the messages whose routing key (the record key) equals one of its binding keys.
    Direct,
    /// Binding keys are patterns over dot-separated words: `*` one word, `#` zero or more.
    Topic,
}

/// A queue's arguments. In `QueueSpec` they are the defaults of every queue; `queues` overrides them
/// per consumer group. Absent numbers mean "no limit".
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct QueueArgs {
    #[serde(rename = "queue.type", skip_serializing_if = "Option::is_none")]
    pub queue_type: Option<QueueType>,
    /// A durable queue survives a node restart with its persistent messages. Quorum queues are
    /// always durable.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub durable: Option<bool>,
    /// Messages older than this (ms since they were enqueued) expire at the head of the queue.
    #[serde(rename = "x-message-ttl", skip_serializing_if = "Option::is_none")]
    pub message_ttl_ms: Option<u64>,
    /// At most this many ready messages; see `x-overflow`.
    #[serde(rename = "x-max-length", skip_serializing_if = "Option::is_none")]
    pub max_length: Option<u64>,
    #[serde(rename = "x-overflow", skip_serializing_if = "Option::is_none")]
    pub overflow: Option<Overflow>,
    /// Quorum queues only: after this many deliveries a message returned again is dead-lettered
    /// (or dropped without a dead-letter exchange). RabbitMQ 4.0's default is 20; -1 is unlimited.
    #[serde(rename = "x-delivery-limit", skip_serializing_if = "Option::is_none")]
    pub delivery_limit: Option<i64>,
    /// Where expired, rejected, overflowing and over-limit messages go (a dead-letter queue bound to
    /// it is modelled as a counter and the messages it holds).
    #[serde(rename = "x-dead-letter-exchange", skip_serializing_if = "Option::is_none")]
    pub dead_letter_exchange: Option<String>,
    /// Binding keys of the group's queue (direct and topic exchanges). Default `["#"]` for topic;
    /// required for direct.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub binding_keys: Option<Vec<String>>,
}

/// The queue design's settings, RabbitMQ's names where it has one.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct QueueSpec {
    #[serde(rename = "exchange.type")]
    pub exchange_type: ExchangeType,
    /// Publisher confirms (`confirm.select`): a message counts as acknowledged when the broker
    /// confirms it. Off: fire and forget, acknowledged when sent (like `acks=0`). Default on.
    pub publisher_confirms: bool,
    /// `delivery_mode` 2 (persistent) or 1 (transient). Default persistent.
    pub persistent: bool,
    /// `basic.qos` prefetch count per consumer: at most this many unacknowledged deliveries.
    /// 0 is unlimited. Default 250 (Spring AMQP's default; RabbitMQ recommends 100 to 300). A
    /// group's `config.prefetch` overrides it.
    pub prefetch: u32,
    /// How long the remaining nodes take to elect a new quorum queue leader after its node crashed.
    #[serde(rename = "leader.election.ms")]
    pub leader_election_ms: u64,
    /// Defaults for every queue.
    #[serde(flatten)]
    pub args: QueueArgs,
    /// Per consumer group (its queue's name): arguments that override the defaults.
    #[serde(skip_serializing_if = "std::collections::BTreeMap::is_empty")]
    pub queues: std::collections::BTreeMap<String, QueueArgs>,
}

impl Default for QueueSpec {
    fn default() -> Self {
        QueueSpec {
            exchange_type: ExchangeType::Fanout,
            publisher_confirms: true,
            persistent: true,
            prefetch: 250,
            leader_election_ms: 2_000,
            args: QueueArgs::default(),
            queues: Default::default(),
        }
    }
}

impl QueueSpec {
    pub fn is_default(&self) -> bool {
        *self == QueueSpec::default()
    }
    /// The arguments of one group's queue: its overrides over the defaults.
    pub fn args_for(&self, group: &str) -> QueueArgs {
        let mut a = self.args.clone();
        if let Some(o) = self.queues.get(group) {
            macro_rules! over {
                ($($f:ident),*) => { $( if o.$f.is_some() { a.$f = o.$f.clone(); } )* };
            }
            over!(queue_type, durable, message_ttl_ms, max_length, overflow, delivery_limit, dead_letter_exchange, binding_keys);
        }
        a
    }
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ClusterSpec {
    /// Number of brokers, ids 0..brokers. 1..=64.
    pub brokers: u32,
    /// Number of KRaft controllers in the quorum (separate nodes). 1..=7, default 3.
    pub controllers: u32,
    /// `broker.rack` per broker, assigned round-robin from this list (`racks[i % len]`). Empty: no racks.
    pub racks: Vec<String>,
    pub network: NetworkSpec,
    pub config: BrokerConfig,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct NetworkSpec {
    /// One-way latency of every link, milliseconds (>= 0). Default 1.0.
    pub latency_ms: f64,
    /// Uniform extra delay in [0, jitter_ms] per message (>= 0). Default 0. Links stay FIFO (TCP).
    pub jitter_ms: f64,
    /// Probability in [0, 1) that a request or response between a client and a broker is lost (a
    /// dropped connection; the client times out). Inter-broker traffic is not dropped. Default 0.
    pub loss: f64,
    /// Links slower or faster than `latency_ms`: brokers in another zone or region, a slow client
    /// network. Symmetric; when several entries match a pair of nodes, the last one wins.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub links: Vec<LinkSpec>,
}

/// One end of a link override.
#[derive(Clone, Debug, PartialEq)]
pub enum Endpoint {
    /// One broker, by id (written as a number).
    Broker(u32),
    /// Every broker whose `broker.rack` is this name (written `"rack:NAME"`).
    Rack(String),
    /// Every producer and consumer (written `"clients"`).
    Clients,
    /// Every KRaft controller (written `"controllers"`).
    Controllers,
}

impl Serialize for Endpoint {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Endpoint::Broker(b) => s.serialize_u32(*b),
            Endpoint::Rack(r) => s.serialize_str(&format!("rack:{r}")),
            Endpoint::Clients => s.serialize_str("clients"),
            Endpoint::Controllers => s.serialize_str("controllers"),
        }
    }
}

/// `{ "between": [A, B], "latency_ms": 40, "jitter_ms": 5 }`: messages between any node matching A
/// and any node matching B (either way) take this one-way latency.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct LinkSpec {
    pub between: [Endpoint; 2],
    pub latency_ms: f64,
    /// Defaults to the network's `jitter_ms`.
    pub jitter_ms: f64,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct BrokerConfig {
    #[serde(rename = "unclean.leader.election.enable")]
    pub unclean_leader_election_enable: bool, // false
    #[serde(rename = "replica.lag.time.max.ms")]
    pub replica_lag_time_max_ms: u64, // 30000
    #[serde(rename = "replica.fetch.wait.max.ms")]
    pub replica_fetch_wait_max_ms: u64, // 500
    #[serde(rename = "replica.fetch.backoff.ms")]
    pub replica_fetch_backoff_ms: u64, // 1000
    #[serde(rename = "broker.heartbeat.interval.ms")]
    pub broker_heartbeat_interval_ms: u64, // 2000
    #[serde(rename = "broker.session.timeout.ms")]
    pub broker_session_timeout_ms: u64, // 9000
    #[serde(rename = "controller.quorum.election.timeout.ms")]
    pub controller_quorum_election_timeout_ms: u64, // 1000
    #[serde(rename = "controller.quorum.fetch.timeout.ms")]
    pub controller_quorum_fetch_timeout_ms: u64, // 2000
    #[serde(rename = "log.retention.check.interval.ms")]
    pub log_retention_check_interval_ms: u64, // 300000
    #[serde(rename = "auto.leader.rebalance.enable")]
    pub auto_leader_rebalance_enable: bool, // true
    #[serde(rename = "leader.imbalance.check.interval.seconds")]
    pub leader_imbalance_check_interval_seconds: u64, // 300
    /// How long the coordinator waits for more members before the first assignment of an empty group.
    #[serde(rename = "group.initial.rebalance.delay.ms")]
    pub group_initial_rebalance_delay_ms: u64, // 3000
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum CleanupPolicy {
    Delete,
    Compact,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct TopicSpec {
    pub name: String,
    /// 1..=10000.
    pub partitions: u32,
    /// 1..=brokers.
    #[serde(rename = "replication.factor")]
    pub replication_factor: u32,
    pub config: TopicConfig,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct TopicConfig {
    /// 1..=replication.factor, default 1.
    #[serde(rename = "min.insync.replicas")]
    pub min_insync_replicas: u32,
    /// -1 = unlimited. Default 604800000 (7 days).
    #[serde(rename = "retention.ms")]
    pub retention_ms: i64,
    /// -1 = unlimited (default).
    #[serde(rename = "retention.bytes")]
    pub retention_bytes: i64,
    #[serde(rename = "cleanup.policy")]
    pub cleanup_policy: CleanupPolicy,
    /// Default 1073741824 (1 GiB). >= 1024.
    #[serde(rename = "segment.bytes")]
    pub segment_bytes: u64,
    /// Default 604800000 (7 days): a segment rolls when its first record is older than this.
    #[serde(rename = "segment.ms")]
    pub segment_ms: u64,
    /// Default 86400000 (1 day).
    #[serde(rename = "delete.retention.ms")]
    pub delete_retention_ms: u64,
    /// Default 0.5.
    #[serde(rename = "min.cleanable.dirty.ratio")]
    pub min_cleanable_dirty_ratio: f64,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Arrival {
    Constant,
    Poisson,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub enum Acks {
    #[serde(rename = "0")]
    Zero,
    #[serde(rename = "1")]
    One,
    #[serde(rename = "all")]
    All,
}

impl Acks {
    /// The value as Kafka's `acks` config spells it.
    pub fn as_str(self) -> &'static str {
        match self {
            Acks::Zero => "0",
            Acks::One => "1",
            Acks::All => "all",
        }
    }
}

#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(tag = "distribution", rename_all = "lowercase")]
pub enum KeySpec {
    /// Null keys: the sticky partitioner (KIP-794).
    None,
    /// Keys `key-0` … `key-{count-1}`, uniformly.
    Uniform { count: u32 },
    /// Zipf over `count` keys with `exponent` (> 0): key i has weight 1/(i+1)^exponent.
    Zipf { count: u32, exponent: f64 },
    /// `hot_share` in [0,1] of records carry the hot key, `key-0` (`"hot"` in `poison_keys`); the
    /// rest are uniform over the other `count - 1` keys.
    Hot { count: u32, hot_share: f64 },
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ProducerSpec {
    pub name: String,
    pub topic: String,
    /// Records per second (> 0, <= 10,000,000).
    pub rate_per_sec: f64,
    pub arrival: Arrival,
    pub keys: KeySpec,
    /// Serialized value size in bytes, default 100 (1..=1048576).
    pub value_bytes: u32,
    /// Share in [0,1] of records sent with a null value (tombstones; only meaningful with keys).
    pub tombstone_share: f64,
    pub config: ProducerConfig,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ProducerConfig {
    pub acks: Acks, // all (Kafka 3.0+)
    #[serde(rename = "enable.idempotence")]
    pub enable_idempotence: bool, // true
    #[serde(rename = "linger.ms")]
    pub linger_ms: f64, // 5 (Kafka 4.0, KIP-1030)
    #[serde(rename = "batch.size")]
    pub batch_size: u32, // 16384
    pub retries: u32, // 2147483647
    #[serde(rename = "max.in.flight.requests.per.connection")]
    pub max_in_flight_requests_per_connection: u32, // 5
    #[serde(rename = "request.timeout.ms")]
    pub request_timeout_ms: u64, // 30000
    #[serde(rename = "delivery.timeout.ms")]
    pub delivery_timeout_ms: u64, // 120000
    #[serde(rename = "retry.backoff.ms")]
    pub retry_backoff_ms: u64, // 100
    /// `partitioner.class`: unset (Kafka's default) is the built-in partitioner. Written out only
    /// when set, so existing files export unchanged.
    #[serde(rename = "partitioner.class", skip_serializing_if = "Partitioner::is_built_in")]
    pub partitioner_class: Partitioner,
}

/// Which partition a record without an explicit partition goes to (`partitioner.class`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub enum Partitioner {
    /// No `partitioner.class` (Kafka's default, `BuiltInPartitioner`): murmur2 of the key, the
    /// sticky partitioner for null keys (KIP-794).
    #[default]
    #[serde(rename = "built-in")]
    BuiltIn,
    /// `org.apache.kafka.clients.producer.RoundRobinPartitioner`: every record, keyed or not, goes
    /// to the next partition that has a leader, from a counter kept per topic.
    #[serde(rename = "org.apache.kafka.clients.producer.RoundRobinPartitioner")]
    RoundRobin,
}

impl Partitioner {
    /// The class names `partitioner.class` accepts: Kafka's full name and the short one.
    pub const ROUND_ROBIN_NAMES: [&'static str; 2] = ["org.apache.kafka.clients.producer.RoundRobinPartitioner", "RoundRobinPartitioner"];
    pub fn is_built_in(&self) -> bool {
        *self == Partitioner::BuiltIn
    }
    /// The partitioner a `partitioner.class` value names, if it is one we simulate.
    pub fn from_class_name(s: &str) -> Option<Partitioner> {
        Partitioner::ROUND_ROBIN_NAMES.contains(&s).then_some(Partitioner::RoundRobin)
    }
}

#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(tag = "distribution", rename_all = "lowercase")]
pub enum ProcessingSpec {
    Constant { mean: f64 },
    Exponential { mean: f64 },
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum OffsetReset {
    Earliest,
    Latest,
    None,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct GroupSpec {
    #[serde(rename = "group.id")]
    pub group_id: String,
    /// `classic` (the default: Kafka's consumer group, partitions assigned one member each) or
    /// `share` (KIP-932: the members share every partition, records are locked, acknowledged and
    /// redelivered one by one). Written out only for share groups, so existing files export unchanged.
    #[serde(rename = "group.type", skip_serializing_if = "GroupType::is_classic")]
    pub group_type: GroupType,
    pub topics: Vec<String>,
    /// 0..=256 members at start.
    pub members: u32,
    /// Processing time per record, milliseconds. Default constant 0.
    pub processing_ms: ProcessingSpec,
    /// Records whose processing fails, and what the group does about it. Default: none fail.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub failures: Option<FailureSpec>,
    pub config: ConsumerConfig,
}

/// The kind of group, as Kafka 4 names it (`kafka-groups.sh --group-type`, the `GroupType` of the
/// ListGroups API). Kafka's third type, `consumer` (KIP-848's protocol), is not simulated: classic
/// groups run the classic protocol.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum GroupType {
    #[default]
    Classic,
    Share,
}

impl GroupType {
    pub fn is_classic(&self) -> bool {
        *self == GroupType::Classic
    }
    pub fn name(self) -> &'static str {
        match self {
            GroupType::Classic => "classic",
            GroupType::Share => "share",
        }
    }
}

/// `share.auto.offset.reset`: where a share group starts on a partition it has no state for.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ShareOffsetReset {
    Earliest,
    /// Kafka's default: only records written after the share-partition is initialised.
    #[default]
    Latest,
}

/// `share.acknowledgement.mode`: how the application acknowledges the records of a poll.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum AckMode {
    /// Kafka's default: the next poll accepts every record the previous poll returned, whether its
    /// processing failed or not.
    #[default]
    Implicit,
    /// The application acknowledges each record: accept on success, release on a failure (the
    /// record is redelivered until the delivery count limit, then archived).
    Explicit,
}

/// A share group's settings (KIP-932), under the names of Kafka's group configs (`share.*`, set per
/// group with `kafka-configs --entity-type groups`); the brokers' `group.share.*` configs are their
/// defaults and bounds.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ShareConfig {
    /// How long a delivered record stays locked to its consumer before it is available again.
    #[serde(rename = "share.record.lock.duration.ms")]
    pub record_lock_duration_ms: u64, // 30000
    /// Deliveries of one record before it is archived (never delivered again).
    #[serde(rename = "share.delivery.count.limit")]
    pub delivery_count_limit: u32, // 5
    /// In-flight records per share-partition (SPEO − SPSO at most this many).
    #[serde(rename = "share.partition.max.record.locks")]
    pub partition_max_record_locks: u32, // 200 (Kafka 4.0)
    #[serde(rename = "share.auto.offset.reset")]
    pub auto_offset_reset: ShareOffsetReset,
    #[serde(rename = "share.acknowledgement.mode")]
    pub acknowledgement_mode: AckMode,
}

impl Default for ShareConfig {
    fn default() -> Self {
        ShareConfig {
            record_lock_duration_ms: 30_000,
            delivery_count_limit: 5,
            partition_max_record_locks: 200,
            auto_offset_reset: ShareOffsetReset::Latest,
            acknowledgement_mode: AckMode::Implicit,
        }
    }
}

impl ShareConfig {
    pub fn is_default(&self) -> bool {
        *self == ShareConfig::default()
    }
}

/// `group.instance.id` for the members of a group (static membership, KIP-345).
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(untagged)]
pub enum InstanceIds {
    /// Member i gets `"{prefix}-{i}"`, the way a StatefulSet names its pods. `"static": true` on a
    /// group means the prefix is the group id.
    Prefix(String),
    /// One id per member, in member order; members added beyond the list are dynamic.
    List(Vec<String>),
}

impl InstanceIds {
    /// The instance id of member `i`, if it has one.
    pub fn of(&self, i: u32) -> Option<String> {
        match self {
            InstanceIds::Prefix(p) => Some(format!("{p}-{i}")),
            InstanceIds::List(v) => v.get(i as usize).cloned(),
        }
    }
}

/// Kafka's consumer partition assignors (`partition.assignment.strategy`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub enum AssignorName {
    #[serde(rename = "range")]
    Range,
    #[serde(rename = "roundrobin")]
    RoundRobin,
    #[serde(rename = "sticky")]
    Sticky,
    #[serde(rename = "cooperative-sticky")]
    CooperativeSticky,
}

impl AssignorName {
    pub const ALL: [AssignorName; 4] = [AssignorName::Range, AssignorName::RoundRobin, AssignorName::Sticky, AssignorName::CooperativeSticky];
    pub fn name(self) -> &'static str {
        match self {
            AssignorName::Range => "range",
            AssignorName::RoundRobin => "roundrobin",
            AssignorName::Sticky => "sticky",
            AssignorName::CooperativeSticky => "cooperative-sticky",
        }
    }
    /// Kafka's class names are accepted too (`org.apache.kafka.clients.consumer.RangeAssignor`).
    pub fn from_name(s: &str) -> Option<AssignorName> {
        let short = s.rsplit('.').next().unwrap_or(s);
        match short {
            "range" | "RangeAssignor" => Some(AssignorName::Range),
            "roundrobin" | "RoundRobinAssignor" => Some(AssignorName::RoundRobin),
            "sticky" | "StickyAssignor" => Some(AssignorName::Sticky),
            "cooperative-sticky" | "CooperativeStickyAssignor" => Some(AssignorName::CooperativeSticky),
            _ => None,
        }
    }
}

/// What a group does with a record whose processing fails.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum FailurePolicy {
    /// Retry in place `retries` times with `retry.backoff.ms` between tries (the partition waits),
    /// then log the record and move on.
    Retry,
    /// Log and move on at once.
    Skip,
    /// Stop consuming the partition: it blocks and its lag grows until someone resets it.
    Stop,
    /// Publish the record to `{topic}-retry`, where it is retried `retries` times after
    /// `retry.backoff.ms` each without blocking the partition, then to `{topic}-dlt`.
    DeadLetter,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct FailureSpec {
    /// Share of records that fail on a try, in [0, 1]. Each try fails independently.
    pub rate: f64,
    /// Keys whose records always fail (`"key-17"`, `"hot"`).
    pub poison_keys: Vec<String>,
    pub policy: FailurePolicy,
    /// Tries after the first (policy `retry` and `dead_letter`). Default 3.
    pub retries: u32,
    #[serde(rename = "retry.backoff.ms")]
    pub retry_backoff_ms: u64, // 1000
}

impl Default for FailureSpec {
    fn default() -> Self {
        FailureSpec { rate: 0.0, poison_keys: Vec::new(), policy: FailurePolicy::Retry, retries: 3, retry_backoff_ms: 1_000 }
    }
}

/// Where `reset_offsets` moves a group's committed offsets: `kafka-consumer-groups --reset-offsets`.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(tag = "to", rename_all = "kebab-case")]
pub enum ResetTo {
    /// `--to-earliest`: the log start offset.
    Earliest,
    /// `--to-latest`: the high watermark (what a consumer can read up to).
    Latest,
    /// `--to-current`: the committed offset (no change; resolves a missing one).
    Current,
    /// `--to-offset N`, clamped to [log start, high watermark].
    Offset { offset: u64 },
    /// `--shift-by N` from the committed offset, clamped to [log start, high watermark].
    ShiftBy { shift: i64 },
    /// `--to-datetime`: the first offset with a timestamp at or after this simulated time (ms);
    /// the latest offset when there is none.
    Datetime { datetime_ms: u64 },
    /// `--by-duration`: `--to-datetime` of (now − duration).
    Duration { duration_ms: u64 },
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ConsumerConfig {
    #[serde(rename = "auto.offset.reset")]
    pub auto_offset_reset: OffsetReset, // latest
    #[serde(rename = "enable.auto.commit")]
    pub enable_auto_commit: bool, // true
    #[serde(rename = "auto.commit.interval.ms")]
    pub auto_commit_interval_ms: u64, // 5000
    #[serde(rename = "max.poll.records")]
    pub max_poll_records: u32, // 500
    #[serde(rename = "fetch.max.wait.ms")]
    pub fetch_max_wait_ms: u64, // 500
    #[serde(rename = "request.timeout.ms")]
    pub request_timeout_ms: u64, // 30000
    #[serde(rename = "retry.backoff.ms")]
    pub retry_backoff_ms: u64, // 100
    /// The assignors, in order of preference. Default `[range, cooperative-sticky]`: the protocol is
    /// cooperative only when every listed assignor supports it, so the default runs eager range.
    #[serde(rename = "partition.assignment.strategy")]
    pub partition_assignment_strategy: Vec<AssignorName>,
    #[serde(rename = "group.instance.id", skip_serializing_if = "Option::is_none")]
    pub group_instance_id: Option<InstanceIds>,
    #[serde(rename = "session.timeout.ms")]
    pub session_timeout_ms: u64, // 45000
    #[serde(rename = "heartbeat.interval.ms")]
    pub heartbeat_interval_ms: u64, // 3000
    #[serde(rename = "max.poll.interval.ms")]
    pub max_poll_interval_ms: u64, // 300000
    /// Queue design only: the members' `basic.qos` prefetch count (overrides `queue.prefetch`).
    /// Ignored by the log design, so one file can run both.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub prefetch: Option<u32>,
    /// Share groups only (`"group.type": "share"`): KIP-932's settings, written in the same
    /// `config` object. Written out only when not the defaults.
    #[serde(flatten, skip_serializing_if = "ShareConfig::is_default")]
    pub share: ShareConfig,
}

/// A broker named in an action: an id, or the broker most recently crashed and not yet restarted.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(untagged)]
pub enum BrokerRef {
    Id(u32),
    #[serde(serialize_with = "ser_crashed")]
    Crashed,
}

fn ser_crashed<S: serde::Serializer>(s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str("crashed")
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(untagged)]
pub enum ControllerRef {
    Id(u32),
    #[serde(serialize_with = "ser_active")]
    Active,
}

fn ser_active<S: serde::Serializer>(s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str("active")
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct TimelineEntry {
    pub at_ms: u64,
    #[serde(flatten)]
    pub action: Action,
}

impl ResetTo {
    /// The option names of `reset_offsets` (`"to"`), in `kafka-consumer-groups` order.
    pub const OPTIONS: [&'static str; 7] = ["earliest", "latest", "current", "offset", "shift-by", "datetime", "duration"];

    /// A reset from an option name and its value as a person typed it (a form, a prompt), or why
    /// the value is not one. Options without a value ignore it.
    pub fn from_option(option: &str, value: &str) -> Result<ResetTo, String> {
        let unsigned = |what: &str| value.parse::<u64>().map_err(|_| format!("{what} must be a whole number ≥ 0, not “{value}”"));
        Ok(match option {
            "earliest" => ResetTo::Earliest,
            "latest" => ResetTo::Latest,
            "current" => ResetTo::Current,
            "offset" => ResetTo::Offset { offset: unsigned("the offset")? },
            "shift-by" => ResetTo::ShiftBy {
                shift: value.parse::<i64>().map_err(|_| format!("the shift must be a whole number (negative goes back), not “{value}”"))?,
            },
            "datetime" => ResetTo::Datetime { datetime_ms: unsigned("the time")? },
            "duration" => ResetTo::Duration { duration_ms: unsigned("the duration")? },
            other => return Err(format!("unknown reset option “{other}”; expected one of {}", ResetTo::OPTIONS.join(", "))),
        })
    }
}

/// Every action and fault a scenario or a user can apply. One closed enum, handled by one `match`.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(tag = "action", rename_all = "snake_case")]
pub enum Action {
    CrashBroker { broker: BrokerRef },
    RestartBroker { broker: BrokerRef },
    /// Crash whichever broker leads this partition right now.
    CrashLeader { topic: String, partition: u32 },
    /// Cut one broker off from every other node (brokers, controllers, clients).
    IsolateBroker { broker: u32 },
    /// Brokers in different groups cannot reach each other; controllers and clients still reach all.
    PartitionNetwork { groups: Vec<Vec<u32>> },
    /// Restore every link (isolations and partitions).
    HealNetwork,
    CrashController { controller: ControllerRef },
    RestartController { controller: u32 },
    /// Multiply a consumer's processing time by `factor` (>= 1; 1 restores).
    SlowConsumer { group: String, member: u32, factor: f64 },
    CrashConsumer { group: String, member: u32 },
    RestartConsumer { group: String, member: u32 },
    AddConsumer { group: String },
    RemoveConsumer { group: String, member: u32 },
    /// Multiply a producer's rate by `factor` for `duration_ms`.
    TrafficSpike { producer: String, factor: f64, duration_ms: u64 },
    SetProducerRate { producer: String, rate_per_sec: f64 },
    SetProducerAcks { producer: String, acks: Acks },
    /// `kafka-consumer-groups --reset-offsets`: for the group's partitions (of `topic`, or one
    /// `partition` of it, when given).
    ResetOffsets {
        group: String,
        #[serde(skip_serializing_if = "Option::is_none")]
        topic: Option<String>,
        #[serde(skip_serializing_if = "Option::is_none")]
        partition: Option<u32>,
        #[serde(flatten)]
        to: ResetTo,
    },
    /// Start a new consumer group (for example one that replays history from the earliest offset).
    AddConsumerGroup { group: GroupSpec },
    /// `rest` and `events` designs: the service stops answering (rest) or consuming (events).
    CrashService { service: String },
    RestartService { service: String },
}

impl Action {
    /// Something breaks (as opposed to a repair, a change of load or an operator's command).
    pub fn is_fault(&self) -> bool {
        matches!(
            self,
            Action::CrashBroker { .. }
                | Action::CrashLeader { .. }
                | Action::IsolateBroker { .. }
                | Action::PartitionNetwork { .. }
                | Action::CrashController { .. }
                | Action::SlowConsumer { .. }
                | Action::CrashConsumer { .. }
                | Action::TrafficSpike { .. }
                | Action::CrashService { .. }
        )
    }

    /// A few words for a chart marker or a list: "crash leader orders-0", "spike ×5 checkout".
    pub fn short_label(&self) -> String {
        let broker = |b: &BrokerRef| match b {
            BrokerRef::Id(id) => id.to_string(),
            BrokerRef::Crashed => "(the crashed one)".into(),
        };
        match self {
            Action::CrashBroker { broker: b } => format!("crash broker {}", broker(b)),
            Action::RestartBroker { broker: b } => format!("restart broker {}", broker(b)),
            Action::CrashLeader { topic, partition } => format!("crash leader {topic}-{partition}"),
            Action::IsolateBroker { broker } => format!("isolate broker {broker}"),
            Action::PartitionNetwork { groups } => {
                let sides: Vec<String> = groups.iter().map(|g| g.iter().map(u32::to_string).collect::<Vec<_>>().join(",")).collect();
                format!("split network {}", sides.join(" | "))
            }
            Action::HealNetwork => "heal network".into(),
            Action::CrashController { controller } => match controller {
                ControllerRef::Id(id) => format!("crash controller {id}"),
                ControllerRef::Active => "crash active controller".into(),
            },
            Action::RestartController { controller } => format!("restart controller {controller}"),
            Action::SlowConsumer { group, member, factor } => format!("slow {group}-{member} ×{factor}"),
            Action::CrashConsumer { group, member } => format!("crash {group}-{member}"),
            Action::RestartConsumer { group, member } => format!("restart {group}-{member}"),
            Action::AddConsumer { group } => format!("add consumer to {group}"),
            Action::RemoveConsumer { group, member } => format!("remove {group}-{member}"),
            Action::TrafficSpike { producer, factor, duration_ms } => format!("spike ×{factor} {producer} for {} s", *duration_ms as f64 / 1000.0),
            Action::SetProducerRate { producer, rate_per_sec } => format!("{producer} at {rate_per_sec}/s"),
            Action::SetProducerAcks { producer, acks } => format!("{producer} acks={}", acks.as_str()),
            Action::ResetOffsets { group, .. } => format!("reset offsets of {group}"),
            Action::AddConsumerGroup { group } => format!("start group {}", group.group_id),
            Action::CrashService { service } => format!("crash service {service}"),
            Action::RestartService { service } => format!("restart service {service}"),
        }
    }

    /// The snake_case name used in scenario files.
    pub fn name(&self) -> &'static str {
        match self {
            Action::CrashBroker { .. } => "crash_broker",
            Action::RestartBroker { .. } => "restart_broker",
            Action::CrashLeader { .. } => "crash_leader",
            Action::IsolateBroker { .. } => "isolate_broker",
            Action::PartitionNetwork { .. } => "partition_network",
            Action::HealNetwork => "heal_network",
            Action::CrashController { .. } => "crash_controller",
            Action::RestartController { .. } => "restart_controller",
            Action::SlowConsumer { .. } => "slow_consumer",
            Action::CrashConsumer { .. } => "crash_consumer",
            Action::RestartConsumer { .. } => "restart_consumer",
            Action::AddConsumer { .. } => "add_consumer",
            Action::RemoveConsumer { .. } => "remove_consumer",
            Action::TrafficSpike { .. } => "traffic_spike",
            Action::SetProducerRate { .. } => "set_producer_rate",
            Action::SetProducerAcks { .. } => "set_producer_acks",
            Action::ResetOffsets { .. } => "reset_offsets",
            Action::AddConsumerGroup { .. } => "add_consumer_group",
            Action::CrashService { .. } => "crash_service",
            Action::RestartService { .. } => "restart_service",
        }
    }
}

impl ClusterSpec {
    /// `broker.rack` of broker `b`, if the cluster has racks.
    pub fn rack_of(&self, b: u32) -> Option<&str> {
        if self.racks.is_empty() {
            None
        } else {
            Some(self.racks[b as usize % self.racks.len()].as_str())
        }
    }
}

impl Default for NetworkSpec {
    fn default() -> Self {
        NetworkSpec { latency_ms: 1.0, jitter_ms: 0.0, loss: 0.0, links: Vec::new() }
    }
}

impl Default for BrokerConfig {
    fn default() -> Self {
        BrokerConfig {
            unclean_leader_election_enable: false,
            replica_lag_time_max_ms: 30_000,
            replica_fetch_wait_max_ms: 500,
            replica_fetch_backoff_ms: 1_000,
            broker_heartbeat_interval_ms: 2_000,
            broker_session_timeout_ms: 9_000,
            controller_quorum_election_timeout_ms: 1_000,
            controller_quorum_fetch_timeout_ms: 2_000,
            log_retention_check_interval_ms: 300_000,
            auto_leader_rebalance_enable: true,
            leader_imbalance_check_interval_seconds: 300,
            group_initial_rebalance_delay_ms: 3_000,
        }
    }
}

impl Default for ClusterSpec {
    fn default() -> Self {
        ClusterSpec {
            brokers: 3,
            controllers: 3,
            racks: Vec::new(),
            network: NetworkSpec::default(),
            config: BrokerConfig::default(),
        }
    }
}

impl Default for TopicConfig {
    fn default() -> Self {
        TopicConfig {
            min_insync_replicas: 1,
            retention_ms: 604_800_000,
            retention_bytes: -1,
            cleanup_policy: CleanupPolicy::Delete,
            segment_bytes: 1_073_741_824,
            segment_ms: 604_800_000,
            delete_retention_ms: 86_400_000,
            min_cleanable_dirty_ratio: 0.5,
        }
    }
}

impl Default for ProducerConfig {
    fn default() -> Self {
        ProducerConfig {
            acks: Acks::All,
            enable_idempotence: true,
            linger_ms: 5.0,
            batch_size: 16_384,
            retries: 2_147_483_647,
            max_in_flight_requests_per_connection: 5,
            request_timeout_ms: 30_000,
            delivery_timeout_ms: 120_000,
            retry_backoff_ms: 100,
            partitioner_class: Partitioner::BuiltIn,
        }
    }
}

impl Default for ConsumerConfig {
    fn default() -> Self {
        ConsumerConfig {
            auto_offset_reset: OffsetReset::Latest,
            enable_auto_commit: true,
            auto_commit_interval_ms: 5_000,
            max_poll_records: 500,
            fetch_max_wait_ms: 500,
            request_timeout_ms: 30_000,
            retry_backoff_ms: 100,
            partition_assignment_strategy: vec![AssignorName::Range, AssignorName::CooperativeSticky],
            group_instance_id: None,
            session_timeout_ms: 45_000,
            heartbeat_interval_ms: 3_000,
            max_poll_interval_ms: 300_000,
            prefetch: None,
            share: ShareConfig::default(),
        }
    }
}

/// An action applied to a running simulation: when (simulated time, and after how many events of
/// that run) and what. Replaying the same actions at the same places gives the same run.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct AppliedAction {
    pub t_us: u64,
    pub after_events: u64,
    #[serde(flatten)]
    pub action: Action,
}

/// Where a session stopped: a simulated time and the number of events processed by then (a run
/// can stop between two events of the same instant).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct StopAt {
    pub t_us: u64,
    pub events: u64,
}

/// A recorded session: a scenario (its seed included), the actions a person applied while it ran,
/// and where they stopped. Written as the scenario's own JSON plus a `"session"` object, so a
/// session file is a scenario file too; `streamlab run` replays it to the same trace hash.
#[derive(Clone, Debug, PartialEq)]
pub struct Session {
    pub scenario: Scenario,
    pub actions: Vec<AppliedAction>,
    pub stop: Option<StopAt>,
}

/// The current session format (the `"version"` inside `"session"`).
pub const SESSION_VERSION: u64 = 1;

impl Session {
    /// The session as one JSON value: the scenario's fields and `"session": {version, stop_at, actions}`.
    pub fn to_value(&self) -> serde_json::Value {
        Session::wrap(serde_json::to_value(&self.scenario).unwrap_or_default(), &self.actions, self.stop)
    }

    /// A session's JSON from its scenario's JSON (an object), the actions and the stop. The app
    /// passes the text of the scenario it runs (its seed set), so its wasm needs no serializer for
    /// the whole `Scenario`; the parser reads both alike.
    pub fn wrap(scenario: serde_json::Value, actions: &[AppliedAction], stop: Option<StopAt>) -> serde_json::Value {
        let mut top = match scenario {
            serde_json::Value::Object(map) => map,
            _ => serde_json::Map::new(),
        };
        let mut session = serde_json::Map::new();
        session.insert("version".into(), SESSION_VERSION.into());
        if let Some(stop) = stop {
            session.insert("stop_at".into(), serde_json::to_value(stop).unwrap_or_default());
        }
        session.insert("actions".into(), serde_json::to_value(actions).unwrap_or_default());
        top.insert("session".into(), serde_json::Value::Object(session));
        serde_json::Value::Object(top)
    }

    /// The scenario part of a session file's text (without `"session"`), pretty-printed; `None`
    /// when the text is not a JSON object.
    pub fn scenario_text(session_json: &str) -> Option<String> {
        let mut value: serde_json::Value = serde_json::from_str(session_json).ok()?;
        value.as_object_mut()?.remove("session");
        serde_json::to_string_pretty(&value).ok()
    }

    pub fn to_json_pretty(&self) -> String {
        serde_json::to_string_pretty(&self.to_value()).unwrap_or_default()
    }
}
