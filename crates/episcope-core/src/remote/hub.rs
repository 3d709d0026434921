//! Datasets on the Hugging Face Hub: `hf://datasets/ORG/NAME[@REVISION][/FOLDER]`, listed through
//! the Hub's tree API and read by range from its `resolve` URLs (which redirect to the file store).
//!
//! The endpoint is `HF_ENDPOINT` (default `https://huggingface.co`); the token is `HF_TOKEN` (or
//! `HUGGING_FACE_HUB_TOKEN`, or the file `huggingface-cli login` writes), sent only as an
//! `Authorization` header, never shown.

use std::sync::Arc;
use std::time::Duration;

use object_store::path::Path as StorePath;
use object_store::ObjectStore;
use serde::Deserialize;

use super::{client_options, display_url, redact, runtime, ObjectSource, RemoteError, MAX_LISTED_OBJECTS};
use crate::tree::{normalize_path, DatasetTree};

/// The Hub's public address.
pub const DEFAULT_ENDPOINT: &str = "https://huggingface.co";
/// One page of the tree listing is refused beyond this many bytes.
pub const MAX_LISTING_PAGE_BYTES: usize = 64 * 1024 * 1024;
/// Attempts at a listing page the Hub rate-limits or fails (429, 5xx), with doubling waits.
pub const LISTING_ATTEMPTS: u32 = 5;

/// Why the Hub did not list a dataset.
#[derive(Debug, Clone, thiserror::Error, PartialEq, Eq)]
pub enum HubError {
    #[error("not a Hub dataset URL ({reason}; write hf://datasets/ORG/NAME[@REVISION][/FOLDER]): {url}")]
    BadUrl { reason: String, url: String },
    #[error(
        "the Hub refused access (HTTP {status}): {repo} is gated or private — accept its terms at {page} and set HF_TOKEN to a token that has access{token_note}"
    )]
    Denied { status: u16, repo: String, page: String, token_note: String },
    #[error("no such dataset or revision on the Hub (HTTP 404): {repo}@{revision}")]
    NotFound { repo: String, revision: String },
    #[error("the Hub is rate-limiting these requests (HTTP 429 after {attempts} attempts); wait and try again, or set HF_TOKEN: {repo}")]
    RateLimited { attempts: u32, repo: String },
    #[error("the Hub's listing failed ({reason}): {url}")]
    Listing { reason: String, url: String },
}

/// A parsed `hf://datasets/...` URL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HubUrl {
    /// `ORG/NAME`.
    pub repo: String,
    pub revision: String,
    /// A folder inside the repository the dataset sits in (`""` for its root).
    pub folder: String,
}

impl HubUrl {
    pub fn parse(url: &str) -> Result<Self, HubError> {
        let bad = |reason: &str| HubError::BadUrl { reason: reason.to_string(), url: display_url(url) };
        let rest = url
            .get(..5)
            .filter(|s| s.eq_ignore_ascii_case("hf://"))
            .map(|_| &url[5..])
            .ok_or_else(|| bad("it does not start with hf://"))?;
        let rest = rest.strip_prefix("datasets/").ok_or_else(|| bad("only datasets are read (hf://datasets/…)"))?;
        let mut parts = rest.trim_end_matches('/').splitn(3, '/');
        let org = parts.next().filter(|s| !s.is_empty()).ok_or_else(|| bad("no organisation"))?;
        let name_and_revision = parts.next().filter(|s| !s.is_empty()).ok_or_else(|| bad("no dataset name"))?;
        let folder = parts.next().unwrap_or("");
        let (name, revision) = match name_and_revision.split_once('@') {
            Some((name, revision)) if !revision.is_empty() => (name, percent_decode(revision)),
            Some(_) => return Err(bad("an empty revision after @")),
            None => (name_and_revision, "main".to_string()),
        };
        let is_id = |s: &str| !s.is_empty() && s.chars().all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c));
        if !is_id(org) || !is_id(name) || name.starts_with('.') || org.starts_with('.') {
            return Err(bad("ORG and NAME are letters, digits, '-', '_' and '.'"));
        }
        let folder =
            if folder.is_empty() { String::new() } else { normalize_path(folder).map_err(|e| bad(&e.to_string()))? };
        Ok(Self { repo: format!("{org}/{name}"), revision, folder })
    }
}

/// `%XX` escapes decoded (invalid UTF-8 replaced).
pub(crate) fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = |b: u8| (b as char).to_digit(16).map(|d| d as u8);
        match (bytes[i], bytes.get(i + 1).copied().and_then(hex), bytes.get(i + 2).copied().and_then(hex)) {
            (b'%', Some(hi), Some(lo)) => {
                out.push(hi << 4 | lo);
                i += 3;
            }
            (b, _, _) => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// `text` percent-encoded as one URL path segment.
fn encode_segment(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => (b as char).to_string(),
            other => format!("%{other:02X}"),
        })
        .collect()
}

