//! `streamlab bench`: the engine benchmark. It lives outside the engine because it reads the wall
//! clock and the process's peak memory, which the engine never does. Figures are printed, never
//! asserted in tests (timing assertions are flaky; benchmarks are for people to read).

use std::time::Instant;

use crate::engine::report::Report;
use crate::engine::Sim;
use crate::scenario::*;

/// The fixed heavy workload: 6 brokers on 3 racks, 48 partitions with RF 3 and min ISR 2, one
/// producer at 100k records/s with acks=all and idempotence, 3 consumer groups of 4, 60 s.
pub fn heavy_scenario() -> Scenario {
    let group = |id: &str| GroupSpec {
        group_id: id.into(),
        group_type: GroupType::Classic,
        topics: vec!["events".into()],
        members: 4,
        failures: None,
        processing_ms: ProcessingSpec::Constant { mean: 0.005 },
        config: ConsumerConfig { auto_offset_reset: OffsetReset::Earliest, ..Default::default() },
    };
    Scenario {
        name: "bench".into(),
        description: "The engine benchmark workload.".into(),
        seed: 42,
        duration_ms: 60_000,
        cluster: ClusterSpec { brokers: 6, racks: vec!["a".into(), "b".into(), "c".into()], ..Default::default() },
        topics: vec![TopicSpec { name: "events".into(), partitions: 48, replication_factor: 3, config: TopicConfig { min_insync_replicas: 2, ..Default::default() } }],
        producers: vec![ProducerSpec {
            name: "firehose".into(),
            topic: "events".into(),
            rate_per_sec: 100_000.0,
            arrival: Arrival::Poisson,
            keys: KeySpec::Uniform { count: 10_000 },
            value_bytes: 100,
            tombstone_share: 0.0,
            config: ProducerConfig::default(),
        }],
        consumer_groups: vec![group("analytics"), group("billing"), group("audit")],
        timeline: Vec::new(),
        design: Design::Log,
        queue: QueueSpec::default(),
        services: None,
        fraud: None,
    }
}

/// The M/M/1 workload of the timing check: 450 records/s, 1.8 ms mean processing, 600 s.
pub fn mm1_scenario() -> Scenario {
    let mut s = heavy_scenario();
    s.name = "mm1".into();
    s.duration_ms = 600_000;
    s.cluster = ClusterSpec { brokers: 1, network: NetworkSpec { latency_ms: 0.0, ..Default::default() }, ..Default::default() };
    // The server is there from the first record: no wait for more members before the assignment.
    s.cluster.config.group_initial_rebalance_delay_ms = 0;
    s.topics = vec![TopicSpec { name: "events".into(), partitions: 1, replication_factor: 1, config: TopicConfig::default() }];
    let p = &mut s.producers[0];
    p.rate_per_sec = 450.0;
    p.keys = KeySpec::None;
    p.config = ProducerConfig { acks: Acks::One, enable_idempotence: false, linger_ms: 0.0, ..Default::default() };
    s.consumer_groups = vec![GroupSpec {
        group_id: "g".into(),
        group_type: GroupType::Classic,
        topics: vec!["events".into()],
        members: 1,
        failures: None,
        processing_ms: ProcessingSpec::Exponential { mean: 1.8 },
        config: ConsumerConfig { auto_offset_reset: OffsetReset::Earliest, ..Default::default() },
    }];
    s
}

/// Peak resident memory of this process in bytes (Linux: VmHWM), if known.
pub fn peak_rss_bytes() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kb: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb * 1024)
}

pub fn run() -> String {
    let mut out = String::new();
    let s = heavy_scenario();
    let t0 = Instant::now();
    let mut sim = Sim::new(&s);
    sim.run();
    let wall = t0.elapsed().as_secs_f64();
    let t1 = Instant::now();
    let report = Report::from_sim(&sim);
    let check_wall = t1.elapsed().as_secs_f64();
    let st = sim.storage();
    out += &format!("workload: {} brokers, {} partitions RF 3, acks=all, {} records/s, {} groups, {} simulated s\n", 6, 48, 100_000, 3, s.duration_ms / 1000);
    out += &format!("records: {} sent, {} acked, {} processed by the groups\n", report.produced.sent, report.produced.acked, report.consumed.delivered);
    out += &format!("wall time: {:.3} s (+{:.3} s final check)\n", wall, check_wall);
    out += &format!("simulated records per wall second: {:.0}\n", report.produced.sent as f64 / wall);
    out += &format!("engine events: {} ({:.0} per wall second)\n", sim.events(), sim.events() as f64 / wall);
    out += &format!(
        "retained records: {} (each on 3 replicas), log memory {:.1} MB = {:.1} bytes per retained record\n",
        st.records,
        st.bytes as f64 / 1e6,
        st.bytes as f64 / st.records.max(1) as f64
    );
    if let Some(peak) = peak_rss_bytes() {
        out += &format!("peak memory (VmHWM): {:.1} MB\n", peak as f64 / 1e6);
    }
    out += &format!("anomalies: {:?}\n", report.anomalies);
    let m = mm1_scenario();
    let t2 = Instant::now();
    let mut sim = Sim::new(&m);
    sim.run();
    let mm1_wall = t2.elapsed().as_secs_f64();
    let r = Report::from_sim(&sim);
    out += &format!(
        "M/M/1 (450/s, 1.8 ms, 600 s): {} records in {:.1} ms wall, mean latency {:.3} ms (formula 9.474 ms)\n",
        r.consumed.delivered,
        mm1_wall * 1000.0,
        r.latency_ms.mean
    );
    out
}
