//! The WebGL2 side of the 3-D view: [`Viewer3d`] uploads a [`Scene`]'s vertex data once, draws it,
//! moves the cursor markers cheaply, and turns pointer input into camera moves.
//!
//! Drawing, in order, with the depth test on: the grid (1 px lines), robot link primitives (lit
//! triangles), trajectories (one instanced draw each: a quad per segment extruded to a fixed
//! screen width in the vertex shader, since WebGL2 lines are 1 px), the axes (the same ribbons);
//! then, on top, round start/end/cursor markers (one instanced draw). Text — tick values and axis
//! names — is painted on an optional 2-D overlay canvas stacked on the WebGL canvas.

use std::cell::RefCell;
use std::rc::Rc;

use wasm_bindgen::closure::Closure;
use wasm_bindgen::{JsCast, JsValue};
use web_sys::{
    AddEventListenerOptions, CanvasRenderingContext2d, Event, EventTarget, HtmlCanvasElement, KeyboardEvent,
    PointerEvent, ResizeObserver, WebGl2RenderingContext as Gl, WebGlBuffer, WebGlContextAttributes, WebGlProgram,
    WebGlShader, WebGlUniformLocation, WebGlVertexArrayObject, WheelEvent,
};

use super::camera::OrbitCamera;
use super::colormap::{self, Rgba};
use super::input::{CameraAction, Gestures, PointerDown};
use super::math::{flatten, mul, Mat4};
use super::pick::{self, LabelKind, PickHit, ScreenLabel};
use super::scene::{marker_instances, Scene, SceneGeometry};
use super::shaders::{self, ShaderProgram};
use super::Viewer3dError;

/// Ribbon widths in CSS pixels.
const HIGHLIGHT_WIDTH_PX: f32 = 3.0;
const OVERLAY_WIDTH_PX: f32 = 2.0;
const AXIS_WIDTH_PX: f32 = 2.0;
/// A click picks the nearest trajectory point within this distance.
const PICK_RADIUS_PX: f32 = 10.0;
/// Canvas backing stores are clamped to this many device pixels per side.
const MAX_CANVAS_SIDE_PX: f64 = 8192.0;
const LABEL_FONT: &str = "12px system-ui, -apple-system, 'Segoe UI', sans-serif";

/// A linked program and its uniform locations (a uniform the compiler removed has none).
struct Program {
    program: WebGlProgram,
    uniforms: Vec<(&'static str, Option<WebGlUniformLocation>)>,
}

impl Program {
    fn new(gl: &Gl, source: &ShaderProgram) -> Result<Program, Viewer3dError> {
        let name = source.name;
        let vs = compile(gl, name, Gl::VERTEX_SHADER, source.vertex)?;
        let fs = match compile(gl, name, Gl::FRAGMENT_SHADER, source.fragment) {
            Ok(fs) => fs,
            Err(error) => {
                gl.delete_shader(Some(&vs));
                return Err(error);
            }
        };
        let program = gl.create_program().ok_or(Viewer3dError::Resource { what: "a shader program" })?;
        gl.attach_shader(&program, &vs);
        gl.attach_shader(&program, &fs);
        gl.link_program(&program);
        gl.delete_shader(Some(&vs));
        gl.delete_shader(Some(&fs));
        if !gl.get_program_parameter(&program, Gl::LINK_STATUS).as_bool().unwrap_or(false) {
            let log = gl.get_program_info_log(&program).unwrap_or_default();
            gl.delete_program(Some(&program));
            return Err(Viewer3dError::ProgramLink { program: name, log });
        }
        let uniforms = source.uniforms.iter().map(|&u| (u, gl.get_uniform_location(&program, u))).collect();
        Ok(Program { program, uniforms })
    }

    fn uniform(&self, name: &str) -> Option<&WebGlUniformLocation> {
        self.uniforms.iter().find(|(n, _)| *n == name).and_then(|(_, location)| location.as_ref())
    }
}

fn compile(gl: &Gl, program: &'static str, stage: u32, source: &str) -> Result<WebGlShader, Viewer3dError> {
    let stage_name = if stage == Gl::VERTEX_SHADER { "vertex" } else { "fragment" };
    let shader = gl.create_shader(stage).ok_or(Viewer3dError::Resource { what: "a shader" })?;
    gl.shader_source(&shader, source);
    gl.compile_shader(&shader);
    if gl.get_shader_parameter(&shader, Gl::COMPILE_STATUS).as_bool().unwrap_or(false) {
        Ok(shader)
    } else {
        let log = gl.get_shader_info_log(&shader).unwrap_or_default();
        gl.delete_shader(Some(&shader));
        Err(Viewer3dError::ShaderCompile { program, stage: stage_name, log })
    }
}

struct Programs {
    ribbon: Program,
    line: Program,
    marker: Program,
    mesh: Program,
}

impl Programs {
    fn new(gl: &Gl) -> Result<Programs, Viewer3dError> {
        Ok(Programs {
            ribbon: Program::new(gl, &shaders::RIBBON)?,
            line: Program::new(gl, &shaders::LINE)?,
            marker: Program::new(gl, &shaders::MARKER)?,
            mesh: Program::new(gl, &shaders::MESH)?,
        })
    }

