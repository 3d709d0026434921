//! ROS messages driven by the definition text a file embeds: `schema` parses `ros2msg` / ROS 1
//! `.msg` definitions and `idl` the `ros2idl` ones, `decode` reads CDR (ROS 2) and ROS 1 serialisation into named leaves, and
//! `flatten` turns a stream of decoded messages into the recording model's numeric fields;
//! `well_known` bundles the standard ROS 2 definitions for bags that carry none.

pub mod decode;
pub mod flatten;
pub mod idl;
pub mod schema;
pub mod well_known;

pub use decode::{decode_message, DecodeError, Decoded, Leaf, LeafSink, MessageDecoder};
pub use flatten::{channel_schema, decode_stream, StreamDecodeError};
pub use schema::{parse_schema, MessageSchema, SchemaError};
pub use well_known::bundled_definition;
