//! One generated fixture per rule of the catalogue ([`RULES`]): a dataset that breaks that rule and
//! nothing else, run through the whole checker, with the findings it must give written beside it.
//!
//! Every case is an entry of [`CASES`]: the rule it is for, a builder, and the exact set of findings
//! expected as (rule, location path, episode, feature, count). The report must hold exactly those
//! findings — no fewer, no more. Where one defect unavoidably breaks a second rule (an LFS pointer
//! in place of a parquet file is also a corrupt parquet file), both are listed and the comment says
//! why. Clean fixtures of each version must give no finding at all, and [`every_rule_has_a_fixture`]
//! fails naming any rule without a case.
//!
//! The data fixtures come from `fixtures/` (arrow-rs writer, stats computed from the data they
//! hold). Video rules need real MP4s: the AV1 files of the shared example datasets (see `common/`)
//! are put in place of the fixture's placeholders, and the metadata is edited to disagree.

mod common;
mod fixtures;

use std::collections::BTreeSet;
use std::sync::Arc;

use arrow_array::builder::{Float32Builder, ListBuilder};
use arrow_array::RecordBatch;
use bytes::Bytes;
use common::{merge_in_random_order, Draw};
use episcope_core::check::finding::MAX_LOCATIONS;
use episcope_core::check::{
    check_dataset, dataset_rule_count, CheckOptions, Family, Finding, Profile, Report, Verdict, RULES,
};
use episcope_core::DatasetTree;
use fixtures::{
    flatten, map_values, rename_column, state_value, with_column, Fixture, Options, TasksLayout, VectorLayout, Version,
    CAMERA, EPISODES_STATS, EPISODES_V30, FPS, GLOBAL_STATS,
};
use serde_json::{json, Value};

// ---------------------------------------------------------------------------------------------
// Paths of the fixtures.
// ---------------------------------------------------------------------------------------------

const INFO: &str = "meta/info.json";
const EPISODES_JSONL: &str = "meta/episodes.jsonl";
const TASKS_JSONL: &str = "meta/tasks.jsonl";
/// How the checker names v3.0 episode metadata in locations (the folder: rows of any file in it).
const EPISODES_V30_DIR: &str = "meta/episodes/";
const V21_DATA: [&str; 3] = [
    "data/chunk-000/episode_000000.parquet",
    "data/chunk-000/episode_000001.parquet",
    "data/chunk-000/episode_000002.parquet",
];
const V30_DATA: &str = "data/chunk-000/file-000.parquet";
const V21_VIDEO: [&str; 2] = [
    "videos/chunk-000/observation.images.cam/episode_000000.mp4",
    "videos/chunk-000/observation.images.cam/episode_000001.mp4",
];
const V30_VIDEO: &str = "videos/observation.images.cam/chunk-000/file-000.mp4";
const STATE: &str = "observation.state";

/// Episode lengths of the data fixtures: three episodes, one per task, each long enough for the
/// frozen-signal check (10 frames).
const LENGTHS: [u64; 3] = [12, 15, 11];
/// Episode lengths of the video fixtures: those of the first two episodes of the shared
/// `v21_so101_video` dataset, whose front-camera MP4s (AV1, 128×96, 30 fps) they reuse.
const VIDEO_LENGTHS: [u64; 2] = [120, 180];

// ---------------------------------------------------------------------------------------------
// Expected findings.
// ---------------------------------------------------------------------------------------------

/// One expected finding: rule, location (path, episode, feature) and occurrences gathered into it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
struct Expect {
    rule: &'static str,
    path: Option<&'static str>,
    episode: Option<u64>,
    feature: Option<&'static str>,
    count: u64,
}

/// A finding located in `path`.
const fn at(rule: &'static str, path: &'static str) -> Expect {
    Expect { rule, path: Some(path), episode: None, feature: None, count: 1 }
}

/// A finding about the whole dataset (no location).
const fn whole(rule: &'static str) -> Expect {
    Expect { rule, path: None, episode: None, feature: None, count: 1 }
}

impl Expect {
    const fn ep(self, episode: u64) -> Expect {
        Expect { episode: Some(episode), ..self }
    }
    const fn feature(self, feature: &'static str) -> Expect {
        Expect { feature: Some(feature), ..self }
    }
    const fn count(self, count: u64) -> Expect {
        Expect { count, ..self }
    }
}

/// What a finding is compared by.
type Key = (String, Option<String>, Option<u64>, Option<String>, u64);

fn key_of_expect(e: &Expect) -> Key {
    (e.rule.into(), e.path.map(Into::into), e.episode, e.feature.map(Into::into), e.count)
}

fn key_of_finding(f: &Finding) -> Key {
    (f.rule.clone(), f.location.path.clone(), f.location.episode, f.location.feature.clone(), f.count)
}

// ---------------------------------------------------------------------------------------------
// Running a fixture.
// ---------------------------------------------------------------------------------------------

/// A fixture and, for `profile.*` rules, the organisation profile it is checked against.
struct Setup {
    fixture: Fixture,
    profile: Option<Profile>,
}

impl From<Fixture> for Setup {
    fn from(fixture: Fixture) -> Setup {
        Setup { fixture, profile: None }
    }
}

fn check_tree(tree: &DatasetTree, profile: Option<Profile>) -> Report {
    let options = CheckOptions { profile, skip_hashes: true };
    pollster::block_on(check_dataset(tree, "fixture", &options, &mut |_| {}))
}

fn run(setup: Setup) -> Report {
    check_tree(&setup.fixture.tree(), setup.profile)
}

fn describe(findings: &[Finding]) -> String {
    findings
        .iter()
        .map(|f| format!("  {:?} ×{} — {}", key_of_finding(f), f.count, f.message))
        .collect::<Vec<_>>()
        .join("\n")
}

/// Compares a report's findings with the expected set; `Err` says what differs.
fn compare(report: &Report, expected: &[Expect]) -> Result<(), String> {
    let mut found: Vec<Key> = report.findings.iter().map(key_of_finding).collect();
    let mut wanted: Vec<Key> = expected.iter().map(key_of_expect).collect();
    found.sort();
    wanted.sort();
    if found == wanted {
        return Ok(());
    }
    let missing: Vec<&Key> = wanted.iter().filter(|k| !found.contains(k)).collect();
    let extra: Vec<&Key> = found.iter().filter(|k| !wanted.contains(k)).collect();
    Err(format!("missing: {missing:#?}\nunexpected: {extra:#?}\nall findings:\n{}", describe(&report.findings)))
}

// ---------------------------------------------------------------------------------------------
// Builders.
// ---------------------------------------------------------------------------------------------

fn v21() -> Fixture {
    Fixture::build(&Options::clean(Version::V2_1, &LENGTHS))
}

fn v30() -> Fixture {
    Fixture::build(&Options::clean(Version::V3_0, &LENGTHS))
}

/// The front-camera MP4 of episode `episode` of the shared `v21_so101_video` dataset.
fn shared_mp4(episode: u64) -> Bytes {
    let path = common::shared_datasets()
        .join(format!("v21_so101_video/videos/chunk-000/observation.images.front/episode_{episode:06}.mp4"));
    Bytes::from(std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display())))
}

