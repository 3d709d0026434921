//! The parsing Web Worker binary (built by Trunk with `data-type="worker"`).

fn main() {
    #[cfg(target_arch = "wasm32")]
    episcope_web::worker::run();
}
