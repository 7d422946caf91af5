//! The reader of the contrast designs' sections: `services` (the `rest` and `events` designs),
//! `fraud` (the `batch` and `stream` designs) and the `crash_service` / `restart_service` actions.
//! Like the rest of `parse.rs` it reports every error with its JSON path and never panics; it lives
//! in its own file so the log and queue reader stays as it was.

use serde_json::Value;

use super::{index_path, key_path, quote, unknown_name, Obj, Reader, Refs, LONG_MS_MAX, MAX_DURATION_MS, MAX_KEYS};
use crate::scenario::contrasts::*;
use crate::scenario::model::{Action, Design, KeySpec, ProcessingSpec, ProducerSpec};

const SERVICES: &[&str] = &["list", "rest"];
const SERVICE: &[&str] = &["name", "processing_ms", "replicas", "concurrency", "calls"];
const REST: &[&str] = &["timeout.ms", "retries", "retry.backoff.ms", "max.connections"];
const FRAUD: &[&str] = &["cards", "threshold", "window.ms", "window", "advance.ms", "batch", "stream", "bursts", "random_bursts"];
const BATCH: &[&str] = &["interval.ms", "job.ms"];
const STREAM: &[&str] = &["commit.interval.ms"];
const BURST: &[&str] = &["at_ms", "payments", "spread_ms"];
const RANDOM_BURSTS: &[&str] = &["count", "payments", "spread_ms"];

/// Field names of these sections that contain a dot, for comparison files' `set` paths.
pub(super) const DOTTED: [&str; 8] = ["timeout.ms", "retry.backoff.ms", "max.connections", "window.ms", "advance.ms", "interval.ms", "job.ms", "commit.interval.ms"];

pub const MAX_SERVICES: usize = 64;
const MAX_REPLICAS: u32 = 256;
const MAX_CONCURRENCY: u32 = 4_096;
const MAX_BURSTS: usize = 10_000;
const MAX_BURST_PAYMENTS: u32 = 10_000;
const MAX_THRESHOLD: u32 = 10_000;
/// Hopping windows a payment belongs to (`window.ms / advance.ms`): each is a state store update.
const MAX_WINDOWS_PER_PAYMENT: u64 = 1_000;

impl Reader {
    /// The `services` section, and the names it gives `refs` for the timeline.
    pub(super) fn services_section(&mut self, top: &Obj, refs: &mut Refs) -> Option<ServicesSpec> {
        let v = top.get("services")?;
        let path = top.at("services");
        let o = self.object(v, &path, SERVICES, &[("rest", REST)]);
        o.map?;
        refs.services = Some(Vec::new());
        refs.services_complete = true;
        let mut list: Vec<ServiceSpec> = Vec::new();
        let lpath = o.at("list");
        let items = self.req(&o, "list", |r, v, p| r.array(v, p, "services", MAX_SERVICES).cloned());
        let items = items.unwrap_or_else(|| {
            refs.services_complete = false;
            Vec::new()
        });
        if items.is_empty() && o.has("list") && refs.services_complete {
            self.error(&lpath, "a services section needs at least one service (the first is where requests arrive)");
        }
        // Names first, so `calls` may name a service listed further down.
        let mut names: Vec<Option<String>> = Vec::new();
        for (i, item) in items.iter().enumerate() {
            let ipath = index_path(&lpath, i);
            let name = item.get("name").and_then(|n| if n.is_string() { self.name(n, &key_path(&ipath, "name")) } else { None });
            if let Some(n) = &name {
                if let Some(first) = names.iter().position(|m| m.as_deref() == Some(n.as_str())) {
                    self.error(key_path(&ipath, "name"), format!("duplicate service name {}: {lpath}[{first}] has it too", quote(n)));
                    names.push(None);
                    refs.services_complete = false;
                    continue;
                }
            } else {
                refs.services_complete = false;
            }
            names.push(name);
        }
        let known: Vec<String> = names.iter().flatten().cloned().collect();
        refs.services = Some(known.clone());
        for (i, item) in items.iter().enumerate() {
            let ipath = index_path(&lpath, i);
            let so = self.object(item, &ipath, SERVICE, &[]);
            if so.map.is_some() && !so.has("name") {
                self.error(so.at("name"), "missing required field \"name\"");
            } else if let Some(n) = so.get("name").filter(|n| !n.is_string()) {
                self.wrong_type(&so.at("name"), "a string", n);
            }
            let name = names[i].clone();
            let processing_ms = self.val(&so, "processing_ms", ProcessingSpec::Constant { mean: 0.0 }, |r, v, p| r.processing(v, p));
            let replicas = self.val(&so, "replicas", 1, |r, v, p| r.u32_in(v, p, 1, MAX_REPLICAS));
            let concurrency = self.val(&so, "concurrency", 8, |r, v, p| r.u32_in(v, p, 1, MAX_CONCURRENCY));
            let complete = refs.services_complete;
            let calls = self.val(&so, "calls", Vec::new(), |r, v, p| {
                r.distinct(
                    v,
                    p,
                    "calls",
                    MAX_SERVICES,
                    None,
                    |r, v, p| {
                        let c = r.string(v, p)?;
                        if complete && !known.contains(&c) {
                            let k: Vec<&str> = known.iter().map(String::as_str).collect();
                            r.error(p, unknown_name("service", "services", &c, &k));
                            return None;
                        }
                        if name.as_deref() == Some(c.as_str()) {
                            r.error(p, "a service cannot call itself");
                            return None;
                        }
                        Some(c)
                    },
                    |c, _| format!("service {} is listed twice", quote(c)),
                )
            });
            list.push(ServiceSpec { name: name.unwrap_or_default(), processing_ms, replicas, concurrency, calls });
        }
        // A cycle would make a synchronous request call itself forever.
        if refs.services_complete {
            if let Some(cycle) = find_cycle(&list) {
                let names: Vec<&str> = cycle.iter().map(|&i| list[i].name.as_str()).collect();
                self.error(key_path(&index_path(&lpath, cycle[0]), "calls"), format!("the calls form a cycle ({}): a request would never finish", names.join(" → ")));
            }
        }
        let rest = match o.get("rest") {
            Some(v) => self.rest_spec(v, &o.at("rest")),
            None => RestSpec::default(),
        };
        Some(ServicesSpec { list, rest })
    }

