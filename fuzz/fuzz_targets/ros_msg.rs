//! ROS message definitions and payloads: byte 0 `% 3` picks ROS 2 `ros2msg` (CDR), ROS 1, or ROS 2
//! `ros2idl` (CDR); the rest is
//! a definition text, a NUL, then one payload decoded with it (hostile, recursive or huge schemas;
//! lying lengths).
#![no_main]

use episcope_core::formats::ros_msg::{decode_message, parse_schema};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&mode, rest)) = data.split_first() else { return };
    let split = rest.iter().position(|&b| b == 0).unwrap_or(rest.len());
    let text = String::from_utf8_lossy(&rest[..split]);
    let payload = rest.get(split + 1..).unwrap_or_default();
    let (root, encoding) = match mode % 3 {
        0 => ("fuzz_msgs/msg/Root", "ros2msg"),
        1 => ("fuzz_msgs/Root", "ros1msg"),
        _ => ("fuzz_msgs/msg/Root", "ros2idl"),
    };
    if let Ok(schema) = parse_schema(root, encoding, &text) {
        let _ = decode_message(&schema, payload);
    }
});
