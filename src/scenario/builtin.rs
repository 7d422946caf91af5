//! The built-in scenarios, compiled in from `static/scenarios/` so the app, the CLI and the tests use
//! the very same files. Each is a lesson with a `description` for the trainer; `bench` is the load the
//! engine benchmark runs. The order here is the order the app and `streamlab list` show them.

/// The built-in scenarios' file stems, in the order the app and `streamlab list` show them. The
/// app's own wasm carries only these names and fetches the files from `scenarios/` next to the page
/// (Trunk copies `static/scenarios/` there), which keeps their text out of its size budget.
pub const BUILTIN_NAMES: [&str; 15] = [
    "quickstart",
    "acks1-loss",
    "acks-all-survives",
    "unclean-election",
    "isr-shrink",
    "reordering",
    "idempotent",
    "rebalance-eager",
    "rebalance-cooperative",
    "static-membership",
    "replay",
    "poison-pill",
    "slow-handler",
    "mm1",
    "bench",
];

/// (file stem, JSON text) of every built-in scenario, in `BUILTIN_NAMES` order (the CLI, the tests
/// and the comparison worker read them compiled in).
#[cfg(feature = "all-designs")]
pub const BUILTIN: &[(&str, &str)] = &[
    (
        "quickstart",
        include_str!("../../static/scenarios/quickstart.json"),
    ),
    (
        "acks1-loss",
        include_str!("../../static/scenarios/acks1-loss.json"),
    ),
    (
        "acks-all-survives",
        include_str!("../../static/scenarios/acks-all-survives.json"),
    ),
    (
        "unclean-election",
        include_str!("../../static/scenarios/unclean-election.json"),
    ),
    (
        "isr-shrink",
        include_str!("../../static/scenarios/isr-shrink.json"),
    ),
    (
        "reordering",
        include_str!("../../static/scenarios/reordering.json"),
    ),
    (
        "idempotent",
        include_str!("../../static/scenarios/idempotent.json"),
    ),
    (
        "rebalance-eager",
        include_str!("../../static/scenarios/rebalance-eager.json"),
    ),
    (
        "rebalance-cooperative",
        include_str!("../../static/scenarios/rebalance-cooperative.json"),
    ),
    (
        "static-membership",
        include_str!("../../static/scenarios/static-membership.json"),
    ),
    (
        "replay",
        include_str!("../../static/scenarios/replay.json"),
    ),
    (
        "poison-pill",
        include_str!("../../static/scenarios/poison-pill.json"),
    ),
    (
        "slow-handler",
        include_str!("../../static/scenarios/slow-handler.json"),
    ),
    ("mm1", include_str!("../../static/scenarios/mm1.json")),
    ("bench", include_str!("../../static/scenarios/bench.json")),
];

/// The JSON text of the built-in scenario with this file stem, if there is one.
#[cfg(feature = "all-designs")]
pub fn builtin(name: &str) -> Option<&'static str> {
    BUILTIN
        .iter()
        .find(|(stem, _)| *stem == name)
        .map(|(_, text)| *text)
}

/// (file stem, JSON text) of every ready-made comparison in `static/comparisons/`: the comparison
/// view offers them, and `streamlab compare` takes their names.
#[cfg(feature = "all-designs")]
pub const COMPARISONS: &[(&str, &str)] = &[
    ("log-vs-queue", include_str!("../../static/comparisons/log-vs-queue.json")),
    ("log-vs-queue-vs-share", include_str!("../../static/comparisons/log-vs-queue-vs-share.json")),
    ("late-subscriber", include_str!("../../static/comparisons/late-subscriber.json")),
    ("mmc", include_str!("../../static/comparisons/mmc.json")),
    ("rest-vs-events", include_str!("../../static/comparisons/rest-vs-events.json")),
    ("batch-vs-stream", include_str!("../../static/comparisons/batch-vs-stream.json")),
    ("acks1-vs-acks-all", include_str!("../../static/comparisons/acks1-vs-acks-all.json")),
    ("eager-vs-cooperative-vs-static", include_str!("../../static/comparisons/eager-vs-cooperative-vs-static.json")),
    ("idempotence-on-vs-off", include_str!("../../static/comparisons/idempotence-on-vs-off.json")),
    ("keyed-vs-round-robin", include_str!("../../static/comparisons/keyed-vs-round-robin.json")),
];

/// The JSON text of the ready-made comparison with this file stem, if there is one.
#[cfg(feature = "all-designs")]
pub fn builtin_comparison(name: &str) -> Option<&'static str> {
    COMPARISONS.iter().find(|(stem, _)| *stem == name).map(|(_, text)| *text)
}
