//! Kafka's four consumer partition assignors as pure functions, following the Java client's
//! `RangeAssignor`, `RoundRobinAssignor`, `StickyAssignor` and `CooperativeStickyAssignor` (Kafka 3.5+,
//! without rack awareness). `assign` runs one assignor invocation on the group leader's input: the
//! partitions of each topic and every member's subscription, owned partitions and generation.
//! `protocol_for` picks the rebalance protocol the way the consumer does from its configured list.
//!
//! Everything is ordered (`BTreeMap`, sorted `Vec`s): where Kafka iterates a `HashMap` of members we
//! iterate in member-id order, so the same input always gives the same output.

use std::collections::{BTreeMap, BTreeSet};

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Strategy {
    Range,
    RoundRobin,
    Sticky,
    CooperativeSticky,
}

impl Strategy {
    pub fn name(self) -> &'static str {
        match self {
            Strategy::Range => "range",
            Strategy::RoundRobin => "roundrobin",
            Strategy::Sticky => "sticky",
            Strategy::CooperativeSticky => "cooperative-sticky",
        }
    }

    /// Short names and Kafka's class names (`org.apache.kafka.clients.consumer.RangeAssignor`).
    pub fn from_name(s: &str) -> Option<Strategy> {
        match s.rsplit('.').next().unwrap_or(s) {
            "range" | "RangeAssignor" => Some(Strategy::Range),
            "roundrobin" | "RoundRobinAssignor" => Some(Strategy::RoundRobin),
            "sticky" | "StickyAssignor" => Some(Strategy::Sticky),
            "cooperative-sticky" | "CooperativeStickyAssignor" => Some(Strategy::CooperativeSticky),
            _ => None,
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Protocol {
    Eager,
    Cooperative,
}

#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct TopicPartition {
    pub topic: String,
    pub partition: u32,
}

impl TopicPartition {
    pub fn new(topic: &str, partition: u32) -> TopicPartition {
        TopicPartition { topic: topic.to_string(), partition }
    }
}

impl std::fmt::Display for TopicPartition {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}-{}", self.topic, self.partition)
    }
}

/// What a member tells the group leader in its JoinGroup: its subscription and, for the sticky
/// assignors, what it owns now and in which generation it got it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MemberSubscription {
    pub member_id: String,
    pub group_instance_id: Option<String>,
    pub subscription: Vec<String>,
    pub owned: Vec<TopicPartition>,
    pub generation: Option<i32>,
}

/// Kafka's `DEFAULT_GENERATION`: a member that reports none.
const DEFAULT_GENERATION: i32 = -1;

/// The consumer's protocol: the one every configured assignor supports. Only cooperative-sticky
/// supports cooperative rebalancing, so any other assignor in the list means eager.
pub fn protocol_for(strategies: &[Strategy]) -> Protocol {
    if !strategies.is_empty() && strategies.iter().all(|s| *s == Strategy::CooperativeSticky) {
        Protocol::Cooperative
    } else {
        Protocol::Eager
    }
}

pub type Assignment = BTreeMap<String, Vec<TopicPartition>>;

/// One assignor invocation. Every member is in the result (with an empty list when it gets nothing);
/// each list is sorted by topic, then partition. Topics absent from `partitions_per_topic` are ignored,
/// as Kafka ignores topics without metadata.
pub fn assign(strategy: Strategy, partitions_per_topic: &BTreeMap<String, u32>, members: &[MemberSubscription]) -> Assignment {
    let mut out = match strategy {
        Strategy::Range => range(partitions_per_topic, members),
        Strategy::RoundRobin => round_robin(partitions_per_topic, members),
        Strategy::Sticky => sticky(partitions_per_topic, members).0,
        Strategy::CooperativeSticky => cooperative_sticky(partitions_per_topic, members),
    };
    for m in members {
        out.entry(m.member_id.clone()).or_default();
    }
    for list in out.values_mut() {
        list.sort();
    }
    out
}

/// Kafka's member order for range and round-robin: static members first, by `group.instance.id`,
/// then dynamic members by member id.
fn member_order(a: &MemberSubscription, b: &MemberSubscription) -> std::cmp::Ordering {
    match (&a.group_instance_id, &b.group_instance_id) {
        (Some(x), Some(y)) => x.cmp(y).then_with(|| a.member_id.cmp(&b.member_id)),
        (Some(_), None) => std::cmp::Ordering::Less,
        (None, Some(_)) => std::cmp::Ordering::Greater,
        (None, None) => a.member_id.cmp(&b.member_id),
    }
}

