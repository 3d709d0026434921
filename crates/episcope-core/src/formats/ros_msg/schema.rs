//! Parses ROS message definitions (`ros2msg` and ROS 1 `.msg` text, as bags and MCAP files embed
//! them: the root type first, then `MSG: pkg/Type` sections separated by `===` lines).

use std::collections::BTreeMap;

/// Bounds on hostile definitions.
pub const MAX_DEFINITION_BYTES: usize = 4 << 20;
pub const MAX_TYPES: usize = 4096;
pub const MAX_FIELDS_PER_TYPE: usize = 4096;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SchemaError {
    #[error("message definition is {bytes} bytes (at most {max})")]
    TooLarge { bytes: usize, max: usize },
    #[error("message definition has more than {max} types or fields")]
    TooManyItems { max: usize },
    #[error("line {line} of the definition of {type_name}: {reason}")]
    BadLine { type_name: String, line: usize, reason: String },
    #[error("type {type_name} refers to {missing}, which the definition does not contain")]
    MissingType { type_name: String, missing: String },
    #[error("type {type_name} contains itself (recursive definition)")]
    Recursive { type_name: String },
    #[error("schema encoding {encoding:?} is not supported (ros2msg, ros2idl and ros1msg are)")]
    UnsupportedEncoding { encoding: String },
}

/// A primitive ROS type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Primitive {
    Bool,
    Int8,
    UInt8,
    Int16,
    UInt16,
    Int32,
    UInt32,
    Int64,
    UInt64,
    Float32,
    Float64,
    String,
    /// ROS 1 `time` (u32 secs, u32 nsecs).
    Time,
    /// ROS 1 `duration` (i32 secs, i32 nsecs).
    Duration,
}

impl Primitive {
    fn parse(name: &str, ros1: bool) -> Option<Self> {
        Some(match name {
            "bool" => Self::Bool,
            "int8" => Self::Int8,
            "byte" if ros1 => Self::Int8,
            "byte" | "uint8" | "octet" => Self::UInt8,
            "char" if ros1 => Self::UInt8,
            "char" => Self::UInt8,
            "int16" => Self::Int16,
            "uint16" => Self::UInt16,
            "int32" => Self::Int32,
            "uint32" => Self::UInt32,
            "int64" => Self::Int64,
            "uint64" => Self::UInt64,
            "float32" => Self::Float32,
            "float64" => Self::Float64,
            "string" | "wstring" => Self::String,
            "time" if ros1 => Self::Time,
            "duration" if ros1 => Self::Duration,
            _ => return None,
        })
    }

    /// Size in bytes on the wire (strings: of the length prefix).
    pub fn size(self) -> usize {
        match self {
            Self::Bool | Self::Int8 | Self::UInt8 => 1,
            Self::Int16 | Self::UInt16 => 2,
            Self::Int32 | Self::UInt32 | Self::Float32 | Self::String => 4,
            Self::Int64 | Self::UInt64 | Self::Float64 | Self::Time | Self::Duration => 8,
        }
    }
}

/// What a field holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FieldType {
    Primitive(Primitive),
    /// A nested message, by its resolved full name (`pkg/Type`).
    Message(String),
}

/// How many of it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Arity {
    One,
    Fixed(usize),
    /// Variable length (`T[]`), or bounded (`T[<=N]`) with its bound.
    Sequence(Option<usize>),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Field {
    pub name: String,
    pub field_type: FieldType,
    pub arity: Arity,
}

/// Every type a definition declares, by full name (`pkg/Type`), and the root's name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MessageSchema {
    pub root: String,
    pub types: BTreeMap<String, Vec<Field>>,
    pub ros1: bool,
}

/// `sensor_msgs/msg/JointState` → `sensor_msgs/JointState`.
pub fn normalise_type_name(name: &str) -> String {
    let name = name.trim();
    match name.split('/').collect::<Vec<_>>().as_slice() {
        [pkg, "msg", ty] => format!("{pkg}/{ty}"),
        _ => name.to_string(),
    }
}

