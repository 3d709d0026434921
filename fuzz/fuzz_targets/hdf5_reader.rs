//! HDF5: the structure and layout (ALOHA, robomimic, generic), every episode's series, every
//! dataset of a generic file, and the first frame of every image stack.
#![no_main]

use episcope_core::formats::hdf5;
use episcope_core::recording::StreamKind;
use episcope_core::MemorySource;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let source = MemorySource::new(data.to_vec());
    let Ok(file) = pollster::block_on(hdf5::open_hdf5(&source)) else { return };
    let Ok(summary) = file.summary() else { return };
    for episode in &summary.episodes {
        let _ = file.series(&episode.name, None);
    }
    for stream in &summary.streams {
        match stream.kind {
            StreamKind::Image => {
                let _ = file.image(&stream.name, 0);
            }
            StreamKind::Numeric if summary.episodes.is_empty() => {
                let _ = file.dataset(&stream.name);
            }
            _ => {}
        }
    }
});
