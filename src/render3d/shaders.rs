//! The GLSL ES 3.00 shaders of the 3-D view and the vertex layouts that feed them, kept side by
//! side (and checked against each other natively) so a renamed uniform or a moved attribute
//! cannot silently break the WebGL code.

use super::scene::{LINE_FLOATS, MARKER_FLOATS, MESH_FLOATS, RIBBON_FLOATS};

/// One vertex attribute: shader location, float components, byte offset in an item.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Attribute {
    pub name: &'static str,
    pub location: u32,
    pub components: i32,
    pub offset_bytes: i32,
}

/// A program's sources, the uniforms the viewer sets, and its vertex layout.
#[derive(Debug, Clone, Copy)]
pub struct ShaderProgram {
    pub name: &'static str,
    pub vertex: &'static str,
    pub fragment: &'static str,
    pub uniforms: &'static [&'static str],
    pub attributes: &'static [Attribute],
    /// Floats per buffer item (vertex or instance).
    pub floats_per_item: usize,
    /// Attributes advance per instance (`vertexAttribDivisor` 1), not per vertex.
    pub per_instance: bool,
}

const fn attribute(name: &'static str, location: u32, components: i32, offset_floats: usize) -> Attribute {
    Attribute { name, location, components, offset_bytes: (offset_floats * 4) as i32 }
}

/// Trajectories and axes: instance `i` reads point `i` as start and point `i + 1` as end (the
/// same buffer, the end attributes one item further), and the vertex shader extrudes a quad of
/// `u_width_px` device pixels between them; gaps (alpha 0) hide the segment.
pub const RIBBON: ShaderProgram = ShaderProgram {
    name: "ribbon",
    vertex: RIBBON_VS,
    fragment: COLOR_FS,
    uniforms: &["u_clip_from_data", "u_viewport_px", "u_width_px", "u_near_w"],
    attributes: &[
        attribute("a_start", 0, 3, 0),
        attribute("a_start_color", 1, 4, 3),
        attribute("a_end", 2, 3, RIBBON_FLOATS),
        attribute("a_end_color", 3, 4, RIBBON_FLOATS + 3),
    ],
    floats_per_item: RIBBON_FLOATS,
    per_instance: true,
};

/// The grid: plain 1 px lines.
pub const LINE: ShaderProgram = ShaderProgram {
    name: "line",
    vertex: LINE_VS,
    fragment: COLOR_FS,
    uniforms: &["u_clip_from_data"],
    attributes: &[attribute("a_position", 0, 3, 0), attribute("a_color", 1, 4, 3)],
    floats_per_item: LINE_FLOATS,
    per_instance: false,
};

/// Start, end and cursor markers: a screen-aligned round dot per instance.
pub const MARKER: ShaderProgram = ShaderProgram {
    name: "marker",
    vertex: MARKER_VS,
    fragment: MARKER_FS,
    uniforms: &["u_clip_from_data", "u_viewport_px", "u_pixel_ratio", "u_near_w"],
    attributes: &[attribute("a_center", 0, 3, 0), attribute("a_color", 1, 4, 3), attribute("a_diameter_px", 2, 1, 7)],
    floats_per_item: MARKER_FLOATS,
    per_instance: true,
};

/// Robot link primitives: triangles lit by a light at the camera.
pub const MESH: ShaderProgram = ShaderProgram {
    name: "mesh",
    vertex: MESH_VS,
    fragment: MESH_FS,
    uniforms: &["u_clip_from_object", "u_view_from_object", "u_color"],
    attributes: &[attribute("a_position", 0, 3, 0), attribute("a_normal", 1, 3, 3)],
    floats_per_item: MESH_FLOATS,
    per_instance: false,
};

pub const ALL: [ShaderProgram; 4] = [RIBBON, LINE, MARKER, MESH];

