//! `episcope generate`: writes a large synthetic LeRobot v3.0 dataset into a new folder (dev
//! feature `generate`), for benchmarks and scale tests.

use std::path::PathBuf;
use std::time::Instant;

use anyhow::{bail, Context};

use clap::Args;
use episcope_core::local::{refuse_used_folder, DirSink};
use episcope_core::synthetic::{write_synthetic_dataset, GenerateSummary, Preset, SyntheticSpec, WrittenFile};

#[derive(Args, Debug)]
pub struct GenerateArgs {
    /// The folder to create (it must not exist, or be empty).
    #[arg(long, value_name = "DIR")]
    pub out: PathBuf,
    /// A named size: 100k, 1m, 2m (ALOHA-like, 14 joints, 30 fps) or droid-metadata (95 600
    /// episodes, 27.95M frames, meta/ only). Other flags override it.
    #[arg(long, value_parser = ["100k", "1m", "2m", "droid-metadata"])]
    pub preset: Option<String>,
    /// Total frames.
    #[arg(long)]
    pub frames: Option<u64>,
    /// Number of episodes (default: from --mean-episode-secs).
    #[arg(long, conflicts_with = "mean_episode_secs")]
    pub episodes: Option<u64>,
    /// Mean episode duration; the number of episodes follows from the frames and fps (default 20).
    #[arg(long)]
    pub mean_episode_secs: Option<f64>,
    #[arg(long)]
    pub fps: Option<u32>,
    /// Width of observation.state.
    #[arg(long)]
    pub state_dims: Option<usize>,
    /// Width of action (default: the state's).
    #[arg(long)]
    pub action_dims: Option<usize>,
    /// Distinct task strings.
    #[arg(long)]
    pub tasks: Option<usize>,
    /// Declared video features (no mp4 is written).
    #[arg(long)]
    pub cameras: Option<usize>,
    /// `data_files_size_in_mb` (MiB): data and episode files roll over at this size.
    #[arg(long)]
    pub data_files_size_mb: Option<u64>,
    /// Files per chunk folder.
    #[arg(long)]
    pub chunks_size: Option<u64>,
    /// Episodes per row group of meta/episodes (the recorder writes 10).
    #[arg(long)]
    pub metadata_row_group_episodes: Option<usize>,
    /// Write meta/ only (the data files are encoded to size them, not written).
    #[arg(long)]
    pub metadata_only: bool,
    #[arg(long)]
    pub seed: Option<u64>,
}

impl GenerateArgs {
    fn spec(&self) -> anyhow::Result<SyntheticSpec> {
        let preset = match &self.preset {
            Some(name) => Preset::parse(name).with_context(|| format!("unknown preset `{name}`"))?,
            None => Preset::Frames100k,
        };
        let mut spec = SyntheticSpec::preset(preset);
        let base_mean_secs = spec.total_frames as f64 / spec.total_episodes as f64 / f64::from(spec.fps);
        macro_rules! set {
            ($field:ident, $value:expr) => {
                if let Some(value) = $value {
                    spec.$field = value;
                }
            };
        }
        set!(total_frames, self.frames);
        set!(fps, self.fps);
        set!(state_dims, self.state_dims);
        set!(action_dims, self.action_dims.or(self.state_dims));
        set!(tasks, self.tasks);
        set!(cameras, self.cameras);
        set!(data_files_size_in_mb, self.data_files_size_mb);
        set!(chunks_size, self.chunks_size);
        set!(metadata_row_group_episodes, self.metadata_row_group_episodes);
        set!(seed, self.seed);
        spec.metadata_only |= self.metadata_only;
        spec.total_episodes = match (self.episodes, self.mean_episode_secs) {
            (Some(episodes), _) => episodes,
            (None, Some(secs)) if secs.is_finite() && secs > 0.0 => episodes_for(&spec, secs),
            (None, Some(secs)) => bail!("--mean-episode-secs must be a positive number, not {secs}"),
            (None, None) if self.frames.is_some() || self.fps.is_some() => episodes_for(&spec, base_mean_secs),
            (None, None) => spec.total_episodes,
        };
        Ok(spec)
    }
}

fn episodes_for(spec: &SyntheticSpec, mean_episode_secs: f64) -> u64 {
    let frames_per_episode = (mean_episode_secs * f64::from(spec.fps)).max(1.0);
    ((spec.total_frames as f64 / frames_per_episode).round() as u64).clamp(1, spec.total_frames.max(1))
}

fn mib(bytes: u64) -> f64 {
    bytes as f64 / (1024.0 * 1024.0)
}

fn describe(kind: &str, files: &[WrittenFile]) -> String {
    let bytes: u64 = files.iter().map(|f| f.bytes).sum();
    let row_groups: usize = files.iter().map(|f| f.row_groups).sum();
    let written = files.iter().all(|f| f.written);
    format!(
        "{kind}: {} file(s), {:.1} MiB, {row_groups} row groups{}",
        files.len(),
        mib(bytes),
        if written { "" } else { " (encoded to size them, not written)" }
    )
}

pub fn run(args: &GenerateArgs) -> anyhow::Result<GenerateSummary> {
    let spec = args.spec()?;
    spec.validate()?;
    refuse_used_folder(&args.out)?;
    std::fs::create_dir_all(&args.out).with_context(|| format!("cannot create {}", args.out.display()))?;
    let started = Instant::now();
    let mut sink = DirSink { root: args.out.clone() };
    let step = (spec.total_episodes / 20).max(1);
    let summary = write_synthetic_dataset(&spec, &mut sink, &mut |p| {
        if p.episodes_done % step == 0 || p.episodes_done == p.episodes_total {
            eprint!("\r{} / {} episodes, {} frames", p.episodes_done, p.episodes_total, p.frames_done);
        }
    })
    .with_context(|| format!("cannot generate into {}", args.out.display()))?;
    let elapsed_secs = started.elapsed().as_secs_f64();
    eprintln!();
    println!(
        "Wrote {} episodes, {} frames ({} fps, state {} / action {} dims, {} tasks, {} cameras, seed {}) to {} in {elapsed_secs:.1} s",
        summary.total_episodes,
        summary.total_frames,
        spec.fps,
        spec.state_dims,
        spec.action_dims,
        spec.tasks,
        spec.cameras,
        spec.seed,
        args.out.display()
    );
    println!("  {}", describe("data", &summary.data_files));
    println!("  {}", describe("meta/episodes", &summary.episode_files));
    println!("  {}", describe("meta (info, stats, tasks)", &summary.other_files));
    println!("  written: {:.1} MiB", mib(summary.bytes_written()));
    Ok(summary)
}
