//! The statistics a LeRobot dataset stores about its features: `meta/stats.json` (v2.0, v3.0,
//! whole dataset), `meta/episodes_stats.jsonl` (v2.1, per episode) and the `stats/<feature>/<stat>`
//! columns of `meta/episodes/**/*.parquet` (v3.0, per episode).
//!
//! Every stat is flattened to a row-major `Vec<f64>` (image and video stats, stored per channel as
//! `[[[r]], [[g]], [[b]]]`, become 3 values). Files are read whole but bounded; whatever is of the
//! wrong type or shape becomes a [`Problem`] naming the file, the feature and the stat, and the rest
//! is still read.

use std::collections::{BTreeMap, BTreeSet};

use arrow_array::{Array, ArrayRef};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::dataset::{Dataset, Problem};
use super::info::MAX_FEATURE_VALUES;
use crate::columns::{flatten_numeric, FlatColumn};
use crate::parquet_io::ParquetFile;
use crate::tree::DatasetTree;

/// Stats files larger than this are refused (real ones are KiBs to a few MiB).
pub const MAX_STATS_FILE_BYTES: u64 = 512 * 1024 * 1024;
/// Whole-dataset stats, v2.0 and v3.0.
pub const GLOBAL_STATS_PATH: &str = "meta/stats.json";
/// Per-episode stats, v2.1.
pub const EPISODES_STATS_PATH: &str = "meta/episodes_stats.jsonl";
/// At most this many problems are listed per file; the rest are counted in one more line.
const PROBLEMS_LISTED_PER_FILE: usize = 20;
/// The stats every LeRobot writer stores for each feature.
const CORE_STATS: [&str; 4] = ["min", "max", "mean", "std"];

/// The stored stats of one feature (over the dataset, or over one episode).
///
/// Each stat is flattened row-major; a stat that is absent or could not be read is empty.
///
/// Serialized, NaN and ±infinity are the strings `"NaN"`, `"Infinity"`, `"-Infinity"` (JSON has no
/// such numbers, and `serde_json` would write `null` and then refuse to read it back).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct FeatureStats {
    #[serde(with = "lossless_floats")]
    pub min: Vec<f64>,
    #[serde(with = "lossless_floats")]
    pub max: Vec<f64>,
    #[serde(with = "lossless_floats")]
    pub mean: Vec<f64>,
    #[serde(with = "lossless_floats")]
    pub std: Vec<f64>,
    /// Frames (or sampled image frames) the stats were computed over; v2.0 does not store it.
    pub count: Option<u64>,
    /// Quantiles by name (`q01`, `q10`, `q50`, `q90`, `q99` from v3.0 writers), when present.
    #[serde(with = "lossless_float_map")]
    pub quantiles: BTreeMap<String, Vec<f64>>,
}

/// An `f64` that serializes NaN and ±infinity as strings and reads numbers, those strings or
/// `null` (as NaN).
struct LosslessFloat(f64);

impl Serialize for LosslessFloat {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self.0 {
            v if v.is_finite() => serializer.serialize_f64(v),
            v if v.is_nan() => serializer.serialize_str("NaN"),
            v if v > 0.0 => serializer.serialize_str("Infinity"),
            _ => serializer.serialize_str("-Infinity"),
        }
    }
}

impl<'de> Deserialize<'de> for LosslessFloat {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Visitor;
        impl serde::de::Visitor<'_> for Visitor {
            type Value = LosslessFloat;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a number, null, \"NaN\", \"Infinity\" or \"-Infinity\"")
            }
            fn visit_f64<E>(self, v: f64) -> Result<LosslessFloat, E> {
                Ok(LosslessFloat(v))
            }
            fn visit_i64<E>(self, v: i64) -> Result<LosslessFloat, E> {
                Ok(LosslessFloat(v as f64))
            }
            fn visit_u64<E>(self, v: u64) -> Result<LosslessFloat, E> {
                Ok(LosslessFloat(v as f64))
            }
            fn visit_unit<E>(self) -> Result<LosslessFloat, E> {
                Ok(LosslessFloat(f64::NAN))
            }
            fn visit_none<E>(self) -> Result<LosslessFloat, E> {
                Ok(LosslessFloat(f64::NAN))
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<LosslessFloat, E> {
                match v {
                    "NaN" => Ok(LosslessFloat(f64::NAN)),
                    "Infinity" => Ok(LosslessFloat(f64::INFINITY)),
                    "-Infinity" => Ok(LosslessFloat(f64::NEG_INFINITY)),
                    _ => Err(E::invalid_value(serde::de::Unexpected::Str(v), &self)),
                }
            }
        }
        deserializer.deserialize_any(Visitor)
    }
}

