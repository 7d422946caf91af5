//! A partition replica's log: record batches in offset order, split into segments, with the log start
//! offset, the log end offset (LEO), truncation by leader epoch, retention and compaction. A batch is
//! written once by the leader and shared (`Rc<Batch>`) between the leader, its followers and
//! consumers' buffers, the way Kafka moves batches without re-encoding them: a replica holds one
//! pointer per batch. Like Kafka's record batch, the header carries the producer and a base
//! timestamp and each record only deltas, so a record costs 16 bytes however many replicas hold it.

use std::collections::VecDeque;
use std::rc::Rc;

use super::kernel::SimTime;

/// `key` value meaning a null key.
pub const NULL_KEY: u32 = u32::MAX;
/// `flags` bit: the value is null (a tombstone).
pub const FLAG_TOMBSTONE: u32 = 1;

/// One record as stored in a batch: its id and timestamp as deltas from the batch's `first_id` and
/// `base_ts_us` (a producer splits a batch before a delta would overflow), and its key.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Rec {
    pub id_delta: u32,
    pub ts_delta_us: u32,
    /// Key index within the producer's key space, or `NULL_KEY`.
    pub key: u32,
    pub flags: u32,
}

pub const PRODUCER_SHIFT: u32 = 40;

/// One record with its batch header applied: who sent it (the id encodes producer and sequence),
/// when, with which key.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Record {
    /// `producer << 40 | record sequence number within that producer`.
    pub id: u64,
    /// The producer's send time (the record timestamp, CreateTime), µs.
    pub ts_us: SimTime,
    pub key: u32,
    pub flags: u32,
}

impl Record {
    pub fn producer(&self) -> u32 {
        (self.id >> PRODUCER_SHIFT) as u32
    }
    pub fn seq(&self) -> u64 {
        self.id & ((1u64 << PRODUCER_SHIFT) - 1)
    }
}

/// The records of a batch: a lone record is held inline (no allocation of its own: with
/// `linger.ms=0` most batches hold one record), more are shared between the producer's retry queue
/// and the log.
#[derive(Clone, Debug)]
pub enum Recs {
    One(Rec),
    Many(Rc<[Rec]>),
}

impl std::ops::Deref for Recs {
    type Target = [Rec];
    #[inline]
    fn deref(&self) -> &[Rec] {
        match self {
            Recs::One(r) => std::slice::from_ref(r),
            Recs::Many(v) => v,
        }
    }
}

impl From<&[Rec]> for Recs {
    fn from(v: &[Rec]) -> Recs {
        match v {
            [r] => Recs::One(*r),
            _ => Recs::Many(Rc::from(v)),
        }
    }
}

impl Recs {
    /// The separate allocation holding the records, if any (for memory accounting).
    pub fn shared(&self) -> Option<&Rc<[Rec]>> {
        match self {
            Recs::One(_) => None,
            Recs::Many(v) => Some(v),
        }
    }
}

/// Records of one producer, as its accumulator builds them: the base id and timestamp the deltas in
/// `recs` count from.
#[derive(Clone, Debug)]
pub struct RecBlock {
    pub first_id: u64,
    pub base_ts_us: SimTime,
    pub recs: Recs,
}

impl RecBlock {
    #[inline]
    pub fn record(&self, i: usize) -> Record {
        let r = self.recs[i];
        Record { id: self.first_id + r.id_delta as u64, ts_us: self.base_ts_us + r.ts_delta_us as u64, key: r.key, flags: r.flags }
    }
    pub fn records(&self) -> impl Iterator<Item = Record> + '_ {
        (0..self.recs.len()).map(|i| self.record(i))
    }
    /// The delta record for (`id`, `ts_us`), or None when a delta would not fit in 32 bits.
    pub fn delta(first_id: u64, base_ts_us: SimTime, id: u64, ts_us: SimTime, key: u32, flags: u32) -> Option<Rec> {
        let id_delta = u32::try_from(id.checked_sub(first_id)?).ok()?;
        let ts_delta_us = u32::try_from(ts_us.checked_sub(base_ts_us)?).ok()?;
        Some(Rec { id_delta, ts_delta_us, key, flags })
    }
}

/// What compaction left of a batch: the surviving records' offsets, and the batch's last offset,
/// which stays the one it was written with (as Kafka keeps it).
#[derive(Clone, Debug)]
pub struct Compacted {
    pub offsets: Vec<u64>,
    pub last_offset: u64,
}

