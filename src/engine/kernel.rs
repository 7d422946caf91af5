//! The kernel: integer virtual time, the event queue ordered by (time, sequence number), the trace
//! hash folded over every processed event, and the few random draws the engine needs. Ties in time
//! resolve first-in first-out, so a run is reproducible; transcendental maths goes through `libm` so
//! x86_64 and wasm32 produce the same bits.

use rand::{Rng, RngCore, SeedableRng};
use std::cmp::Reverse;
use std::collections::{BinaryHeap, VecDeque};

/// Simulated time in microseconds since the start of the run.
pub type SimTime = u64;

pub const US_PER_MS: u64 = 1_000;

/// Milliseconds (possibly fractional, from a scenario file) to whole microseconds.
pub fn ms_to_us(ms: f64) -> SimTime {
    if ms <= 0.0 || ms.is_nan() {
        0
    } else {
        libm::round(ms * 1000.0) as SimTime
    }
}

/// An event in a lane, with its time and sequence number.
#[derive(Clone)]
struct Entry<E> {
    time: SimTime,
    seq: u64,
    event: E,
}

/// Most events are scheduled a fixed delay after the current time (no delay at all for a message on a
/// zero-latency link, the network latency, a fetch's maximum wait, a heartbeat interval), so they
/// arrive in time order. Such events go to a FIFO lane keyed by their delay instead of the heap; a
/// lane only ever takes an event no earlier than its last one, so every lane stays sorted by (time,
/// sequence) and popping the least head over the heap and the lanes gives exactly the heap's order,
/// at a fraction of its cost.
///
/// Lane 0 takes the events due now (zero delay: the hops of a zero-latency network), the most
/// frequent kind; the queue keeps the least key of the other lanes and the far heap (`rest`), so
/// finding the next event is two comparisons with lane 0's head and the near heap's top. The other
/// lanes go to delays that repeat (seen among the last few that went to the heap) or, once the heap
/// is big, to any delay; random delays (Poisson arrivals, processing times) in a small heap do not
/// churn the lanes. Timers far ahead that get no lane wait in a second heap, so the heap of near
/// events stays shallow. Each lane's head key is cached in a small array, so finding the least
/// reads one cache line instead of every lane's front entry.
const LANES: usize = 8;
/// How many recent heap delays a new delay is compared with to decide that it repeats.
const RECENT: usize = 4;
/// A heap this small is cheaper than scanning one more lane: non-repeating delays go to it.
const SMALL_HEAP: usize = 16;
/// Delays from this one (100 ms) on go to the far heap when they get no lane.
const FAR: SimTime = 100_000;

/// The (time, sequence) key of an empty lane: later than everything.
const NO_HEAD: u128 = u128::MAX;

/// Bits of a key below the sequence number: in the heaps, the event's place in the slab.
const SLOT_BITS: u32 = 24;
const SLOT_MASK: u128 = (1 << SLOT_BITS) - 1;

/// An event's key: its time, then its sequence number, then (in the heaps) its place in the slab,
/// so keys order exactly as (time, sequence) do. Bounds: 2^40 events pushed in a run and 2^24
/// events waiting in the heaps at once (a run that held that many would need gigabytes first).
#[inline]
fn key(time: SimTime, seq: u64) -> u128 {
    ((time as u128) << 64) | ((seq as u128) << SLOT_BITS)
}

/// Where the heaps' events wait: the heaps move 16-byte keys while they sift, and an event is
/// moved once in and once out.
#[derive(Clone)]
struct Slab<E> {
    items: Vec<Option<E>>,
    free: Vec<u32>,
}