fn sorted_members(members: &[MemberSubscription]) -> Vec<&MemberSubscription> {
    let mut v: Vec<&MemberSubscription> = members.iter().collect();
    v.sort_by(|a, b| member_order(a, b));
    v
}

/// Per topic, the subscribed members in Kafka's order take contiguous blocks: `P / C` each and one
/// more for the first `P % C`.
fn range(partitions_per_topic: &BTreeMap<String, u32>, members: &[MemberSubscription]) -> Assignment {
    let mut out = Assignment::new();
    let sorted = sorted_members(members);
    for (topic, &n) in partitions_per_topic {
        let subs: Vec<&&MemberSubscription> = sorted.iter().filter(|m| m.subscription.contains(topic)).collect();
        if subs.is_empty() {
            continue;
        }
        let c = subs.len() as u32;
        let (per, extra) = (n / c, n % c);
        for (i, m) in subs.iter().enumerate() {
            let i = i as u32;
            let start = per * i + i.min(extra);
            let len = per + u32::from(i < extra);
            let list = out.entry(m.member_id.clone()).or_default();
            list.extend((start..start + len).map(|p| TopicPartition::new(topic, p)));
        }
    }
    out
}

/// All partitions of all subscribed topics (topics in name order) dealt around the members in
/// Kafka's order, skipping members not subscribed to the partition's topic.
fn round_robin(partitions_per_topic: &BTreeMap<String, u32>, members: &[MemberSubscription]) -> Assignment {
    let mut out = Assignment::new();
    let sorted = sorted_members(members);
    if sorted.is_empty() {
        return out;
    }
    let topics: BTreeSet<&String> = members.iter().flat_map(|m| m.subscription.iter()).collect();
    let mut next = 0usize;
    for topic in topics {
        let Some(&n) = partitions_per_topic.get(topic) else { continue };
        for p in 0..n {
            // The circular iterator: peek until a subscriber, then take it.
            while !sorted[next % sorted.len()].subscription.contains(topic) {
                next += 1;
            }
            let m = sorted[next % sorted.len()];
            next += 1;
            out.entry(m.member_id.clone()).or_default().push(TopicPartition::new(topic, p));
        }
    }
    out
}

/// The partitions a member may keep from what it reports owning: of topics that exist, that it
/// still subscribes to, and partitions that still exist.
fn valid_owned<'a>(m: &'a MemberSubscription, partitions_per_topic: &BTreeMap<String, u32>) -> impl Iterator<Item = &'a TopicPartition> + 'a {
    let ppt = partitions_per_topic.clone();
    m.owned
        .iter()
        .filter(move |tp| ppt.get(&tp.topic).is_some_and(|&n| tp.partition < n) && m.subscription.contains(&tp.topic))
}

