//! An organisation profile (TOML) loaded by the checker.
#![no_main]

use episcope_core::check::Profile;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let _ = Profile::parse(text, "profile.toml");
});
