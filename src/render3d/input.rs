//! Pointer gestures of the 3-D view (mouse, pen and touch through Pointer Events) turned into camera
//! actions: drag orbits; right, middle or shift drag pans; two fingers pan and pinch-zoom; the
//! wheel zooms; a double click or double tap resets; a click or tap picks. Keys, for the focused
//! canvas: arrows orbit (with shift: pan), `+`/`-` zoom, `0`, `r` or Home reset.

/// What a gesture asks the camera (or the viewer) to do. Deltas are CSS pixels, y down.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum CameraAction {
    Orbit {
        dx_px: f32,
        dy_px: f32,
    },
    Pan {
        dx_px: f32,
        dy_px: f32,
    },
    /// Multiply the camera distance by `factor` (< 1 zooms in).
    Zoom {
        factor: f32,
    },
    Reset,
    /// A click or tap at this canvas position (CSS pixels).
    Pick {
        x_px: f32,
        y_px: f32,
    },
}

/// A pointer going down.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PointerDown {
    pub pointer_id: i32,
    pub x_px: f32,
    pub y_px: f32,
    /// `MouseEvent.button`: 0 main, 1 middle, 2 secondary.
    pub button: i16,
    pub shift: bool,
    pub time_ms: f64,
}

/// Travel below which a press and release is a click, not a drag.
const CLICK_SLOP_PX: f32 = 5.0;
/// Two clicks within this time and distance are a double click.
const DOUBLE_CLICK_MS: f64 = 400.0;
const DOUBLE_CLICK_SLOP_PX: f32 = 24.0;
/// Zoom per wheel pixel: 100 px of wheel is a factor e^0.15 ≈ 1.16.
const ZOOM_PER_WHEEL_PX: f32 = 0.0015;
/// `WheelEvent.deltaMode` 1 (lines) and 2 (pages) in pixels.
const WHEEL_LINE_PX: f32 = 16.0;
const WHEEL_PAGE_PX: f32 = 400.0;
/// At most this many pointers are followed (a third finger is ignored).
const MAX_POINTERS: usize = 2;
/// One arrow key press orbits or pans as far as a drag of this many pixels.
const KEY_STEP_PX: f32 = 24.0;
/// One `+` press zooms in by this factor (`-` by its inverse).
const KEY_ZOOM_FACTOR: f32 = 0.8;

#[derive(Debug, Clone, Copy, PartialEq)]
struct ActivePointer {
    pointer_id: i32,
    x_px: f32,
    y_px: f32,
    pans: bool,
}

/// The state between pointer events.
#[derive(Debug, Clone, Default)]
pub struct Gestures {
    pointers: Vec<ActivePointer>,
    /// Distance travelled since the press, while a single pointer is down.
    travel_px: f32,
    /// The press became (or was part of) a two-finger gesture: its release is not a click.
    multi_touch: bool,
    /// Time and place of the last click, for double clicks.
    last_click: Option<(f64, f32, f32)>,
}

impl Gestures {
    pub fn new() -> Gestures {
        Gestures::default()
    }

    /// Pointers currently down.
    pub fn active_pointers(&self) -> usize {
        self.pointers.len()
    }

    /// A pointer went down; returns whether it is followed (the caller then captures it).
    pub fn pointer_down(&mut self, down: PointerDown) -> bool {
        if self.pointers.len() >= MAX_POINTERS || self.pointers.iter().any(|p| p.pointer_id == down.pointer_id) {
            return false;
        }
        if self.pointers.is_empty() {
            self.travel_px = 0.0;
            self.multi_touch = false;
        } else {
            self.multi_touch = true;
        }
        self.pointers.push(ActivePointer {
            pointer_id: down.pointer_id,
            x_px: down.x_px,
            y_px: down.y_px,
            pans: down.button == 1 || down.button == 2 || down.shift,
        });
        true
    }

    /// A followed pointer moved.
    pub fn pointer_move(&mut self, pointer_id: i32, x_px: f32, y_px: f32) -> Vec<CameraAction> {
        if !(x_px.is_finite() && y_px.is_finite()) {
            return Vec::new();
        }
        let Some(index) = self.pointers.iter().position(|p| p.pointer_id == pointer_id) else {
            return Vec::new();
        };
        let before = self.pointers.clone();
        let moved = &mut self.pointers[index];
        let (dx_px, dy_px) = (x_px - moved.x_px, y_px - moved.y_px);
        moved.x_px = x_px;
        moved.y_px = y_px;
        if dx_px == 0.0 && dy_px == 0.0 {
            return Vec::new();
        }
        match before.as_slice() {
            [single] => {
                self.travel_px += dx_px.hypot(dy_px);
                if self.travel_px < CLICK_SLOP_PX {
                    // Still a click candidate; nothing moves yet (keeps clicks from nudging the view).
                    return Vec::new();
                }
                if single.pans {
                    vec![CameraAction::Pan { dx_px, dy_px }]
                } else {
                    vec![CameraAction::Orbit { dx_px, dy_px }]
                }
            }
            [a, b] => {
                let (a2, b2) = (self.pointers[0], self.pointers[1]);
                let mid_before = ((a.x_px + b.x_px) * 0.5, (a.y_px + b.y_px) * 0.5);
                let mid_after = ((a2.x_px + b2.x_px) * 0.5, (a2.y_px + b2.y_px) * 0.5);
                let spread_before = (a.x_px - b.x_px).hypot(a.y_px - b.y_px);
                let spread_after = (a2.x_px - b2.x_px).hypot(a2.y_px - b2.y_px);
                let mut actions =
                    vec![CameraAction::Pan { dx_px: mid_after.0 - mid_before.0, dy_px: mid_after.1 - mid_before.1 }];
                if spread_before > 1.0 && spread_after > 1.0 {
                    actions.push(CameraAction::Zoom { factor: spread_before / spread_after });
                }
                actions
            }
            _ => Vec::new(),
        }
    }

