//! One-line terminal charts: a series squeezed into `width` cells of
//! `▁▂▃▄▅▆▇█`. Each cell shows the maximum of the samples it covers, so a
//! short spike stays visible however long the run.

const BARS: [char; 8] = ['▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'];

/// The chart, at most `width` cells; missing or non-finite samples are
/// blanks. Empty for no samples.
pub fn sparkline(values: &[Option<f64>], width: usize) -> String {
    let width = width.max(1);
    if values.is_empty() {
        return String::new();
    }
    let cells = values.len().min(width);
    let buckets: Vec<Option<f64>> = (0..cells)
        .map(|c| {
            let from = c * values.len() / cells;
            let to = ((c + 1) * values.len() / cells).max(from + 1);
            values[from..to]
                .iter()
                .flatten()
                .copied()
                .filter(|v| v.is_finite())
                .reduce(f64::max)
        })
        .collect();
    let finite = buckets.iter().flatten();
    let lo = finite
        .clone()
        .copied()
        .fold(f64::INFINITY, f64::min)
        .min(0.0);
    let hi = finite.copied().fold(f64::NEG_INFINITY, f64::max);
    buckets
        .iter()
        .map(|b| match b {
            None => ' ',
            // Only zeros (or less): the floor.
            Some(_) if hi <= lo => BARS[0],
            Some(v) => {
                let level = ((v - lo) / (hi - lo) * (BARS.len() - 1) as f64).round() as usize;
                BARS[level.min(BARS.len() - 1)]
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scales_from_zero_to_the_max() {
        let v: Vec<Option<f64>> = [0.0, 50.0, 100.0].iter().map(|x| Some(*x)).collect();
        assert_eq!(sparkline(&v, 10), "▁▅█");
    }

    #[test]
    fn squeezes_keeping_spikes_and_gaps() {
        let mut v = vec![Some(1.0); 100];
        v[37] = Some(50.0);
        let s = sparkline(&v, 10);
        assert_eq!(s.chars().count(), 10);
        assert_eq!(s.chars().filter(|c| *c == '█').count(), 1);
        assert_eq!(sparkline(&[None, Some(2.0)], 5), " █");
        assert_eq!(sparkline(&[], 5), "");
    }
}
