//! The 3-D trajectory view: three chosen dimensions of one or more episodes as paths coloured by
//! time, start/end/cursor markers, a grid with labelled axes, robot link primitives, and an orbit
//! camera — WebGL2 through web-sys, no Leptos.
//!
//! Everything but the GPU code is plain Rust, compiled everywhere and tested natively:
//! `axes` (default dimensions, labels, units, ticks), `camera`, `colormap`, `input` (pointer
//! gestures → camera actions), `math`, `pick` (projection, label placement, click picking) and
//! `scene` (scene data and vertex buffers), `shaders` (GLSL sources and vertex layouts). `gl`
//! (wasm32 only) holds `Viewer3d`, which draws a `Scene` on a canvas and handles input.
//!
//! Wiring (in a component): pick axes with `default_axes(&features)`, build the scene with
//! `Scene::from_episodes(&[&frames…], &choice, highlighted)`, create `Viewer3d::new(canvas,
//! Some(overlay_canvas))` (on `Err(Viewer3dError::Unavailable{..})` show its message instead),
//! `attach_input()`, `set_scene(&scene)`, then `set_cursor(Some(t))` when the shared cursor moves;
//! `set_on_pick` reports clicked points (their time). Dropping the viewer detaches everything.

pub mod axes;
pub mod camera;
pub mod colormap;
pub mod input;
pub mod math;
pub mod pick;
pub mod scene;
pub mod shaders;

#[cfg(target_arch = "wasm32")]
pub mod gl;

pub use axes::{axis_label, axis_unit, default_axes, AxisChoice, AxisScaling, DimRef, FeatureDims};
pub use camera::OrbitCamera;
pub use math::Mat4;
pub use pick::{LabelKind, PickHit, ScreenLabel};
pub use scene::{Primitive, PrimitiveKind, Scene, Trajectory, TrajectoryError};

#[cfg(target_arch = "wasm32")]
pub use gl::Viewer3d;

/// Why the 3-D view cannot be shown.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Viewer3dError {
    /// `getContext("webgl2")` gave nothing: the UI shows this message instead of the view.
    #[error("3D view needs WebGL2, which this browser does not provide: {reason}")]
    Unavailable { reason: String },
    #[error("WebGL2 {stage} shader of `{program}` did not compile: {log}")]
    ShaderCompile { program: &'static str, stage: &'static str, log: String },
    #[error("WebGL2 program `{program}` did not link: {log}")]
    ProgramLink { program: &'static str, log: String },
    #[error("WebGL2 could not create {what}")]
    Resource { what: &'static str },
    #[error("could not listen to `{event}` events on the canvas")]
    Listener { event: &'static str },
}

#[cfg(test)]
mod tests {
    use super::Viewer3dError;

    #[test]
    fn the_unavailable_message_says_what_is_missing_and_why() {
        let error = Viewer3dError::Unavailable { reason: "getContext(\"webgl2\") returned null".into() };
        assert_eq!(
            error.to_string(),
            "3D view needs WebGL2, which this browser does not provide: getContext(\"webgl2\") returned null"
        );
    }
}
