//! The bounded time series. Each point covers one interval; when the series
//! reaches its cap, adjacent pairs are merged (time-weighted mean for rates,
//! max for gauges and counts) and the number of ticks per point doubles, so a
//! 24-hour job keeps as many points as a 10-minute one and every point still
//! covers the same length of time.
//!
//! A rate can be missing (`None`: the first point, a counter that went
//! backwards, a final interval too short for a CPU rate). Merged with a
//! known rate, a missing one takes that rate over its own interval, so a
//! gap does not drag the mean towards zero; two missing ones stay missing.
//! The integral of a rate over the series is therefore kept by merging
//! where every interval had a rate, and grows by the filled-in gaps where
//! not.

use super::gpu::{series_columns, GpuSeriesPoint};
use super::stats::round_to;
use crate::record::{TimeSeries, BYTES_PER_MB};

/// Default cap on the number of points kept.
pub const DEFAULT_CAP: usize = 1200;

/// One interval of the series, derived from two consecutive samples.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct SeriesPoint {
    /// End of the interval, seconds since the job's start.
    pub t_seconds: f64,
    /// Length of the interval (what rates are weighted by).
    pub dt_seconds: f64,
    /// Tree CPU, 100 = one core.
    pub cpu_percent: Option<f64>,
    pub rss_bytes: u64,
    pub read_bytes_per_second: Option<f64>,
    pub write_bytes_per_second: Option<f64>,
    pub processes: u32,
    pub threads: u32,
    pub host_cpu_percent: Option<f64>,
    pub host_memory_used_bytes: Option<u64>,
    /// `None` when no GPU was read at this tick.
    pub gpu: Option<GpuSeriesPoint>,
}

/// Time-weighted mean of two adjacent rates; a missing one takes the other
/// one's value (see the module notes).
fn weighted(a: Option<f64>, wa: f64, b: Option<f64>, wb: f64) -> Option<f64> {
    match (a, b) {
        (Some(x), Some(y)) if wa + wb > 0.0 => Some((x * wa + y * wb) / (wa + wb)),
        (Some(x), Some(_)) => Some(x),
        (Some(x), None) => Some(x),
        (None, y) => y,
    }
}

impl SeriesPoint {
    /// `self` (earlier) and `later` as one point covering both intervals.
    pub fn merge(&self, later: &SeriesPoint) -> SeriesPoint {
        let (wa, wb) = (self.dt_seconds, later.dt_seconds);
        SeriesPoint {
            t_seconds: later.t_seconds,
            dt_seconds: wa + wb,
            cpu_percent: weighted(self.cpu_percent, wa, later.cpu_percent, wb),
            rss_bytes: self.rss_bytes.max(later.rss_bytes),
            read_bytes_per_second: weighted(
                self.read_bytes_per_second,
                wa,
                later.read_bytes_per_second,
                wb,
            ),
            write_bytes_per_second: weighted(
                self.write_bytes_per_second,
                wa,
                later.write_bytes_per_second,
                wb,
            ),
            processes: self.processes.max(later.processes),
            threads: self.threads.max(later.threads),
            host_cpu_percent: weighted(self.host_cpu_percent, wa, later.host_cpu_percent, wb),
            host_memory_used_bytes: match (
                self.host_memory_used_bytes,
                later.host_memory_used_bytes,
            ) {
                (Some(a), Some(b)) => Some(a.max(b)),
                (a, b) => a.or(b),
            },
            gpu: match (self.gpu, later.gpu) {
                (Some(a), Some(b)) => Some(a.merge(wa, b, wb)),
                (a, b) => a.or(b),
            },
        }
    }
}

/// A series that never holds more than `cap` points.
#[derive(Debug, Clone)]
pub struct BoundedSeries {
    cap: usize,
    /// Ticks merged into each stored point (a power of two).
    ticks_per_point: usize,
    points: Vec<SeriesPoint>,
    /// The point being built from the latest ticks, and how many it holds.
    pending: Option<(SeriesPoint, usize)>,
}

