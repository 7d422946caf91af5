//! Values a person types into the app's forms (a producer's new rate, a spike's duration), read with
//! a message that says what is wrong. Pure functions, so they are tested natively; the UI calls them.

/// A rate typed by a person: a number of records per second, 0 to 10 million.
pub fn parse_rate(text: &str) -> Result<f64, String> {
    let v = crate::text::number(text).ok_or_else(|| format!("“{}” is not a number of records per second", text.trim()))?;
    if !(0.0..=super::parse::MAX_RATE_PER_SEC).contains(&v) {
        return Err("a rate is between 0 and 10 000 000 records per second".into());
    }
    Ok(v)
}

/// A spike's duration typed in seconds: more than 0, at most an hour.
pub fn parse_duration_s(text: &str) -> Result<u64, String> {
    let v = crate::text::number(text).ok_or_else(|| format!("“{}” is not a number of seconds", text.trim()))?;
    if !(v > 0.0 && v <= 3600.0) {
        return Err("a spike lasts more than 0 and at most 3600 seconds".into());
    }
    Ok((v * 1000.0).round() as u64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rates_and_durations_are_read_or_explained() {
        assert_eq!(parse_rate(" 250 "), Ok(250.0));
        assert_eq!(parse_rate("0"), Ok(0.0));
        assert_eq!(parse_rate("fast"), Err("“fast” is not a number of records per second".into()));
        assert_eq!(parse_rate("-1"), Err("a rate is between 0 and 10 000 000 records per second".into()));
        assert_eq!(parse_rate("NaN"), Err("“NaN” is not a number of records per second".into()));
        assert_eq!(parse_rate("1e3"), Ok(1_000.0));
        assert_eq!(parse_rate("12.5"), Ok(12.5));
        assert_eq!(parse_duration_s("2.5"), Ok(2_500));
        assert_eq!(parse_duration_s("0"), Err("a spike lasts more than 0 and at most 3600 seconds".into()));
        assert_eq!(parse_duration_s("1e9"), Err("a spike lasts more than 0 and at most 3600 seconds".into()));
        assert_eq!(parse_duration_s(""), Err("“” is not a number of seconds".into()));
    }
}

/// A member's partitions for a table cell: runs of consecutive partitions of one topic as ranges
/// (`orders-0–5, orders-9, payments-2–3`), so 16 of 1,000 partitions fit on a line. Names that are
/// not `topic-partition` are kept as they are.
pub fn compact_partitions(names: &[String]) -> String {
    let mut by_topic: std::collections::BTreeMap<&str, Vec<u32>> = std::collections::BTreeMap::new();
    let mut other: Vec<&str> = Vec::new();
    for name in names {
        match name.rsplit_once('-').and_then(|(t, p)| Some((t, p.parse::<u32>().ok()?))) {
            Some((topic, p)) => by_topic.entry(topic).or_default().push(p),
            None => other.push(name),
        }
    }
    let mut parts: Vec<String> = Vec::new();
    for (topic, mut ps) in by_topic {
        ps.sort_unstable();
        ps.dedup();
        let mut i = 0;
        while i < ps.len() {
            let mut j = i;
            while j + 1 < ps.len() && ps[j + 1] == ps[j] + 1 {
                j += 1;
            }
            parts.push(if j > i { format!("{topic}-{}–{}", ps[i], ps[j]) } else { format!("{topic}-{}", ps[i]) });
            i = j + 1;
        }
    }
    parts.extend(other.into_iter().map(str::to_string));
    parts.join(", ")
}

#[cfg(test)]
mod compact_tests {
    use super::compact_partitions;

    #[test]
    fn runs_of_partitions_become_ranges() {
        let names = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert_eq!(compact_partitions(&names(&["orders-3", "orders-0", "orders-1", "orders-2", "orders-7", "pay-ments-4", "pay-ments-5"])), "orders-0–3, orders-7, pay-ments-4–5");
        assert_eq!(compact_partitions(&names(&["orders-1"])), "orders-1");
        assert_eq!(compact_partitions(&[]), "");
        assert_eq!(compact_partitions(&names(&["weird"])), "weird");
    }
}

/// Text sizes the app offers, in percent of the normal 15 px (the presenter scale).
pub const SCALES: [u32; 4] = [100, 125, 150, 200];
/// Themes the app offers: (value, label).
pub const THEMES: [(&str, &str); 3] = [("system", "As the system"), ("light", "Light"), ("dark", "Dark")];

/// The app's display settings, kept in the browser as `theme=dark;scale=125`.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct Settings {
    pub theme: &'static str,
    pub scale: u32,
}

impl Default for Settings {
    fn default() -> Self {
        Settings { theme: "system", scale: 100 }
    }
}

impl Settings {
    /// Read `theme=dark;scale=125`; an unknown or damaged part falls back to its default.
    pub fn from_text(text: &str) -> Settings {
        let mut s = Settings::default();
        for part in text.split(';') {
            match part.split_once('=') {
                Some(("theme", v)) => {
                    if let Some((t, _)) = THEMES.iter().find(|(t, _)| *t == v) {
                        s.theme = t;
                    }
                }
                Some(("scale", v)) => {
                    if let Some(n) = v.parse::<u32>().ok().filter(|n| SCALES.contains(n)) {
                        s.scale = n;
                    }
                }
                _ => {}
            }
        }
        s
    }

    pub fn to_text(self) -> String {
        format!("theme={};scale={}", self.theme, self.scale)
    }
}

#[cfg(test)]
mod settings_tests {
    use super::Settings;

    #[test]
    fn settings_round_trip_and_survive_damage() {
        let s = Settings { theme: "dark", scale: 150 };
        assert_eq!(Settings::from_text(&s.to_text()), s);
        assert_eq!(Settings::from_text("theme=neon;scale=999"), Settings::default());
        assert_eq!(Settings::from_text("scale=125;garbage;theme=light"), Settings { theme: "light", scale: 125 });
        assert_eq!(Settings::from_text(""), Settings::default());
    }
}
