//! The `episcope._episcope` extension module: the core's overview, checker, statistics, report,
//! converter and episode reader for Python, as JSON strings (the CLI's schemas; the Python layer
//! turns them into dicts) and Arrow streams. Every call releases the GIL while it works.

use std::path::{Path, PathBuf};

use arrow_array::ffi_stream::FFI_ArrowArrayStream;
use arrow_array::{RecordBatch, RecordBatchIterator, RecordBatchReader};
use arrow_schema::SchemaRef;
use episcope_core::check::{check_dataset, check_partial, check_recording, CheckOptions, Profile};
use episcope_core::convert::{LayoutOptions, Mapping};
use episcope_core::lerobot::{open_dataset, read_episode_table, Overview};
use episcope_core::local::{convert_to_folder, dataset_name, open_path, Converted, LocalError, LocalInput};
use episcope_core::partial::{finish, merge_parts, Merged, Part, PartialFile};
use episcope_core::recording::open_recording;
use episcope_core::shard::Shard;
use episcope_core::stats::{compute_dataset_stats, compute_stats_partial, StatsOptions};
use episcope_report::{
    compare_rows, render_compare_html, render_html, report_dataset, Date, FullReport, Lang, ReportOptions,
};
use pyo3::exceptions::{PyException, PyFileNotFoundError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::PyCapsule;

pyo3::create_exception!(
    _episcope,
    EpiscopeError,
    PyException,
    "A dataset or recording could not be read, checked or converted; `path` names the file."
);

/// Why a call failed, before it becomes a Python exception (built without the GIL).
enum Failure {
    NotFound(String),
    Invalid(String),
    /// A library error: its message ends with the offending path, also given alone.
    Dataset {
        message: String,
        path: Option<String>,
    },
}

impl Failure {
    fn from_message(message: String) -> Self {
        // Library errors end with the offending path (`…: data/chunk-000/file-000.parquet`).
        let path = message
            .rsplit_once(": ")
            .map(|(_, p)| p.trim_end_matches(')').to_string())
            .filter(|p| p.contains('/') || p.contains('.'));
        Failure::Dataset { message, path }
    }
}

impl From<LocalError> for Failure {
    fn from(e: LocalError) -> Self {
        match e {
            LocalError::NotFound { .. } => Failure::NotFound(e.to_string()),
            other => Failure::from_message(other.to_string()),
        }
    }
}

impl From<Failure> for PyErr {
    fn from(f: Failure) -> PyErr {
        match f {
            Failure::NotFound(message) => PyFileNotFoundError::new_err(message),
            Failure::Invalid(message) => PyValueError::new_err(message),
            Failure::Dataset { message, path } => Python::attach(|py| {
                let err = EpiscopeError::new_err(message.clone());
                let value = err.value(py);
                if value.setattr("path", path).is_err() {
                    return EpiscopeError::new_err(message);
                }
                err
            }),
        }
    }
}

fn to_json<T: serde::Serialize>(value: &T) -> Result<String, Failure> {
    serde_json::to_string(value).map_err(|e| Failure::Invalid(format!("cannot encode the answer as JSON: {e}")))
}

/// A file the caller named could not be read: missing, or not text.
fn read_failure(what: &str, e: &std::io::Error, path: &Path) -> Failure {
    let message = format!("cannot read {what} ({e}): {}", path.display());
    match e.kind() {
        std::io::ErrorKind::NotFound => Failure::NotFound(message),
        _ => Failure::Dataset { message, path: Some(path.display().to_string()) },
    }
}

fn read_profile(profile: Option<&Path>) -> Result<Option<Profile>, Failure> {
    let Some(path) = profile else { return Ok(None) };
    let text = std::fs::read_to_string(path).map_err(|e| read_failure("the profile", &e, path))?;
    Profile::parse(&text, &path.display().to_string()).map(Some).map_err(|e| Failure::from_message(e.to_string()))
}

/// A dataset's overview, or a recording's description, as JSON.
#[pyfunction]
fn info_json(py: Python<'_>, path: PathBuf) -> PyResult<String> {
    py.detach(|| -> Result<String, Failure> {
        match open_path(&path)? {
            LocalInput::Recording(tree) => {
                let recording =
                    pollster::block_on(open_recording(&tree)).map_err(|e| Failure::from_message(e.to_string()))?;
                to_json(&recording)
            }
            LocalInput::Dataset(tree) => {
                let dataset = pollster::block_on(open_dataset(&tree, &mut |_| {}))
                    .map_err(|e| Failure::from_message(e.to_string()))?;
                to_json(&Overview::new(&dataset_name(&path), &dataset, &tree))
            }
        }
    })
    .map_err(PyErr::from)
}

/// The conformance report (a dataset's) or the readiness report (a recording's), as JSON.
#[pyfunction]
#[pyo3(signature = (path, profile=None, skip_hashes=false))]
fn check_json(py: Python<'_>, path: PathBuf, profile: Option<PathBuf>, skip_hashes: bool) -> PyResult<String> {
    py.detach(|| -> Result<String, Failure> {
        let options = CheckOptions { profile: read_profile(profile.as_deref())?, skip_hashes };
        let name = dataset_name(&path);
        let report = match open_path(&path)? {
            LocalInput::Recording(tree) => pollster::block_on(check_recording(&tree, &name, &options, &mut |_| {})),
            LocalInput::Dataset(tree) => pollster::block_on(check_dataset(&tree, &name, &options, &mut |_| {})),
        };
        to_json(&report)
    })
    .map_err(PyErr::from)
}

/// Exact statistics over every frame of a dataset, as JSON.
#[pyfunction]
fn stats_json(py: Python<'_>, path: PathBuf) -> PyResult<String> {
    py.detach(|| -> Result<String, Failure> {
        let LocalInput::Dataset(tree) = open_path(&path)? else {
            return Err(Failure::Invalid(format!(
                "statistics are computed of LeRobot datasets; this is a recording: {}",
                path.display()
            )));
        };
        let dataset =
            pollster::block_on(open_dataset(&tree, &mut |_| {})).map_err(|e| Failure::from_message(e.to_string()))?;
        let stats = pollster::block_on(compute_dataset_stats(&tree, &dataset, &StatsOptions::default(), &mut |_| {
            std::ops::ControlFlow::Continue(())
        }))
        .map_err(|e| Failure::from_message(e.to_string()))?;
        to_json(&stats)
    })
    .map_err(PyErr::from)
}

fn shard_of((index, count): (u32, u32)) -> Result<Shard, Failure> {
    Shard::new(index, count).map_err(|e| Failure::Invalid(e.to_string()))
}

fn dataset_tree(path: &Path, what: &str) -> Result<episcope_core::DatasetTree, Failure> {
    match open_path(path)? {
        LocalInput::Dataset(tree) => Ok(tree),
        LocalInput::Recording(_) => Err(Failure::Invalid(format!(
            "{what} of LeRobot datasets are sharded; this is a recording (check it whole): {}",
            path.display()
        ))),
    }
}

fn source_of(path: &Path) -> Option<String> {
    Some(episcope_core::local::source_name(path))
}

/// Shard `shard` = (k, n) of a dataset's check, as the partial JSON `episcope check --partial` writes.
#[pyfunction]
#[pyo3(signature = (path, shard, profile=None, skip_hashes=false))]
fn check_partial_json(
    py: Python<'_>,
    path: PathBuf,
    shard: (u32, u32),
    profile: Option<PathBuf>,
    skip_hashes: bool,
) -> PyResult<String> {
    py.detach(|| -> Result<String, Failure> {
        let shard = shard_of(shard)?;
        let options = CheckOptions { profile: read_profile(profile.as_deref())?, skip_hashes };
        let tree = dataset_tree(&path, "checks")?;
        let part = pollster::block_on(check_partial(&tree, &dataset_name(&path), &options, shard, &mut |_| {}));
        to_json(&PartialFile::check(part, source_of(&path)))
    })
    .map_err(PyErr::from)
}

/// Shard `shard` = (k, n) of a dataset's statistics, as the partial JSON `episcope stats --partial` writes.
#[pyfunction]
fn stats_partial_json(py: Python<'_>, path: PathBuf, shard: (u32, u32)) -> PyResult<String> {
    py.detach(|| -> Result<String, Failure> {
        let shard = shard_of(shard)?;
        let tree = dataset_tree(&path, "statistics")?;
        let dataset =
            pollster::block_on(open_dataset(&tree, &mut |_| {})).map_err(|e| Failure::from_message(e.to_string()))?;
        let part =
            pollster::block_on(compute_stats_partial(&tree, &dataset, &StatsOptions::default(), shard, &mut |_| {
                std::ops::ControlFlow::Continue(())
            }))
            .map_err(|e| Failure::from_message(e.to_string()))?;
        to_json(&PartialFile::stats(part, source_of(&path)))
    })
    .map_err(PyErr::from)
}

/// Parts (partial JSON texts) merged: with `as_part`, into one part (JSON); else finished into the
/// report or statistics of the whole (a check's against `dataset`, or the folder the parts name).
#[pyfunction]
#[pyo3(signature = (parts, dataset=None, as_part=false))]
fn merge_json(py: Python<'_>, parts: Vec<String>, dataset: Option<PathBuf>, as_part: bool) -> PyResult<String> {
    py.detach(|| -> Result<String, Failure> {
        let parts = parts
            .iter()
            .enumerate()
            .map(|(i, text)| {
                serde_json::from_str::<PartialFile>(text)
                    .map_err(|e| Failure::Invalid(format!("part {i} is not a partial result ({e})")))
            })
            .collect::<Result<Vec<_>, _>>()?;
        let merged = merge_parts(parts).map_err(|e| Failure::Invalid(e.to_string()))?;
        if as_part {
            return to_json(&merged);
        }
        let tree = match (&merged.part, dataset.or_else(|| merged.source.clone().map(PathBuf::from))) {
            (Part::Stats(_), _) => None,
            (Part::Check(_), Some(dir)) => Some(dataset_tree(&dir, "checks")?),
            (Part::Check(_), None) => {
                return Err(Failure::Invalid("the parts name no dataset folder: pass dataset=".into()))
            }
        };
        match pollster::block_on(finish(merged, tree.as_ref())).map_err(|e| Failure::Invalid(e.to_string()))? {
            Merged::Check(report) => to_json(&report),
            Merged::Stats(stats) => to_json(&stats),
        }
    })
    .map_err(PyErr::from)
}

/// Reports (JSON texts: `check` or `report` results) side by side: the comparison's rows as JSON;
/// with `html`, also the comparison page written there.
#[pyfunction]
#[pyo3(signature = (reports, html=None, lang="en"))]
fn compare_json(py: Python<'_>, reports: Vec<String>, html: Option<PathBuf>, lang: &str) -> PyResult<String> {
    let lang: Lang =
        lang.parse().map_err(|_| PyValueError::new_err(format!("lang must be \"en\" or \"ja\", not {lang:?}")))?;
    py.detach(|| -> Result<String, Failure> {
        let reports = reports
            .iter()
            .enumerate()
            .map(|(i, text)| {
                serde_json::from_str::<FullReport>(text)
                    .map_err(|e| Failure::Invalid(format!("report {i} is not an episcope report ({e})")))
            })
            .collect::<Result<Vec<_>, _>>()?;
        if let Some(path) = &html {
            std::fs::write(path, render_compare_html(&reports, lang, Some(Date::today()))).map_err(|e| {
                Failure::Dataset {
                    message: format!("cannot write {} ({e})", path.display()),
                    path: Some(path.display().to_string()),
                }
            })?;
        }
        to_json(&compare_rows(&reports))
    })
    .map_err(PyErr::from)
}

/// The full plain-language report as JSON; with `html`, also written there as one self-contained
/// HTML file in `lang` (`en` or `ja`).
#[pyfunction]
#[pyo3(signature = (path, html=None, lang="en", profile=None, skip_hashes=false))]
fn report_json(
    py: Python<'_>,
    path: PathBuf,
    html: Option<PathBuf>,
    lang: &str,
    profile: Option<PathBuf>,
    skip_hashes: bool,
) -> PyResult<String> {
    let lang: Lang =
        lang.parse().map_err(|_| PyValueError::new_err(format!("lang must be \"en\" or \"ja\", not {lang:?}")))?;
    py.detach(|| -> Result<String, Failure> {
        let LocalInput::Dataset(tree) = open_path(&path)? else {
            return Err(Failure::Invalid(format!(
                "the report is of LeRobot datasets; for a recording use check(): {}",
                path.display()
            )));
        };
        let options = ReportOptions {
            check: CheckOptions { profile: read_profile(profile.as_deref())?, skip_hashes },
            skip_statistics: false,
            generated_on: Some(Date::today()),
        };
        let report = pollster::block_on(report_dataset(&tree, &dataset_name(&path), &options));
        if let Some(html) = &html {
            std::fs::write(html, render_html(&report, lang))
                .map_err(|e| Failure::from_message(format!("cannot write the report ({e}): {}", html.display())))?;
        }
        to_json(&report)
    })
    .map_err(PyErr::from)
}

/// Converts a recording (by `mapping`, a TOML file, or the suggested mapping) or a LeRobot
/// dataset into a new LeRobot v3.0 dataset at `out`, checks it and answers what was written and
/// the check's report, as JSON. Nothing is left at `out` if it fails.
#[pyfunction]
#[pyo3(signature = (src, out, mapping=None, chunks_size=None, data_files_size_in_mb=None))]
fn convert_json(
    py: Python<'_>,
    src: PathBuf,
    out: PathBuf,
    mapping: Option<PathBuf>,
    chunks_size: Option<u64>,
    data_files_size_in_mb: Option<u64>,
) -> PyResult<String> {
    py.detach(|| -> Result<String, Failure> {
        let input = open_path(&src)?;
        let mapping = match &mapping {
            Some(_) if matches!(input, LocalInput::Dataset(_)) => {
                return Err(LocalError::MappingForDataset { path: src.display().to_string() }.into());
            }
            Some(path) => {
                let text = std::fs::read_to_string(path).map_err(|e| read_failure("the mapping", &e, path))?;
                Some(
                    Mapping::parse(&text, &path.display().to_string())
                        .map_err(|e| Failure::from_message(e.to_string()))?,
                )
            }
            None => None,
        };
        let default = LayoutOptions::default();
        let layout = LayoutOptions {
            chunks_size: chunks_size.unwrap_or(default.chunks_size).max(1),
            data_files_size_in_mb: data_files_size_in_mb.unwrap_or(default.data_files_size_in_mb).max(1),
        };
        let conversion =
            pollster::block_on(convert_to_folder(&input, &src, &out, mapping, layout, &mut |_| {}, &|| false))?;
        let (written, kind, notes) = match &conversion.converted {
            Converted::Dataset { source_version, summary, .. } => (
                &summary.written,
                format!("LeRobot {source_version}"),
                summary
                    .stats_omitted
                    .iter()
                    .map(|f| format!("{f}: the source stores no per-episode stats of it; written without them"))
                    .collect::<Vec<_>>(),
            ),
            Converted::Recording { summary, notes, .. } => {
                let mut notes = notes.clone();
                for flagged in &summary.flagged {
                    notes.push(format!(
                        "episode {}: {} frames of {} have no sample within the tolerance",
                        flagged.episode, flagged.frames, flagged.feature
                    ));
                }
                for (file, why) in &summary.skipped {
                    notes.push(format!("skipped {file}: {why}"));
                }
                (&summary.written, "recording".to_string(), notes)
            }
        };
        let mapping_toml = match &conversion.converted {
            Converted::Recording { mapping, .. } => Some(mapping.to_toml()),
            Converted::Dataset { .. } => None,
        };
        to_json(&serde_json::json!({
            "out": out.display().to_string(),
            "source": kind,
            "episodes": written.total_episodes,
            "frames": written.total_frames,
            "tasks": written.tasks,
            "files": written.files.iter().map(|f| &f.path).collect::<Vec<_>>(),
            "bytes_written": written.bytes_written(),
            "mapping": mapping_toml,
            "notes": notes,
            "report": conversion.report,
        }))
    })
    .map_err(PyErr::from)
}

/// One episode's rows as an Arrow stream (the Arrow PyCapsule interface): `pyarrow.table(it)`,
/// `polars.from_arrow(it)`, … read it without copying the buffers.
#[pyclass(module = "episcope._episcope", frozen)]
struct EpisodeTable {
    schema: SchemaRef,
    batches: std::sync::Mutex<Option<Vec<RecordBatch>>>,
}

#[pymethods]
impl EpisodeTable {
    /// Exports the rows once as an `ArrowArrayStream` capsule. `requested_schema` is not
    /// supported (the stored types are given as they are).
    #[pyo3(signature = (requested_schema=None))]
    fn __arrow_c_stream__<'py>(
        &self,
        py: Python<'py>,
        requested_schema: Option<Bound<'py, PyAny>>,
    ) -> PyResult<Bound<'py, PyCapsule>> {
        if requested_schema.is_some_and(|s| !s.is_none()) {
            return Err(PyValueError::new_err("requested_schema is not supported; the stored types are exported"));
        }
        let batches = self
            .batches
            .lock()
            .map_err(|_| PyValueError::new_err("the episode table is unusable after a panic"))?
            .take()
            .ok_or_else(|| PyValueError::new_err("this episode table was already exported"))?;
        let reader: Box<dyn RecordBatchReader + Send> =
            Box::new(RecordBatchIterator::new(batches.into_iter().map(Ok), self.schema.clone()));
        let stream = FFI_ArrowArrayStream::new(reader);
        // The consumer moves the stream out (its `release` becomes null); the capsule's destructor
        // then drops an empty stream, or releases one nobody took.
        PyCapsule::new_with_value(py, stream, c"arrow_array_stream")
    }

    /// Rows of the episode.
    #[getter]
    fn num_rows(&self) -> usize {
        self.batches
            .lock()
            .ok()
            .and_then(|b| b.as_ref().map(|b| b.iter().map(RecordBatch::num_rows).sum()))
            .unwrap_or(0)
    }
}

