//! Values a person types into the app's forms (a producer's new rate, a spike's duration), read with
//! a message that says what is wrong. Pure functions, so they are tested natively; the UI calls them.

/// A rate typed by a person: a number of records per second, 0 to 10 million.
pub fn parse_rate(text: &str) -> Result<f64, String> {
    let v: f64 = text.trim().parse().map_err(|_| format!("“{}” is not a number of records per second", text.trim()))?;
    if !(0.0..=super::parse::MAX_RATE_PER_SEC).contains(&v) {
        return Err("a rate is between 0 and 10 000 000 records per second".into());
    }
    Ok(v)
}

/// A spike's duration typed in seconds: more than 0, at most an hour.
pub fn parse_duration_s(text: &str) -> Result<u64, String> {
    let v: f64 = text.trim().parse().map_err(|_| format!("“{}” is not a number of seconds", text.trim()))?;
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
        assert_eq!(parse_rate("NaN"), Err("a rate is between 0 and 10 000 000 records per second".into()));
        assert_eq!(parse_duration_s("2.5"), Ok(2_500));
        assert_eq!(parse_duration_s("0"), Err("a spike lasts more than 0 and at most 3600 seconds".into()));
        assert_eq!(parse_duration_s("1e9"), Err("a spike lasts more than 0 and at most 3600 seconds".into()));
        assert_eq!(parse_duration_s(""), Err("“” is not a number of seconds".into()));
    }
}