    fn delete(&self, gl: &Gl) {
        for program in [&self.ribbon, &self.line, &self.marker, &self.mesh] {
            gl.delete_program(Some(&program.program));
        }
    }
}

/// A vertex array over one buffer, with what a draw needs.
struct GpuArray {
    vao: WebGlVertexArrayObject,
    buffer: WebGlBuffer,
    /// Vertices (lines, meshes) or instances (ribbons, markers).
    count: i32,
}

impl GpuArray {
    /// Uploads `data` and describes it with the vertex layout of `program`.
    fn new(gl: &Gl, data: &[f32], program: &ShaderProgram, usage: u32) -> Result<GpuArray, Viewer3dError> {
        let vao = gl.create_vertex_array().ok_or(Viewer3dError::Resource { what: "a vertex array" })?;
        let buffer = gl.create_buffer().ok_or(Viewer3dError::Resource { what: "a vertex buffer" })?;
        gl.bind_vertex_array(Some(&vao));
        gl.bind_buffer(Gl::ARRAY_BUFFER, Some(&buffer));
        gl.buffer_data_with_array_buffer_view(Gl::ARRAY_BUFFER, &js_sys::Float32Array::from(data), usage);
        let stride = (program.floats_per_item * 4) as i32;
        for attribute in program.attributes {
            let location = attribute.location;
            gl.enable_vertex_attrib_array(location);
            gl.vertex_attrib_pointer_with_i32(
                location,
                attribute.components,
                Gl::FLOAT,
                false,
                stride,
                attribute.offset_bytes,
            );
            gl.vertex_attrib_divisor(location, u32::from(program.per_instance));
        }
        gl.bind_vertex_array(None);
        gl.bind_buffer(Gl::ARRAY_BUFFER, None);
        let items = data.len() / program.floats_per_item.max(1);
        Ok(GpuArray { vao, buffer, count: i32::try_from(items).unwrap_or(i32::MAX) })
    }

    /// A trajectory or axis ribbon: instance `i` is the segment from point `i` to `i + 1`.
    fn ribbon(gl: &Gl, vertices: &[f32]) -> Result<GpuArray, Viewer3dError> {
        let mut array = GpuArray::new(gl, vertices, &shaders::RIBBON, Gl::STATIC_DRAW)?;
        array.count = (array.count - 1).max(0);
        Ok(array)
    }

