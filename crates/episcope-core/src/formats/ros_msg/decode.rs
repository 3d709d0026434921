//! Decodes one serialised ROS message (ROS 2 CDR or ROS 1) into numeric fields, strings and byte
//! blobs, driven by a parsed [`MessageSchema`]; bounded against hostile schemas and payloads.

use std::fmt::Write;

use super::schema::{Arity, Field, FieldType, MessageSchema, Primitive};

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
    #[error("field {field}: a string where numbers were expected")]
    NotNumeric { field: String },
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
    #[inline]
    fn align(&mut self, size: usize) {
        if self.cdr && size > 1 {
            let rel = self.pos - self.origin;
            self.pos += (size - rel % size) % size;
        }
    }

    #[inline]
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

    #[inline]
    fn u32(&mut self, field: &str) -> Result<u32, DecodeError> {
        self.align(4);
        let b = self.take(4, field)?;
        let a = [b[0], b[1], b[2], b[3]];
        Ok(if self.little_endian { u32::from_le_bytes(a) } else { u32::from_be_bytes(a) })
    }

    #[inline]
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

    /// Reads `count` values of `p` (one when `count` is None) into `out` (cleared first). Arrays
    /// of primitives are contiguous after one alignment, so they convert in one pass.
    fn numbers(&mut self, p: Primitive, count: usize, field: &str, out: &mut Vec<f64>) -> Result<(), DecodeError> {
        out.clear();
        let (size, align) = match p {
            Primitive::Time | Primitive::Duration => (8, 4),
            Primitive::String => return Err(DecodeError::NotNumeric { field: field.to_string() }),
            other => (other.size(), other.size()),
        };
        if count == 0 {
            return Ok(());
        }
        self.align(align);
        let total = count
            .checked_mul(size)
            .ok_or_else(|| DecodeError::LyingLength { field: field.to_string(), count: count as u64 })?;
        let le = self.little_endian;
        let b = self.take(total, field)?;
        out.reserve(count);
        macro_rules! conv {
            ($t:ty, $n:literal) => {
                out.extend(b.chunks_exact($n).map(|c| {
                    let mut a = [0u8; $n];
                    a.copy_from_slice(c);
                    (if le { <$t>::from_le_bytes(a) } else { <$t>::from_be_bytes(a) }) as f64
                }))
            };
        }
        match p {
            Primitive::Bool | Primitive::UInt8 => out.extend(b.iter().map(|&v| v as f64)),
            Primitive::Int8 => out.extend(b.iter().map(|&v| v as i8 as f64)),
            Primitive::Int16 => conv!(i16, 2),
            Primitive::UInt16 => conv!(u16, 2),
            Primitive::Int32 => conv!(i32, 4),
            Primitive::UInt32 => conv!(u32, 4),
            Primitive::Int64 => conv!(i64, 8),
            Primitive::UInt64 => conv!(u64, 8),
            Primitive::Float32 => conv!(f32, 4),
            Primitive::Float64 => conv!(f64, 8),
            Primitive::Time | Primitive::Duration => {
                let signed = p == Primitive::Duration;
                out.extend(b.chunks_exact(8).map(|c| {
                    let word = |w: &[u8]| {
                        let a = [w[0], w[1], w[2], w[3]];
                        if le {
                            u32::from_le_bytes(a)
                        } else {
                            u32::from_be_bytes(a)
                        }
                    };
                    let (secs, nsecs) = (word(&c[..4]), word(&c[4..]));
                    if signed {
                        secs as i32 as f64 + nsecs as i32 as f64 * 1e-9
                    } else {
                        secs as f64 + nsecs as f64 * 1e-9
                    }
                }))
            }
            Primitive::String => {}
        }
        Ok(())
    }

    /// One string's bytes, borrowed from the message (without CDR's terminating NUL). Not checked
    /// for UTF-8 here: most strings (joint names in every message) are never read, so the sink
    /// that keeps one checks it.
    #[inline]
    fn str(&mut self, field: &str) -> Result<&[u8], DecodeError> {
        // The length is bounded by the bytes left (take), so it needs no element budget.
        let len = self.u32(field)? as usize;
        let cdr = self.cdr;
        let b = self.take(len, field)?;
        // CDR strings carry their terminating NUL; ROS 1 strings do not.
        Ok(if cdr { b.strip_suffix(&[0]).unwrap_or(b) } else { b })
    }
}

/// Receives a message's leaves as they are decoded, by path (`position`, `pose.position.x`,
/// `transforms[0].transform.translation.x`). Nothing is allocated per leaf by the decoder.
pub trait LeafSink {
    /// A numeric leaf: one value, or a fixed/variable array of them.
    fn numbers(&mut self, path: &str, values: &[f64]);
    /// A string leaf's bytes, as stored: meant to be UTF-8 but not checked (`index` counts the
    /// elements of a string array; a lone string is 0).
    fn string(&mut self, path: &str, index: usize, value: &[u8]);
    /// A `uint8[]`/`byte[]` sequence or a large fixed byte array (image data, compressed frames).
    fn bytes(&mut self, path: &str, value: &[u8]);
}

/// Collects leaves into a [`Decoded`].
impl LeafSink for Decoded {
    fn numbers(&mut self, path: &str, values: &[f64]) {
        self.leaves.push((path.to_string(), Leaf::Numbers(values.to_vec())));
    }

    /// Invalid UTF-8 is kept with replacement characters (as a browser's `TextDecoder` does).
    fn string(&mut self, path: &str, index: usize, value: &[u8]) {
        let value = String::from_utf8_lossy(value).into_owned();
        match self.leaves.last_mut() {
            Some((last, Leaf::Strings(strings))) if index > 0 && last == path => strings.push(value),
            _ => self.leaves.push((path.to_string(), Leaf::Strings(vec![value]))),
        }
    }