    fn rest_spec(&mut self, v: &Value, path: &str) -> RestSpec {
        let o = self.object(v, path, REST, &[]);
        let d = RestSpec::default();
        RestSpec {
            timeout_ms: self.val(&o, "timeout.ms", d.timeout_ms, |r, v, p| r.uint(v, p, 1, LONG_MS_MAX)),
            retries: self.val(&o, "retries", d.retries, |r, v, p| r.u32_in(v, p, 0, 100)),
            retry_backoff_ms: self.val(&o, "retry.backoff.ms", d.retry_backoff_ms, |r, v, p| r.uint(v, p, 0, LONG_MS_MAX)),
            max_connections: self.val(&o, "max.connections", d.max_connections, |r, v, p| r.u32_in(v, p, 1, 1_000_000)),
        }
    }

    /// The `fraud` section. `producers` give the default card count (their key count).
    pub(super) fn fraud_section(&mut self, top: &Obj, producers: &[ProducerSpec], duration_ms: u64) -> Option<FraudSpec> {
        let v = top.get("fraud")?;
        let path = top.at("fraud");
        let o = self.object(v, &path, FRAUD, &[("batch", BATCH), ("stream", STREAM)]);
        o.map?;
        let default_cards = match producers.first().map(|p| &p.keys) {
            Some(KeySpec::Uniform { count } | KeySpec::Zipf { count, .. } | KeySpec::Hot { count, .. }) => *count,
            _ => 1_000,
        };
        let cards = self.val(&o, "cards", default_cards, |r, v, p| r.u32_in(v, p, 1, MAX_KEYS));
        let threshold = self.req(&o, "threshold", |r, v, p| r.u32_in(v, p, 1, MAX_THRESHOLD));
        let window_ms = self.req(&o, "window.ms", |r, v, p| r.uint(v, p, 1, MAX_DURATION_MS));
        let window = self.val(&o, "window", WindowKind::Tumbling, |r, v, p| r.choice(v, p, &[("tumbling", WindowKind::Tumbling), ("hopping", WindowKind::Hopping)]));
        let advance_ms = match o.get("advance.ms") {
            None => {
                if window == WindowKind::Hopping {
                    self.error(o.at("advance.ms"), "a hopping window needs \"advance.ms\" (how far apart window starts are)");
                }
                None
            }
            Some(v) => {
                let p = o.at("advance.ms");
                let a = self.uint(v, &p, 1, MAX_DURATION_MS);
                match (window, a, window_ms) {
                    (WindowKind::Tumbling, Some(_), _) => {
                        self.error(&p, "\"advance.ms\" is for hopping windows; a tumbling window advances by its size (set \"window\": \"hopping\")");
                        None
                    }
                    (_, Some(a), Some(w)) if a > w => {
                        self.error(&p, format!("the advance ({a} ms) must not exceed the window ({w} ms): payments between windows would never be counted"));
                        None
                    }
                    (_, Some(a), Some(w)) if w.div_ceil(a) > MAX_WINDOWS_PER_PAYMENT => {
                        self.error(&p, format!("window.ms / advance.ms is {}: every payment would update that many windows; at most {MAX_WINDOWS_PER_PAYMENT} are allowed", w.div_ceil(a)));
                        None
                    }
                    _ => a,
                }
            }
        };
        let batch = match o.get("batch") {
            None => BatchSpec::default(),
            Some(v) => {
                let bpath = o.at("batch");
                let bo = self.object(v, &bpath, BATCH, &[]);
                let d = BatchSpec::default();
                let interval_ms = self.val(&bo, "interval.ms", d.interval_ms, |r, v, p| r.uint(v, p, 1, MAX_DURATION_MS));
                let job_ms = self.val(&bo, "job.ms", d.job_ms, |r, v, p| r.uint(v, p, 0, MAX_DURATION_MS));
                if job_ms >= interval_ms {
                    self.error(bo.at(if bo.has("job.ms") { "job.ms" } else { "interval.ms" }), format!("a batch job must end before the next one starts: job.ms {job_ms} is not less than interval.ms {interval_ms}"));
                }
                BatchSpec { interval_ms, job_ms }
            }
        };
        let stream = match o.get("stream") {
            None => StreamSpec::default(),
            Some(v) => {
                let so = self.object(v, &o.at("stream"), STREAM, &[]);
                StreamSpec { commit_interval_ms: self.val(&so, "commit.interval.ms", StreamSpec::default().commit_interval_ms, |r, v, p| r.uint(v, p, 0, MAX_DURATION_MS)) }
            }
        };
        let bursts = match o.get("bursts") {
            None => Vec::new(),
            Some(v) => {
                let bpath = o.at("bursts");
                let items = self.array(v, &bpath, "bursts", MAX_BURSTS).cloned().unwrap_or_default();
                let mut out = Vec::new();
                for (i, item) in items.iter().enumerate() {
                    let ipath = index_path(&bpath, i);
                    let bo = self.object(item, &ipath, BURST, &[]);
                    let at_ms = self.req(&bo, "at_ms", |r, v, p| {
                        let t = r.uint(v, p, 0, LONG_MS_MAX)?;
                        if t >= duration_ms {
                            r.error(p, format!("the run lasts {duration_ms} ms (duration_ms), so a burst at {t} ms never happens"));
                            return None;
                        }
                        Some(t)
                    });
                    let (payments, spread_ms) = self.burst_shape(&bo, threshold, window_ms);
                    if let (Some(at_ms), Some(payments), Some(spread_ms)) = (at_ms, payments, spread_ms) {
                        out.push(BurstSpec { at_ms, payments, spread_ms });
                    }
                }
                out
            }
        };
        let random_bursts = match o.get("random_bursts") {
            None => None,
            Some(v) => {
                let ro = self.object(v, &o.at("random_bursts"), RANDOM_BURSTS, &[]);
                let count = self.req(&ro, "count", |r, v, p| r.u32_in(v, p, 0, MAX_BURSTS as u32));
                let (payments, spread_ms) = self.burst_shape(&ro, threshold, window_ms);
                match (count, payments, spread_ms) {
                    (Some(count), Some(payments), Some(spread_ms)) => Some(RandomBursts { count, payments, spread_ms }),
                    _ => None,
                }
            }
        };
        Some(FraudSpec { cards, threshold: threshold?, window_ms: window_ms?, window, advance_ms, batch, stream, bursts, random_bursts })
    }

