//! URDF (Unified Robot Description Format) parsing: bytes → a validated, serialisable [`Robot`] model.
//!
//! What is read: the robot's name; every `<link>` with its `<visual>`s (origin, box / cylinder / sphere / mesh
//! geometry, material colour inline or by the name of a top-level `<material>`); every `<joint>` (type, parent,
//! child, origin, axis, limit, mimic). What is ignored without complaint: `<collision>`, `<inertial>`,
//! `<transmission>`, `<gazebo>`, `<dynamics>`, `<calibration>`, `<safety_controller>` and any element this module
//! does not know. A visual whose geometry is of a kind not listed above is skipped and noted in
//! [`Robot::ignored`].
//!
//! Bounds (the input is untrusted): at most [`MAX_URDF_BYTES`] of input, [`MAX_XML_NODES`] XML nodes (roxmltree
//! refuses more, and also bounds entity expansion; DTDs are refused), [`MAX_LINKS`] links, [`MAX_JOINTS`] joints,
//! [`MAX_VISUALS`] visuals; a vector attribute must have exactly its number of components (3 for `xyz`, 4 for
//! `rgba`), every number must be finite. The tree structure (known links, one parent per link, no cycle, one root,
//! mimic targets) is validated by [`KinematicTree::new`], whose [`TreeError`] is reported as
//! [`UrdfError::Structure`].
//!
//! Conventions kept from the URDF specification: lengths in metres, angles in radians, `rpy` is roll-pitch-yaw
//! about fixed axes (see [`crate::robot::kinematics::Transform::from_xyz_rpy`]), a joint's axis defaults to
//! `1 0 0` and is normalised here (a zero axis is an error on joints that move; exporters write `0 0 0` on
//! fixed joints, where the axis means nothing, so it is accepted there).

use std::collections::{HashMap, HashSet};

use roxmltree::{Document, Node, ParsingOptions};
use serde::{Deserialize, Serialize};

use super::kinematics::{KinematicTree, TreeError};

/// A URDF larger than this is refused (real ones are KiBs to a few hundred KiB).
pub const MAX_URDF_BYTES: usize = 8 * 1024 * 1024;
/// XML nodes (elements, attributes' text, comments …) roxmltree may build before refusing the document.
pub const MAX_XML_NODES: u32 = 1_000_000;
/// Links a robot may have.
pub const MAX_LINKS: usize = 4096;
/// Joints a robot may have.
pub const MAX_JOINTS: usize = 4096;
/// Visuals over all links.
pub const MAX_VISUALS: usize = 16_384;
/// Names and values quoted in errors are cut to this many characters.
const MAX_QUOTED_CHARS: usize = 80;

/// A robot: its links and the joints between them, in document order.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Robot {
    /// The `name` attribute of `<robot>` (empty when absent).
    pub name: String,
    pub links: Vec<Link>,
    pub joints: Vec<Joint>,
    /// What was skipped while reading (a visual of an unsupported geometry kind …), one sentence each.
    #[serde(default)]
    pub ignored: Vec<String>,
}

/// A rigid body.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Link {
    pub name: String,
    pub visuals: Vec<Visual>,
}

/// Where a child frame sits in its parent frame: a translation (metres) and fixed-axis roll, pitch, yaw (radians).
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct Origin {
    pub xyz: [f64; 3],
    pub rpy: [f64; 3],
}

/// How a visual looks: one shape, placed in its link's frame.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Visual {
    /// The `name` attribute of `<visual>`, if any.
    pub name: Option<String>,
    /// `link_from_visual`.
    pub origin: Origin,
    pub geometry: Geometry,
    /// The material's name, if the visual names one.
    pub material: Option<String>,
    /// Red, green, blue, alpha in 0..1: the visual's inline `<color>`, else the colour of the named material.
    pub rgba: Option<[f64; 4]>,
}

/// A visual's shape, centred on the visual's origin (a cylinder's axis is its z axis).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Geometry {
    /// Edge lengths along x, y, z (metres).
    Box {
        size: [f64; 3],
    },
    Cylinder {
        radius: f64,
        length: f64,
    },
    Sphere {
        radius: f64,
    },
    /// A mesh file as the URDF names it (`package://…`, a relative path …; see
    /// [`crate::robot::stl::resolve_mesh_path`]), with a scale per axis.
    Mesh {
        filename: String,
        scale: [f64; 3],
    },
}