/// Episode `index` of the dataset at `path`: every stored column (`features` None) or the named
/// features plus the index columns, as an Arrow stream of the stored types.
#[pyfunction]
#[pyo3(signature = (path, index, features=None))]
fn read_episode_stream(
    py: Python<'_>,
    path: PathBuf,
    index: u64,
    features: Option<Vec<String>>,
) -> PyResult<EpisodeTable> {
    py.detach(|| -> Result<EpisodeTable, Failure> {
        let LocalInput::Dataset(tree) = open_path(&path)? else {
            return Err(Failure::Invalid(format!(
                "read_episode reads LeRobot datasets; this is a recording: {}",
                path.display()
            )));
        };
        let dataset =
            pollster::block_on(open_dataset(&tree, &mut |_| {})).map_err(|e| Failure::from_message(e.to_string()))?;
        let features = features.unwrap_or_default();
        let (schema, batches) = pollster::block_on(read_episode_table(&tree, &dataset, index, &features))
            .map_err(|e| Failure::from_message(e.to_string()))?;
        Ok(EpisodeTable { schema, batches: std::sync::Mutex::new(Some(batches)) })
    })
    .map_err(PyErr::from)
}

#[pymodule]
fn _episcope(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add("EpiscopeError", m.py().get_type::<EpiscopeError>())?;
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    m.add_function(wrap_pyfunction!(info_json, m)?)?;
    m.add_function(wrap_pyfunction!(check_json, m)?)?;
    m.add_function(wrap_pyfunction!(stats_json, m)?)?;
    m.add_function(wrap_pyfunction!(check_partial_json, m)?)?;
    m.add_function(wrap_pyfunction!(stats_partial_json, m)?)?;
    m.add_function(wrap_pyfunction!(merge_json, m)?)?;
    m.add_function(wrap_pyfunction!(compare_json, m)?)?;
    m.add_function(wrap_pyfunction!(report_json, m)?)?;
    m.add_function(wrap_pyfunction!(convert_json, m)?)?;
    m.add_function(wrap_pyfunction!(read_episode_stream, m)?)?;
    m.add_class::<EpisodeTable>()?;
    Ok(())
}
