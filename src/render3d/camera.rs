//! The orbit camera of the 3-D view: yaw/pitch around a target, pan and zoom, fit to a box, reset.
//!
//! The world is z-up (as robot frames are). Yaw turns around world z, pitch lifts the camera above
//! the xy plane. Screen deltas are in CSS pixels, y pointing down (as pointer events give them).

use std::f32::consts::FRAC_PI_2;

use super::math::{
    add, clip_from_view_perspective, cross, normalize, scale, sub, view_from_world_look_at, Bounds3, Mat4,
};

/// Radians of orbit per pixel dragged.
pub const ORBIT_RADIANS_PER_PX: f32 = 0.008;
/// Pitch never reaches straight up or down (the look-at basis would degenerate).
const PITCH_LIMIT_RADIANS: f32 = FRAC_PI_2 - 0.01;
/// Room around a fitted box.
const FIT_MARGIN: f32 = 1.1;

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct OrbitCamera {
    pub target: [f32; 3],
    pub distance: f32,
    /// Around world z; 0 looks from +x towards the target.
    pub yaw_radians: f32,
    /// Above the xy plane.
    pub pitch_radians: f32,
    /// Vertical field of view (horizontal when the viewport is taller than wide).
    pub fov_radians: f32,
    /// Radius of the fitted scene: bounds the zoom and sets the depth range.
    pub scene_radius: f32,
    home: Home,
}

#[derive(Debug, Clone, Copy, PartialEq)]
struct Home {
    target: [f32; 3],
    distance: f32,
    yaw_radians: f32,
    pitch_radians: f32,
}

impl Default for OrbitCamera {
    fn default() -> Self {
        OrbitCamera::new()
    }
}

impl OrbitCamera {
    /// Looking at the unit cube around the origin from the front right, 30° above.
    pub fn new() -> OrbitCamera {
        let home = Home {
            target: [0.0; 3],
            distance: 3.0,
            yaw_radians: -60f32.to_radians(),
            pitch_radians: 30f32.to_radians(),
        };
        OrbitCamera {
            target: home.target,
            distance: home.distance,
            yaw_radians: home.yaw_radians,
            pitch_radians: home.pitch_radians,
            fov_radians: 45f32.to_radians(),
            scene_radius: 1.0,
            home,
        }
    }

    /// Turns the camera by a drag of `(dx_px, dy_px)`: right turns the scene right, down looks
    /// more from above.
    pub fn orbit(&mut self, dx_px: f32, dy_px: f32) {
        if !(dx_px.is_finite() && dy_px.is_finite()) {
            return;
        }
        self.yaw_radians = (self.yaw_radians - dx_px * ORBIT_RADIANS_PER_PX).rem_euclid(std::f32::consts::TAU);
        self.pitch_radians =
            (self.pitch_radians + dy_px * ORBIT_RADIANS_PER_PX).clamp(-PITCH_LIMIT_RADIANS, PITCH_LIMIT_RADIANS);
    }

    /// Moves the target so that what is at the target's depth follows a drag of `(dx_px, dy_px)`
    /// on a viewport of `viewport_px` (width, height) CSS pixels.
    pub fn pan(&mut self, dx_px: f32, dy_px: f32, viewport_px: [f32; 2]) {
        if !(dx_px.is_finite() && dy_px.is_finite()) {
            return;
        }
        let world_per_px = self.world_per_px_at_target(viewport_px);
        let (right, up) = self.screen_axes();
        let offset = add(scale(right, -dx_px * world_per_px), scale(up, dy_px * world_per_px));
        self.target = add(self.target, offset);
    }

    /// Multiplies the distance by `factor` (< 1 comes closer), within 1/50 … 50 scene radii.
    pub fn zoom(&mut self, factor: f32) {
        if !(factor.is_finite() && factor > 0.0) {
            return;
        }
        let radius = self.scene_radius.max(f32::MIN_POSITIVE);
        self.distance = (self.distance * factor).clamp(radius * 0.02, radius * 50.0);
    }

