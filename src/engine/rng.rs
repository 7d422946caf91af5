//! The engine's random number generator: ChaCha8, drawing exactly what `rand_chacha::ChaCha8Rng`
//! draws from the same seed, with its buffer of words kept here so that exponential draws can have
//! their logarithm computed ahead.
//!
//! Why: an exponential draw is `-mean * ln(1 - u)`, and `libm::log` is a chain of some 20
//! dependent floating-point operations. The draw decides an event's time, which the event queue
//! compares at once; a comparison of random times is a coin toss for the branch predictor, and a
//! wrong guess waits for the whole chain. In an M/M/1 run (two draws per record) a sixth of the
//! profiler's samples fell in the draw. Computed a few at a time before they are needed, the
//! logarithms of a stream of exponential draws overlap each other and are ready when the queue
//! needs them: `streamlab run mm1` went from 98 to 91 ms.
//!
//! The words drawn, and so every value, are those of `ChaCha8Rng`: `next_u32`, `next_u64` and
//! `fill_bytes` follow `rand_core`'s `BlockRng` word for word (a test checks it against
//! `ChaCha8Rng` on mixed sequences of calls), and `exp_us` returns
//! `round_us(-mean * libm::log(1.0 - unit))` of the `next_u64` it consumes, whether computed ahead
//! or not.

use rand_chacha::rand_core::block::BlockRngCore;
use rand_chacha::rand_core::{RngCore, SeedableRng};
use rand_chacha::ChaCha8Core;

use super::kernel::{round_us, SimTime};

type Words = <ChaCha8Core as BlockRngCore>::Results;
/// Words in the buffer (four ChaCha blocks of 16).
const WORDS: usize = 64;
/// Pairs of words (u64 draws at even positions) in the buffer.
const PAIRS: usize = WORDS / 2;
/// The most logarithms computed ahead at once.
const MAX_RUN: usize = 16;

/// Uniform in [0, 1) with 53 random bits, from one 64-bit draw.
#[inline]
pub fn unit_of(x: u64) -> f64 {
    (x >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
}

/// `ln(1 - u)` for the uniform `u` of one 64-bit draw: at most 0, finite (`u < 1`).
#[inline]
fn ln_1m(x: u64) -> f64 {
    libm::log(1.0 - unit_of(x))
}

#[derive(Clone)]
pub struct SimRng {
    core: ChaCha8Core,
    words: Words,
    /// Next word to use; `WORDS` when the buffer is used up.
    index: usize,
    /// `ln_1m` of the pairs `ahead_from..ahead_to` of the current buffer (pair k is words 2k and
    /// 2k + 1, the u64 `next_u64` returns at index 2k).
    logs: [f64; PAIRS],
    /// The exponential draws of those pairs for the mean whose bits are `mean_bits`.
    draws: [SimTime; PAIRS],
    mean_bits: u64,
    ahead_from: usize,
    ahead_to: usize,
    /// Of the pairs computed ahead last time, how many were used.
    used: usize,
    /// How many pairs to compute next time: doubles while every one computed gets used, back to 1
    /// when some were not (a stream mixing kinds of draws then wastes almost nothing).
    run: usize,
    /// Whether every pair computed ahead in the previous buffer was used.
    carried: bool,
}

impl std::fmt::Debug for SimRng {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SimRng").field("index", &self.index).finish_non_exhaustive()
    }
}

impl SimRng {
    #[inline]
    fn refill(&mut self) {
        self.carried = self.used == self.ahead_to - self.ahead_from;
        self.core.generate(&mut self.words);
        self.index = 0;
        self.used = 0;
        self.ahead_from = 0;
        self.ahead_to = 0;
    }

    #[inline]
    fn pair(&self, k: usize) -> u64 {
        let w = self.words.as_ref();
        (u64::from(w[2 * k + 1]) << 32) | u64::from(w[2 * k])
    }

    /// An exponential draw with mean `mean_us`, rounded to whole microseconds:
    /// `round_us(-mean_us * libm::log(1.0 - u))` where `u` is the uniform in [0, 1) of the next
    /// 64-bit draw, bit for bit whether computed ahead or now.
    #[inline]
    pub fn exp_us(&mut self, mean_us: f64) -> SimTime {
        let i = self.index;
        if i % 2 == 1 || i >= WORDS {
            // A draw that straddles two buffers, or at an odd word: computed now.
            return round_us(-mean_us * ln_1m(self.next_u64()));
        }
        let k = i / 2;
        if k < self.ahead_from || k >= self.ahead_to {
            self.compute_ahead(k, mean_us);
        } else if mean_us.to_bits() != self.mean_bits {
            self.rescale(mean_us);
        }
        self.used += 1;
        self.index = i + 2;
        self.draws[k]
    }

