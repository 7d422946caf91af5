//! Comparison files: one base scenario and variants of it, each variant a list of field overrides, so
//! an architect can run the same seeded workload on a log and on a queue (or with `acks=1` and
//! `acks=all`) and read the differences side by side (`streamlab compare`).
//!
//! ```json
//! { "name": "log-vs-queue", "description": "…",
//!   "base": { …a scenario… } or "mm1" (a built-in scenario's name),
//!   "variants": [ { "label": "kafka", "set": {} },
//!                 { "label": "rabbitmq", "set": { "design": "queue", "queue.prefetch": 10,
//!                                                 "producers[0].config.acks": "all" } } ] }
//! ```
//!
//! Every variant is one run; a variant with an empty `set` runs the base as it is. A path in `set`
//! names a field of the scenario: object keys separated by dots, array elements by `[i]`; a key
//! that itself contains dots is written as one of the scenario format's own names (`linger.ms`,
//! `group.id`, `queue.type` are recognised) or quoted in brackets (`config["max.poll.records"]`),
//! the form error messages use. A leading `$` or `$.` is allowed. Missing objects on the way are
//! created; an index past the end of an array is an error. The result is read by `parse_scenario`,
//! so every override is checked as if it had been written in the file, and errors name the variant.
//! Nothing here panics on bad input.

use serde_json::{Map, Value};

use super::parse::{known_dotted_names, parse_scenario, ScenarioError};
use super::Scenario;

/// At most this many variants in one comparison (each is a full run).
pub const MAX_VARIANTS: usize = 16;
const MAX_SETS: usize = 256;

/// A comparison ready to run: a name, a description, and labelled scenarios.
#[derive(Clone, Debug, PartialEq)]
pub struct Comparison {
    pub name: String,
    pub description: String,
    pub runs: Vec<(String, Scenario)>,
}

/// Does this JSON text look like a comparison file (an object with `variants`)? Syntax errors are
/// left to the reader that follows.
pub fn is_comparison(json: &str) -> bool {
    matches!(serde_json::from_str::<Value>(json), Ok(Value::Object(m)) if m.contains_key("variants"))
}

fn err(path: impl Into<String>, message: impl Into<String>) -> ScenarioError {
    ScenarioError { path: path.into(), message: message.into() }
}

/// Reads a comparison file. `builtin` resolves a base given by name to its JSON text.
pub fn parse_comparison(json: &str, builtin: impl Fn(&str) -> Option<&'static str>) -> Result<Comparison, Vec<ScenarioError>> {
    let value: Value = serde_json::from_str(json).map_err(|e| vec![err("$", format!("invalid JSON at line {}, column {}: {e}", e.line(), e.column()))])?;
    let Value::Object(top) = value else {
        return Err(vec![err("$", "expected an object with \"base\" and \"variants\"")]);
    };
    let mut errors = Vec::new();
    for key in top.keys() {
        if !["name", "description", "base", "variants"].contains(&key.as_str()) {
            errors.push(err(format!("$.{key}"), format!("unknown field \"{key}\"; expected one of \"name\", \"description\", \"base\", \"variants\"")));
        }
    }
    let text = |k: &str, errors: &mut Vec<ScenarioError>| match top.get(k) {
        None => String::new(),
        Some(Value::String(s)) => s.clone(),
        Some(_) => {
            errors.push(err(format!("$.{k}"), "expected a string"));
            String::new()
        }
    };
    let name = text("name", &mut errors);
    let description = text("description", &mut errors);
    let base: Option<Value> = match top.get("base") {
        None => {
            errors.push(err("$.base", "missing required field \"base\" (a scenario object, or a built-in scenario's name)"));
            None
        }
        Some(Value::String(n)) => match builtin(n) {
            Some(t) => match serde_json::from_str(t) {
                Ok(v) => Some(v),
                Err(e) => {
                    errors.push(err("$.base", format!("built-in scenario \"{n}\" is not valid JSON: {e}")));
                    None
                }
            },
            None => {
                errors.push(err("$.base", format!("unknown built-in scenario \"{n}\"; `streamlab list` shows them")));
                None
            }
        },
        Some(v @ Value::Object(_)) => Some(v.clone()),
        Some(_) => {
            errors.push(err("$.base", "expected a scenario object or a built-in scenario's name"));
            None
        }
    };
    let variants: &[Value] = match top.get("variants") {
        Some(Value::Array(v)) if v.is_empty() => {
            errors.push(err("$.variants", "a comparison needs at least one variant (an empty \"set\" runs the base)"));
            &[]
        }
        Some(Value::Array(v)) if v.len() > MAX_VARIANTS => {
            errors.push(err("$.variants", format!("too many variants: {}; at most {MAX_VARIANTS} are allowed", v.len())));
            &[]
        }
        Some(Value::Array(v)) => v,
        Some(_) => {
            errors.push(err("$.variants", "expected an array of { \"label\", \"set\" }"));
            &[]
        }
        None => {
            errors.push(err("$.variants", "missing required field \"variants\""));
            &[]
        }
    };
    let mut runs = Vec::new();
    let mut labels: Vec<String> = Vec::new();
    for (i, v) in variants.iter().enumerate() {
        let vpath = format!("$.variants[{i}]");
        let Value::Object(vo) = v else {
            errors.push(err(&vpath, "expected an object { \"label\", \"set\" }"));
            continue;
        };
        for key in vo.keys() {
            if key != "label" && key != "set" {
                errors.push(err(format!("{vpath}.{key}"), format!("unknown field \"{key}\"; expected \"label\" or \"set\"")));
            }
        }
        let label = match vo.get("label") {
            Some(Value::String(s)) if !s.is_empty() => s.clone(),
            Some(_) => {
                errors.push(err(format!("{vpath}.label"), "expected a non-empty string"));
                continue;
            }
            None => {
                errors.push(err(format!("{vpath}.label"), "missing required field \"label\""));
                continue;
            }
        };
        if let Some(first) = labels.iter().position(|l| *l == label) {
            errors.push(err(format!("{vpath}.label"), format!("duplicate label \"{label}\": $.variants[{first}] has it too")));
            continue;
        }
        labels.push(label.clone());
        let sets = match vo.get("set") {
            None => Map::new(),
            Some(Value::Object(m)) if m.len() > MAX_SETS => {
                errors.push(err(format!("{vpath}.set"), format!("too many overrides: {}; at most {MAX_SETS}", m.len())));
                continue;
            }
            Some(Value::Object(m)) => m.clone(),
            Some(_) => {
                errors.push(err(format!("{vpath}.set"), "expected an object mapping a field path to its new value"));
                continue;
            }
        };
        let Some(mut scenario) = base.clone() else { continue };
        let mut ok = true;
        for (path, value) in &sets {
            let at = format!("{vpath}.set[{}]", serde_json::to_string(path).unwrap_or_default());
            if let Err(e) = set_path(&mut scenario, path, value.clone()) {
                errors.push(err(at, e));
                ok = false;
            }
        }
        if !ok {
            continue;
        }
        match parse_scenario(&scenario.to_string()) {
            Ok(s) => runs.push((label, s)),
            Err(es) => {
                for e in es {
                    errors.push(err(format!("{vpath} (\"{label}\"): {}", e.path), e.message));
                }
            }
        }
    }
    if errors.is_empty() {
        Ok(Comparison { name, description, runs })
    } else {
        Err(errors)
    }
}