/// The URDF joint types.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum JointKind {
    /// Rotation about the axis, within limits.
    Revolute,
    /// Rotation about the axis, unlimited.
    Continuous,
    /// Translation along the axis.
    Prismatic,
    Fixed,
    /// Six degrees of freedom; kinematics treats it as fixed (a dataset has no single value for it).
    Floating,
    /// Motion in the plane normal to the axis; kinematics treats it as fixed.
    Planar,
}

impl JointKind {
    /// Parses a URDF `type` attribute.
    pub fn parse(text: &str) -> Option<Self> {
        Some(match text {
            "revolute" => Self::Revolute,
            "continuous" => Self::Continuous,
            "prismatic" => Self::Prismatic,
            "fixed" => Self::Fixed,
            "floating" => Self::Floating,
            "planar" => Self::Planar,
            _ => return None,
        })
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Revolute => "revolute",
            Self::Continuous => "continuous",
            Self::Prismatic => "prismatic",
            Self::Fixed => "fixed",
            Self::Floating => "floating",
            Self::Planar => "planar",
        }
    }

    /// Whether one value (an angle or a distance) moves this joint in forward kinematics.
    pub fn is_driven_by_one_value(self) -> bool {
        matches!(self, Self::Revolute | Self::Continuous | Self::Prismatic)
    }

    /// Whether the joint's value is an angle (radians in the model).
    pub fn is_angular(self) -> bool {
        matches!(self, Self::Revolute | Self::Continuous)
    }

    /// Whether the joint's axis means something (so a zero axis is an error).
    fn uses_axis(self) -> bool {
        matches!(self, Self::Revolute | Self::Continuous | Self::Prismatic | Self::Planar)
    }
}

/// A joint: how `child` moves relative to `parent`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Joint {
    pub name: String,
    pub kind: JointKind,
    pub parent: String,
    pub child: String,
    /// `parent_from_joint` at a zero joint value.
    pub origin: Origin,
    /// Unit vector in the joint frame (default `1 0 0`).
    pub axis: [f64; 3],
    pub limit: Option<JointLimit>,
    pub mimic: Option<Mimic>,
}

/// A joint's `<limit>` (radians or metres; velocity per second; effort in N·m or N). Missing attributes are 0.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct JointLimit {
    pub lower: f64,
    pub upper: f64,
    pub velocity: f64,
    pub effort: f64,
}

/// `value = multiplier × value(joint) + offset`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Mimic {
    pub joint: String,
    pub multiplier: f64,
    pub offset: f64,
}

/// Why a URDF could not be read.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum UrdfError {
    #[error("the URDF is {size_bytes} bytes, more than the {limit_bytes}-byte limit: {path}")]
    TooLarge { size_bytes: usize, limit_bytes: usize, path: String },
    #[error("the URDF is not UTF-8 text (invalid byte at offset {valid_up_to}): {path}")]
    NotUtf8 { valid_up_to: usize, path: String },
    #[error("not well-formed XML: {reason}: {path}")]
    Xml { reason: String, path: String },
    #[error("the root element is <{found}>, not <robot>: {path}")]
    NotARobot { found: String, path: String },
    #[error("line {line}: <{element}> has no `{attribute}` attribute: {path}")]
    MissingAttribute { element: String, attribute: String, line: u32, path: String },
    #[error("line {line}: <{element}> has no <{child}> element: {path}")]
    MissingElement { element: String, child: String, line: u32, path: String },
    #[error("line {line}: `{attribute}` of <{element}> is not a number: {value:?}: {path}")]
    MalformedNumber { element: String, attribute: String, value: String, line: u32, path: String },
    #[error("line {line}: `{attribute}` of <{element}> is not a finite number: {value:?}: {path}")]
    NonFinite { element: String, attribute: String, value: String, line: u32, path: String },
    #[error("line {line}: `{attribute}` of <{element}> has {found} numbers, expected {expected}: {path}")]
    WrongLength { element: String, attribute: String, expected: usize, found: usize, line: u32, path: String },
    #[error(
        "line {line}: joint `{joint}` has type {kind:?}; expected revolute, continuous, prismatic, fixed, floating \
         or planar: {path}"
    )]
    UnknownJointKind { joint: String, kind: String, line: u32, path: String },
    #[error("line {line}: joint `{joint}` ({kind}) has a zero axis, which gives no direction to move in: {path}")]
    ZeroAxis { joint: String, kind: String, line: u32, path: String },
    #[error("line {line}: a second link named `{name}`: {path}")]
    DuplicateLink { name: String, line: u32, path: String },
    #[error("line {line}: a second joint named `{name}`: {path}")]
    DuplicateJoint { name: String, line: u32, path: String },
    #[error("more than {limit} {what} (the limit): {path}")]
    TooMany { what: String, limit: usize, path: String },
    #[error("{problem}: {path}")]
    Structure { problem: TreeError, path: String },
}