impl<E> Slab<E> {
    #[inline]
    fn put(&mut self, event: E) -> u128 {
        match self.free.pop() {
            Some(i) => {
                self.items[i as usize] = Some(event);
                i as u128
            }
            None => {
                let i = self.items.len() as u128;
                assert!(i <= SLOT_MASK, "more than 2^24 events waiting in the event queue");
                self.items.push(Some(event));
                i
            }
        }
    }
    #[inline]
    fn take(&mut self, key: u128) -> E {
        let i = (key & SLOT_MASK) as u32;
        self.free.push(i);
        self.items[i as usize].take().expect("a queued key has its event")
    }
}

/// Pending events, popped in (time, insertion sequence) order.
#[derive(Clone)]
pub struct EventQueue<E> {
    /// Keys of the events that got no lane (min-heap); the events wait in `slab`.
    heap: BinaryHeap<Reverse<u128>>,
    /// Events at least `FAR` ahead that got no lane (timers: heartbeats, ticks, timeouts), apart
    /// from the heap so that the heap, where the random delays go, stays shallow.
    far: BinaryHeap<Reverse<u128>>,
    slab: Slab<E>,
    /// Each lane's head key (`key(time, seq)`), `NO_HEAD` when the lane is empty.
    heads: [u128; LANES],
    /// The delay each lane takes (lane 0: always zero).
    delays: [SimTime; LANES],
    lanes: Vec<VecDeque<Entry<E>>>,
    /// Bit i set when lane i is not empty.
    busy: u32,
    /// The least key over lanes 1.. and the far heap, and where it is (`LANES + 1` for the far
    /// heap). The near heap is not in it: its top is read when needed, so popping from it (most
    /// events of random delays) recomputes nothing.
    rest: u128,
    rest_at: usize,
    /// Delays of the latest events that went to the heap (a ring).
    recent: [SimTime; RECENT],
    recent_next: usize,
    seq: u64,
    /// Time of the last event popped: delays (and so lanes) are measured from it.
    now: SimTime,
    len: usize,
}

impl<E> Default for EventQueue<E> {
    fn default() -> Self {
        let mut lanes = Vec::with_capacity(LANES);
        lanes.push(VecDeque::with_capacity(64));
        EventQueue {
            heap: BinaryHeap::with_capacity(1024),
            far: BinaryHeap::with_capacity(64),
            slab: Slab { items: Vec::with_capacity(1024), free: Vec::with_capacity(1024) },
            heads: [NO_HEAD; LANES],
            delays: [0; LANES],
            lanes,
            busy: 0,
            rest: NO_HEAD,
            rest_at: LANES + 1,
            recent: [SimTime::MAX; RECENT],
            recent_next: 0,
            seq: 0,
            now: 0,
            len: 0,
        }
    }
}

impl<E> EventQueue<E> {
    pub fn push(&mut self, time: SimTime, event: E) {
        self.seq += 1;
        self.len += 1;
        let seq = self.seq;
        let entry = Entry { time, seq, event };
        if time == self.now {
            // Due now: later than everything queued at this time, so lane 0 stays sorted.
            if self.busy & 1 == 0 {
                self.heads[0] = key(time, seq);
                self.busy |= 1;
            }
            self.lanes[0].push_back(entry);
            return;
        }
        let delay = time.saturating_sub(self.now);
        let n = self.lanes.len();
        let lane = match self.delays[1..n].iter().position(|&d| d == delay) {
            Some(i) if self.lanes[i + 1].back().is_some_and(|b| b.time > time) => LANES,
            Some(i) => i + 1,
            None => {
                // A new delay gets a lane only if it repeats or the heap is big; otherwise it would
                // take a lane from a delay that does.
                let free = !self.busy & ((1u32 << n) - 2);
                if self.heap.len() < SMALL_HEAP && !self.recent.contains(&delay) {
                    self.recent[self.recent_next] = delay;
                    self.recent_next = (self.recent_next + 1) % RECENT;
                    LANES
                } else if free != 0 {
                    free.trailing_zeros() as usize
                } else if n < LANES {
                    self.lanes.push(VecDeque::with_capacity(64));
                    n
                } else {
                    LANES
                }
            }
        };
        let mut k = key(time, seq);
        let lane = if lane == LANES && delay >= FAR { LANES + 1 } else { lane };
        if lane >= LANES {
            k |= self.slab.put(entry.event);
            if lane == LANES {
                self.heap.push(Reverse(k));
            } else {
                self.far.push(Reverse(k));
            }
        } else {
            self.delays[lane] = delay;
            if self.busy & (1 << lane) == 0 {
                self.heads[lane] = k;
                self.busy |= 1 << lane;
            }
            self.lanes[lane].push_back(entry);
        }
        // The new entry is the least of its lane or the far heap, or not less than `rest`.
        if lane > 0 && lane != LANES && k < self.rest {
            self.rest = k;
            self.rest_at = lane;
        }
    }