/// The front-camera MP4 of the shared `v30_so101_video` dataset (all five episodes, 990 frames).
fn shared_mp4_v30() -> Bytes {
    let path = common::shared_datasets().join("v30_so101_video/videos/observation.images.front/chunk-000/file-000.mp4");
    Bytes::from(std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display())))
}

/// A fixture with one camera whose videos are real AV1 MP4s (128×96 at 30 fps), declared as the
/// LeRobot writer declares them.
fn with_real_videos(version: Version, lengths: &[u64]) -> Fixture {
    let mut fixture = Fixture::build(&Options { video: true, ..Options::clean(version, lengths) });
    match version {
        Version::V2_1 => {
            for episode in 0..lengths.len() as u64 {
                let path = fixture.options.video_path(episode);
                fixture.replace(&path, shared_mp4(episode));
            }
        }
        Version::V3_0 => fixture.replace(V30_VIDEO, shared_mp4_v30()),
    }
    fixture.edit_info(|info| {
        info["features"][CAMERA] = json!({
            "dtype": "video",
            "shape": [96, 128, 3],
            "names": ["height", "width", "channels"],
            "info": {
                "video.height": 96, "video.width": 128, "video.codec": "av1", "video.pix_fmt": "yuv420p",
                "video.is_depth_map": false, "video.fps": FPS, "video.channels": 3, "has_audio": false
            }
        });
    });
    fixture
}

fn v21_video() -> Fixture {
    with_real_videos(Version::V2_1, &VIDEO_LENGTHS)
}

fn camera_info(fixture: &mut Fixture, key: &str, value: Value) {
    fixture.edit_info(|info| info["features"][CAMERA]["info"][key] = value);
}

fn with_profile(fixture: Fixture, toml: &str) -> Setup {
    Setup { fixture, profile: Some(Profile::parse(toml, "test-profile.toml").expect("test profile parses")) }
}

/// The v2.1 per-episode stats line of `episode`, edited.
fn edit_episode_stats(fixture: &mut Fixture, episode: u64, edit: impl FnOnce(&mut Value)) {
    fixture.edit_jsonl(EPISODES_STATS, |lines| {
        let line = lines.iter_mut().find(|l| l["episode_index"] == episode).expect("stats line of the episode");
        edit(&mut line["stats"]);
    });
}

/// The text Git writes in place of a file tracked by LFS when the content was not fetched.
const LFS_POINTER: &str = "version https://git-lfs.github.com/spec/v1\n\
                           oid sha256:4d7a214614ab2935c943f9e0ff69d22eadbb8f32b1258daaa5e2ca24d17e2393\n\
                           size 12345\n";

// ---------------------------------------------------------------------------------------------
// The cases: one or more per rule.
// ---------------------------------------------------------------------------------------------

struct Case {
    /// The rule this fixture is for.
    rule: &'static str,
    name: &'static str,
    build: fn() -> Setup,
    expected: &'static [Expect],
}

