//! Leptos components: they wire signals to the plain logic in `view_model` and the core.

pub mod compare;
pub mod conformance;
pub mod convert;
pub mod episode;
pub mod episode_list;
pub mod home;
pub mod lang_switch;
pub mod overview;
pub mod recording;
pub mod recording_episode;
pub mod report;
pub mod rules;
pub mod stats;
pub mod status;
pub mod trajectory;
