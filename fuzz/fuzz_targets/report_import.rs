//! Importing a JSON report someone shared, then rendering it as the app and the CLI do.
#![no_main]

use episcope_core::check::{render, Report};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(report) = serde_json::from_slice::<Report>(data) {
        let _ = render::to_markdown(&report);
        let _ = render::to_html(&report);
        let _ = serde_json::to_vec(&report);
    }
});