    /// A burst's `payments` (more than the threshold, else it breaks no rule) and `spread_ms`
    /// (less than the window, else its payments need not fall within one window).
    fn burst_shape(&mut self, o: &Obj, threshold: Option<u32>, window_ms: Option<u64>) -> (Option<Option<u32>>, Option<u64>) {
        let payments = self.opt(o, "payments", None, |r, v, p| {
            let n = r.u32_in(v, p, 1, MAX_BURST_PAYMENTS)?;
            match threshold {
                Some(k) if n <= k => {
                    r.error(p, format!("a burst of {n} payments does not break the rule (more than {k} within the window); give at least {}", k + 1));
                    None
                }
                _ => Some(Some(n)),
            }
        });
        let spread_ms = self.opt(o, "spread_ms", 0, |r, v, p| {
            let s = r.uint(v, p, 0, LONG_MS_MAX)?;
            match window_ms {
                Some(w) if s >= w => {
                    r.error(p, format!("a burst spread over {s} ms does not fit in the {w} ms window: make it shorter than window.ms"));
                    None
                }
                _ => Some(s),
            }
        });
        (payments, spread_ms)
    }

    /// Each design's section must be there, and requests or payments must come from somewhere.
    pub(super) fn check_contrast_design(&mut self, top: &Obj, design: Design, has_services: bool, has_fraud: bool, no_producers: bool) {
        if top.map.is_none() {
            return;
        }
        match design {
            Design::Rest | Design::Events if !has_services && !top.has("services") => {
                self.error(top.at("services"), format!("the {} design needs a \"services\" section: {{\"list\": [{{\"name\": …, \"calls\": […]}}], \"rest\": {{…}}}}", design.name()));
            }
            Design::Batch | Design::Stream if !has_fraud && !top.has("fraud") => {
                self.error(top.at("fraud"), format!("the {} design needs a \"fraud\" section: {{\"threshold\": K, \"window.ms\": W, …}}", design.name()));
            }
            _ => {}
        }
        if matches!(design, Design::Rest | Design::Events | Design::Batch | Design::Stream) && no_producers && !top.has("producers") {
            let what = if matches!(design, Design::Rest | Design::Events) { "each record a producer sends is a request at the first service" } else { "each record a producer sends is a payment, its key the card" };
            self.error(top.at("producers"), format!("the {} design needs at least one producer: {what}", design.name()));
        }
    }

