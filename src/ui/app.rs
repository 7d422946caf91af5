//! The page: `App` owns the store and the frame timer and provides the store to `TopBar` (scenario,
//! seed, transport controls, speed) and `Figures` (the live summary of the run). Every control has an
//! accessible name and every figure a `data-testid`, which the end-to-end tests rely on. A scenario file
//! that does not parse shows its errors in the page; a build without built-in scenarios says so.

use web_sys::{HtmlInputElement, HtmlSelectElement};
use yew::prelude::*;

use super::charts::ChartsPanel;
use super::compare::{CompareView, Start};
use super::checker::CheckerPanel;
use super::cluster::ClusterPanel;
use super::editor::EditorPanel;
use super::eventlog::EventLogPanel;
use super::groups::GroupsPanel;
use super::logview::LogPanel;
use super::metrics::MetricsPanel;
use super::producers::ProducersPanel;
use super::hooks::{use_builtin_texts, use_frames, use_share_links, use_shortcuts, use_sim, SimContext, SimHandle};
use super::settings::SettingsMenu;
use super::share::ShareMenu;
use super::store::{format_count, format_hash, format_sim_time, Speed, Store};

/// Which view fills the page: the single run, or the comparison view (which keeps the run as it was).
#[derive(Clone, PartialEq)]
pub enum Mode {
    Run,
    Compare(Start),
}

#[component]
pub fn App() -> Html {
    let store = use_reducer(super::store::initial);
    let mode = use_state(|| Mode::Run);
    // `#debug-panic` in the address panics on purpose, to show (and test) the error panel.
    let debug_panic = web_sys::window().and_then(|w| w.location().hash().ok()).is_some_and(|h| h == "#debug-panic");
    if debug_panic {
        panic!("deliberate panic (#debug-panic in the address) to show the error panel");
    }
    use_frames(store.busy(), store.dispatcher());
    use_share_links(store.dispatcher());
    use_builtin_texts(store.dispatcher());
    let sim = SimHandle::of(store.clone());
    use_shortcuts(sim.clone());
    let body = match (*mode).clone() {
        Mode::Compare(start) => {
            let on_close = {
                let mode = mode.clone();
                Callback::from(move |_| mode.set(Mode::Run))
            };
            html! {
                <>
                    <header class="topbar">
                        <span class="brand">{ "Streamlab" }</span>
                        <span class="muted">{ "The single run waits, paused." }</span>
                        <span class="spacer"></span>
                        <SettingsMenu />
                    </header>
                    <main class="layout single">
                        <CompareView {start} {on_close} />
                    </main>
                </>
            }
        }
        Mode::Run => html! {
            <>
                <TopBar on_mode={let mode = mode.clone(); Callback::from(move |m| mode.set(m))} />
                <main class="layout">
                    <div class="column left">
                        <ClusterPanel />
                        <ProducersPanel />
                    </div>
                    <div class="column centre">
                        { messages(&store) }
                        { figures(&sim) }
                        <LogPanel />
                        <GroupsPanel />
                        <EditorPanel />
                    </div>
                    <div class="column right">
                        <CheckerPanel />
                        <EventLogPanel />
                        <MetricsPanel />
                    </div>
                    <div class="bottom">
                        <ChartsPanel />
                    </div>
                </main>
            </>
        },
    };
    html! {
        <ContextProvider<SimContext> context={store}>
            <div class="app">{ body }</div>
        </ContextProvider<SimContext>>
    }
}

#[derive(Properties, PartialEq)]
struct TopBarProps {
    /// Open the comparison view (with the picker, or with a what-if branch of the run so far).
    on_mode: Callback<Mode>,
}