    /// Recompute `rest` over lanes 1.. and the far heap.
    #[inline]
    fn find_rest(&mut self) {
        let mut best = self.far.peek().map_or(NO_HEAD, |e| e.0);
        let mut at = LANES + 1;
        let mut busy = self.busy & !1;
        while busy != 0 {
            let i = busy.trailing_zeros() as usize;
            busy &= busy - 1;
            let k = self.heads[i];
            if k < best {
                best = k;
                at = i;
            }
        }
        self.rest = best;
        self.rest_at = at;
    }

    /// The least key and the lane holding it (`LANES` and up for the heaps).
    #[inline]
    fn head(&self) -> Option<(u128, usize)> {
        let near = self.heap.peek().map_or(NO_HEAD, |e| e.0);
        let (k, at) = if self.heads[0] < self.rest { (self.heads[0], 0) } else { (self.rest, self.rest_at) };
        let (k, at) = if near < k { (near, LANES) } else { (k, at) };
        (k != NO_HEAD).then_some((k, at))
    }

    pub fn peek_time(&self) -> Option<SimTime> {
        self.head().map(|(k, _)| (k >> 64) as SimTime)
    }

    pub fn pop(&mut self) -> Option<(SimTime, E)> {
        self.pop_due(SimTime::MAX)
    }

    /// Pop the next event if its time is no later than `limit`.
    #[inline]
    pub fn pop_due(&mut self, limit: SimTime) -> Option<(SimTime, E)> {
        let (k, at) = self.head()?;
        if (k >> 64) as SimTime > limit {
            return None;
        }
        let e = if at >= LANES {
            if at == LANES {
                self.heap.pop();
            } else {
                self.far.pop();
                self.find_rest();
            }
            let event = self.slab.take(k);
            Entry { time: (k >> 64) as SimTime, seq: 0, event }
        } else {
            let lane = &mut self.lanes[at];
            let e = lane.pop_front().expect("head exists");
            match lane.front() {
                Some(f) => self.heads[at] = key(f.time, f.seq),
                None => {
                    self.heads[at] = NO_HEAD;
                    self.busy &= !(1 << at);
                }
            }
            if at != 0 {
                self.find_rest();
            }
            e
        };
        self.len -= 1;
        self.now = e.time;
        Some((e.time, e.event))
    }
    pub fn len(&self) -> usize {
        self.len
    }
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }
}

/// An event as the trace hash sees it: besides its time, one word naming its kind and subject.
pub trait Traced {
    fn trace_word(&self) -> u64;
}

/// The bookkeeping every simulator does for each event, in one place: pop the next event due no
/// later than `limit`, move the clock to it, count it, and fold its time and trace word into the
/// hash. The caller dispatches it.
#[inline]
pub fn take_due<E: Traced>(queue: &mut EventQueue<E>, limit: SimTime, now: &mut SimTime, events: &mut u64, hash: &mut TraceHash) -> Option<E> {
    let (time, ev) = queue.pop_due(limit)?;
    *now = time;
    *events += 1;
    hash.fold(time);
    hash.fold(ev.trace_word());
    Some(ev)
}

