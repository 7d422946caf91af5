//! Producers: arrivals (constant or Poisson), keys (none, uniform, zipf, hot), Kafka's partitioners
//! (the built-in one: murmur2 for keys, sticky for null keys; or `RoundRobinPartitioner`, from a
//! counter per producer, as Kafka keeps one per topic), the record accumulator (`linger.ms`, `batch.size`),
//! `acks`, retries with backoff, `max.in.flight.requests.per.connection`, delivery timeouts and the
//! idempotent producer's sequence numbers. Retries without idempotence reorder and duplicate records
//! exactly the way Kafka's do: a failed batch goes back to the front of its queue while later batches
//! already in flight succeed.

use std::collections::VecDeque;
use std::rc::Rc;

use super::cluster::Node;
use super::kernel::{below, ms_to_us, sub_rng, unit, SimRng, SimTime, US_PER_MS};
use super::log::{Batch, Rec, RecBlock, Recs, FLAG_TOMBSTONE, NULL_KEY, PRODUCER_SHIFT};
use super::partitioner::{partition_for_key, round_robin_partition};
use super::sim::{produce_subject, Event, KafkaError, ProduceRequest, Sim, KIND_PRODUCE_ARRIVE};
use super::workload::{arrival_gap_us, KeyDraw};
use crate::scenario::{Acks, Arrival, KeySpec, Partitioner, ProducerConfig, ProducerSpec};

/// Per-record overhead Kafka adds in a batch (record headers, varints), for byte accounting.
const RECORD_OVERHEAD: u32 = 20;

#[derive(Clone)]
pub struct OpenBatch {
    pub id: u64,
    /// Id and timestamp of the first record: the bases of the records' deltas.
    pub first_id: u64,
    pub base_ts_us: SimTime,
    pub recs: Vec<Rec>,
    pub bytes: u32,
    pub created: SimTime,
}

#[derive(Clone)]
pub struct ProducerBatch {
    pub id: u64,
    pub block: RecBlock,
    pub bytes: u32,
    pub base_seq: u32,
    pub created: SimTime,
    pub attempts: u32,
    pub req_id: u64,
}

#[derive(Clone, Default)]
pub struct ProducerPartition {
    pub open: Option<OpenBatch>,
    pub queue: VecDeque<ProducerBatch>,
    pub inflight: Vec<ProducerBatch>,
    pub next_seq: u32,
    pub backoff_until: SimTime,
    /// The records vector of the last closed batch, kept for the next open one (no allocation).
    pub spare: Vec<Rec>,
}

impl ProducerPartition {
    /// Close the open batch (if any) into a batch ready to send, with its base sequence number
    /// when the producer is idempotent; its records vector is kept for the next open batch.
    fn close_open(&mut self, idempotent: bool) -> Option<ProducerBatch> {
        let mut ob = self.open.take()?;
        let n = ob.recs.len() as u32;
        let recs = Recs::from(ob.recs.as_slice());
        ob.recs.clear();
        self.spare = std::mem::take(&mut ob.recs);
        let base_seq = if idempotent {
            let s = self.next_seq;
            self.next_seq = self.next_seq.wrapping_add(n);
            s
        } else {
            0
        };
        Some(ProducerBatch { id: ob.id, block: RecBlock { first_id: ob.first_id, base_ts_us: ob.base_ts_us, recs }, bytes: ob.bytes, base_seq, created: ob.created, attempts: 0, req_id: 0 })
    }
}

#[derive(Clone)]
pub struct Producer {
    pub name: String,
    pub idx: u32,
    pub node: u32,
    pub topic: u32,
    pub base_rate: f64,
    pub rate: f64,
    pub arrival: Arrival,
    pub cfg: ProducerConfig,
    /// `linger.ms` in µs.
    pub linger_us: SimTime,
    pub acks: Acks,
    pub idempotent: bool,
    pub rng: SimRng,
    pub seq: u64,
    pub token: u64,
    pub spike_token: u64,
    pub parts: Vec<ProducerPartition>,
    /// Partition of each key index (murmur2 of `key-{i}`), computed once.
    pub key_partition: Vec<u32>,
    pub(crate) keys: KeyDraw,
    pub sticky: u32,
    pub sticky_bytes: u32,
    /// `RoundRobinPartitioner`'s counter (Java's `AtomicInteger`, wrapping): records sent so far.
    pub round_robin: i32,
    pub record_bytes: u32,
    pub tombstone_share: f64,
}

/// The key string for key index `i`, as every producer names its keys.
pub fn key_name(i: u32) -> String {
    format!("key-{i}")
}