/// The Hub's address: `HF_ENDPOINT`, or the public Hub.
pub fn endpoint() -> String {
    std::env::var("HF_ENDPOINT")
        .ok()
        .filter(|e| !e.trim().is_empty())
        .unwrap_or_else(|| DEFAULT_ENDPOINT.to_string())
        .trim_end_matches('/')
        .to_string()
}

/// The token `huggingface-cli login` stored, if any (`HF_TOKEN_PATH`, `$HF_HOME/token`,
/// `~/.cache/huggingface/token`).
pub fn token_from_file() -> Option<String> {
    let path = std::env::var_os("HF_TOKEN_PATH").map(std::path::PathBuf::from).or_else(|| {
        let home = std::env::var_os("HF_HOME").map(std::path::PathBuf::from).or_else(|| {
            std::env::var_os("HOME").map(|h| std::path::PathBuf::from(h).join(".cache").join("huggingface"))
        })?;
        Some(home.join("token"))
    })?;
    let token = std::fs::read_to_string(path).ok()?.trim().to_string();
    (!token.is_empty() && token.len() < 4096).then_some(token)
}

/// The token to send: `HF_TOKEN`, `HUGGING_FACE_HUB_TOKEN`, or the stored one.
pub fn token() -> Option<String> {
    ["HF_TOKEN", "HUGGING_FACE_HUB_TOKEN"]
        .iter()
        .filter_map(|v| std::env::var(v).ok())
        .map(|t| t.trim().to_string())
        .find(|t| !t.is_empty())
        .or_else(token_from_file)
}

#[derive(Deserialize)]
struct TreeEntry {
    #[serde(rename = "type")]
    kind: String,
    path: String,
    #[serde(default)]
    size: u64,
}

/// The `rel="next"` address of a `Link` header.
fn next_link(link: &str) -> Option<String> {
    link.split(',').find_map(|part| {
        let (target, params) = part.split_once(';')?;
        params
            .split(';')
            .any(|p| p.trim().replace(' ', "") == "rel=\"next\"")
            .then(|| target.trim().trim_start_matches('<').trim_end_matches('>').to_string())
    })
}

/// Lists `url` into a tree of files read through the Hub's `resolve` URLs.
pub fn open(url: &str) -> Result<DatasetTree, RemoteError> {
    let hub = HubUrl::parse(url)?;
    let endpoint = endpoint();
    let token = token();
    let revision = encode_segment(&hub.revision);
    let folder_path: String =
        hub.folder.split('/').filter(|s| !s.is_empty()).map(|s| format!("/{}", encode_segment(s))).collect();
    let first =
        format!("{endpoint}/api/datasets/{}/tree/{revision}{folder_path}?recursive=true&expand=false", hub.repo);
    let entries = runtime()?.block_on(list(&first, &hub, token.as_deref()))?;

    let mut headers = object_store::HeaderMap::new();
    if let Some(token) = &token {
        let mut value = object_store::HeaderValue::from_str(&format!("Bearer {token}")).map_err(|_| {
            RemoteError::Store { reason: "HF_TOKEN is not a valid header value".into(), url: display_url(url) }
        })?;
        value.set_sensitive(true);
        headers.insert("authorization", value);
    }
    let base = format!("{endpoint}/datasets/{}/resolve/{revision}", hub.repo);
    let store = object_store::http::HttpBuilder::new()
        .with_url(base)
        .with_client_options(client_options().with_default_headers(headers))
        .build()
        .map_err(|e| RemoteError::Store { reason: redact(&e.to_string()), url: display_url(url) })?;
    let store: Arc<dyn ObjectStore> = Arc::new(store);
    let mut tree = DatasetTree::new();
    let prefix = if hub.folder.is_empty() { String::new() } else { format!("{}/", hub.folder) };
    for entry in entries.into_iter().filter(|e| e.kind == "file") {
        let Some(relative) = entry.path.strip_prefix(&prefix) else { continue };
        let Ok(relative) = normalize_path(relative) else { continue };
        let Ok(location) = StorePath::parse(&entry.path) else { continue };
        let _ = tree.insert(&relative, Arc::new(ObjectSource::new(store.clone(), location, entry.size)));
    }
    Ok(tree)
}