/// The sticky assignment, and (when the constrained algorithm ran) the partitions it gave to a new
/// owner although another member owned them (what cooperative-sticky must withhold this round).
fn sticky(partitions_per_topic: &BTreeMap<String, u32>, members: &[MemberSubscription]) -> (Assignment, Option<BTreeSet<TopicPartition>>) {
    let mut by_id: BTreeMap<&str, &MemberSubscription> = BTreeMap::new();
    for m in members {
        by_id.insert(&m.member_id, m);
    }
    let ppt: BTreeMap<String, u32> = partitions_per_topic.clone();
    // Kafka's allSubscriptionsEqual: also collects each member's valid owned partitions, resolving
    // claims of one partition by several members by generation.
    let mut equal = true;
    let mut first_subs: Option<BTreeSet<&String>> = None;
    let mut owned: BTreeMap<String, Vec<TopicPartition>> = BTreeMap::new();
    let mut owner_of: BTreeMap<TopicPartition, String> = BTreeMap::new();
    let mut doubly_claimed: BTreeSet<TopicPartition> = BTreeSet::new();
    for (&id, m) in &by_id {
        let subs: BTreeSet<&String> = m.subscription.iter().collect();
        match &first_subs {
            None => first_subs = Some(subs),
            Some(f) => {
                if *f != subs {
                    equal = false;
                }
            }
        }
        let generation = m.generation.unwrap_or(DEFAULT_GENERATION);
        owned.entry(id.to_string()).or_default();
        for tp in m.owned.iter().filter(|tp| ppt.get(&tp.topic).is_some_and(|&n| tp.partition < n)) {
            match owner_of.get(tp).cloned() {
                None => {
                    owner_of.insert(tp.clone(), id.to_string());
                    owned.get_mut(id).unwrap().push(tp.clone());
                }
                Some(other) => {
                    let other_gen = by_id[other.as_str()].generation.unwrap_or(DEFAULT_GENERATION);
                    if generation == other_gen {
                        // Two members of one generation claim it: neither keeps it.
                        doubly_claimed.insert(tp.clone());
                        owned.get_mut(&other).unwrap().retain(|x| x != tp);
                        owner_of.insert(tp.clone(), id.to_string());
                    } else if generation > other_gen {
                        owned.get_mut(&other).unwrap().retain(|x| x != tp);
                        owned.get_mut(id).unwrap().push(tp.clone());
                        owner_of.insert(tp.clone(), id.to_string());
                    }
                }
            }
        }
    }
    if equal {
        let (a, moved) = constrained(&ppt, first_subs.unwrap_or_default(), owned, &doubly_claimed);
        (a, Some(moved))
    } else {
        (general(&ppt, &by_id), None)
    }
}

/// Kafka's constrained assignment (every member subscribes to the same topics): quotas of
/// floor(P/C) and ceil(P/C); each member keeps what it owns up to its quota (owned partitions sorted
/// by partition, then topic); the rest go round-robin to the members still under quota (by id).
fn constrained(
    ppt: &BTreeMap<String, u32>,
    topics: BTreeSet<&String>,
    owned: BTreeMap<String, Vec<TopicPartition>>,
    doubly_claimed: &BTreeSet<TopicPartition>,
) -> (Assignment, BTreeSet<TopicPartition>) {
    let all: Vec<TopicPartition> = topics
        .iter()
        .filter_map(|t| ppt.get(*t).map(|&n| (t, n)))
        .flat_map(|(t, n)| (0..n).map(move |p| TopicPartition::new(t, p)))
        .collect();
    let consumers = owned.len() as u32;
    let mut assignment: Assignment = owned.keys().map(|c| (c.clone(), Vec::new())).collect();
    let mut moved = BTreeSet::new();
    if consumers == 0 {
        return (assignment, moved);
    }
    let total = all.len() as u32;
    let (min_quota, max_quota) = (total / consumers, total.div_ceil(consumers));
    let expected_over_min = total % consumers;
    let mut over_min = 0u32;
    let mut revoked: BTreeSet<TopicPartition> = BTreeSet::new();
    let mut assigned: BTreeSet<TopicPartition> = BTreeSet::new();
    let mut under_min: Vec<String> = Vec::new();
    let mut exactly_min: Vec<String> = Vec::new();
    for (consumer, list) in &owned {
        let mut mine: Vec<TopicPartition> = list.iter().filter(|tp| topics.contains(&tp.topic) && !doubly_claimed.contains(tp)).cloned().collect();
        mine.sort_by(|a, b| a.partition.cmp(&b.partition).then_with(|| a.topic.cmp(&b.topic)));
        let target = assignment.get_mut(consumer).unwrap();
        let n = mine.len() as u32;
        if n < min_quota {
            assigned.extend(mine.iter().cloned());
            target.extend(mine);
            under_min.push(consumer.clone());
        } else if n >= max_quota && over_min < expected_over_min {
            over_min += 1;
            if over_min == expected_over_min {
                exactly_min.clear();
            }
            let keep = max_quota as usize;
            revoked.extend(mine[keep..].iter().cloned());
            assigned.extend(mine[..keep].iter().cloned());
            target.extend(mine[..keep].iter().cloned());
        } else {
            let keep = min_quota as usize;
            revoked.extend(mine[keep..].iter().cloned());
            assigned.extend(mine[..keep].iter().cloned());
            target.extend(mine[..keep].iter().cloned());
            if over_min < expected_over_min {
                exactly_min.push(consumer.clone());
            }
        }
    }
    let unassigned: Vec<TopicPartition> = all.into_iter().filter(|tp| !assigned.contains(tp)).collect();
    under_min.sort();
    exactly_min.sort();
    // Round-robin over the members under minQuota; once none is left, members at exactly minQuota
    // take one more each, in order, until enough members hold maxQuota.
    let mut exactly_min: std::collections::VecDeque<String> = exactly_min.into();
    // `cursor` walks `under_min` as Kafka's iterator does (and restarts from its head).
    let mut cursor = 0usize;
    for tp in unassigned {
        let (consumer, from_under_min) = if cursor < under_min.len() {
            cursor += 1;
            (under_min[cursor - 1].clone(), true)
        } else if under_min.is_empty() {
            match exactly_min.pop_front() {
                Some(c) => (c, false),
                // Cannot happen with quotas computed from the same counts; leave the partition
                // unassigned rather than panic.
                None => break,
            }
        } else {
            cursor = 1;
            (under_min[0].clone(), true)
        };
        let list = assignment.get_mut(&consumer).unwrap();
        list.push(tp.clone());
        if revoked.contains(&tp) || doubly_claimed.contains(&tp) {
            moved.insert(tp.clone());
        }
        let count = list.len() as u32;
        if count == min_quota {
            if from_under_min {
                cursor -= 1;
                under_min.remove(cursor);
            }
            exactly_min.push_back(consumer);
        }
    }
    (assignment, moved)
}

