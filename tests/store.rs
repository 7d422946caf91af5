//! The app's store, driven natively exactly as the page drives it: `Store::new` with what storage
//! held, the built-in texts arriving in `BUILTIN_NAMES` order, then the user's actions and the frame
//! hook's ticks. Each test compares what the store shows against the engine run on its own.

use std::collections::BTreeMap;
use std::rc::Rc;

use streamlab::engine::Sim;
use streamlab::scenario::builtin::BUILTIN_NAMES;
use streamlab::scenario::workspace::{Workspace, WORKSPACE_VERSION};
use streamlab::scenario::{parse_scenario, parse_session, Action as SimAction, BrokerRef};
use streamlab::store::{Action, Speed, Store, MAX_EVENTS_PER_FRAME, MAX_FRAME_WALL_MS, SEEK_EVENTS_PER_FRAME, STEP_US};

/// What the app fetches: `static/scenarios/<stem>.json` for every built-in, in `BUILTIN_NAMES` order.
fn texts() -> Vec<String> {
    BUILTIN_NAMES
        .iter()
        .map(|stem| {
            let path = format!("{}/static/scenarios/{stem}.json", env!("CARGO_MANIFEST_DIR"));
            std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
        })
        .collect()
}

fn text(stem: &str) -> String {
    texts().swap_remove(index(stem))
}

fn index(stem: &str) -> usize {
    BUILTIN_NAMES.iter().position(|s| *s == stem).expect("a built-in stem")
}

/// The store as the page starts it with nothing saved, once the texts have arrived.
fn loaded() -> Rc<Store> {
    Rc::new(Store::new(Ok(None))).update(Action::BuiltinsLoaded(texts()))
}

/// Apply the actions in turn, as the page's dispatcher would.
fn run(store: Rc<Store>, actions: impl IntoIterator<Item = Action>) -> Rc<Store> {
    actions.into_iter().fold(store, Store::update)
}

/// The frame hook's ticks until the seek in progress lands, each running at most
/// `SEEK_EVENTS_PER_FRAME` events; with how many frames it took.
fn settled(mut store: Rc<Store>) -> (Rc<Store>, u32) {
    let mut frames = 0;
    while store.seeking().is_some() {
        let before = store.summary.events;
        store = store.update(Action::Frame { wall_ms: 16.0 * f64::from(frames) });
        assert!(store.summary.events - before <= SEEK_EVENTS_PER_FRAME, "frame {frames} ran {} events", store.summary.events - before);
        frames += 1;
        assert!(frames < 10_000, "the seek to {:?} never lands", store.seeking());
    }
    (store, frames)
}

/// The engine alone: built-in `stem` with `seed`, fresh at t = 0.
fn fresh(stem: &str, seed: u64) -> Sim {
    let mut scenario = parse_scenario(&text(stem)).expect("the built-in parses");
    scenario.seed = seed;
    Sim::new(&scenario)
}

fn now(store: &Store) -> u64 {
    store.summary.now_us
}

fn crash_broker_1() -> SimAction {
    SimAction::CrashBroker { broker: BrokerRef::Id(1) }
}

/// `text` with one JSON field changed (a path of object keys and array indexes).
fn with(text: &str, path: &[&str], value: serde_json::Value) -> String {
    let mut v: serde_json::Value = serde_json::from_str(text).expect("json");
    let mut at = &mut v;
    for key in path {
        at = match key.parse::<usize>() {
            Ok(i) => &mut at[i],
            Err(_) => &mut at[*key],
        };
    }
    *at = value;
    serde_json::to_string_pretty(&v).expect("json")
}

#[test]
fn the_first_scenario_loads_paused_at_zero_once_the_texts_arrive() {
    let start = Rc::new(Store::new(Ok(None)));
    assert!(start.loading(), "waiting for the texts");
    assert!(!start.has_sim() && start.scenario().is_none());
    assert_eq!(start.selected, Some(0));
    assert!(start.storage_problem.is_none());

    let store = start.update(Action::BuiltinsLoaded(texts()));
    assert!(!store.loading());
    assert_eq!(store.stem(), Some(BUILTIN_NAMES[0]));
    assert_eq!(store.scenario().map(|s| s.name.as_str()), Some("quickstart"));
    assert!(store.has_sim() && !store.playing && !store.finished());
    let reference = fresh("quickstart", 1);
    assert_eq!(store.summary, reference.summary(), "paused at t = 0, nothing run");
    assert_eq!((now(&store), store.summary.events), (0, 0));
    assert_eq!(store.seed, 1, "the scenario's own seed");
    assert_eq!(*store.source, text("quickstart"), "the editor holds the built-in text");
    assert!(store.source_errors.is_empty() && store.errors.is_empty());
}

#[test]
fn the_texts_failing_to_arrive_is_said_and_ends_the_wait() {
    let store = Rc::new(Store::new(Ok(None))).update(Action::BuiltinsFailed("scenarios/quickstart.json: 404".into()));
    assert!(!store.loading());
    assert!(!store.has_sim());
    assert_eq!(*store.errors, ["scenarios/quickstart.json: 404"]);
}