    /// Frames `bounds` (world space) from the home direction and makes that the home view.
    pub fn fit(&mut self, bounds: &Bounds3) {
        let (center, radius) = if bounds.is_empty() {
            ([0.0; 3], 1.0)
        } else {
            let radius = bounds.radius();
            (bounds.center(), if radius > 1e-6 { radius } else { 1.0 })
        };
        self.scene_radius = radius;
        self.home.target = center;
        self.home.distance = radius / (self.fov_radians * 0.5).sin() * FIT_MARGIN;
        self.reset();
    }

    /// Back to the view `fit` chose (or the initial one).
    pub fn reset(&mut self) {
        self.target = self.home.target;
        self.distance = self.home.distance;
        self.yaw_radians = self.home.yaw_radians;
        self.pitch_radians = self.home.pitch_radians;
    }

    pub fn eye(&self) -> [f32; 3] {
        let (sin_yaw, cos_yaw) = self.yaw_radians.sin_cos();
        let (sin_pitch, cos_pitch) = self.pitch_radians.sin_cos();
        add(self.target, scale([cos_pitch * cos_yaw, cos_pitch * sin_yaw, sin_pitch], self.distance))
    }

    pub fn view_from_world(&self) -> Mat4 {
        view_from_world_look_at(self.eye(), self.target, [0.0, 0.0, 1.0])
    }

    /// Perspective for a viewport of `aspect` = width / height; the field of view applies to the
    /// shorter side, so a fitted scene stays in view on narrow screens.
    pub fn clip_from_view(&self, aspect: f32) -> Mat4 {
        let aspect = if aspect.is_finite() && aspect > 0.0 { aspect } else { 1.0 };
        let focal = 1.0 / (self.fov_radians * 0.5).tan();
        let (focal_x, focal_y) = if aspect >= 1.0 { (focal / aspect, focal) } else { (focal, focal * aspect) };
        let (near, far) = self.depth_range();
        clip_from_view_perspective(focal_x, focal_y, near, far)
    }

    /// Near and far plane distances (near is also the clip-space w at the near plane).
    pub fn depth_range(&self) -> (f32, f32) {
        let near = (self.distance * 0.01).max(1e-6);
        let far = self.distance * 2.0 + self.scene_radius * 4.0;
        (near, far)
    }

    /// The camera's right and up directions in world space.
    pub fn screen_axes(&self) -> ([f32; 3], [f32; 3]) {
        let forward = normalize(sub(self.target, self.eye()));
        let right = normalize(cross(forward, [0.0, 0.0, 1.0]));
        (right, cross(right, forward))
    }

    fn world_per_px_at_target(&self, viewport_px: [f32; 2]) -> f32 {
        let [width, height] = viewport_px;
        let shorter = width.min(height);
        if !(shorter.is_finite() && shorter > 0.0) {
            return 0.0;
        }
        2.0 * self.distance * (self.fov_radians * 0.5).tan() / shorter
    }
}

#[cfg(test)]
mod tests {
    use super::super::math::{mul, transform_homogeneous};
    use super::*;

    /// Where a world point lands in CSS pixels (y down) on a `viewport` of (width, height).
    fn to_screen(camera: &OrbitCamera, point: [f32; 3], viewport: [f32; 2]) -> [f32; 2] {
        let clip_from_world = mul(&camera.clip_from_view(viewport[0] / viewport[1]), &camera.view_from_world());
        let clip = transform_homogeneous(&clip_from_world, point);
        let ndc = [clip[0] / clip[3], clip[1] / clip[3]];
        [(ndc[0] + 1.0) * 0.5 * viewport[0], (1.0 - ndc[1]) * 0.5 * viewport[1]]
    }

    fn unit_box() -> Bounds3 {
        Bounds3 { min: [-0.2, 0.1, 0.0], max: [0.4, 0.5, 0.3] }
    }

    #[test]
    fn fit_keeps_every_corner_in_view_for_wide_and_tall_viewports() {
        let mut camera = OrbitCamera::new();
        camera.fit(&unit_box());
        for viewport in [[800.0, 400.0], [300.0, 900.0], [500.0, 500.0]] {
            for corner in unit_box().corners() {
                let [x, y] = to_screen(&camera, corner, viewport);
                assert!((0.0..=viewport[0]).contains(&x) && (0.0..=viewport[1]).contains(&y), "{corner:?} → {x},{y}");
            }
        }
        let center = to_screen(&camera, unit_box().center(), [800.0, 400.0]);
        assert!((center[0] - 400.0).abs() < 0.01 && (center[1] - 200.0).abs() < 0.01);
    }

