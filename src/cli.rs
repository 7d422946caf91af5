//! Placeholder CLI (replaced).
pub fn main() -> i32 { 0 }