#[test]
fn playing_advances_speed_times_the_wall_time_between_frames() {
    let store = run(loaded(), [Action::Play]);
    assert!(store.playing);
    // The first frame only notes the wall time.
    let store = store.update(Action::Frame { wall_ms: 5_000.0 });
    assert_eq!(now(&store), 0);
    let store = store.update(Action::Frame { wall_ms: 5_016.0 });
    assert_eq!(now(&store), 16_000, "1×: 16 ms of wall time is 16 ms simulated");
    let store = run(store, [Action::SetSpeed(Speed::X10), Action::Frame { wall_ms: 5_040.0 }]);
    assert_eq!(now(&store), 16_000 + 240_000, "10×: 24 ms of wall time is 240 ms simulated");
    // A tab back from the background: the gap counts as MAX_FRAME_WALL_MS, not 10 s.
    let store = store.update(Action::Frame { wall_ms: 15_040.0 });
    assert_eq!(now(&store), 256_000 + (MAX_FRAME_WALL_MS as u64) * 10_000);
    // A clock that went backwards advances nothing.
    let before = store.summary.clone();
    let store = store.update(Action::Frame { wall_ms: 15_000.0 });
    assert_eq!(store.summary, before);
    // The same moment as the engine run there on its own.
    let mut reference = fresh("quickstart", 1);
    reference.run_until(now(&store));
    assert_eq!(store.summary, reference.summary());

    // Paused, frames do nothing (the same store comes back).
    let paused = store.update(Action::Pause);
    assert!(!paused.playing);
    let after = paused.clone().update(Action::Frame { wall_ms: 15_100.0 });
    assert!(Rc::ptr_eq(&paused, &after));
    // Playing again starts from a fresh wall time: no jump for the paused interval.
    let store = run(paused, [Action::Play, Action::Frame { wall_ms: 60_000.0 }]);
    assert_eq!(now(&store), 1_256_000);
}

#[test]
fn one_frame_does_at_most_its_event_budget() {
    // At max speed a frame runs exactly the budget (quickstart has many more events than that).
    let store = run(loaded(), [Action::SetSpeed(Speed::Max), Action::Play, Action::Frame { wall_ms: 0.0 }]);
    assert_eq!(store.summary.events, MAX_EVENTS_PER_FRAME);
    let store = store.update(Action::Frame { wall_ms: 16.0 });
    assert_eq!(store.summary.events, 2 * MAX_EVENTS_PER_FRAME);
    assert!(!store.finished());

    // At 100× on the heavy `bench` load, 100 ms of wall time would be 10 s simulated: the budget
    // stops the frame well before, after a slice that reached it.
    let store = run(loaded(), [Action::SelectScenario(index("bench")), Action::SetSpeed(Speed::X100), Action::Play]);
    let store = run(store, [Action::Frame { wall_ms: 0.0 }, Action::Frame { wall_ms: 100.0 }]);
    assert!(store.summary.events >= MAX_EVENTS_PER_FRAME, "{}", store.summary.events);
    assert!(now(&store) > 0 && now(&store) < 10_000_000, "stopped at {} µs", now(&store));
    // In slices of a 32nd of the span: it stops at a slice boundary.
    assert_eq!(now(&store) % (10_000_000 / 32), 0, "{}", now(&store));
}

#[test]
fn step_advances_step_us_and_pauses() {
    let store = run(loaded(), [Action::Play, Action::Step]);
    assert!(!store.playing, "Step pauses");
    assert_eq!(now(&store), STEP_US);
    let store = run(store, [Action::Step, Action::Step]);
    assert_eq!(now(&store), 3 * STEP_US);
    let mut reference = fresh("quickstart", 1);
    reference.run_until(3 * STEP_US);
    assert_eq!(store.summary, reference.summary());
}

