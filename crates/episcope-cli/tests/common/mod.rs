//! Helpers shared by the CLI's test files.

use std::path::PathBuf;

/// The official LeRobot v3.0 code's python (`scripts/ensure-loader.sh`): `$EPISCOPE_LOADER_PY`, else
/// the venv the test command creates. Missing, the test fails: it must never pass by not running.
pub fn loader_python() -> PathBuf {
    let python = std::env::var_os("EPISCOPE_LOADER_PY")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../.tools/loader-venv/bin/python"));
    assert!(
        python.is_file(),
        "the official LeRobot loader is not installed at {}: run scripts/test.sh (or `. scripts/ensure-loader.sh`)",
        python.display()
    );
    python
}
