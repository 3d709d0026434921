//! Episcope's web app: the Leptos UI (main thread) and the parsing Web Worker, sharing one
//! message protocol. Untrusted dataset bytes are parsed only in the worker.

pub mod analysis;
pub mod charts;
pub mod deep_link;
pub mod episode_browser;
pub mod i18n;
pub mod protocol;
pub mod recording_view;
pub mod render3d;
pub mod robot_view;
pub mod timeline;
pub mod view_model;

#[cfg(target_arch = "wasm32")]
pub mod app;
#[cfg(target_arch = "wasm32")]
mod components;
#[cfg(target_arch = "wasm32")]
mod dropped;
#[cfg(target_arch = "wasm32")]
pub mod js;
#[cfg(target_arch = "wasm32")]
pub mod worker;
#[cfg(target_arch = "wasm32")]
mod worker_client;
