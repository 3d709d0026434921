//! The page binary: mounts the Leptos app. Everything else lives in the library.

fn main() {
    #[cfg(target_arch = "wasm32")]
    episcope_web::app::mount();
}