#[test]
fn stepping_back_and_seeking_give_the_same_run_as_a_fresh_one() {
    // Forwards first.
    let store = run(loaded(), [Action::Seek(4_000_000)]);
    assert_eq!(now(&store), 4_000_000);
    let mut reference = fresh("quickstart", 1);
    reference.run_until(4_000_000);
    assert_eq!(store.summary, reference.summary());
    assert!(store.notice.is_none());

    // Back one step: as if the run had stopped there.
    let store = store.update(Action::StepBack);
    assert_eq!(now(&store), 4_000_000 - STEP_US);
    let mut reference = fresh("quickstart", 1);
    reference.run_until(4_000_000 - STEP_US);
    assert_eq!(store.summary.trace_hash, reference.trace_hash());
    assert_eq!(store.summary, reference.summary());
    assert!(store.notice.is_none(), "no action was undone");

    // Back to 1.5 s from a run with a crash at 2 s: the same as a fresh run to 1.5 s.
    let store = run(loaded(), [Action::Seek(2_000_000), Action::Apply(crash_broker_1()), Action::Seek(6_000_000), Action::Seek(1_500_000)]);
    let mut reference = fresh("quickstart", 1);
    reference.run_until(1_500_000);
    assert_eq!(store.summary, reference.summary());
    assert_eq!(store.view(|s| s.applied_actions().len()), Some(0), "the crash is gone");
    assert_eq!(store.notice.as_deref(), Some("Went back in time: 1 later action was undone."));

    // An action before the rewind point is kept, replayed where it happened.
    let store = run(loaded(), [Action::Seek(2_000_000), Action::Apply(crash_broker_1()), Action::Seek(3_000_000), Action::Apply(SimAction::AddConsumer { group: "billing".into() }), Action::Seek(3_500_000), Action::Apply(SimAction::HealNetwork), Action::Seek(2_500_000)]);
    let mut reference = fresh("quickstart", 1);
    reference.run_until(2_000_000);
    reference.apply(crash_broker_1());
    reference.run_until(2_500_000);
    assert_eq!(store.summary, reference.summary());
    assert_eq!(store.notice.as_deref(), Some("Went back in time: 2 later actions were undone."));
    // Seeking past the end stops at the end.
    let end = store.summary.end_us;
    let store = store.update(Action::Seek(end + 5_000_000));
    assert_eq!(now(&store), end);
    assert!(store.finished());
}

#[test]
fn applying_a_crash_changes_the_run() {
    let plain = run(loaded(), [Action::Seek(1_000_000), Action::Seek(3_000_000)]);
    let crashed = run(loaded(), [Action::Seek(1_000_000), Action::Apply(crash_broker_1())]);
    assert_eq!(now(&crashed), 1_000_000, "applying does not move time");
    assert_eq!(crashed.view(|s| s.applied_actions().len()), Some(1));
    assert!(crashed.view(|s| !s.cluster_view().brokers[1].up).expect("a sim"), "broker 1 is down");
    let crashed = crashed.update(Action::Seek(3_000_000));
    assert_ne!(crashed.summary.trace_hash, plain.summary.trace_hash);
    let mut reference = fresh("quickstart", 1);
    reference.run_until(1_000_000);
    reference.apply(crash_broker_1());
    reference.run_until(3_000_000);
    assert_eq!(crashed.summary, reference.summary());
    // Every apply makes a new store even when no figure moved, so views re-read the engine.
    let again = crashed.clone().update(Action::Apply(crash_broker_1()));
    assert!(*again != *crashed, "the store compares unequal, so the page re-renders");
}

#[test]
fn a_new_seed_or_reset_restarts_the_scenario() {
    let played = run(loaded(), [Action::Seek(2_000_000), Action::Apply(crash_broker_1()), Action::ShowRecord(Some((0, 3))), Action::Play]);
    let reseeded = played.clone().update(Action::SetSeed(99));
    assert_eq!(reseeded.seed, 99);
    assert!(!reseeded.playing && reseeded.record.is_none());
    assert_eq!((now(&reseeded), reseeded.summary.events), (0, 0));
    assert_eq!(reseeded.view(|s| s.applied_actions().len()), Some(0));
    let reseeded = reseeded.update(Action::Seek(2_000_000));
    let mut reference = fresh("quickstart", 99);
    reference.run_until(2_000_000);
    assert_eq!(reseeded.summary, reference.summary());
    let mut original = fresh("quickstart", 1);
    original.run_until(2_000_000);
    assert_ne!(reseeded.summary.trace_hash, original.trace_hash(), "another seed, another run");

    let reset = reseeded.update(Action::Reset);
    assert_eq!(reset.seed, 99, "Reset keeps the seed");
    assert_eq!(reset.summary, fresh("quickstart", 99).summary());
}

#[test]
fn edits_are_kept_per_built_in_and_reverting_drops_them() {
    let store = loaded();
    let original = text("quickstart");
    let edited = with(&original, &["producers", "0", "rate_per_sec"], 400.into());
    let store = store.update(Action::Edit(edited.clone()));
    assert!(store.edited());
    assert_eq!(store.workspace().edits.get("quickstart"), Some(&edited));
    assert_eq!(*store.source, edited);
    assert!(store.source_errors.is_empty());
    // Typing back the original text is no edit.
    let back = store.clone().update(Action::Edit(original.clone()));
    assert!(!back.edited());
    assert!(back.workspace().edits.is_empty());

    // The edit is kept when another scenario is picked, and runs when this one is picked again.
    let store = run(store, [Action::SelectScenario(index("acks1-loss"))]);
    assert!(!store.edited());
    assert_eq!(*store.source, text("acks1-loss"));
    assert_eq!(store.workspace().edits.len(), 1);
    let store = store.update(Action::SelectScenario(0));
    assert!(store.edited());
    assert_eq!(*store.source, edited);
    assert_eq!(store.scenario().map(|s| s.producers[0].rate_per_sec), Some(400.0), "the edited scenario runs");

    // Revert: the built-in text runs again and the edit is gone.
    let store = run(store, [Action::Seek(1_000_000), Action::RevertSource]);
    assert!(!store.edited());
    assert!(store.workspace().edits.is_empty());
    assert_eq!(*store.source, original);
    assert_eq!(store.summary, fresh("quickstart", 1).summary(), "the built-in, from t = 0");
}

