//! Kafka's keyed partitioner, bit for bit: `murmur2` as in `org.apache.kafka.common.utils.Utils`,
//! `toPositive` (a mask, not `abs`), and `BuiltInPartitioner.partitionForKey`. A keyed record lands on
//! the same partition here as on a real cluster with the same partition count, so a trainer can
//! check the simulator against `kafka-console-producer`. Null keys do not come here (sticky partitioner).
//! `round_robin_partition` is Kafka's `RoundRobinPartitioner` (`partitioner.class`), which ignores keys.

/// Kafka's `Utils.murmur2`: 32-bit MurmurHash2 with Kafka's seed, all arithmetic wrapping. Java's
/// `>>>` is a logical shift, which is why the mixing works on `u32` and only the result is signed.
pub fn murmur2(data: &[u8]) -> i32 {
    const SEED: u32 = 0x9747_b28c;
    const M: u32 = 0x5bd1_e995;
    const R: u32 = 24;

    let length = data.len();
    // Java computes `seed ^ length` on ints; the truncation to 32 bits is the same as Java's.
    let mut h: u32 = SEED ^ (length as u32);

    let mut words = data.chunks_exact(4);
    for word in &mut words {
        let mut k = u32::from_le_bytes([word[0], word[1], word[2], word[3]]);
        k = k.wrapping_mul(M);
        k ^= k >> R;
        k = k.wrapping_mul(M);
        h = h.wrapping_mul(M);
        h ^= k;
    }

    // The tail falls through like Java's `switch` without `break`: 3 bytes xor all three in.
    // Java sign-extends each byte before masking with 0xff, so the masked value is the plain u8.
    let tail = words.remainder();
    if tail.len() == 3 {
        h ^= u32::from(tail[2]) << 16;
    }
    if tail.len() >= 2 {
        h ^= u32::from(tail[1]) << 8;
    }
    if !tail.is_empty() {
        h ^= u32::from(tail[0]);
        h = h.wrapping_mul(M);
    }

    h ^= h >> 13;
    h = h.wrapping_mul(M);
    h ^= h >> 15;
    h as i32
}

/// Kafka's `Utils.toPositive`: clears the sign bit. Not `abs`, which would map `i32::MIN` to itself
/// and send different keys to different partitions than Kafka does.
pub fn to_positive(x: i32) -> i32 {
    x & 0x7fff_ffff
}

/// The partition Kafka's producer picks for a non-null key: `toPositive(murmur2(key)) % numPartitions`,
/// counting every partition of the topic (available or not). `num_partitions` of 0 has no partition;
/// we answer 0 rather than divide by zero, and the scenario reader never lets 0 through.
pub fn partition_for_key(key: &[u8], num_partitions: u32) -> u32 {
    if num_partitions == 0 {
        return 0;
    }
    // to_positive's result is in 0..=i32::MAX, so the cast to u32 is exact.
    (to_positive(murmur2(key)) as u32) % num_partitions
}

/// Kafka's `RoundRobinPartitioner.partition`: `toPositive(counter) % available.size()` picks among the
/// partitions that have a leader, in partition order; when none has, among all `num_partitions`.
/// `counter` is the value `getAndIncrement` returned (the caller keeps it, one per producer and
/// topic, and wraps it like Java's `int`). The key plays no part.
pub fn round_robin_partition(counter: i32, num_partitions: u32, has_leader: impl Fn(u32) -> bool) -> u32 {
    if num_partitions == 0 {
        return 0;
    }
    let next = to_positive(counter) as u32;
    let available = (0..num_partitions).filter(|&p| has_leader(p)).count() as u32;
    if available == 0 {
        return next % num_partitions;
    }
    let nth = next % available;
    (0..num_partitions).filter(|&p| has_leader(p)).nth(nth as usize).unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    // The six vectors of Kafka's UtilsTest.testMurmur2.
    #[test]
    fn murmur2_matches_kafka_utils_test() {
        let cases: &[(&[u8], i32)] = &[
            (b"21", -973_932_308),
            (b"foobar", -790_332_482),
            (b"a-little-bit-long-string", -985_981_536),
            (b"a-little-bit-longer-string", -1_486_304_829),
            (
                b"lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8",
                -58_897_971,
            ),
            // Kafka's test passes the bytes {'a', 'b', 'c'}.
            (b"abc", 479_470_107),
        ];
        for (key, expected) in cases {
            assert_eq!(
                murmur2(key),
                *expected,
                "murmur2({:?})",
                String::from_utf8_lossy(key)
            );
        }
    }

    #[test]
    fn to_positive_masks_the_sign_bit() {
        assert_eq!(to_positive(-973_932_308), 1_173_551_340);
        assert_eq!(to_positive(i32::MIN), 0);
        assert_eq!(to_positive(-1), i32::MAX);
        assert_eq!(to_positive(42), 42);
    }

    #[test]
    fn partition_for_key_uses_the_positive_hash_modulo_partitions() {
        // 1173551340 % 3 = 0; "foobar": (-790332482 & 0x7fffffff) = 1357151166, % 6 = 0.
        assert_eq!(partition_for_key(b"21", 3), 0);
        assert_eq!(partition_for_key(b"foobar", 6), 1_357_151_166 % 6);
        assert_eq!(partition_for_key(b"abc", 7), 479_470_107 % 7);
        assert_eq!(partition_for_key(b"anything", 1), 0);
        assert_eq!(partition_for_key(b"anything", 0), 0);
    }

    #[test]
    fn round_robin_deals_consecutive_records_to_consecutive_partitions() {
        let all_up = |_| true;
        let dealt: Vec<u32> = (0..7).map(|c| round_robin_partition(c, 3, all_up)).collect();
        assert_eq!(dealt, vec![0, 1, 2, 0, 1, 2, 0]);
        // Partition 1 has no leader: the counter goes round the available ones, 0 and 2.
        let dealt: Vec<u32> = (0..5).map(|c| round_robin_partition(c, 3, |p| p != 1)).collect();
        assert_eq!(dealt, vec![0, 2, 0, 2, 0]);
        // None available: Kafka still picks one, among all partitions.
        assert_eq!(round_robin_partition(4, 3, |_| false), 1);
        // Java's counter wraps to negative; toPositive masks the sign bit.
        assert_eq!(round_robin_partition(i32::MAX.wrapping_add(1), 3, all_up), 0);
        assert_eq!(round_robin_partition(5, 0, all_up), 0);
    }
}
