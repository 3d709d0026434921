//! Colours of the 3-D view: the viridis colormap for time, overlay hues, marker and axis colours.

/// Viridis sampled at ten equally spaced points (matplotlib's / viridisLite's `viridis(10)`),
/// interpolated linearly in between: perceptually ordered, lightness rises monotonically.
const VIRIDIS_STOPS: [[u8; 3]; 10] = [
    [0x44, 0x01, 0x54],
    [0x48, 0x28, 0x78],
    [0x3e, 0x4a, 0x89],
    [0x31, 0x68, 0x8e],
    [0x26, 0x82, 0x8e],
    [0x1f, 0x9e, 0x89],
    [0x35, 0xb7, 0x79],
    [0x6d, 0xcd, 0x59],
    [0xb4, 0xde, 0x2c],
    [0xfd, 0xe7, 0x25],
];

/// Linear RGBA in 0..1 as the shaders take it.
pub type Rgba = [f32; 4];

/// Background of the 3-D view (white, as the 2-D plots).
pub const BACKGROUND: Rgba = [1.0, 1.0, 1.0, 1.0];
/// Grid lines on the floor.
pub const GRID: Rgba = rgb(0xe0, 0xe0, 0xe0);
/// Axis X red, Y green, Z blue.
pub const AXES: [Rgba; 3] = [rgb(0xd6, 0x27, 0x28), rgb(0x2c, 0xa0, 0x2c), rgb(0x1f, 0x77, 0xb4)];
pub const START_MARKER: Rgba = rgb(0x2c, 0xa0, 0x2c);
pub const END_MARKER: Rgba = rgb(0xd6, 0x27, 0x28);
/// The marker at the time cursor: bright magenta, absent from viridis and the axis colours.
pub const CURSOR_MARKER: Rgba = rgb(0xff, 0x00, 0xd0);
/// Hues of overlaid (not highlighted) trajectories, cycled (Tableau 10 without red and green,
/// which mark ends).
pub const OVERLAY_HUES: [Rgba; 6] = [
    rgb(0x1f, 0x77, 0xb4),
    rgb(0xff, 0x7f, 0x0e),
    rgb(0x94, 0x67, 0xbd),
    rgb(0x8c, 0x56, 0x4b),
    rgb(0xe3, 0x77, 0xc2),
    rgb(0x17, 0xbe, 0xcf),
];

pub const fn rgb(r: u8, g: u8, b: u8) -> Rgba {
    [r as f32 / 255.0, g as f32 / 255.0, b as f32 / 255.0, 1.0]
}

/// Viridis at `fraction` in 0..1 (clamped; NaN gives the start colour).
pub fn viridis(fraction: f32) -> Rgba {
    let fraction = if fraction.is_nan() { 0.0 } else { fraction.clamp(0.0, 1.0) };
    let position = fraction * (VIRIDIS_STOPS.len() - 1) as f32;
    let lower = (position.floor() as usize).min(VIRIDIS_STOPS.len() - 2);
    let weight = position - lower as f32;
    let (a, b) = (VIRIDIS_STOPS[lower], VIRIDIS_STOPS[lower + 1]);
    let channel = |i: usize| (a[i] as f32 * (1.0 - weight) + b[i] as f32 * weight) / 255.0;
    [channel(0), channel(1), channel(2), 1.0]
}

/// An overlay colour along time: the hue from dark (start) to light (end), so direction still reads.
pub fn overlay_shade(hue: Rgba, fraction: f32) -> Rgba {
    let fraction = if fraction.is_nan() { 0.0 } else { fraction.clamp(0.0, 1.0) };
    // Start at 70 % of the hue, end mixed 45 % towards white.
    let darken = 0.7 + 0.3 * (fraction / 0.5).min(1.0);
    let lighten = ((fraction - 0.5).max(0.0) / 0.5) * 0.45;
    let channel = |c: f32| (c * darken) * (1.0 - lighten) + lighten;
    [channel(hue[0]), channel(hue[1]), channel(hue[2]), 1.0]
}

/// Relative luminance (Rec. 709 weights on the stored values), for tests and contrast checks.
pub fn luminance(color: Rgba) -> f32 {
    0.2126 * color[0] + 0.7152 * color[1] + 0.0722 * color[2]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn viridis_runs_from_purple_to_yellow_with_rising_lightness() {
        let start = viridis(0.0);
        let end = viridis(1.0);
        assert!((start[0] - 0x44 as f32 / 255.0).abs() < 1e-6 && start[2] > start[1]);
        assert!(end[0] > 0.9 && end[1] > 0.85 && end[2] < 0.2);
        let samples: Vec<f32> = (0..=200).map(|i| luminance(viridis(i as f32 / 200.0))).collect();
        assert!(samples.windows(2).all(|w| w[1] > w[0]), "lightness must rise monotonically");
        assert_eq!(viridis(-3.0), start);
        assert_eq!(viridis(7.0), end);
        assert_eq!(viridis(f32::NAN), start);
    }

    #[test]
    fn overlay_shades_brighten_along_time() {
        for hue in OVERLAY_HUES {
            let shades: Vec<f32> = (0..=20).map(|i| luminance(overlay_shade(hue, i as f32 / 20.0))).collect();
            assert!(shades.windows(2).all(|w| w[1] >= w[0]));
            assert!(shades[20] > shades[0] + 0.1);
            assert!(shades[20] < 0.95, "the end must stay visible on white");
        }
    }
}