#[test]
fn an_invalid_edit_is_explained_and_the_run_goes_on() {
    let store = run(loaded(), [Action::Seek(1_000_000)]);
    let before = store.summary.clone();
    let broken = with(&text("quickstart"), &["topics", "0", "partitions"], 0.into());
    let store = store.update(Action::Edit(broken.clone()));
    assert_eq!(store.source_errors.len(), 1, "{:?}", store.source_errors);
    let error = &store.source_errors[0];
    assert!(error.starts_with("$.topics[0].partitions: "), "{error}");
    assert!(error.len() > "$.topics[0].partitions: ".len(), "with a reason: {error}");
    assert_eq!(store.summary, before, "the run is untouched");
    assert!(store.edited(), "work in progress is kept as typed");
    // Running it is refused with the same errors; the run stays.
    let store = store.update(Action::RunSource);
    assert_eq!(store.source_errors.len(), 1);
    assert_eq!(store.summary, before);
    let store = store.update(Action::Step);
    assert_eq!(now(&store), 1_000_000 + STEP_US);

    // Not even JSON: the reader's error, with its place.
    let store = store.update(Action::Edit("{ \"name\": ".into()));
    assert_eq!(store.source_errors.len(), 1);
    assert!(store.source_errors[0].starts_with('$'), "{:?}", store.source_errors);
}

#[test]
fn running_an_edit_starts_it_from_zero() {
    let edited = with(&text("quickstart"), &["seed"], 5.into());
    let store = run(loaded(), [Action::Seek(1_000_000), Action::Edit(edited.clone()), Action::RunSource]);
    assert_eq!(store.seed, 5, "the edit's own seed");
    assert_eq!(store.summary, fresh("quickstart", 5).summary());
    let store = store.update(Action::Seek(1_000_000));
    let mut reference = fresh("quickstart", 5);
    reference.run_until(1_000_000);
    assert_eq!(store.summary, reference.summary());
}

#[test]
fn another_design_is_refused_by_the_single_run() {
    let store = run(loaded(), [Action::Seek(1_000_000)]);
    let before = store.summary.clone();
    let queue = with(&text("quickstart"), &["design"], "queue".into());
    assert!(parse_scenario(&queue).is_ok(), "a valid scenario of the queue design");
    let store = run(store, [Action::Edit(queue), Action::RunSource]);
    assert_eq!(*store.source_errors, ["$.design: the single run is the log design; open this in Compare or run it with `streamlab run`"]);
    assert_eq!(store.summary, before, "the log run stays");
    assert_eq!(store.scenario().map(|s| s.design), Some(streamlab::scenario::Design::Log));
}

#[test]
fn a_saved_workspace_is_honoured_when_the_texts_arrive() {
    let edited = with(&text("quickstart"), &["producers", "0", "rate_per_sec"], 300.into());
    let saved = Workspace { version: WORKSPACE_VERSION, builtin: Some("acks1-loss".into()), seed: 42, edits: BTreeMap::from([("quickstart".to_string(), edited.clone())]) };
    let start = Rc::new(Store::new(Ok(Some(saved.clone()))));
    assert!(start.loading());
    assert_eq!(start.stem(), Some("acks1-loss"));
    let store = start.update(Action::BuiltinsLoaded(texts()));
    assert_eq!(store.stem(), Some("acks1-loss"));
    assert_eq!(store.seed, 42);
    assert_eq!(store.summary, fresh("acks1-loss", 42).summary());
    assert_eq!(store.workspace(), saved, "saved back as it was read");
    let store = store.update(Action::Seek(1_000_000));
    let mut reference = fresh("acks1-loss", 42);
    reference.run_until(1_000_000);
    assert_eq!(store.summary.trace_hash, reference.trace_hash(), "with the saved seed");
    // The saved edit of another scenario runs when it is picked.
    let store = store.update(Action::SelectScenario(0));
    assert!(store.edited());
    assert_eq!(*store.source, edited);
    assert_eq!(store.scenario().map(|s| s.producers[0].rate_per_sec), Some(300.0));

    // A saved name this build does not have: the first scenario.
    let gone = Workspace { builtin: Some("retired".into()), ..saved };
    let store = Rc::new(Store::new(Ok(Some(gone)))).update(Action::BuiltinsLoaded(texts()));
    assert_eq!(store.stem(), Some(BUILTIN_NAMES[0]));
    assert_eq!(store.seed, 42);
}

