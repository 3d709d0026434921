//! Datasets and recordings at a URL (feature `remote`, native only): `s3://`, `gs://`, `az://`,
//! `http(s)://` and `hf://datasets/ORG/NAME[@REVISION][/FOLDER]` become a [`DatasetTree`] whose
//! files are read by byte range, when a reader asks, through the `object_store` crate.
//!
//! Object stores and the Hub are listed (the Hub through its tree API, [`hub`]); a web server
//! cannot list, so its files are found from the dataset's metadata
//! ([`crate::lerobot::discover`]). Credentials come from the environment variables each store
//! reads (`AWS_*`, `GOOGLE_*`, `AZURE_*`, `HF_TOKEN`); no message carries them ([`redact`]).

pub mod hub;

use std::ops::Range;
use std::sync::{Arc, OnceLock};

use bytes::Bytes;
use futures_util::StreamExt;
use object_store::path::Path as StorePath;
use object_store::{ObjectStore, ObjectStoreExt};
use url::Url;

use crate::lerobot::discover::{discover_dataset, DiscoverError, Locator};
use crate::recording::recording_files;
use crate::source::{check_range, ByteSource, LocalBoxFuture, SourceError};
use crate::tree::{normalize_path, DatasetTree};

/// Schemes read as URLs (anything else is a local path).
pub const SCHEMES: [&str; 9] = ["s3", "s3a", "gs", "az", "abfs", "abfss", "http", "https", "hf"];

/// Objects listed at most under one URL.
pub const MAX_LISTED_OBJECTS: usize = 1_000_000;

/// What one request costs beyond its bytes, for the readers' coalescing: at ~20 ms a round trip
/// and ~100 MB/s, a gap of up to 1 MiB is cheaper fetched than asked for separately.
pub const REQUEST_COST_BYTES: u64 = 1024 * 1024;

/// File extensions of recordings that a URL may name alone.
const RECORDING_EXTENSIONS: [&str; 5] = [".mcap", ".db3", ".bag", ".hdf5", ".h5"];

/// Why a URL could not be opened.
#[derive(Debug, Clone, thiserror::Error, PartialEq, Eq)]
pub enum RemoteError {
    #[error("not a URL Episcope reads ({reason}): {url}")]
    BadUrl { reason: String, url: String },
    #[error("cannot set up the store ({reason}): {url}")]
    Store { reason: String, url: String },
    #[error("cannot list ({reason}): {url}")]
    List { reason: String, url: String },
    #[error("more than {limit} objects under the URL; give the dataset's own folder: {url}")]
    TooManyObjects { limit: usize, url: String },
    #[error("nothing there (no objects under this prefix, no meta/info.json): {url}")]
    NothingThere { url: String },
    #[error("{source}: {url}")]
    Discover { source: DiscoverError, url: String },
    #[error(transparent)]
    Hub(#[from] hub::HubError),
    #[error("cannot start the network runtime ({reason})")]
    Runtime { reason: String },
}

/// What a URL holds, as a tree, and whether it looks like a dataset or a recording.
pub struct RemoteInput {
    pub tree: DatasetTree,
    pub is_recording: bool,
}

/// True when `text` is a URL of a scheme Episcope reads.
pub fn is_url(text: &str) -> bool {
    text.split_once("://").is_some_and(|(scheme, _)| SCHEMES.contains(&scheme.to_ascii_lowercase().as_str()))
}

/// The URL as it may be shown: no user or password, no query (signed URLs carry secrets there).
pub fn display_url(url: &str) -> String {
    let Ok(mut parsed) = Url::parse(url) else { return redact(url) };
    let _ = parsed.set_username("");
    let _ = parsed.set_password(None);
    let had_query = parsed.query().is_some();
    parsed.set_query(None);
    parsed.set_fragment(None);
    let mut shown = parsed.to_string();
    if had_query {
        shown.push_str("?…");
    }
    redact(&shown)
}

/// Environment variables whose values are secrets.
const SECRET_VARIABLES: [&str; 10] = [
    "AWS_SECRET_ACCESS_KEY",
    "AWS_SESSION_TOKEN",
    "AWS_ACCESS_KEY_ID",
    "HF_TOKEN",
    "HUGGING_FACE_HUB_TOKEN",
    "AZURE_STORAGE_ACCOUNT_KEY",
    "AZURE_STORAGE_ACCESS_KEY",
    "AZURE_STORAGE_SAS_KEY",
    "AZURE_CLIENT_SECRET",
    "GOOGLE_SERVICE_ACCOUNT_KEY",
];

/// `text` with the value of every credential variable (and the Hub token file's) replaced by `***`.
pub fn redact(text: &str) -> String {
    let mut out = text.to_string();
    let secrets = SECRET_VARIABLES.iter().filter_map(|v| std::env::var(v).ok()).chain(hub::token_from_file());
    for secret in secrets {
        let secret = secret.trim();
        if secret.len() >= 4 {
            out = out.replace(secret, "***");
        }
    }
    out
}

/// The runtime every network request runs on (two threads; readers await its tasks from any executor).
pub(crate) fn runtime() -> Result<&'static tokio::runtime::Runtime, RemoteError> {
    static RUNTIME: OnceLock<Result<tokio::runtime::Runtime, String>> = OnceLock::new();
    RUNTIME
        .get_or_init(|| {
            tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .thread_name("episcope-net")
                .enable_all()
                .build()
                .map_err(|e| e.to_string())
        })
        .as_ref()
        .map_err(|reason| RemoteError::Runtime { reason: reason.clone() })
}

