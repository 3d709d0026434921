//! Builds the tree of a dataset on a host that cannot list its files (a static web server): the
//! files are found from what the metadata names, each probed by path.
//!
//! A listing shows every file; without one, the tree holds `meta/info.json`, the metadata files a
//! LeRobot writer puts beside it, the v3.0 episode-metadata files (probed in order until one is
//! missing, as the writer numbers them) and every data and video file the episodes name. A file
//! the metadata does not name is not seen, so checks about stray files cannot fire. The metadata
//! is read once: what discovery read is kept (within a budget) and served again to the opener.

use std::collections::HashMap;
use std::ops::Range;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use bytes::Bytes;
use futures_util::stream::{self, StreamExt};

use super::dataset::{open_dataset, MAX_INFO_JSON_BYTES};
use super::info::Info;
use crate::source::{ByteSource, LocalBoxFuture, SourceError};
use crate::tree::DatasetTree;

/// Finds one file of a dataset by its path below the dataset root.
pub trait Locator {
    /// The file at `path`, or `None` when the host says there is none (HTTP 404).
    fn locate<'a>(&'a self, path: &'a str) -> LocalBoxFuture<'a, Result<Option<Arc<dyn ByteSource>>, SourceError>>;
}

/// Why a dataset could not be discovered.
#[derive(Debug, Clone, thiserror::Error, PartialEq, Eq)]
pub enum DiscoverError {
    #[error("{source}: {path}")]
    Source { source: SourceError, path: String },
    #[error("the metadata names {count} files, more than the {limit} probed at most")]
    TooManyFiles { count: usize, limit: usize },
}

/// Metadata files a LeRobot writer puts beside `meta/info.json` (v2.0, v2.1 and v3.0 together).
pub const BESIDE_INFO: [&str; 6] = [
    "README.md",
    "meta/stats.json",
    "meta/tasks.jsonl",
    "meta/tasks.parquet",
    "meta/episodes.jsonl",
    "meta/episodes_stats.jsonl",
];

/// Files probed at most (metadata, data and videos together).
pub const MAX_PROBED_FILES: usize = 200_000;
/// Probes in flight at once.
pub const CONCURRENT_PROBES: usize = 16;
/// Bytes of metadata read during discovery kept for the opener.
pub const MEMO_BUDGET_BYTES: u64 = 64 * 1024 * 1024;

/// The v3.0 episode-metadata path of a chunk and file index (fixed by the writer, not templated).
pub fn episodes_meta_path(chunk: u64, file: u64) -> String {
    format!("meta/episodes/chunk-{chunk:03}/file-{file:03}.parquet")
}

/// Discovers the dataset `locator` serves. With no `meta/info.json` the tree is empty (opening it
/// then says there is no dataset there).
pub async fn discover_dataset(locator: &dyn Locator) -> Result<DatasetTree, DiscoverError> {
    let budget = Arc::new(AtomicU64::new(MEMO_BUDGET_BYTES));
    let memo = |source: Arc<dyn ByteSource>| -> Arc<dyn ByteSource> {
        #[allow(clippy::arc_with_non_send_sync)]
        Arc::new(MemoSource::new(source, budget.clone()))
    };
    let locate = |path: String| async move {
        match locator.locate(&path).await {
            Ok(found) => Ok(found.map(|source| (path, source))),
            Err(source) => Err(DiscoverError::Source { source, path }),
        }
    };
    let Some((_, info_source)) = locate("meta/info.json".to_string()).await? else {
        return Ok(DatasetTree::new());
    };
    let info_source = memo(info_source);
    let mut found: Vec<(String, Arc<dyn ByteSource>)> = vec![("meta/info.json".to_string(), info_source.clone())];
    let beside: Vec<_> =
        stream::iter(BESIDE_INFO.iter().map(|p| locate(p.to_string()))).buffered(CONCURRENT_PROBES).collect().await;
    for file in beside {
        if let Some((path, source)) = file? {
            found.push((path, memo(source)));
        }
    }

    // v3.0 (or a version the info does not say): the episode-metadata files, in the writer's order.
    let info = read_info(&info_source).await;
    let chunk_files = info.as_ref().and_then(|i| i.chunks_size).filter(|&c| c > 0).unwrap_or(1000);
    let is_v2 = info.as_ref().and_then(|i| i.version).is_some_and(|v| !v.is_v3());
    if !is_v2 {
        let (mut chunk, mut file) = (0u64, 0u64);
        while found.len() < MAX_PROBED_FILES {
            match locate(episodes_meta_path(chunk, file)).await? {
                Some((path, source)) => found.push((path, memo(source))),
                None => break,
            }
            file += 1;
            if file == chunk_files {
                (chunk, file) = (chunk + 1, 0);
            }
        }
    }

    let tree_of = |files: &[(String, Arc<dyn ByteSource>)]| {
        let mut tree = DatasetTree::new();
        for (path, source) in files {
            // Paths are the writer's fixed names and filled templates; one that would escape the
            // dataset folder is not fetched at all.
            let _ = tree.insert(path, source.clone());
        }
        tree
    };
    let metadata_tree = tree_of(&found);
    let Ok(dataset) = open_dataset(&metadata_tree, &mut |_| {}).await else {
        return Ok(metadata_tree);
    };
    let wanted: Vec<String> = dataset
        .referenced_files
        .iter()
        .filter(|p| !metadata_tree.contains(p) && crate::tree::normalize_path(p).is_ok())
        .cloned()
        .collect();
    if found.len() + wanted.len() > MAX_PROBED_FILES {
        return Err(DiscoverError::TooManyFiles { count: found.len() + wanted.len(), limit: MAX_PROBED_FILES });
    }
    let referenced: Vec<_> = stream::iter(wanted.into_iter().map(locate)).buffered(CONCURRENT_PROBES).collect().await;
    for file in referenced {
        if let Some(entry) = file? {
            found.push(entry);
        }
    }
    Ok(tree_of(&found))
}

