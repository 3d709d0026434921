//! MCAP: the summary (or linear scan), every message of every channel, and schema-driven decoding
//! of each channel's messages (`ros_msg` over the schema text the file carries).
#![no_main]

use episcope_core::formats::{mcap, ros_msg};
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
        }
    }
});
