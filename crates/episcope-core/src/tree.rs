//! The files of one dataset, keyed by their path relative to the dataset root, each a [`ByteSource`].
//!
//! The tree is built by whoever can list files (a browser folder pick, a native directory walk, a
//! test in memory); readers only look paths up in it and read ranges.

use std::collections::BTreeMap;
use std::sync::Arc;

use bytes::Bytes;

use crate::parquet_io::FooterCache;
use crate::source::{ByteSource, CountingSource, IoCounter, MemorySource, SourceError};

/// Why a path was not accepted into a tree.
#[derive(Debug, Clone, thiserror::Error, PartialEq, Eq)]
pub enum PathError {
    #[error("path is empty")]
    Empty,
    #[error("path is absolute or escapes the dataset folder: {path}")]
    Escapes { path: String },
}

/// Normalises a relative path to `a/b/c` form: `\` becomes `/`, `.` and empty parts drop out,
/// and any `..` or absolute path is refused.
pub fn normalize_path(path: &str) -> Result<String, PathError> {
    let unified = path.replace('\\', "/");
    if unified.starts_with('/') || unified.contains(':') && unified.chars().nth(1) == Some(':') {
        return Err(PathError::Escapes { path: path.to_string() });
    }
    let mut parts = Vec::new();
    for part in unified.split('/') {
        match part {
            "" | "." => {}
            ".." => return Err(PathError::Escapes { path: path.to_string() }),
            other => parts.push(other),
        }
    }
    if parts.is_empty() {
        return Err(PathError::Empty);
    }
    Ok(parts.join("/"))
}

/// One file of the tree.
#[derive(Clone)]
pub struct TreeFile {
    pub path: String,
    pub source: Arc<dyn ByteSource>,
}

impl TreeFile {
    pub fn size(&self) -> u64 {
        self.source.size()
    }
}

/// The files of a dataset by relative path, all reads counted.
#[derive(Clone, Default)]
pub struct DatasetTree {
    files: BTreeMap<String, TreeFile>,
    counter: Arc<IoCounter>,
    /// Parquet footers parsed by readers of this tree, for the next read of the same file.
    footers: FooterCache,
}

impl DatasetTree {
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a file. The path is normalised; paths with `..` are refused.
    pub fn insert(&mut self, path: &str, source: Arc<dyn ByteSource>) -> Result<(), PathError> {
        let path = normalize_path(path)?;
        // Sources need not be `Send`/`Sync` (browser `Blob`s are not); `Arc` is the type every
        // reader takes, so the lint's "use `Rc`" advice does not apply.
        #[allow(clippy::arc_with_non_send_sync)]
        let counted: Arc<dyn ByteSource> = Arc::new(CountingSource::new(source, self.counter.clone()));
        self.files.insert(path.clone(), TreeFile { path, source: counted });
        Ok(())
    }

    /// A tree of in-memory files (tests, fuzzing, bundled examples fetched whole).
    pub fn from_memory<P: AsRef<str>>(files: impl IntoIterator<Item = (P, Bytes)>) -> Result<Self, PathError> {
        let mut tree = Self::new();
        for (path, bytes) in files {
            tree.insert(path.as_ref(), Arc::new(MemorySource::new(bytes)))?;
        }
        Ok(tree)
    }

    pub fn get(&self, path: &str) -> Option<&TreeFile> {
        self.files.get(path)
    }

    pub fn contains(&self, path: &str) -> bool {
        self.files.contains_key(path)
    }

    pub fn files(&self) -> impl Iterator<Item = &TreeFile> {
        self.files.values()
    }

    /// Files whose path starts with `prefix` (a folder such as `data/`).
    pub fn files_under<'a>(&'a self, prefix: &'a str) -> impl Iterator<Item = &'a TreeFile> + 'a {
        self.files.range(prefix.to_string()..).take_while(move |(p, _)| p.starts_with(prefix)).map(|(_, f)| f)
    }

    pub fn len(&self) -> usize {
        self.files.len()
    }

    pub fn is_empty(&self) -> bool {
        self.files.is_empty()
    }

    pub fn total_size(&self) -> u64 {
        self.files.values().map(TreeFile::size).sum()
    }

    /// Bytes read through this tree so far (for "read only what is needed" checks and benchmarks).
    pub fn io(&self) -> &IoCounter {
        &self.counter
    }

    /// Parquet footers parsed from this tree's files, shared by its clones (bounded in bytes).
    pub fn footers(&self) -> &FooterCache {
        &self.footers
    }

    /// If the dataset sits one or more folders down (the user picked its parent, or the browser
    /// prefixed the picked folder's name), re-roots the tree at the shallowest `meta/info.json`.
    pub fn rooted_at_dataset(self) -> Self {
        if self.files.contains_key("meta/info.json") {
            return self;
        }
        let root = self
            .files
            .keys()
            .filter_map(|p| p.strip_suffix("meta/info.json"))
            .filter(|prefix| prefix.is_empty() || prefix.ends_with('/'))
            .min_by_key(|prefix| prefix.matches('/').count())
            .map(str::to_string);
        let Some(root) = root else { return self };
        let files = self
            .files
            .into_iter()
            .filter_map(|(path, file)| {
                let rel = path.strip_prefix(&root)?.to_string();
                Some((rel.clone(), TreeFile { path: rel, source: file.source }))
            })
            .collect();
        // Paths changed: footers cached under the old ones would never be found again.
        Self { files, counter: self.counter, footers: FooterCache::default() }
    }

    /// Reads a whole file, refusing files larger than `limit_bytes` (untrusted sizes stay bounded).
    pub async fn read_all(&self, path: &str, limit_bytes: u64) -> Result<Bytes, ReadFileError> {
        let file = self.get(path).ok_or_else(|| ReadFileError::Missing { path: path.to_string() })?;
        let size = file.size();
        if size > limit_bytes {
            return Err(ReadFileError::TooLarge { size, limit: limit_bytes, path: path.to_string() });
        }
        file.source.read_range(0..size).await.map_err(|source| ReadFileError::Source { source, path: path.to_string() })
    }
}