    fn delete(&self, gl: &Gl) {
        gl.delete_vertex_array(Some(&self.vao));
        gl.delete_buffer(Some(&self.buffer));
    }
}

/// A primitive on the GPU: its triangles and where it is.
struct GpuPrimitive {
    triangles: GpuArray,
    world_from_object: Mat4,
    color: Rgba,
}

/// Everything uploaded for the current scene.
#[derive(Default)]
struct GpuScene {
    /// Trajectory ribbons with their highlight flag, drawn non-highlighted first.
    trajectories: Vec<(GpuArray, bool)>,
    axes: Option<GpuArray>,
    grid: Option<GpuArray>,
    markers: Option<GpuArray>,
    primitives: Vec<GpuPrimitive>,
}

impl GpuScene {
    fn delete(&mut self, gl: &Gl) {
        let arrays = self.trajectories.drain(..).map(|(a, _)| a).chain(self.primitives.drain(..).map(|p| p.triangles));
        let rest = [self.axes.take(), self.grid.take(), self.markers.take()].into_iter().flatten();
        for array in arrays.chain(rest) {
            array.delete(gl);
        }
    }
}

struct Overlay {
    canvas: HtmlCanvasElement,
    context: CanvasRenderingContext2d,
}

struct ViewerState {
    gl: Gl,
    canvas: HtmlCanvasElement,
    overlay: Option<Overlay>,
    programs: Programs,
    camera: OrbitCamera,
    gestures: Gestures,
    /// The scene as last set (points and times for the cursor and picking).
    scene: Scene,
    /// Its geometry without the vertex arrays (those live on the GPU).
    geometry: SceneGeometry,
    gpu: GpuScene,
    cursor_time_secs: Option<f32>,
    viewport_css_px: [f32; 2],
    pixel_ratio: f32,
    /// A pending `requestAnimationFrame` and the callback it runs.
    frame_request: Option<i32>,
    frame_callback: Option<Closure<dyn FnMut()>>,
}

/// The WebGL2 3-D trajectory view on one canvas. Dropping it removes its listeners, stops its
/// observers and frees its GPU objects.
pub struct Viewer3d {
    state: Rc<RefCell<ViewerState>>,
    listeners: Vec<Listener>,
    resize_observer: Option<SizeObserver>,
    on_pick: Rc<RefCell<Option<PickCallback>>>,
}

/// An event listener registered on the canvas, removed on drop.
struct Listener {
    target: EventTarget,
    event: &'static str,
    closure: Closure<dyn FnMut(Event)>,
}

/// The canvas's `ResizeObserver` and the callback it calls, disconnected on drop.
struct SizeObserver {
    observer: ResizeObserver,
    _callback: Closure<dyn FnMut(js_sys::Array)>,
}

type PickCallback = Rc<dyn Fn(PickHit)>;

impl Viewer3d {
    /// A viewer drawing on `canvas`, with tick and axis labels painted on `overlay` when given (a
    /// second canvas of the same size stacked on top, with `pointer-events: none`). Fails with
    /// [`Viewer3dError::Unavailable`] when the browser has no WebGL2.
    pub fn new(canvas: HtmlCanvasElement, overlay: Option<HtmlCanvasElement>) -> Result<Viewer3d, Viewer3dError> {
        let attributes = WebGlContextAttributes::new();
        attributes.set_antialias(true);
        attributes.set_depth(true);
        attributes.set_preserve_drawing_buffer(true);
        let gl = match canvas.get_context_with_context_options("webgl2", &attributes) {
            Ok(Some(context)) => context.dyn_into::<Gl>().map_err(|_| Viewer3dError::Unavailable {
                reason: "getContext(\"webgl2\") returned something else than a WebGL2 context".into(),
            })?,
            Ok(None) => {
                return Err(Viewer3dError::Unavailable {
                    reason: "getContext(\"webgl2\") returned null (WebGL2 is disabled or the GPU is not supported)"
                        .into(),
                })
            }
            Err(error) => return Err(Viewer3dError::Unavailable { reason: js_error_text(&error) }),
        };
        if gl.is_context_lost() {
            return Err(Viewer3dError::Unavailable { reason: "the WebGL2 context is lost".into() });
        }
        let programs = Programs::new(&gl)?;
        let overlay = overlay.and_then(|canvas| {
            let context = canvas.get_context("2d").ok()??.dyn_into::<CanvasRenderingContext2d>().ok()?;
            Some(Overlay { canvas, context })
        });
        let scene = Scene::default();
        let geometry = SceneGeometry::build(&scene);
        let mut camera = OrbitCamera::new();
        camera.fit(&geometry.world_bounds());
        let state = Rc::new(RefCell::new(ViewerState {
            gl,
            canvas,
            overlay,
            programs,
            camera,
            gestures: Gestures::new(),
            scene,
            geometry,
            gpu: GpuScene::default(),
            cursor_time_secs: None,
            viewport_css_px: [1.0, 1.0],
            pixel_ratio: 1.0,
            frame_request: None,
            frame_callback: None,
        }));
        let weak = Rc::downgrade(&state);
        let callback = Closure::<dyn FnMut()>::new(move || {
            if let Some(state) = weak.upgrade() {
                let mut state = state.borrow_mut();
                state.frame_request = None;
                state.draw();
            }
        });
        {
            let mut inner = state.borrow_mut();
            inner.frame_callback = Some(callback);
            inner.resize();
            inner.draw();
        }
        Ok(Viewer3d { state, listeners: Vec::new(), resize_observer: None, on_pick: Rc::new(RefCell::new(None)) })
    }

    /// Uploads the scene's vertex data (once), fits the camera to it and draws. The previous
    /// scene's GPU buffers are freed.
    pub fn set_scene(&self, scene: &Scene) -> Result<(), Viewer3dError> {
        let mut state = self.state.borrow_mut();
        state.upload(scene)?;
        let world_bounds = state.geometry.world_bounds();
        state.camera.fit(&world_bounds);
        state.draw();
        Ok(())
    }

    /// As [`set_scene`](Self::set_scene), but keeps the user's current view (e.g. when an
    /// overlay is added or removed).
    pub fn set_scene_keep_view(&self, scene: &Scene) -> Result<(), Viewer3dError> {
        let mut state = self.state.borrow_mut();
        state.upload(scene)?;
        state.draw();
        Ok(())
    }

