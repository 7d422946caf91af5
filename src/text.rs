//! How numbers, times and text are written for people, the same in the app, its comparison worker
//! and the CLI: simulated time as `t = 00:14.803`, counts with thin-space thousands separators,
//! text made safe for HTML, and a description's first sentence.

/// Simulated time as `t = mm:ss.mmm`, or `t = h:mm:ss.mmm` from an hour on.
pub fn sim_time(t_us: u64) -> String {
    let total_ms = t_us / 1_000;
    let ms = total_ms % 1_000;
    let total_s = total_ms / 1_000;
    let s = total_s % 60;
    let total_min = total_s / 60;
    if total_min >= 60 {
        format!("t = {}:{:02}:{:02}.{:03}", total_min / 60, total_min % 60, s, ms)
    } else {
        format!("t = {:02}:{:02}.{:03}", total_min, s, ms)
    }
}

/// A count with thin-space thousands separators: `1 234 567`.
pub fn count(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push('\u{2009}');
        }
        out.push(c);
    }
    out
}

/// A decimal number as a person types it (`250`, `2.5`, `1e3`, spaces around allowed), read the way
/// JSON reads numbers; None for anything else (`fast`, `NaN`, `.5`). The app reads form fields with
/// this rather than `str::parse::<f64>`, whose exact-rounding tables and code cost its wasm 14.6 KB
/// gzipped (measured); serde_json's reader is in the app already.
pub fn number(text: &str) -> Option<f64> {
    serde_json::from_str::<f64>(text.trim()).ok()
}

/// Text made safe to place in HTML, in content or in a quoted attribute.
pub fn escape_html(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// The first sentence of a description (up to the first ". "): the one-line summary.
pub fn first_sentence(text: &str) -> &str {
    match text.find(". ") {
        Some(i) => &text[..=i],
        None => text,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn people_read_these() {
        assert_eq!(sim_time(14_803_000), "t = 00:14.803");
        assert_eq!(sim_time(3_723_004_000), "t = 1:02:03.004");
        assert_eq!(count(1_234_567), "1\u{2009}234\u{2009}567");
        assert_eq!(count(999), "999");
        assert_eq!(escape_html("<a href=\"x\">&'"), "&lt;a href=&quot;x&quot;&gt;&amp;&#39;");
        assert_eq!(first_sentence("One. Two."), "One.");
        assert_eq!(first_sentence("Only"), "Only");
    }

    #[test]
    fn typed_numbers_are_read_as_json_reads_them() {
        assert_eq!(number(" 250 "), Some(250.0));
        assert_eq!(number("2.5"), Some(2.5));
        assert_eq!(number("1e3"), Some(1_000.0));
        assert_eq!(number("-0.25"), Some(-0.25));
        assert_eq!(number("15"), Some(15.0));
        for bad in ["", "fast", "NaN", "inf", "1,5", "2 5", "0x10"] {
            assert_eq!(number(bad), None, "{bad:?}");
        }
        // The same value `str::parse` gives, for numbers people type.
        for typed in ["0.1", "3.3", "1234.5678", "0.000123", "99999.99", "7e-3"] {
            assert_eq!(number(typed), typed.parse::<f64>().ok(), "{typed}");
        }
    }
}