impl Robot {
    /// Parses a URDF file's bytes (UTF-8) and validates its structure. `path` names the file in errors.
    pub fn parse_bytes(bytes: &[u8], path: &str) -> Result<Robot, UrdfError> {
        if bytes.len() > MAX_URDF_BYTES {
            return Err(UrdfError::TooLarge {
                size_bytes: bytes.len(),
                limit_bytes: MAX_URDF_BYTES,
                path: path.to_string(),
            });
        }
        let text = std::str::from_utf8(bytes)
            .map_err(|e| UrdfError::NotUtf8 { valid_up_to: e.valid_up_to(), path: path.to_string() })?;
        Self::parse(text, path)
    }

    /// Parses URDF text and validates its structure (see [`KinematicTree::new`]). `path` names the file in errors.
    pub fn parse(text: &str, path: &str) -> Result<Robot, UrdfError> {
        if text.len() > MAX_URDF_BYTES {
            return Err(UrdfError::TooLarge {
                size_bytes: text.len(),
                limit_bytes: MAX_URDF_BYTES,
                path: path.to_string(),
            });
        }
        let options = ParsingOptions { allow_dtd: false, nodes_limit: MAX_XML_NODES, ..ParsingOptions::default() };
        let document = Document::parse_with_options(text, options)
            .map_err(|e| UrdfError::Xml { reason: e.to_string(), path: path.to_string() })?;
        let reader = Reader { document: &document, path };
        let robot = reader.robot()?;
        KinematicTree::new(&robot).map_err(|problem| UrdfError::Structure { problem, path: path.to_string() })?;
        Ok(robot)
    }

    /// The index of the link with this name.
    pub fn link_index(&self, name: &str) -> Option<usize> {
        self.links.iter().position(|link| link.name == name)
    }

    /// The index of the joint with this name.
    pub fn joint_index(&self, name: &str) -> Option<usize> {
        self.joints.iter().position(|joint| joint.name == name)
    }
}

/// At most [`MAX_QUOTED_CHARS`] characters of `text`, with `…` when cut.
pub(crate) fn quoted(text: &str) -> String {
    match text.char_indices().nth(MAX_QUOTED_CHARS) {
        None => text.to_string(),
        Some((cut, _)) => format!("{}…", &text[..cut]),
    }
}

struct Reader<'d, 'input> {
    document: &'d Document<'input>,
    path: &'d str,
}

impl<'d, 'input> Reader<'d, 'input> {
    fn line(&self, node: Node) -> u32 {
        self.document.text_pos_at(node.range().start).row
    }

    fn path(&self) -> String {
        self.path.to_string()
    }