async fn list(first: &str, hub: &HubUrl, token: Option<&str>) -> Result<Vec<TreeEntry>, RemoteError> {
    let client = reqwest::Client::builder()
        .connect_timeout(Duration::from_secs(20))
        .timeout(Duration::from_secs(120))
        .build()
        .map_err(|e| HubError::Listing { reason: e.to_string(), url: display_url(first) })?;
    let mut entries = Vec::new();
    let mut next = Some(first.to_string());
    while let Some(page_url) = next.take() {
        let listing_error = |reason: String| HubError::Listing { reason: redact(&reason), url: display_url(&page_url) };
        let mut attempt = 0;
        let response = loop {
            attempt += 1;
            let mut request = client.get(&page_url);
            if let Some(token) = token {
                request = request.bearer_auth(token);
            }
            let response = request.send().await;
            let retry_after = match &response {
                Ok(r) if r.status().as_u16() == 429 || r.status().is_server_error() => r
                    .headers()
                    .get("retry-after")
                    .and_then(|v| v.to_str().ok())
                    .and_then(|v| v.trim().parse::<u64>().ok())
                    .map(|secs| Duration::from_secs(secs.min(30))),
                Err(e) if e.is_timeout() || e.is_connect() => None,
                _ => break response,
            };
            if attempt >= LISTING_ATTEMPTS {
                break response;
            }
            let backoff = Duration::from_millis(250 << (attempt - 1));
            tokio::time::sleep(retry_after.unwrap_or(backoff)).await;
        };
        let response = response.map_err(|e| listing_error(e.without_url().to_string()))?;
        let status = response.status().as_u16();
        match status {
            200 => {}
            401 | 403 => {
                return Err(HubError::Denied {
                    status,
                    repo: hub.repo.clone(),
                    page: format!("{}/datasets/{}", endpoint(), hub.repo),
                    token_note: if token.is_some() { " (the token sent was refused)".into() } else { String::new() },
                }
                .into())
            }
            404 => return Err(HubError::NotFound { repo: hub.repo.clone(), revision: hub.revision.clone() }.into()),
            429 => return Err(HubError::RateLimited { attempts: attempt, repo: hub.repo.clone() }.into()),
            other => return Err(listing_error(format!("HTTP {other}")).into()),
        }
        next = response.headers().get("link").and_then(|v| v.to_str().ok()).and_then(next_link);
        let mut body = Vec::new();
        let mut response = response;
        while let Some(chunk) = response.chunk().await.map_err(|e| listing_error(e.without_url().to_string()))? {
            body.extend_from_slice(&chunk);
            if body.len() > MAX_LISTING_PAGE_BYTES {
                return Err(listing_error(format!("a page larger than {MAX_LISTING_PAGE_BYTES} bytes")).into());
            }
        }
        let page: Vec<TreeEntry> =
            serde_json::from_slice(&body).map_err(|e| listing_error(format!("not a tree listing: {e}")))?;
        entries.extend(page);
        if entries.len() > MAX_LISTED_OBJECTS {
            return Err(RemoteError::TooManyObjects { limit: MAX_LISTED_OBJECTS, url: display_url(first) });
        }
        if let Some(link) = &next {
            // A next page elsewhere than the Hub that answered would carry the token away.
            if !same_origin(link, first) {
                return Err(listing_error(format!("the next page is on another host: {}", display_url(link))).into());
            }
        }
    }
    Ok(entries)
}

fn same_origin(a: &str, b: &str) -> bool {
    match (url::Url::parse(a), url::Url::parse(b)) {
        (Ok(a), Ok(b)) => a.origin() == b.origin(),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hub_urls_parse_with_revision_and_folder() {
        let url = HubUrl::parse("hf://datasets/lerobot/pusht").unwrap();
        assert_eq!(url, HubUrl { repo: "lerobot/pusht".into(), revision: "main".into(), folder: String::new() });
        let url = HubUrl::parse("hf://datasets/org/name@refs%2Fconvert%2Fparquet/sub/ds/").unwrap();
        assert_eq!(url.revision, "refs/convert/parquet");
        assert_eq!(url.folder, "sub/ds");
        assert_eq!(encode_segment(&url.revision), "refs%2Fconvert%2Fparquet");
        for bad in [
            "hf://org/name",
            "hf://datasets/org",
            "hf://datasets/org/na me",
            "hf://datasets/org/name@",
            "hf://datasets/../x",
        ] {
            assert!(HubUrl::parse(bad).is_err(), "{bad}");
        }
        assert!(HubUrl::parse("hf://datasets/org/name/../../x").is_err());
    }

    #[test]
    fn the_next_page_is_read_from_the_link_header() {
        let link = r#"<https://huggingface.co/api/datasets/o/n/tree/main?recursive=true&cursor=abc>; rel="next""#;
        assert_eq!(
            next_link(link).unwrap(),
            "https://huggingface.co/api/datasets/o/n/tree/main?recursive=true&cursor=abc"
        );
        assert_eq!(next_link(r#"<https://x/prev>; rel="prev""#), None);
        assert!(same_origin("http://127.0.0.1:9/a?c=1", "http://127.0.0.1:9/b"));
        assert!(!same_origin("http://evil:9/a", "http://127.0.0.1:9/b"));
    }
}