#[test]
fn a_storage_problem_is_shown_and_the_app_starts_fresh() {
    let problem = "Your saved work could not be loaded: the saved workspace has version 9, this app reads version 1. The app starts fresh.";
    let store = Rc::new(Store::new(Err(problem.into())));
    assert_eq!(store.storage_problem.as_deref(), Some(problem));
    let store = run(store, [Action::BuiltinsLoaded(texts()), Action::Step]);
    assert_eq!(store.storage_problem.as_deref(), Some(problem), "shown until the next reload");
    assert_eq!(store.stem(), Some(BUILTIN_NAMES[0]));
    assert_eq!(store.seed, 1);
    assert!(store.workspace().edits.is_empty());
}

/// A shared run of quickstart: seed 3, a crash at 2 s, stopped at 4 s.
fn shared_run() -> (Sim, String) {
    let mut scenario = parse_scenario(&text("quickstart")).expect("parses");
    scenario.seed = 3;
    let mut sim = Sim::new(&scenario);
    sim.run_until(2_000_000);
    sim.apply(crash_broker_1());
    sim.run_until(4_000_000);
    let json = sim.session().to_json_pretty();
    (sim, json)
}

fn open(store: Rc<Store>, json: &str) -> Rc<Store> {
    let session = parse_session(json).expect("the session parses");
    store.update(Action::OpenSession(Box::new(session), Rc::new(json.to_string())))
}

#[test]
fn a_shared_session_replays_to_its_trace_hash() {
    let (sim, json) = shared_run();
    let store = open(run(loaded(), [Action::Play]), &json);
    assert_eq!(store.summary, sim.summary());
    assert_eq!(store.summary.trace_hash, sim.trace_hash());
    assert_eq!(store.shared.as_deref(), Some("quickstart"));
    assert_eq!(store.seed, 3);
    assert!(!store.playing);
    assert_eq!(store.notice.as_deref(), Some("Opened a shared run: 1 action replayed, paused where it was shared."));
    assert!(store.link_errors.is_empty());
    assert!(parse_scenario(&store.source).is_ok(), "the editor holds the scenario without the session");
    // It goes on as the original would.
    let store = store.update(Action::Seek(6_000_000));
    let mut original = sim;
    original.run_until(6_000_000);
    assert_eq!(store.summary.trace_hash, original.trace_hash());
}

#[test]
fn a_shared_session_of_another_design_is_refused() {
    let (_, json) = shared_run();
    let mut v: serde_json::Value = serde_json::from_str(&json).expect("json");
    v["design"] = "queue".into();
    v["session"]["actions"] = serde_json::json!([]);
    let queue = v.to_string();
    let store = run(loaded(), [Action::Seek(1_000_000)]);
    let before = store.summary.clone();
    let store = open(store, &queue);
    assert_eq!(*store.link_errors, ["$.design: the single run is the log design; run this with `streamlab run`"]);
    assert_eq!(store.summary, before);
    assert!(store.shared.is_none());
}

#[test]
fn edits_of_a_shared_run_are_not_saved_over_the_users_own() {
    let mine = with(&text("quickstart"), &["producers", "0", "rate_per_sec"], 250.into());
    let store = run(loaded(), [Action::Edit(mine.clone())]);
    let (_, json) = shared_run();
    let store = open(store, &json);
    assert!(!store.edited(), "the editor holds the shared scenario, not the user's edit");
    let theirs = with(&store.source, &["producers", "0", "rate_per_sec"], 900.into());
    let store = store.update(Action::Edit(theirs.clone()));
    assert_eq!(*store.source, theirs);
    assert_eq!(store.workspace().edits, BTreeMap::from([("quickstart".to_string(), mine.clone())]));
    // Reverting has nothing of the user's to drop while a shared run is open.
    let same = store.clone().update(Action::RevertSource);
    assert!(Rc::ptr_eq(&same, &store));
    // Running the shared scenario's edit works, and still saves nothing over the user's edit.
    let store = store.update(Action::RunSource);
    assert_eq!(store.scenario().map(|s| s.producers[0].rate_per_sec), Some(900.0));
    assert_eq!(store.workspace().edits["quickstart"], mine);
    // Picking a built-in leaves the shared run, and the user's edit is there.
    let store = store.update(Action::SelectScenario(0));
    assert!(store.shared.is_none() && store.edited());
    assert_eq!(*store.source, mine);
}

#[test]
fn a_link_opened_before_the_texts_arrive_stays_open() {
    let (sim, json) = shared_run();
    let store = open(Rc::new(Store::new(Ok(None))), &json);
    assert_eq!(store.summary.trace_hash, sim.trace_hash());
    let store = store.update(Action::BuiltinsLoaded(texts()));
    assert!(!store.loading());
    assert_eq!(store.summary, sim.summary(), "the texts do not replace the shared run");
    assert_eq!(store.shared.as_deref(), Some("quickstart"));
}