mod lossless_floats {
    use super::LosslessFloat;
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(values: &[f64], serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_seq(values.iter().map(|&v| LosslessFloat(v)))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Vec<f64>, D::Error> {
        Ok(Vec::<LosslessFloat>::deserialize(deserializer)?.into_iter().map(|v| v.0).collect())
    }
}

mod lossless_float_map {
    use std::collections::BTreeMap;

    use super::LosslessFloat;
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(map: &BTreeMap<String, Vec<f64>>, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_map(
            map.iter().map(|(k, values)| (k, values.iter().map(|&v| LosslessFloat(v)).collect::<Vec<_>>())),
        )
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<BTreeMap<String, Vec<f64>>, D::Error> {
        let map = BTreeMap::<String, Vec<LosslessFloat>>::deserialize(deserializer)?;
        Ok(map.into_iter().map(|(k, values)| (k, values.into_iter().map(|v| v.0).collect())).collect())
    }
}

impl FeatureStats {
    /// A stat by its stored name (`min`, `max`, `mean`, `std` or a quantile such as `q50`).
    pub fn stat(&self, name: &str) -> Option<&[f64]> {
        match name {
            "min" => Some(&self.min),
            "max" => Some(&self.max),
            "mean" => Some(&self.mean),
            "std" => Some(&self.std),
            other => self.quantiles.get(other).map(Vec::as_slice),
        }
    }
}

/// Everything a dataset stores about its features' statistics.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct StoredStats {
    /// Whole-dataset stats by feature (`meta/stats.json`).
    pub global: BTreeMap<String, FeatureStats>,
    /// Per-episode stats: episode index → feature → stats.
    pub per_episode: BTreeMap<u64, BTreeMap<String, FeatureStats>>,
    /// The file `global` was read from, if one was found.
    pub global_file: Option<String>,
    /// The files `per_episode` was read from: `meta/episodes_stats.jsonl` (v2.1), or the
    /// `meta/episodes/` parquet files with `stats/` columns (v3.0).
    pub per_episode_files: Vec<String>,
    pub problems: Vec<Problem>,
}

impl StoredStats {
    /// The stats of one feature of one episode.
    pub fn episode_feature(&self, episode: u64, feature: &str) -> Option<&FeatureStats> {
        self.per_episode.get(&episode)?.get(feature)
    }
}

/// Reads every stats source the dataset has. Never fails: what cannot be read is a problem.
pub async fn read_stored_stats(tree: &DatasetTree, dataset: &Dataset) -> StoredStats {
    let mut out = StoredStats::default();
    let global_path = dataset.stats.global_file.clone().or_else(|| {
        let path = GLOBAL_STATS_PATH.to_string();
        tree.contains(&path).then_some(path)
    });
    if let Some(path) = global_path {
        read_global_json(tree, &path, &mut out).await;
    }
    let per_episode_path = dataset.stats.per_episode_file.clone().or_else(|| {
        let path = EPISODES_STATS_PATH.to_string();
        tree.contains(&path).then_some(path)
    });
    if let Some(path) = per_episode_path {
        read_episodes_jsonl(tree, &path, &mut out).await;
    }
    if dataset.version.is_v3() {
        let files: Vec<String> = tree
            .files_under("meta/episodes/")
            .filter(|f| f.path.ends_with(".parquet"))
            .map(|f| f.path.clone())
            .collect();
        for path in files {
            read_episodes_parquet(tree, &path, &mut out).await;
        }
    }
    out
}

/// The problems found in one file, listing at most [`PROBLEMS_LISTED_PER_FILE`] of them.
struct FileProblems {
    path: String,
    listed: Vec<String>,
    more: usize,
}

impl FileProblems {
    fn new(path: &str) -> Self {
        Self { path: path.to_string(), listed: Vec::new(), more: 0 }
    }

