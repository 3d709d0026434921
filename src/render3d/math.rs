//! Small 3-D vector and 4×4 matrix helpers (column-major, as WebGL uniforms expect them).
//!
//! A [`Mat4`] is `m[column][row]`, so `m[3]` is the translation column and flattening the columns
//! in order gives the array `uniformMatrix4fv(…, transpose = false, …)` wants. Transforms are named
//! `to_from_from` (`view_from_world` maps world points into view space).

/// A 4×4 matrix, column-major: `m[column][row]`.
pub type Mat4 = [[f32; 4]; 4];

pub const IDENTITY: Mat4 = [[1.0, 0.0, 0.0, 0.0], [0.0, 1.0, 0.0, 0.0], [0.0, 0.0, 1.0, 0.0], [0.0, 0.0, 0.0, 1.0]];

pub fn add(a: [f32; 3], b: [f32; 3]) -> [f32; 3] {
    [a[0] + b[0], a[1] + b[1], a[2] + b[2]]
}

pub fn sub(a: [f32; 3], b: [f32; 3]) -> [f32; 3] {
    [a[0] - b[0], a[1] - b[1], a[2] - b[2]]
}

pub fn scale(a: [f32; 3], factor: f32) -> [f32; 3] {
    [a[0] * factor, a[1] * factor, a[2] * factor]
}

pub fn dot(a: [f32; 3], b: [f32; 3]) -> f32 {
    a[0] * b[0] + a[1] * b[1] + a[2] * b[2]
}

pub fn cross(a: [f32; 3], b: [f32; 3]) -> [f32; 3] {
    [a[1] * b[2] - a[2] * b[1], a[2] * b[0] - a[0] * b[2], a[0] * b[1] - a[1] * b[0]]
}

pub fn length(a: [f32; 3]) -> f32 {
    dot(a, a).sqrt()
}

/// `a` scaled to unit length (`a` itself when it is too short to normalise).
pub fn normalize(a: [f32; 3]) -> [f32; 3] {
    let len = length(a);
    if len > f32::MIN_POSITIVE {
        scale(a, 1.0 / len)
    } else {
        a
    }
}

pub fn is_finite3(a: [f32; 3]) -> bool {
    a.iter().all(|v| v.is_finite())
}

/// `a · b`.
pub fn mul(a: &Mat4, b: &Mat4) -> Mat4 {
    let mut out = [[0.0f32; 4]; 4];
    for (column, out_column) in out.iter_mut().enumerate() {
        for (row, value) in out_column.iter_mut().enumerate() {
            *value = (0..4).map(|k| a[k][row] * b[column][k]).sum();
        }
    }
    out
}

/// `m · (x, y, z, 1)`, all four homogeneous components.
pub fn transform_homogeneous(m: &Mat4, p: [f32; 3]) -> [f32; 4] {
    let mut out = [0.0f32; 4];
    for (row, value) in out.iter_mut().enumerate() {
        *value = m[0][row] * p[0] + m[1][row] * p[1] + m[2][row] * p[2] + m[3][row];
    }
    out
}

/// `m · (x, y, z, 1)` for an affine `m` (the w row is ignored).
pub fn transform_point(m: &Mat4, p: [f32; 3]) -> [f32; 3] {
    let h = transform_homogeneous(m, p);
    [h[0], h[1], h[2]]
}

/// A diagonal scale followed by nothing else.
pub fn scaling(factors: [f32; 3]) -> Mat4 {
    let mut m = IDENTITY;
    m[0][0] = factors[0];
    m[1][1] = factors[1];
    m[2][2] = factors[2];
    m
}

pub fn translation(offset: [f32; 3]) -> Mat4 {
    let mut m = IDENTITY;
    m[3] = [offset[0], offset[1], offset[2], 1.0];
    m
}

/// The view transform of a camera at `eye` looking at `target` with `up` roughly upwards
/// (right-handed, the camera looks down its −z axis).
pub fn view_from_world_look_at(eye: [f32; 3], target: [f32; 3], up: [f32; 3]) -> Mat4 {
    let forward = normalize(sub(target, eye));
    let right = normalize(cross(forward, up));
    let camera_up = cross(right, forward);
    [
        [right[0], camera_up[0], -forward[0], 0.0],
        [right[1], camera_up[1], -forward[1], 0.0],
        [right[2], camera_up[2], -forward[2], 0.0],
        [-dot(right, eye), -dot(camera_up, eye), dot(forward, eye), 1.0],
    ]
}

/// OpenGL perspective projection with separate focal scales for x and y (`1 / tan(half fov)`).
pub fn clip_from_view_perspective(focal_x: f32, focal_y: f32, near: f32, far: f32) -> Mat4 {
    let depth = near - far;
    [
        [focal_x, 0.0, 0.0, 0.0],
        [0.0, focal_y, 0.0, 0.0],
        [0.0, 0.0, (far + near) / depth, -1.0],
        [0.0, 0.0, 2.0 * far * near / depth, 0.0],
    ]
}

