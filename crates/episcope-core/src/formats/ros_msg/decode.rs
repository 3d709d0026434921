//! Decodes one serialised ROS message (ROS 2 CDR or ROS 1) into numeric fields, strings and byte
//! blobs, driven by a parsed [`MessageSchema`]; bounded against hostile schemas and payloads.

use super::schema::{Arity, FieldType, MessageSchema, Primitive};

pub const MAX_DEPTH: usize = 32;
/// Elements one message may decode (sequences included): a lying length stops here.
pub const MAX_ELEMENTS: usize = 1 << 24;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DecodeError {
    #[error("message ends at byte {len} but field {field} needs {needed} more bytes at {offset}")]
    Truncated { field: String, offset: usize, needed: usize, len: usize },
    #[error("unknown CDR encapsulation {kind:#06x}")]
    BadEncapsulation { kind: u16 },
    #[error("field {field}: sequence of {count} elements exceeds what the message can hold")]
    LyingLength { field: String, count: u64 },
    #[error("type nesting deeper than {max}")]
    TooDeep { max: usize },
    #[error("field {field}: string is not UTF-8")]
    BadString { field: String },
}

/// One decoded leaf, by its path inside the message (`position`, `pose.position.x`).
#[derive(Debug, Clone, PartialEq)]
pub enum Leaf {
    Numbers(Vec<f64>),
    Strings(Vec<String>),
    /// `uint8[]` / `byte[]` sequences (image data, compressed frames): kept as bytes.
    Bytes(Vec<u8>),
}

/// A decoded message: its leaves in definition order.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Decoded {
    pub leaves: Vec<(String, Leaf)>,
}

impl Decoded {
    pub fn get(&self, path: &str) -> Option<&Leaf> {
        self.leaves.iter().find(|(p, _)| p == path).map(|(_, l)| l)
    }
}

struct Cursor<'a> {
    bytes: &'a [u8],
    pos: usize,
    /// Offset alignment counts from (after the CDR encapsulation header).
    origin: usize,
    little_endian: bool,
    cdr: bool,
    elements: usize,
}

impl Cursor<'_> {
    fn align(&mut self, size: usize) {
        if self.cdr && size > 1 {
            let rel = self.pos - self.origin;
            self.pos += (size - rel % size) % size;
        }
    }

    fn take(&mut self, n: usize, field: &str) -> Result<&[u8], DecodeError> {
        let end = self.pos.checked_add(n).filter(|&e| e <= self.bytes.len()).ok_or_else(|| DecodeError::Truncated {
            field: field.to_string(),
            offset: self.pos,
            needed: n,
            len: self.bytes.len(),
        })?;
        let slice = &self.bytes[self.pos..end];
        self.pos = end;
        Ok(slice)
    }

    fn u32(&mut self, field: &str) -> Result<u32, DecodeError> {
        self.align(4);
        let b = self.take(4, field)?;
        let a = [b[0], b[1], b[2], b[3]];
        Ok(if self.little_endian { u32::from_le_bytes(a) } else { u32::from_be_bytes(a) })
    }

    fn count(&mut self, field: &str, min_element_bytes: usize) -> Result<usize, DecodeError> {
        let count = self.u32(field)? as u64;
        let remaining = (self.bytes.len() - self.pos.min(self.bytes.len())) as u64;
        let budget = (MAX_ELEMENTS - self.elements.min(MAX_ELEMENTS)) as u64;
        if count.saturating_mul(min_element_bytes.max(1) as u64) > remaining || count > budget {
            return Err(DecodeError::LyingLength { field: field.to_string(), count });
        }
        self.elements += count as usize;
        Ok(count as usize)
    }

    fn number(&mut self, p: Primitive, field: &str) -> Result<f64, DecodeError> {
        let size = match p {
            Primitive::Time | Primitive::Duration => 4,
            other => other.size(),
        };
        self.align(size);
        let le = self.little_endian;
        let b = self.take(size, field)?;
        macro_rules! get {
            ($t:ty, $n:literal) => {{
                let mut a = [0u8; $n];
                a.copy_from_slice(b);
                if le {
                    <$t>::from_le_bytes(a)
                } else {
                    <$t>::from_be_bytes(a)
                }
            }};
        }
        Ok(match p {
            Primitive::Bool | Primitive::UInt8 => b[0] as f64,
            Primitive::Int8 => b[0] as i8 as f64,
            Primitive::Int16 => get!(i16, 2) as f64,
            Primitive::UInt16 => get!(u16, 2) as f64,
            Primitive::Int32 => get!(i32, 4) as f64,
            Primitive::UInt32 => get!(u32, 4) as f64,
            Primitive::Int64 => get!(i64, 8) as f64,
            Primitive::UInt64 => get!(u64, 8) as f64,
            Primitive::Float32 => get!(f32, 4) as f64,
            Primitive::Float64 => get!(f64, 8),
            Primitive::String => return Err(DecodeError::BadString { field: field.to_string() }),
            Primitive::Time => {
                let secs = get!(u32, 4) as f64;
                let b = self.take(4, field)?;
                let nsecs = if le {
                    u32::from_le_bytes([b[0], b[1], b[2], b[3]])
                } else {
                    u32::from_be_bytes([b[0], b[1], b[2], b[3]])
                };
                secs + nsecs as f64 * 1e-9
            }
            Primitive::Duration => {
                let secs = get!(i32, 4) as f64;
                let b = self.take(4, field)?;
                let nsecs = if le {
                    i32::from_le_bytes([b[0], b[1], b[2], b[3]])
                } else {
                    i32::from_be_bytes([b[0], b[1], b[2], b[3]])
                };
                secs + nsecs as f64 * 1e-9
            }
        })
    }

    fn string(&mut self, field: &str) -> Result<String, DecodeError> {
        let len = self.count(field, 1)?;
        let cdr = self.cdr;
        let b = self.take(len, field)?;
        // CDR strings carry their terminating NUL; ROS 1 strings do not.
        let b = if cdr { b.strip_suffix(&[0]).unwrap_or(b) } else { b };
        String::from_utf8(b.to_vec()).map_err(|_| DecodeError::BadString { field: field.to_string() })
    }
}