const CASES: &[Case] = &[
    // ---- Metadata -----------------------------------------------------------------------------
    Case {
        rule: "meta.info-missing",
        name: "no meta/info.json",
        build: || {
            let mut f = v21();
            f.remove(INFO);
            f.into()
        },
        expected: &[at("meta.info-missing", INFO)],
    },
    Case {
        rule: "meta.info-invalid",
        name: "info.json cut short (invalid JSON)",
        build: || {
            let mut f = v21();
            f.replace(INFO, "{\"codebase_version\": \"v2.1\", \"fps\": 30,");
            f.into()
        },
        expected: &[at("meta.info-invalid", INFO)],
    },
    Case {
        rule: "meta.version-unsupported",
        name: "codebase_version v1.6",
        build: || {
            let mut f = v21();
            f.edit_info(|i| i["codebase_version"] = json!("v1.6"));
            f.into()
        },
        expected: &[at("meta.version-unsupported", INFO)],
    },
    Case {
        rule: "meta.version-unsupported",
        name: "unknown codebase_version v2.5 (read as v2.1 from the layout, everything else checked)",
        build: || {
            let mut f = v21();
            f.edit_info(|i| i["codebase_version"] = json!("v2.5"));
            f.into()
        },
        expected: &[at("meta.version-unsupported", INFO)],
    },
    Case {
        rule: "meta.required-key",
        name: "v2.1 info.json without total_chunks",
        build: || {
            let mut f = v21();
            f.edit_info(|i| {
                i.as_object_mut().unwrap().remove("total_chunks");
            });
            f.into()
        },
        expected: &[at("meta.required-key", INFO).feature("total_chunks")],
    },
    Case {
        rule: "meta.key-type",
        name: "total_episodes written as a string",
        build: || {
            let mut f = v21();
            f.edit_info(|i| i["total_episodes"] = json!("3"));
            f.into()
        },
        // The reader's problem carries the file only; the key is in the message.
        expected: &[at("meta.key-type", INFO)],
    },
    Case {
        rule: "meta.fps",
        name: "fps 0",
        build: || {
            let mut f = v21();
            f.edit_info(|i| i["fps"] = json!(0));
            f.into()
        },
        expected: &[at("meta.fps", INFO).feature("fps")],
    },
    Case {
        rule: "meta.total-episodes",
        name: "total_episodes 4 for 3 episodes",
        build: || {
            let mut f = v21();
            f.edit_info(|i| i["total_episodes"] = json!(4));
            f.into()
        },
        expected: &[at("meta.total-episodes", INFO).feature("total_episodes")],
    },
    Case {
        rule: "meta.total-frames",
        name: "total_frames one more than the episodes hold",
        build: || {
            let mut f = v21();
            f.edit_info(|i| i["total_frames"] = json!(39));
            f.into()
        },
        expected: &[at("meta.total-frames", INFO).feature("total_frames")],
    },
    Case {
        rule: "meta.total-tasks",
        name: "total_tasks 5 for 3 tasks",
        build: || {
            let mut f = v21();
            f.edit_info(|i| i["total_tasks"] = json!(5));
            f.into()
        },
        expected: &[at("meta.total-tasks", INFO).feature("total_tasks")],
    },
    Case {
        rule: "meta.total-videos",
        name: "total_videos 7 in a dataset without cameras",
        build: || {
            let mut f = v21();
            f.edit_info(|i| i["total_videos"] = json!(7));
            f.into()
        },
        expected: &[at("meta.total-videos", INFO).feature("total_videos")],
    },
    Case {
        rule: "meta.total-chunks",
        name: "total_chunks 2 with every episode in chunk-000",
        build: || {
            let mut f = v21();
            f.edit_info(|i| i["total_chunks"] = json!(2));
            f.into()
        },
        expected: &[at("meta.total-chunks", INFO).feature("total_chunks")],
    },
    Case {
        rule: "meta.splits",
        name: "a split whose start is after its end",
        build: || {
            let mut f = v21();
            f.edit_info(|i| i["splits"] = json!({"train": "0:3", "test": "2:1"}));
            f.into()
        },
        expected: &[at("meta.splits", INFO).feature("splits.test")],
    },
    Case {
        rule: "meta.path-template",
        name: "video_path naming an unknown field `{camera}`",
        build: || {
            // The dataset has no camera, so the broken template locates nothing else.
            let mut f = v21();
            f.edit_info(|i| i["video_path"] = json!("videos/{camera}/episode_{episode_index:06d}.mp4"));
            f.into()
        },
        expected: &[at("meta.path-template", INFO).feature("video_path")],
    },
    Case {
        rule: "meta.unreadable",
        name: "a line of tasks.jsonl that is not JSON",
        build: || {
            let mut f = v21();
            let mut text = f.files[TASKS_JSONL].to_vec();
            text.extend_from_slice(b"{\"task_index\": 3, \"task\": \n");
            f.replace(TASKS_JSONL, text);
            f.into()
        },
        expected: &[at("meta.unreadable", TASKS_JSONL)],
    },
    Case {
        rule: "meta.unreadable",
        name: "info.json larger than the 16 MiB the reader accepts",
        build: || {
            let mut f = v21();
            let mut text = f.files[INFO].to_vec();
            text.resize(text.len() + 17 * 1024 * 1024, b' ');
            f.replace(INFO, text);
            f.into()
        },
        expected: &[at("meta.unreadable", INFO)],
    },
    // ---- Features -----------------------------------------------------------------------------
    Case {
        rule: "feature.dtype",
        name: "dtype `boolean` (LeRobot says `bool`)",
        build: || {
            let mut f = v21();
            f.edit_info(|i| i["features"]["next.done"]["dtype"] = json!("boolean"));
            f.into()
        },
        expected: &[at("feature.dtype", INFO).feature("next.done")],
    },
    Case {
        rule: "feature.shape",
        name: "an empty shape",
        build: || {
            let mut f = v21();
            f.edit_info(|i| i["features"]["next.done"]["shape"] = json!([]));
            f.into()
        },
        expected: &[at("feature.shape", INFO).feature("next.done")],
    },
    Case {
        rule: "feature.names",
        name: "two names for three dimensions",
        build: || {
            let mut f = v21();
            f.edit_info(|i| i["features"][STATE]["names"] = json!(["x", "y"]));
            f.into()
        },
        expected: &[at("feature.names", INFO).feature(STATE)],
    },
    Case {
        rule: "feature.name-chars",
        name: "a feature named `next/done` (declared and stored so)",
        build: || {
            let mut f = v21();
            f.edit_info(|i| {
                let features = i["features"].as_object_mut().unwrap();
                let spec = features.remove("next.done").unwrap();
                features.insert("next/done".into(), spec);
            });
            f.edit_data_files(|batch| rename_column(&batch, "next.done", "next/done"));
            f.into()
        },
        expected: &[at("feature.name-chars", INFO).feature("next/done")],
    },
    Case {
        rule: "feature.default-missing",
        name: "no task_index (neither declared nor stored)",
        build: || {
            let mut f = v21();
            f.edit_info(|i| {
                i["features"].as_object_mut().unwrap().remove("task_index");
            });
            f.edit_data_files(|batch| fixtures::drop_columns(&batch, |name| name == "task_index"));
            f.into()
        },
        expected: &[at("feature.default-missing", INFO).feature("task_index")],
    },
    Case {
        rule: "feature.video-info",
        name: "a camera without its `info` object",
        build: || {
            let mut f = v21_video();
            f.edit_info(|i| {
                i["features"][CAMERA].as_object_mut().unwrap().remove("info");
            });
            f.into()
        },
        expected: &[at("feature.video-info", INFO).feature(CAMERA)],
    },
    // ---- Files --------------------------------------------------------------------------------
    Case {
        rule: "file.data-missing",
        name: "episode 1's parquet file removed",
        build: || {
            let mut f = v21();
            f.remove(V21_DATA[1]);
            f.into()
        },
        expected: &[at("file.data-missing", V21_DATA[1]).ep(1)],
    },
    Case {
        rule: "file.data-missing",
        name: "v3.0: the data file of episode 1 removed (one file per episode)",
        build: || {
            let mut f = Fixture::build(&Options { episodes_per_file: 1, ..Options::clean(Version::V3_0, &LENGTHS) });
            f.remove("data/chunk-000/file-001.parquet");
            f.into()
        },
        // The whole-dataset stats.json is not compared with the data of the other episodes alone.
        expected: &[at("file.data-missing", "data/chunk-000/file-001.parquet").ep(1)],
    },
    Case {
        rule: "file.video-missing",
        name: "episode 1's mp4 removed",
        build: || {
            let mut f = v21_video();
            f.remove(V21_VIDEO[1]);
            f.into()
        },
        expected: &[at("file.video-missing", V21_VIDEO[1]).ep(1)],
    },
    Case {
        rule: "file.misplaced",
        name: "episode 1's parquet file in chunk-001 (data_path says chunk-000)",
        build: || {
            let mut f = v21();
            f.rename(V21_DATA[1], "data/chunk-001/episode_000001.parquet");
            f.into()
        },
        expected: &[at("file.misplaced", "data/chunk-001/episode_000001.parquet")],
    },
    Case {
        rule: "file.lfs-pointer",
        name: "a parquet file that is a Git LFS pointer",
        build: || {
            let mut f = v21();
            f.replace(V21_DATA[1], LFS_POINTER);
            f.into()
        },
        // The pointer text is not parquet either: the data file cannot be opened.
        expected: &[at("file.lfs-pointer", V21_DATA[1]), at("file.parquet-corrupt", V21_DATA[1])],
    },
    Case {
        rule: "file.lfs-pointer",
        name: "an mp4 that is a Git LFS pointer",
        build: || {
            let mut f = v21_video();
            f.replace(V21_VIDEO[1], LFS_POINTER);
            f.into()
        },
        // The pointer text is not an MP4 either.
        expected: &[at("file.lfs-pointer", V21_VIDEO[1]), at("video.unreadable", V21_VIDEO[1]).ep(1).feature(CAMERA)],
    },
    Case {
        rule: "file.empty",
        name: "an empty README.md",
        build: || {
            let mut f = v21();
            f.add("README.md", Bytes::new());
            f.into()
        },
        expected: &[at("file.empty", "README.md")],
    },
    Case {
        rule: "file.empty",
        name: "an empty data file",
        build: || {
            let mut f = v21();
            f.replace(V21_DATA[1], Bytes::new());
            f.into()
        },
        // Zero bytes are no parquet file either.
        expected: &[at("file.empty", V21_DATA[1]), at("file.parquet-corrupt", V21_DATA[1])],
    },
    Case {
        rule: "file.parquet-corrupt",
        name: "a data file cut short (footer lost)",
        build: || {
            let mut f = v21();
            let bytes = f.files[V21_DATA[1]].clone();
            f.replace(V21_DATA[1], bytes.slice(..bytes.len() - 100));
            f.into()
        },
        expected: &[at("file.parquet-corrupt", V21_DATA[1])],
    },
    Case {
        rule: "file.unexpected",
        name: "a stray notes file at the root",
        build: || {
            let mut f = v21();
            f.add("notes.txt", "remember to re-record episode 3\n");
            f.into()
        },
        expected: &[at("file.unexpected", "notes.txt")],
    },
    // ---- Schema -------------------------------------------------------------------------------
    Case {
        rule: "schema.column-missing",
        name: "a declared feature no data file has",
        build: || {
            let mut f = v21();
            f.edit_info(|i| {
                i["features"]["observation.effort"] = json!({"dtype": "float32", "shape": [2], "names": null})
            });
            f.into()
        },
        // One finding per data file (a finding is per file and feature).
        expected: &[
            at("schema.column-missing", V21_DATA[0]).feature("observation.effort"),
            at("schema.column-missing", V21_DATA[1]).feature("observation.effort"),
            at("schema.column-missing", V21_DATA[2]).feature("observation.effort"),
        ],
    },
    Case {
        rule: "schema.column-undeclared",
        name: "a stored column info.json does not declare",
        build: || {
            let mut f = v21();
            f.edit_info(|i| {
                i["features"].as_object_mut().unwrap().remove("next.done");
            });
            f.into()
        },
        expected: &[
            at("schema.column-undeclared", V21_DATA[0]).feature("next.done"),
            at("schema.column-undeclared", V21_DATA[1]).feature("next.done"),
            at("schema.column-undeclared", V21_DATA[2]).feature("next.done"),
        ],
    },
    Case {
        rule: "schema.dtype",
        name: "float32 data declared float64",
        build: || {
            let mut f = v21();
            f.edit_info(|i| i["features"][STATE]["dtype"] = json!("float64"));
            f.into()
        },
        expected: &[
            at("schema.dtype", V21_DATA[0]).feature(STATE),
            at("schema.dtype", V21_DATA[1]).feature(STATE),
            at("schema.dtype", V21_DATA[2]).feature(STATE),
        ],
    },
    Case {
        rule: "schema.shape",
        name: "one frame of a list<float> column with 4 values instead of 3",
        build: || {
            let mut f =
                Fixture::build(&Options { vectors: VectorLayout::List, ..Options::clean(Version::V2_1, &LENGTHS) });
            f.edit_parquet(V21_DATA[1], |batch| with_ragged_row(&batch, STATE, 3));
            f.into()
        },
        // The episode cannot be read as a whole: one finding for the episode, no feature.
        expected: &[at("schema.shape", V21_DATA[1]).ep(1)],
    },
    Case {
        rule: "schema.shape",
        name: "3 values per frame declared as shape [4]",
        build: || {
            let mut f = v21();
            f.edit_info(|i| {
                i["features"][STATE]["shape"] = json!([4]);
                i["features"][STATE]["names"] = json!(["x", "y", "z", "w"]);
            });
            f.into()
        },
        // The stored stats (3 values, as the data) disagree with the declared shape as well: once
        // per episode, gathered into one finding.
        expected: &[
            at("schema.shape", V21_DATA[0]).feature(STATE),
            at("schema.shape", V21_DATA[1]).feature(STATE),
            at("schema.shape", V21_DATA[2]).feature(STATE),
            at("stats.shape", EPISODES_STATS).ep(0).feature(STATE).count(3),
        ],
    },
    // ---- Episodes -----------------------------------------------------------------------------
    Case {
        rule: "episode.length",
        name: "episode 1 listed with 16 frames, 15 rows written",
        build: || {
            let mut f = v21();
            f.edit_jsonl(EPISODES_JSONL, |lines| lines[1]["length"] = json!(16));
            // total_frames follows the metadata (as a writer that believed the wrong length would
            // write it), so only the data disagrees.
            f.edit_info(|i| i["total_frames"] = json!(39));
            f.into()
        },
        expected: &[at("episode.length", V21_DATA[1]).ep(1)],
    },
    Case {
        rule: "episode.indices",
        name: "episode 1 deleted without renumbering (episodes 0 and 2 left)",
        build: || {
            let mut f = v21();
            f.remove(V21_DATA[1]);
            f.edit_jsonl(EPISODES_JSONL, |lines| {
                lines.remove(1);
            });
            f.edit_info(|i| {
                i["total_episodes"] = json!(2);
                i["total_frames"] = json!(LENGTHS[0] + LENGTHS[2]);
                i["splits"] = json!({"train": "0:2"});
            });
            // The global index is renumbered (no gap), the stats are recomputed without episode 1.
            f.edit_episode(2, "index", |_, _, v| v - LENGTHS[1] as f64);
            f.into()
        },
        expected: &[at("episode.indices", EPISODES_JSONL).ep(2)],
    },
    Case {
        rule: "episode.duplicate",
        name: "episode 1 listed twice",
        build: || {
            let mut f = v21();
            f.edit_jsonl(EPISODES_JSONL, |lines| {
                let copy = lines[1].clone();
                lines.insert(2, copy);
            });
            f.into()
        },
        expected: &[at("episode.duplicate", EPISODES_JSONL)],
    },
    Case {
        rule: "episode.range",
        name: "v3.0: episode 1's dataset_to_index one too far",
        build: || {
            let mut f = v30();
            f.edit_parquet(EPISODES_V30, |batch| {
                let column = map_values(batch.column_by_name("dataset_to_index").unwrap(), &mut |row, _, v| {
                    if row == 1 {
                        v + 1.0
                    } else {
                        v
                    }
                });
                with_column(&batch, "dataset_to_index", column)
            });
            f.into()
        },
        // Episode 1 is one row too long, and so episode 2 does not start where episode 1 ends.
        expected: &[at("episode.range", EPISODES_V30_DIR).ep(1).count(2)],
    },
    Case {
        rule: "episode.video-window",
        name: "v3.0: episode 1's to_timestamp one second late",
        build: || {
            let mut f = with_real_videos(Version::V3_0, &VIDEO_LENGTHS);
            let column = format!("videos/{CAMERA}/to_timestamp");
            f.edit_parquet(EPISODES_V30, |batch| {
                let edited = map_values(batch.column_by_name(&column).unwrap(), &mut |row, _, v| {
                    if row == 1 {
                        v + 1.0
                    } else {
                        v
                    }
                });
                with_column(&batch, &column, edited)
            });
            f.into()
        },
        expected: &[at("episode.video-window", EPISODES_V30_DIR).ep(1).feature(CAMERA)],
    },
    Case {
        rule: "episode.tasks",
        name: "episode 1 names a task the task table does not have",
        build: || {
            let mut f = v21();
            f.edit_jsonl(EPISODES_JSONL, |lines| lines[1]["tasks"] = json!(["sweep the floor"]));
            f.into()
        },
        expected: &[at("episode.tasks", EPISODES_JSONL).ep(1)],
    },
    // ---- Indices ------------------------------------------------------------------------------
    Case {
        rule: "index.frame-index",
        name: "frame_index skips 5 in episode 1",
        build: || {
            let mut f = v21();
            f.edit_episode(1, "frame_index", |frame, _, v| if frame >= 5 { v + 1.0 } else { v });
            f.into()
        },
        expected: &[at("index.frame-index", V21_DATA[1]).ep(1).feature("frame_index")],
    },
    Case {
        rule: "index.episode-index",
        name: "one row of episode 1 says episode 7",
        build: || {
            let mut f = v21();
            f.edit_episode(1, "episode_index", |frame, _, v| if frame == 3 { 7.0 } else { v });
            f.into()
        },
        expected: &[at("index.episode-index", V21_DATA[1]).ep(1).feature("episode_index")],
    },
    Case {
        rule: "index.global-index",
        name: "one row of episode 1 with index +100",
        build: || {
            let mut f = v21();
            f.edit_episode(1, "index", |frame, _, v| if frame == 4 { v + 100.0 } else { v });
            f.into()
        },
        expected: &[at("index.global-index", V21_DATA[1]).ep(1).feature("index")],
    },
    Case {
        rule: "index.task-index",
        name: "every row of episode 1 with task_index 9 (3 tasks)",
        build: || {
            let mut f = v21();
            f.edit_episode(1, "task_index", |_, _, _| 9.0);
            f.into()
        },
        // One occurrence per frame, gathered into one finding.
        expected: &[at("index.task-index", V21_DATA[1]).ep(1).feature("task_index").count(LENGTHS[1])],
    },
    // ---- Timing -------------------------------------------------------------------------------
    Case {
        rule: "time.monotonic",
        name: "episode 1's frame 5 repeats frame 4's timestamp (later frames one period early)",
        build: || {
            let mut f = v21();
            f.edit_episode(
                1,
                "timestamp",
                |frame, _, v| {
                    if frame >= 5 {
                        ((frame - 1) as f64 / FPS) as f32 as f64
                    } else {
                        v
                    }
                },
            );
            f.into()
        },
        expected: &[at("time.monotonic", V21_DATA[1]).ep(1).feature("timestamp")],
    },
    Case {
        rule: "time.grid",
        name: "episode 1's frame 5 is 10 ms late",
        build: || {
            let mut f = v21();
            f.edit_episode(1, "timestamp", |frame, _, v| if frame == 5 { frame as f64 / FPS + 0.01 } else { v });
            f.into()
        },
        // The step into frame 5 and the step out of it are both off the grid.
        expected: &[at("time.grid", V21_DATA[1]).ep(1).feature("timestamp").count(2)],
    },
    Case {
        rule: "time.gap",
        name: "a step of 1.6 periods before episode 1's frame 5",
        build: || {
            let mut f = v21();
            // 1.6 periods: a gap (> 1.5), while the episode's span stays within one period of
            // length / fps (so not also a duration finding).
            f.edit_episode(1, "timestamp", |frame, _, v| if frame >= 5 { (frame as f64 + 0.6) / FPS } else { v });
            f.into()
        },
        expected: &[at("time.gap", V21_DATA[1]).ep(1).feature("timestamp")],
    },
    Case {
        rule: "time.start",
        name: "episode 1's timestamps start at 0.5 s",
        build: || {
            let mut f = v21();
            f.edit_episode(1, "timestamp", |frame, _, _| frame as f64 / FPS + 0.5);
            f.into()
        },
        expected: &[at("time.start", V21_DATA[1]).ep(1).feature("timestamp")],
    },
    Case {
        rule: "time.duration",
        name: "a clock 90 µs slow per frame over 400 frames (each step within tolerance)",
        build: || {
            let lengths = [12, 400, 11];
            let mut f = Fixture::build(&Options::clean(Version::V2_1, &lengths));
            // Every step is 1/30 s + 90 µs: on the grid within LeRobot's 100 µs tolerance, yet
            // 399 steps add up to 36 ms, more than one period.
            f.edit_episode(1, "timestamp", |frame, _, _| frame as f64 * (1.0 / FPS + 90e-6));
            f.into()
        },
        expected: &[at("time.duration", V21_DATA[1]).ep(1).feature("timestamp")],
    },
    // ---- Values -------------------------------------------------------------------------------
    Case {
        rule: "value.non-finite",
        name: "NaN in observation.state.y, frames 3-5 of episode 1",
        build: || {
            let mut f = v21();
            f.edit_episode(1, STATE, |frame, dim, v| if dim == 1 && (3..6).contains(&frame) { f64::NAN } else { v });
            f.into()
        },
        expected: &[at("value.non-finite", V21_DATA[1]).ep(1).feature(STATE)],
    },
    Case {
        rule: "value.frozen",
        name: "observation.state.x constant through episode 1",
        build: || {
            let mut f = v21();
            let start = f.options.start(1);
            f.edit_episode(1, STATE, |_, dim, v| if dim == 0 { state_value(start, 0) } else { v });
            f.into()
        },
        expected: &[at("value.frozen", V21_DATA[1]).ep(1).feature(STATE)],
    },
    Case {
        rule: "value.spike",
        name: "observation.state.z +1000 for one frame",
        build: || {
            let mut f = v21();
            f.edit_episode(1, STATE, |frame, dim, v| if dim == 2 && frame == 6 { v + 1000.0 } else { v });
            f.into()
        },
        expected: &[at("value.spike", V21_DATA[1]).ep(1).feature(STATE)],
    },
    Case {
        rule: "value.out-of-range",
        name: "v3.0: stats.json's max of observation.state.x below the data's",
        build: || {
            let mut f = v30();
            // The data's max of dimension 0 is 370 (last frame); only episode 2 goes above 365.
            f.edit_json(GLOBAL_STATS, |stats| stats[STATE]["max"][0] = json!(365.0));
            f.into()
        },
        // Data outside the stored range means the stored max is not the data's max: the same
        // defect seen from the stats side (both use the same tolerance, so one never fires alone).
        expected: &[
            at("value.out-of-range", V30_DATA).ep(2).feature(STATE),
            at("stats.consistent", GLOBAL_STATS).feature(STATE),
        ],
    },
    // ---- Stats --------------------------------------------------------------------------------
    Case {
        rule: "stats.missing",
        name: "v2.1 without episodes_stats.jsonl",
        build: || {
            let mut f = v21();
            f.remove(EPISODES_STATS);
            f.into()
        },
        expected: &[at("stats.missing", EPISODES_STATS)],
    },
    Case {
        rule: "stats.missing",
        name: "v3.0 without stats.json",
        build: || {
            let mut f = v30();
            f.remove(GLOBAL_STATS);
            f.into()
        },
        expected: &[at("stats.missing", GLOBAL_STATS)],
    },
    Case {
        rule: "stats.shape",
        name: "episode 1's stats of observation.state with 2 values (of 3)",
        build: || {
            let mut f = v21();
            edit_episode_stats(&mut f, 1, |stats| {
                for stat in ["min", "max", "mean", "std"] {
                    stats[STATE][stat].as_array_mut().unwrap().truncate(2);
                }
            });
            f.into()
        },
        expected: &[at("stats.shape", EPISODES_STATS).ep(1).feature(STATE)],
    },
    Case {
        rule: "stats.consistent",
        name: "episode 1's stored mean of observation.state.x off by 5",
        build: || {
            let mut f = v21();
            edit_episode_stats(&mut f, 1, |stats| {
                let mean = stats[STATE]["mean"][0].as_f64().unwrap();
                stats[STATE]["mean"][0] = json!(mean + 5.0);
            });
            f.into()
        },
        expected: &[at("stats.consistent", EPISODES_STATS).ep(1).feature(STATE)],
    },
    // ---- Videos -------------------------------------------------------------------------------
    Case {
        rule: "video.unreadable",
        name: "episode 1's mp4 is a text file",
        build: || {
            let mut f = v21_video();
            f.replace(V21_VIDEO[1], "this is not a video\n");
            f.into()
        },
        expected: &[at("video.unreadable", V21_VIDEO[1]).ep(1).feature(CAMERA)],
    },
    Case {
        rule: "video.fps",
        name: "video.fps declared 25 for 30 fps videos",
        build: || {
            let mut f = v21_video();
            camera_info(&mut f, "video.fps", json!(25));
            f.into()
        },
        expected: &[
            at("video.fps", V21_VIDEO[0]).ep(0).feature(CAMERA),
            at("video.fps", V21_VIDEO[1]).ep(1).feature(CAMERA),
        ],
    },
    Case {
        rule: "video.size",
        name: "640×480 declared for 128×96 videos",
        build: || {
            let mut f = v21_video();
            f.edit_info(|i| i["features"][CAMERA]["shape"] = json!([480, 640, 3]));
            camera_info(&mut f, "video.height", json!(480));
            camera_info(&mut f, "video.width", json!(640));
            f.into()
        },
        expected: &[
            at("video.size", V21_VIDEO[0]).ep(0).feature(CAMERA),
            at("video.size", V21_VIDEO[1]).ep(1).feature(CAMERA),
        ],
    },
    Case {
        rule: "video.codec",
        name: "h264 declared for AV1 videos",
        build: || {
            let mut f = v21_video();
            camera_info(&mut f, "video.codec", json!("h264"));
            f.into()
        },
        expected: &[
            at("video.codec", V21_VIDEO[0]).ep(0).feature(CAMERA),
            at("video.codec", V21_VIDEO[1]).ep(1).feature(CAMERA),
        ],
    },
    Case {
        rule: "video.duration",
        name: "episode 0 has 130 frames, its video 120",
        build: || with_real_videos(Version::V2_1, &[130, 180]).into(),
        expected: &[at("video.duration", V21_VIDEO[0]).ep(0).feature(CAMERA)],
    },
    // ---- Profile ------------------------------------------------------------------------------
    Case {
        rule: "profile.required-feature",
        name: "the profile requires `action`",
        build: || with_profile(v21(), "name = \"p\"\n[[features]]\nname = \"action\"\n"),
        expected: &[at("profile.required-feature", INFO).feature("action")],
    },
    Case {
        rule: "profile.required-feature",
        name: "the profile requires observation.state as float64 [6]",
        build: || {
            with_profile(
                v21(),
                "name = \"p\"\n[[features]]\nname = \"observation.state\"\ndtype = \"float64\"\nshape = [6]\n",
            )
        },
        expected: &[at("profile.required-feature", INFO).feature(STATE)],
    },
    Case {
        rule: "profile.robot-type",
        name: "the profile allows only so101_follower",
        build: || with_profile(v21(), "name = \"p\"\nrobot_types = [\"so101_follower\"]\n"),
        expected: &[at("profile.robot-type", INFO).feature("robot_type")],
    },
    Case {
        rule: "profile.fps",
        name: "the profile requires at least 50 fps",
        build: || with_profile(v21(), "name = \"p\"\nfps_min = 50\n"),
        expected: &[at("profile.fps", INFO).feature("fps")],
    },
    Case {
        rule: "profile.metadata",
        name: "the profile requires a license",
        build: || with_profile(v21(), "name = \"p\"\nrequired_metadata = [\"license\"]\n"),
        expected: &[at("profile.metadata", INFO).feature("license")],
    },
    Case {
        rule: "profile.nan-ratio",
        name: "the profile allows no NaN; episode 1 has three",
        build: || {
            let mut f = v21();
            f.edit_episode(1, STATE, |frame, dim, v| if dim == 1 && (3..6).contains(&frame) { f64::NAN } else { v });
            with_profile(f, "name = \"p\"\nmax_nan_ratio = 0.0\n")
        },
        // The NaN values are a LeRobot finding of their own; the profile's share is dataset-wide
        // (no location).
        expected: &[whole("profile.nan-ratio"), at("value.non-finite", V21_DATA[1]).ep(1).feature(STATE)],
    },
    Case {
        rule: "profile.episode-length",
        name: "the profile wants 12 frames; episode 2 has 11",
        build: || with_profile(v21(), "name = \"p\"\nmin_episode_frames = 12\n"),
        expected: &[at("profile.episode-length", V21_DATA[2]).ep(2)],
    },
];

