//! Turns one channel's raw messages into the recording model's numeric series: every numeric leaf
//! becomes a field (JointState's `name` gives its arrays their dimension names), header stamps and
//! byte blobs are left out, and the stream's kind (numeric, image, compressed image) is named.

use std::collections::HashMap;

use super::decode::{DecodeError, LeafSink, MessageDecoder};
use super::schema::{normalise_type_name, parse_schema, MessageSchema, SchemaError};
use super::well_known::bundled_definition;
use crate::recording::{NumericField, RawChannel, RawMessage, StreamKind, StreamSeries};

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StreamDecodeError {
    #[error("topic {topic}: {source}")]
    Schema { topic: String, source: SchemaError },
    #[error("topic {topic}, message {index}: {source}")]
    Message { topic: String, index: usize, source: DecodeError },
    #[error("topic {topic}: message encoding {encoding:?} is not decoded (cdr and ros1 are)")]
    UnsupportedEncoding { topic: String, encoding: String },
    #[error("topic {topic}: the file carries no message definition for {message_type} (and it is not a bundled standard ROS 2 type)")]
    NoDefinition { topic: String, message_type: String },
    #[error("topic {topic}: {messages} messages of {row_width} values each exceed {max} values")]
    TooManyValues { topic: String, messages: usize, row_width: usize, max: usize },
}

/// Values one stream's columns may hold: arrays that vary in length are padded to the widest
/// first one, so a hostile stream could otherwise ask for far more than its bytes.
pub const MAX_SERIES_VALUES: usize = 1 << 27;

/// What a message type is for the views, by its name.
pub fn stream_kind(message_type: &str) -> StreamKind {
    match normalise_type_name(message_type).as_str() {
        "sensor_msgs/Image" => StreamKind::Image,
        "sensor_msgs/CompressedImage" => StreamKind::CompressedImage,
        "std_msgs/String" => StreamKind::Text,
        _ => StreamKind::Numeric,
    }
}

/// The parsed schema of `channel`'s messages: the definition the file carries or, for a file that
/// stores none (rosbag2 sqlite3 before Iron), the bundled standard one; a custom type without a
/// definition cannot be decoded.
pub fn channel_schema(channel: &RawChannel) -> Result<MessageSchema, StreamDecodeError> {
    let topic = || channel.topic.clone();
    let schema_encoding = match (channel.message_encoding.as_str(), channel.schema_encoding.as_str()) {
        ("cdr", "ros2msg") | ("cdr", "") => "ros2msg",
        ("cdr", "ros2idl") => "ros2idl",
        ("ros1", _) => "ros1msg",
        (encoding, _) => {
            return Err(StreamDecodeError::UnsupportedEncoding { topic: topic(), encoding: encoding.to_string() })
        }
    };
    let bundled;
    let schema_text = if !channel.schema_text.trim().is_empty() {
        channel.schema_text.as_str()
    } else if let Some(text) =
        (schema_encoding == "ros2msg").then(|| bundled_definition(&channel.message_type)).flatten()
    {
        bundled = text;
        bundled.as_str()
    } else {
        return Err(StreamDecodeError::NoDefinition { topic: topic(), message_type: channel.message_type.clone() });
    };
    parse_schema(&channel.message_type, schema_encoding, schema_text)
        .map_err(|source| StreamDecodeError::Schema { topic: topic(), source })
}

/// Decodes every message of `channel` into one series (times are log times).
pub fn decode_stream(channel: &RawChannel, messages: &[RawMessage]) -> Result<StreamSeries, StreamDecodeError> {
    decode_stream_bounded(channel, messages, MAX_SERIES_VALUES)
}