    /// Where the tick values and axis names go, in CSS pixels from the canvas's top left, for
    /// a caller that places them as HTML instead of passing an overlay canvas to [`new`](Self::new).
    pub fn screen_labels(&self) -> Vec<ScreenLabel> {
        let state = self.state.borrow();
        let clip_from_data = pick::clip_from_data(&state.camera, &state.geometry, state.viewport_css_px);
        pick::axis_screen_labels(&state.scene, &state.geometry, &clip_from_data, state.viewport_css_px)
    }

    /// Moves the cursor markers to `time_secs` (seconds from each episode's start; `None` hides
    /// them) and draws: only the small marker buffer changes.
    pub fn set_cursor(&self, time_secs: Option<f64>) {
        let mut state = self.state.borrow_mut();
        state.cursor_time_secs = time_secs.map(|t| t as f32);
        state.update_markers();
        state.draw();
    }

    /// Moves the robot link primitives (same count and order as in the scene) and draws.
    pub fn set_primitive_poses(&self, world_from_object: &[Mat4]) {
        let mut state = self.state.borrow_mut();
        for (primitive, pose) in state.gpu.primitives.iter_mut().zip(world_from_object) {
            primitive.world_from_object = *pose;
        }
        for (primitive, pose) in state.scene.primitives.iter_mut().zip(world_from_object) {
            primitive.world_from_object = *pose;
        }
        state.draw();
    }

    /// Draws now (the viewer also draws after every change and, on the next animation frame,
    /// after input).
    pub fn render(&self) {
        self.state.borrow_mut().draw();
    }

    /// Back to the fitted view.
    pub fn reset_view(&self) {
        let mut state = self.state.borrow_mut();
        state.camera.reset();
        state.draw();
    }

    /// Matches the canvas backing store (and the overlay's) to its CSS size × devicePixelRatio and
    /// draws. [`attach_input`](Self::attach_input) also does this whenever the canvas resizes.
    pub fn resize(&self) {
        let mut state = self.state.borrow_mut();
        state.resize();
        state.draw();
    }

    /// The camera, e.g. to keep a view across scenes.
    pub fn camera(&self) -> OrbitCamera {
        self.state.borrow().camera
    }

    /// Called with the trajectory point nearest to a click or tap (e.g. to move the time cursor).
    pub fn set_on_pick(&self, on_pick: impl Fn(PickHit) + 'static) {
        *self.on_pick.borrow_mut() = Some(Rc::new(on_pick));
    }