const RIBBON_VS: &str = r#"#version 300 es
precision highp float;
layout(location = 0) in vec3 a_start;
layout(location = 1) in vec4 a_start_color;
layout(location = 2) in vec3 a_end;
layout(location = 3) in vec4 a_end_color;
uniform mat4 u_clip_from_data;
uniform vec2 u_viewport_px;
uniform float u_width_px;
uniform float u_near_w;
out vec4 v_color;
void main() {
  vec4 clip_a = u_clip_from_data * vec4(a_start, 1.0);
  vec4 clip_b = u_clip_from_data * vec4(a_end, 1.0);
  if (a_start_color.a <= 0.0 || a_end_color.a <= 0.0 || (clip_a.w < u_near_w && clip_b.w < u_near_w)) {
    gl_Position = vec4(2.0, 2.0, 2.0, 1.0);
    v_color = vec4(0.0);
    return;
  }
  if (clip_a.w < u_near_w) {
    clip_a = mix(clip_a, clip_b, (u_near_w - clip_a.w) / (clip_b.w - clip_a.w));
  } else if (clip_b.w < u_near_w) {
    clip_b = mix(clip_b, clip_a, (u_near_w - clip_b.w) / (clip_a.w - clip_b.w));
  }
  vec2 half_viewport = 0.5 * u_viewport_px;
  vec2 along = clip_b.xy / clip_b.w * half_viewport - clip_a.xy / clip_a.w * half_viewport;
  float len = length(along);
  vec2 dir = len > 1e-4 ? along / len : vec2(1.0, 0.0);
  vec2 normal = vec2(-dir.y, dir.x);
  bool at_end = gl_VertexID >= 2;
  float side = (gl_VertexID == 0 || gl_VertexID == 2) ? -1.0 : 1.0;
  vec4 clip = at_end ? clip_b : clip_a;
  vec2 offset_px = 0.5 * u_width_px * (normal * side + dir * (at_end ? 1.0 : -1.0));
  clip.xy += offset_px / half_viewport * clip.w;
  gl_Position = clip;
  v_color = at_end ? a_end_color : a_start_color;
}
"#;

const COLOR_FS: &str = r#"#version 300 es
precision mediump float;
in vec4 v_color;
out vec4 o_color;
void main() {
  o_color = v_color;
}
"#;

const LINE_VS: &str = r#"#version 300 es
precision highp float;
layout(location = 0) in vec3 a_position;
layout(location = 1) in vec4 a_color;
uniform mat4 u_clip_from_data;
out vec4 v_color;
void main() {
  gl_Position = u_clip_from_data * vec4(a_position, 1.0);
  v_color = a_color;
}
"#;

const MARKER_VS: &str = r#"#version 300 es
precision highp float;
layout(location = 0) in vec3 a_center;
layout(location = 1) in vec4 a_color;
layout(location = 2) in float a_diameter_px;
uniform mat4 u_clip_from_data;
uniform vec2 u_viewport_px;
uniform float u_pixel_ratio;
uniform float u_near_w;
out vec4 v_color;
out vec2 v_corner;
out float v_diameter_px;
void main() {
  vec2 corner = vec2(float(gl_VertexID & 1), float(gl_VertexID >> 1)) * 2.0 - 1.0;
  vec4 clip = u_clip_from_data * vec4(a_center, 1.0);
  if (a_color.a <= 0.0 || clip.w < u_near_w) {
    gl_Position = vec4(2.0, 2.0, 2.0, 1.0);
    v_color = vec4(0.0);
    v_corner = vec2(0.0);
    v_diameter_px = 1.0;
    return;
  }
  v_diameter_px = a_diameter_px * u_pixel_ratio;
  clip.xy += corner * v_diameter_px / u_viewport_px * clip.w;
  gl_Position = clip;
  v_color = a_color;
  v_corner = corner;
}
"#;

const MARKER_FS: &str = r#"#version 300 es
precision mediump float;
in vec4 v_color;
in vec2 v_corner;
in float v_diameter_px;
out vec4 o_color;
void main() {
  float r = length(v_corner);
  float edge = 2.0 / max(v_diameter_px, 2.0);
  float alpha = 1.0 - smoothstep(1.0 - edge, 1.0, r);
  if (alpha <= 0.0) {
    discard;
  }
  vec3 outline = vec3(0.1, 0.1, 0.1);
  vec3 color = mix(v_color.rgb, outline, smoothstep(0.68 - edge, 0.68, r));
  o_color = vec4(color, alpha);
}
"#;

const MESH_VS: &str = r#"#version 300 es
precision highp float;
layout(location = 0) in vec3 a_position;
layout(location = 1) in vec3 a_normal;
uniform mat4 u_clip_from_object;
uniform mat4 u_view_from_object;
out vec3 v_normal_view;
void main() {
  gl_Position = u_clip_from_object * vec4(a_position, 1.0);
  v_normal_view = mat3(u_view_from_object) * a_normal;
}
"#;

