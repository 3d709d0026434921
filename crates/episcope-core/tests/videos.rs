//! The video checks (`video.*`) against the example datasets written by the official LeRobot writers
//! (`shared/datasets`, see its README.md), then against copies of them with one defect each, built
//! in memory: the defect is written next to each test.
//!
//! The folder is `$EPISCOPE_SHARED_DATASETS` if set, else `shared/datasets` beside the repository
//! folder. If it is missing these tests fail: they must never pass by not running.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use bytes::Bytes;
use episcope_core::check::videos::check_videos;
use episcope_core::check::{Finding, Findings, Location};
use episcope_core::lerobot::{open_dataset, Dataset};
use episcope_core::shard::Shard;
use episcope_core::DatasetTree;
use serde_json::Value;

const FRONT: &str = "observation.images.front";
const WRIST: &str = "observation.images.wrist";

fn shared_datasets() -> PathBuf {
    let dir = match std::env::var_os("EPISCOPE_SHARED_DATASETS") {
        Some(dir) => PathBuf::from(dir),
        None => PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/datasets"),
    };
    assert!(
        dir.join("README.md").is_file(),
        "the shared example datasets are missing: expected them at {} (set EPISCOPE_SHARED_DATASETS to their folder, \
         or check out `shared/` beside the repository folder)",
        dir.display()
    );
    dir
}

fn dataset_dir(name: &str) -> PathBuf {
    let dir = shared_datasets().join(name);
    assert!(dir.is_dir(), "dataset folder missing: {}", dir.display());
    dir
}

fn open(tree: &DatasetTree) -> Dataset {
    pollster::block_on(open_dataset(tree, &mut |_| {})).unwrap_or_else(|e| panic!("cannot open: {e}"))
}

fn check(tree: &DatasetTree, dataset: &Dataset) -> Vec<Finding> {
    let mut findings = Findings::default();
    for (_, found) in pollster::block_on(check_videos(tree, dataset, Shard::WHOLE)) {
        found.into_iter().for_each(|f| findings.absorb(f));
    }
    findings.into_sorted()
}

fn summary(findings: &[Finding]) -> Vec<String> {
    findings.iter().map(|f| format!("{} {:?}: {}", f.rule, f.location, f.message)).collect()
}

// --- the real datasets: no findings ---

#[test]
fn shared_datasets_have_no_video_findings() {
    for (name, video_files) in [
        ("v20_so101_video", 10),
        ("v21_so101_video", 10),
        ("v30_so101_video", 2),
        ("v20_so101_image", 0),
        ("v21_so101_image", 0),
        ("v30_so101_image", 0),
    ] {
        let tree = DatasetTree::from_dir(&dataset_dir(name)).unwrap().rooted_at_dataset();
        let dataset = open(&tree);
        let mut present: Vec<&str> =
            dataset.episodes.iter().flat_map(|e| &e.videos).filter(|v| v.present).map(|v| v.path.as_str()).collect();
        present.sort();
        present.dedup();
        assert_eq!(present.len(), video_files, "{name}: video files referenced and present");
        let video_bytes: u64 = present.iter().map(|p| tree.get(p).unwrap().size()).sum();

        let before = tree.io().bytes_read();
        let findings = check(&tree, &dataset);
        assert!(findings.is_empty(), "{name}: {:#?}", summary(&findings));
        // Only headers are read: nothing near the size of the media data.
        let read = tree.io().bytes_read() - before;
        assert!(read * 5 < video_bytes.max(1), "{name}: read {read} of {video_bytes} video bytes");
    }
}

// --- copies with one defect each ---

/// Every file of a shared dataset, read into memory so that one can be changed.
fn files_of(name: &str) -> BTreeMap<String, Bytes> {
    fn walk(root: &Path, dir: &Path, out: &mut BTreeMap<String, Bytes>) {
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
    let root = dataset_dir(name);
    let mut out = BTreeMap::new();
    walk(&root, &root, &mut out);
    out
}

fn check_files(files: BTreeMap<String, Bytes>) -> Vec<Finding> {
    let tree = DatasetTree::from_memory(files).unwrap();
    let dataset = open(&tree);
    check(&tree, &dataset)
}

/// Asserts the findings are exactly `expected` (rule id, path, feature, episode), in order.
fn assert_findings(findings: &[Finding], expected: &[(&str, &str, &str, Option<u64>)]) {
    let got: Vec<(&str, &str, &str, Option<u64>)> = findings
        .iter()
        .map(|f| {
            (
                f.rule.as_str(),
                f.location.path.as_deref().unwrap_or(""),
                f.location.feature.as_deref().unwrap_or(""),
                f.location.episode,
            )
        })
        .collect();
    assert_eq!(got, expected, "{:#?}", summary(findings));
}

fn v2_video(feature: &str, episode: u64) -> String {
    format!("videos/chunk-000/{feature}/episode_{episode:06}.mp4")
}

fn v3_video(feature: &str) -> String {
    format!("videos/{feature}/chunk-000/file-000.mp4")
}

/// Edits one video feature of `meta/info.json`.
fn edit_feature(files: &mut BTreeMap<String, Bytes>, feature: &str, edit: impl FnOnce(&mut Value)) {
    let mut info: Value = serde_json::from_slice(&files["meta/info.json"]).unwrap();
    edit(&mut info["features"][feature]);
    files.insert("meta/info.json".into(), Bytes::from(serde_json::to_vec_pretty(&info).unwrap()));
}

/// Every episode file of the front camera, in v2.x: one finding each.
fn each_front_episode(rule: &'static str) -> Vec<(&'static str, String, &'static str, Option<u64>)> {
    (0..5).map(|e| (rule, v2_video(FRONT, e), FRONT, Some(e))).collect()
}

fn as_expected<'a>(
    owned: &'a [(&'static str, String, &'static str, Option<u64>)],
) -> Vec<(&'a str, &'a str, &'a str, Option<u64>)> {
    owned.iter().map(|(r, p, f, e)| (*r, p.as_str(), *f, *e)).collect()
}

