//! The comparison view: two to four runs of one workload, one design difference each, on one
//! shared clock; a shared bar (pick a ready-made comparison or open a file, play, speed, a fault for
//! every run or for one), a card per run, the scorecard (rows that differ marked ≠) and the runs
//! overlaid on charts. A what-if branch opens here too: the single run so far, replayed into runs A
//! and B that share their past exactly.
//!
//! The runs, the view's state and its rendering all live in a web worker (`crate::lab`, every
//! design's engine), which the page starts when this view opens and stops when it closes: the page
//! stays responsive while four simulators work, and the app's own wasm carries none of it. This
//! component only hosts the worker's HTML (controls and body, each replaced when the worker sends
//! it; the focused control keeps focus) and forwards the user's clicks (`data-req`: a request
//! written by the worker) and changes (`data-field`) to it.

use std::cell::RefCell;
use std::rc::Rc;

use gloo::events::EventListener;
use wasm_bindgen::JsCast;
use web_sys::{Element, HtmlElement, HtmlInputElement, HtmlSelectElement};
use yew::prelude::*;

use super::lab_client::{failed, request_text, LabClient, Reply};

/// How the view starts: with the picker, or with a what-if branch of this session (its JSON).
#[derive(Clone, PartialEq)]
pub enum Start {
    Pick,
    Branch(Rc<String>),
}

#[derive(Properties, PartialEq)]
pub struct CompareProps {
    pub start: Start,
    pub on_close: Callback<()>,
}

/// Put the worker's HTML in place; the control that had focus (by id) gets it back.
fn replace(node: &NodeRef, html: &str) {
    let Some(el) = node.cast::<Element>() else { return };
    let doc = web_sys::window().and_then(|w| w.document());
    let focused = doc.as_ref().and_then(|d| d.active_element()).map(|e| e.id()).filter(|id| !id.is_empty());
    el.set_inner_html(html);
    if let (Some(id), Some(doc)) = (focused, doc) {
        if let Some(e) = doc.get_element_by_id(&id).and_then(|e| e.dyn_into::<HtmlElement>().ok()) {
            let _ = e.focus();
        }
    }
}

#[component]
pub fn CompareView(props: &CompareProps) -> Html {
    let root = use_node_ref();
    let controls = use_node_ref();
    let body = use_node_ref();
    let client: Rc<RefCell<Option<LabClient>>> = use_mut_ref(|| None);
    {
        let (root, controls, body, client) = (root.clone(), controls.clone(), body.clone(), client.clone());
        let start = props.start.clone();
        let on_close = props.on_close.clone();
        use_effect_with((), move |_| {
            replace(&controls, "<p class=\"status\" role=\"status\" data-testid=\"compare-status\">Starting the comparison engine…</p>");
            let on_reply = {
                let (client, controls, body) = (client.clone(), controls.clone(), body.clone());
                Callback::from(move |r: Reply| {
                    if r.kind == "ready" {
                        if let Some(c) = client.borrow().as_ref() {
                            c.send_text(&request_text("show", &[]));
                            if let Start::Branch(session) = &start {
                                c.send_text(&request_text("branch", &[("session", session)]));
                            }
                        }
                        return;
                    }
                    match (&r.controls, r.kind.as_str()) {
                        (Some(html), _) => replace(&controls, html),
                        // A failure on this side (the worker could not start, or stopped).
                        // Its text goes in as text, not HTML (it may hold a file's name).
                        (None, "failed") => {
                            replace(&controls, "<div class=\"errors\" role=\"alert\" data-testid=\"compare-errors\"></div>");
                            if let Some(box_) = controls.cast::<Element>().and_then(|c| c.first_element_child()) {
                                box_.set_text_content(Some(&r.errors.join("\n")));
                            }
                        }
                        _ => {}
                    }
                    if let Some(html) = &r.body {
                        replace(&body, html);
                    }
                })
            };
            match LabClient::start(on_reply.clone()) {
                Ok(c) => *client.borrow_mut() = Some(c),
                Err(e) => on_reply.emit(failed(e)),
            }
            let listeners = root.cast::<Element>().map(|el| {
                let clicks = {
                    let client = client.clone();
                    EventListener::new(&el, "click", move |e| {
                        let Some(target) = e.target().and_then(|t| t.dyn_into::<Element>().ok()) else { return };
                        let Ok(Some(control)) = target.closest("[data-req], [data-close]") else { return };
                        if control.has_attribute("data-close") {
                            on_close.emit(());
                        } else if let (Some(req), Some(c)) = (control.get_attribute("data-req"), client.borrow().as_ref()) {
                            c.send_text(&req);
                        }
                    })
                };
                let changes = {
                    let client = client.clone();
                    EventListener::new(&el, "change", move |e| {
                        let Some(target) = e.target().and_then(|t| t.dyn_into::<Element>().ok()) else { return };
                        let Some(field) = target.get_attribute("data-field") else { return };
                        if field == "file" {
                            let Some(input) = target.dyn_ref::<HtmlInputElement>() else { return };
                            let Some(file) = input.files().and_then(|f| f.get(0)) else { return };
                            input.set_value("");
                            let client = client.clone();
                            wasm_bindgen_futures::spawn_local(async move {
                                let text = wasm_bindgen_futures::JsFuture::from(file.text()).await.ok().and_then(|v| v.as_string());
                                if let Some(c) = client.borrow().as_ref() {
                                    // The worker checks the size and the content, and says what is wrong.
                                    c.send_text(&request_text("open_text", &[("text", &text.unwrap_or_default())]));
                                }
                            });
                        } else if let (Some(select), Some(c)) = (target.dyn_ref::<HtmlSelectElement>(), client.borrow().as_ref()) {
                            c.send_text(&request_text("set", &[("field", &field), ("value", &select.value())]));
                        }
                    })
                };
                (clicks, changes)
            });
            move || {
                drop(listeners);
                drop(client.borrow_mut().take());
            }
        });
    }
    html! {
        <section class="panel compare" ref={root} aria-labelledby="compare-title" data-testid="compare">
            <div class="compare-controls" ref={controls}></div>
            <div class="compare-body" ref={body}></div>
        </section>
    }
}