/// The general case (members subscribe to different topics): keep every valid owned partition (the
/// highest generation wins a conflict, the first member in id order when generations are equal),
/// give each unassigned partition to the eligible member with the fewest partitions (partitions
/// with the fewest eligible members first), then move partitions from fuller to emptier eligible
/// members until no move improves the balance, preferring each partition's previous owner.
/// Kafka's algorithm has the same goals and order of priorities; its tie-breaking among equally
/// good moves may differ.
fn general(ppt: &BTreeMap<String, u32>, by_id: &BTreeMap<&str, &MemberSubscription>) -> Assignment {
    let mut current: Assignment = by_id.keys().map(|id| (id.to_string(), Vec::new())).collect();
    // Claims by generation: the highest keeps the partition; the next highest is its previous owner.
    let mut claims: BTreeMap<TopicPartition, BTreeMap<i32, String>> = BTreeMap::new();
    for (&id, m) in by_id {
        let generation = m.generation.unwrap_or(DEFAULT_GENERATION);
        for tp in m.owned.iter().filter(|tp| ppt.get(&tp.topic).is_some_and(|&n| tp.partition < n)) {
            claims.entry(tp.clone()).or_default().entry(generation).or_insert_with(|| id.to_string());
        }
    }
    let mut previous: BTreeMap<TopicPartition, String> = BTreeMap::new();
    let mut owner: BTreeMap<TopicPartition, String> = BTreeMap::new();
    for (tp, gens) in &claims {
        let mut it = gens.values().rev();
        if let Some(c) = it.next() {
            if by_id[c.as_str()].subscription.contains(&tp.topic) {
                current.get_mut(c).unwrap().push(tp.clone());
                owner.insert(tp.clone(), c.clone());
            }
        }
        if let Some(p) = it.next() {
            previous.insert(tp.clone(), p.clone());
        }
    }
    let eligible = |tp: &TopicPartition| -> Vec<String> { by_id.iter().filter(|(_, m)| m.subscription.contains(&tp.topic)).map(|(id, _)| id.to_string()).collect() };
    let mut all: Vec<(usize, TopicPartition)> = Vec::new();
    for (t, &n) in ppt {
        for p in 0..n {
            let tp = TopicPartition::new(t, p);
            let e = eligible(&tp).len();
            if e > 0 {
                all.push((e, tp));
            }
        }
    }
    all.sort();
    let least_loaded = |current: &Assignment, cands: &[String]| -> Option<String> { cands.iter().min_by(|a, b| current[*a].len().cmp(&current[*b].len()).then_with(|| a.cmp(b))).cloned() };
    for (_, tp) in &all {
        if owner.contains_key(tp) {
            continue;
        }
        if let Some(c) = least_loaded(&current, &eligible(tp)) {
            current.get_mut(&c).unwrap().push(tp.clone());
            owner.insert(tp.clone(), c);
        }
    }
    // Balance: a partition moves when an eligible member holds at least two fewer partitions.
    let limit = all.len() * by_id.len().max(1) + 1;
    for _ in 0..limit {
        let mut best: Option<(TopicPartition, String, String)> = None;
        for (_, tp) in &all {
            let from = &owner[tp];
            let from_n = current[from].len();
            let cands: Vec<String> = eligible(tp).into_iter().filter(|c| current[c].len() + 1 < from_n).collect();
            if cands.is_empty() {
                continue;
            }
            let to = match previous.get(tp) {
                Some(p) if cands.contains(p) => p.clone(),
                _ => least_loaded(&current, &cands).unwrap(),
            };
            best = Some((tp.clone(), from.clone(), to));
            break;
        }
        let Some((tp, from, to)) = best else { break };
        current.get_mut(&from).unwrap().retain(|x| *x != tp);
        current.get_mut(&to).unwrap().push(tp.clone());
        owner.insert(tp, to);
    }
    current
}