impl Producer {
    fn next_key(&mut self) -> u32 {
        self.keys.next(&mut self.rng).unwrap_or(NULL_KEY)
    }

    fn interval_us(&mut self) -> SimTime {
        arrival_gap_us(self.arrival, self.rate, &mut self.rng)
    }
}

impl Sim {
    pub(crate) fn build_clients(&mut self) {
        let specs: Vec<ProducerSpec> = self.scenario.producers.clone();
        for (i, spec) in specs.iter().enumerate() {
            let topic = self.topics.iter().position(|t| t.name == spec.topic).unwrap_or(0) as u32;
            let nparts = self.topics[topic as usize].parts.len() as u32;
            let key_count = match &spec.keys {
                KeySpec::None => 0,
                KeySpec::Uniform { count } | KeySpec::Zipf { count, .. } | KeySpec::Hot { count, .. } => *count,
            };
            let key_partition = (0..key_count).map(|k| partition_for_key(key_name(k).as_bytes(), nparts)).collect();
            let mut rng = sub_rng(&mut self.rng);
            let sticky = below(&mut rng, nparts);
            let p = Producer {
                name: spec.name.clone(),
                idx: i as u32,
                node: i as u32,
                topic,
                base_rate: spec.rate_per_sec,
                rate: spec.rate_per_sec,
                arrival: spec.arrival,
                cfg: spec.config.clone(),
                linger_us: ms_to_us(spec.config.linger_ms),
                acks: spec.config.acks,
                idempotent: spec.config.enable_idempotence,
                rng,
                seq: 0,
                token: 0,
                spike_token: 0,
                parts: (0..nparts).map(|_| ProducerPartition::default()).collect(),
                key_partition,
                keys: KeyDraw::new(spec.keys.clone()),
                sticky,
                sticky_bytes: 0,
                round_robin: 0,
                record_bytes: spec.value_bytes + RECORD_OVERHEAD + if key_count > 0 { 8 } else { 0 },
                tombstone_share: spec.tombstone_share,
            };
            self.producers.push(p);
            self.checker.add_producer();
            self.restart_arrivals(i as u32);
        }
        self.build_groups();
    }

    /// (Re)start a producer's arrival process from now, at its current rate.
    pub(crate) fn restart_arrivals(&mut self, p: u32) {
        let pr = &mut self.producers[p as usize];
        pr.token += 1;
        let token = pr.token;
        if pr.rate <= 0.0 {
            return;
        }
        let dt = pr.interval_us();
        self.at(self.now + dt, Event::ProducerArrival { producer: p, token });
    }

    pub(crate) fn on_producer_arrival(&mut self, p: u32, token: u64) {
        if self.producers[p as usize].token != token {
            return;
        }
        let now = self.now;
        let pr = &mut self.producers[p as usize];
        let key = pr.next_key();
        let part = if pr.cfg.partitioner_class == Partitioner::RoundRobin {
            // Every record, keyed or not, goes to the next partition with a leader.
            let counter = pr.round_robin;
            pr.round_robin = counter.wrapping_add(1);
            let tps = &self.topics[pr.topic as usize].parts;
            let parts = &self.parts;
            round_robin_partition(counter, tps.len() as u32, |i| parts[tps[i as usize] as usize].leader.is_some())
        } else if key == NULL_KEY {
            // Sticky partitioner (KIP-794): stay on one partition until about batch.size bytes went there.
            if pr.sticky_bytes >= pr.cfg.batch_size {
                pr.sticky_bytes = 0;
                let n = pr.parts.len() as u32;
                pr.sticky = below(&mut pr.rng, n);
            }
            pr.sticky_bytes += pr.record_bytes;
            pr.sticky
        } else {
            pr.key_partition[key as usize]
        };
        let tomb = pr.tombstone_share > 0.0 && key != NULL_KEY && unit(&mut pr.rng) < pr.tombstone_share;
        let rec_id = ((p as u64) << PRODUCER_SHIFT) | pr.seq;
        pr.seq += 1;
        let flags = if tomb { FLAG_TOMBSTONE } else { 0 };
        let bytes = pr.record_bytes;
        let batch_size = pr.cfg.batch_size;
        let linger = pr.linger_us;
        let dt = pr.interval_us();
        let pp = &mut pr.parts[part as usize];
        // A batch stores 32-bit deltas from its first record's id and timestamp; in the rare case one
        // would overflow (a batch open for over an hour), the open batch is closed first.
        let split = pp.open.as_ref().is_some_and(|ob| RecBlock::delta(ob.first_id, ob.base_ts_us, rec_id, now, key, flags).is_none());
        if split {
            self.close_open_batch(p, part);
        }
        let pp = &mut self.producers[p as usize].parts[part as usize];
        let mut new_batch = None;
        if pp.open.is_none() {
            let id = self.next_id + 1;
            self.next_id += 1;
            pp.open = Some(OpenBatch { id, first_id: rec_id, base_ts_us: now, recs: std::mem::take(&mut pp.spare), bytes: 0, created: now });
            new_batch = Some(id);
        }
        let ob = pp.open.as_mut().expect("just ensured");
        ob.recs.push(RecBlock::delta(ob.first_id, ob.base_ts_us, rec_id, now, key, flags).expect("split above"));
        ob.bytes += bytes;
        let full = ob.bytes >= batch_size;
        self.checker.on_send(rec_id);
        self.metrics.sent += 1;
        self.at(now + dt, Event::ProducerArrival { producer: p, token });
        if let (Some(batch_id), true) = (new_batch, linger > 0) {
            self.at(now + linger, Event::LingerExpired { producer: p, part, batch_id });
        }
        if full || linger == 0 || split {
            self.producer_drain(p, part);
        }
    }

