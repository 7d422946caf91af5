//! Temporary CLI entry (replaced by the full CLI): runs the benchmark.
pub fn main() -> i32 {
    if std::env::args().nth(1).as_deref() == Some("bench") {
        print!("{}", crate::bench::run());
    }
    0
}