fn decode_stream_bounded(
    channel: &RawChannel,
    messages: &[RawMessage],
    max_values: usize,
) -> Result<StreamSeries, StreamDecodeError> {
    let topic = channel.topic.clone();
    let schema = channel_schema(channel)?;
    let (rows, bytes) = messages
        .iter()
        .filter(|m| m.channel_id == channel.id)
        .fold((0usize, 0usize), |(n, b), m| (n + 1, b.saturating_add(m.data.len())));
    let mut sink = SeriesSink::with_rows(rows, bytes);
    let mut decoder = MessageDecoder::default();
    for (index, message) in messages.iter().filter(|m| m.channel_id == channel.id).enumerate() {
        sink.begin_message(&message.data);
        decoder.decode(&schema, &message.data, &mut sink).map_err(|source| StreamDecodeError::Message {
            topic: topic.clone(),
            index,
            source,
        })?;
        let messages = sink.row + 1;
        if messages.saturating_mul(sink.row_width) > max_values {
            let row_width = sink.row_width;
            return Err(StreamDecodeError::TooManyValues { topic, messages, row_width, max: max_values });
        }
        sink.end_message(message.log_time_ns);
    }
    Ok(sink.finish(topic))
}

/// Writes each message's numeric leaves straight into per-field column buffers: a field is found
/// by the leaf's position in the message (the same in every message of a fixed-shape type), checked
/// against its path, so steady-state decoding allocates nothing per message.
#[derive(Default)]
struct SeriesSink<'m> {
    series: StreamSeries,
    /// Path of each field in `series.fields`, by slot.
    slot_of_path: HashMap<String, usize>,
    /// For the n-th numeric leaf of a message, the slot it filled last time.
    slot_by_ordinal: Vec<usize>,
    ordinal: usize,
    /// Rows each field has values for (a field this message lacks is NaN for it).
    row: usize,
    /// Messages the stream holds: columns are sized for them once (at most its bytes: a value
    /// takes at least one byte on the wire).
    rows_expected: usize,
    stream_bytes: usize,
    /// Values per row over all fields.
    row_width: usize,
    /// The message being decoded: its `name` strings (JointState) are kept as byte ranges of it,
    /// read only when a field is created.
    message: &'m [u8],
    names: Vec<(usize, usize)>,
    stamp_sec: Option<f64>,
    stamp_nanosec: Option<f64>,
    /// ROS 1 `header.stamp` (a `time`, decoded as seconds).
    stamp_secs: Option<f64>,
    stamps_complete: bool,
    /// The sequence element being decoded names its frame (`transforms[k].child_frame_id`, as in
    /// `tf2_msgs/TFMessage`): its leaves are keyed by the frame, not the element's position, so
    /// each frame is one field whichever message and position carry it. (prefix, frame)
    element_frame: Option<(String, String)>,
    keyed_path: String,
}

impl<'m> SeriesSink<'m> {
    fn with_rows(rows: usize, stream_bytes: usize) -> Self {
        let mut sink = Self { rows_expected: rows, stream_bytes, stamps_complete: true, ..Self::default() };
        sink.series.times_ns.reserve(rows);
        sink
    }

    fn begin_message(&mut self, message: &'m [u8]) {
        self.message = message;
        self.ordinal = 0;
        self.names.clear();
        self.stamp_sec = None;
        self.stamp_nanosec = None;
        self.stamp_secs = None;
        self.element_frame = None;
    }

    fn end_message(&mut self, log_time_ns: u64) {
        self.row += 1;
        self.series.times_ns.push(log_time_ns);
        let stamp = match (self.stamp_sec, self.stamp_nanosec, self.stamp_secs) {
            (Some(sec), Some(nanosec), _) => {
                Some((sec as u64).saturating_mul(1_000_000_000).saturating_add(nanosec as u64))
            }
            (_, _, Some(secs)) => Some((secs * 1e9).round() as u64),
            _ => None,
        };
        match stamp {
            Some(stamp) if self.stamps_complete => {
                if self.series.header_times_ns.capacity() == 0 {
                    self.series.header_times_ns.reserve(self.rows_expected);
                }
                self.series.header_times_ns.push(stamp);
            }
            _ => self.stamps_complete = false,
        }
        // A field this message lacked is NaN for this row, and the row is noted as absent.
        let row = self.row;
        for field in &mut self.series.fields {
            if field.values.len() != row * field.width {
                if field.values.len() == (row - 1) * field.width {
                    field.absent_rows.push((row - 1) as u32);
                }
                field.values.resize(row * field.width, f64::NAN);
            }
        }
    }