    pub(crate) fn on_linger_expired(&mut self, p: u32, part: u32, batch_id: u64) {
        let open = &self.producers[p as usize].parts[part as usize].open;
        if open.as_ref().is_some_and(|b| b.id == batch_id) {
            self.producer_drain(p, part);
        }
    }

    /// Close the open batch of a partition into its queue of batches ready to send.
    fn close_open_batch(&mut self, p: u32, part: u32) {
        let pr = &mut self.producers[p as usize];
        let idempotent = pr.idempotent;
        let pp = &mut pr.parts[part as usize];
        if let Some(batch) = pp.close_open(idempotent) {
            pp.queue.push_back(batch);
        }
    }

    /// The sender: move ready batches into flight while the in-flight limit and backoff allow.
    pub(crate) fn producer_drain(&mut self, p: u32, part: u32) {
        loop {
            let now = self.now;
            let pr = &mut self.producers[p as usize];
            let max_inflight = pr.cfg.max_in_flight_requests_per_connection as usize;
            let (linger, batch_size, idempotent) = (pr.linger_us, pr.cfg.batch_size, pr.idempotent);
            let pp = &mut pr.parts[part as usize];
            if pp.inflight.len() >= max_inflight || now < pp.backoff_until {
                return;
            }
            // The queue's first batch, or else the open batch once it is full or its linger ran
            // out (closed straight into flight: it would be the queue's only batch).
            let batch = match pp.queue.pop_front() {
                Some(batch) => batch,
                None => match &pp.open {
                    Some(ob) if ob.bytes >= batch_size || now >= ob.created + linger => pp.close_open(idempotent).expect("open batch"),
                    _ => return,
                },
            };
            self.send_batch(p, part, batch);
        }
    }

    /// Send `batch`, taken from the front of the partition's queue (it goes back there when the
    /// partition has no leader).
    fn send_batch(&mut self, p: u32, part: u32, mut batch: ProducerBatch) {
        let now = self.now;
        let pr = &mut self.producers[p as usize];
        let tp = self.topics[pr.topic as usize].parts[part as usize];
        let leader = self.parts[tp as usize].leader;
        let delivery_timeout = pr.cfg.delivery_timeout_ms * US_PER_MS;
        let pp = &mut pr.parts[part as usize];
        if now.saturating_sub(batch.created) > delivery_timeout {
            self.fail_batch(p, &batch, "delivery.timeout.ms expired");
            return;
        }
        let Some(leader) = leader else {
            // No leader known: wait for a metadata refresh.
            let backoff = pr.cfg.retry_backoff_ms * US_PER_MS;
            pp.queue.push_front(batch);
            pp.backoff_until = now + backoff;
            self.at(now + backoff, Event::RetryReady { producer: p, part });
            return;
        };
        self.next_id += 1;
        let req_id = self.next_id;
        batch.req_id = req_id;
        let acks = pr.acks;
        let idempotent = pr.idempotent;
        let node = pr.node;
        let request = Batch { base_offset: 0, leader_epoch: 0, producer: if idempotent { p } else { u32::MAX }, base_seq: batch.base_seq, bytes: batch.bytes, block: batch.block.clone(), compacted: None };
        if acks == Acks::Zero {
            // Fire and forget: the send callback succeeds at once.
            for r in batch.block.records() {
                self.checker.on_ack(r.id);
            }
            self.metrics.acked += batch.block.recs.len() as u64;
        } else {
            pp.inflight.push(batch);
        }
        if !self.brokers[leader as usize].up {
            if acks != Acks::Zero {
                let lat = self.net.latency(Node::Client(node), Node::Broker(leader));
                self.at(now + 2 * lat, Event::ProduceResponse { producer: p, part, req_id, result: Err(KafkaError::NetworkException) });
            }
            return;
        }
        match self.net.transit(now, Node::Client(node), Node::Broker(leader)) {
            Some(t) if self.deliver_now(t, KIND_PRODUCE_ARRIVE, produce_subject(tp, request.base_seq)) => {
                self.on_produce(ProduceRequest { producer: p, part, tp, broker: leader, req_id, sent_us: now, idempotent, acks, batch: Rc::new(request) });
                self.delivered();
            }
            Some(t) => self.at(t, Event::ProduceArrive { producer: p, tp, broker: leader, acks, req_id, sent_us: now, batch: Rc::new(request) }),
            None => {
                if acks != Acks::Zero {
                    let request_timeout = self.producers[p as usize].cfg.request_timeout_ms * US_PER_MS;
                    self.at(now + request_timeout, Event::ProduceResponse { producer: p, part, req_id, result: Err(KafkaError::RequestTimedOut) });
                }
            }
        }
    }

