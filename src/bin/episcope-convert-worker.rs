//! The conversion Web Worker binary (built by Trunk with `data-type="worker"`): the parsing
//! worker's readers plus the LeRobot v3.0 and zip writers, loaded only when the user converts.

fn main() {
    #[cfg(target_arch = "wasm32")]
    episcope_web::worker::run_converter();
}
