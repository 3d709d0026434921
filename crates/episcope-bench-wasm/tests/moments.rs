//! The one-pass block moments against episcope-core's two-pass `Moments`, merged in any order.

use episcope_bench_wasm::summary::{ColumnMoments, DimensionMoments, MOMENTS_BLOCK_ROWS};
use episcope_core::stats::Moments;

/// Rows of 3 dimensions: far from zero, near zero, and a constant.
fn rows(n: usize) -> Vec<f64> {
    (0..n).flat_map(|i| [1e6 + ((i * 37) % 101) as f64 * 0.01, ((i * 13) % 7) as f64 - 3.0, 2.5]).collect()
}

fn core_moments(values: &[f64], dim: usize) -> Moments {
    let column: Vec<f64> = values.iter().skip(dim).step_by(3).copied().collect();
    Moments::of_chunk(&column)
}

fn assert_agrees(ours: &DimensionMoments, core: &Moments) {
    assert_eq!(ours.count, core.count);
    assert_eq!((ours.min, ours.max), (core.min, core.max));
    let (mean, std) = (core.mean().unwrap(), core.std().unwrap());
    assert!((ours.mean - mean).abs() <= 1e-9 * mean.abs().max(1.0), "mean {} vs {mean}", ours.mean);
    assert!((ours.std().unwrap() - std).abs() <= 1e-9 * std.max(1e-12), "std {:?} vs {std}", ours.std());
}

#[test]
fn block_moments_agree_with_core_moments_across_blocks_and_merges() {
    let n = MOMENTS_BLOCK_ROWS * 3 + 17;
    let values = rows(n);
    let mut whole = ColumnMoments::new(3);
    whole.push_rows(&values);
    // The same rows pushed in uneven pieces and merged from two halves.
    let mut halves = [ColumnMoments::new(3), ColumnMoments::new(3)];
    let split = 3 * 1234;
    for piece in values[..split].chunks(3 * 500) {
        halves[0].push_rows(piece);
    }
    halves[1].push_rows(&values[split..]);
    let [mut merged, second] = halves;
    merged.merge(&second, "x", "f").unwrap();
    for dim in 0..3 {
        let core = core_moments(&values, dim);
        assert_agrees(&whole.dimensions[dim], &core);
        assert_agrees(&merged.dimensions[dim], &core);
    }
    assert_eq!(whole.dimensions[2].std(), Some(0.0), "a constant has no spread");
    assert!(ColumnMoments::new(3).merge(&ColumnMoments::new(2), "x", "f").is_err());
    assert_eq!(DimensionMoments::default().std(), None);
}

#[test]
fn f32_rows_match_their_f64_values_and_a_partial_row_is_ignored() {
    let values: Vec<f32> = (0..1000).map(|i| (i as f32 * 0.37).sin()).collect();
    let widened: Vec<f64> = values.iter().map(|&v| f64::from(v)).collect();
    let (mut a, mut b) = (ColumnMoments::new(4), ColumnMoments::new(4));
    a.push_rows(&values[..999]);
    b.push_rows(&widened[..996]);
    assert_eq!(a, b);
    assert_eq!(a.dimensions[0].count, 249);
}