/// Rewrites a `list<float>` column with one more value in `row`.
fn with_ragged_row(batch: &RecordBatch, column: &str, row: usize) -> RecordBatch {
    let (width, values) = flatten(batch.column_by_name(column).unwrap());
    let mut list = ListBuilder::new(Float32Builder::new());
    for r in 0..batch.num_rows() {
        for v in &values[r * width..(r + 1) * width] {
            list.values().append_value(*v as f32);
        }
        if r == row {
            list.values().append_value(0.0);
        }
        list.append(true);
    }
    with_column(batch, column, Arc::new(list.finish()))
}

fn case(name: &str) -> &'static Case {
    CASES.iter().find(|c| c.name == name).unwrap_or_else(|| panic!("no case named {name:?}"))
}

fn run_case(name: &str) -> Report {
    run((case(name).build)())
}

// ---------------------------------------------------------------------------------------------
// Tests.
// ---------------------------------------------------------------------------------------------

#[test]
fn every_rule_has_a_fixture() {
    let covered: BTreeSet<&str> = CASES.iter().map(|c| c.rule).collect();
    // The recording family has its own fixtures (`recording_rules.rs`).
    let missing: Vec<&str> = RULES
        .iter()
        .filter(|r| r.family != Family::Recording)
        .map(|r| r.id)
        .filter(|id| !covered.contains(id))
        .collect();
    assert!(missing.is_empty(), "rules without a fixture in CASES: {}", missing.join(", "));
    let unknown: Vec<&str> = covered.iter().copied().filter(|id| !RULES.iter().any(|r| r.id == *id)).collect();
    assert!(unknown.is_empty(), "CASES name rules that are not in RULES: {unknown:?}");
}

