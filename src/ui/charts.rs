//! Charts (plotters on canvas): produce and consume rate, end-to-end latency p50/p99, lag per group and
//! under-replicated partitions over the whole run's time axis, with a vertical marker wherever a fault
//! (red) or another action (grey) was applied, as Grafana annotates its panels. Each canvas has a text
//! alternative with the latest and peak values, and an HTML legend (words and colours), so the charts
//! are not pictures only. A canvas is redrawn when a new sample or marker arrives, when its width
//! changes or the theme does; not on every frame.

use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};
use plotters_canvas::CanvasBackend;
use web_sys::HtmlCanvasElement;
use yew::prelude::*;

use super::hooks::use_sim;
use super::store::format_count;
use crate::engine::views::{ChartView, Marker};
use crate::lab::scale::{nice_max, nice_step};

/// Colours that read on both themes, after the accent: one per line of a chart.
pub(super) const LINE_COLOURS: [&str; 6] = ["--accent", "--focus", "--warn", "#8a55c9", "#c2417a", "#5a8f29"];

#[derive(Clone, PartialEq)]
pub(super) struct Line {
    pub name: String,
    /// A CSS variable (`--accent`) or a `#rrggbb` colour.
    pub colour: &'static str,
    pub values: Vec<f64>,
}

#[derive(Properties, PartialEq)]
pub(super) struct ChartProps {
    pub title: AttrValue,
    pub testid: AttrValue,
    pub unit: AttrValue,
    pub t_us: std::rc::Rc<Vec<u64>>,
    pub end_us: u64,
    pub lines: Vec<Line>,
    pub markers: std::rc::Rc<Vec<Marker>>,
    /// Whole numbers on the y axis (counts) rather than decimals.
    #[prop_or_default]
    pub integer: bool,
}

#[component]
pub fn ChartsPanel() -> Html {
    let sim = use_sim();
    let Some(view) = sim.view(|s| s.chart_view()) else { return html! {} };
    let ChartView { t_us, produce_rate, consume_rate, p50_ms, p99_ms, lag, under_replicated, offline, markers } = view;
    let t_us = std::rc::Rc::new(t_us);
    let markers = std::rc::Rc::new(markers);
    let end_us = sim.summary.end_us;
    let line = |name: &str, colour: &'static str, values: Vec<f64>| Line { name: name.to_string(), colour, values };
    let lag_lines: Vec<Line> = lag
        .into_iter()
        .enumerate()
        .map(|(i, (group, values))| line(&group, LINE_COLOURS[i % LINE_COLOURS.len()], values.into_iter().map(|v| v as f64).collect()))
        .collect();
    let faults = markers.iter().filter(|m| m.fault).count();
    html! {
        <section class="panel charts" aria-labelledby="charts-title">
            <h2 id="charts-title">{ "Charts" }</h2>
            <p class="legend small-print">
                <span class="swatch fault"></span>{ format!(" fault ({faults})   ") }
                <span class="swatch action"></span>{ " other action   (markers on every chart; hover a chart's title for the list)" }
            </p>
            <div class="chart-grid">
                <Chart title="Records per second" testid="chart-rate" unit="records/s" t_us={t_us.clone()} {end_us} markers={markers.clone()}
                    lines={vec![line("produced", LINE_COLOURS[0], produce_rate), line("consumed", LINE_COLOURS[1], consume_rate)]} />
                <Chart title="End-to-end latency" testid="chart-latency" unit="ms" t_us={t_us.clone()} {end_us} markers={markers.clone()}
                    lines={vec![line("p50", LINE_COLOURS[0], p50_ms), line("p99", LINE_COLOURS[2], p99_ms)]} />
                <Chart title="Lag per group" testid="chart-lag" unit="records" integer=true t_us={t_us.clone()} {end_us} markers={markers.clone()}
                    lines={lag_lines} />
                <Chart title="Under-replicated / offline" testid="chart-urp" unit="partitions" integer=true t_us={t_us} {end_us} {markers}
                    lines={vec![
                        line("under-replicated", LINE_COLOURS[2], under_replicated.into_iter().map(f64::from).collect()),
                        line("offline", "--danger", offline.into_iter().map(f64::from).collect()),
                    ]} />
            </div>
        </section>
    }
}

