//! Count, min, max, mean and the sum of squared deviations of a stream of finite values, in `f64`:
//! each chunk by the corrected two-pass algorithm, chunks merged by Chan et al.'s formula (the
//! parallel form of Welford's update). Values are taken relative to a shift (the first value seen),
//! so means far from zero (a timestamp, a global index) keep their precision through the merges.

/// Running moments of finite values.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Moments {
    pub count: u64,
    #[serde(with = "crate::shard::any_f64")]
    pub min: f64,
    #[serde(with = "crate::shard::any_f64")]
    pub max: f64,
    /// The reference the mean is kept relative to.
    #[serde(with = "crate::shard::any_f64")]
    shift: f64,
    /// mean − shift.
    #[serde(with = "crate::shard::any_f64")]
    mean_offset: f64,
    /// Σ (x − mean)².
    #[serde(with = "crate::shard::any_f64")]
    m2: f64,
}

impl Default for Moments {
    fn default() -> Self {
        Self { count: 0, min: f64::INFINITY, max: f64::NEG_INFINITY, shift: 0.0, mean_offset: 0.0, m2: 0.0 }
    }
}

impl Moments {
    /// The moments of one chunk of finite values.
    pub fn of_chunk(values: &[f64]) -> Self {
        let mut moments = Self::default();
        moments.push_chunk(values);
        moments
    }

    /// Adds a chunk of finite values.
    pub fn push_chunk(&mut self, values: &[f64]) {
        let Some(&first) = values.first() else { return };
        if self.count == 0 {
            self.shift = first;
        }
        let shift = self.shift;
        let n = values.len() as f64;
        let (mut min, mut max, mut sum) = (f64::INFINITY, f64::NEG_INFINITY, 0.0);
        for &v in values {
            min = min.min(v);
            max = max.max(v);
            sum += v - shift;
        }
        let rough = sum / n;
        let (mut deviation, mut squares) = (0.0, 0.0);
        for &v in values {
            let d = (v - shift) - rough;
            deviation += d;
            squares += d * d;
        }
        // Björck's correction: the rounding error of `rough` shows up in Σ (x − rough).
        let chunk = Moments {
            count: values.len() as u64,
            min,
            max,
            shift,
            mean_offset: rough + deviation / n,
            m2: (squares - deviation * deviation / n).max(0.0),
        };
        self.merge(&chunk);
    }

    /// Adds the moments of other values (Chan, Golub & LeVeque).
    pub fn merge(&mut self, other: &Moments) {
        if other.count == 0 {
            return;
        }
        if self.count == 0 {
            *self = *other;
            return;
        }
        let (na, nb) = (self.count as f64, other.count as f64);
        let n = na + nb;
        let other_offset = (other.shift - self.shift) + other.mean_offset;
        let delta = other_offset - self.mean_offset;
        self.mean_offset += delta * (nb / n);
        self.m2 += other.m2 + delta * delta * (na * nb / n);
        self.count += other.count;
        self.min = self.min.min(other.min);
        self.max = self.max.max(other.max);
    }

    /// The mean; `None` when empty.
    pub fn mean(&self) -> Option<f64> {
        (self.count > 0).then_some(self.shift + self.mean_offset)
    }

    /// Population variance (divided by `n`, as LeRobot and `numpy.std` compute it).
    pub fn variance(&self) -> Option<f64> {
        (self.count > 0).then(|| self.m2 / self.count as f64)
    }

    /// Population standard deviation.
    pub fn std(&self) -> Option<f64> {
        self.variance().map(f64::sqrt)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn merged_chunks_equal_one_pass_and_survive_a_large_offset() {
        let values: Vec<f64> = (0..1000).map(|i| 1e9 + (i % 17) as f64 * 0.25).collect();
        let whole = Moments::of_chunk(&values);
        let mut pushed = Moments::default();
        let mut merged = Moments::default();
        for chunk in values.chunks(33) {
            pushed.push_chunk(chunk);
            merged.merge(&Moments::of_chunk(chunk));
        }
        // Exact rational mean and population std (numpy's own std is 2 ulp off here):
        // python3 -c "from fractions import Fraction as F; import math; x=[10**9+F(i%17,4) for i in range(1000)];
        // m=sum(x)/1000; print(float(m), math.sqrt(sum((a-m)**2 for a in x)/1000))"
        // 1000000001.99475 1.2227673276220623
        for m in [whole, pushed, merged] {
            assert_eq!(m.count, 1000);
            assert!((m.mean().unwrap() - 1000000001.99475).abs() < 1e-6, "{:?}", m.mean());
            assert!((m.std().unwrap() - 1.2227673276220623).abs() < 1e-12, "{:?}", m.std());
            assert_eq!((m.min, m.max), (1e9, 1e9 + 4.0));
        }
        assert_eq!(Moments::default().std(), None);
    }
}
