//! The LeRobot dataset format, v2.0, v2.1 and v3.0.

pub mod dataset;
pub mod discover;
pub mod episode;
pub mod info;
pub mod overview;
pub mod stats;
pub mod template;

pub use dataset::{open_dataset, Dataset, Episode, EpisodeVideo, OpenError, Problem, Progress, StatsPresence, Task};
pub use episode::{
    read_episode_frames, read_episode_table, read_image_frame, EpisodeError, EpisodeFrames, FeatureSeries, ImageFrame,
};
pub use info::{Feature, FeatureKind, FormatVersion, Info};
pub use overview::Overview;
pub use stats::{read_stored_stats, FeatureStats, StoredStats};
