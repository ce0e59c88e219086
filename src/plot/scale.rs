//! Linear scales and "nice" axis ticks (steps of 1, 2 or 5 × 10^k).

/// Maps a data interval onto a pixel interval.
#[derive(Debug, Clone, Copy)]
pub struct Scale {
    pub d0: f64,
    pub d1: f64,
    pub r0: f64,
    pub r1: f64,
}

impl Scale {
    pub fn new(d0: f64, d1: f64, r0: f64, r1: f64) -> Scale {
        let d1 = if d1 > d0 { d1 } else { d0 + 1.0 };
        Scale { d0, d1, r0, r1 }
    }

    pub fn map(&self, v: f64) -> f64 {
        let v = v.clamp(self.d0, self.d1);
        self.r0 + (v - self.d0) / (self.d1 - self.d0) * (self.r1 - self.r0)
    }
}

/// A step of 1, 2 or 5 × 10^k giving about `target` intervals over `span`.
pub fn nice_step(span: f64, target: usize) -> f64 {
    if !(span.is_finite() && span > 0.0) {
        return 1.0;
    }
    let raw = span / target.max(1) as f64;
    let mag = libm::pow(10.0, libm::log10(raw).floor());
    let norm = raw / mag;
    let step = if norm <= 1.0 {
        1.0
    } else if norm <= 2.0 {
        2.0
    } else if norm <= 5.0 {
        5.0
    } else {
        10.0
    };
    step * mag
}

/// The top of an axis: `max` rounded up to a whole step (at least one step).
pub fn nice_max(max: f64, target: usize) -> f64 {
    let max = if max.is_finite() && max > 0.0 {
        max
    } else {
        1.0
    };
    let step = nice_step(max, target);
    (max / step).ceil().max(1.0) * step
}

/// Tick values from 0 to `max` inclusive.
pub fn ticks(max: f64, target: usize) -> Vec<f64> {
    let step = nice_step(max, target);
    let count = (max / step).round() as usize;
    (0..=count.min(50)).map(|i| i as f64 * step).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn steps_are_one_two_five() {
        assert_eq!(nice_step(10.0, 5), 2.0);
        assert_eq!(nice_step(100.0, 4), 50.0);
        assert_eq!(nice_step(0.7, 5), 0.2);
        assert_eq!(nice_max(87.0, 4), 100.0);
        assert_eq!(nice_max(0.0, 4), 1.0);
        assert_eq!(ticks(10.0, 5), vec![0.0, 2.0, 4.0, 6.0, 8.0, 10.0]);
    }

    #[test]
    fn scale_maps_and_clamps() {
        let s = Scale::new(0.0, 10.0, 100.0, 0.0);
        assert_eq!(s.map(0.0), 100.0);
        assert_eq!(s.map(10.0), 0.0);
        assert_eq!(s.map(20.0), 0.0);
        let flat = Scale::new(5.0, 5.0, 0.0, 10.0);
        assert!(flat.map(5.0).is_finite());
    }
}