async fn read_info(source: &Arc<dyn ByteSource>) -> Option<Info> {
    let size = source.size();
    if size > MAX_INFO_JSON_BYTES {
        return None;
    }
    let bytes = source.read_range(0..size).await.ok()?;
    Info::parse(&bytes, "meta/info.json").ok().map(|(info, _)| info)
}

/// A source whose reads are kept (exact ranges, within a shared byte budget) and served again: the
/// metadata discovery read is not fetched a second time by the opener.
pub struct MemoSource {
    inner: Arc<dyn ByteSource>,
    kept: Mutex<HashMap<(u64, u64), Bytes>>,
    budget: Arc<AtomicU64>,
}

impl MemoSource {
    pub fn new(inner: Arc<dyn ByteSource>, budget: Arc<AtomicU64>) -> Self {
        Self { inner, kept: Mutex::new(HashMap::new()), budget }
    }

    fn kept(&self, range: &Range<u64>) -> Option<Bytes> {
        self.kept.lock().ok()?.get(&(range.start, range.end)).cloned()
    }

    fn keep(&self, range: &Range<u64>, bytes: &Bytes) {
        let len = bytes.len() as u64;
        let took = self.budget.fetch_update(Ordering::Relaxed, Ordering::Relaxed, |left| left.checked_sub(len));
        if took.is_ok() {
            if let Ok(mut kept) = self.kept.lock() {
                kept.insert((range.start, range.end), bytes.clone());
            }
        }
    }
}

impl ByteSource for MemoSource {
    fn size(&self) -> u64 {
        self.inner.size()
    }

    fn read_range(&self, range: Range<u64>) -> LocalBoxFuture<'_, Result<Bytes, SourceError>> {
        Box::pin(async move {
            if let Some(bytes) = self.kept(&range) {
                return Ok(bytes);
            }
            let bytes = self.inner.read_range(range.clone()).await?;
            self.keep(&range, &bytes);
            Ok(bytes)
        })
    }

    fn request_cost_bytes(&self) -> u64 {
        self.inner.request_cost_bytes()
    }
}

#[cfg(test)]
// Sources need not be `Send` (browser `Blob`s are not); `Arc` is what the tree takes.
#[allow(clippy::arc_with_non_send_sync)]
mod tests {
    use super::*;
    use crate::source::{CountingSource, IoCounter, MemorySource};

    /// A host without a listing: answers for the paths it holds, counting what is read.
    struct Host {
        tree: DatasetTree,
        read: Arc<IoCounter>,
        probes: Mutex<Vec<String>>,
    }

    impl Locator for Host {
        fn locate<'a>(&'a self, path: &'a str) -> LocalBoxFuture<'a, Result<Option<Arc<dyn ByteSource>>, SourceError>> {
            self.probes.lock().unwrap().push(path.to_string());
            let found = self.tree.get(path).map(|f| {
                let counted: Arc<dyn ByteSource> = Arc::new(CountingSource::new(f.source.clone(), self.read.clone()));
                counted
            });
            Box::pin(std::future::ready(Ok(found)))
        }
    }

    fn host_of(tree: DatasetTree) -> Host {
        Host { tree, read: Arc::new(IoCounter::default()), probes: Mutex::new(Vec::new()) }
    }

    fn memory_tree(files: &[(&str, Vec<u8>)]) -> DatasetTree {
        let mut tree = DatasetTree::new();
        for (path, bytes) in files {
            tree.insert(path, Arc::new(MemorySource::new(bytes.clone()))).unwrap();
        }
        tree
    }

