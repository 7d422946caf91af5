//! The native `streamlab` command: a thin shell over the scenario reader and the engine. It reads files,
//! prints, and turns every failure into a message and an exit code (0 ok, 1 bad scenario or unreadable
//! file, 2 bad command line); it never panics on user input. `run` prints `SEED=<n>` on stderr before
//! anything else (TigerBeetle's habit), so every run can be reproduced; with `--json` stdout carries
//! exactly one JSON object and nothing else.

use clap::{Parser, Subcommand};

use crate::engine::partitioner::partition_for_key;
use crate::engine::Sim;
use crate::scenario::builtin::{builtin, BUILTIN};
use crate::text::first_sentence;
use crate::scenario::{parse_scenario, parse_session, Design, Scenario, ScenarioError, Session, StopAt};

#[derive(Parser)]
#[command(
    name = "streamlab",
    version,
    about = "A deterministic simulator of a Kafka cluster"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run a scenario and print its report. FILE is a path or the name of a built-in scenario, a
    /// session file exported by the app (a scenario with the actions a person applied), or a share
    /// link copied from the app (quote it): a session's actions are replayed where they were applied
    /// and the run stops where the session stopped, so the trace hash is the one the page showed.
    Run {
        file: String,
        /// Use this seed instead of the scenario's.
        #[arg(long)]
        seed: Option<u64>,
        /// Stop at this simulated time (ms) instead of the scenario's duration_ms (or the session's stop).
        #[arg(long = "until-ms")]
        until_ms: Option<u64>,
        /// Print the report as one JSON object on stdout.
        #[arg(long)]
        json: bool,
    },
    /// Check a scenario: print every error on stdout, one per line as `path: message`, and exit 1;
    /// print nothing and exit 0 when it is valid. FILE is a path or a built-in scenario's name.
    Validate { file: String },
    /// Print the partition Kafka's default partitioner picks for each KEY, one `key partition` line
    /// each (murmur2 of the UTF-8 bytes, as the Java producer does). Put `--` before keys that start with '-'.
    Partition {
        /// Number of partitions of the topic (at least 1).
        #[arg(long)]
        partitions: u32,
        #[arg(required = true)]
        keys: Vec<String>,
    },
    /// Run one invocation of a Kafka partition assignor and print the assignment as one JSON object
    /// (member id -> ["topic-partition", ...]). FILE (or - for stdin) holds {"topics": {"t0": 3},
    /// "members": [{"member_id": "C0", "group_instance_id": null, "subscription": ["t0"],
    /// "owned": ["t0-0"], "generation": 1}]}. For cooperative-sticky it prints that one round:
    /// partitions changing owner are withheld.
    Assign {
        /// range, roundrobin, sticky or cooperative-sticky (Kafka's class names work too).
        #[arg(long)]
        strategy: String,
        file: String,
    },
    /// Run several scenarios (any design) and print a scorecard, one column per run. Each
    /// FILE is a scenario file, a built-in scenario's name, or a comparison file (a base scenario and
    /// variants of it, each one run).
    Compare {
        #[arg(required = true)]
        files: Vec<String>,
        /// Use this seed for every run instead of the scenarios' own.
        #[arg(long)]
        seed: Option<u64>,
        /// Stop every run at this simulated time (ms).
        #[arg(long = "until-ms")]
        until_ms: Option<u64>,
        /// Print {"runs": [{"name", "report"}...], "differences": [...]} as one JSON object.
        #[arg(long)]
        json: bool,
    },
    /// Run the engine benchmark and print its figures.
    Bench,
    /// List the built-in scenarios with their descriptions.
    List,
}

/// Runs the command line and returns the process exit code.
pub fn main() -> i32 {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            // clap prints help and version on stdout (exit 0) and usage errors on stderr (exit 2).
            let _ = e.print();
            return e.exit_code();
        }
    };
    match cli.command {
        Command::Run {
            file,
            seed,
            until_ms,
            json,
        } => run(&file, seed, until_ms, json),
        Command::Validate { file } => validate(&file),
        Command::Compare { files, seed, until_ms, json } => compare(&files, seed, until_ms, json),
        Command::Partition { partitions, keys } => partition(partitions, &keys),
        Command::Assign { strategy, file } => assign(&strategy, &file),
        Command::Bench => {
            print!("{}", crate::bench::run());
            0
        }
        Command::List => list(),
    }
}