    fn finish(mut self, topic: String) -> StreamSeries {
        self.series.stream = topic;
        if !self.stamps_complete {
            self.series.header_times_ns.clear();
        }
        self.series
    }

    /// This message's `name` strings when there are `width` of them, all UTF-8.
    fn names_of_width(&self, width: usize) -> Option<Vec<String>> {
        if self.names.len() != width {
            return None;
        }
        let name = |&(start, len): &(usize, usize)| {
            let bytes = self.message.get(start..start.checked_add(len)?)?;
            std::str::from_utf8(bytes).ok().map(str::to_string)
        };
        self.names.iter().map(name).collect()
    }

    /// The field a numeric leaf of `width` values goes to, created on first sight (None for a
    /// field that has no values yet).
    fn slot(&mut self, path: &str, width: usize) -> Option<usize> {
        let ordinal = self.ordinal;
        self.ordinal += 1;
        if let Some(&slot) = self.slot_by_ordinal.get(ordinal) {
            if self.series.fields.get(slot).is_some_and(|f| f.name == path) {
                return Some(slot);
            }
        }
        let slot = match self.slot_of_path.get(path) {
            Some(&slot) => slot,
            None => {
                // A field empty in the first message is created when it first has values.
                if width == 0 {
                    return None;
                }
                let names = if path == "name" { None } else { self.names_of_width(width) };
                let dimension_names = if let Some(names) = names {
                    names
                } else if width == 1 {
                    vec![path.to_string()]
                } else {
                    (0..width).map(|i| format!("{path}[{i}]")).collect()
                };
                let slot = self.series.fields.len();
                let capacity = self.rows_expected.saturating_mul(width).min(self.stream_bytes);
                let mut values = Vec::with_capacity(capacity);
                self.row_width = self.row_width.saturating_add(width);
                values.resize(self.row * width, f64::NAN);
                // Messages before this field first appeared did not carry it.
                let absent_rows = (0..self.row as u32).collect();
                self.series.fields.push(NumericField {
                    name: path.to_string(),
                    dimension_names,
                    width,
                    values,
                    absent_rows,
                });
                self.slot_of_path.insert(path.to_string(), slot);
                slot
            }
        };
        if self.slot_by_ordinal.len() <= ordinal {
            self.slot_by_ordinal.resize(ordinal + 1, usize::MAX);
        }
        self.slot_by_ordinal[ordinal] = slot;
        Some(slot)
    }
}

impl LeafSink for SeriesSink<'_> {
    fn numbers(&mut self, path: &str, values: &[f64]) {
        if path.contains('[') {
            // Stamps of sequence elements (each transform's header) are not plotted.
            if path.contains(".header.") {
                return;
            }
            if let Some((prefix, frame)) = &self.element_frame {
                if let Some(rest) = path.strip_prefix(prefix.as_str()) {
                    let mut keyed = std::mem::take(&mut self.keyed_path);
                    keyed.clear();
                    keyed.push_str(frame);
                    keyed.push('.');
                    keyed.push_str(rest);
                    self.numbers_at(&keyed, values);
                    self.keyed_path = keyed;
                    return;
                }
            }
        }
        self.numbers_at(path, values);
    }

    fn string(&mut self, path: &str, index: usize, value: &[u8]) {
        if let Some(prefix) = path.strip_suffix("child_frame_id").filter(|p| p.ends_with("].")) {
            let frame = String::from_utf8_lossy(value);
            let frame = if frame.is_empty() { "(unnamed frame)".into() } else { frame };
            self.element_frame = Some((prefix.to_string(), frame.trim_start_matches('/').to_string()));
            return;
        }
        if path != "name" || index != self.names.len() {
            return;
        }
        // The string is borrowed from the message: keep where it lies, not a copy.
        let start = (value.as_ptr() as usize).wrapping_sub(self.message.as_ptr() as usize);
        if start.checked_add(value.len()).is_some_and(|end| end <= self.message.len()) {
            self.names.push((start, value.len()));
        }
    }

    fn bytes(&mut self, _path: &str, _value: &[u8]) {}
}

