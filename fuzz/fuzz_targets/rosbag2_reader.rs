//! rosbag2: byte 0 even → the input is a `.db3` (our sqlite3 reader: topics, messages, message
//! definitions, then decoding); odd → the rest is a `metadata.yaml`.
#![no_main]

use episcope_core::formats::{ros_msg, rosbag2};
use episcope_core::MemorySource;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&mode, rest)) = data.split_first() else { return };
    if mode % 2 == 1 {
        let _ = rosbag2::parse_metadata(&String::from_utf8_lossy(rest));
        return;
    }
    let source = MemorySource::new(rest.to_vec());
    let Ok(summary) = pollster::block_on(rosbag2::read_db3_summary(&source)) else { return };
    if let Ok(messages) = pollster::block_on(rosbag2::read_db3_messages(&source, &summary, None)) {
        for channel in &summary.channels {
            let _ = ros_msg::decode_stream(channel, &messages);
        }
    }
});