    fn robot(&self) -> Result<Robot, UrdfError> {
        let root = self.document.root_element();
        if !root.has_tag_name("robot") {
            return Err(UrdfError::NotARobot { found: quoted(root.tag_name().name()), path: self.path() });
        }
        let materials = self.named_materials(root)?;
        let mut robot = Robot {
            name: root.attribute("name").unwrap_or("").to_string(),
            links: vec![],
            joints: vec![],
            ignored: vec![],
        };
        let mut link_names = HashSet::new();
        let mut joint_names = HashSet::new();
        let mut visual_count = 0usize;
        for node in root.children().filter(Node::is_element) {
            match node.tag_name().name() {
                "link" => {
                    if robot.links.len() == MAX_LINKS {
                        return Err(self.too_many("links", MAX_LINKS));
                    }
                    let link = self.link(node, &materials, &mut visual_count, &mut robot.ignored)?;
                    if !link_names.insert(link.name.clone()) {
                        return Err(UrdfError::DuplicateLink {
                            name: quoted(&link.name),
                            line: self.line(node),
                            path: self.path(),
                        });
                    }
                    robot.links.push(link);
                }
                "joint" => {
                    if robot.joints.len() == MAX_JOINTS {
                        return Err(self.too_many("joints", MAX_JOINTS));
                    }
                    let joint = self.joint(node)?;
                    if !joint_names.insert(joint.name.clone()) {
                        return Err(UrdfError::DuplicateJoint {
                            name: quoted(&joint.name),
                            line: self.line(node),
                            path: self.path(),
                        });
                    }
                    robot.joints.push(joint);
                }
                _ => {} // <material> (read above), <transmission>, <gazebo>, …
            }
        }
        Ok(robot)
    }

    fn too_many(&self, what: &str, limit: usize) -> UrdfError {
        UrdfError::TooMany { what: what.to_string(), limit, path: self.path() }
    }

    /// Colours of named materials: the top-level `<material>`s first, then those defined inside visuals (which
    /// URDF tools also make available by name), the first definition of a name winning.
    fn named_materials(&self, root: Node) -> Result<HashMap<String, [f64; 4]>, UrdfError> {
        let mut materials = HashMap::new();
        for node in root.children().filter(|n| n.has_tag_name("material")) {
            if let (Some(name), Some(rgba)) = (node.attribute("name"), self.material_color(node)?) {
                materials.entry(name.to_string()).or_insert(rgba);
            }
        }
        for node in root.descendants().filter(|n| n.has_tag_name("material")) {
            let inside_visual = node.parent_element().is_some_and(|p| p.has_tag_name("visual"));
            if let (true, Some(name), Some(rgba)) = (inside_visual, node.attribute("name"), self.material_color(node)?)
            {
                materials.entry(name.to_string()).or_insert(rgba);
            }
        }
        Ok(materials)
    }

    fn material_color(&self, material: Node) -> Result<Option<[f64; 4]>, UrdfError> {
        match material.children().find(|n| n.has_tag_name("color")) {
            Some(color) => self.required_vector::<4>(color, "rgba").map(Some),
            None => Ok(None),
        }
    }

    fn link(
        &self,
        node: Node,
        materials: &HashMap<String, [f64; 4]>,
        visual_count: &mut usize,
        ignored: &mut Vec<String>,
    ) -> Result<Link, UrdfError> {
        let name = self.required_attribute(node, "name")?;
        let mut visuals = Vec::new();
        for visual in node.children().filter(|n| n.has_tag_name("visual")) {
            if *visual_count == MAX_VISUALS {
                return Err(self.too_many("visuals", MAX_VISUALS));
            }
            *visual_count += 1;
            let origin = self.origin(visual)?;
            let Some(geometry_node) = visual.children().find(|n| n.has_tag_name("geometry")) else {
                return Err(UrdfError::MissingElement {
                    element: format!("visual of link `{}`", quoted(name)),
                    child: "geometry".into(),
                    line: self.line(visual),
                    path: self.path(),
                });
            };
            let Some(geometry) = self.geometry(geometry_node, name, ignored)? else { continue };
            let material_node = visual.children().find(|n| n.has_tag_name("material"));
            let material = material_node.and_then(|m| m.attribute("name")).map(str::to_string);
            let inline_rgba = match material_node {
                Some(m) => self.material_color(m)?,
                None => None,
            };
            let rgba = inline_rgba.or_else(|| material.as_ref().and_then(|name| materials.get(name).copied()));
            visuals.push(Visual {
                name: visual.attribute("name").map(str::to_string),
                origin,
                geometry,
                material,
                rgba,
            });
        }
        Ok(Link { name: name.to_string(), visuals })
    }