    /// Listens on the canvas: drag orbits; right, middle or shift drag and two fingers pan; the
    /// wheel and a pinch zoom; a double click or double tap resets; a click picks; arrows, `+`,
    /// `-` and `0` when the canvas has focus (it gets `tabindex=0` unless it has one). Also
    /// follows the canvas's size and rebuilds everything after a lost WebGL context is restored.
    /// Sets `touch-action: none` on the canvas so touch drags reach the view.
    pub fn attach_input(&mut self) -> Result<(), Viewer3dError> {
        if !self.listeners.is_empty() {
            return Ok(());
        }
        let canvas = self.state.borrow().canvas.clone();
        let _ = canvas.style().set_property("touch-action", "none");
        let target: EventTarget = canvas.clone().into();
        let weak = Rc::downgrade(&self.state);

        let down = {
            let weak = weak.clone();
            move |event: Event| {
                let (Some(event), Some(state)) = (event.dyn_ref::<PointerEvent>(), weak.upgrade()) else {
                    return;
                };
                let mut state = state.borrow_mut();
                let [x_px, y_px] = state.local_position(event);
                let followed = state.gestures.pointer_down(PointerDown {
                    pointer_id: event.pointer_id(),
                    x_px,
                    y_px,
                    button: event.button(),
                    shift: event.shift_key(),
                    time_ms: event.time_stamp(),
                });
                if followed {
                    let _ = state.canvas.set_pointer_capture(event.pointer_id());
                    event.prevent_default();
                }
            }
        };
        let moved = {
            let weak = weak.clone();
            move |event: Event| {
                let (Some(event), Some(state)) = (event.dyn_ref::<PointerEvent>(), weak.upgrade()) else {
                    return;
                };
                let mut state = state.borrow_mut();
                let [x_px, y_px] = state.local_position(event);
                let actions = state.gestures.pointer_move(event.pointer_id(), x_px, y_px);
                for action in actions {
                    state.apply(action);
                }
            }
        };
        let up = {
            let weak = weak.clone();
            let on_pick = self.on_pick.clone();
            move |event: Event| {
                let (Some(event), Some(state)) = (event.dyn_ref::<PointerEvent>(), weak.upgrade()) else {
                    return;
                };
                let mut hit = None;
                {
                    let mut state = state.borrow_mut();
                    let [x_px, y_px] = state.local_position(event);
                    let actions = state.gestures.pointer_up(event.pointer_id(), x_px, y_px, event.time_stamp());
                    for action in actions {
                        match action {
                            CameraAction::Pick { x_px, y_px } => hit = state.pick(x_px, y_px),
                            other => state.apply(other),
                        }
                    }
                }
                // The callback runs with no borrow held: it may call back into the viewer.
                let callback = on_pick.borrow().clone();
                if let (Some(hit), Some(callback)) = (hit, callback) {
                    callback(hit);
                }
            }
        };
        let cancel = {
            let weak = weak.clone();
            move |event: Event| {
                if let (Some(event), Some(state)) = (event.dyn_ref::<PointerEvent>(), weak.upgrade()) {
                    state.borrow_mut().gestures.pointer_cancel(event.pointer_id());
                }
            }
        };
        let wheel = {
            let weak = weak.clone();
            move |event: Event| {
                let (Some(event), Some(state)) = (event.dyn_ref::<WheelEvent>(), weak.upgrade()) else {
                    return;
                };
                event.prevent_default();
                let mut state = state.borrow_mut();
                if let Some(action) = state.gestures.wheel(event.delta_y() as f32, event.delta_mode()) {
                    state.apply(action);
                }
            }
        };
        let key = {
            let weak = weak.clone();
            move |event: Event| {
                let (Some(event), Some(state)) = (event.dyn_ref::<KeyboardEvent>(), weak.upgrade()) else {
                    return;
                };
                if event.ctrl_key() || event.meta_key() || event.alt_key() {
                    return;
                }
                let mut state = state.borrow_mut();
                if let Some(action) = state.gestures.key(&event.key(), event.shift_key()) {
                    event.prevent_default();
                    state.apply(action);
                }
            }
        };
        let context_lost = |event: Event| {
            // Without this the browser never restores the context.
            event.prevent_default();
        };
        let context_restored = {
            let weak = weak.clone();
            move |_event: Event| {
                if let Some(state) = weak.upgrade() {
                    let mut state = state.borrow_mut();
                    // Objects of the lost context are gone with it: rebuild programs and buffers.
                    if let Ok(programs) = Programs::new(&state.gl) {
                        state.programs = programs;
                        state.gpu = GpuScene::default();
                        let scene = state.scene.clone();
                        if state.upload(&scene).is_ok() {
                            state.draw();
                        }
                    }
                }
            }
        };
        let context_menu = |event: Event| event.prevent_default();

        self.listen(&target, "pointerdown", Box::new(down), false)?;
        self.listen(&target, "pointermove", Box::new(moved), false)?;
        self.listen(&target, "pointerup", Box::new(up), false)?;
        self.listen(&target, "pointercancel", Box::new(cancel), false)?;
        self.listen(&target, "wheel", Box::new(wheel), true)?;
        self.listen(&target, "contextmenu", Box::new(context_menu), false)?;
        self.listen(&target, "keydown", Box::new(key), true)?;
        self.listen(&target, "webglcontextlost", Box::new(context_lost), true)?;
        self.listen(&target, "webglcontextrestored", Box::new(context_restored), false)?;
        // Focusable, so the keys work; the lead's markup may set its own tabindex.
        if !canvas.has_attribute("tabindex") {
            let _ = canvas.set_attribute("tabindex", "0");
        }

        let on_resize = Closure::<dyn FnMut(js_sys::Array)>::new(move |_entries: js_sys::Array| {
            if let Some(state) = weak.upgrade() {
                let mut state = state.borrow_mut();
                if state.resize() {
                    state.draw();
                }
            }
        });
        let observer = ResizeObserver::new(on_resize.as_ref().unchecked_ref())
            .map_err(|_| Viewer3dError::Listener { event: "resize" })?;
        observer.observe(&canvas);
        self.resize_observer = Some(SizeObserver { observer, _callback: on_resize });
        Ok(())
    }