/// Parses a definition of `root_type` written in `encoding` (`ros2msg` or `ros1msg`).
pub fn parse_schema(root_type: &str, encoding: &str, text: &str) -> Result<MessageSchema, SchemaError> {
    let ros1 = match encoding {
        "ros2msg" => false,
        "ros1msg" => true,
        "ros2idl" => return super::idl::parse_idl_schema(root_type, text),
        other => return Err(SchemaError::UnsupportedEncoding { encoding: other.to_string() }),
    };
    if text.len() > MAX_DEFINITION_BYTES {
        return Err(SchemaError::TooLarge { bytes: text.len(), max: MAX_DEFINITION_BYTES });
    }
    let root = normalise_type_name(root_type);
    let mut sections: Vec<(String, Vec<(usize, &str)>)> = vec![(root.clone(), Vec::new())];
    for (number, line) in text.lines().enumerate() {
        let trimmed = line.trim();
        if trimmed.len() >= 3 && trimmed.chars().all(|c| c == '=') {
            sections.push((String::new(), Vec::new()));
            continue;
        }
        if let Some(name) = trimmed.strip_prefix("MSG:") {
            if let Some(last) = sections.last_mut() {
                last.0 = normalise_type_name(name);
            }
            continue;
        }
        if let Some(last) = sections.last_mut() {
            last.1.push((number + 1, line));
        }
    }
    if sections.len() > MAX_TYPES {
        return Err(SchemaError::TooManyItems { max: MAX_TYPES });
    }
    let mut types = BTreeMap::new();
    for (name, lines) in &sections {
        if name.is_empty() {
            continue;
        }
        let package = name.split('/').next().unwrap_or("").to_string();
        let mut fields = Vec::new();
        for &(number, line) in lines {
            if let Some(field) = parse_field_line(line, &package, ros1).map_err(|reason| SchemaError::BadLine {
                type_name: name.clone(),
                line: number,
                reason,
            })? {
                fields.push(field);
                if fields.len() > MAX_FIELDS_PER_TYPE {
                    return Err(SchemaError::TooManyItems { max: MAX_FIELDS_PER_TYPE });
                }
            }
        }
        types.entry(name.clone()).or_insert(fields);
    }
    let schema = MessageSchema { root, types, ros1 };
    schema.validate()?;
    Ok(schema)
}

/// One line: a field, a constant (ignored), a comment or blank (None).
fn parse_field_line(line: &str, package: &str, ros1: bool) -> Result<Option<Field>, String> {
    let line = match line.find('#') {
        Some(i) => &line[..i],
        None => line,
    };
    let line = line.trim();
    if line.is_empty() {
        return Ok(None);
    }
    let mut parts = line.splitn(2, char::is_whitespace);
    let type_text = parts.next().unwrap_or("");
    let rest = parts.next().unwrap_or("").trim();
    let name_end = rest.find(|c: char| c.is_whitespace() || c == '=').unwrap_or(rest.len());
    let name = &rest[..name_end];
    if name.is_empty() {
        return Err(format!("no field name after {type_text:?}"));
    }
    if rest[name_end..].trim_start().starts_with('=') {
        return Ok(None); // a constant
    }
    if !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
        return Err(format!("field name {name:?} is not an identifier"));
    }
    let (base, arity) = match type_text.find('[') {
        Some(open) => {
            let inner =
                type_text[open + 1..].strip_suffix(']').ok_or_else(|| format!("unclosed array in {type_text:?}"))?;
            let arity = if inner.is_empty() {
                Arity::Sequence(None)
            } else if let Some(bound) = inner.strip_prefix("<=") {
                Arity::Sequence(Some(bound.parse().map_err(|_| format!("bad bound in {type_text:?}"))?))
            } else {
                Arity::Fixed(inner.parse().map_err(|_| format!("bad array size in {type_text:?}"))?)
            };
            (&type_text[..open], arity)
        }
        None => (type_text, Arity::One),
    };
    // Bounded strings: `string<=10`.
    let base = base.split("<=").next().unwrap_or(base);
    let field_type = match Primitive::parse(base, ros1) {
        Some(p) => FieldType::Primitive(p),
        None => FieldType::Message(resolve_type(base, package, ros1)),
    };
    Ok(Some(Field { name: name.to_string(), field_type, arity }))
}

fn resolve_type(base: &str, package: &str, ros1: bool) -> String {
    if base.contains('/') {
        return normalise_type_name(base);
    }
    if ros1 && base == "Header" {
        return "std_msgs/Header".into();
    }
    format!("{package}/{base}")
}

