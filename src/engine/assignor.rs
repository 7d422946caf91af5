//! TEMPORARY stand-in with the assignor module's API (range only); replaced by the real module.
use std::collections::BTreeMap;

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Strategy { Range, RoundRobin, Sticky, CooperativeSticky }
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Protocol { Eager, Cooperative }
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct TopicPartition { pub topic: String, pub partition: u32 }
#[derive(Clone, Debug)]
pub struct MemberSubscription { pub member_id: String, pub group_instance_id: Option<String>, pub subscription: Vec<String>, pub owned: Vec<TopicPartition>, pub generation: Option<i32> }

pub fn protocol_for(strategies: &[Strategy]) -> Protocol {
    if !strategies.is_empty() && strategies.iter().all(|s| *s == Strategy::CooperativeSticky) { Protocol::Cooperative } else { Protocol::Eager }
}

pub fn assign(_strategy: Strategy, partitions_per_topic: &BTreeMap<String, u32>, members: &[MemberSubscription]) -> BTreeMap<String, Vec<TopicPartition>> {
    let mut out: BTreeMap<String, Vec<TopicPartition>> = members.iter().map(|m| (m.member_id.clone(), Vec::new())).collect();
    let mut sorted: Vec<&MemberSubscription> = members.iter().collect();
    sorted.sort_by(|a, b| (a.group_instance_id.is_none(), &a.group_instance_id, &a.member_id).cmp(&(b.group_instance_id.is_none(), &b.group_instance_id, &b.member_id)));
    for (t, &n) in partitions_per_topic {
        let subs: Vec<&&MemberSubscription> = sorted.iter().filter(|m| m.subscription.contains(t)).collect();
        if subs.is_empty() { continue; }
        let c = subs.len() as u32;
        let mut p = 0;
        for (i, m) in subs.iter().enumerate() {
            let take = n / c + u32::from((i as u32) < n % c);
            for _ in 0..take { out.get_mut(&m.member_id).unwrap().push(TopicPartition { topic: t.clone(), partition: p }); p += 1; }
        }
    }
    out
}