/// Why a whole file could not be read.
#[derive(Debug, Clone, thiserror::Error, PartialEq, Eq)]
pub enum ReadFileError {
    #[error("file is missing: {path}")]
    Missing { path: String },
    #[error("file is {size} bytes, more than the {limit}-byte limit for this kind of file: {path}")]
    TooLarge { size: u64, limit: u64, path: String },
    #[error("{source}: {path}")]
    Source { source: SourceError, path: String },
}

#[cfg(feature = "native")]
mod native {
    use super::*;
    use crate::source::NativeFileSource;
    use std::path::Path;

    /// Why a native folder could not be listed.
    #[derive(Debug, thiserror::Error)]
    pub enum ListError {
        #[error("cannot list folder ({reason}): {path}")]
        Io { reason: String, path: String },
    }

    impl DatasetTree {
        /// Lists a local folder (recursively, not following links out of it) into a tree. Files are
        /// opened lazily-read sources: nothing is read here but directory entries.
        pub fn from_dir(root: &Path) -> Result<Self, ListError> {
            let mut tree = Self::new();
            let mut stack = vec![root.to_path_buf()];
            while let Some(dir) = stack.pop() {
                let entries = std::fs::read_dir(&dir)
                    .map_err(|e| ListError::Io { reason: e.to_string(), path: dir.display().to_string() })?;
                for entry in entries {
                    let entry =
                        entry.map_err(|e| ListError::Io { reason: e.to_string(), path: dir.display().to_string() })?;
                    let path = entry.path();
                    let file_type = entry
                        .file_type()
                        .map_err(|e| ListError::Io { reason: e.to_string(), path: path.display().to_string() })?;
                    if file_type.is_dir() {
                        stack.push(path);
                    } else if file_type.is_file() {
                        let rel = path.strip_prefix(root).unwrap_or(&path).to_string_lossy().into_owned();
                        let source = NativeFileSource::open(&path)
                            .map_err(|e| ListError::Io { reason: e.to_string(), path: path.display().to_string() })?;
                        // Paths come from the file system below `root`, so they cannot escape it.
                        if let Ok(()) = tree.insert(&rel, Arc::new(source)) {}
                    }
                }
            }
            Ok(tree)
        }
    }
}

#[cfg(feature = "native")]
pub use native::ListError;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalize_refuses_escapes_and_cleans_separators() {
        assert_eq!(normalize_path("./meta\\info.json").unwrap(), "meta/info.json");
        assert_eq!(normalize_path("a//b/./c").unwrap(), "a/b/c");
        assert!(matches!(normalize_path("../etc/passwd"), Err(PathError::Escapes { .. })));
        assert!(matches!(normalize_path("a/../../b"), Err(PathError::Escapes { .. })));
        assert!(matches!(normalize_path("/abs"), Err(PathError::Escapes { .. })));
        assert!(matches!(normalize_path("C:/x"), Err(PathError::Escapes { .. })));
        assert_eq!(normalize_path("./"), Err(PathError::Empty));
    }

    #[test]
    fn rerooting_finds_the_shallowest_dataset() {
        let tree = DatasetTree::from_memory([
            ("picked/ds/meta/info.json", Bytes::from_static(b"{}")),
            ("picked/ds/data/x.parquet", Bytes::from_static(b"x")),
            ("picked/ds/sub/meta/info.json", Bytes::from_static(b"{}")),
            ("picked/other.txt", Bytes::from_static(b"o")),
        ])
        .unwrap()
        .rooted_at_dataset();
        let paths: Vec<_> = tree.files().map(|f| f.path.as_str()).collect();
        assert_eq!(paths, ["data/x.parquet", "meta/info.json", "sub/meta/info.json"]);
    }

    #[test]
    fn read_all_bounds_the_size() {
        let tree = DatasetTree::from_memory([("a.json", Bytes::from(vec![b' '; 100]))]).unwrap();
        assert!(pollster::block_on(tree.read_all("a.json", 100)).is_ok());
        let err = pollster::block_on(tree.read_all("a.json", 99)).unwrap_err();
        assert_eq!(err.to_string(), "file is 100 bytes, more than the 99-byte limit for this kind of file: a.json");
        assert_eq!(tree.io().bytes_read(), 100);
    }
}
