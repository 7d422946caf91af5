//! The producers panel: one row per producer (topic, rate now, `acks`, idempotence) with its levers:
//! a traffic spike (factor and duration), a new rate, and a new `acks`. A value that is not one is
//! explained next to the field and nothing is applied.

use web_sys::{HtmlInputElement, HtmlSelectElement};
use yew::prelude::*;

use super::hooks::use_sim;
use super::store::format_count;
use crate::engine::views::ProducerView;
use crate::scenario::forms::{parse_duration_s, parse_rate};
use crate::scenario::{Acks, Action};

const SPIKE_FACTORS: [f64; 4] = [2.0, 5.0, 10.0, 20.0];

#[component]
pub fn ProducersPanel() -> Html {
    let sim = use_sim();
    let Some(producers) = sim.view(|s| s.producer_views()) else { return html! {} };
    if producers.is_empty() {
        return html! {};
    }
    html! {
        <section class="panel producers" aria-labelledby="producers-title">
            <h2 id="producers-title">{ "Producers" }</h2>
            { for producers.into_iter().map(|p| html! { <ProducerRow producer={p} /> }) }
        </section>
    }
}

#[derive(Properties, PartialEq)]
struct RowProps {
    producer: ProducerView,
}

#[component]
fn ProducerRow(props: &RowProps) -> Html {
    let sim = use_sim();
    let p = &props.producer;
    let factor = use_state(|| 5.0f64);
    let duration = use_state(|| "5".to_string());
    let rate = use_state(|| format!("{}", p.base_rate_per_sec));
    let error = use_state(|| None::<String>);
    let name = p.name.clone();

    let spike = {
        let (sim, name, factor, duration, error) = (sim.clone(), name.clone(), factor.clone(), duration.clone(), error.clone());
        Callback::from(move |_: MouseEvent| match parse_duration_s(&duration) {
            Ok(duration_ms) => {
                error.set(None);
                sim.apply(Action::TrafficSpike { producer: name.clone(), factor: *factor, duration_ms });
            }
            Err(e) => error.set(Some(e)),
        })
    };
    let set_rate = {
        let (sim, name, rate, error) = (sim.clone(), name.clone(), rate.clone(), error.clone());
        Callback::from(move |_: MouseEvent| match parse_rate(&rate) {
            Ok(rate_per_sec) => {
                error.set(None);
                sim.apply(Action::SetProducerRate { producer: name.clone(), rate_per_sec });
            }
            Err(e) => error.set(Some(e)),
        })
    };
    let set_acks = {
        let (sim, name) = (sim.clone(), name.clone());
        Callback::from(move |e: Event| {
            let acks = match e.target_unchecked_into::<HtmlSelectElement>().value().as_str() {
                "0" => Acks::Zero,
                "1" => Acks::One,
                _ => Acks::All,
            };
            sim.apply(Action::SetProducerAcks { producer: name.clone(), acks });
        })
    };
    let on_factor = {
        let factor = factor.clone();
        Callback::from(move |e: Event| {
            if let Some(f) = crate::text::number(&e.target_unchecked_into::<HtmlSelectElement>().value()) {
                factor.set(f);
            }
        })
    };
    let on_duration = {
        let duration = duration.clone();
        Callback::from(move |e: InputEvent| duration.set(e.target_unchecked_into::<HtmlInputElement>().value()))
    };
    let on_rate = {
        let rate = rate.clone();
        Callback::from(move |e: InputEvent| rate.set(e.target_unchecked_into::<HtmlInputElement>().value()))
    };
    let spiking = p.rate_per_sec > p.base_rate_per_sec;
    html! {
        <div class="producer" data-testid={format!("producer-{}", p.name)}>
            <p>
                <strong>{ p.name.clone() }</strong>{ format!(" → {} · ", p.topic) }
                <span data-testid="rate" class={classes!(spiking.then_some("warn"))}>
                    { format!("{}/s", format_count(p.rate_per_sec.round() as u64)) }
                    if spiking { { format!(" ⚡ spike (normally {}/s)", format_count(p.base_rate_per_sec.round() as u64)) } }
                </span>
                { format!(" · acks={}{}", p.acks.as_str(), if p.idempotent { " · idempotent" } else { "" }) }
            </p>
            <div class="levers">
                <label>{ "Spike ×" }
                    <select aria-label={format!("Spike factor for {}", p.name)} onchange={on_factor}>
                        { for SPIKE_FACTORS.iter().map(|f| html! { <option value={f.to_string()} selected={*f == *factor}>{ f.to_string() }</option> }) }
                    </select>
                </label>
                <label>{ "for " }
                    <input type="text" inputmode="decimal" size="3" value={(*duration).clone()} oninput={on_duration}
                        aria-label={format!("Spike duration in seconds for {}", p.name)} />{ " s" }
                </label>
                <button class="small" onclick={spike}>{ "Start spike" }</button>
                <label>{ "Rate " }
                    <input type="text" inputmode="decimal" size="6" value={(*rate).clone()} oninput={on_rate}
                        aria-label={format!("New rate for {} (records per second)", p.name)} />
                </label>
                <button class="small" onclick={set_rate}>{ "Set rate" }</button>
                <label>{ "acks " }
                    <select aria-label={format!("acks for {}", p.name)} onchange={set_acks}>
                        { for ["0", "1", "all"].iter().map(|a| html! { <option value={*a} selected={p.acks.as_str() == *a}>{ *a }</option> }) }
                    </select>
                </label>
            </div>
            if let Some(e) = &*error { <p class="danger" role="alert">{ e.clone() }</p> }
        </div>
    }
}
