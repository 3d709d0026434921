//! Min/max decimation for time-series plots: one (min, max) pair per pixel column, so a series of
//! any length draws in time proportional to the plot's width and no spike disappears.

/// One pixel column of a decimated series.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Bucket {
    /// Time of the first sample in the column.
    pub t_start: f64,
    /// Time of the last sample in the column.
    pub t_end: f64,
    pub min: f64,
    pub max: f64,
    /// Sample index of the minimum and maximum (to draw them in time order).
    pub min_index: usize,
    pub max_index: usize,
}

/// Decimates `values` sampled at `times` (sorted, same length) over `[t_from, t_to]` into at most
/// `columns` buckets of equal time width. Non-finite values are skipped (drawn as gaps elsewhere).
/// Runs in O(n) and allocates O(columns).
pub fn min_max_decimate(times: &[f64], values: &[f64], t_from: f64, t_to: f64, columns: usize) -> Vec<Bucket> {
    let n = times.len().min(values.len());
    if n == 0 || columns == 0 || t_to.is_nan() || t_from.is_nan() || t_to <= t_from {
        return Vec::new();
    }
    let start = times[..n].partition_point(|t| *t < t_from);
    let end = times[..n].partition_point(|t| *t <= t_to);
    let width = (t_to - t_from) / columns as f64;
    let mut buckets: Vec<Bucket> = Vec::with_capacity(columns.min(end.saturating_sub(start)));
    let mut current: Option<(usize, Bucket)> = None;
    for i in start..end {
        let value = values[i];
        if !value.is_finite() {
            continue;
        }
        let t = times[i];
        let column = (((t - t_from) / width) as usize).min(columns - 1);
        match &mut current {
            Some((c, bucket)) if *c == column => {
                bucket.t_end = t;
                if value < bucket.min {
                    bucket.min = value;
                    bucket.min_index = i;
                }
                if value > bucket.max {
                    bucket.max = value;
                    bucket.max_index = i;
                }
            }
            _ => {
                if let Some((_, done)) = current.take() {
                    buckets.push(done);
                }
                current =
                    Some((column, Bucket { t_start: t, t_end: t, min: value, max: value, min_index: i, max_index: i }));
            }
        }
    }
    if let Some((_, done)) = current {
        buckets.push(done);
    }
    buckets
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A small deterministic PRNG (xorshift64*) for property tests without dependencies.
    struct Rng(u64);
    impl Rng {
        fn next(&mut self) -> u64 {
            self.0 ^= self.0 >> 12;
            self.0 ^= self.0 << 25;
            self.0 ^= self.0 >> 27;
            self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
        }
        fn unit(&mut self) -> f64 {
            (self.next() >> 11) as f64 / (1u64 << 53) as f64
        }
    }

    #[test]
    fn every_extreme_survives_decimation() {
        let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
        for case in 0..300 {
            let n = 1 + (rng.next() % 20_000) as usize;
            let columns = 1 + (rng.next() % 800) as usize;
            let times: Vec<f64> = (0..n).map(|i| i as f64 / 30.0).collect();
            let mut values: Vec<f64> = (0..n).map(|i| (i as f64 * 0.01).sin()).collect();
            // Single-sample spikes and NaNs at random places.
            for _ in 0..(rng.next() % 10) {
                let at = (rng.next() % n as u64) as usize;
                values[at] = if rng.unit() < 0.5 { 1e6 * rng.unit() } else { -1e6 * rng.unit() };
            }
            if n > 3 && case % 5 == 0 {
                values[(rng.next() % n as u64) as usize] = f64::NAN;
            }
            let (t_from, t_to) = (times[0], times[n - 1] + 1e-9);
            let buckets = min_max_decimate(&times, &values, t_from, t_to, columns);
            assert!(buckets.len() <= columns, "case {case}");
            // Every finite sample lies within its bucket's [min, max], and each bucket's min and
            // max are samples of that bucket — so every local extreme, spike included, is drawn.
            let width = (t_to - t_from) / columns as f64;
            for (i, (&t, &v)) in times.iter().zip(&values).enumerate() {
                if !v.is_finite() {
                    continue;
                }
                let column = (((t - t_from) / width) as usize).min(columns - 1);
                let bucket = buckets
                    .iter()
                    .find(|b| (((b.t_start - t_from) / width) as usize).min(columns - 1) == column)
                    .unwrap_or_else(|| panic!("case {case}: sample {i} has no bucket"));
                assert!(bucket.min <= v && v <= bucket.max, "case {case}: sample {i} outside its bucket");
                assert_eq!(values[bucket.min_index], bucket.min);
                assert_eq!(values[bucket.max_index], bucket.max);
            }
            let finite_max = values.iter().copied().filter(|v| v.is_finite()).fold(f64::NEG_INFINITY, f64::max);
            assert_eq!(buckets.iter().map(|b| b.max).fold(f64::NEG_INFINITY, f64::max), finite_max, "case {case}");
        }
    }

    #[test]
    fn a_window_selects_only_its_samples_and_bounds_the_output() {
        let times: Vec<f64> = (0..100_000).map(|i| i as f64).collect();
        let values: Vec<f64> = times.iter().map(|t| t % 7.0).collect();
        let buckets = min_max_decimate(&times, &values, 1000.0, 2000.0, 100);
        assert_eq!(buckets.len(), 100);
        assert_eq!(buckets[0].t_start, 1000.0);
        assert_eq!(buckets.last().unwrap().t_end, 2000.0);
        assert!(min_max_decimate(&times, &values, 5.0, 5.0, 100).is_empty());
        assert!(min_max_decimate(&[], &[], 0.0, 1.0, 100).is_empty());
    }
}