#[test]
fn each_case_expects_its_own_rule_and_only_catalogue_rules() {
    for case in CASES {
        assert!(case.expected.iter().any(|e| e.rule == case.rule), "{}: does not expect {}", case.name, case.rule);
        for e in case.expected {
            assert!(RULES.iter().any(|r| r.id == e.rule), "{}: unknown rule {}", case.name, e.rule);
        }
    }
    let names: BTreeSet<&str> = CASES.iter().map(|c| c.name).collect();
    assert_eq!(names.len(), CASES.len(), "case names are unique");
}

#[test]
fn each_rule_fixture_gives_exactly_its_findings() {
    let mut failures = Vec::new();
    for case in CASES {
        let report = run((case.build)());
        if let Err(why) = compare(&report, case.expected) {
            failures.push(format!("[{}] {}:\n{why}", case.rule, case.name));
        }
        assert_eq!(report.rules_checked, dataset_rule_count());
    }
    assert!(failures.is_empty(), "{} of {} cases failed:\n\n{}", failures.len(), CASES.len(), failures.join("\n\n"));
}

/// Clean fixtures: what the official writers produce, in several storage layouts.
fn clean_fixtures() -> Vec<(&'static str, Fixture)> {
    vec![
        ("v2.1", v21()),
        (
            "v2.1, list<float> vectors, two episodes per chunk folder",
            Fixture::build(&Options {
                vectors: VectorLayout::List,
                chunks_size: 2,
                ..Options::clean(Version::V2_1, &[12, 15, 11, 20, 10])
            }),
        ),
        ("v2.1 with a camera (real AV1 videos)", v21_video()),
        ("v3.0", v30()),
        (
            "v3.0, two episodes per file, two files per chunk, pandas-index tasks, one row group per file",
            Fixture::build(&Options {
                chunks_size: 2,
                episodes_per_file: 2,
                tasks: TasksLayout::PandasIndex,
                row_group_per_episode: false,
                vectors: VectorLayout::List,
                ..Options::clean(Version::V3_0, &[12, 15, 11, 20, 10, 13])
            }),
        ),
        ("v3.0 with a camera (real AV1 video)", with_real_videos(Version::V3_0, &VIDEO_LENGTHS)),
    ]
}

