//! Placeholder (replaced by the Yew app).
pub fn start() {}