    fn bytes(&mut self, path: &str, value: &[u8]) {
        self.leaves.push((path.to_string(), Leaf::Bytes(value.to_vec())));
    }
}

/// Decodes `bytes` as a message of the schema's root type.
pub fn decode_message(schema: &MessageSchema, bytes: &[u8]) -> Result<Decoded, DecodeError> {
    let mut out = Decoded::default();
    let mut decoder = MessageDecoder::default();
    decoder.decode(schema, bytes, &mut out)?;
    Ok(out)
}

/// Decodes messages into a [`LeafSink`], reusing its path and number buffers between messages.
#[derive(Debug, Default)]
pub struct MessageDecoder {
    path: String,
    scratch: Vec<f64>,
}

impl MessageDecoder {
    /// Decodes `bytes` as a message of the schema's root type, leaf by leaf into `sink`. On an
    /// error the sink may have seen a prefix of the message's leaves.
    pub fn decode<S: LeafSink>(
        &mut self,
        schema: &MessageSchema,
        bytes: &[u8],
        sink: &mut S,
    ) -> Result<(), DecodeError> {
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
        self.path.clear();
        let mut walk = Walk { schema, cursor: &mut cursor, sink, path: &mut self.path, scratch: &mut self.scratch };
        walk.decode_type(&schema.root, 0)
    }
}

struct Walk<'a, 'b, S> {
    schema: &'a MessageSchema,
    cursor: &'a mut Cursor<'b>,
    sink: &'a mut S,
    /// The current leaf's path; each level appends its part and truncates it back.
    path: &'a mut String,
    scratch: &'a mut Vec<f64>,
}

impl<S: LeafSink> Walk<'_, '_, S> {
    fn push(&mut self, name: &str) -> usize {
        let len = self.path.len();
        if len > 0 {
            self.path.push('.');
        }
        self.path.push_str(name);
        len
    }

    fn decode_type(&mut self, type_name: &str, depth: usize) -> Result<(), DecodeError> {
        if depth > MAX_DEPTH {
            return Err(DecodeError::TooDeep { max: MAX_DEPTH });
        }
        let schema = self.schema;
        let fields = schema.fields(type_name);
        if fields.is_empty() && self.cursor.cdr {
            // A ROS 2 message without fields (std_msgs/Empty, one holding only constants) is one
            // placeholder byte on the wire (rosidl's `structure_needs_at_least_one_member`).
            self.cursor.take(1, self.path)?;
            return Ok(());
        }
        for field in fields {
            let saved = self.push(&field.name);
            self.decode_field(field, depth)?;
            self.path.truncate(saved);
        }
        Ok(())
    }

    fn decode_field(&mut self, field: &Field, depth: usize) -> Result<(), DecodeError> {
        match &field.field_type {
            FieldType::Primitive(p) => {
                let count = match field.arity {
                    Arity::One => None,
                    Arity::Fixed(n) => Some(n),
                    Arity::Sequence(_) => Some(self.cursor.count(self.path, p.size().min(4))?),
                };
                match (p, count) {
                    (Primitive::String, None) => {
                        let value = self.cursor.str(self.path)?;
                        self.sink.string(self.path, 0, value);
                    }
                    (Primitive::String, Some(n)) => {
                        for index in 0..n {
                            let value = self.cursor.str(self.path)?;
                            self.sink.string(self.path, index, value);
                        }
                    }
                    (Primitive::UInt8 | Primitive::Int8, Some(n))
                        if n > 64 || matches!(field.arity, Arity::Sequence(_)) =>
                    {
                        let value = self.cursor.take(n, self.path)?;
                        self.sink.bytes(self.path, value);
                    }
                    (_, count) => {
                        let n = count.unwrap_or(1);
                        if count.is_some() && n.saturating_mul(p.size()) > self.cursor.bytes.len() {
                            return Err(DecodeError::LyingLength { field: self.path.clone(), count: n as u64 });
                        }
                        self.cursor.numbers(*p, n, self.path, self.scratch)?;
                        self.sink.numbers(self.path, self.scratch);
                    }
                }
            }
            FieldType::Message(inner) => match field.arity {
                Arity::One => self.decode_type(inner, depth + 1)?,
                arity => {
                    let n = match arity {
                        Arity::Fixed(n) => {
                            if n > self.cursor.bytes.len().max(1) {
                                return Err(DecodeError::LyingLength { field: self.path.clone(), count: n as u64 });
                            }
                            n
                        }
                        _ => self.cursor.count(self.path, 1)?,
                    };
                    for i in 0..n {
                        let saved = self.path.len();
                        let _ = write!(self.path, "[{i}]");
                        self.decode_type(inner, depth + 1)?;
                        self.path.truncate(saved);
                    }
                }
            },
        }
        Ok(())
    }
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
    fn a_ros2_message_without_fields_is_one_placeholder_byte() {
        let definition = "Empty[2] e\nint32 after\n===\nMSG: p/Empty\nint32 CONSTANT=5\n";
        let schema = parse_schema("p/msg/T", "ros2msg", definition).unwrap();
        let mut b = vec![0, 1, 0, 0, 0, 0];
        b.extend([0u8; 2]); // align to 4
        b.extend(7i32.to_le_bytes());
        let decoded = decode_message(&schema, &b).unwrap();
        assert_eq!(decoded.leaves, [("after".to_string(), Leaf::Numbers(vec![7.0]))]);
        // ROS 1 has no placeholder.
        let schema = parse_schema("p/T", "ros1msg", definition).unwrap();
        let decoded = decode_message(&schema, &7i32.to_le_bytes()).unwrap();
        assert_eq!(decoded.leaves, [("after".to_string(), Leaf::Numbers(vec![7.0]))]);
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
