//! Shared by the targets that reach the third-party parquet decoder.

use std::collections::BTreeSet;
use std::panic::PanicHookInfo;
use std::sync::{Mutex, Once};

use episcope_core::parquet_io;

/// libfuzzer-sys installs a panic hook that aborts on every panic, before unwinding. The core runs
/// the `parquet` crate's decoder under `catch_unwind` (see `parquet_io::in_contained_decoder`) and
/// turns its panics on malformed files into read errors; this wraps the fuzzer's hook so that such a
/// contained panic is let through to that guard (and logged once per source location), while every
/// other panic, and any panic raised in episcope's own code, still aborts and counts as a crash.
pub fn let_contained_parquet_panics_unwind() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        let fuzzer_hook = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info: &PanicHookInfo<'_>| {
            let location = info.location().map(|l| format!("{}:{}:{}", l.file(), l.line(), l.column()));
            let ours = location.as_deref().is_some_and(|l| l.contains("episcope-core"));
            if parquet_io::in_contained_decoder() && !ours {
                static SEEN: Mutex<BTreeSet<String>> = Mutex::new(BTreeSet::new());
                let location = location.unwrap_or_else(|| "unknown location".into());
                if SEEN.lock().map(|mut seen| seen.insert(location.clone())).unwrap_or(false) {
                    let message = info
                        .payload()
                        .downcast_ref::<&str>()
                        .map(|s| s.to_string())
                        .or_else(|| info.payload().downcast_ref::<String>().cloned())
                        .unwrap_or_default();
                    eprintln!("CONTAINED parquet panic (first at this location) at {location}: {message}");
                }
                return;
            }
            fuzzer_hook(info);
        }));
    });
}
