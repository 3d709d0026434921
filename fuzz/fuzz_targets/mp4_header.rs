//! The MP4 (ISO-BMFF) header reader used to check videos.
#![no_main]

use episcope_core::mp4;
use episcope_core::MemorySource;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let source = MemorySource::new(data.to_vec());
    if let Ok(info) = pollster::block_on(mp4::read_mp4_info(&source, "v.mp4")) {
        let _ = info.require_video("v.mp4");
    }
});