#[component]
fn TopBar(props: &TopBarProps) -> Html {
    let sim = use_sim();
    let names = Store::scenario_names();
    let has_sim = sim.has_sim();

    let on_scenario = {
        let sim = sim.clone();
        Callback::from(move |e: Event| {
            if let Ok(index) = e.target_unchecked_into::<HtmlSelectElement>().value().parse::<usize>() {
                sim.select_scenario(index);
            }
        })
    };
    let on_seed = {
        let sim = sim.clone();
        Callback::from(move |e: Event| {
            let input = e.target_unchecked_into::<HtmlInputElement>();
            match input.value().trim().parse::<u64>() {
                Ok(seed) => sim.set_seed(seed),
                // Not a seed: put the current one back rather than keep text that means nothing.
                Err(_) => input.set_value(&sim.seed.to_string()),
            }
        })
    };
    let on_play_pause = {
        let sim = sim.clone();
        Callback::from(move |_: MouseEvent| if sim.busy() { sim.pause() } else { sim.play() })
    };
    let on_step = {
        let sim = sim.clone();
        Callback::from(move |_: MouseEvent| sim.step())
    };
    let on_reset = {
        let sim = sim.clone();
        Callback::from(move |_: MouseEvent| sim.reset())
    };
    let on_back = {
        let sim = sim.clone();
        Callback::from(move |_: MouseEvent| sim.step_back())
    };
    let on_seek = {
        let sim = sim.clone();
        Callback::from(move |e: Event| {
            if let Ok(ms) = e.target_unchecked_into::<HtmlInputElement>().value().parse::<u64>() {
                sim.seek(ms * 1_000);
            }
        })
    };
    let on_speed = {
        let sim = sim.clone();
        Callback::from(move |e: Event| {
            if let Some(speed) = Speed::from_key(&e.target_unchecked_into::<HtmlSelectElement>().value()) {
                sim.set_speed(speed);
            }
        })
    };

    let on_compare = {
        let sim = sim.clone();
        let on_mode = props.on_mode.clone();
        Callback::from(move |_: MouseEvent| {
            sim.pause();
            on_mode.emit(Mode::Compare(Start::Pick));
        })
    };
    let on_what_if = {
        let sim = sim.clone();
        let on_mode = props.on_mode.clone();
        Callback::from(move |_: MouseEvent| {
            sim.pause();
            if let Some(session) = sim.session_json() {
                on_mode.emit(Mode::Compare(Start::Branch(std::rc::Rc::new(session))));
            }
        })
    };

    let scenario_picker = if names.is_empty() {
        html! {
            <select id="scenario" disabled=true>
                <option>{ "no scenarios" }</option>
            </select>
        }
    } else {
        html! {
            <select id="scenario" onchange={on_scenario}>
                if let Some(name) = &sim.shared {
                    <option value="shared" selected=true disabled=true>{ format!("{name} (shared)") }</option>
                }
                { for names.iter().enumerate().map(|(i, name)| html! {
                    <option value={i.to_string()} selected={sim.shared.is_none() && sim.selected == Some(i)}>{ *name }</option>
                }) }
            </select>
        }
    };

    html! {
        <header class="topbar">
            <span class="brand">{ "Streamlab" }</span>
            <label class="field" for="scenario">{ "Scenario" }</label>
            { scenario_picker }
            <label class="field" for="seed">{ "Seed" }</label>
            <input id="seed" type="number" min="0" step="1" inputmode="numeric"
                value={sim.seed.to_string()} onchange={on_seed} disabled={!has_sim} />
            <span class="controls" role="group" aria-label="Playback">
                <button class="primary" onclick={on_play_pause}
                    disabled={!has_sim || (sim.finished() && !sim.busy())}
                    aria-pressed={if sim.busy() { "true" } else { "false" }}>
                    { if sim.busy() { "Pause" } else { "Play" } }
                </button>
                <button onclick={on_back} disabled={!has_sim || sim.summary.now_us == 0}
                    title="Go back 100 ms of simulated time (←): the run is re-simulated up to there, exactly">{ "Back" }</button>
                <button onclick={on_step} disabled={!has_sim || sim.finished()}
                    title="Advance 100 ms of simulated time (→)">{ "Step" }</button>
                <button onclick={on_reset} disabled={!has_sim}
                    title="Back to t = 0 with the same seed">{ "Reset" }</button>
            </span>
            <label class="field" for="timeline">{ "Time" }</label>
            <input id="timeline" type="range" min="0" max={(sim.summary.end_us / 1_000).to_string()} step="100"
                value={(sim.summary.now_us / 1_000).to_string()} onchange={on_seek} disabled={!has_sim}
                aria-valuetext={format_sim_time(sim.summary.now_us)} />
            <label class="field" for="speed">{ "Speed" }</label>
            <select id="speed" onchange={on_speed}>
                { for Speed::ALL.iter().map(|s| html! {
                    <option value={s.key()} selected={sim.speed == *s}>{ s.label() }</option>
                }) }
            </select>
            <span class="spacer"></span>
            <button onclick={on_what_if} disabled={!has_sim}
                title="Branch here: the run so far becomes runs A and B side by side, sharing their past exactly; give each its own fault">{ "What if…" }</button>
            <button onclick={on_compare} title="Compare designs side by side: log vs queue, acks, rebalancing, REST vs events, batch vs stream">{ "Compare" }</button>
            <ShareMenu />
            <SettingsMenu />
        </header>
    }
}

/// Notices above the figures: no scenarios in this build, or the errors of the selected file.
fn messages(sim: &Store) -> Html {
    let scenario = scenario_messages(sim);
    let storage = sim.storage_problem.as_ref().map(|p| html! {
        <section class="panel notice" role="alert" data-testid="storage-problem">{ p.clone() }</section>
    });
    let link = (!sim.link_errors.is_empty()).then(|| html! {
        <section class="panel errors" role="alert" data-testid="link-errors">
            <strong>{ "This share link cannot be opened, so the page runs as before:" }</strong>
            <ul>{ for sim.link_errors.iter().map(|e| html! { <li>{ e.clone() }</li> }) }</ul>
        </section>
    });
    html! { <>{ for storage }{ for link }{ scenario }</> }
}