/// Decodes `bytes` as a message of the schema's root type.
pub fn decode_message(schema: &MessageSchema, bytes: &[u8]) -> Result<Decoded, DecodeError> {
    let mut cursor = if schema.ros1 {
        Cursor { bytes, pos: 0, origin: 0, little_endian: true, cdr: false, elements: 0 }
    } else {
        if bytes.len() < 4 {
            return Err(DecodeError::Truncated {
                field: "(encapsulation)".into(),
                offset: 0,
                needed: 4,
                len: bytes.len(),
            });
        }
        let kind = u16::from_be_bytes([bytes[0], bytes[1]]);
        let little_endian = match kind {
            0x0001 | 0x0003 | 0x0007 | 0x0009 | 0x000b => true,
            0x0000 | 0x0002 | 0x0006 | 0x0008 | 0x000a => false,
            other => return Err(DecodeError::BadEncapsulation { kind: other }),
        };
        Cursor { bytes, pos: 4, origin: 4, little_endian, cdr: true, elements: 0 }
    };
    let mut out = Decoded::default();
    decode_type(schema, &schema.root, "", &mut cursor, &mut out, 0)?;
    Ok(out)
}

fn join(prefix: &str, name: &str) -> String {
    if prefix.is_empty() {
        name.to_string()
    } else {
        format!("{prefix}.{name}")
    }
}