/// The scenario text: the file at `file`, else the built-in scenario of that name.
fn read_source(file: &str) -> Result<String, String> {
    match std::fs::read_to_string(file) {
        Ok(text) => Ok(text),
        Err(e) => match builtin(file).or_else(|| crate::scenario::builtin::builtin_comparison(file)) {
            Some(text) => Ok(text.to_string()),
            None => Err(format!(
                "cannot read {file}: {e} (nor is it a built-in scenario or a ready-made comparison; `streamlab list` shows those)"
            )),
        },
    }
}

fn load(file: &str) -> Result<Session, Vec<String>> {
    // A share link copied from the app (`http://…/#s1=…`) holds a whole session.
    if file.contains("#s1=") {
        let fragment = crate::scenario::share::fragment_of(file);
        return crate::scenario::share::decode_fragment(fragment).map_err(|errors| errors.iter().map(ScenarioError::to_string).collect());
    }
    let text = read_source(file).map_err(|e| vec![e])?;
    parse_session(&text).map_err(|errors| errors.iter().map(ScenarioError::to_string).collect())
}

fn run(file: &str, seed: Option<u64>, until_ms: Option<u64>, json: bool) -> i32 {
    let mut session = match load(file) {
        Ok(s) => s,
        Err(errors) => {
            for e in errors {
                eprintln!("{e}");
            }
            return 1;
        }
    };
    if let Some(seed) = seed {
        if !session.actions.is_empty() && seed != session.scenario.seed {
            eprintln!(
                "error: --seed {seed} cannot be used with this session: its {} actions were recorded on a run with seed {}",
                session.actions.len(),
                session.scenario.seed
            );
            return 2;
        }
        session.scenario.seed = seed;
    }
    eprintln!("SEED={}", session.scenario.seed);
    if session.scenario.design != Design::Log {
        // The other designs run on their own engines; sessions record actions on the log's only.
        if !session.actions.is_empty() || session.stop.is_some() {
            eprintln!("error: this session's scenario has \"design\": \"{}\"; sessions replay the log design only", session.scenario.design.name());
            return 1;
        }
        return print_report(&crate::engine::report::run_report(&session.scenario, until_ms), json);
    }
    let stop = match until_ms {
        Some(ms) => {
            let t_us = ms.saturating_mul(1000);
            session.actions.retain(|a| a.t_us <= t_us);
            Some(StopAt { t_us, events: 0 })
        }
        None => session.stop.or(Some(StopAt { t_us: session.scenario.duration_ms.saturating_mul(1000), events: 0 })),
    };
    let sim = Sim::replay(&session.scenario, &session.actions, stop);
    if !session.actions.is_empty() || session.stop.is_some() {
        eprintln!(
            "session: {} action{} replayed; stopped at {} µs after {} events",
            session.actions.len(),
            if session.actions.len() == 1 { "" } else { "s" },
            sim.now_us(),
            sim.events()
        );
    }
    let report = crate::engine::report::Report::from_sim(&sim);
    // The process ends right after: freeing every batch of the log one by one would cost more
    // than a tenth of a short run.
    std::mem::forget(sim);
    print_report(&report, json)
}

fn print_report(report: &crate::engine::report::Report, json: bool) -> i32 {
    if json {
        match serde_json::to_string(report) {
            Ok(text) => println!("{text}"),
            Err(e) => {
                eprintln!("cannot write the report as JSON: {e}");
                return 1;
            }
        }
    } else {
        println!("{}", report.to_text());
    }
    0
}

/// The runs a `compare` argument stands for: one scenario, or every variant of a comparison file.
fn load_runs(file: &str) -> Result<Vec<(String, Scenario)>, Vec<String>> {
    use crate::scenario::comparison::{is_comparison, parse_comparison};
    let text = read_source(file).map_err(|e| vec![e])?;
    if is_comparison(&text) {
        let c = parse_comparison(&text, builtin).map_err(|es| es.iter().map(|e| format!("{file}: {e}")).collect::<Vec<_>>())?;
        Ok(c.runs)
    } else {
        let s = parse_scenario(&text).map_err(|es| es.iter().map(|e| format!("{file}: {e}")).collect::<Vec<_>>())?;
        Ok(vec![(s.name.clone(), s)])
    }
}