/// No scenarios in this build, the errors of the selected file, or its description.
fn scenario_messages(sim: &Store) -> Html {
    if sim.loading() {
        return html! { <section class="panel notice" role="status">{ "Loading the built-in scenarios…" }</section> };
    }
    if sim.selected.is_none() {
        return html! {
            <section class="panel notice" role="status">
                { "This build has no built-in scenarios yet, so there is nothing to run." }
            </section>
        };
    }
    if !sim.errors.is_empty() {
        let stem = sim.selected.and_then(|i| Store::scenario_names().get(i).copied()).unwrap_or("?");
        return html! {
            <section class="panel errors" role="alert" data-testid="scenario-errors">
                <strong>{ format!("The scenario “{stem}” cannot be loaded:") }</strong>
                <ul>{ for sim.errors.iter().map(|e| html! { <li>{ e.clone() }</li> }) }</ul>
            </section>
        };
    }
    match sim.scenario() {
        Some(scenario) => html! {
            <section class="panel">
                <h2>{ scenario.name.clone() }</h2>
                if !scenario.description.is_empty() { <p>{ scenario.description.clone() }</p> }
            </section>
        },
        None => html! {},
    }
}

/// One live figure: its label, its value (under a test id), a tone ("warn", "danger") and what it
/// means as a tooltip.
fn figure(label: &str, testid: &'static str, value: String, tone: Option<&'static str>, title: &'static str) -> Html {
    html! {
        <div class={classes!("figure", tone, (testid == "trace-hash").then_some("wide"))} title={title}>
            <dt>{ label }</dt>
            <dd data-testid={testid}>{ value }</dd>
        </div>
    }
}

/// The live figures of the run, read from the engine's `Summary`.
fn figures(sim: &SimHandle) -> Html {
    let s = &sim.summary;
    let status = if !sim.has_sim() {
        "No simulation loaded.".to_string()
    } else if let Some(words) = sim.seeking_words() {
        words
    } else if sim.finished() {
        "Finished: the scenario's end was reached. Reset to run it again.".to_string()
    } else if sim.playing {
        format!("Playing at {}.", sim.speed.label())
    } else {
        "Paused.".to_string()
    };
    let urp_tone = (s.under_replicated > 0).then_some("warn");
    let offline_tone = (s.offline > 0).then_some("danger");
    let failed_tone = (s.failed > 0).then_some("danger");
    let count = format_count;
    html! {
        <section class="panel" aria-labelledby="figures-title">
            <h2 id="figures-title">{ "Live figures" }</h2>
            <p class="clock">
                <span data-testid="sim-time">{ format_sim_time(s.now_us) }</span>
                if sim.has_sim() {
                    <span class="end">{ format!(" of {}", &format_sim_time(s.end_us)[4..]) }</span>
                }
            </p>
            <dl class="figures">
                { figure("Produced", "produced", count(s.sent), None, "Records the producers sent") }
                { figure("Acked", "acked", count(s.acked), None, "Records acknowledged to the producers (per their acks setting)") }
                { figure("Failed", "failed", count(s.failed), failed_tone, "Records whose produce request failed for good") }
                { figure("Consumed", "consumed", count(s.delivered), None, "Records delivered to consumer group members") }
                { figure("Total lag", "lag", count(s.lag_total), None, "Sum over groups and partitions of log end offset minus committed offset") }
                { figure(if s.under_replicated > 0 { "⚠ Under-replicated" } else { "Under-replicated" }, "under-replicated", count(s.under_replicated.into()), urp_tone, "Partitions whose ISR is smaller than their replica set") }
                { figure(if s.offline > 0 { "✕ Offline" } else { "Offline" }, "offline", count(s.offline.into()), offline_tone, "Partitions without a leader") }
                { figure("Events", "events", count(s.events), None, "Engine events processed so far") }
                { figure("Trace hash", "trace-hash", format_hash(s.trace_hash), None, "Hash of every event so far: equal hashes mean identical runs") }
            </dl>
            <p class="status" role="status" data-testid="status">{ status }</p>
            <p class="events-step" role="group" aria-label="One event at a time">
                <button class="small" onclick={let sim = sim.clone(); move |_: MouseEvent| sim.step_event_back()} disabled={s.events == 0}
                    aria-label="Previous event" title="Go back one engine event (Shift+←): the run is re-simulated to one event fewer, exactly">{ "◂ Event" }</button>
                <button class="small" onclick={let sim = sim.clone(); move |_: MouseEvent| sim.step_event()} disabled={!sim.has_sim() || sim.finished()}
                    aria-label="Next event" title="Process the next engine event and say what it was (Shift+→)">{ "Event ▸" }</button>
                if let Some((n, t, words)) = sim.narration() {
                    <span data-testid="narration">{ format!("Event {} at {}: {words}", format_count(*n), format_sim_time(*t)) }</span>
                }
            </p>
            if let Some(notice) = &sim.notice {
                <p class="status warn" data-testid="notice">{ notice.clone() }</p>
            }
        </section>
    }
}
