//! MCAP: the summary (or linear scan), every message of every channel, schema-driven decoding of
//! each channel's messages (`ros_msg` over the schema text the file carries), and each message of
//! every channel turned into a camera frame (`recording::image`: raw and compressed images).
#![no_main]

use episcope_core::formats::{mcap, ros_msg};
use episcope_core::recording::image::{compressed_image_frame, raw_image_frame};
use episcope_core::MemorySource;
use libfuzzer_sys::fuzz_target;

mod common;

fuzz_target!(|data: &[u8]| {
    // The `mcap` crate's summary reader runs under the same containment as the parquet decoder.
    common::contain_parquet_panics("mcap_reader", data);
    let source = MemorySource::new(data.to_vec());
    let Ok(summary) = pollster::block_on(mcap::read_mcap_summary(&source)) else { return };
    if let Ok(messages) = pollster::block_on(mcap::read_mcap_messages(&source, &summary, None)) {
        for channel in &summary.channels {
            let _ = ros_msg::decode_stream(channel, &messages);
            // Any message type may claim to be an image: the frame code must refuse what does not fit.
            let Ok(schema) = ros_msg::channel_schema(channel) else { continue };
            for message in messages.iter().filter(|m| m.channel_id == channel.id).take(8) {
                if let Ok(decoded) = ros_msg::decode_message(&schema, &message.data) {
                    let _ = raw_image_frame(&decoded);
                    let _ = compressed_image_frame(&decoded);
                }
            }
        }
    }
});