/// A record batch as appended by a leader: one epoch, one producer, consecutive offsets from
/// `base_offset` (unless compaction removed some, in which case `compacted` lists the survivors'
/// offsets). A replica's log holds one allocation per batch, so the batch is kept small: 72 bytes,
/// its last offset computed from its length, the rare compaction data behind one pointer.
#[derive(Clone, Debug)]
pub struct Batch {
    pub base_offset: u64,
    pub leader_epoch: u32,
    /// Producer index and base sequence for idempotence (`u32::MAX` when not idempotent).
    pub producer: u32,
    pub base_seq: u32,
    pub bytes: u32,
    pub block: RecBlock,
    pub compacted: Option<Rc<Compacted>>,
}

impl Batch {
    /// The offset of the batch's last record as written (compaction does not change it).
    #[inline]
    pub fn last_offset(&self) -> u64 {
        match &self.compacted {
            None => self.base_offset + self.len() as u64 - 1,
            Some(c) => c.last_offset,
        }
    }
    pub fn len(&self) -> usize {
        self.block.recs.len()
    }
    pub fn is_empty(&self) -> bool {
        self.block.recs.is_empty()
    }
    /// The i-th record held.
    #[inline]
    pub fn record(&self, i: usize) -> Record {
        self.block.record(i)
    }
    pub fn records(&self) -> impl Iterator<Item = Record> + '_ {
        self.block.records()
    }
    /// Keep only the records in `range` (by index). The last offset stays what it was: a batch
    /// without compaction data keeps a suffix (a follower's overlap) or a prefix up to its new end
    /// (truncation, which then sets it with `set_last_offset`).
    pub fn keep(&mut self, range: std::ops::Range<usize>) {
        self.block.recs = Recs::from(&self.block.recs[range.clone()]);
        if let Some(c) = &self.compacted {
            self.compacted = Some(Rc::new(Compacted { offsets: c.offsets[range].to_vec(), last_offset: c.last_offset }));
        }
    }
    /// After truncation kept a prefix: the batch now ends at `last` (for a batch without
    /// compaction data that is its last record's offset already).
    pub fn set_last_offset(&mut self, last: u64) {
        if let Some(c) = &self.compacted {
            self.compacted = Some(Rc::new(Compacted { offsets: c.offsets.clone(), last_offset: last }));
        }
    }
    /// Offset of the i-th record held.
    #[inline]
    pub fn offset_at(&self, i: usize) -> u64 {
        match &self.compacted {
            None => self.base_offset + i as u64,
            Some(c) => c.offsets[i],
        }
    }
    /// Index of the first record with offset >= `offset`.
    pub fn index_from(&self, offset: u64) -> usize {
        match &self.compacted {
            None => offset.saturating_sub(self.base_offset).min(self.len() as u64) as usize,
            Some(c) => c.offsets.partition_point(|&x| x < offset),
        }
    }
    pub fn max_ts(&self) -> SimTime {
        self.block.recs.iter().map(|r| r.ts_delta_us).max().map(|d| self.block.base_ts_us + d as u64).unwrap_or(0)
    }
}

#[derive(Clone, Debug)]
pub struct Segment {
    pub base_offset: u64,
    pub bytes: u64,
    pub first_append_us: SimTime,
    pub max_ts_us: SimTime,
}

/// One replica's log.
#[derive(Clone, Debug, Default)]
pub struct Log {
    pub batches: VecDeque<Rc<Batch>>,
    pub segments: VecDeque<Segment>,
    pub log_start_offset: u64,
    pub log_end_offset: u64,
    /// Offset below which compaction has cleaned (the cleaner checkpoint).
    pub cleaned_upto: u64,
    /// Records held (after compaction, fewer than LEO - log start).
    pub records: u64,
    pub bytes: u64,
}

impl Log {
    /// Append a batch whose `base_offset` equals the log end offset; rolls a segment when needed.
    pub fn append(&mut self, batch: Rc<Batch>, now: SimTime, segment_bytes: u64, segment_us: SimTime) {
        debug_assert_eq!(batch.base_offset, self.log_end_offset);
        let roll = match self.segments.back() {
            None => true,
            Some(s) => s.bytes + batch.bytes as u64 > segment_bytes || now.saturating_sub(s.first_append_us) >= segment_us,
        };
        if roll {
            self.segments.push_back(Segment { base_offset: batch.base_offset, bytes: 0, first_append_us: now, max_ts_us: 0 });
        }
        let seg = self.segments.back_mut().expect("segment just ensured");
        seg.bytes += batch.bytes as u64;
        seg.max_ts_us = seg.max_ts_us.max(batch.max_ts());
        self.log_end_offset = batch.last_offset() + 1;
        self.records += batch.len() as u64;
        self.bytes += batch.bytes as u64;
        self.batches.push_back(batch);
    }