fn compare(files: &[String], seed: Option<u64>, until_ms: Option<u64>, json: bool) -> i32 {
    use crate::engine::compare::{compare, NamedReport};
    // Read and check everything before running anything.
    let mut runs: Vec<(String, Scenario)> = Vec::new();
    let mut failed = false;
    for file in files {
        match load_runs(file) {
            Ok(rs) => {
                for (mut name, s) in rs {
                    // Two runs with one name get "#2", "#3" … so the columns stay apart.
                    let base = name.clone();
                    let mut n = 1;
                    while runs.iter().any(|(m, _)| *m == name) {
                        n += 1;
                        name = format!("{base}#{n}");
                    }
                    runs.push((name, s));
                }
            }
            Err(errors) => {
                failed = true;
                for e in errors {
                    eprintln!("{e}");
                }
            }
        }
    }
    if failed {
        return 1;
    }
    let mut reports = Vec::new();
    for (name, mut scenario) in runs {
        if let Some(seed) = seed {
            scenario.seed = seed;
        }
        eprintln!("SEED={} ({name})", scenario.seed);
        let report = crate::engine::report::run_report(&scenario, until_ms);
        reports.push(NamedReport { name, report });
    }
    let result = compare(reports);
    if json {
        match serde_json::to_string(&result) {
            Ok(text) => println!("{text}"),
            Err(e) => {
                eprintln!("cannot write the comparison as JSON: {e}");
                return 1;
            }
        }
    } else {
        print!("{}", result.to_text());
    }
    0
}

fn validate(file: &str) -> i32 {
    // A file that cannot be read is not a scenario error: that message goes to stderr.
    let text = match read_source(file) {
        Ok(text) => text,
        Err(e) => {
            eprintln!("{e}");
            return 1;
        }
    };
    match parse_session(&text) {
        Ok(_) => 0,
        Err(errors) => {
            for e in errors {
                println!("{e}");
            }
            1
        }
    }
}

fn assign(strategy: &str, file: &str) -> i32 {
    use crate::engine::assignor::{self, AssignInput, Strategy};
    let Some(strategy) = Strategy::from_name(strategy) else {
        eprintln!("error: unknown --strategy \"{strategy}\"; expected range, roundrobin, sticky or cooperative-sticky (or Kafka's class names)");
        return 2;
    };
    let text = if file == "-" {
        let mut s = String::new();
        match std::io::Read::read_to_string(&mut std::io::stdin(), &mut s) {
            Ok(_) => s,
            Err(e) => {
                eprintln!("cannot read stdin: {e}");
                return 1;
            }
        }
    } else {
        match std::fs::read_to_string(file) {
            Ok(s) => s,
            Err(e) => {
                eprintln!("cannot read {file}: {e}");
                return 1;
            }
        }
    };
    let input = match AssignInput::from_json(&text) {
        Ok(input) => input,
        Err(errors) => {
            for e in errors {
                eprintln!("{e}");
            }
            return 1;
        }
    };
    let result = assignor::assign(strategy, &input.topics, &input.members);
    let out: serde_json::Map<String, serde_json::Value> = result
        .into_iter()
        .map(|(member, list)| (member, serde_json::Value::from(list.iter().map(ToString::to_string).collect::<Vec<_>>())))
        .collect();
    println!("{}", serde_json::Value::Object(out));
    0
}

fn partition(partitions: u32, keys: &[String]) -> i32 {
    if partitions == 0 {
        eprintln!("error: --partitions must be at least 1 (a topic has at least one partition)");
        return 2;
    }
    for key in keys {
        println!("{key} {}", partition_for_key(key.as_bytes(), partitions));
    }
    0
}

fn list() -> i32 {
    let width = BUILTIN
        .iter()
        .map(|(name, _)| name.len())
        .max()
        .unwrap_or(0);
    for (name, text) in BUILTIN {
        let description = match parse_scenario(text) {
            // The first sentence is the one-line summary; the app shows the whole description.
            Ok(s) => first_sentence(&s.description).to_string(),
            Err(errors) => format!(
                "(invalid: {})",
                errors.first().map(ToString::to_string).unwrap_or_default()
            ),
        };
        println!("{name:width$}  {description}");
    }
    println!("\nready-made comparisons (streamlab compare NAME):");
    for (name, text) in crate::scenario::builtin::COMPARISONS {
        let description = match crate::scenario::comparison::parse_comparison(text, builtin) {
            Ok(c) => first_sentence(&c.description).to_string(),
            Err(errors) => format!("(invalid: {})", errors.first().map(ToString::to_string).unwrap_or_default()),
        };
        println!("{name:width$}  {description}");
    }
    0
}

