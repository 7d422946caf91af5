//! The event log: notable events in full sentences ("Broker 2 crashed.", "orders-0: leader 1 → 0,
//! epoch 4."), each with its simulated time and a kind the UI can filter on. Bounded: the oldest
//! lines go first.

use std::collections::VecDeque;

use super::kernel::SimTime;

const MAX_LINES: usize = 20_000;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LogLine {
    pub t_us: SimTime,
    pub kind: &'static str,
    pub text: String,
}

#[derive(Clone, Default)]
pub struct EventLog {
    pub lines: VecDeque<LogLine>,
    pub dropped: u64,
}

impl EventLog {
    pub fn push(&mut self, t_us: SimTime, kind: &'static str, text: String) {
        if self.lines.len() >= MAX_LINES {
            self.lines.pop_front();
            self.dropped += 1;
        }
        self.lines.push_back(LogLine { t_us, kind, text });
    }
}
