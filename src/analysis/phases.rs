//! Phases: each point of the series classed on its own, runs of one class
//! joined, then segments shorter than `phase_min_fraction` of the run (and
//! any beyond `max_phases_count`) merged into their longer neighbour.

use super::classify::{classify_tick, mean};
use super::input::{finite, AnalysisInput, TickInput};
use super::thresholds::THRESHOLDS;
use super::types::{Bottleneck, PhaseRecord};

/// A run of classed points: `ticks[first..last]` (exclusive end).
#[derive(Debug, Clone, Copy)]
struct Segment {
    class: Bottleneck,
    start_seconds: f64,
    end_seconds: f64,
    first: usize,
    last: usize,
}

impl Segment {
    fn length_seconds(&self) -> f64 {
        self.end_seconds - self.start_seconds
    }
}

pub(crate) fn phases_of(input: &AnalysisInput, contended: bool) -> Vec<PhaseRecord> {
    // Each point covers the interval since the point before it.
    let mut classed: Vec<(f64, f64, Bottleneck, TickInput)> = Vec::new();
    let mut previous_t = 0.0_f64;
    for tick in &input.ticks {
        let Some(t) = finite(tick.t_seconds) else {
            continue;
        };
        if t <= previous_t && !classed.is_empty() {
            continue; // out of order: not a trustworthy interval
        }
        if let Some(class) = classify_tick(tick, input.cpus_available_count, contended) {
            classed.push((previous_t.min(t), t, class, *tick));
        }
        previous_t = previous_t.max(t);
    }
    let Some(span) = classed.last().map(|last| last.1 - classed[0].0) else {
        return Vec::new();
    };
    let mut segments: Vec<Segment> = classed
        .iter()
        .enumerate()
        .map(|(i, (start, end, class, _))| Segment {
            class: *class,
            start_seconds: *start,
            end_seconds: *end,
            first: i,
            last: i + 1,
        })
        .collect();
    coalesce(&mut segments);
    let min_length = span * THRESHOLDS.phase_min_fraction;
    while segments.len() > 1 {
        let shortest = (0..segments.len())
            .min_by(|&a, &b| {
                segments[a]
                    .length_seconds()
                    .total_cmp(&segments[b].length_seconds())
            })
            .expect("more than one segment");
        let too_many = segments.len() > THRESHOLDS.max_phases_count;
        if !too_many && segments[shortest].length_seconds() >= min_length {
            break;
        }
        merge_into_neighbour(&mut segments, shortest);
        coalesce(&mut segments);
    }
    segments
        .iter()
        .map(|s| {
            let ticks = || classed[s.first..s.last].iter().map(|c| c.3);
            PhaseRecord {
                start_seconds: s.start_seconds,
                end_seconds: s.end_seconds,
                bottleneck: s.class,
                cpu_mean_cores: mean(ticks().filter_map(|t| t.cpu_cores)),
                io_mean_bytes_per_second: mean(ticks().filter_map(|t| t.io_bytes_per_second)),
                gpu_utilization_mean_percent: mean(
                    ticks().filter_map(|t| t.gpu_utilization_percent),
                ),
            }
        })
        .collect()
}

/// Joins neighbours of the same class.
fn coalesce(segments: &mut Vec<Segment>) {
    let mut joined: Vec<Segment> = Vec::with_capacity(segments.len());
    for s in segments.drain(..) {
        match joined.last_mut() {
            Some(last) if last.class == s.class => {
                last.end_seconds = s.end_seconds;
                last.last = s.last;
            }
            _ => joined.push(s),
        }
    }
    *segments = joined;
}

/// The segment at `i` takes its longer neighbour's class and joins it.
fn merge_into_neighbour(segments: &mut [Segment], i: usize) {
    let before = i.checked_sub(1).map(|j| segments[j]);
    let after = segments.get(i + 1).copied();
    let into = match (before, after) {
        (Some(b), Some(a)) if a.length_seconds() > b.length_seconds() => a,
        (Some(b), _) => b,
        (None, Some(a)) => a,
        (None, None) => return,
    };
    segments[i].class = into.class;
}