impl BoundedSeries {
    /// `cap` is rounded up to an even number of at least 2.
    pub fn new(cap: usize) -> BoundedSeries {
        let cap = cap.max(2).div_ceil(2) * 2;
        BoundedSeries {
            cap,
            ticks_per_point: 1,
            points: Vec::new(),
            pending: None,
        }
    }

    pub fn push(&mut self, point: SeriesPoint) {
        let (merged, count) = match self.pending.take() {
            Some((p, n)) => (p.merge(&point), n + 1),
            None => (point, 1),
        };
        if count < self.ticks_per_point {
            self.pending = Some((merged, count));
            return;
        }
        self.points.push(merged);
        if self.points.len() >= self.cap {
            self.halve();
        }
    }

    fn halve(&mut self) {
        let merged: Vec<SeriesPoint> = self
            .points
            .chunks(2)
            .filter_map(|pair| pair.iter().copied().reduce(|a, b| a.merge(&b)))
            .collect();
        self.points = merged;
        self.ticks_per_point *= 2;
    }

    /// Ticks merged into each point: the effective interval is the sampling
    /// interval times this.
    pub fn ticks_per_point(&self) -> usize {
        self.ticks_per_point
    }

    /// Stored points plus the partial one being built.
    pub fn len(&self) -> usize {
        self.points.len() + usize::from(self.pending.is_some())
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Every point, the partial last one included (never more than `cap`).
    pub fn points(&self) -> impl Iterator<Item = &SeriesPoint> {
        self.points
            .iter()
            .chain(self.pending.as_ref().map(|(p, _)| p))
    }

    /// The record's columnar form, rounded to keep it compact.
    pub fn to_record(&self) -> TimeSeries {
        let mut ts = TimeSeries::default();
        let mb = |b: u64| round_to(b as f64 / BYTES_PER_MB, 3);
        for p in self.points() {
            ts.t_seconds.push(round_to(p.t_seconds, 3));
            ts.cpu_percent.push(p.cpu_percent.map(|v| round_to(v, 2)));
            ts.rss_mb.push(mb(p.rss_bytes));
            ts.read_bytes_per_second
                .push(p.read_bytes_per_second.map(f64::round));
            ts.write_bytes_per_second
                .push(p.write_bytes_per_second.map(f64::round));
            ts.processes.push(p.processes);
            ts.threads.push(p.threads);
            ts.host_cpu_percent
                .push(p.host_cpu_percent.map(|v| round_to(v, 2)));
            ts.host_memory_used_mb
                .push(p.host_memory_used_bytes.map(mb));
        }
        if self.points().any(|p| p.gpu.is_some()) {
            let gpu: Vec<Option<GpuSeriesPoint>> = self.points().map(|p| p.gpu).collect();
            let columns = series_columns(&gpu);
            ts.gpu_utilization_percent = columns.gpu_utilization_percent;
            ts.gpu_memory_used_mb = columns.gpu_memory_used_mb;
        }
        ts
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn point(t: f64, cpu: Option<f64>, rss: u64) -> SeriesPoint {
        SeriesPoint {
            t_seconds: t,
            dt_seconds: 1.0,
            cpu_percent: cpu,
            rss_bytes: rss,
            processes: rss as u32,
            ..Default::default()
        }
    }

    #[test]
    fn merge_takes_weighted_means_of_rates_and_max_of_gauges() {
        let a = SeriesPoint {
            dt_seconds: 3.0,
            ..point(3.0, Some(100.0), 10)
        };
        let b = point(4.0, Some(0.0), 5);
        let m = a.merge(&b);
        assert_eq!(m.t_seconds, 4.0);
        assert_eq!(m.dt_seconds, 4.0);
        assert_eq!(m.cpu_percent, Some(75.0));
        assert_eq!(m.rss_bytes, 10);
        assert_eq!(m.processes, 10);
        // A missing rate does not drag the mean to zero.
        assert_eq!(point(1.0, None, 0).merge(&b).cpu_percent, Some(0.0));
        assert_eq!(
            point(1.0, None, 0).merge(&point(2.0, None, 0)).cpu_percent,
            None
        );
    }

    #[test]
    fn series_never_exceeds_its_cap_and_doubles_the_interval() {
        let mut s = BoundedSeries::new(10);
        for i in 0..1000 {
            s.push(point(f64::from(i + 1), Some(f64::from(i % 7)), i as u64));
            assert!(s.len() <= 10, "len {} at push {i}", s.len());
        }
        // 1000 ticks into at most 10 points: 128 ticks per point.
        assert_eq!(s.ticks_per_point(), 128);
        let pts: Vec<_> = s.points().copied().collect();
        // Every full point covers the same time; the series still spans it all.
        assert!(pts[..pts.len() - 1].iter().all(|p| p.dt_seconds == 128.0));
        let covered: f64 = pts.iter().map(|p| p.dt_seconds).sum();
        assert_eq!(covered, 1000.0);
        assert_eq!(pts.last().map(|p| p.t_seconds), Some(1000.0));
        // Peaks survive merging.
        assert_eq!(pts.iter().map(|p| p.rss_bytes).max(), Some(999));
    }

    #[test]
    fn merging_keeps_the_integral_of_rates() {
        let mut s = BoundedSeries::new(4);
        let mut expected = 0.0;
        for i in 0..37 {
            let cpu = f64::from(i * 13 % 100);
            expected += cpu / 100.0;
            s.push(point(f64::from(i + 1), Some(cpu), 0));
        }
        let integral: f64 = s
            .points()
            .map(|p| p.cpu_percent.unwrap_or(0.0) / 100.0 * p.dt_seconds)
            .sum();
        assert!(
            (integral - expected).abs() < 1e-9,
            "{integral} vs {expected}"
        );
    }

    #[test]
    fn merging_fills_an_interval_without_a_rate_with_the_rate_it_is_merged_with() {
        // The first point has no rate. Merged with the next, it takes that
        // rate (100 over both seconds); merged again, that counts as 2 s
        // at 100, not 1 s (the mean over the known seconds would be 33.3).
        let first = point(1.0, None, 0);
        let m = first.merge(&point(2.0, Some(100.0), 0));
        assert_eq!((m.cpu_percent, m.dt_seconds), (Some(100.0), 2.0));
        let later = SeriesPoint {
            dt_seconds: 2.0,
            ..point(4.0, Some(0.0), 0)
        };
        assert_eq!(m.merge(&later).cpu_percent, Some(50.0));
        // Either order; the integral gains the filled-in second.
        let m = point(1.0, Some(60.0), 0).merge(&point(2.0, None, 0));
        assert_eq!(m.cpu_percent, Some(60.0));
        let integral = m.cpu_percent.unwrap_or(0.0) * m.dt_seconds;
        assert_eq!(integral, 120.0);
    }

    #[test]
    fn record_columns_have_equal_lengths() {
        let mut s = BoundedSeries::new(6);
        for i in 0..9 {
            s.push(point(f64::from(i) * 0.5, Some(12.3456), 3 * 1024 * 1024));
        }
        let ts = s.to_record();
        assert!(ts.len() <= 6 && !ts.is_empty());
        for len in [
            ts.cpu_percent.len(),
            ts.rss_mb.len(),
            ts.read_bytes_per_second.len(),
            ts.write_bytes_per_second.len(),
            ts.processes.len(),
            ts.threads.len(),
            ts.host_cpu_percent.len(),
            ts.host_memory_used_mb.len(),
        ] {
            assert_eq!(len, ts.len());
        }
        assert_eq!(ts.rss_mb[0], 3.0);
        assert_eq!(ts.cpu_percent[0], Some(12.35));
    }
}
