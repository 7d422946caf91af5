//! Each engine event in words, for stepping a run one event at a time: what arrived where, whose
//! timer fired. Names are the scenario's (producers, groups, `topic-partition`); numbers are
//! brokers, members and offsets as the other views show them.

use super::sim::{Event, FetchResult, Sim};

impl Sim {
    /// `ev` in one sentence.
    pub(super) fn narrate(&self, ev: &Event) -> String {
        let producer = |p: &u32| self.producers.get(*p as usize).map_or_else(|| format!("producer {p}"), |p| p.name.clone());
        let group = |g: &u32| self.groups.get(*g as usize).map_or_else(|| format!("group {g}"), |g| g.id.clone());
        let member = |g: &u32, m: &u32| format!("member {m} of {}", group(g));
        // The same, starting a sentence.
        let member_ = |g: &u32, m: &u32| format!("Member {m} of {}", group(g));
        let part = |p: &u32, part: &u32| self.producers.get(*p as usize).and_then(|pr| self.topics.get(pr.topic as usize)).map_or_else(String::new, |t| format!("{}-{part}", t.name));
        let n_records = |n: usize| if n == 1 { "1 record".to_string() } else { format!("{n} records") };
        let records = |r: &FetchResult| match r {
            FetchResult::Records { batches, .. } => n_records(batches.iter().map(|b| b.len()).sum()),
            FetchResult::Diverging { end_offset } => format!("a diverging epoch: truncate to offset {end_offset}"),
            FetchResult::Error(e) => format!("error {}", e.name()),
        };
        match ev {
            Event::Timeline { index } => {
                format!("The scenario's timeline entry {} is due: {}.", index + 1, self.scenario.timeline.get(*index as usize).map_or("", |t| t.action.name()))
            }
            Event::SpikeEnd { producer: p, .. } => format!("The traffic spike of {} ends.", producer(p)),
            Event::MetricsSample => "The metrics are sampled.".into(),
            Event::ProducerArrival { producer: p, .. } => format!("{} sends a record.", producer(p)),
            Event::LingerExpired { producer: p, part: i, .. } => format!("linger.ms is up for the batch of {} to {}: it is sent.", producer(p), part(p, i)),
            Event::RetryReady { producer: p, part: i } => format!("retry.backoff.ms is over: {} retries its batch to {}.", producer(p), part(p, i)),
            Event::ProduceArrive { producer: p, tp, broker, batch, .. } => {
                format!("A produce request of {} ({}) reaches broker {broker} for {}.", producer(p), n_records(batch.len()), self.tp_name(*tp))
            }
            Event::ProduceResponse { producer: p, part: i, result, .. } => match result {
                Ok(offset) => format!("{} hears its batch to {} is stored at offset {offset}.", producer(p), part(p, i)),
                Err(e) => format!("{} hears its batch to {} failed: {}.", producer(p), part(p, i), e.name()),
            },
            Event::ReplicaFetch { leader, tp, follower, fetch_offset, .. } => {
                format!("Broker {leader}, the leader of {}, gets a fetch from follower broker {follower} at offset {fetch_offset}.", self.tp_name(*tp))
            }
            Event::ReplicaFetchResponse { follower, tp, result, .. } => format!("Follower broker {follower} of {} receives {}.", self.tp_name(*tp), records(result)),
            Event::ReplicaFetchRetry { follower, tp, .. } => format!("Follower broker {follower} of {} fetches again.", self.tp_name(*tp)),
            Event::FetchWaitExpired { broker, tp } => format!("Broker {broker} answers the fetches waiting on {} (fetch.max.wait.ms).", self.tp_name(*tp)),
            Event::ConsumerFetch { broker, tp, group: g, member: m, offset, .. } => format!("Broker {broker} gets a fetch of {} for {} at offset {offset}.", member(g, m), self.tp_name(*tp)),
            Event::ConsumerFetchResponse { group: g, member: m, tp, result, .. } => format!("{} receives {} of {}.", member_(g, m), records(result), self.tp_name(*tp)),
            Event::ConsumerFetchRetry { group: g, member: m, tp, .. } => format!("{} fetches {} again.", member_(g, m), self.tp_name(*tp)),
            Event::ConsumerBatchDone { group: g, member: m, .. } => format!("{} has processed its records.", member_(g, m)),
            Event::GroupSessionExpired { group: g, member: m, .. } => format!("The coordinator heard nothing from {} for session.timeout.ms.", member(g, m)),
            Event::GroupHeartbeat { group: g, member: m, .. } => format!("{} sends a heartbeat.", member_(g, m)),
            Event::GroupJoinDelay { group: g, .. } => format!("group.initial.rebalance.delay.ms is over for {}.", group(g)),
            Event::RebalanceTimeout { group: g, .. } => format!("The rebalance of {} times out.", group(g)),
            Event::GroupSync { group: g, generation } => format!("{} syncs generation {generation}: the assignment goes out.", group(g)),
            Event::PollTimeout { group: g, member: m, .. } => format!("{} went max.poll.interval.ms without polling.", member_(g, m)),
            Event::RetryTopicDue { group: g } => format!("A record on {}'s retry topic is due.", group(g)),
            Event::ShareLockExpired { group: g, .. } => format!("Record locks of share group {} run out.", group(g)),
            Event::BrokerHeartbeat { broker, .. } => format!("Broker {broker} sends a heartbeat to the controller."),
            Event::HeartbeatArrive { controller, broker } => format!("Controller {controller} gets broker {broker}'s heartbeat."),
            Event::BrokerTick { broker, .. } => format!("Broker {broker} checks its followers (replica.lag.time.max.ms)."),
            Event::ControllerTick { controller, .. } => format!("Controller {controller} checks broker sessions."),
            Event::ControllerElection { .. } => "The controllers elect an active controller.".into(),
            Event::MetadataArrive { broker, .. } => format!("Broker {broker} receives new metadata."),
            Event::AlterPartition { controller, leader, tp, isr, .. } => format!("Controller {controller} gets broker {leader}'s AlterPartition for {}: ISR {}.", self.tp_name(*tp), isr.iter().map(u32::to_string).collect::<Vec<_>>().join(", ")),
            Event::AlterPartitionResponse { broker, tp, ok, .. } => {
                format!("Broker {broker} hears its AlterPartition for {} was {}.", self.tp_name(*tp), if *ok { "accepted" } else { "rejected" })
            }
            Event::RetentionCheck => "The brokers check retention (log.retention.check.interval.ms).".into(),
        }
    }
}