    fn listen(
        &mut self,
        target: &EventTarget,
        event: &'static str,
        handler: Box<dyn FnMut(Event)>,
        cancels_default: bool,
    ) -> Result<(), Viewer3dError> {
        let closure = Closure::wrap(handler);
        let options = AddEventListenerOptions::new();
        // The wheel handler calls preventDefault (no page scroll), so it must not be passive.
        options.set_passive(!cancels_default);
        target
            .add_event_listener_with_callback_and_add_event_listener_options(
                event,
                closure.as_ref().unchecked_ref(),
                &options,
            )
            .map_err(|_| Viewer3dError::Listener { event })?;
        self.listeners.push(Listener { target: target.clone(), event, closure });
        Ok(())
    }
}

impl Drop for Viewer3d {
    fn drop(&mut self) {
        for listener in self.listeners.drain(..) {
            let callback = listener.closure.as_ref().unchecked_ref();
            let _ = listener.target.remove_event_listener_with_callback(listener.event, callback);
        }
        if let Some(size_observer) = self.resize_observer.take() {
            size_observer.observer.disconnect();
        }
        if let Ok(mut state) = self.state.try_borrow_mut() {
            if let (Some(request), Some(window)) = (state.frame_request.take(), web_sys::window()) {
                let _ = window.cancel_animation_frame(request);
            }
            let gl = state.gl.clone();
            state.gpu.delete(&gl);
            state.programs.delete(&gl);
        }
    }
}

impl ViewerState {
    fn upload(&mut self, scene: &Scene) -> Result<(), Viewer3dError> {
        let gl = self.gl.clone();
        self.gpu.delete(&gl);
        let mut geometry = SceneGeometry::build(scene);
        let mut gpu = GpuScene::default();
        let result = (|| {
            for (vertices, trajectory) in geometry.trajectories.iter().zip(&scene.trajectories) {
                gpu.trajectories.push((GpuArray::ribbon(&gl, vertices)?, trajectory.highlight));
            }
            // Highlighted trajectories last, so they draw over the overlays they cross.
            gpu.trajectories.sort_by_key(|(_, highlight)| *highlight);
            gpu.axes = Some(GpuArray::ribbon(&gl, &geometry.axes)?);
            gpu.grid = Some(GpuArray::new(&gl, &geometry.grid_lines, &shaders::LINE, Gl::STATIC_DRAW)?);
            let markers = marker_instances(scene, scene.cursor_time_secs.or(self.cursor_time_secs));
            gpu.markers = Some(GpuArray::new(&gl, &markers, &shaders::MARKER, Gl::DYNAMIC_DRAW)?);
            for (mesh, primitive) in geometry.primitive_meshes.iter().zip(&scene.primitives) {
                let triangles = GpuArray::new(&gl, mesh, &shaders::MESH, Gl::STATIC_DRAW)?;
                gpu.primitives.push(GpuPrimitive {
                    triangles,
                    world_from_object: primitive.world_from_object,
                    color: primitive.color,
                });
            }
            Ok(())
        })();
        if let Err(error) = result {
            gpu.delete(&gl);
            return Err(error);
        }
        // The vertex arrays now live on the GPU; keep only the frame (bounds, scale, ticks).
        geometry.trajectories = Vec::new();
        geometry.grid_lines = Vec::new();
        geometry.axes = Vec::new();
        geometry.primitive_meshes = Vec::new();
        self.cursor_time_secs = scene.cursor_time_secs.or(self.cursor_time_secs);
        self.geometry = geometry;
        self.scene = scene.clone();
        self.gpu = gpu;
        Ok(())
    }

    fn update_markers(&mut self) {
        let Some(markers) = &self.gpu.markers else {
            return;
        };
        let data = marker_instances(&self.scene, self.cursor_time_secs);
        self.gl.bind_buffer(Gl::ARRAY_BUFFER, Some(&markers.buffer));
        self.gl.buffer_sub_data_with_i32_and_array_buffer_view(
            Gl::ARRAY_BUFFER,
            0,
            &js_sys::Float32Array::from(data.as_slice()),
        );
        self.gl.bind_buffer(Gl::ARRAY_BUFFER, None);
    }