    /// Index of the first batch whose last offset is >= `offset`.
    /// Kafka's ListOffsets by timestamp: the first offset at or after `from` whose record timestamp
    /// is at least `ts`, below `upto`; None when there is none. Batches whose largest timestamp is
    /// earlier are skipped whole, as Kafka's time index does.
    pub fn offset_for_time(&self, ts: SimTime, from: u64, upto: u64) -> Option<u64> {
        for b in &self.batches {
            if b.last_offset() < from || b.max_ts() < ts {
                continue;
            }
            for i in 0..b.len() {
                let off = b.offset_at(i);
                if off >= upto {
                    return None;
                }
                if off >= from && b.record(i).ts_us >= ts {
                    return Some(off);
                }
            }
        }
        None
    }

    pub fn batch_index(&self, offset: u64) -> usize {
        // Fetches mostly read near the tail (a consumer some records behind): search backwards from
        // the end in doubling steps, so only the last few batches are touched, then bisect the last
        // step. Bisecting the whole log touched a cold batch at every step: in an M/M/1 run, with a
        // batch per record and the consumer tens of records behind, that was 6% of the time.
        let n = self.batches.len();
        if n == 0 || self.batches[n - 1].last_offset() < offset {
            return n;
        }
        // The answer is at most `hi`: batches[hi] ends at or after `offset`.
        let mut hi = n - 1;
        let mut step = 1;
        let mut lo = loop {
            if hi < step {
                break 0;
            }
            let probe = hi - step;
            if self.batches[probe].last_offset() < offset {
                break probe + 1;
            }
            hi = probe;
            step *= 2;
        };
        while lo < hi {
            let mid = lo + (hi - lo) / 2;
            if self.batches[mid].last_offset() < offset {
                lo = mid + 1;
            } else {
                hi = mid;
            }
        }
        lo
    }

    /// Batches holding offsets in [from, upto), at most `max_records` records (whole batches; the
    /// first one always, even if larger). The caller clips to [from, upto) when reading records.
    pub fn read(&self, from: u64, upto: u64, max_records: usize, out: &mut Vec<Rc<Batch>>) {
        let mut i = self.batch_index(from);
        let mut n = 0usize;
        while i < self.batches.len() {
            let b = &self.batches[i];
            if b.base_offset >= upto {
                break;
            }
            n += b.len();
            out.push(b.clone());
            if n >= max_records {
                break;
            }
            i += 1;
        }
    }

    /// The leader epoch of the last batch, 0 when empty.
    pub fn last_epoch(&self) -> u32 {
        self.batches.back().map(|b| b.leader_epoch).unwrap_or(0)
    }

    /// KIP-101: the end offset of `epoch` in this log: the first offset written in a later epoch, or
    /// the log end offset if no later epoch wrote anything.
    pub fn end_offset_for_epoch(&self, epoch: u32) -> u64 {
        let i = self.batches.partition_point(|b| b.leader_epoch <= epoch);
        if i < self.batches.len() {
            self.batches[i].base_offset
        } else {
            self.log_end_offset
        }
    }

    /// Remove every record at or above `offset`.
    pub fn truncate_to(&mut self, offset: u64) {
        if offset >= self.log_end_offset {
            return;
        }
        while let Some(b) = self.batches.back() {
            if b.base_offset >= offset {
                let b = self.batches.pop_back().expect("non-empty");
                self.records -= b.len() as u64;
                self.bytes -= b.bytes as u64;
            } else {
                break;
            }
        }
        if let Some(b) = self.batches.back_mut() {
            if b.last_offset() >= offset {
                let b = Rc::make_mut(b);
                // The divergence point falls inside a batch: keep its prefix.
                let keep = b.index_from(offset);
                let per = b.bytes as u64 / b.len().max(1) as u64;
                let removed = (b.len() - keep) as u64;
                self.records -= removed;
                self.bytes -= per * removed;
                b.bytes -= (per * removed) as u32;
                b.keep(0..keep);
                b.set_last_offset(offset - 1);
            }
        }
        self.log_end_offset = offset.max(self.log_start_offset);
        while let Some(s) = self.segments.back() {
            if s.base_offset >= self.log_end_offset {
                self.segments.pop_back();
            } else {
                break;
            }
        }
        if let Some(s) = self.segments.back_mut() {
            let base = s.base_offset;
            s.bytes = self.batches.iter().rev().take_while(|b| b.base_offset >= base).map(|b| b.bytes as u64).sum();
        }
        self.cleaned_upto = self.cleaned_upto.min(self.log_end_offset);
    }

    /// Delete whole segments from the oldest while `expired(segment)` holds, never the active segment
    /// and never at or above `limit` (the high watermark). Returns the deleted batches.
    pub fn delete_segments(&mut self, limit: u64, mut expired: impl FnMut(&Segment, u64) -> bool) -> Vec<Rc<Batch>> {
        let mut removed = Vec::new();
        while self.segments.len() > 1 {
            let next_base = self.segments[1].base_offset;
            if next_base > limit || !expired(&self.segments[0], self.bytes) {
                break;
            }
            let seg = self.segments.pop_front().expect("len > 1");
            while let Some(b) = self.batches.front() {
                if b.last_offset() < next_base {
                    let b = self.batches.pop_front().expect("non-empty");
                    self.records -= b.len() as u64;
                    self.bytes -= b.bytes as u64;
                    removed.push(b);
                } else {
                    break;
                }
            }
            let _ = seg;
            self.log_start_offset = next_base;
        }
        removed
    }

