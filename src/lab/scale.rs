//! Round numbers for chart axes, shared by the app's canvas charts and the comparison worker's SVG
//! charts.

/// The top of the y axis: at least `x`, and such that its quarters are round numbers (1, 2, 4, 8 or
/// 10 times a power of ten; at least 4 for counts, so each grid line is a whole number).
pub fn nice_max(x: f64, integer: bool) -> f64 {
    let x = if integer { x.max(4.0) } else { x.max(1e-9) };
    let p = 10f64.powf(x.log10().floor());
    let m = [1.0, 2.0, 4.0, 8.0, 10.0].into_iter().find(|m| m * p >= x).unwrap_or(10.0);
    m * p
}

/// A round step for time labels (1, 2, 5, 10, 15, 30, 60 … seconds) at least `raw`.
pub fn nice_step(raw: f64) -> f64 {
    [1.0, 2.0, 5.0, 10.0, 15.0, 30.0, 60.0, 120.0, 300.0, 600.0, 900.0, 1800.0, 3600.0, 7200.0, 14_400.0, 21_600.0, 43_200.0, 86_400.0]
        .into_iter()
        .find(|s| *s >= raw)
        .unwrap_or(86_400.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn axes_end_on_round_numbers() {
        assert_eq!(nice_max(0.0, true), 4.0);
        assert_eq!(nice_max(3.0, false), 4.0);
        assert_eq!(nice_max(230.0, false), 400.0);
        assert_eq!(nice_max(1_050.0, true), 2_000.0);
        assert_eq!(nice_step(7.0), 10.0);
        assert_eq!(nice_step(1e9), 86_400.0);
    }
}