/// What every simulator (`Sim`, `QueueSim`, `ServiceSim`, `FraudSim`) offers of its clock and its
/// run loop, written once: each has `queue: EventQueue<E>` (with `E: Traced`), `now`, `end`,
/// `events`, `hash`, `scenario` and a `dispatch(E)`, and invokes this inside its `impl`.
macro_rules! run_loop {
    () => {
        pub fn now_us(&self) -> $crate::engine::kernel::SimTime {
            self.now
        }
        pub fn end_us(&self) -> $crate::engine::kernel::SimTime {
            self.end
        }
        /// Events processed so far.
        pub fn events(&self) -> u64 {
            self.events
        }
        /// The hash folded over every event processed so far: equal hashes, identical runs.
        pub fn trace_hash(&self) -> u64 {
            self.hash.0
        }
        pub fn scenario(&self) -> &$crate::scenario::Scenario {
            &self.scenario
        }
        /// Process the next event if it is due no later than the end of the run; false when
        /// nothing is left to do.
        pub fn step(&mut self) -> bool {
            match $crate::engine::kernel::take_due(&mut self.queue, self.end, &mut self.now, &mut self.events, &mut self.hash) {
                Some(ev) => {
                    self.dispatch(ev);
                    true
                }
                None => false,
            }
        }
        /// Process every event with time <= `t_us` (capped at the end of the run), then move the
        /// clock to `t_us`.
        pub fn run_until(&mut self, t_us: $crate::engine::kernel::SimTime) {
            self.run_until_at_most(t_us, u64::MAX);
        }
        /// `run_until(t_us)` in slices of at most `max_events` events: true once it got there,
        /// false when it stopped after `max_events` (call again to go on). The same run either way.
        pub fn run_until_at_most(&mut self, t_us: $crate::engine::kernel::SimTime, max_events: u64) -> bool {
            let t = t_us.min(self.end);
            for _ in 0..max_events {
                match $crate::engine::kernel::take_due(&mut self.queue, t, &mut self.now, &mut self.events, &mut self.hash) {
                    Some(ev) => self.dispatch(ev),
                    None => {
                        self.now = self.now.max(t);
                        return true;
                    }
                }
            }
            false
        }
        /// Run to the end of the scenario.
        pub fn run(&mut self) {
            self.run_until(self.end);
        }
    };
}
pub(crate) use run_loop;

/// A 64-bit running hash of the run: every processed event folds its time, kind and subject in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TraceHash(pub u64);

impl Default for TraceHash {
    fn default() -> Self {
        TraceHash(0xcbf2_9ce4_8422_2325)
    }
}

impl TraceHash {
    #[inline]
    pub fn fold(&mut self, x: u64) {
        // FNV-style multiply with an extra xor-shift so every input bit reaches every output bit.
        let mut h = (self.0 ^ x).wrapping_mul(0x0000_0100_0000_01b3);
        h ^= h >> 29;
        self.0 = h;
    }
}

/// The portable, seedable generator every component uses. `StdRng`/`SmallRng` are not portable.
pub use super::rng::SimRng;

pub fn rng_from_seed(seed: u64) -> SimRng {
    SimRng::seed_from_u64(seed)
}

/// A sub-generator for one component, drawn from a parent so components do not disturb each other.
pub fn sub_rng(parent: &mut SimRng) -> SimRng {
    SimRng::seed_from_u64(parent.next_u64())
}

/// Uniform in [0, 1) with 53 random bits.
#[inline]
pub fn unit(rng: &mut SimRng) -> f64 {
    super::rng::unit_of(rng.next_u64())
}

/// An exponential draw with the given mean, in whole microseconds (rounded at once).
#[inline]
pub fn exp_us(rng: &mut SimRng, mean_us: f64) -> SimTime {
    rng.exp_us(mean_us)
}

