//! Plain logic behind the views (tested natively): naming a picked folder, the summary's test
//! attributes, progress text. Components only wire signals to these.

use episcope_core::lerobot::overview::Overview;

use crate::i18n::common::CommonSentence;
use crate::i18n::{Lang, Text};

use crate::render3d::DimRef;

/// `feature#index` or `time`: a dimension as a `<select>` value.
pub fn dim_id(dim: &DimRef) -> String {
    match dim {
        DimRef::Dim { feature, index } => format!("{feature}#{index}"),
        DimRef::Time => "time".to_string(),
    }
}

/// The dimension a [`dim_id`] names (anything unparsable is time).
pub fn dim_from_id(id: &str) -> DimRef {
    match id.rsplit_once('#').and_then(|(f, i)| Some((f, i.parse().ok()?))) {
        Some((feature, index)) => DimRef::Dim { feature: feature.to_string(), index },
        None => DimRef::Time,
    }
}

/// The dataset name and per-file relative paths of a folder pick. Browsers give paths such as
/// `my_dataset/meta/info.json` (`webkitRelativePath`) or `/my_dataset/meta/info.json` (drops).
pub fn name_picked_folder(paths: &[String]) -> String {
    paths
        .iter()
        .filter_map(|p| {
            let trimmed = p.trim_start_matches('/');
            let first = trimmed.split('/').next()?;
            (trimmed.contains('/') && !first.is_empty()).then(|| first.to_string())
        })
        .next()
        .unwrap_or_else(|| "dataset".to_string())
}

/// Attribute values of `data-testid="dataset-summary"`: version, episodes, frames, fps.
pub fn summary_attributes(overview: &Overview) -> [(&'static str, String); 4] {
    [
        ("data-version", overview.version.clone()),
        ("data-episodes", overview.episodes.to_string()),
        ("data-frames", overview.frames.to_string()),
        ("data-fps", overview.fps.map(format_number).unwrap_or_default()),
    ]
}

/// `30` for whole numbers, `29.97` otherwise.
pub fn format_number(value: f64) -> String {
    if value.fract() == 0.0 && value.abs() < 1e15 {
        format!("{}", value as i64)
    } else {
        format!("{value:.3}").trim_end_matches('0').trim_end_matches('.').to_string()
    }
}

/// `Reading episodes (2 of 5) · 120.4 kB read` in `lang`.
pub fn progress_text(stage: &str, done: u64, total: u64, bytes_read: u64, lang: Lang) -> String {
    CommonSentence::Progress { stage: stage.to_string(), done, total, bytes_read }.text(lang)
}

/// Fraction of the work done, 0..=1.
pub fn progress_fraction(done: u64, total: u64) -> f64 {
    if total == 0 {
        0.0
    } else {
        (done as f64 / total as f64).clamp(0.0, 1.0)
    }
}

/// `[6]`, `[3, 4]`, `scalar`.
pub fn format_shape(shape: &[u64]) -> String {
    let parts: Vec<String> = shape.iter().map(u64::to_string).collect();
    format!("[{}]", parts.join(", "))
}

#[cfg(test)]
mod tests {

    #[test]
    fn dimension_ids_round_trip() {
        let dim = DimRef::Dim { feature: "a#b".into(), index: 3 };
        assert_eq!(dim_id(&dim), "a#b#3");
        assert_eq!(dim_from_id(&dim_id(&dim)), dim);
        assert_eq!(dim_from_id("time"), DimRef::Time);
        assert_eq!(dim_from_id("x#y"), DimRef::Time);
    }
    use super::*;

    #[test]
    fn picked_folder_names_come_from_the_top_folder() {
        assert_eq!(name_picked_folder(&["so101/meta/info.json".into()]), "so101");
        assert_eq!(name_picked_folder(&["/dropped/meta/info.json".into()]), "dropped");
        assert_eq!(name_picked_folder(&["info.json".into()]), "dataset");
    }

    #[test]
    fn numbers_and_progress_read_naturally() {
        assert_eq!(format_number(30.0), "30");
        assert_eq!(format_number(29.97), "29.97");
        assert_eq!(progress_text("episodes", 1, 5, 2048, Lang::En), "Reading episode metadata (2 of 5) · 2.0 kB read");
        assert_eq!(progress_text("tasks", 0, 1, 2048, Lang::Ja), "タスクを読み込み中 · 2.0 kB 読み込み済み");
        assert_eq!(progress_fraction(1, 4), 0.25);
        assert_eq!(progress_fraction(1, 0), 0.0);
        assert_eq!(format_shape(&[3, 4]), "[3, 4]");
    }
}
