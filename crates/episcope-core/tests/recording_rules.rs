//! One fixture per recording readiness rule (`recording.*`), written by the independent `mcap`
//! Python writer (`tests/recordings/make_defects.py`), each with the exact findings it must give in
//! `defects/expected.json` as (rule, stream, count): the report holds exactly those, no more.
//! A fixture without an expectation, an expectation without a fixture, or a recording rule no
//! fixture breaks fails the suite. Truncated copies of every other format's fixtures are
//! `recording.unreadable` findings naming the file, never a panic.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;

use episcope_core::check::recording::recording_rule_count;
use episcope_core::check::{check_recording, CheckOptions, Family, Report, Verdict, RULES};
use episcope_core::{DatasetTree, MemorySource};

fn fixtures() -> PathBuf {
    std::env::var_os("EPISCOPE_RECORDING_FIXTURES")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/recordings")))
}

type Expected = BTreeMap<String, Vec<(String, Option<String>, u64)>>;

fn expected() -> Expected {
    let path = fixtures().join("defects/expected.json");
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).unwrap()
}

fn check(files: &[(&str, Vec<u8>)]) -> Report {
    let mut tree = DatasetTree::new();
    for (path, bytes) in files {
        tree.insert(path, Arc::new(MemorySource::new(bytes.clone()))).unwrap();
    }
    let options = CheckOptions { skip_hashes: true, ..Default::default() };
    pollster::block_on(check_recording(&tree, "fixture", &options, &mut |_| {}))
}