    #[cold]
    fn compute_ahead(&mut self, k: usize, mean_us: f64) {
        // `ahead_to` is 0 in a fresh buffer, before anything was computed ahead in it.
        let all_used = if self.ahead_to == 0 { self.carried } else { self.used == self.ahead_to - self.ahead_from };
        self.run = if all_used { (self.run * 2).min(MAX_RUN) } else { 1 };
        let end = (k + self.run).min(PAIRS);
        for j in k..end {
            self.logs[j] = ln_1m(self.pair(j));
        }
        self.ahead_from = k;
        self.ahead_to = end;
        self.used = 0;
        self.rescale(mean_us);
    }

    /// The draws computed ahead, for another mean (a producer's rate or a consumer's speed changed).
    #[cold]
    fn rescale(&mut self, mean_us: f64) {
        self.mean_bits = mean_us.to_bits();
        for j in self.ahead_from..self.ahead_to {
            self.draws[j] = round_us(-mean_us * self.logs[j]);
        }
    }
}

impl SeedableRng for SimRng {
    type Seed = <ChaCha8Core as SeedableRng>::Seed;

    fn from_seed(seed: Self::Seed) -> Self {
        SimRng {
            core: ChaCha8Core::from_seed(seed),
            words: Words::default(),
            index: WORDS,
            logs: [0.0; PAIRS],
            draws: [0; PAIRS],
            mean_bits: 0,
            ahead_from: 0,
            ahead_to: 0,
            used: 0,
            run: 1,
            carried: false,
        }
    }
}

impl RngCore for SimRng {
    #[inline]
    fn next_u32(&mut self) -> u32 {
        if self.index >= WORDS {
            self.refill();
        }
        let v = self.words.as_ref()[self.index];
        self.index += 1;
        v
    }

    #[inline]
    fn next_u64(&mut self) -> u64 {
        let i = self.index;
        if i < WORDS - 1 {
            self.index = i + 2;
            let w = self.words.as_ref();
            (u64::from(w[i + 1]) << 32) | u64::from(w[i])
        } else if i >= WORDS {
            self.refill();
            self.index = 2;
            self.pair(0)
        } else {
            // One word left: it is the low half, the new buffer's first word the high half.
            let lo = u64::from(self.words.as_ref()[WORDS - 1]);
            self.refill();
            self.index = 1;
            (u64::from(self.words.as_ref()[0]) << 32) | lo
        }
    }

    fn fill_bytes(&mut self, dest: &mut [u8]) {
        // Whole words, little-endian, the unused bytes of the last one dropped (as `BlockRng`).
        for chunk in dest.chunks_mut(4) {
            let w = self.next_u32().to_le_bytes();
            chunk.copy_from_slice(&w[..chunk.len()]);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::Rng;
    use rand_chacha::ChaCha8Rng;

    /// Every kind of call, in random mixes and in long runs of one kind, gives what `ChaCha8Rng`
    /// gives from the same seed.
    #[test]
    fn draws_what_chacha8rng_draws() {
        let mut script = ChaCha8Rng::seed_from_u64(99);
        for seed in 0..200u64 {
            let mut ours = SimRng::seed_from_u64(seed);
            let mut theirs = ChaCha8Rng::seed_from_u64(seed);
            for _ in 0..400 {
                let kind = script.random_range(0..6u32);
                let times = if script.random_range(0..4u32) == 0 { script.random_range(1..80u32) } else { 1 };
                for _ in 0..times {
                    match kind {
                        0 => assert_eq!(ours.next_u32(), theirs.next_u32()),
                        1 => assert_eq!(ours.next_u64(), theirs.next_u64()),
                        2 | 3 => {
                            // Means change now and then (a producer's rate, a consumer slowed down).
                            // A huge one keeps every bit of the logarithm in the rounded draw.
                            let mean = [1800.0, 2_222.222_222_222_222, 0.5, 1e15][(kind as usize + seed as usize / 50) % 4];
                            assert_eq!(ours.exp_us(mean), round_us(-mean * ln_1m(theirs.next_u64())));
                        }
                        4 => assert_eq!(ours.random_range(0..1000u32), theirs.random_range(0..1000u32)),
                        _ => {
                            let n = script.random_range(0..13usize);
                            let (mut a, mut b) = (vec![0u8; n], vec![0u8; n]);
                            ours.fill_bytes(&mut a);
                            theirs.fill_bytes(&mut b);
                            assert_eq!(a, b);
                        }
                    }
                }
            }
            assert_eq!(ours.next_u64(), theirs.next_u64(), "seed {seed}");
        }
    }

    /// A stream of exponential draws only is served from logarithms computed ahead, in runs that
    /// grow to `MAX_RUN`.
    #[test]
    fn a_stream_of_exponential_draws_is_computed_ahead() {
        let mut r = SimRng::seed_from_u64(5);
        for _ in 0..1000 {
            r.exp_us(1800.0);
        }
        assert_eq!(r.run, MAX_RUN);
    }
}
