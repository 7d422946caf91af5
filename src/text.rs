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
}