/// One step of a path: an object key or an array index.
#[derive(Clone, Debug, PartialEq)]
pub enum Step {
    Key(String),
    Index(usize),
}

/// Splits a `set` path into steps (see the module's documentation for the syntax).
pub fn parse_path(path: &str) -> Result<Vec<Step>, String> {
    let p = path.strip_prefix('$').unwrap_or(path);
    let p = p.strip_prefix('.').unwrap_or(p);
    if p.is_empty() {
        return Err("empty path: name a field, e.g. \"design\" or \"producers[0].config.acks\"".into());
    }
    let dotted = known_dotted_names();
    let mut steps = Vec::new();
    let mut rest = p;
    let mut expect_key = true;
    while !rest.is_empty() {
        if let Some(r) = rest.strip_prefix('[') {
            let close = r.find(']').ok_or_else(|| format!("unclosed '[' in path {path:?}"))?;
            let inner = &r[..close];
            if let Some(q) = inner.strip_prefix('"') {
                let key = q.strip_suffix('"').ok_or_else(|| format!("unclosed quote in path {path:?}"))?;
                steps.push(Step::Key(key.to_string()));
            } else {
                let i: usize = inner.parse().map_err(|_| format!("expected an array index or a quoted key in brackets, got [{inner}] in path {path:?}"))?;
                steps.push(Step::Index(i));
            }
            rest = &r[close + 1..];
            expect_key = false;
            continue;
        }
        if let Some(r) = rest.strip_prefix('.') {
            if expect_key {
                return Err(format!("empty field name in path {path:?}"));
            }
            rest = r;
            expect_key = true;
            continue;
        }
        if !expect_key {
            return Err(format!("expected '.' or '[' in path {path:?} before {rest:?}"));
        }
        // A key runs to the next '.' or '['; the longest of the format's dotted names wins.
        let end = rest.find(['.', '[']).unwrap_or(rest.len());
        let mut key = &rest[..end];
        for &d in &dotted {
            if d.len() > key.len() && rest.starts_with(d) && rest[d.len()..].chars().next().is_none_or(|c| c == '.' || c == '[') {
                key = d;
            }
        }
        if key.is_empty() {
            return Err(format!("empty field name in path {path:?}"));
        }
        if key.contains([']', '"']) {
            return Err(format!("unexpected character in field name {key:?} of path {path:?}; quote a key in brackets: [\"{key}\"]"));
        }
        steps.push(Step::Key(key.to_string()));
        rest = &rest[key.len()..];
        expect_key = false;
    }
    if expect_key {
        return Err(format!("path {path:?} ends with '.'"));
    }
    Ok(steps)
}

/// Sets the field at `path` in `doc` to `value`, creating missing objects on the way.
pub fn set_path(doc: &mut Value, path: &str, value: Value) -> Result<(), String> {
    let steps = parse_path(path)?;
    let mut cur = doc;
    let mut here = String::from("$");
    for (i, step) in steps.iter().enumerate() {
        let last = i + 1 == steps.len();
        match step {
            Step::Key(k) => {
                if cur.is_null() {
                    *cur = Value::Object(Map::new());
                }
                let Value::Object(m) = cur else {
                    return Err(format!("{here} is not an object, so it has no field \"{k}\""));
                };
                if last {
                    m.insert(k.clone(), value);
                    return Ok(());
                }
                here = format!("{here}.{k}");
                cur = m.entry(k.clone()).or_insert(Value::Null);
            }
            Step::Index(idx) => {
                let Value::Array(a) = cur else {
                    return Err(format!("{here} is not an array, so it has no element [{idx}]"));
                };
                let len = a.len();
                let Some(slot) = a.get_mut(*idx) else {
                    return Err(format!("index [{idx}] is out of range: {here} has {len} element{}", if len == 1 { "" } else { "s" }));
                };
                if last {
                    *slot = value;
                    return Ok(());
                }
                here = format!("{here}[{idx}]");
                cur = slot;
            }
        }
    }
    Ok(())
}
