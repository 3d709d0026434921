//! Synthetic ROS 2 recordings in memory for benchmarks: a `JointState` stream in CDR, laid out as
//! rclcpp serialises it, with the definition text MCAP and rosbag2 files embed.

use bytes::Bytes;

use crate::recording::{RawChannel, RawMessage};

/// `sensor_msgs/msg/JointState` as `ros2msg` text with its dependencies, as `ros2 bag record` embeds it.
pub const JOINT_STATE_DEFINITION: &str = "std_msgs/Header header\nstring[] name\nfloat64[] position\nfloat64[] velocity\nfloat64[] effort\n\
================================================================================\nMSG: std_msgs/Header\nbuiltin_interfaces/Time stamp\nstring frame_id\n\
================================================================================\nMSG: builtin_interfaces/Time\nint32 sec\nuint32 nanosec\n";

/// First log time of the stream, nanoseconds since the Unix epoch.
pub const JOINT_STATE_T0_NS: u64 = 1_700_000_000_000_000_000;

/// The joint names of message `joints` wide arm: `joint1`, `joint2`, …
pub fn joint_names(joints: usize) -> Vec<String> {
    (1..=joints).map(|k| format!("joint{k}")).collect()
}

/// CDR (little-endian) of JointState message `i` of a `names.len()`-joint arm at 100 Hz:
/// encapsulation header, then fields aligned to their size relative to the end of the header.
/// Positions are `sin(0.01 i + k)`, velocities `cos(0.01 i + k)`, efforts 0.1.
pub fn joint_state_cdr(i: usize, names: &[String]) -> Vec<u8> {
    struct W(Vec<u8>);
    impl W {
        fn align(&mut self, n: usize) {
            while !(self.0.len() - 4).is_multiple_of(n) {
                self.0.push(0);
            }
        }
        fn u32(&mut self, v: u32) {
            self.align(4);
            self.0.extend(v.to_le_bytes());
        }
        fn string(&mut self, s: &str) {
            self.u32(s.len() as u32 + 1);
            self.0.extend(s.as_bytes());
            self.0.push(0);
        }
        fn f64s(&mut self, v: impl ExactSizeIterator<Item = f64>) {
            self.u32(v.len() as u32);
            self.align(8);
            for x in v {
                self.0.extend(x.to_le_bytes());
            }
        }
    }
    let mut w = W(vec![0, 1, 0, 0]);
    w.u32(1_700_000_000 + (i / 100) as u32);
    w.u32((i % 100) as u32 * 10_000_000);
    w.string("base_link");
    w.u32(names.len() as u32);
    for name in names {
        w.string(name);
    }
    let t = i as f64 * 0.01;
    w.f64s((0..names.len()).map(|k| (t + k as f64).sin()));
    w.f64s((0..names.len()).map(|k| (t + k as f64).cos()));
    w.f64s((0..names.len()).map(|_| 0.1));
    w.0
}

/// A `/joint_states` channel (id 1) and its `messages` messages at 100 Hz.
pub fn joint_state_stream(messages: usize, joints: usize) -> (RawChannel, Vec<RawMessage>) {
    let channel = RawChannel {
        id: 1,
        topic: "/joint_states".into(),
        message_type: "sensor_msgs/msg/JointState".into(),
        message_encoding: "cdr".into(),
        schema_encoding: "ros2msg".into(),
        schema_text: JOINT_STATE_DEFINITION.into(),
    };
    let names = joint_names(joints);
    let messages = (0..messages)
        .map(|i| RawMessage {
            channel_id: 1,
            log_time_ns: JOINT_STATE_T0_NS + i as u64 * 10_000_000,
            publish_time_ns: 0,
            data: Bytes::from(joint_state_cdr(i, &names)),
        })
        .collect();
    (channel, messages)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::formats::ros_msg::decode_stream;

    #[test]
    fn the_stream_decodes_to_its_formulas() {
        let (channel, messages) = joint_state_stream(250, 3);
        let series = decode_stream(&channel, &messages).unwrap();
        assert_eq!(series.times_ns.len(), 250);
        assert_eq!(series.header_times_ns[249], 1_700_000_002_490_000_000);
        let position = series.fields.iter().find(|f| f.name == "position").unwrap();
        assert_eq!(position.dimension_names, ["joint1", "joint2", "joint3"]);
        assert_eq!(position.values[249 * 3 + 2], (2.49f64 + 2.0).sin());
    }
}