/// "produced 200 now (peak 2 010)" for each line: the chart's text alternative.
fn describe(lines: &[Line], integer: bool) -> String {
    let fmt = |v: f64| if integer || v >= 100.0 { format_count(v.round() as u64) } else { format!("{v:.1}") };
    lines
        .iter()
        .map(|l| {
            let now = l.values.last().copied().unwrap_or(0.0);
            let peak = l.values.iter().copied().fold(0.0, f64::max);
            format!("{} {} now (peak {})", l.name, fmt(now), fmt(peak))
        })
        .collect::<Vec<_>>()
        .join("; ")
}

#[component]
pub(super) fn Chart(props: &ChartProps) -> Html {
    let canvas = use_node_ref();
    // Redraw when the data grows or changes shape, or the theme or size changes.
    let theme = root_attr("data-theme") + &root_attr("style");
    let deps = (props.t_us.len(), props.t_us.last().copied(), props.markers.len(), props.lines.len(), props.end_us, theme, props.lines.first().and_then(|l| l.values.last().map(|v| v.to_bits())));
    {
        let canvas = canvas.clone();
        let t_us = props.t_us.clone();
        let lines = props.lines.clone();
        let markers = props.markers.clone();
        let (end_us, integer) = (props.end_us, props.integer);
        use_effect_with(deps, move |_| {
            if let Some(el) = canvas.cast::<HtmlCanvasElement>() {
                draw(&el, &t_us, &lines, &markers, end_us, integer);
            }
        });
    }
    let text = format!("{}: {}", props.title, describe(&props.lines, props.integer));
    let marker_list = props.markers.iter().map(|m| format!("{} {}", super::store::format_sim_time(m.t_us), m.label)).collect::<Vec<_>>().join("\n");
    html! {
        <figure class="chart">
            <figcaption title={marker_list}>{ props.title.clone() }<span class="muted">{ format!(" ({})", props.unit) }</span></figcaption>
            <canvas ref={canvas} role="img" aria-label={text} data-testid={props.testid.clone()} height="150"></canvas>
            <ul class="legend">
                { for props.lines.iter().map(|l| html! {
                    <li><span class="swatch" style={format!("background: {}", css_value(l.colour))}></span>{ format!(" {}", l.name) }</li>
                }) }
            </ul>
        </figure>
    }
}

/// An attribute of `<html>` (theme, presenter scale) or "".
fn root_attr(name: &str) -> String {
    web_sys::window()
        .and_then(|w| w.document())
        .and_then(|d| d.document_element())
        .and_then(|e| e.get_attribute(name))
        .unwrap_or_default()
}

/// `var(--accent)` for a variable, the colour itself otherwise (for the HTML legend).
fn css_value(colour: &str) -> String {
    if colour.starts_with("--") {
        format!("var({colour})")
    } else {
        colour.to_string()
    }
}

/// A colour from the style sheet's variables (resolved for the current theme), or a literal one.
fn resolve(colour: &str) -> RGBColor {
    let text = if colour.starts_with("--") {
        web_sys::window()
            .and_then(|w| {
                let root = w.document()?.document_element()?;
                w.get_computed_style(&root).ok().flatten()?.get_property_value(colour).ok()
            })
            .unwrap_or_default()
    } else {
        colour.to_string()
    };
    parse_hex(text.trim()).unwrap_or(RGBColor(128, 128, 128))
}

fn parse_hex(s: &str) -> Option<RGBColor> {
    let h = s.strip_prefix('#')?;
    if h.len() != 6 {
        return None;
    }
    let byte = |i: usize| u8::from_str_radix(&h[i..i + 2], 16).ok();
    Some(RGBColor(byte(0)?, byte(2)?, byte(4)?))
}