    #[test]
    fn a_host_without_info_json_gives_an_empty_tree() {
        let host = host_of(memory_tree(&[("data/x.parquet", b"x".to_vec())]));
        let tree = pollster::block_on(discover_dataset(&host)).unwrap();
        assert!(tree.is_empty());
        assert_eq!(host.probes.lock().unwrap().as_slice(), ["meta/info.json"]);
    }

    #[test]
    fn a_v2_dataset_is_found_from_its_episodes_and_templates() {
        let info = br#"{"codebase_version": "v2.1", "fps": 10, "chunks_size": 1000,
            "data_path": "data/chunk-{episode_chunk:03d}/episode_{episode_index:06d}.parquet",
            "video_path": "videos/chunk-{episode_chunk:03d}/{video_key}/episode_{episode_index:06d}.mp4",
            "features": {"cam": {"dtype": "video", "shape": [2, 2, 3]}}}"#;
        let episodes = b"{\"episode_index\": 0, \"length\": 3}\n{\"episode_index\": 1, \"length\": 3}\n";
        let host = host_of(memory_tree(&[
            ("meta/info.json", info.to_vec()),
            ("meta/episodes.jsonl", episodes.to_vec()),
            ("meta/tasks.jsonl", b"{\"task_index\": 0, \"task\": \"t\"}\n".to_vec()),
            ("data/chunk-000/episode_000000.parquet", b"p0".to_vec()),
            ("data/chunk-000/episode_000001.parquet", b"p1".to_vec()),
            ("videos/chunk-000/cam/episode_000000.mp4", b"v0".to_vec()),
            ("stray/not-named.txt", b"s".to_vec()),
        ]));
        let tree = pollster::block_on(discover_dataset(&host)).unwrap();
        let paths: Vec<&str> = tree.files().map(|f| f.path.as_str()).collect();
        assert_eq!(
            paths,
            [
                "data/chunk-000/episode_000000.parquet",
                "data/chunk-000/episode_000001.parquet",
                "meta/episodes.jsonl",
                "meta/info.json",
                "meta/tasks.jsonl",
                "videos/chunk-000/cam/episode_000000.mp4",
            ]
        );
        let probes = host.probes.lock().unwrap();
        assert!(probes.contains(&"videos/chunk-000/cam/episode_000001.mp4".to_string()), "a missing video is probed");
        assert!(!probes.iter().any(|p| p.starts_with("meta/episodes/")), "v2.x has no episode-metadata files");
        // The opener reads the metadata again from what discovery kept: nothing more is fetched.
        let fetched = host.read.bytes_read();
        pollster::block_on(open_dataset(&tree, &mut |_| {})).unwrap();
        assert_eq!(host.read.bytes_read(), fetched);
    }

    #[test]
    fn v3_episode_metadata_files_are_probed_in_order_across_chunks() {
        let info = br#"{"codebase_version": "v3.0", "fps": 10, "chunks_size": 2,
            "data_path": "data/chunk-{chunk_index:03d}/file-{file_index:03d}.parquet", "features": {}}"#;
        let host = host_of(memory_tree(&[
            ("meta/info.json", info.to_vec()),
            ("meta/episodes/chunk-000/file-000.parquet", b"e".to_vec()),
            ("meta/episodes/chunk-000/file-001.parquet", b"e".to_vec()),
            ("meta/episodes/chunk-001/file-000.parquet", b"e".to_vec()),
            ("meta/episodes/chunk-003/file-000.parquet", b"skipped: chunk 2 is missing".to_vec()),
        ]));
        let tree = pollster::block_on(discover_dataset(&host)).unwrap();
        let episode_files: Vec<&str> = tree.files_under("meta/episodes/").map(|f| f.path.as_str()).collect();
        assert_eq!(
            episode_files,
            [
                "meta/episodes/chunk-000/file-000.parquet",
                "meta/episodes/chunk-000/file-001.parquet",
                "meta/episodes/chunk-001/file-000.parquet",
            ]
        );
    }

    #[test]
    fn memo_serves_a_range_again_within_its_budget() {
        let counter = Arc::new(IoCounter::default());
        let inner: Arc<dyn ByteSource> =
            Arc::new(CountingSource::new(Arc::new(MemorySource::new(vec![7u8; 100])), counter.clone()));
        let budget = Arc::new(AtomicU64::new(15));
        let memo = MemoSource::new(inner, budget.clone());
        pollster::block_on(memo.read_range(0..10)).unwrap();
        pollster::block_on(memo.read_range(0..10)).unwrap();
        assert_eq!(counter.bytes_read(), 10, "the second read is served from memory");
        pollster::block_on(memo.read_range(10..20)).unwrap();
        pollster::block_on(memo.read_range(10..20)).unwrap();
        assert_eq!(counter.bytes_read(), 30, "beyond the budget reads go to the source again");
        assert_eq!(budget.load(Ordering::Relaxed), 5);
    }
}
