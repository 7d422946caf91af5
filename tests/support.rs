//! Scenario builders for tests: a small cluster with Kafka's defaults, tweaked per test.

use streamlab::scenario::*;

pub fn base(name: &str) -> Scenario {
    Scenario {
        name: name.into(),
        description: String::new(),
        seed: 7,
        duration_ms: 20_000,
        cluster: ClusterSpec::default(),
        topics: vec![TopicSpec { name: "orders".into(), partitions: 3, replication_factor: 3, config: TopicConfig { min_insync_replicas: 2, ..Default::default() } }],
        producers: vec![ProducerSpec {
            name: "checkout".into(),
            topic: "orders".into(),
            rate_per_sec: 500.0,
            arrival: Arrival::Poisson,
            keys: KeySpec::Uniform { count: 20 },
            value_bytes: 100,
            tombstone_share: 0.0,
            config: ProducerConfig::default(),
        }],
        consumer_groups: vec![GroupSpec {
            group_id: "billing".into(),
            group_type: GroupType::Classic,
            topics: vec!["orders".into()],
            members: 2,
            processing_ms: ProcessingSpec::Exponential { mean: 1.0 },
            failures: None,
            config: ConsumerConfig { auto_offset_reset: OffsetReset::Earliest, ..Default::default() },
        }],
        timeline: vec![],
        design: Design::Log,
        queue: QueueSpec::default(),
        services: None,
        fraud: None,
    }
}

pub fn at(at_ms: u64, action: Action) -> TimelineEntry {
    TimelineEntry { at_ms, action }
}