fn read(rel: &str) -> Vec<u8> {
    let path = fixtures().join(rel);
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn found(report: &Report) -> Vec<(String, Option<String>, u64)> {
    let mut out: Vec<_> =
        report.findings.iter().map(|f| (f.rule.clone(), f.location.feature.clone(), f.count)).collect();
    out.sort();
    out
}

#[test]
fn every_defect_fixture_gives_exactly_its_findings() {
    for (name, want) in expected() {
        let report = check(&[(name.as_str(), read(&format!("defects/{name}")))]);
        let mut want = want;
        want.sort();
        assert_eq!(found(&report), want, "{name}: {:#?}", report.findings);
        assert_eq!(report.rules_checked, recording_rule_count());
        assert_eq!(report.profile, "recording-readiness");
        let verdict = if want.is_empty() {
            Verdict::Pass
        } else if report.findings.iter().any(|f| f.severity == episcope_core::check::Severity::Error) {
            Verdict::Errors
        } else {
            Verdict::Warnings
        };
        assert_eq!(report.summary.verdict, verdict, "{name}");
        for finding in &report.findings {
            assert_eq!(finding.location.path.as_deref(), Some(name.as_str()), "{name}: {finding:?}");
        }
    }
}

#[test]
fn every_fixture_has_an_expectation_and_every_recording_rule_a_fixture() {
    let expected = expected();
    let on_disk: Vec<String> = std::fs::read_dir(fixtures().join("defects"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n != "expected.json")
        .collect();
    for name in &on_disk {
        assert!(expected.contains_key(name), "defects/{name} has no expectation in expected.json");
    }
    for name in expected.keys() {
        assert!(on_disk.contains(name), "expected.json names {name}, which is not in defects/");
    }
    let broken: Vec<&str> = expected.values().flatten().map(|(rule, _, _)| rule.as_str()).collect();
    for rule in RULES.iter().filter(|r| r.family == Family::Recording) {
        assert!(broken.contains(&rule.id), "no defect fixture breaks {}", rule.id);
    }
    assert!(expected["clean.mcap"].is_empty());
}

#[test]
fn findings_locate_the_message_and_say_what_was_found() {
    let gap = check(&[("gap.mcap", read("defects/gap.mcap"))]);
    let finding = &gap.findings[0];
    assert_eq!(finding.location.frame, Some(100), "{finding:?}");
    assert_eq!(finding.location.episode, Some(0));
    assert!(finding.message.contains("0.410 s") && finding.message.contains("100.0 Hz"), "{}", finding.message);
    let nan = check(&[("non_finite.mcap", read("defects/non_finite.mcap"))]);
    let shoulder =
        nan.findings.iter().find(|f| f.location.feature.as_deref() == Some("/joint_states shoulder")).unwrap();
    assert_eq!(shoulder.location.frame, Some(7));
    assert!(shoulder.message.contains("NaN"), "{}", shoulder.message);
    let wrist = nan.findings.iter().find(|f| f.location.feature.as_deref() == Some("/joint_states wrist")).unwrap();
    assert_eq!(wrist.location.frame, Some(9));
    assert!(wrist.message.contains("inf"), "{}", wrist.message);
    let crc = check(&[("bad_crc.mcap", read("defects/bad_crc.mcap"))]);
    assert!(crc.findings[0].message.contains("CRC-32"), "{}", crc.findings[0].message);
    assert!(crc.findings[0].message.contains("bad_crc.mcap"), "{}", crc.findings[0].message);
}

#[test]
fn clean_recordings_of_every_format_pass() {
    for rel in [
        "rosbag1/plain.bag",
        "rosbag1/bz2.bag",
        "rosbag1/lz4.bag",
        "rosbag2/joint_image/joint_image.db3",
        "rosbag2/joint_mcap/joint_mcap.mcap",
        "rosbag2/camera_pose/camera_pose.mcap",
        "rosbag2/split_mcap/split_mcap_1.mcap",
        "mcap/joint_zstd.mcap",
        "mcap/joint_lz4.mcap",
        "mcap/no_summary.mcap",
        "mcap/ros2idl.mcap",
        "hdf5/episode_0.hdf5",
        "hdf5/robomimic.hdf5",
        "hdf5/generic.hdf5",
    ] {
        let name = rel.rsplit('/').next().unwrap();
        let report = check(&[(name, read(rel))]);
        assert!(report.findings.is_empty(), "{rel}: {:#?}", report.findings);
        assert!(report.dataset.episodes >= 1, "{rel}");
    }
    let robomimic = check(&[("robomimic.hdf5", read("hdf5/robomimic.hdf5"))]);
    assert_eq!((robomimic.dataset.episodes, robomimic.dataset.frames), (2, 50));
}

#[test]
fn truncated_files_of_every_format_are_unreadable_findings_naming_the_file() {
    for rel in ["rosbag1/lz4.bag", "rosbag2/joint_image/joint_image.db3", "mcap/joint_lz4.mcap", "hdf5/episode_0.hdf5"]
    {
        let bytes = read(rel);
        let name = format!("cut-{}", rel.rsplit('/').next().unwrap());
        for keep in [bytes.len() / 3, bytes.len() / 2, bytes.len() - 1] {
            let report = check(&[(name.as_str(), bytes[..keep].to_vec())]);
            let rules: Vec<&str> = report.findings.iter().map(|f| f.rule.as_str()).collect();
            assert!(rules.contains(&"recording.unreadable"), "{rel} cut to {keep}: {:#?}", report.findings);
            let unreadable = report.findings.iter().find(|f| f.rule == "recording.unreadable").unwrap();
            assert!(unreadable.message.contains(&name), "{}", unreadable.message);
            assert_eq!(report.summary.verdict, Verdict::Errors);
        }
    }
}

#[test]
fn one_unreadable_file_does_not_hide_the_others() {
    let clean = read("defects/clean.mcap");
    let gap = read("defects/gap.mcap");
    let report = check(&[("a/bad.mcap", clean[..clean.len() / 2].to_vec()), ("b/gap.mcap", gap)]);
    let rules: Vec<(&str, Option<&str>)> =
        report.findings.iter().map(|f| (f.rule.as_str(), f.location.path.as_deref())).collect();
    assert_eq!(rules, [("recording.unreadable", Some("a/bad.mcap")), ("recording.gap", Some("b/gap.mcap"))]);
    // The cut MCAP still holds whole records before the cut: it is an episode too.
    assert_eq!(report.dataset.episodes, 2);
}

/// An MCAP cut short (a recorder that died: no footer, no end magic) opens with the messages of
/// the whole records before the cut — exactly those — and the check says where it was cut.
#[test]
fn an_mcap_cut_short_opens_with_the_records_before_the_cut() {
    use episcope_core::formats::mcap::{read_mcap_messages, read_mcap_summary};
    let whole = read("mcap/joint_lz4.mcap");
    let full = MemorySource::new(whole.clone());
    let full_summary = pollster::block_on(read_mcap_summary(&full)).unwrap();
    let all = pollster::block_on(read_mcap_messages(&full, &full_summary, None)).unwrap();
    let (mut seen_partial, mut seen_fewer) = (false, false);
    for keep in [whole.len() / 4, whole.len() / 2, whole.len() * 9 / 10] {
        let cut = MemorySource::new(whole[..keep].to_vec());
        let summary = pollster::block_on(read_mcap_summary(&cut)).unwrap_or_else(|e| panic!("cut to {keep}: {e}"));
        let at = summary.truncated_at_byte.expect("cut files say where");
        assert!(at <= keep as u64 && at >= 8, "{at}");
        let messages = pollster::block_on(read_mcap_messages(&cut, &summary, None)).unwrap();
        // A cut in the summary section loses no message.
        assert!(messages.len() <= all.len(), "cut to {keep}: {} of {}", messages.len(), all.len());
        seen_fewer |= messages.len() < all.len();
        // Exactly a prefix (in file order, which is time order here) of the whole file's messages.
        assert_eq!(messages[..], all[..messages.len()], "cut to {keep}");
        assert_eq!(summary.message_counts.values().sum::<u64>(), messages.len() as u64);
        seen_partial |= !messages.is_empty();
        let report = check(&[("cut.mcap", whole[..keep].to_vec())]);
        let finding = report.findings.iter().find(|f| f.rule == "recording.unreadable").expect("a finding");
        assert!(finding.message.contains(&format!("cut short at byte {at} of {keep}")), "{}", finding.message);
        assert_eq!(report.dataset.episodes, 1);
    }
    assert!(seen_partial && seen_fewer, "some cut kept some messages but not all");
}