    /// The first known shape inside `<geometry>`; `None` (and a note) when it holds none.
    fn geometry(&self, node: Node, link: &str, ignored: &mut Vec<String>) -> Result<Option<Geometry>, UrdfError> {
        let Some(shape) = node.children().find(Node::is_element) else {
            return Err(UrdfError::MissingElement {
                element: "geometry".into(),
                child: "box, cylinder, sphere or mesh".into(),
                line: self.line(node),
                path: self.path(),
            });
        };
        let geometry = match shape.tag_name().name() {
            "box" => Geometry::Box { size: self.required_vector::<3>(shape, "size")? },
            "cylinder" => Geometry::Cylinder {
                radius: self.required_number(shape, "radius")?,
                length: self.required_number(shape, "length")?,
            },
            "sphere" => Geometry::Sphere { radius: self.required_number(shape, "radius")? },
            "mesh" => Geometry::Mesh {
                filename: self.required_attribute(shape, "filename")?.to_string(),
                scale: self.optional_vector::<3>(shape, "scale")?.unwrap_or([1.0; 3]),
            },
            other => {
                ignored.push(format!(
                    "line {}: a visual of link `{}` with <{}> geometry (not box, cylinder, sphere or mesh) was skipped",
                    self.line(shape),
                    quoted(link),
                    quoted(other)
                ));
                return Ok(None);
            }
        };
        Ok(Some(geometry))
    }

    fn joint(&self, node: Node) -> Result<Joint, UrdfError> {
        let name = self.required_attribute(node, "name")?;
        let kind_text = self.required_attribute(node, "type")?;
        let kind = JointKind::parse(kind_text).ok_or_else(|| UrdfError::UnknownJointKind {
            joint: quoted(name),
            kind: quoted(kind_text),
            line: self.line(node),
            path: self.path(),
        })?;
        let parent = self.link_reference(node, name, "parent")?;
        let child = self.link_reference(node, name, "child")?;
        let origin = self.origin(node)?;
        let axis = match node.children().find(|n| n.has_tag_name("axis")) {
            None => [1.0, 0.0, 0.0],
            Some(axis_node) => {
                let axis = self.optional_vector::<3>(axis_node, "xyz")?.unwrap_or([1.0, 0.0, 0.0]);
                match normalised(axis) {
                    Some(unit) => unit,
                    None if kind.uses_axis() => {
                        return Err(UrdfError::ZeroAxis {
                            joint: quoted(name),
                            kind: kind.as_str().into(),
                            line: self.line(axis_node),
                            path: self.path(),
                        })
                    }
                    None => [1.0, 0.0, 0.0],
                }
            }
        };
        let limit = match node.children().find(|n| n.has_tag_name("limit")) {
            None => None,
            Some(limit) => Some(JointLimit {
                lower: self.optional_number(limit, "lower")?.unwrap_or(0.0),
                upper: self.optional_number(limit, "upper")?.unwrap_or(0.0),
                velocity: self.optional_number(limit, "velocity")?.unwrap_or(0.0),
                effort: self.optional_number(limit, "effort")?.unwrap_or(0.0),
            }),
        };
        let mimic = match node.children().find(|n| n.has_tag_name("mimic")) {
            None => None,
            Some(mimic) => Some(Mimic {
                joint: self.required_attribute(mimic, "joint")?.to_string(),
                multiplier: self.optional_number(mimic, "multiplier")?.unwrap_or(1.0),
                offset: self.optional_number(mimic, "offset")?.unwrap_or(0.0),
            }),
        };
        Ok(Joint { name: name.to_string(), kind, parent, child, origin, axis, limit, mimic })
    }

    /// The `link` attribute of a joint's `<parent>` or `<child>` element.
    fn link_reference(&self, joint: Node, joint_name: &str, role: &str) -> Result<String, UrdfError> {
        let Some(element) = joint.children().find(|n| n.has_tag_name(role)) else {
            return Err(UrdfError::MissingElement {
                element: format!("joint `{}`", quoted(joint_name)),
                child: role.to_string(),
                line: self.line(joint),
                path: self.path(),
            });
        };
        Ok(self.required_attribute(element, "link")?.to_string())
    }