/// Cooperative-sticky: the sticky assignment minus every partition that would change owner this
/// round (its owner gives it up first; a follow-up rebalance hands it over).
fn cooperative_sticky(partitions_per_topic: &BTreeMap<String, u32>, members: &[MemberSubscription]) -> Assignment {
    let (mut assignment, moved) = sticky(partitions_per_topic, members);
    let withheld: BTreeSet<TopicPartition> = match moved {
        Some(moved) => moved,
        None => {
            // General case: compare with what each member reported owning.
            let mut previous_owner: BTreeMap<&TopicPartition, &str> = BTreeMap::new();
            for m in members {
                for tp in valid_owned(m, partitions_per_topic) {
                    previous_owner.insert(tp, &m.member_id);
                }
            }
            assignment
                .iter()
                .flat_map(|(c, list)| list.iter().filter(|tp| previous_owner.get(tp).is_some_and(|o| *o != c.as_str())).cloned().collect::<Vec<_>>())
                .collect()
        }
    };
    for list in assignment.values_mut() {
        list.retain(|tp| !withheld.contains(tp));
    }
    assignment
}

/// The input of one assignor invocation as `streamlab assign` reads it:
/// `{ "topics": { "t0": 3 }, "members": [ { "member_id": "C0", "group_instance_id": null,
/// "subscription": ["t0"], "owned": ["t0-0"], "generation": 1 } ] }`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AssignInput {
    pub topics: BTreeMap<String, u32>,
    pub members: Vec<MemberSubscription>,
}

impl AssignInput {
    /// Reads and checks the input; every problem is reported with its JSON path.
    pub fn from_json(text: &str) -> Result<AssignInput, Vec<String>> {
        use serde_json::Value;
        let v: Value = serde_json::from_str(text).map_err(|e| vec![format!("$: invalid JSON at line {}, column {}: {e}", e.line(), e.column())])?;
        let mut errors = Vec::new();
        let Some(top) = v.as_object() else {
            return Err(vec!["$: expected an object with \"topics\" and \"members\"".into()]);
        };
        for key in top.keys() {
            if key != "topics" && key != "members" {
                errors.push(format!("$.{key}: unknown field; expected \"topics\" or \"members\""));
            }
        }
        let mut topics = BTreeMap::new();
        match top.get("topics") {
            None => errors.push("$.topics: missing required field".into()),
            Some(Value::Object(map)) => {
                for (t, n) in map {
                    match n.as_u64() {
                        Some(n) if (1..=1_000_000).contains(&n) => {
                            topics.insert(t.clone(), n as u32);
                        }
                        _ => errors.push(format!("$.topics[\"{t}\"]: expected a partition count from 1 to 1000000, got {n}")),
                    }
                }
            }
            Some(other) => errors.push(format!("$.topics: expected an object of topic name to partition count, got {other}")),
        }
        let mut members: Vec<MemberSubscription> = Vec::new();
        match top.get("members") {
            None => errors.push("$.members: missing required field".into()),
            Some(Value::Array(items)) => {
                for (i, item) in items.iter().enumerate() {
                    let at = format!("$.members[{i}]");
                    if let Some(m) = member(item, &at, &topics, &mut errors) {
                        if members.iter().any(|x| x.member_id == m.member_id) {
                            errors.push(format!("{at}.member_id: duplicate member id \"{}\"", m.member_id));
                        } else if let Some(id) = m.group_instance_id.as_ref().filter(|id| members.iter().any(|x| x.group_instance_id.as_ref() == Some(id))) {
                            errors.push(format!("{at}.group_instance_id: duplicate group.instance.id \"{id}\""));
                        } else {
                            members.push(m);
                        }
                    }
                }
            }
            Some(other) => errors.push(format!("$.members: expected an array, got {other}")),
        }
        if errors.is_empty() {
            Ok(AssignInput { topics, members })
        } else {
            Err(errors)
        }
    }
}