#[test]
fn clean_fixtures_have_no_findings() {
    for (name, fixture) in clean_fixtures() {
        let report = run(fixture.into());
        assert!(report.findings.is_empty(), "{name}:\n{}", describe(&report.findings));
        assert_eq!(report.summary.verdict, Verdict::Pass, "{name}");
        assert_eq!(report.rules_checked, dataset_rule_count(), "{name}");
    }
}

#[test]
fn clean_fixtures_are_what_their_names_say() {
    // Guards the clean fixtures against quietly checking less: every file is referenced, stats are
    // stored, and the video fixtures really hold MP4s.
    let (_, dataset) = v21_video().open();
    assert_eq!(dataset.episodes.len(), 2);
    assert!(dataset.episodes.iter().all(|e| e.videos.len() == 1 && e.videos[0].present));
    assert!(v21().files.contains_key(EPISODES_STATS));
    let v30 = v30();
    assert!(v30.files.contains_key(GLOBAL_STATS));
    let (tree, dataset) = v30.open();
    assert!(dataset.stats.per_episode_features.contains(&STATE.to_string()));
    let stats = pollster::block_on(episcope_core::lerobot::read_stored_stats(&tree, &dataset));
    assert_eq!(stats.problems, []);
    assert_eq!(stats.per_episode.len(), 3);
    assert!(with_real_videos(Version::V3_0, &VIDEO_LENGTHS).files[V30_VIDEO].len() > 10_000);
}

