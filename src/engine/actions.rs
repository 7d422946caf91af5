//! Actions and faults, from a scenario's timeline or a user's click, applied through one `match`.
//! A reference to something that does not exist (a stale click) is reported in the event log and
//! ignored: the engine never panics on a command.

use super::kernel::US_PER_MS;
use super::sim::{FaultSnapshot, Sim};
use crate::scenario::{Action, BrokerRef, ControllerRef};

impl Sim {
    fn broker_ref(&self, r: BrokerRef) -> Option<u32> {
        match r {
            BrokerRef::Id(b) if (b as usize) < self.brokers.len() => Some(b),
            BrokerRef::Id(_) => None,
            BrokerRef::Crashed => self.crashed.last().copied(),
        }
    }
    fn group_index(&self, id: &str) -> Option<u32> {
        self.groups.iter().position(|g| g.id == id).map(|i| i as u32)
    }
    fn producer_index(&self, name: &str) -> Option<u32> {
        self.producers.iter().position(|p| p.name == name).map(|i| i as u32)
    }

    fn ignored(&mut self, action: &Action, why: &str) {
        self.log.push(self.now, "error", format!("Ignored {}: {why}.", action.name()));
    }

    /// Apply an action with inline delivery off (see `Sim::deliver_now`): an action runs many steps one
    /// after another, and each must see the state the one before it left, not a reply to it.
    pub(crate) fn apply_action(&mut self, action: &Action) {
        self.queued(|sim| sim.apply_action_now(action));
    }

    fn apply_action_now(&mut self, action: &Action) {
        // The metrics just before a fault, so views can show what it changed.
        if action.is_fault() {
            self.last_fault = Some(FaultSnapshot { t_us: self.now, action: action.name(), before: self.jmx_metrics() });
        }
        match action {
            Action::CrashBroker { broker } => match self.broker_ref(*broker) {
                Some(b) => self.crash_broker(b),
                None => self.ignored(action, "no such broker"),
            },
            Action::RestartBroker { broker } => match self.broker_ref(*broker) {
                Some(b) => self.restart_broker(b),
                None => self.ignored(action, "no crashed broker to restart"),
            },
            Action::CrashLeader { topic, partition } => {
                let tp = self.topics.iter().find(|t| &t.name == topic).and_then(|t| t.parts.get(*partition as usize).copied());
                match tp.and_then(|tp| self.parts[tp as usize].leader) {
                    Some(b) => {
                        self.log.push(self.now, "fault", format!("Crashing the leader of {topic}-{partition}: broker {b}."));
                        self.crash_broker(b)
                    }
                    None => self.ignored(action, "the partition has no leader"),
                }
            }
            Action::IsolateBroker { broker } => {
                if (*broker as usize) < self.brokers.len() {
                    self.net.isolated.insert(*broker);
                    self.log.push(self.now, "fault", format!("Broker {broker} is isolated from every other node."));
                } else {
                    self.ignored(action, "no such broker");
                }
            }
            Action::PartitionNetwork { groups } => {
                self.net.group_of.clear();
                for (i, g) in groups.iter().enumerate() {
                    for &b in g {
                        self.net.group_of.insert(b, i as u32);
                    }
                }
                let desc: Vec<String> = groups.iter().map(|g| format!("{g:?}")).collect();
                self.log.push(self.now, "fault", format!("Network partitioned between broker groups {}.", desc.join(" | ")));
            }
            Action::HealNetwork => {
                self.net.heal();
                self.log.push(self.now, "action", "Network healed: every link works again.".into());
            }
            Action::CrashController { controller } => {
                let c = match controller {
                    ControllerRef::Id(c) => Some(*c),
                    ControllerRef::Active => self.quorum.active,
                };
                match c {
                    Some(c) => self.crash_controller(c),
                    None => self.ignored(action, "no active controller"),
                }
            }
            Action::RestartController { controller } => self.restart_controller(*controller),
            Action::SlowConsumer { group, member, factor } => match self.group_index(group) {
                Some(g) if (*member as usize) < self.groups[g as usize].members.len() => {
                    self.groups[g as usize].members[*member as usize].slow_factor = factor.max(0.0);
                    self.log.push(self.now, "fault", format!("Consumer {member} of group {group} now takes {factor}× as long per record."));
                }
                _ => self.ignored(action, "no such group member"),
            },
            Action::CrashConsumer { group, member } => match self.group_index(group) {
                Some(g) => self.crash_consumer(g, *member),
                None => self.ignored(action, "no such group"),
            },
            Action::RestartConsumer { group, member } => match self.group_index(group) {
                Some(g) => self.restart_consumer(g, *member),
                None => self.ignored(action, "no such group"),
            },
            Action::AddConsumer { group } => match self.group_index(group) {
                Some(g) if self.groups[g as usize].members.len() < 4096 => self.add_consumer(g),
                _ => self.ignored(action, "no such group, or the group is full"),
            },
            Action::RemoveConsumer { group, member } => match self.group_index(group) {
                Some(g) => self.remove_consumer(g, *member),
                None => self.ignored(action, "no such group"),
            },
            Action::TrafficSpike { producer, factor, duration_ms } => match self.producer_index(producer) {
                Some(p) => self.traffic_spike(p, *factor, duration_ms * US_PER_MS),
                None => self.ignored(action, "no such producer"),
            },
            Action::SetProducerRate { producer, rate_per_sec } => match self.producer_index(producer) {
                Some(p) => {
                    let pr = &mut self.producers[p as usize];
                    pr.base_rate = *rate_per_sec;
                    pr.rate = *rate_per_sec;
                    self.log.push(self.now, "action", format!("Producer {producer} now sends {rate_per_sec} records/s."));
                    self.restart_arrivals(p);
                }
                None => self.ignored(action, "no such producer"),
            },
            Action::SetProducerAcks { producer, acks } => match self.producer_index(producer) {
                Some(p) => {
                    let pr = &mut self.producers[p as usize];
                    pr.acks = *acks;
                    let mut note = String::new();
                    if pr.idempotent && *acks != crate::scenario::Acks::All {
                        // Kafka refuses idempotence without acks=all; the producer falls back to plain retries.
                        pr.idempotent = false;
                        note = " (enable.idempotence is now off: it needs acks=all)".into();
                    }
                    let name = match acks {
                        crate::scenario::Acks::Zero => "0",
                        crate::scenario::Acks::One => "1",
                        crate::scenario::Acks::All => "all",
                    };
                    self.log.push(self.now, "action", format!("Producer {producer} now uses acks={name}{note}."));
                }
                None => self.ignored(action, "no such producer"),
            },
            Action::ResetOffsets { group, topic, partition, to } => match self.group_index(group) {
                Some(g) => self.reset_offsets(g, topic.as_deref(), *partition, to),
                None => self.ignored(action, "no such group"),
            },
            Action::AddConsumerGroup { group } => {
                if self.group_index(&group.group_id).is_some() {
                    self.ignored(action, "a group with that group.id already exists");
                } else {
                    self.add_group(group);
                }
            }
            Action::CrashService { .. } | Action::RestartService { .. } => self.ignored(action, "services belong to the rest and events designs; the log design has none"),
        }
    }
}