    /// A followed pointer went up: a click (or, soon after another, a double click) when it barely
    /// moved and was alone.
    pub fn pointer_up(&mut self, pointer_id: i32, x_px: f32, y_px: f32, time_ms: f64) -> Vec<CameraAction> {
        let Some(index) = self.pointers.iter().position(|p| p.pointer_id == pointer_id) else {
            return Vec::new();
        };
        self.pointers.remove(index);
        if !self.pointers.is_empty() || self.multi_touch || self.travel_px >= CLICK_SLOP_PX {
            return Vec::new();
        }
        let is_double = self.last_click.is_some_and(|(at, x, y)| {
            time_ms - at <= DOUBLE_CLICK_MS && (x - x_px).hypot(y - y_px) <= DOUBLE_CLICK_SLOP_PX
        });
        if is_double {
            self.last_click = None;
            vec![CameraAction::Reset]
        } else {
            self.last_click = Some((time_ms, x_px, y_px));
            vec![CameraAction::Pick { x_px, y_px }]
        }
    }

    /// The browser took the pointer away (`pointercancel`, lost capture): no click.
    pub fn pointer_cancel(&mut self, pointer_id: i32) {
        self.pointers.retain(|p| p.pointer_id != pointer_id);
        self.multi_touch = self.multi_touch || !self.pointers.is_empty();
    }

    /// A key pressed on the focused canvas (`KeyboardEvent.key`); `None` for keys the view does
    /// not use (the caller then leaves the event alone).
    pub fn key(&self, key: &str, shift: bool) -> Option<CameraAction> {
        let step = |dx: f32, dy: f32| {
            if shift {
                CameraAction::Pan { dx_px: dx * KEY_STEP_PX, dy_px: dy * KEY_STEP_PX }
            } else {
                CameraAction::Orbit { dx_px: dx * KEY_STEP_PX, dy_px: dy * KEY_STEP_PX }
            }
        };
        Some(match key {
            "ArrowLeft" => step(-1.0, 0.0),
            "ArrowRight" => step(1.0, 0.0),
            "ArrowUp" => step(0.0, -1.0),
            "ArrowDown" => step(0.0, 1.0),
            "+" | "=" => CameraAction::Zoom { factor: KEY_ZOOM_FACTOR },
            "-" | "_" => CameraAction::Zoom { factor: 1.0 / KEY_ZOOM_FACTOR },
            "0" | "r" | "R" | "Home" => CameraAction::Reset,
            _ => return None,
        })
    }