    fn push(&mut self, message: String) {
        if self.listed.len() < PROBLEMS_LISTED_PER_FILE {
            self.listed.push(message);
        } else {
            self.more += 1;
        }
    }

    fn finish(self, problems: &mut Vec<Problem>) {
        let path = self.path;
        problems.extend(self.listed.into_iter().map(|message| Problem {
            rule: "meta.unreadable".into(),
            episode: None,
            path: path.clone(),
            message,
        }));
        if self.more > 0 {
            problems.push(Problem {
                rule: "meta.unreadable".into(),
                episode: None,
                path,
                message: format!("… and {} more problems like these", self.more),
            });
        }
    }
}

async fn read_stats_file(tree: &DatasetTree, path: &str, problems: &mut FileProblems) -> Option<bytes::Bytes> {
    match tree.read_all(path, MAX_STATS_FILE_BYTES).await {
        Ok(bytes) => Some(bytes),
        Err(e) => {
            problems.push(without_path(e.to_string(), path));
            None
        }
    }
}

/// Error texts end with `: <path>`, which the problem already carries.
fn without_path(text: String, path: &str) -> String {
    match text.strip_suffix(path).and_then(|t| t.strip_suffix(": ")) {
        Some(stripped) => stripped.to_string(),
        None => text,
    }
}

async fn read_global_json(tree: &DatasetTree, path: &str, out: &mut StoredStats) {
    let mut problems = FileProblems::new(path);
    if let Some(bytes) = read_stats_file(tree, path, &mut problems).await {
        match parse_json_lenient(&bytes) {
            Err(e) => problems.push(format!("invalid JSON ({e})")),
            Ok((value, non_standard)) => {
                if non_standard {
                    problems.push(NON_STANDARD_JSON.to_string());
                }
                match value {
                    Value::Object(features) => {
                        out.global = features_from_json(&features, "", &mut problems);
                        out.global_file = Some(path.to_string());
                    }
                    other => problems.push(format!(
                        "expected a JSON object of features at the top level, found {}",
                        json_kind(&other)
                    )),
                }
            }
        }
    }
    problems.finish(&mut out.problems);
}

const NON_STANDARD_JSON: &str =
    "holds NaN or Infinity, which is not standard JSON (Python writes it; strict parsers refuse it); read anyway";

async fn read_episodes_jsonl(tree: &DatasetTree, path: &str, out: &mut StoredStats) {
    let mut problems = FileProblems::new(path);
    if let Some(bytes) = read_stats_file(tree, path, &mut problems).await {
        if bytes.is_empty() {
            problems.push("file is empty (0 bytes)".to_string());
        }
        let mut non_standard_lines = Vec::new();
        let mut read_any = false;
        for (line_no, line) in bytes.split(|&b| b == b'\n').enumerate() {
            let line_no = line_no + 1;
            let line = line.strip_suffix(b"\r").unwrap_or(line);
            if line.iter().all(u8::is_ascii_whitespace) {
                continue;
            }
            let value = match parse_json_lenient(line) {
                Ok((value, non_standard)) => {
                    if non_standard {
                        non_standard_lines.push(line_no);
                    }
                    value
                }
                Err(e) => {
                    problems.push(format!("line {line_no}: invalid JSON ({e})"));
                    continue;
                }
            };
            let index = value.get("episode_index").and_then(as_index);
            let (Some(index), Some(Value::Object(features))) = (index, value.get("stats")) else {
                problems.push(format!(
                    "line {line_no}: expected {{\"episode_index\": integer, \"stats\": {{feature: {{stat: values}}}}}}"
                ));
                continue;
            };
            read_any = true;
            if out.per_episode.contains_key(&index) {
                problems.push(format!("line {line_no}: episode {index} has stats more than once; the first are used"));
                continue;
            }
            let stats = features_from_json(features, &format!("line {line_no} (episode {index}): "), &mut problems);
            out.per_episode.insert(index, stats);
        }
        match non_standard_lines.as_slice() {
            [] => {}
            [line] => problems.push(format!("line {line}: {NON_STANDARD_JSON}")),
            [first, rest @ ..] => {
                problems.push(format!("line {first} and {} more lines: {NON_STANDARD_JSON}", rest.len()))
            }
        }
        if read_any {
            out.per_episode_files.push(path.to_string());
        }
    }
    problems.finish(&mut out.problems);
}

fn as_index(value: &Value) -> Option<u64> {
    value.as_u64().or_else(|| value.as_f64().filter(|f| f.fract() == 0.0 && *f >= 0.0 && *f < 1e18).map(|f| f as u64))
}

/// Parses JSON; if that fails, retries with Python's `NaN`, `Infinity` and `-Infinity` literals
/// quoted (read as numbers by [`flatten_json`]). The flag tells whether the retry was needed.
fn parse_json_lenient(text: &[u8]) -> Result<(Value, bool), serde_json::Error> {
    match serde_json::from_slice(text) {
        Ok(value) => Ok((value, false)),
        Err(e) => match quote_non_finite_literals(text) {
            Some(quoted) => serde_json::from_slice(&quoted).map(|v| (v, true)).map_err(|_| e),
            None => Err(e),
        },
    }
}

/// Quotes `NaN`, `Infinity` and `-Infinity` outside strings; `None` when there are none. (In
/// standard JSON, `N` and `I` cannot appear outside strings, so any occurrence is such a literal.)
fn quote_non_finite_literals(text: &[u8]) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(text.len() + 16);
    let (mut in_string, mut escaped, mut changed) = (false, false, false);
    let mut i = 0;
    while i < text.len() {
        let byte = text[i];
        if in_string {
            if escaped {
                escaped = false;
            } else if byte == b'\\' {
                escaped = true;
            } else if byte == b'"' {
                in_string = false;
            }
        } else if byte == b'"' {
            in_string = true;
        } else if matches!(byte, b'N' | b'I' | b'-') {
            let literal = [&b"NaN"[..], b"Infinity", b"-Infinity"].into_iter().find(|l| text[i..].starts_with(l));
            if let Some(literal) = literal {
                out.push(b'"');
                out.extend_from_slice(literal);
                out.push(b'"');
                i += literal.len();
                changed = true;
                continue;
            }
        }
        out.push(byte);
        i += 1;
    }
    changed.then_some(out)
}

