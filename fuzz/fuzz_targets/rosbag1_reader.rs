//! ROS 1 bags: header, connections, chunk infos (or a scan), every message through bz2/lz4
//! chunks, and decoding by the message definitions the bag carries.
#![no_main]

use episcope_core::formats::{ros_msg, rosbag1};
use episcope_core::MemorySource;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let source = MemorySource::new(data.to_vec());
    let Ok(summary) = pollster::block_on(rosbag1::read_summary(&source)) else { return };
    if let Ok(messages) = pollster::block_on(rosbag1::read_messages(&source, &summary, None)) {
        for channel in &summary.channels {
            let _ = ros_msg::decode_stream(channel, &messages);
        }
    }
});