/// The body range of the box at `path` (e.g. moov/trak/mdia/mdhd), walking 32-bit box headers.
fn find_box(data: &[u8], path: &[&[u8; 4]]) -> std::ops::Range<usize> {
    let (mut start, mut end) = (0, data.len());
    'levels: for kind in path {
        let mut offset = start;
        while offset + 8 <= end {
            let size = u32::from_be_bytes(data[offset..offset + 4].try_into().unwrap()) as usize;
            assert!(size >= 8, "test fixture: unexpected box size {size}");
            if &data[offset + 4..offset + 8] == kind.as_slice() {
                (start, end) = (offset + 8, offset + size);
                continue 'levels;
            }
            offset += size;
        }
        panic!("test fixture: no `{}` box", String::from_utf8_lossy(kind.as_slice()));
    }
    start..end
}

fn put_u32(data: &mut [u8], at: usize, value: u32) {
    data[at..at + 4].copy_from_slice(&value.to_be_bytes());
}

fn get_u32(data: &[u8], at: usize) -> u32 {
    u32::from_be_bytes(data[at..at + 4].try_into().unwrap())
}

const MDHD: &[&[u8; 4]] = &[b"moov", b"trak", b"mdia", b"mdhd"];
const STTS: &[&[u8; 4]] = &[b"moov", b"trak", b"mdia", b"minf", b"stbl", b"stts"];

#[test]
fn a_video_replaced_by_text_is_unreadable() {
    // Defect: episode 1's front video is a text file.
    let mut files = files_of("v21_so101_video");
    files.insert(v2_video(FRONT, 1), Bytes::from_static(b"this is not a video\n"));
    let findings = check_files(files);
    assert_findings(&findings, &[("video.unreadable", &v2_video(FRONT, 1), FRONT, Some(1))]);
    assert_eq!(
        findings[0].message,
        "expected an MP4 video with a video track, but not an MP4 file: expected an ISO-BMFF box such as `ftyp` at \
         byte 0, found text \"this is not a vi\"… (20 bytes)"
    );
}

#[test]
fn truncated_videos_are_unreadable() {
    // Defect: episode 2's wrist video (v2.1, moov after mdat) and the v3.0 front file (moov before
    // mdat) are cut in half.
    let mut files = files_of("v21_so101_video");
    let path = v2_video(WRIST, 2);
    let half = files[&path].len() / 2;
    files.insert(path.clone(), files[&path].slice(..half));
    let findings = check_files(files);
    assert_findings(&findings, &[("video.unreadable", &path, WRIST, Some(2))]);
    assert!(
        findings[0].message.contains("the file is truncated: the `mdat` box at byte 40 declares"),
        "{}",
        findings[0].message
    );

    let mut files = files_of("v30_so101_video");
    let path = v3_video(FRONT);
    let half = files[&path].len() / 2;
    files.insert(path.clone(), files[&path].slice(..half));
    let findings = check_files(files);
    assert_findings(&findings, &[("video.unreadable", &path, FRONT, None)]);
}

#[test]
fn a_declared_video_fps_that_disagrees_with_the_video() {
    // Defect: the front camera's `video.fps` says 25; the videos (and the dataset) are 30 fps.
    let mut files = files_of("v21_so101_video");
    edit_feature(&mut files, FRONT, |f| f["info"]["video.fps"] = 25.into());
    let findings = check_files(files);
    assert_findings(&findings, &as_expected(&each_front_episode("video.fps")));
    assert_eq!(findings[0].message, "video is 30 fps (120 frames), but the feature's `video.fps` declares 25");
    assert_eq!(
        findings[0].fix,
        "Set `video.fps` of observation.images.front in meta/info.json to 30 (the video's frame rate)"
    );
}