    /// A wheel turn (`deltaY`, `deltaMode`): down zooms out.
    pub fn wheel(&self, delta_y: f32, delta_mode: u32) -> Option<CameraAction> {
        let px = match delta_mode {
            1 => delta_y * WHEEL_LINE_PX,
            2 => delta_y * WHEEL_PAGE_PX,
            _ => delta_y,
        };
        if !px.is_finite() || px == 0.0 {
            return None;
        }
        Some(CameraAction::Zoom { factor: (px.clamp(-1000.0, 1000.0) * ZOOM_PER_WHEEL_PX).exp() })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn down(pointer_id: i32, x_px: f32, y_px: f32, button: i16, time_ms: f64) -> PointerDown {
        PointerDown { pointer_id, x_px, y_px, button, shift: false, time_ms }
    }

    #[test]
    fn a_drag_orbits_and_a_right_or_shift_drag_pans() {
        let mut gestures = Gestures::new();
        assert!(gestures.pointer_down(down(1, 10.0, 10.0, 0, 0.0)));
        assert!(gestures.pointer_move(1, 12.0, 10.0).is_empty(), "within the click slop nothing moves");
        assert_eq!(gestures.pointer_move(1, 22.0, 15.0), vec![CameraAction::Orbit { dx_px: 10.0, dy_px: 5.0 }]);
        assert!(gestures.pointer_up(1, 22.0, 15.0, 100.0).is_empty(), "a drag is not a click");

        assert!(gestures.pointer_down(down(2, 0.0, 0.0, 2, 200.0)));
        assert_eq!(gestures.pointer_move(2, 0.0, 8.0), vec![CameraAction::Pan { dx_px: 0.0, dy_px: 8.0 }]);
        gestures.pointer_up(2, 0.0, 8.0, 300.0);

        assert!(gestures.pointer_down(PointerDown { shift: true, ..down(3, 0.0, 0.0, 0, 400.0) }));
        assert!(matches!(gestures.pointer_move(3, 9.0, 0.0)[..], [CameraAction::Pan { .. }]));
        assert!(gestures.pointer_move(99, 1.0, 1.0).is_empty(), "unknown pointers are ignored");
    }

    #[test]
    fn clicks_pick_and_double_clicks_reset() {
        let mut gestures = Gestures::new();
        gestures.pointer_down(down(1, 50.0, 60.0, 0, 1000.0));
        assert_eq!(gestures.pointer_up(1, 51.0, 60.0, 1080.0), vec![CameraAction::Pick { x_px: 51.0, y_px: 60.0 }]);
        gestures.pointer_down(down(1, 52.0, 61.0, 0, 1200.0));
        assert_eq!(gestures.pointer_up(1, 52.0, 61.0, 1250.0), vec![CameraAction::Reset]);
        // A third quick click starts over.
        gestures.pointer_down(down(1, 52.0, 61.0, 0, 1300.0));
        assert!(matches!(gestures.pointer_up(1, 52.0, 61.0, 1350.0)[..], [CameraAction::Pick { .. }]));
        // Too slow for a double click.
        gestures.pointer_down(down(1, 52.0, 61.0, 0, 3000.0));
        assert!(matches!(gestures.pointer_up(1, 52.0, 61.0, 3050.0)[..], [CameraAction::Pick { .. }]));
        // Cancelled presses are not clicks.
        gestures.pointer_down(down(4, 52.0, 61.0, 0, 3100.0));
        gestures.pointer_cancel(4);
        assert!(gestures.pointer_up(4, 52.0, 61.0, 3150.0).is_empty());
        assert_eq!(gestures.active_pointers(), 0);
    }

    #[test]
    fn two_fingers_pan_by_their_midpoint_and_pinch_to_zoom() {
        let mut gestures = Gestures::new();
        gestures.pointer_down(down(1, 100.0, 100.0, 0, 0.0));
        gestures.pointer_down(down(2, 200.0, 100.0, 0, 10.0));
        // Spreading apart zooms in (factor < 1); the midpoint moved 25 px right.
        let actions = gestures.pointer_move(2, 250.0, 100.0);
        assert_eq!(actions[0], CameraAction::Pan { dx_px: 25.0, dy_px: 0.0 });
        match actions[1] {
            CameraAction::Zoom { factor } => assert!((factor - 100.0 / 150.0).abs() < 1e-6),
            other => panic!("{other:?}"),
        }
        // A third finger is not followed.
        assert!(!gestures.pointer_down(down(3, 0.0, 0.0, 0, 20.0)));
        // Lifting one finger, then the other: no click, and no jump when one finger continues.
        assert!(gestures.pointer_up(1, 100.0, 100.0, 50.0).is_empty());
        assert!(matches!(gestures.pointer_move(2, 260.0, 100.0)[..], [CameraAction::Orbit { .. }] | []));
        assert!(gestures.pointer_up(2, 260.0, 100.0, 60.0).is_empty());
    }

    #[test]
    fn keys_orbit_pan_zoom_and_reset() {
        let gestures = Gestures::new();
        assert_eq!(gestures.key("ArrowRight", false), Some(CameraAction::Orbit { dx_px: KEY_STEP_PX, dy_px: 0.0 }));
        assert_eq!(gestures.key("ArrowUp", true), Some(CameraAction::Pan { dx_px: 0.0, dy_px: -KEY_STEP_PX }));
        match (gestures.key("+", false), gestures.key("-", false)) {
            (Some(CameraAction::Zoom { factor: closer }), Some(CameraAction::Zoom { factor: farther })) => {
                assert!(closer < 1.0 && farther > 1.0 && (closer * farther - 1.0).abs() < 1e-6);
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(gestures.key("Home", false), Some(CameraAction::Reset));
        assert_eq!(gestures.key("Tab", false), None, "focus can still move on");
        assert_eq!(gestures.key("a", false), None);
    }

    #[test]
    fn the_wheel_zooms_out_when_turned_down() {
        let gestures = Gestures::new();
        let factor = |delta, mode| match gestures.wheel(delta, mode) {
            Some(CameraAction::Zoom { factor }) => factor,
            other => panic!("{other:?}"),
        };
        assert!(factor(100.0, 0) > 1.0);
        assert!(factor(-100.0, 0) < 1.0);
        assert!((factor(3.0, 1) - factor(48.0, 0)).abs() < 1e-6, "lines are 16 px");
        assert!(factor(1e30, 0).is_finite());
        assert_eq!(gestures.wheel(0.0, 0), None);
        assert_eq!(gestures.wheel(f32::NAN, 0), None);
    }
}