const MESH_FS: &str = r#"#version 300 es
precision mediump float;
in vec3 v_normal_view;
uniform vec4 u_color;
out vec4 o_color;
void main() {
  vec3 light_view = normalize(vec3(-0.3, 0.5, 1.0));
  float shade = 0.35 + 0.65 * abs(dot(normalize(v_normal_view), light_view));
  o_color = vec4(u_color.rgb * shade, u_color.a);
}
"#;

#[cfg(test)]
mod tests {
    use super::*;

    /// `layout(location = N) in TYPE NAME;` declarations of a vertex shader.
    fn declared_inputs(source: &str) -> Vec<(u32, String, String)> {
        source
            .lines()
            .filter_map(|line| {
                let rest = line.trim().strip_prefix("layout(location = ")?;
                let (location, rest) = rest.split_once(") in ")?;
                let (kind, name) = rest.trim_end_matches(';').split_once(' ')?;
                Some((location.parse().ok()?, kind.to_string(), name.to_string()))
            })
            .collect()
    }

    #[test]
    fn vertex_layouts_match_the_shader_inputs() {
        for program in ALL {
            let inputs = declared_inputs(program.vertex);
            assert_eq!(inputs.len(), program.attributes.len(), "{}", program.name);
            for attribute in program.attributes {
                let input = inputs.iter().find(|(location, _, _)| *location == attribute.location);
                let (_, kind, name) = input.unwrap_or_else(|| panic!("{}: {attribute:?}", program.name));
                assert_eq!(name, attribute.name, "{}", program.name);
                let expected_kind = match attribute.components {
                    1 => "float".to_string(),
                    n => format!("vec{n}"),
                };
                assert_eq!(kind, &expected_kind, "{}: {}", program.name, attribute.name);
                // Every attribute lies inside one item, except the ribbon's end point, which is
                // exactly the next item.
                let end_bytes = attribute.offset_bytes + 4 * attribute.components;
                let item_bytes = (program.floats_per_item * 4) as i32;
                let next_item = program.name == "ribbon" && attribute.offset_bytes >= item_bytes;
                assert!(
                    end_bytes <= item_bytes || (next_item && end_bytes <= 2 * item_bytes),
                    "{}: {} overruns its item",
                    program.name,
                    attribute.name
                );
            }
        }
    }

    #[test]
    fn every_uniform_the_viewer_sets_is_declared() {
        for program in ALL {
            for uniform in program.uniforms {
                let declared = [program.vertex, program.fragment].iter().any(|source| {
                    source.lines().any(|line| {
                        let line = line.trim();
                        line.starts_with("uniform ") && line.trim_end_matches(';').ends_with(&format!(" {uniform}"))
                    })
                });
                assert!(declared, "{}: uniform {uniform} is not declared", program.name);
            }
        }
    }

    #[test]
    fn varyings_written_by_the_vertex_shader_are_read_by_the_fragment_shader() {
        for program in ALL {
            assert!(
                program.vertex.starts_with("#version 300 es\n") && program.fragment.starts_with("#version 300 es\n")
            );
            for line in program.fragment.lines().filter_map(|l| l.trim().strip_prefix("in ")) {
                let declaration = format!("out {}", line);
                assert!(program.vertex.contains(&declaration), "{}: `{declaration}` missing", program.name);
            }
        }
    }

    /// Compiles and links every program with the Khronos reference compiler (`glslangValidator`,
    /// Debian `glslang-tools`): `cargo test -p episcope-web --lib render3d::shaders -- --ignored`.
    #[test]
    #[ignore = "needs glslangValidator on PATH"]
    fn shaders_compile_and_link_with_glslang() {
        let dir = std::env::temp_dir().join(format!("episcope-shaders-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        for program in ALL {
            let vertex = dir.join(format!("{}.vert", program.name));
            let fragment = dir.join(format!("{}.frag", program.name));
            std::fs::write(&vertex, program.vertex).unwrap();
            std::fs::write(&fragment, program.fragment).unwrap();
            let output = std::process::Command::new("glslangValidator")
                .arg("-l")
                .arg(&vertex)
                .arg(&fragment)
                .output()
                .expect("glslangValidator runs");
            assert!(output.status.success(), "{}: {}", program.name, String::from_utf8_lossy(&output.stdout));
        }
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
