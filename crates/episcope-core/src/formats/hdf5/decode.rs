//! Decoding HDF5 element bytes (any byte order) into f64 and rendering attributes as text.

use hdf5_reader::{Attribute, ByteOrder, Datatype};

/// Most attribute elements rendered; the rest become `…`.
const MAX_RENDERED_ELEMENTS: usize = 32;
/// Longest rendered attribute value, in characters.
const MAX_RENDERED_CHARS: usize = 1024;

/// `float64`, `int16`, `uint8`, `bool`, `string`, ...
pub(crate) fn dtype_name(dtype: &Datatype) -> String {
    match dtype {
        Datatype::FixedPoint { size, signed, .. } => {
            format!("{}int{}", if *signed { "" } else { "u" }, u32::from(*size) * 8)
        }
        Datatype::FloatingPoint { size, .. } => format!("float{}", u32::from(*size) * 8),
        Datatype::String { .. } => "string".into(),
        Datatype::VarLen { kind, .. } => {
            if matches!(kind, hdf5_reader::VarLenKind::String) {
                "vlen_string".into()
            } else {
                "vlen".into()
            }
        }
        Datatype::Enum { base, members } if is_bool_enum(base, members) => "bool".into(),
        Datatype::Enum { base, .. } => format!("enum({})", dtype_name(base)),
        Datatype::Compound { .. } => "compound".into(),
        Datatype::Array { base, dims } => {
            let dims: Vec<String> = dims.iter().map(u64::to_string).collect();
            format!("array({}[{}])", dtype_name(base), dims.join(", "))
        }
        Datatype::Opaque { .. } => "opaque".into(),
        Datatype::Reference { .. } => "reference".into(),
        Datatype::Bitfield { size, .. } => format!("bitfield{}", u32::from(*size) * 8),
    }
}

fn is_bool_enum(base: &Datatype, members: &[hdf5_reader::EnumMember]) -> bool {
    matches!(base, Datatype::FixedPoint { size: 1, .. })
        && members.len() == 2
        && members.iter().any(|m| m.name == "FALSE")
        && members.iter().any(|m| m.name == "TRUE")
}

/// Whether [`decode_numbers`] decodes this dtype name.
pub(crate) fn is_numeric(dtype: &str) -> bool {
    matches!(
        dtype,
        "int8"
            | "int16"
            | "int32"
            | "int64"
            | "uint8"
            | "uint16"
            | "uint32"
            | "uint64"
            | "float32"
            | "float64"
            | "bool"
    )
}

fn ordered<const N: usize>(chunk: &[u8], order: ByteOrder) -> [u8; N] {
    let mut a = [0u8; N];
    a.copy_from_slice(chunk);
    if order == ByteOrder::BigEndian {
        a.reverse();
    }
    a
}

/// Decodes raw element bytes (the dataset's byte order) to f64. None for non-numeric dtypes.
pub(crate) fn decode_numbers(raw: &[u8], dtype: &Datatype) -> Option<Vec<f64>> {
    match dtype {
        Datatype::FixedPoint { size, signed, byte_order } => {
            let size = usize::from(*size);
            let (signed, order) = (*signed, *byte_order);
            let it = raw.chunks_exact(size);
            Some(match (size, signed) {
                (1, true) => it.map(|c| f64::from(c[0] as i8)).collect(),
                (1, false) => it.map(|c| f64::from(c[0])).collect(),
                (2, true) => it.map(|c| f64::from(i16::from_le_bytes(ordered(c, order)))).collect(),
                (2, false) => it.map(|c| f64::from(u16::from_le_bytes(ordered(c, order)))).collect(),
                (4, true) => it.map(|c| f64::from(i32::from_le_bytes(ordered(c, order)))).collect(),
                (4, false) => it.map(|c| f64::from(u32::from_le_bytes(ordered(c, order)))).collect(),
                (8, true) => it.map(|c| i64::from_le_bytes(ordered(c, order)) as f64).collect(),
                (8, false) => it.map(|c| u64::from_le_bytes(ordered(c, order)) as f64).collect(),
                _ => return None,
            })
        }
        Datatype::FloatingPoint { size, byte_order } => {
            let order = *byte_order;
            Some(match size {
                4 => raw.chunks_exact(4).map(|c| f64::from(f32::from_le_bytes(ordered(c, order)))).collect(),
                8 => raw.chunks_exact(8).map(|c| f64::from_le_bytes(ordered(c, order))).collect(),
                _ => return None,
            })
        }
        Datatype::Enum { base, members } if is_bool_enum(base, members) => decode_numbers(raw, base),
        _ => None,
    }
}

fn truncate(mut s: String) -> String {
    if s.chars().count() > MAX_RENDERED_CHARS {
        s = s.chars().take(MAX_RENDERED_CHARS).collect();
        s.push('…');
    }
    s
}

fn format_number(v: f64, dtype: &Datatype) -> String {
    match dtype {
        Datatype::Enum { .. } => (if v != 0.0 { "True" } else { "False" }).to_string(),
        _ => format!("{v}"),
    }
}

/// An attribute's value as text: a string as is, a scalar as a number (`30`, `0.5`, `True`),
/// an array as `[1, 2, 3]` (at most 32 elements), anything else as `<dtype>`.
pub(crate) fn render_attribute(attr: &Attribute) -> String {
    if let Some(values) = decode_numbers(&attr.raw_data, &attr.datatype) {
        let shown: Vec<String> =
            values.iter().take(MAX_RENDERED_ELEMENTS).map(|&v| format_number(v, &attr.datatype)).collect();
        let more = if values.len() > MAX_RENDERED_ELEMENTS { ", …" } else { "" };
        return truncate(if attr.shape.is_empty() && shown.len() == 1 {
            shown[0].clone()
        } else {
            format!("[{}{more}]", shown.join(", "))
        });
    }
    if let Ok(strings) = attr.read_strings() {
        return truncate(if attr.shape.is_empty() && strings.len() == 1 {
            strings[0].clone()
        } else {
            let shown: Vec<String> = strings.iter().take(MAX_RENDERED_ELEMENTS).map(|s| format!("{s:?}")).collect();
            format!("[{}]", shown.join(", "))
        });
    }
    format!("<{}>", dtype_name(&attr.datatype))
}