    /// The `<origin>` child of `node` (zeros when absent; each attribute defaults to zeros).
    fn origin(&self, node: Node) -> Result<Origin, UrdfError> {
        match node.children().find(|n| n.has_tag_name("origin")) {
            None => Ok(Origin::default()),
            Some(origin) => Ok(Origin {
                xyz: self.optional_vector::<3>(origin, "xyz")?.unwrap_or([0.0; 3]),
                rpy: self.optional_vector::<3>(origin, "rpy")?.unwrap_or([0.0; 3]),
            }),
        }
    }

    fn required_attribute<'a>(&self, node: Node<'a, 'input>, attribute: &str) -> Result<&'a str, UrdfError> {
        node.attribute(attribute).ok_or_else(|| UrdfError::MissingAttribute {
            element: node.tag_name().name().to_string(),
            attribute: attribute.to_string(),
            line: self.line(node),
            path: self.path(),
        })
    }

    fn required_number(&self, node: Node, attribute: &str) -> Result<f64, UrdfError> {
        let text = self.required_attribute(node, attribute)?;
        self.number(node, attribute, text.trim())
    }

    fn optional_number(&self, node: Node, attribute: &str) -> Result<Option<f64>, UrdfError> {
        node.attribute(attribute).map(|text| self.number(node, attribute, text.trim())).transpose()
    }

    fn required_vector<const N: usize>(&self, node: Node, attribute: &str) -> Result<[f64; N], UrdfError> {
        let text = self.required_attribute(node, attribute)?;
        self.parse_vector(node, attribute, text)
    }

    fn optional_vector<const N: usize>(&self, node: Node, attribute: &str) -> Result<Option<[f64; N]>, UrdfError> {
        node.attribute(attribute).map(|text| self.parse_vector(node, attribute, text)).transpose()
    }

    fn parse_vector<const N: usize>(&self, node: Node, attribute: &str, text: &str) -> Result<[f64; N], UrdfError> {
        let mut values = [0.0; N];
        let mut found = 0usize;
        for token in text.split_ascii_whitespace() {
            if let Some(slot) = values.get_mut(found) {
                *slot = self.number(node, attribute, token)?;
            }
            found += 1;
            if found > N {
                // Counting on through a huge attribute would tell nothing more.
                break;
            }
        }
        if found != N {
            return Err(UrdfError::WrongLength {
                element: node.tag_name().name().to_string(),
                attribute: attribute.to_string(),
                expected: N,
                found: text.split_ascii_whitespace().take(N + 1).count(),
                line: self.line(node),
                path: self.path(),
            });
        }
        Ok(values)
    }

    fn number(&self, node: Node, attribute: &str, token: &str) -> Result<f64, UrdfError> {
        let value: f64 = token.parse().map_err(|_| UrdfError::MalformedNumber {
            element: node.tag_name().name().to_string(),
            attribute: attribute.to_string(),
            value: quoted(token),
            line: self.line(node),
            path: self.path(),
        })?;
        if !value.is_finite() {
            return Err(UrdfError::NonFinite {
                element: node.tag_name().name().to_string(),
                attribute: attribute.to_string(),
                value: quoted(token),
                line: self.line(node),
                path: self.path(),
            });
        }
        Ok(value)
    }
}

/// `v / |v|`, or `None` for a zero (or non-finite) vector. Scaled by the largest component first, so neither
/// tiny nor huge components under- or overflow.
pub(crate) fn normalised(v: [f64; 3]) -> Option<[f64; 3]> {
    let largest = v[0].abs().max(v[1].abs()).max(v[2].abs());
    if !(largest.is_finite() && largest > 0.0) {
        return None;
    }
    let v = [v[0] / largest, v[1] / largest, v[2] / largest];
    let norm = (v[0] * v[0] + v[1] * v[1] + v[2] * v[2]).sqrt();
    if norm.is_finite() && norm > 0.0 {
        Some([v[0] / norm, v[1] / norm, v[2] / norm])
    } else {
        None
    }
}