    /// Sizes the backing stores to the CSS size × devicePixelRatio; returns whether anything changed.
    fn resize(&mut self) -> bool {
        let pixel_ratio = web_sys::window().map(|w| w.device_pixel_ratio()).filter(|r| r.is_finite() && *r > 0.0);
        let pixel_ratio = pixel_ratio.unwrap_or(1.0);
        let (css_width, css_height) = match (self.canvas.client_width(), self.canvas.client_height()) {
            (w, h) if w > 0 && h > 0 => (w as f64, h as f64),
            // Not laid out (hidden): keep the attribute size, as CSS pixels.
            _ => (
                f64::from(self.canvas.width().max(1)) / pixel_ratio,
                f64::from(self.canvas.height().max(1)) / pixel_ratio,
            ),
        };
        let device = |css: f64| (css * pixel_ratio).round().clamp(1.0, MAX_CANVAS_SIDE_PX) as u32;
        let (width, height) = (device(css_width), device(css_height));
        let viewport_css_px = [css_width as f32, css_height as f32];
        let changed = self.canvas.width() != width
            || self.canvas.height() != height
            || self.viewport_css_px != viewport_css_px
            || self.pixel_ratio != pixel_ratio as f32;
        if self.canvas.width() != width || self.canvas.height() != height {
            self.canvas.set_width(width);
            self.canvas.set_height(height);
        }
        if let Some(overlay) = &self.overlay {
            if overlay.canvas.width() != width || overlay.canvas.height() != height {
                overlay.canvas.set_width(width);
                overlay.canvas.set_height(height);
            }
        }
        self.viewport_css_px = viewport_css_px;
        self.pixel_ratio = pixel_ratio as f32;
        changed
    }

    /// The pointer's position in CSS pixels from the canvas's top left.
    fn local_position(&self, event: &PointerEvent) -> [f32; 2] {
        let rect = self.canvas.get_bounding_client_rect();
        [(event.client_x() as f64 - rect.left()) as f32, (event.client_y() as f64 - rect.top()) as f32]
    }

    fn apply(&mut self, action: CameraAction) {
        match action {
            CameraAction::Orbit { dx_px, dy_px } => self.camera.orbit(dx_px, dy_px),
            CameraAction::Pan { dx_px, dy_px } => self.camera.pan(dx_px, dy_px, self.viewport_css_px),
            CameraAction::Zoom { factor } => self.camera.zoom(factor),
            CameraAction::Reset => self.camera.reset(),
            CameraAction::Pick { .. } => return,
        }
        self.request_frame();
    }

    fn pick(&self, x_px: f32, y_px: f32) -> Option<PickHit> {
        let clip_from_data = pick::clip_from_data(&self.camera, &self.geometry, self.viewport_css_px);
        pick::pick_point(&self.scene, &clip_from_data, self.viewport_css_px, x_px, y_px, PICK_RADIUS_PX)
    }

    /// Draws on the next animation frame (many input events, one draw).
    fn request_frame(&mut self) {
        if self.frame_request.is_some() {
            return;
        }
        let (Some(window), Some(callback)) = (web_sys::window(), &self.frame_callback) else {
            return;
        };
        self.frame_request = window.request_animation_frame(callback.as_ref().unchecked_ref()).ok();
    }