    /// Move the log start offset (a follower following its leader's log start).
    pub fn advance_start(&mut self, offset: u64) {
        if offset <= self.log_start_offset {
            return;
        }
        let offset = offset.min(self.log_end_offset);
        while let Some(b) = self.batches.front() {
            if b.last_offset() < offset {
                let b = self.batches.pop_front().expect("non-empty");
                self.records -= b.len() as u64;
                self.bytes -= b.bytes as u64;
            } else {
                break;
            }
        }
        while self.segments.len() > 1 && self.segments[1].base_offset <= offset {
            self.segments.pop_front();
        }
        self.log_start_offset = offset;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn batch(base: u64, n: u64, epoch: u32) -> Rc<Batch> {
        let recs: Vec<Rec> = (0..n as u32).map(|i| Rec { id_delta: i, ts_delta_us: i, key: 0, flags: 0 }).collect();
        let block = RecBlock { first_id: base, base_ts_us: base, recs: Recs::from(recs.as_slice()) };
        Rc::new(Batch { base_offset: base, leader_epoch: epoch, producer: u32::MAX, base_seq: 0, bytes: (n * 100) as u32, block, compacted: None })
    }

    #[test]
    fn append_read_truncate() {
        let mut log = Log::default();
        log.append(batch(0, 3, 0), 0, 1 << 30, u64::MAX);
        log.append(batch(3, 3, 0), 0, 1 << 30, u64::MAX);
        log.append(batch(6, 2, 1), 0, 1 << 30, u64::MAX);
        assert_eq!(log.log_end_offset, 8);
        assert_eq!(log.end_offset_for_epoch(0), 6);
        assert_eq!(log.end_offset_for_epoch(1), 8);
        let mut out = Vec::new();
        log.read(4, 8, 100, &mut out);
        assert_eq!(out.len(), 2);
        log.truncate_to(4);
        assert_eq!(log.log_end_offset, 4);
        assert_eq!(log.records, 4);
        assert_eq!(log.batches.back().unwrap().last_offset(), 3);
        assert_eq!(log.last_epoch(), 0);
    }

    /// The search from the tail finds what a plain bisection of the whole log finds, for every
    /// offset, in logs of every length up to a few hundred batches.
    #[test]
    fn batch_index_agrees_with_bisection() {
        let mut log = Log::default();
        for k in 0..300u64 {
            let n = 1 + k % 3;
            log.append(batch(log.log_end_offset, n, 0), 0, 1 << 30, u64::MAX);
            for offset in 0..=log.log_end_offset + 1 {
                let want = log.batches.partition_point(|b| b.last_offset() < offset);
                assert_eq!(log.batch_index(offset), want, "{} batches, offset {offset}", log.batches.len());
            }
        }
    }

    #[test]
    fn segments_roll_and_retention_deletes_whole_segments_below_limit() {
        let mut log = Log::default();
        for i in 0..10 {
            log.append(batch(i * 2, 2, 0), i * 10, 400, u64::MAX);
        }
        assert_eq!(log.segments.len(), 5);
        let removed = log.delete_segments(5, |_, _| true);
        assert_eq!(removed.len(), 2);
        assert_eq!(log.log_start_offset, 4);
    }

    /// A replica's log holds one allocation per batch: 72 bytes, with `Rc`'s counts 88, which
    /// malloc serves from a 96-byte chunk.
    #[test]
    fn batch_is_72_bytes() {
        assert!(std::mem::size_of::<Batch>() <= 72, "{}", std::mem::size_of::<Batch>());
    }

    #[test]
    fn record_is_16_bytes_and_deltas_round_trip() {
        assert_eq!(std::mem::size_of::<Rec>(), 16);
        let b = batch(7, 3, 0);
        assert_eq!(b.record(2), Record { id: 9, ts_us: 9, key: 0, flags: 0 });
        assert_eq!(b.max_ts(), 9);
        assert!(RecBlock::delta(5, 0, 5 + (1 << 32), 0, 0, 0).is_none());
        assert!(RecBlock::delta(5, 10, 6, 10 + (1 << 32), 0, 0).is_none());
        assert_eq!(RecBlock::delta(5, 10, 6, 12, 1, 0), Some(Rec { id_delta: 1, ts_delta_us: 2, key: 1, flags: 0 }));
    }
}
