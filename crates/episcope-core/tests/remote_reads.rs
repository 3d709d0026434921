//! A dataset in an object store opens as lazily as from the local disk: listed into the same tree
//! (paths and sizes), the opener asks for exactly the same byte ranges, and they are metadata only.
//!
//! The store is `object_store`'s in-memory one, read through the same `ObjectSource` and runtime as
//! S3, GCS, Azure and the Hub (tests/test_remote.py in the Python package runs real servers).

// Sources need not be `Send` (browser `Blob`s are not); `Arc` is what the tree takes.
#![allow(clippy::arc_with_non_send_sync)]

mod common;

use std::ops::Range;
use std::sync::{Arc, Mutex};

use bytes::Bytes;
use episcope_core::check::{check_dataset, CheckOptions};
use episcope_core::lerobot::open_dataset;
use episcope_core::remote::{open_listed, REQUEST_COST_BYTES};
use episcope_core::source::{ByteSource, LocalBoxFuture, SourceError};
use episcope_core::DatasetTree;
use object_store::memory::InMemory;
use object_store::path::Path as StorePath;
use object_store::ObjectStoreExt;

/// Every read of a tree: (path, range), in order.
type ReadLog = Arc<Mutex<Vec<(String, Range<u64>)>>>;

/// Logs every read (path, range) and says the request cost of a remote store.
struct Logged {
    inner: Arc<dyn ByteSource>,
    path: String,
    log: ReadLog,
}

impl ByteSource for Logged {
    fn size(&self) -> u64 {
        self.inner.size()
    }
    fn read_range(&self, range: Range<u64>) -> LocalBoxFuture<'_, Result<Bytes, SourceError>> {
        self.log.lock().unwrap().push((self.path.clone(), range.clone()));
        self.inner.read_range(range)
    }
    fn request_cost_bytes(&self) -> u64 {
        REQUEST_COST_BYTES
    }
}

fn logged(tree: &DatasetTree) -> (DatasetTree, ReadLog) {
    let log = Arc::new(Mutex::new(Vec::new()));
    let mut out = DatasetTree::new();
    for file in tree.files() {
        let source = Logged { inner: file.source.clone(), path: file.path.clone(), log: log.clone() };
        out.insert(&file.path, Arc::new(source)).unwrap();
    }
    (out, log)
}

#[test]
fn a_listed_store_opens_with_the_same_reads_as_the_local_folder() {
    let store = Arc::new(InMemory::new());
    let runtime = tokio::runtime::Builder::new_current_thread().build().unwrap();
    for name in common::SHARED_DATASETS {
        let dir = common::shared_datasets().join(name);
        let local = DatasetTree::from_dir(&dir).unwrap().rooted_at_dataset();
        for file in local.files() {
            let bytes = std::fs::read(dir.join(&file.path)).unwrap();
            let key = StorePath::from(format!("fleet/datasets/{name}/{}", file.path));
            runtime.block_on(store.put(&key, bytes.into())).unwrap();
        }
        let remote = open_listed(store.clone(), StorePath::from(format!("fleet/datasets/{name}")), name).unwrap();
        assert!(!remote.is_recording);
        let sizes = |t: &DatasetTree| t.files().map(|f| (f.path.clone(), f.size())).collect::<Vec<_>>();
        assert_eq!(sizes(&remote.tree), sizes(&local), "{name}: the listing is the folder");

        let (local, local_reads) = logged(&local);
        let (remote, remote_reads) = logged(&remote.tree);
        let opened_local = pollster::block_on(open_dataset(&local, &mut |_| {})).unwrap();
        let opened_remote = pollster::block_on(open_dataset(&remote, &mut |_| {})).unwrap();
        assert_eq!(opened_remote, opened_local, "{name}");
        let reads = remote_reads.lock().unwrap().clone();
        assert_eq!(reads, *local_reads.lock().unwrap(), "{name}: the same ranges, in the same order");
        assert!(reads.iter().all(|(path, _)| path.starts_with("meta/")), "{name}: opening reads metadata only");

        let options = CheckOptions::default();
        let checked_local = pollster::block_on(check_dataset(&local, name, &options, &mut |_| {}));
        let checked_remote = pollster::block_on(check_dataset(&remote, name, &options, &mut |_| {}));
        assert_eq!(checked_remote, checked_local, "{name}");
    }
}

#[test]
fn a_prefix_with_nothing_under_it_is_said_to_be_empty() {
    let store = Arc::new(InMemory::new());
    let err = match open_listed(store, StorePath::from("fleet/none"), "s3://fleet/none") {
        Ok(_) => panic!("an empty prefix opened"),
        Err(e) => e,
    };
    assert_eq!(err.to_string(), "nothing there (no objects under this prefix, no meta/info.json): s3://fleet/none");
}
