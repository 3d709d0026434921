//! Chart logic and drawing (plotters); never imports Leptos.

pub mod decimate;