impl SeriesSink<'_> {
    fn numbers_at(&mut self, path: &str, values: &[f64]) {
        if let Some(rest) = path.strip_prefix("header.") {
            let one = match values {
                [v] if v.is_finite() && *v >= 0.0 => Some(*v),
                _ => None,
            };
            match rest {
                "stamp.sec" => self.stamp_sec = one,
                "stamp.nanosec" => self.stamp_nanosec = one,
                "stamp" => self.stamp_secs = one,
                _ => {}
            }
            return;
        }
        let Some(slot) = self.slot(path, values.len()) else { return };
        let row = self.row;
        let field = &mut self.series.fields[slot];
        let start = row * field.width;
        if field.values.len() != start {
            // The same path twice in one message cannot happen in a valid schema; keep the first.
            return;
        }
        let width = field.width;
        if values.len() == width {
            field.values.extend_from_slice(values);
        } else {
            field.values.extend(values.iter().copied().chain(std::iter::repeat(f64::NAN)).take(width));
        }
    }
}

#[cfg(test)]
mod tests {
    use bytes::Bytes;

    use super::*;

    /// ROS 1 `float64[] x` (no alignment): a u32 count, then the values.
    fn ros1_channel() -> RawChannel {
        RawChannel {
            id: 3,
            topic: "/points".into(),
            message_type: "p/Points".into(),
            message_encoding: "ros1".into(),
            schema_encoding: "ros1msg".into(),
            schema_text: "string[] name\nfloat64[] x\n".into(),
        }
    }

    fn ros1_message(names: &[&str], x: &[f64], log_time_ns: u64) -> RawMessage {
        let mut data = Vec::new();
        data.extend((names.len() as u32).to_le_bytes());
        for n in names {
            data.extend((n.len() as u32).to_le_bytes());
            data.extend(n.as_bytes());
        }
        data.extend((x.len() as u32).to_le_bytes());
        for v in x {
            data.extend(v.to_le_bytes());
        }
        RawMessage { channel_id: 3, log_time_ns, publish_time_ns: log_time_ns, data: Bytes::from(data) }
    }

    #[test]
    fn names_give_dimension_names_and_shorter_arrays_are_padded() {
        let messages = vec![
            ros1_message(&["a", "b"], &[1.0, 2.0], 10),
            ros1_message(&["a", "b"], &[3.0], 20),
            // Another channel's message is not part of the stream.
            RawMessage { channel_id: 4, ..ros1_message(&[], &[9.0], 15) },
        ];
        let series = decode_stream(&ros1_channel(), &messages).unwrap();
        assert_eq!(series.times_ns, [10, 20]);
        let [x] = series.fields.as_slice() else { panic!("{:?}", series.fields) };
        assert_eq!(x.dimension_names, ["a", "b"]);
        assert_eq!(x.values[..3], [1.0, 2.0, 3.0]);
        assert!(x.values[3].is_nan());
    }

    #[test]
    fn a_stream_padded_beyond_the_value_budget_is_an_error_not_an_allocation() {
        // The first message is wide; the many empty ones after it would each be padded to it.
        let mut messages = vec![ros1_message(&[], &[0.5; 1000], 0)];
        messages.extend((1..100).map(|t| ros1_message(&[], &[], t)));
        let err = decode_stream_bounded(&ros1_channel(), &messages, 50_000).unwrap_err();
        assert_eq!(
            err,
            StreamDecodeError::TooManyValues { topic: "/points".into(), messages: 51, row_width: 1000, max: 50_000 }
        );
        assert!(decode_stream_bounded(&ros1_channel(), &messages, 100_000).is_ok());
    }
}
