//! Chart logic and drawing (Canvas 2D through web-sys); never imports Leptos.

pub mod decimate;
pub mod plot;
