//! Shared by the targets that reach the third-party parquet decoder.

use std::cell::RefCell;
use std::collections::BTreeSet;
use std::panic::PanicHookInfo;
use std::sync::{Mutex, Once};

use bytes::Bytes;
use episcope_core::parquet_io;

thread_local! {
    /// The input being run, saved beside the crashes when it makes the decoder panic.
    static INPUT: RefCell<Bytes> = const { RefCell::new(Bytes::new()) };
}

/// libfuzzer-sys installs a panic hook that aborts on every panic, before unwinding. The core runs
/// the `parquet` crate's decoder under `catch_unwind` (see `parquet_io::in_contained_decoder`) and
/// turns its panics on malformed files into read errors. This wraps the fuzzer's hook so that such a
/// contained panic unwinds to that guard, while every other panic, and any panic raised in
/// episcope's own code, still aborts and counts as a crash.
///
/// The first input to panic at each source location is written to
/// `artifacts/<target>/contained-<location>` and the panic is logged (`CONTAINED ...` on stderr):
/// these are upstream bugs that still abort the web app (built with `panic = "abort"`), kept as
/// regression inputs in `crates/episcope-core/tests/fuzz-regressions/`.
pub fn contain_parquet_panics(target: &'static str, input: &[u8]) {
    INPUT.with(|current| *current.borrow_mut() = Bytes::copy_from_slice(input));
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        let fuzzer_hook = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info: &PanicHookInfo<'_>| {
            let location = info.location().map(|l| format!("{}:{}:{}", l.file(), l.line(), l.column()));
            let ours = location.as_deref().is_some_and(|l| l.contains("episcope-core"));
            if !parquet_io::in_contained_decoder() || ours {
                fuzzer_hook(info);
                return;
            }
            static SEEN: Mutex<BTreeSet<String>> = Mutex::new(BTreeSet::new());
            let location = location.unwrap_or_else(|| "unknown-location".into());
            if !SEEN.lock().map(|mut seen| seen.insert(location.clone())).unwrap_or(false) {
                return;
            }
            let message = info
                .payload()
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| info.payload().downcast_ref::<String>().cloned())
                .unwrap_or_default();
            // `.../parquet-60.1.0/src/util/bit_util.rs:1187:18` -> `parquet-60.1.0-util-bit_util.rs-1187`
            let short = location.rsplit_once("index.crates.io-").map_or(location.as_str(), |(_, p)| p);
            let short = short.split_once('/').map_or(short, |(_, p)| p);
            let mut name: String = short.rsplitn(2, ':').nth(1).unwrap_or(short).replace("/src/", "-");
            name = name.replace(['/', ':'], "-");
            let file = format!("artifacts/{target}/contained-{name}");
            let saved = std::fs::create_dir_all(format!("artifacts/{target}"))
                .and_then(|()| INPUT.with(|input| std::fs::write(&file, &*input.borrow())));
            let saved = if saved.is_ok() { file } else { "(could not save the input)".into() };
            eprintln!("CONTAINED parquet panic (first at this location) at {location}: {message}; input: {saved}");
        }));
    });
}