/// One object, read by range when a reader asks.
pub struct ObjectSource {
    store: Arc<dyn ObjectStore>,
    location: StorePath,
    size: u64,
}

impl ObjectSource {
    pub fn new(store: Arc<dyn ObjectStore>, location: StorePath, size: u64) -> Self {
        Self { store, location, size }
    }
}

impl ByteSource for ObjectSource {
    fn size(&self) -> u64 {
        self.size
    }

    fn read_range(&self, range: Range<u64>) -> LocalBoxFuture<'_, Result<Bytes, SourceError>> {
        if let Err(e) = check_range(&range, self.size) {
            return Box::pin(std::future::ready(Err(e)));
        }
        if range.is_empty() {
            return Box::pin(std::future::ready(Ok(Bytes::new())));
        }
        let runtime = match runtime() {
            Ok(runtime) => runtime,
            Err(e) => return Box::pin(std::future::ready(Err(SourceError::Io { reason: e.to_string() }))),
        };
        let (store, location, wanted) = (self.store.clone(), self.location.clone(), range.end - range.start);
        let task = runtime.spawn(async move { store.get_range(&location, range).await });
        Box::pin(async move {
            match task.await {
                Ok(Ok(bytes)) if bytes.len() as u64 == wanted => Ok(bytes),
                Ok(Ok(bytes)) => Err(SourceError::Io {
                    reason: format!("the server sent {} bytes for a {wanted}-byte range", bytes.len()),
                }),
                Ok(Err(e)) => Err(SourceError::Io { reason: redact(&e.to_string()) }),
                Err(e) => Err(SourceError::Io { reason: format!("the request was cancelled ({e})") }),
            }
        })
    }

    fn request_cost_bytes(&self) -> u64 {
        REQUEST_COST_BYTES
    }
}

/// Opens what `url` names: a dataset folder (listed, or discovered on a web server), a folder of
/// recordings, or one recording file. Nothing is read but listings and, for a web server, the
/// metadata and each named file's size.
pub fn open_url(url: &str) -> Result<RemoteInput, RemoteError> {
    let shown = display_url(url);
    if url.to_ascii_lowercase().starts_with("hf://") {
        let tree = hub::open(url)?;
        return classify(tree, &shown);
    }
    let parsed = Url::parse(url).map_err(|e| RemoteError::BadUrl { reason: e.to_string(), url: shown.clone() })?;
    let store_error =
        |e: object_store::Error| RemoteError::Store { reason: redact(&e.to_string()), url: shown.clone() };
    let store: Arc<dyn ObjectStore> = match parsed.scheme() {
        "http" | "https" => return open_web(&parsed, &shown),
        "s3" | "s3a" => {
            Arc::new(object_store::aws::AmazonS3Builder::from_env().with_url(url).build().map_err(store_error)?)
        }
        "gs" => Arc::new(
            object_store::gcp::GoogleCloudStorageBuilder::from_env().with_url(url).build().map_err(store_error)?,
        ),
        "az" | "abfs" | "abfss" => {
            Arc::new(object_store::azure::MicrosoftAzureBuilder::from_env().with_url(url).build().map_err(store_error)?)
        }
        other => return Err(RemoteError::BadUrl { reason: format!("scheme `{other}` is not read"), url: shown }),
    };
    // The path after the bucket or container (`s3://bucket/a/b` → `a/b`).
    let prefix = StorePath::from_url_path(parsed.path().trim_start_matches('/')).map_err(path_error(&shown))?;
    open_listed(store, prefix, &shown)
}