#[test]
fn a_declared_codec_that_disagrees_with_the_video() {
    // Defect: the front camera's `video.codec` says h264; the videos are AV1.
    let mut files = files_of("v21_so101_video");
    edit_feature(&mut files, FRONT, |f| f["info"]["video.codec"] = "h264".into());
    let findings = check_files(files);
    assert_findings(&findings, &as_expected(&each_front_episode("video.codec")));
    assert_eq!(
        findings[0].message,
        "video is encoded as AV1 (`av01`), but the feature's `video.codec` declares `h264`"
    );

    // Not a defect: codec names compare case-insensitively (v2.0 keeps them under `info` too).
    let mut files = files_of("v20_so101_video");
    edit_feature(&mut files, WRIST, |f| f["info"]["video.codec"] = "AV1".into());
    assert_findings(&check_files(files), &[]);
}

#[test]
fn a_declared_shape_that_disagrees_with_the_video() {
    // Defect: the front camera's shape says 640x480; the videos are 128x96.
    let mut files = files_of("v21_so101_video");
    edit_feature(&mut files, FRONT, |f| f["shape"] = serde_json::json!([480, 640, 3]));
    let findings = check_files(files);
    assert_findings(&findings, &as_expected(&each_front_episode("video.size")));
    assert_eq!(
        findings[0].message,
        "video is 128x96 pixels (width x height), but the feature's shape [480, 640, 3] (height, width, channels) \
         declares 640x480"
    );
    assert_eq!(
        findings[0].fix,
        "Set `shape` of observation.images.front in meta/info.json to [96, 128, 3] to match the video, or re-encode \
         the video at 640x480"
    );

    // Not a defect: a channels-first shape whose names say so.
    let mut files = files_of("v21_so101_video");
    edit_feature(&mut files, FRONT, |f| {
        f["shape"] = serde_json::json!([3, 96, 128]);
        f["names"] = serde_json::json!(["channels", "height", "width"]);
    });
    assert_findings(&check_files(files), &[]);
}

#[test]
fn an_episode_longer_than_its_videos() {
    // Defect: meta/episodes.jsonl says episode 0 has 400 frames; its videos hold 120.
    let mut files = files_of("v21_so101_video");
    let text = String::from_utf8(files["meta/episodes.jsonl"].to_vec()).unwrap();
    let edited = text.replacen("\"length\": 120}", "\"length\": 400}", 1);
    assert_ne!(edited, text, "test fixture: episode 0's length not found");
    files.insert("meta/episodes.jsonl".into(), Bytes::from(edited));
    let findings = check_files(files);
    assert_findings(
        &findings,
        &[
            ("video.duration", &v2_video(FRONT, 0), FRONT, Some(0)),
            ("video.duration", &v2_video(WRIST, 0), WRIST, Some(0)),
        ],
    );
    assert_eq!(
        findings[0].message,
        "video lasts 4 s (120 frames), but episode 0 needs 13.333 s (400 frames at 30 fps)"
    );
}

#[test]
fn a_concatenated_video_at_the_wrong_frame_rate() {
    // Defect: the v3.0 front file's media timescale is 12800 instead of 15360, so its 990 frames of
    // 512 ticks play at 25 fps (and last 39.6 s, longer than the episodes need).
    let mut files = files_of("v30_so101_video");
    let path = v3_video(FRONT);
    let mut bytes = files[&path].to_vec();
    let mdhd = find_box(&bytes, MDHD);
    assert_eq!(get_u32(&bytes, mdhd.start + 12), 15360, "test fixture: timescale");
    put_u32(&mut bytes, mdhd.start + 12, 12800);
    files.insert(path.clone(), Bytes::from(bytes));
    let findings = check_files(files);
    assert_findings(&findings, &[("video.fps", &path, FRONT, None)]);
    assert_eq!(
        findings[0].message,
        "video is 25 fps (990 frames), but the dataset's `fps` in meta/info.json is 30 and the feature's `video.fps` \
         declares 30"
    );
    assert_eq!(
        findings[0].fix,
        "Re-encode the video at 30 fps (the dataset's fps): frames are fetched by timestamp at that rate"
    );
}

#[test]
fn a_concatenated_video_shorter_than_its_episodes() {
    // Defect: the v3.0 wrist file holds 900 frames (30 s) but the last episode ends at 33 s.
    let mut files = files_of("v30_so101_video");
    let path = v3_video(WRIST);
    let mut bytes = files[&path].to_vec();
    let mdhd = find_box(&bytes, MDHD);
    assert_eq!(get_u32(&bytes, mdhd.start + 16), 990 * 512, "test fixture: media duration");
    put_u32(&mut bytes, mdhd.start + 16, 900 * 512);
    let stts = find_box(&bytes, STTS);
    assert_eq!((get_u32(&bytes, stts.start + 4), get_u32(&bytes, stts.start + 8)), (1, 990), "test fixture: stts");
    put_u32(&mut bytes, stts.start + 8, 900);
    files.insert(path.clone(), Bytes::from(bytes));
    let findings = check_files(files);
    assert_findings(&findings, &[("video.duration", &path, WRIST, Some(4))]);
    assert_eq!(
        findings[0].message,
        "video lasts 30 s (900 frames), but episode 4 ends at 33 s in it (`videos/observation.images.wrist/to_timestamp` \
         in meta/episodes/)"
    );
    assert_eq!(findings[0].location, Location::file(path).feature(WRIST).episode(4));
}