#[test]
fn a_link_that_failed_is_still_explained_after_the_texts_arrive() {
    let errors = vec!["$.session.version: session version 7 is not one this Streamlab reads".to_string()];
    let store = Rc::new(Store::new(Ok(None))).update(Action::LinkFailed(errors.clone()));
    assert_eq!(*store.link_errors, errors);
    let store = store.update(Action::BuiltinsLoaded(texts()));
    assert!(store.has_sim(), "the first scenario loads");
    assert_eq!(*store.link_errors, errors, "and the explanation stays");
    // Picking a scenario clears it.
    let store = store.update(Action::SelectScenario(1));
    assert!(store.link_errors.is_empty());
}

#[test]
fn show_record_opens_and_closes_a_story() {
    let store = run(loaded(), [Action::Seek(1_000_000), Action::ShowRecord(Some((0, 17)))]);
    assert_eq!(store.record, Some((0, 17)));
    let story = store.view(|s| s.record_story(0, 17)).flatten().expect("record 17 of producer 0 was sent by 1 s");
    assert_eq!(story.seq, 17);
    let store = store.update(Action::ShowRecord(None));
    assert_eq!(store.record, None);
    let store = run(store, [Action::ShowRecord(Some((0, 2))), Action::Reset]);
    assert_eq!(store.record, None, "a restart closes it");
}

#[test]
fn playing_stops_at_the_end() {
    let store = loaded();
    let end = store.summary.end_us;
    let store = run(store, [Action::Seek(end - 50_000), Action::Play]);
    assert!(store.playing && !store.finished());
    let store = run(store, [Action::Frame { wall_ms: 0.0 }, Action::Frame { wall_ms: 40.0 }]);
    assert!(store.playing, "10 ms short of the end");
    assert_eq!(now(&store), end - 10_000);
    let store = store.update(Action::Frame { wall_ms: 80.0 });
    assert_eq!(now(&store), end, "not past the end");
    assert!(store.finished() && !store.playing);
    let again = store.clone().update(Action::Play);
    assert!(Rc::ptr_eq(&again, &store), "nothing left to play");
    // Stepping at the end stays there.
    assert_eq!(now(&store.update(Action::Step)), end);
}

#[test]
fn findings_are_computed_once_per_moment() {
    let store = run(loaded(), [Action::Seek(3_000_000)]);
    let a = store.findings().expect("a run");
    let b = store.findings().expect("a run");
    assert!(Rc::ptr_eq(&a, &b), "the same moment: the same findings");
    // A clone of the store (a re-render) shares them too.
    assert!(Rc::ptr_eq(&a, &Store::clone(&store).findings().expect("a run")));
    assert_eq!(a.0, store.view(|s| s.check_detailed(1_000).0).expect("a run"), "the checker's own counts");
    let store = store.update(Action::Apply(crash_broker_1()));
    let c = store.findings().expect("a run");
    assert!(!Rc::ptr_eq(&a, &c), "an action: checked again");
    let store = store.update(Action::Step);
    assert!(!Rc::ptr_eq(&c, &store.findings().expect("a run")), "time moved: checked again");
    assert!(Rc::new(Store::new(Ok(None))).findings().is_none(), "no run, no findings");
}

#[test]
fn the_session_replays_to_the_stores_trace_hash() {
    let store = run(
        loaded(),
        [
            Action::SelectScenario(index("acks1-loss")),
            Action::SetSeed(11),
            Action::Seek(1_500_000),
            Action::Apply(crash_broker_1()),
            Action::Step,
            Action::Apply(SimAction::AddConsumer { group: "ledger".into() }),
            Action::Apply(SimAction::RestartBroker { broker: BrokerRef::Crashed }),
            Action::Seek(2_750_000),
        ],
    );
    let value = store.session_value().expect("a session");
    let session = parse_session(&value.to_string()).unwrap_or_else(|e| panic!("{e:?}"));
    assert_eq!(session.scenario.seed, 11, "written with the seed it runs");
    assert_eq!(session.actions.len(), 3);
    let replayed = Sim::replay(&session.scenario, &session.actions, session.stop);
    assert_eq!(replayed.summary(), store.summary);
    // The file the app exports says the same.
    let file = store.session_json().expect("a session file");
    let session = parse_session(&file).expect("it parses");
    assert_eq!(Sim::replay(&session.scenario, &session.actions, session.stop).trace_hash(), store.summary.trace_hash);
    // And the error panel's text names the same run.
    let panel = store.session_text();
    assert!(panel.contains("seed: 11"), "{panel}");
    assert!(panel.contains(&format!("trace hash: {:016x}", store.summary.trace_hash)), "{panel}");
}

