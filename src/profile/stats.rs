//! Rates from cumulative counters, and running mean/min/max accumulators.
//! A rate is the difference of two cumulative readings over the monotonic
//! time between them; a counter that went backwards (pid reuse, a process
//! leaving the tree) gives no rate rather than a negative one.

/// Per-second rate of a cumulative counter, or `None` when the counter went
/// backwards or no time passed.
pub fn rate(previous: f64, current: f64, elapsed_seconds: f64) -> Option<f64> {
    if !positive(elapsed_seconds) || !previous.is_finite() || !current.is_finite() {
        return None;
    }
    let delta = current - previous;
    if delta < 0.0 {
        return None;
    }
    Some(delta / elapsed_seconds)
}

/// A finite number above zero.
pub fn positive(x: f64) -> bool {
    x.is_finite() && x > 0.0
}

/// [`rate`] for integer counters (no precision lost on the difference).
pub fn rate_u64(previous: u64, current: u64, elapsed_seconds: f64) -> Option<f64> {
    if !positive(elapsed_seconds) {
        return None;
    }
    current
        .checked_sub(previous)
        .map(|delta| delta as f64 / elapsed_seconds)
}

/// The one running mean: mean, min and max of values that each weigh the
/// same (a gauge read at each sample, a GPU figure per tick, a figure per
/// run). Non-finite values are left out. The sum is kept in the order the
/// values came, so the same inputs give the same bits.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Gauge {
    n: u64,
    sum: f64,
    min: f64,
    max: f64,
}

impl Gauge {
    pub fn add(&mut self, value: f64) {
        if !value.is_finite() {
            return;
        }
        if self.n == 0 {
            self.min = value;
            self.max = value;
        } else {
            self.min = self.min.min(value);
            self.max = self.max.max(value);
        }
        self.n += 1;
        self.sum += value;
    }

    /// [`Gauge::add`] for a figure that may be missing.
    pub fn add_some(&mut self, value: Option<f64>) {
        if let Some(value) = value {
            self.add(value);
        }
    }

    pub fn count(&self) -> u64 {
        self.n
    }

    pub fn mean(&self) -> Option<f64> {
        (self.n > 0).then(|| self.sum / self.n as f64)
    }

    /// The sum of the figures added, `None` when there were none.
    pub fn sum(&self) -> Option<f64> {
        (self.n > 0).then_some(self.sum)
    }

    pub fn min(&self) -> Option<f64> {
        (self.n > 0).then_some(self.min)
    }

    pub fn max(&self) -> Option<f64> {
        (self.n > 0).then_some(self.max)
    }
}

/// Mean (weighted by the length of each interval), min and max of a rate
/// measured over consecutive intervals. The weighted mean of rates equals
/// the total over the total time, so it does not depend on tick jitter.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct RateStats {
    weight: f64,
    weighted_sum: f64,
    extremes: Gauge,
}

impl RateStats {
    pub fn add(&mut self, value: f64, interval_seconds: f64) {
        if !value.is_finite() || !positive(interval_seconds) {
            return;
        }
        self.weight += interval_seconds;
        self.weighted_sum += value * interval_seconds;
        self.extremes.add(value);
    }

    pub fn count(&self) -> u64 {
        self.extremes.count()
    }

    pub fn mean(&self) -> Option<f64> {
        (self.weight > 0.0).then(|| self.weighted_sum / self.weight)
    }

    pub fn min(&self) -> Option<f64> {
        self.extremes.min()
    }

    pub fn max(&self) -> Option<f64> {
        self.extremes.max()
    }
}

/// Round to `decimals` places, so that the record stays compact.
pub fn round_to(value: f64, decimals: i32) -> f64 {
    let scale = 10f64.powi(decimals);
    (value * scale).round() / scale
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rate_is_delta_over_elapsed() {
        assert_eq!(rate(1.0, 3.0, 0.5), Some(4.0));
        assert_eq!(rate_u64(100, 300, 2.0), Some(100.0));
        assert_eq!(rate(2.0, 2.0, 1.0), Some(0.0));
    }

    #[test]
    fn a_counter_going_backwards_gives_no_rate() {
        assert_eq!(rate(5.0, 4.0, 1.0), None);
        assert_eq!(rate_u64(5, 4, 1.0), None);
    }

    #[test]
    fn no_time_or_bad_input_gives_no_rate() {
        assert_eq!(rate(1.0, 2.0, 0.0), None);
        assert_eq!(rate(1.0, 2.0, -1.0), None);
        assert_eq!(rate(1.0, f64::NAN, 1.0), None);
        assert_eq!(rate_u64(1, 2, f64::NAN), None);
    }

    #[test]
    fn gauge_tracks_mean_min_max() {
        let mut g = Gauge::default();
        assert_eq!(g.mean(), None);
        for v in [3.0, 1.0, 5.0, f64::NAN] {
            g.add(v);
        }
        assert_eq!(g.count(), 3);
        assert_eq!(g.mean(), Some(3.0));
        assert_eq!(g.min(), Some(1.0));
        assert_eq!(g.max(), Some(5.0));
    }

    #[test]
    fn gauge_skips_missing_figures() {
        let mut g = Gauge::default();
        for v in [Some(2.0), None, Some(4.0), Some(f64::INFINITY)] {
            g.add_some(v);
        }
        assert_eq!(g.count(), 2);
        assert_eq!(g.mean(), Some(3.0));
        assert_eq!(g.max(), Some(4.0));
    }

    #[test]
    fn rate_mean_is_weighted_by_interval() {
        let mut r = RateStats::default();
        r.add(100.0, 3.0);
        r.add(0.0, 1.0);
        r.add(50.0, 0.0); // no interval: ignored
        assert_eq!(r.mean(), Some(75.0));
        assert_eq!(r.min(), Some(0.0));
        assert_eq!(r.max(), Some(100.0));
        assert_eq!(r.count(), 2);
    }

    #[test]
    fn rounding_keeps_the_given_places() {
        assert_eq!(round_to(12.345_678, 2), 12.35);
        assert_eq!(round_to(0.000_4, 3), 0.0);
    }
}
