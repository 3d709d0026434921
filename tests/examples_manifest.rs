//! `public/examples/index.json` must list exactly the files of every bundled example with their
//! sizes (the worker trusts those sizes). Run with `EPISCOPE_BLESS=1` to rewrite it after adding
//! or changing an example.

use std::path::{Path, PathBuf};

use episcope_web::protocol::{BundledFile, Example, ExampleIndex};

/// Bundled examples: folder, title, version. Copies of ../shared/datasets (official LeRobot writers).
const EXAMPLES: [(&str, &str, &str); 3] = [
    ("v20_so101_video", "SO-101 arm with two cameras (v2.0)", "v2.0"),
    ("v21_so101_video", "SO-101 arm with two cameras (v2.1)", "v2.1"),
    ("v30_so101_video", "SO-101 arm with two cameras (v3.0)", "v3.0"),
];

fn list_files(root: &Path, dir: &Path, out: &mut Vec<BundledFile>) {
    let mut entries: Vec<_> = std::fs::read_dir(dir).unwrap().map(|e| e.unwrap().path()).collect();
    entries.sort();
    for path in entries {
        if path.is_dir() {
            list_files(root, &path, out);
        } else {
            let rel = path.strip_prefix(root).unwrap().to_string_lossy().replace('\\', "/");
            if rel == "README.md" {
                continue;
            }
            out.push(BundledFile { path: rel, size_bytes: std::fs::metadata(&path).unwrap().len() });
        }
    }
}

fn expected_index() -> ExampleIndex {
    let base = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("public/examples");
    let examples = EXAMPLES
        .iter()
        .map(|(id, title, version)| {
            let mut files = Vec::new();
            list_files(&base.join(id), &base.join(id), &mut files);
            files.sort_by(|a, b| a.path.cmp(&b.path));
            Example { id: id.to_string(), title: title.to_string(), version: version.to_string(), files }
        })
        .collect();
    ExampleIndex { examples }
}

#[test]
fn bundled_example_index_matches_the_files() {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("public/examples/index.json");
    let expected = expected_index();
    if std::env::var_os("EPISCOPE_BLESS").is_some() {
        std::fs::write(&path, serde_json::to_string_pretty(&expected).unwrap() + "\n").unwrap();
    }
    let text =
        std::fs::read_to_string(&path).expect("public/examples/index.json is missing; run with EPISCOPE_BLESS=1");
    let actual: ExampleIndex = serde_json::from_str(&text).unwrap();
    assert_eq!(actual, expected, "public/examples/index.json is stale; rerun with EPISCOPE_BLESS=1");
    for example in &expected.examples {
        assert!(example.files.iter().any(|f| f.path == "meta/info.json"), "{} has no meta/info.json", example.id);
    }
}