fn path_error(shown: &str) -> impl Fn(object_store::path::Error) -> RemoteError + '_ {
    move |e| RemoteError::BadUrl { reason: e.to_string(), url: shown.to_string() }
}

fn classify(tree: DatasetTree, shown: &str) -> Result<RemoteInput, RemoteError> {
    if tree.is_empty() {
        return Err(RemoteError::NothingThere { url: shown.to_string() });
    }
    let rooted = tree.clone().rooted_at_dataset();
    if !rooted.contains("meta/info.json") && !recording_files(&tree).is_empty() {
        return Ok(RemoteInput { tree, is_recording: true });
    }
    Ok(RemoteInput { tree: rooted, is_recording: false })
}

fn is_recording_name(path: &str) -> bool {
    let lower = path.to_ascii_lowercase();
    RECORDING_EXTENSIONS.iter().any(|ext| lower.ends_with(ext))
}

/// One recording file of a store, named by its file name (its size from `HEAD`).
fn open_single(store: Arc<dyn ObjectStore>, location: StorePath, shown: &str) -> Result<RemoteInput, RemoteError> {
    let meta = runtime()?
        .block_on(store.head(&location))
        .map_err(|e| RemoteError::List { reason: redact(&e.to_string()), url: shown.to_string() })?;
    let name = location.filename().unwrap_or("recording").to_string();
    let mut tree = DatasetTree::new();
    let _ = tree.insert(&name, Arc::new(ObjectSource::new(store, meta.location, meta.size)));
    classify(tree, shown)
}

/// A listed store: every object under `prefix` (or the one object `prefix` names) by its path
/// relative to it.
pub fn open_listed(store: Arc<dyn ObjectStore>, prefix: StorePath, shown: &str) -> Result<RemoteInput, RemoteError> {
    if is_recording_name(prefix.as_ref()) {
        return open_single(store, prefix, shown);
    }
    let listed = runtime()?.block_on(async {
        let mut objects = Vec::new();
        let mut stream = store.list(Some(&prefix));
        while let Some(meta) = stream.next().await {
            objects.push(meta?);
            if objects.len() > MAX_LISTED_OBJECTS {
                return Ok(None);
            }
        }
        Ok(Some(objects))
    });
    let listed = listed.map_err(|e: object_store::Error| RemoteError::List {
        reason: redact(&e.to_string()),
        url: shown.to_string(),
    })?;
    let Some(objects) = listed else {
        return Err(RemoteError::TooManyObjects { limit: MAX_LISTED_OBJECTS, url: shown.to_string() });
    };
    let prefix_parts = prefix.parts().count();
    let mut tree = DatasetTree::new();
    for meta in objects {
        let relative: Vec<_> = meta.location.parts().skip(prefix_parts).collect();
        let relative: Vec<&str> = relative.iter().map(|p| p.as_ref()).collect();
        let Ok(path) = normalize_path(&relative.join("/")) else { continue };
        let _ = tree.insert(&path, Arc::new(ObjectSource::new(store.clone(), meta.location, meta.size)));
    }
    classify(tree, shown)
}

/// The HTTP(S) client options shared by web servers and the Hub: plain `http` allowed (a user's
/// own server, loopback), timeouts so a stalled server fails rather than hangs.
pub(crate) fn client_options() -> object_store::ClientOptions {
    object_store::ClientOptions::new()
        .with_allow_http(true)
        .with_connect_timeout(std::time::Duration::from_secs(20))
        .with_timeout(std::time::Duration::from_secs(120))
}

