//! The kernel: integer virtual time, the event queue ordered by (time, sequence number), the trace
//! hash folded over every processed event, and the few random draws the engine needs. Ties in time
//! resolve first-in first-out, so a run is reproducible; transcendental maths goes through `libm` so
//! x86_64 and wasm32 produce the same bits.

use rand::{Rng, RngCore, SeedableRng};
use rand_chacha::ChaCha8Rng;
use std::cmp::Ordering;
use std::collections::BinaryHeap;

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

struct Entry<E> {
    time: SimTime,
    seq: u64,
    event: E,
}

impl<E> PartialEq for Entry<E> {
    fn eq(&self, other: &Self) -> bool {
        self.time == other.time && self.seq == other.seq
    }
}
impl<E> Eq for Entry<E> {}
impl<E> PartialOrd for Entry<E> {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
impl<E> Ord for Entry<E> {
    // Reversed: BinaryHeap is a max-heap and we want the earliest (time, seq) on top.
    fn cmp(&self, other: &Self) -> Ordering {
        other.time.cmp(&self.time).then_with(|| other.seq.cmp(&self.seq))
    }
}

/// Pending events, popped in (time, insertion sequence) order.
pub struct EventQueue<E> {
    heap: BinaryHeap<Entry<E>>,
    seq: u64,
}

impl<E> Default for EventQueue<E> {
    fn default() -> Self {
        EventQueue { heap: BinaryHeap::with_capacity(1024), seq: 0 }
    }
}

impl<E> EventQueue<E> {
    pub fn push(&mut self, time: SimTime, event: E) {
        self.seq += 1;
        self.heap.push(Entry { time, seq: self.seq, event });
    }
    pub fn peek_time(&self) -> Option<SimTime> {
        self.heap.peek().map(|e| e.time)
    }
    pub fn pop(&mut self) -> Option<(SimTime, E)> {
        self.heap.pop().map(|e| (e.time, e.event))
    }
    pub fn len(&self) -> usize {
        self.heap.len()
    }
    pub fn is_empty(&self) -> bool {
        self.heap.is_empty()
    }
}

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
pub type SimRng = ChaCha8Rng;

pub fn rng_from_seed(seed: u64) -> SimRng {
    ChaCha8Rng::seed_from_u64(seed)
}

/// A sub-generator for one component, drawn from a parent so components do not disturb each other.
pub fn sub_rng(parent: &mut SimRng) -> SimRng {
    ChaCha8Rng::seed_from_u64(parent.next_u64())
}

/// Uniform in [0, 1) with 53 random bits.
#[inline]
pub fn unit(rng: &mut SimRng) -> f64 {
    (rng.next_u64() >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
}

/// An exponential draw with the given mean, in whole microseconds (rounded at once).
#[inline]
pub fn exp_us(rng: &mut SimRng, mean_us: f64) -> SimTime {
    let u = unit(rng);
    let x = -mean_us * libm::log(1.0 - u);
    libm::round(x) as SimTime
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

    #[test]
    fn exponential_mean_is_right() {
        let mut r = rng_from_seed(1);
        let n = 200_000;
        let sum: u64 = (0..n).map(|_| exp_us(&mut r, 1000.0)).sum();
        let mean = sum as f64 / n as f64;
        assert!((mean - 1000.0).abs() < 10.0, "mean {mean}");
    }
}