#[test]
fn a_built_in_with_an_invalid_edit_runs_and_shares_the_built_in() {
    // An edit that is JSON but not a valid scenario: picking the scenario shows it with its errors
    // and runs the built-in; a session of that run must be the built-in's, not the broken text's.
    let broken = with(&text("quickstart"), &["topics", "0", "partitions"], 0.into());
    let store = run(loaded(), [Action::Edit(broken.clone()), Action::SelectScenario(1), Action::SelectScenario(0)]);
    assert_eq!(*store.source, broken, "the editor keeps the work in progress");
    assert_eq!(store.source_errors.len(), 1);
    assert_eq!(store.scenario().map(|s| s.topics[0].partitions), Some(6), "the built-in runs");
    let store = run(store, [Action::Seek(1_000_000), Action::Apply(crash_broker_1()), Action::Step]);
    let value = store.session_value().expect("a session of the run");
    let session = parse_session(&value.to_string()).unwrap_or_else(|e| panic!("the session of the run shown does not read back: {e:?}"));
    assert_eq!(Sim::replay(&session.scenario, &session.actions, session.stop).trace_hash(), store.summary.trace_hash);
}

#[test]
fn a_built_in_whose_edit_is_another_design_runs_the_built_in() {
    // A saved edit that is a valid scenario of another design: the single run cannot run it, so the
    // built-in runs (as for an invalid edit) and the editor says why; the previous scenario's run
    // must not stay on screen under this scenario's name.
    let queue = with(&text("quickstart"), &["design"], "queue".into());
    let store = run(loaded(), [Action::Edit(queue.clone()), Action::SelectScenario(1), Action::Seek(1_000_000), Action::SelectScenario(0)]);
    assert_eq!(store.stem(), Some("quickstart"));
    assert_eq!(*store.source, queue);
    assert_eq!(*store.source_errors, ["$.design: the single run is the log design; open this in Compare or run it with `streamlab run`"]);
    assert_eq!(store.scenario().map(|s| s.name.as_str()), Some("quickstart"));
    assert_eq!(store.summary, fresh("quickstart", 1).summary());

    // The same at start, from a saved workspace.
    let saved = Workspace { version: WORKSPACE_VERSION, builtin: Some("quickstart".into()), seed: 8, edits: BTreeMap::from([("quickstart".to_string(), queue)]) };
    let store = Rc::new(Store::new(Ok(Some(saved)))).update(Action::BuiltinsLoaded(texts()));
    assert!(store.has_sim(), "the built-in runs");
    assert_eq!(store.seed, 8);
    assert_eq!(store.summary, fresh("quickstart", 8).summary());
}

#[test]
fn stepping_by_events_says_each_one_and_goes_back_exactly() {
    let store = run(loaded(), [Action::Play, Action::Step]);
    assert!(!store.playing && store.narration().is_none(), "no event stepped yet");
    let at = store.summary.events;
    let one = run(store, [Action::StepEvent]);
    let (n, t, words) = one.narration().cloned().expect("the event in words");
    assert_eq!((n, t), (at + 1, now(&one)));
    assert!(words.ends_with('.'), "{words}");
    let mut engine = fresh("quickstart", 1);
    while engine.events() < at + 1 {
        engine.step();
    }
    assert_eq!(one.summary.trace_hash, engine.trace_hash());
    let two = run(one.clone(), [Action::StepEvent]);
    assert_eq!(two.summary.events, at + 2);
    assert_ne!(two.narration(), one.narration());
    // Back one event: the run as it was after the first step, saying the same words again.
    let back = run(two, [Action::StepEventBack]);
    assert_eq!((back.summary.events, back.summary.trace_hash), (at + 1, one.summary.trace_hash));
    assert_eq!(back.narration(), one.narration());
    // Any other move in time leaves the words behind: they describe an event no longer the last.
    let moved = run(back, [Action::Step]);
    assert!(moved.narration().is_none());
}

#[test]
fn a_step_back_by_an_event_drops_a_later_action_and_says_so() {
    let store = run(loaded(), [Action::Seek(500_000), Action::Apply(crash_broker_1()), Action::StepEvent]);
    let back = run(store, [Action::StepEventBack]);
    assert!(back.notice.is_none(), "the crash came before that event: kept");
    assert_eq!(back.view(|s| s.applied_actions().len()), Some(1));
    let back = run(back, [Action::StepEventBack]);
    assert_eq!(back.notice.as_deref(), Some("Went back in time: 1 later action was undone."));
    assert_eq!(back.view(|s| s.applied_actions().len()), Some(0));
    // At t = 0, before any event, there is nothing to go back over.
    let start = loaded();
    assert!(Rc::ptr_eq(&start, &start.clone().update(Action::StepEventBack)));
}