    /// `crash_service` / `restart_service`: a service of the `services` section.
    pub(super) fn service_action(&mut self, name: &str, o: &Obj, refs: &Refs) -> Option<Action> {
        let Some(known) = &refs.services else {
            if o.map.is_some() {
                self.error(o.at("action"), format!("{name} needs a \"services\" section (the rest and events designs); this scenario has no services"));
            }
            return None;
        };
        let service = self.req(o, "service", |r, v, p| {
            let s = r.string(v, p)?;
            if refs.services_complete && !known.contains(&s) {
                let k: Vec<&str> = known.iter().map(String::as_str).collect();
                r.error(p, unknown_name("service", "services", &s, &k));
                return None;
            }
            Some(s)
        })?;
        Some(if name == "crash_service" { Action::CrashService { service } } else { Action::RestartService { service } })
    }
}

/// A cycle in the call graph, as service indices (first repeated at the end), if there is one.
fn find_cycle(list: &[ServiceSpec]) -> Option<Vec<usize>> {
    let index = |n: &str| list.iter().position(|s| s.name == n);
    // 0 unvisited, 1 on the stack, 2 done; iterative depth-first search in list order.
    let mut state = vec![0u8; list.len()];
    for start in 0..list.len() {
        if state[start] != 0 {
            continue;
        }
        let mut stack: Vec<(usize, usize)> = vec![(start, 0)];
        state[start] = 1;
        while let Some(&(node, next)) = stack.last() {
            let calls = &list[node].calls;
            if next >= calls.len() {
                state[node] = 2;
                stack.pop();
                continue;
            }
            if let Some(top) = stack.last_mut() {
                top.1 += 1;
            }
            let Some(ci) = index(calls[next].as_str()) else { continue };
            match state[ci] {
                0 => {
                    state[ci] = 1;
                    stack.push((ci, 0));
                }
                1 => {
                    let from = stack.iter().position(|&(n, _)| n == ci).unwrap_or(0);
                    let mut cycle: Vec<usize> = stack[from..].iter().map(|&(n, _)| n).collect();
                    cycle.push(ci);
                    return Some(cycle);
                }
                _ => {}
            }
        }
    }
    None
}