fn member(v: &serde_json::Value, at: &str, topics: &BTreeMap<String, u32>, errors: &mut Vec<String>) -> Option<MemberSubscription> {
    use serde_json::Value;
    let Some(o) = v.as_object() else {
        errors.push(format!("{at}: expected an object, got {v}"));
        return None;
    };
    let before = errors.len();
    for key in o.keys() {
        if !["member_id", "group_instance_id", "subscription", "owned", "generation"].contains(&key.as_str()) {
            errors.push(format!("{at}.{key}: unknown field; expected member_id, group_instance_id, subscription, owned or generation"));
        }
    }
    let member_id = match o.get("member_id") {
        Some(Value::String(s)) if !s.is_empty() => s.clone(),
        Some(other) => {
            errors.push(format!("{at}.member_id: expected a non-empty string, got {other}"));
            String::new()
        }
        None => {
            errors.push(format!("{at}.member_id: missing required field"));
            String::new()
        }
    };
    let group_instance_id = match o.get("group_instance_id") {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) if !s.is_empty() => Some(s.clone()),
        Some(other) => {
            errors.push(format!("{at}.group_instance_id: expected null or a non-empty string, got {other}"));
            None
        }
    };
    let mut subscription = Vec::new();
    match o.get("subscription") {
        Some(Value::Array(items)) => {
            for (j, t) in items.iter().enumerate() {
                match t.as_str() {
                    Some(t) if topics.contains_key(t) => {
                        if !subscription.iter().any(|x: &String| x == t) {
                            subscription.push(t.to_string());
                        }
                    }
                    Some(t) => errors.push(format!("{at}.subscription[{j}]: topic \"{t}\" is not in \"topics\"")),
                    None => errors.push(format!("{at}.subscription[{j}]: expected a topic name, got {t}")),
                }
            }
        }
        Some(other) => errors.push(format!("{at}.subscription: expected an array of topic names, got {other}")),
        None => errors.push(format!("{at}.subscription: missing required field")),
    }
    let mut owned = Vec::new();
    match o.get("owned") {
        None | Some(Value::Null) => {}
        Some(Value::Array(items)) => {
            for (j, p) in items.iter().enumerate() {
                let path = format!("{at}.owned[{j}]");
                let Some(s) = p.as_str() else {
                    errors.push(format!("{path}: expected \"topic-partition\", got {p}"));
                    continue;
                };
                match s.rsplit_once('-').map(|(t, n)| (t, n.parse::<u32>())) {
                    Some((t, Ok(n))) if !t.is_empty() => match topics.get(t) {
                        Some(&count) if n < count => owned.push(TopicPartition::new(t, n)),
                        Some(&count) => errors.push(format!("{path}: topic \"{t}\" has {count} partitions, so there is no partition {n}")),
                        None => errors.push(format!("{path}: topic \"{t}\" is not in \"topics\"")),
                    },
                    _ => errors.push(format!("{path}: expected \"topic-partition\" such as \"orders-3\", got \"{s}\"")),
                }
            }
        }
        Some(other) => errors.push(format!("{at}.owned: expected an array of \"topic-partition\" strings, got {other}")),
    }
    let generation = match o.get("generation") {
        None | Some(Value::Null) => None,
        Some(g) => match g.as_i64() {
            Some(g) if (-1..=i64::from(i32::MAX)).contains(&g) => Some(g as i32),
            _ => {
                errors.push(format!("{at}.generation: expected an integer from -1 to 2147483647 or null, got {g}"));
                None
            }
        },
    };
    (errors.len() == before).then_some(MemberSubscription { member_id, group_instance_id, subscription, owned, generation })
}