fn decode_type(
    schema: &MessageSchema,
    type_name: &str,
    prefix: &str,
    cursor: &mut Cursor<'_>,
    out: &mut Decoded,
    depth: usize,
) -> Result<(), DecodeError> {
    if depth > MAX_DEPTH {
        return Err(DecodeError::TooDeep { max: MAX_DEPTH });
    }
    for field in schema.fields(type_name) {
        let path = join(prefix, &field.name);
        match &field.field_type {
            FieldType::Primitive(p) => {
                let count = match field.arity {
                    Arity::One => None,
                    Arity::Fixed(n) => Some(n),
                    Arity::Sequence(_) => Some(cursor.count(&path, p.size().min(4))?),
                };
                match (p, count) {
                    (Primitive::String, None) => {
                        out.leaves.push((path.clone(), Leaf::Strings(vec![cursor.string(&path)?])))
                    }
                    (Primitive::String, Some(n)) => {
                        let mut strings = Vec::with_capacity(n.min(4096));
                        for _ in 0..n {
                            strings.push(cursor.string(&path)?);
                        }
                        out.leaves.push((path, Leaf::Strings(strings)));
                    }
                    (Primitive::UInt8 | Primitive::Int8, Some(n))
                        if n > 64 || matches!(field.arity, Arity::Sequence(_)) =>
                    {
                        out.leaves.push((path.clone(), Leaf::Bytes(cursor.take(n, &path)?.to_vec())));
                    }
                    (_, None) => out.leaves.push((path.clone(), Leaf::Numbers(vec![cursor.number(*p, &path)?]))),
                    (_, Some(n)) => {
                        if n.saturating_mul(p.size()) > cursor.bytes.len() {
                            return Err(DecodeError::LyingLength { field: path, count: n as u64 });
                        }
                        let mut values = Vec::with_capacity(n);
                        for _ in 0..n {
                            values.push(cursor.number(*p, &path)?);
                        }
                        out.leaves.push((path, Leaf::Numbers(values)));
                    }
                }
            }
            FieldType::Message(inner) => match field.arity {
                Arity::One => decode_type(schema, inner, &path, cursor, out, depth + 1)?,
                Arity::Fixed(n) => {
                    if n > cursor.bytes.len().max(1) {
                        return Err(DecodeError::LyingLength { field: path, count: n as u64 });
                    }
                    for i in 0..n {
                        decode_type(schema, inner, &format!("{path}[{i}]"), cursor, out, depth + 1)?;
                    }
                }
                Arity::Sequence(_) => {
                    let n = cursor.count(&path, 1)?;
                    for i in 0..n {
                        decode_type(schema, inner, &format!("{path}[{i}]"), cursor, out, depth + 1)?;
                    }
                }
            },
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::super::schema::parse_schema;
    use super::*;

    /// A JointState in CDR (little endian), laid out by hand: header (sec, nanosec, frame_id),
    /// names, then position/velocity/effort sequences with 8-byte alignment.
    fn joint_state_cdr() -> Vec<u8> {
        let mut b = vec![0, 1, 0, 0];
        b.extend(5i32.to_le_bytes());
        b.extend(7u32.to_le_bytes());
        b.extend(5u32.to_le_bytes());
        b.extend(b"base\0");
        b.extend([0u8; 3]); // align to 4
        b.extend(2u32.to_le_bytes());
        b.extend(3u32.to_le_bytes());
        b.extend(b"j1\0");
        b.push(0);
        b.extend(3u32.to_le_bytes());
        b.extend(b"j2\0");
        b.push(0); // pad to 4
        b.extend(2u32.to_le_bytes()); // position count, at rel offset 36 → doubles need 8-alignment
        let rel = b.len() - 4;
        b.extend(std::iter::repeat_n(0u8, (8 - rel % 8) % 8));
        b.extend(1.5f64.to_le_bytes());
        b.extend((-2.0f64).to_le_bytes());
        b.extend(0u32.to_le_bytes());
        b.extend(0u32.to_le_bytes());
        b
    }

    const JOINT_STATE: &str = "std_msgs/Header header\nstring[] name\nfloat64[] position\nfloat64[] velocity\nfloat64[] effort\n\
===\nMSG: std_msgs/Header\nbuiltin_interfaces/Time stamp\nstring frame_id\n===\nMSG: builtin_interfaces/Time\nint32 sec\nuint32 nanosec\n";

    #[test]
    fn decodes_a_cdr_joint_state_with_alignment() {
        let schema = parse_schema("sensor_msgs/msg/JointState", "ros2msg", JOINT_STATE).unwrap();
        let decoded = decode_message(&schema, &joint_state_cdr()).unwrap();
        assert_eq!(decoded.get("header.stamp.sec"), Some(&Leaf::Numbers(vec![5.0])));
        assert_eq!(decoded.get("header.frame_id"), Some(&Leaf::Strings(vec!["base".into()])));
        assert_eq!(decoded.get("name"), Some(&Leaf::Strings(vec!["j1".into(), "j2".into()])));
        assert_eq!(decoded.get("position"), Some(&Leaf::Numbers(vec![1.5, -2.0])));
        assert_eq!(decoded.get("effort"), Some(&Leaf::Numbers(vec![])));
    }

    #[test]
    fn truncated_and_lying_payloads_are_errors() {
        let schema = parse_schema("sensor_msgs/msg/JointState", "ros2msg", JOINT_STATE).unwrap();
        let bytes = joint_state_cdr();
        for cut in 0..bytes.len() - 8 {
            assert!(decode_message(&schema, &bytes[..cut]).is_err(), "cut at {cut}");
        }
        let mut lying = bytes.clone();
        lying[24..28].copy_from_slice(&u32::MAX.to_le_bytes()); // the name count
        assert!(matches!(decode_message(&schema, &lying), Err(DecodeError::LyingLength { .. })));
    }

    #[test]
    fn decodes_ros1_without_alignment_and_with_time() {
        let schema = parse_schema("p/T", "ros1msg", "time t\nint16 a\nfloat64[2] x\nstring s\n").unwrap();
        let mut b = Vec::new();
        b.extend(3u32.to_le_bytes());
        b.extend(500_000_000u32.to_le_bytes());
        b.extend((-4i16).to_le_bytes());
        b.extend(1.0f64.to_le_bytes());
        b.extend(2.0f64.to_le_bytes());
        b.extend(2u32.to_le_bytes());
        b.extend(b"hi");
        let decoded = decode_message(&schema, &b).unwrap();
        assert_eq!(decoded.get("t"), Some(&Leaf::Numbers(vec![3.5])));
        assert_eq!(decoded.get("a"), Some(&Leaf::Numbers(vec![-4.0])));
        assert_eq!(decoded.get("x"), Some(&Leaf::Numbers(vec![1.0, 2.0])));
        assert_eq!(decoded.get("s"), Some(&Leaf::Strings(vec!["hi".into()])));
    }
}