#[test]
fn going_back_re_simulates_from_the_latest_copy_of_the_run_and_lands_on_the_same_run() {
    let (store, _) = settled(run(loaded(), [Action::SelectScenario(index("bench")), Action::Seek(6_000_000)]));
    let copies = store.checkpoints();
    assert!(copies >= 2 && copies as u64 <= store.summary.events / streamlab::store::CHECKPOINT_EVENTS, "{copies} copies for {} events", store.summary.events);
    let (store, _) = settled(run(store, [Action::Apply(crash_broker_1()), Action::Seek(6_200_000)]));
    let (store, frames) = settled(run(store, [Action::Seek(2_000_000)]));
    // From the copy before 2 s, not from t = 0: at most one spacing of copies to re-simulate, of
    // which the first slice runs at once.
    assert!(u64::from(frames) < streamlab::store::CHECKPOINT_EVENTS.div_ceil(SEEK_EVENTS_PER_FRAME), "{frames} frames");
    let mut engine = fresh("bench", 1);
    engine.run_until(2_000_000);
    assert_eq!((store.summary.events, store.summary.trace_hash), (engine.events(), engine.trace_hash()));
    assert_eq!(store.notice.as_deref(), Some("Went back in time: 1 later action was undone."));
    assert!(store.checkpoints() < copies, "the copies after 2 s are left behind");
    let back = run(store, [Action::StepEventBack]);
    let mut engine = fresh("bench", 1);
    while engine.events() < back.summary.events {
        engine.step();
    }
    assert_eq!(back.summary.trace_hash, engine.trace_hash());
    // A new scenario starts without copies.
    assert_eq!(run(back, [Action::SelectScenario(index("quickstart"))]).checkpoints(), 0);
}

#[test]
fn a_long_seek_goes_a_slice_per_frame_and_pausing_stops_it_on_a_moment_of_the_same_run() {
    // Forwards: the first slice runs at once, the rest a slice per frame.
    let store = run(loaded(), [Action::SelectScenario(index("bench")), Action::Seek(3_000_000)]);
    assert_eq!(store.seeking(), Some(3_000_000));
    assert_eq!(store.seeking_words().as_deref(), Some("Going to t = 00:03.000 (Pause stops here)."));
    assert_eq!(store.summary.events, SEEK_EVENTS_PER_FRAME, "one slice so far");
    assert!(now(&store) < 3_000_000);
    let (store, frames) = settled(store);
    assert!(frames >= 2, "{frames} frames");
    assert_eq!(now(&store), 3_000_000);
    let mut engine = fresh("bench", 1);
    engine.run_until(3_000_000);
    assert_eq!(store.summary, engine.summary());

    // Back, with a crash to keep and a heal to undo: Pause stops the rewind where it got to.
    let (store, _) = settled(run(store, [Action::Apply(crash_broker_1()), Action::Seek(4_000_000)]));
    let (store, _) = settled(run(store, [Action::Apply(SimAction::HealNetwork), Action::Seek(4_200_000)]));
    let mut store = run(store, [Action::Seek(3_900_000)]);
    let words = store.seeking_words().expect("a seek on its way");
    assert!(words.starts_with("Going back to t = 00:03.900: re-simulating from the copy of the run saved at t = 00:0"), "{words}");
    while now(&store) <= 3_000_000 {
        assert_eq!(store.seeking(), Some(3_900_000));
        store = store.update(Action::Frame { wall_ms: 0.0 });
    }
    let store = run(store, [Action::Pause]);
    assert_eq!(store.seeking(), None);
    assert!(!store.playing);
    let stopped = store.summary.clone();
    assert!(stopped.now_us < 3_900_000, "stopped on its way, at {}", stopped.now_us);
    // That moment is the same run: the crash (at 3 s) replayed, the heal (at 4 s) undone.
    let mut engine = fresh("bench", 1);
    engine.run_until(3_000_000);
    engine.apply(crash_broker_1());
    while engine.events() < stopped.events {
        engine.step();
    }
    assert_eq!(engine.trace_hash(), stopped.trace_hash);
    assert_eq!(store.view(|s| s.applied_actions().len()), Some(1));
    assert_eq!(store.notice.as_deref(), Some("Went back in time: 1 later action was undone."));
    // Any action that moves the run does the same; a view change (the speed) does not.
    let store = run(store, [Action::Seek(9_000_000), Action::SetSpeed(Speed::X10)]);
    assert_eq!(store.seeking(), Some(9_000_000));
    let store = run(store, [Action::Step]);
    assert_eq!(store.seeking(), None);
    assert!(now(&store) < 9_000_000);
}

#[test]
fn copies_of_a_long_run_stay_bounded_and_still_land_on_the_same_run() {
    use streamlab::store::{CHECKPOINT_EVENTS, MAX_CHECKPOINTS};
    let (store, _) = settled(run(loaded(), [Action::SelectScenario(index("bench")), Action::Seek(20_000_000)]));
    let events = store.summary.events;
    assert!(events > (MAX_CHECKPOINTS as u64 + 1) * CHECKPOINT_EVENTS, "{events} events: enough for the copies to be thinned");
    assert!((MAX_CHECKPOINTS / 2..=MAX_CHECKPOINTS).contains(&store.checkpoints()), "{} copies", store.checkpoints());
    let (back, _) = settled(run(store, [Action::Seek(9_000_000)]));
    let mut engine = fresh("bench", 1);
    engine.run_until(9_000_000);
    assert_eq!((back.summary.events, back.summary.trace_hash), (engine.events(), engine.trace_hash()));
}