    fn fail_batch(&mut self, p: u32, batch: &ProducerBatch, why: &str) {
        for r in batch.block.records() {
            self.checker.on_fail(r.id);
        }
        self.metrics.failed += batch.block.recs.len() as u64;
        if self.metrics.failures_logged < 20 {
            self.metrics.failures_logged += 1;
            let name = self.producers[p as usize].name.clone();
            self.log.push(self.now, "produce", format!("Producer {name} gave up on a batch of {} records: {why}.", batch.block.recs.len()));
        }
    }

    pub(crate) fn on_produce_response(&mut self, p: u32, part: u32, req_id: u64, result: Result<u64, KafkaError>) {
        let now = self.now;
        let pr = &mut self.producers[p as usize];
        let pp = &mut pr.parts[part as usize];
        let Some(pos) = pp.inflight.iter().position(|b| b.req_id == req_id) else { return };
        // Mostly the only batch in flight: popped without `remove`'s memmove of the rest.
        let mut batch = if pos + 1 == pp.inflight.len() { pp.inflight.pop().expect("found above") } else { pp.inflight.remove(pos) };
        match result {
            Ok(_) => {
                for r in batch.block.records() {
                    self.checker.on_ack(r.id);
                    self.metrics.ack_latency(now - r.ts_us);
                }
                self.metrics.acked += batch.block.recs.len() as u64;
            }
            Err(e) => {
                self.metrics.record_error(e);
                batch.attempts += 1;
                let delivery_timeout = pr.cfg.delivery_timeout_ms * US_PER_MS;
                let backoff = pr.cfg.retry_backoff_ms * US_PER_MS;
                if batch.attempts > pr.cfg.retries || now.saturating_sub(batch.created) > delivery_timeout {
                    let why = if batch.attempts > pr.cfg.retries { format!("{} after {} retries", e.name(), pr.cfg.retries) } else { format!("{} and delivery.timeout.ms expired", e.name()) };
                    self.fail_batch(p, &batch, &why);
                } else {
                    if pr.idempotent {
                        // Retries go out in sequence order, so the broker sees no gap.
                        let at = pp.queue.iter().position(|b| b.base_seq > batch.base_seq).unwrap_or(pp.queue.len());
                        pp.queue.insert(at, batch);
                    } else {
                        pp.queue.push_front(batch);
                    }
                    pp.backoff_until = now + backoff;
                    self.at(now + backoff, Event::RetryReady { producer: p, part });
                }
            }
        }
        self.producer_drain(p, part);
    }

    pub(crate) fn traffic_spike(&mut self, p: u32, factor: f64, duration_us: SimTime) {
        let pr = &mut self.producers[p as usize];
        pr.rate = pr.base_rate * factor;
        pr.spike_token += 1;
        let token = pr.spike_token;
        let name = pr.name.clone();
        self.log.push(self.now, "action", format!("Traffic spike: producer {name} sends {factor}× its rate for {:.1} s.", duration_us as f64 / 1e6));
        self.at(self.now + duration_us, Event::SpikeEnd { producer: p, token });
        self.restart_arrivals(p);
    }

    pub(crate) fn on_spike_end(&mut self, p: u32, token: u64) {
        let pr = &mut self.producers[p as usize];
        if pr.spike_token != token {
            return;
        }
        pr.rate = pr.base_rate;
        let name = pr.name.clone();
        self.log.push(self.now, "action", format!("Traffic spike of producer {name} ended."));
        self.restart_arrivals(p);
    }
}