    #[test]
    fn pan_moves_the_target_plane_with_the_pointer() {
        let mut camera = OrbitCamera::new();
        camera.fit(&unit_box());
        let viewport = [640.0, 480.0];
        let anchor = camera.target;
        camera.pan(30.0, -20.0, viewport);
        let [x, y] = to_screen(&camera, anchor, viewport);
        assert!((x - (320.0 + 30.0)).abs() < 0.05 && (y - (240.0 - 20.0)).abs() < 0.05, "{x},{y}");
        // Tall viewports too (the field of view is horizontal there).
        let viewport = [300.0, 600.0];
        let anchor = camera.target;
        camera.pan(-12.0, 40.0, viewport);
        let [x, y] = to_screen(&camera, anchor, viewport);
        assert!((x - (150.0 - 12.0)).abs() < 0.05 && (y - (300.0 + 40.0)).abs() < 0.05, "{x},{y}");
    }

    #[test]
    fn orbit_turns_around_the_target_and_stops_short_of_the_poles() {
        let mut camera = OrbitCamera::new();
        camera.fit(&unit_box());
        let before = camera.eye();
        camera.orbit(100.0, 0.0);
        let after = camera.eye();
        assert_ne!(before, after);
        let distance = super::super::math::length(sub(after, camera.target));
        assert!((distance - camera.distance).abs() < 1e-4);
        assert!((before[2] - after[2]).abs() < 1e-5, "a horizontal drag keeps the height");
        // Dragging right turns the scene right: a point between the target and the eye moves right.
        let mut fresh = OrbitCamera::new();
        fresh.fit(&unit_box());
        let toward_eye = sub(fresh.eye(), fresh.target);
        let front = add(fresh.target, scale([toward_eye[0], toward_eye[1], 0.0], 0.3));
        let x_before = to_screen(&fresh, front, [600.0, 400.0])[0];
        fresh.orbit(40.0, 0.0);
        assert!(to_screen(&fresh, front, [600.0, 400.0])[0] > x_before + 1.0);
        camera.orbit(0.0, 1.0e6);
        assert!(camera.pitch_radians < FRAC_PI_2 && camera.pitch_radians > 1.5);
        camera.orbit(0.0, -1.0e7);
        assert!(camera.pitch_radians > -FRAC_PI_2);
        let (near, _) = camera.depth_range();
        assert!(camera.view_from_world().iter().flatten().all(|v| v.is_finite()) && near > 0.0);
    }

    #[test]
    fn zoom_is_bounded_and_reset_restores_the_fitted_view() {
        let mut camera = OrbitCamera::new();
        camera.fit(&unit_box());
        let fitted = camera;
        camera.zoom(0.5);
        assert!((camera.distance - fitted.distance * 0.5).abs() < 1e-5);
        camera.zoom(1e-9);
        assert!(camera.distance >= camera.scene_radius * 0.02 - 1e-6);
        camera.zoom(1e9);
        assert!(camera.distance <= camera.scene_radius * 50.0 + 1e-3);
        camera.zoom(f32::NAN);
        camera.zoom(-2.0);
        assert!(camera.distance.is_finite() && camera.distance > 0.0);
        camera.orbit(50.0, 20.0);
        camera.pan(10.0, 10.0, [100.0, 100.0]);
        camera.reset();
        assert_eq!(camera, fitted);
    }

    #[test]
    fn degenerate_boxes_still_give_a_usable_view() {
        let mut camera = OrbitCamera::new();
        camera.fit(&Bounds3::empty());
        assert_eq!(camera.target, [0.0; 3]);
        camera.fit(&Bounds3 { min: [2.0; 3], max: [2.0; 3] });
        assert_eq!(camera.target, [2.0; 3]);
        assert!(camera.distance > 1.0);
        assert!(camera.clip_from_view(0.0).iter().flatten().all(|v| v.is_finite()));
    }
}
