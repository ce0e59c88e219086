//! The statistics behind `profrun check`: mean, sample standard deviation,
//! Student's t quantile and the one-sided prediction bound
//! `mean ± t · s · √(1 + 1/n)` that Bencher's t-test threshold uses. The t
//! quantile inverts the t CDF, computed from the regularized incomplete beta
//! function (Numerical Recipes' continued fraction), by bisection: exact to
//! about 1e-9, far below anything a table shows.

// The logarithms and exponentials come from the `libm` crate, not the
// system's libm.so: loading that library costs every run about 350 KiB
// of resident memory (docs/performance.md), for a function `check` calls.
use libm::log as ln;

/// Degrees of freedom above this are treated as this many: the t quantile
/// there differs from the normal one by under 1e-5, and the continued
/// fraction would only get slower.
const DF_CAP: f64 = 1.0e6;

/// Arithmetic mean; `None` for no values.
pub fn mean(values: &[f64]) -> Option<f64> {
    if values.is_empty() {
        return None;
    }
    Some(values.iter().sum::<f64>() / values.len() as f64)
}

/// Sample standard deviation (divides by `n - 1`); `None` under two values.
pub fn sample_sd(values: &[f64]) -> Option<f64> {
    if values.len() < 2 {
        return None;
    }
    let m = mean(values)?;
    let ss: f64 = values.iter().map(|v| (v - m) * (v - m)).sum();
    Some((ss / (values.len() - 1) as f64).sqrt())
}

/// Student's t CDF, `P(T ≤ t)` with `df` degrees of freedom.
pub fn t_cdf(t: f64, df: f64) -> f64 {
    let df = df.min(DF_CAP);
    let x = df / (df + t * t);
    let tail = 0.5 * regularized_beta(df / 2.0, 0.5, x);
    if t > 0.0 {
        1.0 - tail
    } else {
        tail
    }
}

/// The `p` quantile of Student's t with `df` degrees of freedom (`df ≥ 1`,
/// may be infinite): `t_quantile(0.99, 9.0) ≈ 2.821`. NaN outside `0 < p < 1`
/// or for `df` below 1.
pub fn t_quantile(p: f64, df: f64) -> f64 {
    if !(p > 0.0 && p < 1.0) || df.is_nan() || df < 1.0 {
        return f64::NAN;
    }
    if p < 0.5 {
        return -t_quantile(1.0 - p, df);
    }
    if p == 0.5 {
        return 0.0;
    }
    // Bracket, then halve: the CDF is monotonic, so this cannot miss.
    let mut hi = 1.0;
    while t_cdf(hi, df) < p && hi < 1.0e12 {
        hi *= 2.0;
    }
    let mut lo = 0.0;
    for _ in 0..200 {
        let mid = 0.5 * (lo + hi);
        if t_cdf(mid, df) < p {
            lo = mid;
        } else {
            hi = mid;
        }
        if hi - lo <= 1.0e-12 * hi {
            break;
        }
    }
    0.5 * (lo + hi)
}

/// [`t_quantile`] remembered per thread: `check` asks for the same few
/// (confidence, df) pairs once per group and metric, and one quantile costs
/// a bracket and ~40 halvings, each a continued fraction: 1000 calls for
/// df 1-30 took 140 ms in a debug build.
fn t_quantile_memo(p: f64, df: usize) -> f64 {
    use std::cell::RefCell;
    thread_local! {
        static MEMO: RefCell<Vec<(u64, usize, f64)>> = const { RefCell::new(Vec::new()) };
    }
    MEMO.with(|memo| {
        let key = p.to_bits();
        if let Some(&(_, _, t)) = memo.borrow().iter().find(|e| e.0 == key && e.1 == df) {
            return t;
        }
        let t = t_quantile(p, df as f64);
        let mut memo = memo.borrow_mut();
        if memo.len() < 256 {
            memo.push((key, df, t));
        }
        t
    })
}