#[test]
fn messages_are_pinned() {
    let pinned: [(&str, &str, &str); 7] = [
        (
            "total_frames one more than the episodes hold",
            "meta.total-frames",
            "info.json declares 39 frames; the episodes' lengths add up to 38",
        ),
        (
            "frame_index skips 5 in episode 1",
            "index.frame-index",
            "expected frame_index 5 at row 5 of episode 1, found 6",
        ),
        (
            "episode 1's frame 5 is 10 ms late",
            "time.grid",
            "expected a step of 0.0333 s ± 0.0001 s at 30 fps, found 0.043333 s",
        ),
        (
            "NaN in observation.state.y, frames 3-5 of episode 1",
            "value.non-finite",
            "expected finite numbers in `y`, found NaN in episode 1 (3 of 15 frames)",
        ),
        (
            "v3.0: episode 1's dataset_to_index one too far",
            "episode.range",
            "expected rows [12, 27) for episode 1 of length 15, found [12, 28)",
        ),
        (
            "episode 1 listed with 16 frames, 15 rows written",
            "episode.length",
            "the episode metadata says 16 frames; the data holds 15 rows for episode 1",
        ),
        (
            "a split whose start is after its end",
            "meta.splits",
            "expected `start:end` with start ≤ end ≤ 3, found `2:1`",
        ),
    ];
    for (name, rule, message) in pinned {
        let report = run_case(name);
        let finding = report.findings.iter().find(|f| f.rule == rule).unwrap_or_else(|| panic!("{name}: no {rule}"));
        assert_eq!(finding.message, message, "{name}");
    }
}

#[test]
fn a_defect_on_many_frames_is_one_finding_with_a_count_and_the_first_locations() {
    let report = run_case("every row of episode 1 with task_index 9 (3 tasks)");
    assert_eq!(report.findings.len(), 1, "{}", describe(&report.findings));
    let finding = &report.findings[0];
    assert_eq!(finding.rule, "index.task-index");
    assert_eq!(finding.count, LENGTHS[1]);
    assert!(finding.count as usize > MAX_LOCATIONS);
    assert_eq!(finding.locations.len(), MAX_LOCATIONS);
    assert_eq!(finding.locations[0], finding.location);
    let frames: Vec<Option<u64>> = finding.locations.iter().map(|l| l.frame).collect();
    assert_eq!(frames, (0..MAX_LOCATIONS as u64).map(Some).collect::<Vec<_>>());
    assert!(finding.locations.iter().all(|l| l.path.as_deref() == Some(V21_DATA[1]) && l.episode == Some(1)));
    assert_eq!(report.summary.occurrences, LENGTHS[1]);
    assert_eq!(report.summary.errors, 1);

    // The episode-range finding gathers episodes 1 and 2, each located.
    let report = run_case("v3.0: episode 1's dataset_to_index one too far");
    let finding = &report.findings[0];
    let episodes: Vec<Option<u64>> = finding.locations.iter().map(|l| l.episode).collect();
    assert_eq!(episodes, [Some(1), Some(2)]);
}

/// v3.0 reads an episode's rows by their `episode_index`, so a row inside episode 1's
/// `dataset_from_index..dataset_to_index` range that names episode 7 is not read with episode 1.
/// The checker finds it by the ranges (`index.episode-index`, located at the row); what follows
/// from the row being left out of the episode is reported too, and nothing else.
#[test]
fn v30_a_row_naming_another_episode_is_found_by_the_episode_ranges() {
    let mut fixture = v30();
    fixture.edit_episode(1, "episode_index", |frame, _, v| if frame == 3 { 7.0 } else { v });
    let report = run(fixture.into());
    let found: Vec<&Finding> = report.findings.iter().filter(|f| f.rule == "index.episode-index").collect();
    assert_eq!(found.len(), 1, "{}", describe(&report.findings));
    let finding = found[0];
    assert_eq!(
        (finding.location.path.as_deref(), finding.location.episode, finding.location.frame),
        (Some(V30_DATA), Some(1), Some(3))
    );
    assert_eq!(finding.location.feature.as_deref(), Some("episode_index"));
    assert_eq!(
        finding.message,
        "expected episode_index 1 at global index 15 (episode 1 holds rows [12, 27) by the episode metadata), found 7"
    );
    // Read by its episode_index, episode 1 is one row short with a hole at frame 3; the stored
    // whole-dataset stats (over every row) include the row no episode has.
    let consequences = [
        "index.episode-index",
        "episode.length",
        "index.frame-index",
        "index.global-index",
        "time.gap",
        "stats.consistent",
    ];
    for finding in &report.findings {
        assert!(consequences.contains(&finding.rule.as_str()), "{}", describe(&report.findings));
        if finding.rule != "stats.consistent" {
            assert_eq!(finding.location.episode, Some(1), "{}", describe(&report.findings));
        }
    }
}