fn draw(canvas: &HtmlCanvasElement, t_us: &[u64], lines: &[Line], markers: &[Marker], end_us: u64, integer: bool) {
    // Match the drawing buffer to the laid-out width so text and lines stay crisp.
    let width = canvas.client_width().max(200) as u32;
    if canvas.width() != width {
        canvas.set_width(width);
    }
    let Some(backend) = CanvasBackend::with_canvas_object(canvas.clone()) else { return };
    let root = backend.into_drawing_area();
    let (w, h) = root.dim_in_pixel();
    let (bg, text, grid, danger, muted) = (resolve("--panel"), resolve("--muted"), resolve("--border"), resolve("--danger"), resolve("--muted"));
    let _ = root.fill(&bg);
    let end_s = (end_us as f64 / 1e6).max(0.001);
    let peak = lines.iter().flat_map(|l| l.values.iter().copied()).fold(0.0, f64::max);
    let y_max = nice_max(peak * 1.1, integer);
    // The plot area in pixels, leaving room for the labels; plotters draws on it directly (element
    // by element), which keeps its chart-layout machinery out of the wasm.
    let font_px = font_size_px() * 0.75;
    let (left, right) = (font_px * 3.8, f64::from(w) - font_px * 1.6);
    let (top, bottom) = (6.0, f64::from(h) - font_px - 10.0);
    let x_of = |t_s: f64| (left + t_s / end_s * (right - left)) as i32;
    let y_of = |v: f64| (bottom - v / y_max * (bottom - top)) as i32;
    let font = ("sans-serif", font_px).into_font().color(&text);
    let line = |points: Vec<(i32, i32)>, style: ShapeStyle| {
        let _ = root.draw(&PathElement::new(points, style));
    };
    // Horizontal grid lines with their values, then the time axis with its labels.
    for i in 0..=4 {
        let v = y_max * f64::from(i) / 4.0;
        let y = y_of(v);
        line(vec![(left as i32, y), (right as i32, y)], grid.mix(if i == 0 { 1.0 } else { 0.6 }).stroke_width(1));
        let label = if integer || y_max >= 10.0 { format_count(v.round() as u64) } else { format!("{v:.1}") };
        let _ = root.draw(&Text::new(label, (left as i32 - 4, y), font.pos(Pos::new(HPos::Right, VPos::Center))));
    }
    let step = nice_step(end_s / 6.0);
    let mut t = 0.0;
    while t <= end_s + 1e-9 {
        let x = x_of(t);
        line(vec![(x, top as i32), (x, bottom as i32)], grid.mix(0.6).stroke_width(1));
        let _ = root.draw(&Text::new(format!("{t:.0} s"), (x, bottom as i32 + 4), font.pos(Pos::new(HPos::Center, VPos::Top))));
        t += step;
    }
    for m in markers {
        let x = x_of(m.t_us as f64 / 1e6);
        let colour = if m.fault { danger.mix(0.8) } else { muted.mix(0.6) };
        line(vec![(x, top as i32), (x, bottom as i32)], colour.stroke_width(1));
    }
    for l in lines {
        let colour = resolve(l.colour);
        let points: Vec<(i32, i32)> = t_us.iter().zip(&l.values).map(|(t, v)| (x_of(*t as f64 / 1e6), y_of(*v))).collect();
        line(points, colour.stroke_width(2));
    }
    let _ = root.present();
}

/// The root font size in pixels (15, or more at a presenter scale).
fn font_size_px() -> f64 {
    web_sys::window()
        .and_then(|w| {
            let root = w.document()?.document_element()?;
            let size = w.get_computed_style(&root).ok().flatten()?.get_property_value("font-size").ok()?;
            crate::text::number(size.trim_end_matches("px"))
        })
        .unwrap_or(15.0)
}
