//! `episcope info DIR [--json]`: the dataset overview as a table or JSON.

use std::fmt::Write as _;
use std::path::Path;

use anyhow::Context;
use episcope_core::lerobot::overview::{format_bytes, format_duration};
use episcope_core::lerobot::{open_dataset, Overview};
use episcope_core::local::{dataset_name, dataset_tree_at, open_path, LocalError, LocalInput};
use episcope_core::recording::{open_recording, Recording};
use episcope_core::DatasetTree;

/// Opens the dataset at `dir` and returns its overview.
pub fn load_overview(dir: &Path) -> anyhow::Result<Overview> {
    let tree = dataset_tree_at(dir)?;
    let dataset = pollster::block_on(open_dataset(&tree, &mut |_| {}))
        .with_context(|| format!("cannot open {}", dir.display()))?;
    Ok(Overview::new(&dataset_name(dir), &dataset, &tree))
}

/// A recording file alone, or a folder whose files include recordings and no `meta/info.json`.
pub fn recording_tree(path: &Path) -> anyhow::Result<Option<DatasetTree>> {
    match open_path(path) {
        Ok(LocalInput::Recording(tree)) => Ok(Some(tree)),
        Ok(LocalInput::Dataset(_)) | Err(LocalError::NotFound { .. }) => Ok(None),
        Err(e) => Err(e.into()),
    }
}

/// Opens the recording files of `tree`; errors name the file.
pub fn load_recording(tree: &DatasetTree) -> anyhow::Result<Recording> {
    Ok(pollster::block_on(open_recording(tree))?)
}

/// The human-readable summary of a recording.
pub fn render_recording(name: &str, r: &Recording) -> String {
    let mut out = String::new();
    let formats: Vec<&str> = r.formats.iter().map(|f| f.label()).collect();
    let _ = writeln!(out, "Recording    {name}");
    let _ = writeln!(out, "Format       {}", formats.join(", "));
    let _ = writeln!(out, "Episodes     {}", r.episodes.len());
    let _ = writeln!(out, "\nStreams ({})", r.streams.len());
    let width = r.streams.iter().map(|s| s.name.len()).max().unwrap_or(0);
    let type_width = r.streams.iter().map(|s| s.type_name.len()).max().unwrap_or(0);
    for s in &r.streams {
        let rate = s.rate_hz().map(|hz| format!("{hz:.1} Hz")).unwrap_or_else(|| "—".into());
        let _ = writeln!(out, "  {:width$}  {:type_width$}  {:>8} msgs  {:>10}", s.name, s.type_name, s.messages, rate);
    }
    let _ = writeln!(out, "\nEpisodes ({})", r.episodes.len());
    for e in &r.episodes {
        let secs = match (e.start_time_ns, e.end_time_ns) {
            (Some(a), Some(b)) if b >= a => format_duration((b - a) as f64 * 1e-9),
            _ => "—".into(),
        };
        let _ = writeln!(out, "  {:>4}  {:>8} frames  {:>9}  {}", e.index, e.frames, secs, e.name);
    }
    out
}

pub fn run(dir: &Path, json: bool) -> anyhow::Result<()> {
    if let Some(tree) = recording_tree(dir)? {
        let recording = load_recording(&tree)?;
        if json {
            println!("{}", serde_json::to_string_pretty(&recording)?);
        } else {
            let name = dir.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
            print!("{}", render_recording(&name, &recording));
        }
        return Ok(());
    }
    let overview = load_overview(dir)?;
    if json {
        println!("{}", serde_json::to_string_pretty(&overview)?);
    } else {
        print!("{}", render_table(&overview));
    }
    for problem in &overview.problems {
        eprintln!("warning: {}: {}", problem.path, problem.message);
    }
    Ok(())
}

fn opt<T: ToString>(value: &Option<T>) -> String {
    value.as_ref().map(T::to_string).unwrap_or_else(|| "—".to_string())
}

/// The human-readable overview.
pub fn render_table(o: &Overview) -> String {
    let mut out = String::new();
    let declared = |found: u64, declared: Option<u64>| match declared {
        Some(d) if d != found => format!("{found} (info.json says {d})"),
        _ => found.to_string(),
    };
    let _ = writeln!(out, "Dataset      {}", o.name);
    let _ = writeln!(out, "Format       LeRobot {} (codebase_version {})", o.version, o.codebase_version);
    let _ = writeln!(out, "Robot        {}", opt(&o.robot_type));
    let _ = writeln!(out, "FPS          {}", opt(&o.fps));
    let _ = writeln!(out, "Episodes     {}", declared(o.episodes, o.declared_total_episodes));
    let _ = writeln!(out, "Frames       {}", declared(o.frames, o.declared_total_frames));
    let _ = writeln!(out, "Duration     {}", format_duration(o.duration_secs));
    let _ = writeln!(out, "Cameras      {}", if o.cameras.is_empty() { "—".to_string() } else { o.cameras.join(", ") });
    let _ = writeln!(out, "Size         {} in {} files", format_bytes(o.total_size_bytes), o.files.len());
    let _ = writeln!(
        out,
        "Stats        {}",
        if o.stats_files.is_empty() { "—".to_string() } else { o.stats_files.join(", ") }
    );
    let _ = writeln!(out, "\nTasks ({})", o.tasks.len());
    for t in &o.tasks {
        let _ = writeln!(out, "  {:>4}  {}", t.index, t.text);
    }
    let _ = writeln!(out, "\nFeatures ({})", o.features.len());
    let width = o.features.iter().map(|f| f.name.len()).max().unwrap_or(0);
    for f in &o.features {
        let shape: Vec<String> = f.shape.iter().map(u64::to_string).collect();
        let names = if f.kind == "numeric" && f.dimension_labels.len() > 1 {
            f.dimension_labels.join(", ")
        } else {
            f.names.join(", ")
        };
        let _ = writeln!(out, "  {:width$}  {:8} [{}]  {}", f.name, f.dtype, shape.join(", "), names);
    }
    let _ = writeln!(out, "\nFiles");
    for g in &o.file_groups {
        let _ = writeln!(out, "  {:8} {:>6} files  {:>10}", g.group, g.files, format_bytes(g.size_bytes));
    }
    let _ = writeln!(out, "\nEpisodes ({})", o.episode_list.len());
    let _ = writeln!(out, "  {:>7}  {:>7}  {:>9}  tasks", "index", "frames", "duration");
    for e in &o.episode_list {
        let _ = writeln!(
            out,
            "  {:>7}  {:>7}  {:>9}  {}",
            e.index,
            e.length,
            format_duration(e.duration_secs),
            e.tasks.join(" | ")
        );
    }
    out
}
