//! `meta/info.json`: the first file every reader parses.
#![no_main]

use episcope_core::lerobot::info::Info;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok((info, _issues)) = Info::parse(data, "meta/info.json") {
        // What the readers do next with a parsed info: look features up and size them.
        for feature in info.features.iter() {
            let _ = feature.values_per_frame();
            let _ = feature.dimension_labels();
            let _ = feature.is_default_index_column();
        }
        let _ = info.video_features().count();
    }
});