/// `libm::round(x) as SimTime`, bit for bit, for every `x` (NaN, negative and huge values
/// included), without `round`'s own bit manipulation: `x - trunc(x)` is exact for a double, and half
/// way rounds away from zero as `round` does. Two draws per record of an M/M/1 run go through it.
/// Without a branch: whether a random draw rounds up is a coin toss no predictor can guess.
#[inline]
pub(crate) fn round_us(x: f64) -> SimTime {
    let whole = x as SimTime;
    whole.saturating_add((x - whole as f64 >= 0.5) as SimTime)
}

/// Uniform integer in [0, n).
#[inline]
pub fn below(rng: &mut SimRng, n: u32) -> u32 {
    if n <= 1 {
        0
    } else {
        rng.random_range(0..n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Pins the generator: a dependency bump that changes these silently changes every saved run.
    #[test]
    fn chacha8_seed_42_is_pinned() {
        let mut r = rng_from_seed(42);
        let got: Vec<u64> = (0..3).map(|_| r.next_u64()).collect();
        assert_eq!(got, PINNED_SEED_42.to_vec());
    }

    const PINNED_SEED_42: [u64; 3] = [12578764544318200737, 17529487244874322312, 7886285670807131020];

    #[test]
    fn queue_orders_by_time_then_insertion() {
        let mut q = EventQueue::default();
        q.push(5, "b");
        q.push(3, "a");
        q.push(5, "c");
        q.push(3, "a2");
        let order: Vec<_> = std::iter::from_fn(|| q.pop()).map(|(_, e)| e).collect();
        assert_eq!(order, vec!["a", "a2", "b", "c"]);
    }

    /// Lanes and heap together must pop exactly what a plain (time, sequence) sort gives.
    #[test]
    fn lanes_keep_time_then_insertion_order() {
        let mut q = EventQueue::default();
        let mut r = rng_from_seed(3);
        let mut want = Vec::new();
        let mut got = Vec::new();
        let mut now = 0;
        let mut seq = 0u64;
        for step in 0..20_000u64 {
            for _ in 0..below(&mut r, 3) {
                let delay = match below(&mut r, 4) {
                    0 => 1_000,
                    1 => 0,
                    2 => 500_000,
                    _ => exp_us(&mut r, 700.0),
                };
                seq += 1;
                q.push(now + delay, seq);
                want.push((now + delay, seq));
            }
            if step % 2 == 0 {
                if let Some((t, e)) = q.pop() {
                    now = t;
                    got.push((t, e));
                }
            }
        }
        while let Some(x) = q.pop() {
            got.push(x);
        }
        want.sort();
        assert_eq!(got, want);
    }

    /// `round_us` is `libm::round` followed by the cast, for halves, edges and special values.
    #[test]
    fn round_us_is_libm_round() {
        let mut r = rng_from_seed(11);
        let mut xs = vec![0.0, -0.0, 0.5, 1.5, 2.5, 0.49999999999999994, 4503599627370495.5, 4503599627370497.0, -0.5, -2.5, -1e300, 1e300, 1.8446744073709552e19, f64::from_bits(0x43ef_ffff_ffff_ffff), f64::INFINITY, f64::NEG_INFINITY, f64::NAN, f64::MIN_POSITIVE, f64::EPSILON];
        xs.extend((0..100_000).map(|i| unit(&mut r) * 10f64.powi(i % 20) - if i % 7 == 0 { 5.0 } else { 0.0 }));
        for x in xs {
            assert_eq!(round_us(x), libm::round(x) as SimTime, "{x:e}");
        }
    }

    #[test]
    fn exponential_mean_is_right() {
        let mut r = rng_from_seed(1);
        let n = 200_000;
        let sum: u64 = (0..n).map(|_| exp_us(&mut r, 1000.0)).sum();
        let mean = sum as f64 / n as f64;
        assert!((mean - 1000.0).abs() < 10.0, "mean {mean}");
    }
}