impl MessageSchema {
    /// Every referenced type exists, and no type contains itself.
    pub(crate) fn validate(&self) -> Result<(), SchemaError> {
        for (name, fields) in &self.types {
            for field in fields {
                if let FieldType::Message(inner) = &field.field_type {
                    if !(self.types.contains_key(inner) || (self.ros1 && builtin_ros1(inner))) {
                        return Err(SchemaError::MissingType { type_name: name.clone(), missing: inner.clone() });
                    }
                }
            }
        }
        if !self.types.contains_key(&self.root) {
            return Err(SchemaError::MissingType { type_name: self.root.clone(), missing: self.root.clone() });
        }
        // Depth-first with an explicit stack: a cycle is a type met again on its own path.
        let mut state: BTreeMap<&str, u8> = BTreeMap::new(); // 1 = on path, 2 = done
        let mut stack: Vec<(&str, usize)> = vec![(self.root.as_str(), 0)];
        state.insert(self.root.as_str(), 1);
        while let Some(&mut (name, ref mut next)) = stack.last_mut() {
            let fields = self.types.get(name).map(Vec::as_slice).unwrap_or(&[]);
            if *next >= fields.len() {
                state.insert(name, 2);
                stack.pop();
                continue;
            }
            let field = &fields[*next];
            *next += 1;
            if let FieldType::Message(inner) = &field.field_type {
                match state.get(inner.as_str()) {
                    Some(1) => return Err(SchemaError::Recursive { type_name: inner.clone() }),
                    Some(_) => {}
                    None if self.types.contains_key(inner) => {
                        state.insert(inner.as_str(), 1);
                        stack.push((inner.as_str(), 0));
                    }
                    None => {}
                }
            }
        }
        Ok(())
    }

    pub fn fields(&self, type_name: &str) -> &[Field] {
        self.types.get(type_name).map(Vec::as_slice).unwrap_or(&[])
    }
}

fn builtin_ros1(_name: &str) -> bool {
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    const JOINT_STATE: &str = "std_msgs/Header header\nstring[] name\nfloat64[] position\nfloat64[] velocity\nfloat64[] effort\n\
================================================================================\nMSG: std_msgs/Header\nbuiltin_interfaces/Time stamp\nstring frame_id\n\
================================================================================\nMSG: builtin_interfaces/Time\nint32 sec\nuint32 nanosec\n";

    #[test]
    fn parses_a_ros2_joint_state_definition_with_nested_types() {
        let schema = parse_schema("sensor_msgs/msg/JointState", "ros2msg", JOINT_STATE).unwrap();
        assert_eq!(schema.root, "sensor_msgs/JointState");
        let root = schema.fields("sensor_msgs/JointState");
        assert_eq!(root.len(), 5);
        assert_eq!(root[0].field_type, FieldType::Message("std_msgs/Header".into()));
        assert_eq!(root[2].arity, Arity::Sequence(None));
        assert_eq!(schema.fields("builtin_interfaces/Time")[1].field_type, FieldType::Primitive(Primitive::UInt32));
    }

    #[test]
    fn constants_comments_defaults_and_bounds_are_understood() {
        let text =
            "uint8 A=1 # constant\nint32[3] fixed\nfloat64[<=4] bounded\nstring<=8 short\nint32 with_default 5\n";
        let schema = parse_schema("p/msg/T", "ros2msg", text).unwrap();
        let fields = schema.fields("p/T");
        assert_eq!(fields.len(), 4);
        assert_eq!(fields[0].arity, Arity::Fixed(3));
        assert_eq!(fields[1].arity, Arity::Sequence(Some(4)));
        assert_eq!(fields[2].field_type, FieldType::Primitive(Primitive::String));
    }

    #[test]
    fn missing_and_recursive_types_are_refused() {
        let err = parse_schema("p/msg/T", "ros2msg", "q/Other x\n").unwrap_err();
        assert!(matches!(err, SchemaError::MissingType { .. }), "{err}");
        let text = "p/A a\n===\nMSG: p/A\np/B b\n===\nMSG: p/B\np/A a\n";
        let err = parse_schema("p/msg/T", "ros2msg", text).unwrap_err();
        assert!(matches!(err, SchemaError::Recursive { .. }), "{err}");
        let err = parse_schema("p/msg/T", "jsonschema", "").unwrap_err();
        assert!(matches!(err, SchemaError::UnsupportedEncoding { .. }));
    }

    #[test]
    fn ros1_header_and_time_resolve() {
        let text =
            "Header header\ntime t\nduration d\n===\nMSG: std_msgs/Header\nuint32 seq\ntime stamp\nstring frame_id\n";
        let schema = parse_schema("p/T", "ros1msg", text).unwrap();
        let fields = schema.fields("p/T");
        assert_eq!(fields[0].field_type, FieldType::Message("std_msgs/Header".into()));
        assert_eq!(fields[1].field_type, FieldType::Primitive(Primitive::Time));
    }
}