/// A one-sided prediction interval for one new observation, from a baseline
/// sample: the new value is above `upper` (or below `lower`) with
/// probability `1 - confidence` if it comes from the baseline's
/// distribution.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PredictionBounds {
    pub n: usize,
    pub mean: f64,
    pub sd: f64,
    /// Student's t at `confidence` with `n - 1` degrees of freedom.
    pub t: f64,
    pub lower: f64,
    pub upper: f64,
}

/// `mean ± t · s · √(1 + 1/n)`; `None` under two values (no spread to
/// speak of) or for a confidence outside `(0.5, 1)`.
pub fn prediction_bounds(values: &[f64], confidence: f64) -> Option<PredictionBounds> {
    let n = values.len();
    let sd = sample_sd(values)?;
    let mean = mean(values)?;
    if !(confidence > 0.5 && confidence < 1.0) {
        return None;
    }
    let t = t_quantile_memo(confidence, n - 1);
    let half = t * sd * (1.0 + 1.0 / n as f64).sqrt();
    Some(PredictionBounds {
        n,
        mean,
        sd,
        t,
        lower: mean - half,
        upper: mean + half,
    })
}

/// ln Γ(x) for x > 0 (Lanczos, g = 7, nine terms; relative error ~1e-15).
fn ln_gamma(x: f64) -> f64 {
    const G: f64 = 7.0;
    const C: [f64; 9] = [
        0.999_999_999_999_809_9,
        676.520_368_121_885_1,
        -1_259.139_216_722_402_8,
        771.323_428_777_653_1,
        -176.615_029_162_140_6,
        12.507_343_278_686_905,
        -0.138_571_095_265_720_12,
        9.984_369_578_019_572e-6,
        1.505_632_735_149_311_6e-7,
    ];
    let x = x - 1.0;
    let a = C[1..]
        .iter()
        .enumerate()
        .fold(C[0], |acc, (i, c)| acc + c / (x + i as f64 + 1.0));
    let t = x + G + 0.5;
    0.5 * ln(2.0 * std::f64::consts::PI) + (x + 0.5) * ln(t) - t + ln(a)
}

/// The regularized incomplete beta function `I_x(a, b)`.
fn regularized_beta(a: f64, b: f64, x: f64) -> f64 {
    if x <= 0.0 {
        return 0.0;
    }
    if x >= 1.0 {
        return 1.0;
    }
    let front =
        libm::exp(ln_gamma(a + b) - ln_gamma(a) - ln_gamma(b) + a * ln(x) + b * ln(1.0 - x));
    // The continued fraction converges fast only on this side of the mean.
    if x < (a + 1.0) / (a + b + 2.0) {
        front * beta_continued_fraction(a, b, x) / a
    } else {
        1.0 - front * beta_continued_fraction(b, a, 1.0 - x) / b
    }
}