fn json_kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a bool",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// Where a stat goes in [`FeatureStats`].
#[derive(Debug, Clone, PartialEq, Eq)]
enum Slot {
    Core(usize),
    Count,
    Quantile,
    Other,
}

fn slot(stat: &str) -> Slot {
    if let Some(i) = CORE_STATS.iter().position(|&s| s == stat) {
        return Slot::Core(i);
    }
    if stat == "count" {
        return Slot::Count;
    }
    match stat.strip_prefix('q') {
        Some(digits) if !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()) => Slot::Quantile,
        _ => Slot::Other,
    }
}

fn set_values(stats: &mut FeatureStats, stat: &str, values: Vec<f64>) {
    match slot(stat) {
        Slot::Core(0) => stats.min = values,
        Slot::Core(1) => stats.max = values,
        Slot::Core(2) => stats.mean = values,
        Slot::Core(_) => stats.std = values,
        Slot::Quantile => {
            stats.quantiles.insert(stat.to_string(), values);
        }
        Slot::Count | Slot::Other => {}
    }
}

/// Why a JSON stat could not be flattened.
#[derive(Debug, Clone, PartialEq, Eq)]
enum FlattenError {
    NotNumber(&'static str),
    Ragged,
    TooMany(usize),
}

impl FlattenError {
    fn message(&self) -> String {
        match self {
            Self::NotNumber(kind) => format!("expected numbers or nested arrays of numbers, found {kind}"),
            Self::Ragged => "nested arrays of different shapes".to_string(),
            Self::TooMany(limit) => format!("more than {limit} values; ignored"),
        }
    }
}

/// Flattens a number or nested arrays of numbers row-major, checking the nesting is rectangular.
/// `null` reads as NaN, bools as 0/1, the strings `NaN`, `Infinity`, `-Infinity` as those numbers.
fn flatten_json(value: &Value, limit: usize) -> Result<Vec<f64>, FlattenError> {
    fn walk(value: &Value, out: &mut Vec<f64>, limit: usize) -> Result<Vec<usize>, FlattenError> {
        let number = match value {
            Value::Array(items) => {
                let mut shape: Option<Vec<usize>> = None;
                for item in items {
                    let inner = walk(item, out, limit)?;
                    match &shape {
                        None => shape = Some(inner),
                        Some(first) if *first != inner => return Err(FlattenError::Ragged),
                        Some(_) => {}
                    }
                }
                let mut shape = shape.unwrap_or_default();
                shape.insert(0, items.len());
                return Ok(shape);
            }
            Value::Number(n) => n.as_f64().unwrap_or(f64::NAN),
            Value::Null => f64::NAN,
            Value::Bool(b) => f64::from(u8::from(*b)),
            Value::String(s) => match s.as_str() {
                "NaN" => f64::NAN,
                "Infinity" => f64::INFINITY,
                "-Infinity" => f64::NEG_INFINITY,
                _ => return Err(FlattenError::NotNumber("a string")),
            },
            Value::Object(_) => return Err(FlattenError::NotNumber("an object")),
        };
        if out.len() >= limit {
            return Err(FlattenError::TooMany(limit));
        }
        out.push(number);
        Ok(Vec::new())
    }
    let mut out = Vec::new();
    walk(value, &mut out, limit)?;
    Ok(out)
}

fn max_values() -> usize {
    usize::try_from(MAX_FEATURE_VALUES).unwrap_or(usize::MAX)
}

/// `count` as one non-negative integer (`[n]` or `n`).
fn count_from_values(values: &[f64]) -> Option<u64> {
    match values {
        [n] if n.is_finite() && n.fract() == 0.0 && *n >= 0.0 && *n < 1.8e19 => Some(*n as u64),
        _ => None,
    }
}

/// Reads `{feature: {stat: values}}`. `prefix` locates the object in its file (a jsonl line).
fn features_from_json(
    features: &Map<String, Value>,
    prefix: &str,
    problems: &mut FileProblems,
) -> BTreeMap<String, FeatureStats> {
    features_from_json_limited(features, prefix, problems, max_values())
}

fn features_from_json_limited(
    features: &Map<String, Value>,
    prefix: &str,
    problems: &mut FileProblems,
    limit: usize,
) -> BTreeMap<String, FeatureStats> {
    let mut out = BTreeMap::new();
    for (feature, stats) in features {
        let Value::Object(stats) = stats else {
            problems
                .push(format!("{prefix}feature `{feature}`: expected an object of stats, found {}", json_kind(stats)));
            continue;
        };
        let mut read = FeatureStats::default();
        let mut present = BTreeSet::new();
        for (stat, value) in stats {
            if value.is_null() {
                continue;
            }
            let slot = slot(stat);
            if slot == Slot::Other {
                continue;
            }
            present.insert(stat.as_str());
            let values = match flatten_json(value, limit) {
                Ok(values) => values,
                Err(e) => {
                    problems.push(format!("{prefix}feature `{feature}`, stat `{stat}`: {}", e.message()));
                    continue;
                }
            };
            if slot == Slot::Count {
                read.count = count_from_values(&values);
                if read.count.is_none() {
                    problems.push(format!(
                        "{prefix}feature `{feature}`, stat `count`: expected one non-negative integer, found {value}"
                    ));
                }
            } else {
                set_values(&mut read, stat, values);
            }
        }
        let missing: Vec<&str> = CORE_STATS.iter().copied().filter(|s| !present.contains(s)).collect();
        if !missing.is_empty() {
            problems.push(format!("{prefix}feature `{feature}` has no {}", list_stats(&missing)));
        }
        if let Some(message) = length_mismatch(&read) {
            problems.push(format!("{prefix}feature `{feature}`: {message}"));
        }
        out.insert(feature.clone(), read);
    }
    out
}

fn list_stats(stats: &[&str]) -> String {
    stats.iter().map(|s| format!("`{s}`")).collect::<Vec<_>>().join(", ")
}

/// A message when the stats read for one feature do not all have the same number of values.
fn length_mismatch(stats: &FeatureStats) -> Option<String> {
    let lengths: Vec<(&str, usize)> = CORE_STATS
        .iter()
        .map(|&s| (s, stats.stat(s).map_or(0, <[f64]>::len)))
        .chain(stats.quantiles.iter().map(|(q, v)| (q.as_str(), v.len())))
        .filter(|(_, len)| *len > 0)
        .collect();
    let first = lengths.first()?.1;
    if lengths.iter().all(|(_, len)| *len == first) {
        return None;
    }
    let parts: Vec<String> = lengths.iter().map(|(s, len)| format!("{s} {len}")).collect();
    Some(format!("stats have different numbers of values ({})", parts.join(", ")))
}

/// One `stats/<feature>/<stat>` column of a v3.0 episodes file.
struct StatColumn {
    name: String,
    feature: String,
    stat: String,
}

/// `stats/<feature>/<stat>` → (feature, stat), split at the last `/`.
fn parse_stat_column(name: &str) -> Option<Option<(String, String)>> {
    let rest = name.strip_prefix("stats/")?;
    Some(
        rest.rsplit_once('/')
            .filter(|(feature, stat)| !feature.is_empty() && !stat.is_empty())
            .map(|(feature, stat)| (feature.to_string(), stat.to_string())),
    )
}

async fn read_episodes_parquet(tree: &DatasetTree, path: &str, out: &mut StoredStats) {
    let mut problems = FileProblems::new(path);
    read_episodes_parquet_into(tree, path, out, &mut problems).await;
    problems.finish(&mut out.problems);
}

async fn read_episodes_parquet_into(
    tree: &DatasetTree,
    path: &str,
    out: &mut StoredStats,
    problems: &mut FileProblems,
) {
    let Some(file) = tree.get(path) else { return };
    let parquet = match ParquetFile::open(file.source.clone(), path).await {
        Ok(parquet) => parquet,
        Err(e) => {
            problems.push(without_path(e.to_string(), path));
            return;
        }
    };
    let mut columns = Vec::new();
    for field in parquet.schema().fields() {
        match parse_stat_column(field.name()) {
            None => {}
            Some(None) => problems.push(format!("column `{}` is not named stats/<feature>/<stat>", field.name())),
            Some(Some((feature, stat))) if slot(&stat) != Slot::Other => {
                columns.push(StatColumn { name: field.name().clone(), feature, stat })
            }
            Some(Some(_)) => {}
        }
    }
    if columns.is_empty() {
        return;
    }
    if !parquet.has_column("episode_index") {
        problems.push("no `episode_index` column, so its stats cannot be attributed to episodes".to_string());
        return;
    }
    let mut by_feature: BTreeMap<&str, BTreeSet<&str>> = BTreeMap::new();
    for column in &columns {
        by_feature.entry(&column.feature).or_default().insert(&column.stat);
    }
    for (feature, stats) in &by_feature {
        let missing: Vec<&str> = CORE_STATS.iter().copied().filter(|s| !stats.contains(s)).collect();
        if !missing.is_empty() {
            problems.push(format!("feature `{feature}` has no {} column", list_stats(&missing)));
        }
    }
    let mut names: Vec<&str> = vec!["episode_index"];
    names.extend(columns.iter().map(|c| c.name.as_str()));
    let batches = match parquet.read(&names, None).await {
        Ok(batches) => batches,
        Err(e) => {
            problems.push(without_path(e.to_string(), path));
            return;
        }
    };
    out.per_episode_files.push(path.to_string());
    // Columns found unreadable and features found inconsistent: reported once per file.
    let mut bad_columns: BTreeSet<usize> = BTreeSet::new();
    let mut mismatched: BTreeSet<String> = BTreeSet::new();
    let mut first_row = 0usize;
    for batch in &batches {
        let rows = batch.num_rows();
        let indices = match batch.column_by_name("episode_index").map(|a| flatten_numeric("episode_index", a)) {
            Some(Ok(flat)) if flat.width == 1 => flat.values,
            _ => {
                problems.push("`episode_index` is not one integer per row".to_string());
                return;
            }
        };
        let mut flats: Vec<Option<(FlatColumn, ArrayRef)>> = Vec::with_capacity(columns.len());
        for (i, column) in columns.iter().enumerate() {
            let Some(array) = batch.column_by_name(&column.name) else {
                flats.push(None);
                continue;
            };
            let flat = match flatten_numeric(&column.name, array) {
                Ok(flat) if flat.width > max_values() => Err(FlattenError::TooMany(max_values()).message()),
                Ok(flat) if column.stat == "count" && flat.width != 1 && flat.rows > 0 => {
                    Err(format!("expected one non-negative integer per episode, found {} values", flat.width))
                }
                Ok(flat) => Ok(flat),
                Err(e) => Err(e.to_string()),
            };
            match flat {
                Ok(flat) => flats.push(Some((flat, array.clone()))),
                Err(message) => {
                    if bad_columns.insert(i) {
                        problems.push(format!("feature `{}`, stat `{}`: {message}", column.feature, column.stat));
                    }
                    flats.push(None);
                }
            }
        }
        for (row, index) in indices.iter().enumerate() {
            let row_no = first_row + row;
            let Some(index) = (index.is_finite() && index.fract() == 0.0 && *index >= 0.0).then_some(*index as u64)
            else {
                problems.push(format!("row {row_no}: null or invalid episode_index"));
                continue;
            };
            if out.per_episode.contains_key(&index) {
                problems.push(format!("row {row_no}: episode {index} has stats more than once; the first are used"));
                continue;
            }
            let mut episode: BTreeMap<String, FeatureStats> = BTreeMap::new();
            for (column, flat) in columns.iter().zip(&flats) {
                let stats = episode.entry(column.feature.clone()).or_default();
                let Some((flat, array)) = flat else { continue };
                if array.is_null(row) {
                    problems.push(format!(
                        "row {row_no} (episode {index}): feature `{}`, stat `{}` is null",
                        column.feature, column.stat
                    ));
                    continue;
                }
                let values = &flat.values[row * flat.width..(row + 1) * flat.width];
                if column.stat == "count" {
                    stats.count = count_from_values(values);
                    if stats.count.is_none() {
                        problems.push(format!(
                            "row {row_no} (episode {index}): feature `{}`, stat `count`: expected one \
                             non-negative integer, found {values:?}",
                            column.feature
                        ));
                    }
                } else {
                    set_values(stats, &column.stat, values.to_vec());
                }
            }
            for (feature, stats) in &episode {
                if let Some(message) = length_mismatch(stats) {
                    if mismatched.insert(feature.clone()) {
                        problems.push(format!("row {row_no} (episode {index}): feature `{feature}`: {message}"));
                    }
                }
            }
            out.per_episode.insert(index, episode);
        }
        first_row += rows;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn flattens_nested_arrays_row_major_and_checks_their_shape() {
        assert_eq!(flatten_json(&json!([[[0.1]], [[0.2]], [[0.3]]]), 10), Ok(vec![0.1, 0.2, 0.3]));
        assert_eq!(flatten_json(&json!([[1, 2], [3, 4]]), 10), Ok(vec![1.0, 2.0, 3.0, 4.0]));
        assert_eq!(flatten_json(&json!(5), 10), Ok(vec![5.0]));
        assert_eq!(flatten_json(&json!([]), 10), Ok(vec![]));
        assert_eq!(flatten_json(&json!([[1, 2], [3]]), 10), Err(FlattenError::Ragged));
        assert_eq!(flatten_json(&json!([[1], 2]), 10), Err(FlattenError::Ragged));
        assert_eq!(flatten_json(&json!([1, "x"]), 10), Err(FlattenError::NotNumber("a string")));
        assert_eq!(flatten_json(&json!([{"a": 1}]), 10), Err(FlattenError::NotNumber("an object")));
        assert_eq!(flatten_json(&json!([1, 2, 3]), 3), Ok(vec![1.0, 2.0, 3.0]));
        assert_eq!(flatten_json(&json!([1, 2, 3, 4]), 3), Err(FlattenError::TooMany(3)));
        let odd = flatten_json(&json!([null, true, false, "NaN", "-Infinity"]), 10).unwrap();
        assert!(odd[0].is_nan());
        assert_eq!(odd[1..3], [1.0, 0.0]);
        assert!(odd[3].is_nan());
        assert_eq!(odd[4], f64::NEG_INFINITY);
    }

    #[test]
    fn a_stat_with_too_many_values_is_ignored_with_a_problem() {
        let features = json!({"big": {"min": [1, 2, 3, 4], "max": [1, 2, 3], "mean": [1, 2, 3], "std": [1, 2, 3]}});
        let mut problems = FileProblems::new("meta/stats.json");
        let read = features_from_json_limited(features.as_object().unwrap(), "", &mut problems, 3);
        assert_eq!(read["big"].min, Vec::<f64>::new());
        assert_eq!(read["big"].max, vec![1.0, 2.0, 3.0]);
        assert_eq!(problems.listed, ["feature `big`, stat `min`: more than 3 values; ignored"]);
    }

    #[test]
    fn python_non_finite_literals_are_quoted_outside_strings_only() {
        let text = br#"{"a NaN \" Infinity": [NaN, -Infinity, Infinity, 1]}"#;
        assert!(serde_json::from_slice::<Value>(text).is_err());
        let (value, non_standard) = parse_json_lenient(text).unwrap();
        assert!(non_standard);
        let values = flatten_json(&value["a NaN \" Infinity"], 10).unwrap();
        assert!(values[0].is_nan());
        assert_eq!(values[1..], [f64::NEG_INFINITY, f64::INFINITY, 1.0]);
        assert_eq!(quote_non_finite_literals(br#"{"NaN": 1}"#), None);
        assert!(parse_json_lenient(b"{\"a\": [1,").is_err());
    }

    #[test]
    fn stat_column_names_split_at_the_last_slash() {
        assert_eq!(
            parse_stat_column("stats/observation.images.front/q01"),
            Some(Some(("observation.images.front".into(), "q01".into())))
        );
        assert_eq!(parse_stat_column("stats/a/b/max"), Some(Some(("a/b".into(), "max".into()))));
        assert_eq!(parse_stat_column("stats/nostat"), Some(None));
        assert_eq!(parse_stat_column("stats//min"), Some(None));
        assert_eq!(parse_stat_column("videos/x/chunk_index"), None);
        assert_eq!(slot("q50"), Slot::Quantile);
        assert_eq!(slot("q"), Slot::Other);
        assert_eq!(slot("quality"), Slot::Other);
    }

    #[test]
    fn non_finite_values_survive_a_json_round_trip() {
        let stats = FeatureStats {
            min: vec![f64::NAN, 1.5],
            max: vec![f64::INFINITY, f64::NEG_INFINITY],
            quantiles: [("q50".to_string(), vec![f64::NAN, 0.25])].into(),
            count: Some(3),
            ..FeatureStats::default()
        };
        let text = serde_json::to_string(&stats).unwrap();
        assert_eq!(
            text,
            r#"{"min":["NaN",1.5],"max":["Infinity","-Infinity"],"mean":[],"std":[],"count":3,"quantiles":{"q50":["NaN",0.25]}}"#
        );
        let back: FeatureStats = serde_json::from_str(&text).unwrap();
        assert_eq!(serde_json::to_string(&back).unwrap(), text);
        assert!(back.min[0].is_nan());
        let with_null: FeatureStats =
            serde_json::from_str(r#"{"min":[null,2],"max":[],"mean":[],"std":[],"count":null,"quantiles":{}}"#)
                .unwrap();
        assert!(with_null.min[0].is_nan() && with_null.min[1] == 2.0);
        assert!(serde_json::from_str::<FeatureStats>(
            r#"{"min":["x"],"max":[],"mean":[],"std":[],"count":null,"quantiles":{}}"#
        )
        .is_err());
    }

    #[test]
    fn problems_per_file_are_capped() {
        let mut problems = FileProblems::new("f");
        for i in 0..25 {
            problems.push(format!("p{i}"));
        }
        let mut out = Vec::new();
        problems.finish(&mut out);
        assert_eq!(out.len(), PROBLEMS_LISTED_PER_FILE + 1);
        assert_eq!(out.last().unwrap().message, "… and 5 more problems like these");
    }
}