/// The 16 floats of `m`, column after column (for `uniformMatrix4fv`).
pub fn flatten(m: &Mat4) -> [f32; 16] {
    let mut out = [0.0f32; 16];
    for (column, values) in m.iter().enumerate() {
        out[column * 4..column * 4 + 4].copy_from_slice(values);
    }
    out
}

/// An axis-aligned box; `empty()` until a finite point is added.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Bounds3 {
    pub min: [f32; 3],
    pub max: [f32; 3],
}

impl Bounds3 {
    pub fn empty() -> Bounds3 {
        Bounds3 { min: [f32::INFINITY; 3], max: [f32::NEG_INFINITY; 3] }
    }

    pub fn is_empty(&self) -> bool {
        (0..3).any(|axis| self.min[axis] > self.max[axis])
    }

    /// Grows the box to hold `p`; non-finite points are ignored.
    pub fn include(&mut self, p: [f32; 3]) {
        if !is_finite3(p) {
            return;
        }
        for ((min, max), value) in self.min.iter_mut().zip(self.max.iter_mut()).zip(p) {
            *min = min.min(value);
            *max = max.max(value);
        }
    }

    pub fn union(&mut self, other: &Bounds3) {
        if !other.is_empty() {
            self.include(other.min);
            self.include(other.max);
        }
    }

    pub fn center(&self) -> [f32; 3] {
        scale(add(self.min, self.max), 0.5)
    }

    pub fn extent(&self) -> [f32; 3] {
        sub(self.max, self.min)
    }

    /// Half the diagonal.
    pub fn radius(&self) -> f32 {
        length(self.extent()) * 0.5
    }

    pub fn corners(&self) -> [[f32; 3]; 8] {
        let (a, b) = (self.min, self.max);
        [
            [a[0], a[1], a[2]],
            [b[0], a[1], a[2]],
            [a[0], b[1], a[2]],
            [b[0], b[1], a[2]],
            [a[0], a[1], b[2]],
            [b[0], a[1], b[2]],
            [a[0], b[1], b[2]],
            [b[0], b[1], b[2]],
        ]
    }

    /// The box of `self`'s corners mapped through the affine `m`.
    pub fn transformed(&self, m: &Mat4) -> Bounds3 {
        let mut out = Bounds3::empty();
        if !self.is_empty() {
            for corner in self.corners() {
                out.include(transform_point(m, corner));
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: [f32; 3], b: [f32; 3]) -> bool {
        (0..3).all(|i| (a[i] - b[i]).abs() < 1e-5)
    }

    #[test]
    fn products_compose_transforms_right_to_left() {
        let world_from_object = mul(&translation([1.0, 2.0, 3.0]), &scaling([2.0, 2.0, 2.0]));
        assert!(close(transform_point(&world_from_object, [1.0, 0.0, 0.0]), [3.0, 2.0, 3.0]));
        assert_eq!(mul(&IDENTITY, &world_from_object), world_from_object);
        let flat = flatten(&world_from_object);
        assert_eq!(&flat[12..16], &[1.0, 2.0, 3.0, 1.0]);
    }

    #[test]
    fn look_at_puts_the_target_straight_ahead() {
        let eye = [3.0, -4.0, 2.0];
        let target = [0.5, 0.5, 0.5];
        let view_from_world = view_from_world_look_at(eye, target, [0.0, 0.0, 1.0]);
        let in_view = transform_point(&view_from_world, target);
        assert!(in_view[0].abs() < 1e-5 && in_view[1].abs() < 1e-5);
        assert!((in_view[2] + length(sub(target, eye))).abs() < 1e-4, "target is ahead on −z: {in_view:?}");
        // World up stays up on screen.
        let above = transform_point(&view_from_world, add(target, [0.0, 0.0, 1.0]));
        assert!(above[1] > 0.5);
    }

    #[test]
    fn perspective_maps_near_and_far_to_the_depth_range() {
        let clip_from_view = clip_from_view_perspective(1.0, 1.0, 0.5, 10.0);
        let near = transform_homogeneous(&clip_from_view, [0.0, 0.0, -0.5]);
        let far = transform_homogeneous(&clip_from_view, [0.0, 0.0, -10.0]);
        assert!((near[2] / near[3] + 1.0).abs() < 1e-5);
        assert!((far[2] / far[3] - 1.0).abs() < 1e-5);
        assert!((near[3] - 0.5).abs() < 1e-6, "w is the distance in front of the camera");
    }

    #[test]
    fn bounds_ignore_non_finite_points() {
        let mut bounds = Bounds3::empty();
        assert!(bounds.is_empty());
        bounds.include([f32::NAN, 0.0, 0.0]);
        assert!(bounds.is_empty());
        bounds.include([1.0, 2.0, 3.0]);
        bounds.include([-1.0, 0.0, 5.0]);
        assert_eq!(bounds.min, [-1.0, 0.0, 3.0]);
        assert_eq!(bounds.max, [1.0, 2.0, 5.0]);
        assert_eq!(bounds.center(), [0.0, 1.0, 4.0]);
        let moved = bounds.transformed(&translation([1.0, 1.0, 1.0]));
        assert_eq!(moved.min, [0.0, 1.0, 4.0]);
    }
}