/// The repository's example profile against the shared `v21_so101_video` dataset: the dataset
/// meets every requirement (robot so101_follower, 30 fps, episodes of 120+ frames, no NaN,
/// observation.state and action float32 [6] with the SO-101 joint names) except `license`, which
/// LeRobot writers do not put in info.json (the Hub keeps it in the dataset card) — one finding.
#[test]
fn example_profile_against_the_shared_dataset() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../profiles/example-manipulation.toml");
    let text = std::fs::read_to_string(&path).unwrap();
    let profile = Profile::parse(&text, "profiles/example-manipulation.toml").unwrap();
    assert_eq!(profile.name, "example-manipulation-v1");
    let (tree, _) = common::open("v21_so101_video");
    let report = check_tree(&tree, Some(profile));
    compare(&report, &[at("profile.metadata", INFO).feature("license")]).unwrap();
    assert_eq!(report.profile, "example-manipulation-v1");
    assert_eq!(
        report.findings[0].message,
        "profile example-manipulation-v1 requires `license` in info.json, found none"
    );

    // With a license in info.json the dataset meets the profile.
    let mut files = files_of(&common::shared_datasets().join("v21_so101_video"));
    let mut info: Value = serde_json::from_slice(&files[INFO]).unwrap();
    info["license"] = json!("apache-2.0");
    files.insert(INFO.into(), Bytes::from(serde_json::to_vec(&info).unwrap()));
    let tree = DatasetTree::from_memory(files.iter().map(|(p, b)| (p.as_str(), b.clone()))).unwrap();
    let report = check_tree(&tree, Some(Profile::parse(&text, "example").unwrap()));
    assert!(report.findings.is_empty(), "{}", describe(&report.findings));
}

#[test]
fn invalid_profiles_are_refused_naming_the_file() {
    // A typo is refused, not silently ignored; the error is one line (the CLI prints it as is).
    let unknown_key = Profile::parse("name = \"p\"\nfps_minimum = 30\n", "org.toml").unwrap_err().to_string();
    assert!(
        unknown_key.starts_with("invalid profile (line 2, column 1: unknown field `fps_minimum`, expected one of")
            && unknown_key.ends_with("): org.toml"),
        "{unknown_key}"
    );
    assert!(!unknown_key.contains('\n'), "{unknown_key}");
    let syntax = Profile::parse("name = [\n", "org.toml").unwrap_err().to_string();
    assert_eq!(syntax, "invalid profile (line 1, column 9: unclosed array, expected `]`): org.toml");
    let no_name = Profile::parse("name = \"  \"\n", "org.toml").unwrap_err().to_string();
    assert_eq!(no_name, "invalid profile (`name` must not be empty): org.toml");
}

fn files_of(root: &std::path::Path) -> std::collections::BTreeMap<String, Bytes> {
    fn walk(root: &std::path::Path, dir: &std::path::Path, out: &mut std::collections::BTreeMap<String, Bytes>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                walk(root, &path, out);
            } else {
                let rel = path.strip_prefix(root).unwrap().to_string_lossy().replace('\\', "/");
                out.insert(rel, Bytes::from(std::fs::read(&path).unwrap()));
            }
        }
    }
    let mut out = std::collections::BTreeMap::new();
    walk(root, root, &mut out);
    out
}

// ---------------------------------------------------------------------------------------------
// Sharded checks (issue 14): every fixture checked in shards and merged gives the unsharded report.
// ---------------------------------------------------------------------------------------------

fn sharded_report(tree: &DatasetTree, profile: Option<Profile>, count: u32, draw: &mut Draw) -> Report {
    use episcope_core::check::{check_partial, finish_check, CheckPartial};
    use episcope_core::shard::Shard;
    let options = CheckOptions { profile, skip_hashes: draw.below(2) == 0 };
    let parts: Vec<CheckPartial> = (0..count)
        .map(|k| {
            let part = pollster::block_on(check_partial(
                tree,
                "fixture",
                &options,
                Shard::new(k, count).unwrap(),
                &mut |_| {},
            ));
            // Through JSON, as `episcope check --partial` writes it and `episcope merge` reads it.
            serde_json::from_str(&serde_json::to_string(&part).unwrap()).unwrap()
        })
        .collect();
    let merged = merge_in_random_order(parts, draw, |into, part| into.merge(part).unwrap());
    pollster::block_on(finish_check(tree, merged)).unwrap()
}

#[test]
fn every_fixture_checked_in_shards_and_merged_in_any_order_gives_the_unsharded_report() {
    let mut draw = Draw(14);
    let mut setups: Vec<(String, Setup)> =
        CASES.iter().map(|case| (format!("{} ({})", case.name, case.rule), (case.build)())).collect();
    setups.extend(clean_fixtures().into_iter().map(|(name, fixture)| (name.to_string(), fixture.into())));
    let mut compared = 0;
    for (name, setup) in setups {
        let tree = setup.fixture.tree();
        for count in [1u32, 2, 3, 7] {
            let skip_hashes_seed = draw.0;
            let report = sharded_report(&tree, setup.profile.clone(), count, &mut draw);
            // The unsharded report with the same hashing choice.
            let mut again = Draw(skip_hashes_seed);
            let options = CheckOptions { profile: setup.profile.clone(), skip_hashes: again.below(2) == 0 };
            let whole = pollster::block_on(check_dataset(&tree, "fixture", &options, &mut |_| {}));
            assert_eq!(report, whole, "{name}: {count} shards merged differ from the whole");
            compared += 1;
        }
    }
    assert!(compared > 4 * 60, "{compared} comparisons");
}

#[test]
fn parts_that_do_not_make_a_whole_are_refused() {
    use episcope_core::check::{check_partial, finish_check, CheckMergeError};
    use episcope_core::shard::Shard;
    let tree = v21().tree();
    let options = CheckOptions::default();
    let part =
        |k, n| pollster::block_on(check_partial(&tree, "fixture", &options, Shard::new(k, n).unwrap(), &mut |_| {}));
    let missing = pollster::block_on(finish_check(&tree, part(1, 3))).unwrap_err();
    assert_eq!(missing, CheckMergeError::Missing { missing: "0, 2".into(), count: 3 });
    assert_eq!(part(0, 3).merge(part(0, 3)).unwrap_err(), CheckMergeError::Overlap { shard: 0, count: 3 });
    assert_eq!(part(0, 3).merge(part(1, 2)).unwrap_err(), CheckMergeError::ShardCount { expected: 3, found: 2 });
    let other = v30().tree();
    let foreign =
        pollster::block_on(check_partial(&other, "fixture", &options, Shard::new(1, 2).unwrap(), &mut |_| {}));
    assert_eq!(part(0, 2).merge(foreign).unwrap_err(), CheckMergeError::DifferentDatasets);
    // Finished against a dataset that is not the one checked.
    let mut whole = part(0, 1);
    whole.files.pop();
    assert_eq!(pollster::block_on(finish_check(&tree, whole)).unwrap_err(), CheckMergeError::DatasetChanged);
}
