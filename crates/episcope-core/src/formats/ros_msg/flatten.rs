//! Turns one channel's raw messages into the recording model's numeric series: every numeric leaf
//! becomes a field (JointState's `name` gives its arrays their dimension names), header stamps and
//! byte blobs are left out, and the stream's kind (numeric, image, compressed image) is named.

use super::decode::{decode_message, DecodeError, Leaf};
use super::schema::{normalise_type_name, parse_schema, SchemaError};
use crate::recording::{NumericField, RawChannel, RawMessage, StreamKind, StreamSeries};

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StreamDecodeError {
    #[error("topic {topic}: {source}")]
    Schema { topic: String, source: SchemaError },
    #[error("topic {topic}, message {index}: {source}")]
    Message { topic: String, index: usize, source: DecodeError },
    #[error("topic {topic}: message encoding {encoding:?} is not decoded (cdr and ros1 are)")]
    UnsupportedEncoding { topic: String, encoding: String },
    #[error("topic {topic}: the file carries no message definition for {message_type}")]
    NoDefinition { topic: String, message_type: String },
}

/// What a message type is for the views, by its name.
pub fn stream_kind(message_type: &str) -> StreamKind {
    match normalise_type_name(message_type).as_str() {
        "sensor_msgs/Image" => StreamKind::Image,
        "sensor_msgs/CompressedImage" => StreamKind::CompressedImage,
        "std_msgs/String" => StreamKind::Text,
        _ => StreamKind::Numeric,
    }
}

/// Decodes every message of `channel` into one series (times are log times).
pub fn decode_stream(channel: &RawChannel, messages: &[RawMessage]) -> Result<StreamSeries, StreamDecodeError> {
    let topic = channel.topic.clone();
    let schema_encoding = match (channel.message_encoding.as_str(), channel.schema_encoding.as_str()) {
        ("cdr", "ros2msg") | ("cdr", "") => "ros2msg",
        ("ros1", _) => "ros1msg",
        (encoding, _) => return Err(StreamDecodeError::UnsupportedEncoding { topic, encoding: encoding.to_string() }),
    };
    if channel.schema_text.trim().is_empty() {
        return Err(StreamDecodeError::NoDefinition { topic, message_type: channel.message_type.clone() });
    }
    let schema = parse_schema(&channel.message_type, schema_encoding, &channel.schema_text)
        .map_err(|source| StreamDecodeError::Schema { topic: topic.clone(), source })?;
    let mut series = StreamSeries { stream: topic.clone(), ..Default::default() };
    let mut index_of: Vec<String> = Vec::new();
    let mut stamps_complete = true;
    for (index, message) in messages.iter().filter(|m| m.channel_id == channel.id).enumerate() {
        let decoded = decode_message(&schema, &message.data).map_err(|source| StreamDecodeError::Message {
            topic: topic.clone(),
            index,
            source,
        })?;
        let row = series.times_ns.len();
        series.times_ns.push(message.log_time_ns);
        match header_stamp_ns(&decoded) {
            Some(stamp) if stamps_complete => series.header_times_ns.push(stamp),
            _ => stamps_complete = false,
        }
        let names = match decoded.get("name") {
            Some(Leaf::Strings(names)) => Some(names.clone()),
            _ => None,
        };
        for (path, leaf) in &decoded.leaves {
            let Leaf::Numbers(values) = leaf else { continue };
            if path.starts_with("header.") {
                continue;
            }
            let slot = match index_of.iter().position(|p| p == path) {
                Some(slot) => slot,
                None => {
                    let width = values.len();
                    if width == 0 && row == 0 {
                        continue;
                    }
                    let dimension_names = match &names {
                        Some(names) if names.len() == width => names.clone(),
                        _ if width == 1 => vec![path.clone()],
                        _ => (0..width).map(|i| format!("{path}[{i}]")).collect(),
                    };
                    index_of.push(path.clone());
                    series.fields.push(NumericField {
                        name: path.clone(),
                        dimension_names,
                        width,
                        values: vec![f64::NAN; row * width],
                    });
                    index_of.len() - 1
                }
            };
            let field = &mut series.fields[slot];
            let start = field.values.len();
            field.values.resize(start + field.width, f64::NAN);
            for (dst, src) in field.values[start..].iter_mut().zip(values) {
                *dst = *src;
            }
        }
        // A field this message lacked (or had empty) is NaN for this row.
        for field in &mut series.fields {
            field.values.resize((row + 1) * field.width, f64::NAN);
        }
    }
    series.fields.retain(|f| f.width > 0);
    if !stamps_complete {
        series.header_times_ns.clear();
    }
    Ok(series)
}

/// `header.stamp` in nanoseconds: ROS 2 `sec` + `nanosec`, ROS 1 `time` (decoded as seconds).
fn header_stamp_ns(decoded: &super::decode::Decoded) -> Option<u64> {
    let one = |path: &str| match decoded.get(path) {
        Some(Leaf::Numbers(v)) if v.len() == 1 && v[0].is_finite() && v[0] >= 0.0 => Some(v[0]),
        _ => None,
    };
    if let (Some(sec), Some(nanosec)) = (one("header.stamp.sec"), one("header.stamp.nanosec")) {
        return Some((sec as u64).saturating_mul(1_000_000_000).saturating_add(nanosec as u64));
    }
    one("header.stamp").map(|secs| (secs * 1e9).round() as u64)
}