    fn draw(&mut self) {
        let gl = &self.gl;
        if gl.is_context_lost() {
            return;
        }
        let (width, height) = (self.canvas.width() as i32, self.canvas.height() as i32);
        gl.viewport(0, 0, width, height);
        let background = colormap::BACKGROUND;
        gl.clear_color(background[0], background[1], background[2], background[3]);
        gl.clear(Gl::COLOR_BUFFER_BIT | Gl::DEPTH_BUFFER_BIT);
        gl.enable(Gl::DEPTH_TEST);
        gl.depth_func(Gl::LEQUAL);
        gl.disable(Gl::BLEND);
        gl.disable(Gl::CULL_FACE);

        let view_from_world = self.camera.view_from_world();
        let clip_from_view = self.camera.clip_from_view(self.viewport_css_px[0] / self.viewport_css_px[1].max(1.0));
        let view_from_data = mul(&view_from_world, &self.geometry.world_from_data);
        let clip_from_data = mul(&clip_from_view, &view_from_data);
        let clip_from_data_flat = flatten(&clip_from_data);
        // Segment ends behind the near plane are pulled just in front of it.
        let near_w = self.camera.depth_range().0 * 1.01;
        let viewport_device = [width as f32, height as f32];
        let programs = &self.programs;

        if let Some(grid) = &self.gpu.grid {
            gl.use_program(Some(&programs.line.program));
            gl.uniform_matrix4fv_with_f32_array(programs.line.uniform("u_clip_from_data"), false, &clip_from_data_flat);
            gl.bind_vertex_array(Some(&grid.vao));
            gl.draw_arrays(Gl::LINES, 0, grid.count);
        }

        if !self.gpu.primitives.is_empty() {
            let mesh = &programs.mesh;
            gl.use_program(Some(&mesh.program));
            for primitive in &self.gpu.primitives {
                let view_from_object = mul(&view_from_data, &primitive.world_from_object);
                let clip_from_object = mul(&clip_from_view, &view_from_object);
                gl.uniform_matrix4fv_with_f32_array(
                    mesh.uniform("u_clip_from_object"),
                    false,
                    &flatten(&clip_from_object),
                );
                gl.uniform_matrix4fv_with_f32_array(
                    mesh.uniform("u_view_from_object"),
                    false,
                    &flatten(&view_from_object),
                );
                gl.uniform4fv_with_f32_array(mesh.uniform("u_color"), &primitive.color);
                gl.bind_vertex_array(Some(&primitive.triangles.vao));
                gl.draw_arrays(Gl::TRIANGLES, 0, primitive.triangles.count);
            }
        }

        let ribbon = &programs.ribbon;
        gl.use_program(Some(&ribbon.program));
        gl.uniform_matrix4fv_with_f32_array(ribbon.uniform("u_clip_from_data"), false, &clip_from_data_flat);
        gl.uniform2f(ribbon.uniform("u_viewport_px"), viewport_device[0], viewport_device[1]);
        gl.uniform1f(ribbon.uniform("u_near_w"), near_w);
        let ribbons = self
            .gpu
            .trajectories
            .iter()
            .map(|(array, highlight)| (array, if *highlight { HIGHLIGHT_WIDTH_PX } else { OVERLAY_WIDTH_PX }));
        for (array, width_px) in ribbons.chain(self.gpu.axes.iter().map(|a| (a, AXIS_WIDTH_PX))) {
            if array.count > 0 {
                gl.uniform1f(ribbon.uniform("u_width_px"), width_px * self.pixel_ratio);
                gl.bind_vertex_array(Some(&array.vao));
                gl.draw_arrays_instanced(Gl::TRIANGLE_STRIP, 0, 4, array.count);
            }
        }

        if let Some(markers) = self.gpu.markers.as_ref().filter(|m| m.count > 0) {
            let marker = &programs.marker;
            gl.disable(Gl::DEPTH_TEST);
            gl.enable(Gl::BLEND);
            gl.blend_func(Gl::SRC_ALPHA, Gl::ONE_MINUS_SRC_ALPHA);
            gl.use_program(Some(&marker.program));
            gl.uniform_matrix4fv_with_f32_array(marker.uniform("u_clip_from_data"), false, &clip_from_data_flat);
            gl.uniform2f(marker.uniform("u_viewport_px"), viewport_device[0], viewport_device[1]);
            gl.uniform1f(marker.uniform("u_pixel_ratio"), self.pixel_ratio);
            gl.uniform1f(marker.uniform("u_near_w"), near_w);
            gl.bind_vertex_array(Some(&markers.vao));
            gl.draw_arrays_instanced(Gl::TRIANGLE_STRIP, 0, 4, markers.count);
            gl.disable(Gl::BLEND);
            gl.enable(Gl::DEPTH_TEST);
        }
        gl.bind_vertex_array(None);
        gl.use_program(None);

        self.draw_labels(&clip_from_data);
    }

    fn draw_labels(&self, clip_from_data: &Mat4) {
        let Some(overlay) = &self.overlay else {
            return;
        };
        let context = &overlay.context;
        let ratio = f64::from(self.pixel_ratio);
        let _ = context.set_transform(1.0, 0.0, 0.0, 1.0, 0.0, 0.0);
        context.clear_rect(0.0, 0.0, f64::from(overlay.canvas.width()), f64::from(overlay.canvas.height()));
        let _ = context.set_transform(ratio, 0.0, 0.0, ratio, 0.0, 0.0);
        context.set_font(LABEL_FONT);
        context.set_text_align("center");
        context.set_text_baseline("middle");
        context.set_line_width(3.0);
        context.set_stroke_style_str("rgba(255, 255, 255, 0.9)");
        let labels = pick::axis_screen_labels(&self.scene, &self.geometry, clip_from_data, self.viewport_css_px);
        for label in labels {
            let (x, y) = (f64::from(label.x_px), f64::from(label.y_px));
            let _ = context.stroke_text(&label.text, x, y);
            context.set_fill_style_str(&css_color(label.color, label.kind));
            let _ = context.fill_text(&label.text, x, y);
        }
    }
}

fn css_color(color: Rgba, kind: LabelKind) -> String {
    let channel = |c: f32| (c.clamp(0.0, 1.0) * 255.0).round() as u8;
    let weight = if kind == LabelKind::AxisName { 1.0 } else { 0.95 };
    format!("rgba({}, {}, {}, {weight})", channel(color[0]), channel(color[1]), channel(color[2]))
}

fn js_error_text(error: &JsValue) -> String {
    error
        .dyn_ref::<js_sys::Error>()
        .map(|e| String::from(e.message()))
        .or_else(|| error.as_string())
        .unwrap_or_else(|| "getContext(\"webgl2\") failed".to_string())
}