/// A web server: one recording file, or a dataset found from its metadata.
fn open_web(url: &Url, shown: &str) -> Result<RemoteInput, RemoteError> {
    // A user and password in the URL are not sent, nor its query (nor kept, so no message can
    // carry them).
    let mut base = url.clone();
    let _ = base.set_username("");
    let _ = base.set_password(None);
    base.set_query(None);
    base.set_fragment(None);
    let path = base.path().trim_end_matches('/').to_string();
    let file = is_recording_name(&path).then(|| path.rsplit('/').next().unwrap_or_default().to_string());
    base.set_path(file.as_ref().map_or(path.as_str(), |name| path[..path.len() - name.len()].trim_end_matches('/')));
    let store: Arc<dyn ObjectStore> = Arc::new(
        object_store::http::HttpBuilder::new()
            .with_url(base.as_str())
            .with_client_options(client_options())
            .build()
            .map_err(|e| RemoteError::Store { reason: redact(&e.to_string()), url: shown.to_string() })?,
    );
    if let Some(name) = file {
        return open_single(store, StorePath::from_url_path(&name).map_err(path_error(shown))?, shown);
    }
    let tree = runtime()?
        .block_on(discover_dataset(&StoreLocator { store }))
        .map_err(|source| RemoteError::Discover { source, url: shown.to_string() })?;
    classify(tree, shown)
}

/// Finds files of a store by path (`HEAD`), for hosts without a listing.
pub struct StoreLocator {
    pub store: Arc<dyn ObjectStore>,
}

impl Locator for StoreLocator {
    fn locate<'a>(&'a self, path: &'a str) -> LocalBoxFuture<'a, Result<Option<Arc<dyn ByteSource>>, SourceError>> {
        Box::pin(async move {
            let location = StorePath::from_url_path(path).map_err(|e| SourceError::Io { reason: e.to_string() })?;
            let runtime = runtime().map_err(|e| SourceError::Io { reason: e.to_string() })?;
            let store = self.store.clone();
            let head = runtime.spawn(async move { store.head(&location).await.map(|m| (location, m.size)) });
            match head.await {
                Ok(Ok((location, size))) => {
                    let source: Arc<dyn ByteSource> = Arc::new(ObjectSource::new(self.store.clone(), location, size));
                    Ok(Some(source))
                }
                Ok(Err(object_store::Error::NotFound { .. })) => Ok(None),
                Ok(Err(e)) => Err(SourceError::Io { reason: redact(&e.to_string()) }),
                Err(e) => Err(SourceError::Io { reason: format!("the request was cancelled ({e})") }),
            }
        })
    }
}

/// The name a URL's dataset is reported under: its last folder (or file) name.
pub fn url_name(url: &str) -> String {
    if let Ok(hub) = hub::HubUrl::parse(url) {
        let folder_name = hub.folder.rsplit('/').next().filter(|n| !n.is_empty());
        return folder_name.unwrap_or_else(|| hub.repo.rsplit('/').next().unwrap_or(&hub.repo)).to_string();
    }
    let path = Url::parse(url).map(|u| u.path().to_string()).unwrap_or_default();
    match path.trim_end_matches('/').rsplit('/').next().filter(|n| !n.is_empty()) {
        Some(name) => hub::percent_decode(name),
        None => display_url(url),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_are_told_from_paths() {
        for url in ["s3://b/ds", "gs://b/ds", "az://c/ds", "https://h/ds", "http://127.0.0.1:8/ds", "hf://datasets/o/n"]
        {
            assert!(is_url(url), "{url}");
        }
        for path in ["ds", "/data/ds", "C:\\ds", "file:///tmp/ds", "ftp://h/x"] {
            assert!(!is_url(path), "{path}");
        }
    }

    #[test]
    fn shown_urls_carry_no_credentials() {
        assert_eq!(display_url("https://user:secret@host/ds?X-Amz-Signature=abc"), "https://host/ds?…");
        assert_eq!(display_url("s3://bucket/ds"), "s3://bucket/ds");
    }

    #[test]
    fn url_names_are_the_last_folder() {
        assert_eq!(url_name("s3://bucket/fleet/ds/"), "ds");
        assert_eq!(url_name("hf://datasets/lerobot/pusht@v3.0"), "pusht");
        assert_eq!(url_name("https://host/a/b.mcap?sig=1"), "b.mcap");
        assert_eq!(url_name("hf://datasets/org/mono@main/sub/ds"), "ds");
        assert_eq!(url_name("s3://bucket"), "s3://bucket");
    }

    #[test]
    fn gs_and_az_urls_build_stores_from_the_environment() {
        // No server: building the store only parses the URL and the environment.
        let gs = object_store::gcp::GoogleCloudStorageBuilder::new().with_url("gs://bucket/ds").build();
        assert!(gs.is_ok(), "{gs:?}");
        let az = object_store::azure::MicrosoftAzureBuilder::new()
            .with_account("account")
            .with_url("az://container/ds")
            .build();
        assert!(az.is_ok(), "{az:?}");
    }
}