/// Lentz's evaluation of the continued fraction for `I_x(a, b)`.
fn beta_continued_fraction(a: f64, b: f64, x: f64) -> f64 {
    const TINY: f64 = 1.0e-300;
    const EPS: f64 = 1.0e-15;
    let nonzero = |v: f64| if v.abs() < TINY { TINY } else { v };
    let (qab, qap, qam) = (a + b, a + 1.0, a - 1.0);
    let mut c = 1.0;
    let mut d = 1.0 / nonzero(1.0 - qab * x / qap);
    let mut h = d;
    for m in 1..=20_000 {
        let m = m as f64;
        let m2 = 2.0 * m;
        let even = m * (b - m) * x / ((qam + m2) * (a + m2));
        d = 1.0 / nonzero(1.0 + even * d);
        c = nonzero(1.0 + even / c);
        h *= d * c;
        let odd = -(a + m) * (qab + m) * x / ((a + m2) * (qap + m2));
        d = 1.0 / nonzero(1.0 + odd * d);
        c = nonzero(1.0 + odd / c);
        let step = d * c;
        h *= step;
        if (step - 1.0).abs() < EPS {
            break;
        }
    }
    h
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: f64, b: f64, tol: f64) -> bool {
        (a - b).abs() <= tol
    }

    #[test]
    fn t_quantiles_match_the_printed_table() {
        // One-sided 99 % column of any t table (e.g. NIST/SEMATECH 1.3.6.7.2).
        let table = [
            (1.0, 31.821),
            (2.0, 6.965),
            (3.0, 4.541),
            (4.0, 3.747),
            (9.0, 2.821),
            (10.0, 2.764),
            (30.0, 2.457),
            (100.0, 2.364),
        ];
        for (df, want) in table {
            let got = t_quantile(0.99, df);
            assert!(close(got, want, 5e-4), "df={df}: {got} vs {want}");
        }
        // df → ∞: the normal quantile z(0.99) = 2.326348.
        assert!(close(t_quantile(0.99, f64::INFINITY), 2.326348, 1e-4));
        assert!(close(t_quantile(0.95, 5.0), 2.015, 5e-4));
        assert!(close(t_quantile(0.975, 20.0), 2.086, 5e-4));
    }

    #[test]
    fn t_quantile_is_odd_and_inverts_the_cdf() {
        assert!(close(t_quantile(0.01, 4.0), -3.747, 5e-4));
        assert_eq!(t_quantile(0.5, 7.0), 0.0);
        for df in [1.0, 3.0, 12.0, 250.0] {
            let t = t_quantile(0.999, df);
            assert!(close(t_cdf(t, df), 0.999, 1e-9));
        }
        // Cauchy (df = 1) has a closed form: tan(π (p - 1/2)).
        let cauchy = (std::f64::consts::PI * (0.99 - 0.5)).tan();
        assert!(close(t_quantile(0.99, 1.0), cauchy, 1e-7));
        assert!(t_quantile(1.0, 3.0).is_nan());
        assert!(t_quantile(0.9, 0.5).is_nan());
    }

    #[test]
    fn mean_and_sd_by_hand() {
        assert_eq!(mean(&[]), None);
        assert_eq!(mean(&[2.0, 4.0]), Some(3.0));
        assert_eq!(sample_sd(&[5.0]), None);
        // Σ(x - 12)² = 8 over n - 1 = 2: s = 2.
        assert_eq!(sample_sd(&[10.0, 12.0, 14.0]), Some(2.0));
        assert!(close(
            sample_sd(&[1.0, 2.0, 3.0, 4.0, 5.0]).expect("5 values"),
            2.5f64.sqrt(),
            1e-12
        ));
    }

    #[test]
    fn prediction_bounds_by_hand() {
        // n = 3, mean 12, s = 2, t(0.99, 2) = 6.9646:
        // 12 ± 6.9646 · 2 · √(4/3) = 12 ± 16.0840.
        let b = prediction_bounds(&[10.0, 12.0, 14.0], 0.99).expect("3 values");
        assert_eq!((b.n, b.mean, b.sd), (3, 12.0, 2.0));
        assert!(close(b.upper, 28.084, 2e-3), "{}", b.upper);
        assert!(close(b.lower, -4.084, 2e-3), "{}", b.lower);
        // n = 5, mean 3, s = √2.5, t(0.99, 4) = 3.7469:
        // 3 + 3.7469 · 1.58114 · √1.2 = 9.4898.
        let b = prediction_bounds(&[1.0, 2.0, 3.0, 4.0, 5.0], 0.99).expect("5 values");
        assert!(close(b.upper, 9.4898, 2e-3), "{}", b.upper);
        // A constant baseline: no spread, the bound is the mean.
        let b = prediction_bounds(&[7.0; 4], 0.99).expect("4 values");
        assert_eq!((b.lower, b.upper), (7.0, 7.0));
        assert_eq!(prediction_bounds(&[1.0], 0.99), None);
        assert_eq!(prediction_bounds(&[1.0, 2.0], 1.5), None);
    }
}
