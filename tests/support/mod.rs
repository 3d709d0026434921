//! End-to-end test support: serves the built app (`dist/`, or `EPISCOPE_DIST`) under a sub-path
//! from a small loopback server that records every request, and drives Debian's headless Chromium
//! through chromedriver (fantoccini).

#![allow(dead_code)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use fantoccini::{Client, ClientBuilder, Locator};

/// The sub-path the app is served under (proves the static build works from any sub-path).
pub const SUB_PATH: &str = "/hosted/episcope/";

/// One request the browser made. The browser uses this server as its HTTP proxy for every
/// origin, so requests to any other host are recorded too (`host` differs, or `CONNECT`).
#[derive(Debug, Clone)]
pub struct RecordedRequest {
    pub method: String,
    /// `host:port` the request was for.
    pub host: String,
    pub path: String,
    pub body_bytes: usize,
    pub body: Vec<u8>,
    /// Sent to this server as a proxy (absolute URL or CONNECT), not as a plain request.
    pub via_proxy: bool,
}

pub struct StaticServer {
    pub port: u16,
    pub requests: Arc<Mutex<Vec<RecordedRequest>>>,
    /// While set, every connection is dropped unanswered (the network is "cut").
    pub offline: Arc<std::sync::atomic::AtomicBool>,
}

pub fn dist_dir() -> PathBuf {
    let dir = std::env::var_os("EPISCOPE_DIST")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("dist"));
    assert!(
        dir.join("index.html").is_file(),
        "no built app at {} — run `trunk build --release` first (scripts/test.sh does)",
        dir.display()
    );
    dir
}

pub fn shared_datasets() -> PathBuf {
    let dir = std::env::var_os("EPISCOPE_SHARED_DATASETS")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/datasets"));
    assert!(dir.is_dir(), "shared datasets not found at {} (set EPISCOPE_SHARED_DATASETS)", dir.display());
    dir.canonicalize().unwrap()
}

fn content_type(path: &Path) -> &'static str {
    match path.extension().and_then(|e| e.to_str()).unwrap_or("") {
        "html" => "text/html; charset=utf-8",
        "js" => "text/javascript",
        "wasm" => "application/wasm",
        "css" => "text/css",
        "json" => "application/json",
        "svg" => "image/svg+xml",
        "mp4" => "video/mp4",
        _ => "application/octet-stream",
    }
}

fn serve_one(
    mut stream: TcpStream,
    root: &Path,
    requests: &Mutex<Vec<RecordedRequest>>,
    own_host: &str,
    offline: bool,
) -> std::io::Result<()> {
    stream.set_read_timeout(Some(Duration::from_secs(10)))?;
    let mut reader = BufReader::new(stream.try_clone()?);
    let mut request_line = String::new();
    reader.read_line(&mut request_line)?;
    let mut content_length = 0usize;
    let mut range: Option<String> = None;
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line)? == 0 || line == "\r\n" {
            break;
        }
        if let Some((name, value)) = line.split_once(':') {
            if name.eq_ignore_ascii_case("content-length") {
                content_length = value.trim().parse().unwrap_or(0);
            }
            if name.eq_ignore_ascii_case("range") {
                range = Some(value.trim().to_string());
            }
        }
    }
    if request_line.trim().is_empty() {
        // A speculative connection that never carried a request.
        return Ok(());
    }
    let mut body = vec![0u8; content_length.min(64 << 20)];
    reader.read_exact(&mut body)?;
    let mut parts = request_line.split_whitespace();
    let method = parts.next().unwrap_or("").to_string();
    let target = parts.next().unwrap_or("").to_string();
    // Proxy requests carry an absolute URL; CONNECT carries `host:port`.
    let via_proxy = method == "CONNECT" || target.starts_with("http://");
    let (host, target) = if method == "CONNECT" {
        (target.clone(), String::new())
    } else if let Some(rest) = target.strip_prefix("http://") {
        let (host, path) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
        (host.to_string(), path.to_string())
    } else {
        (own_host.to_string(), target)
    };
    let path = target.split(['?', '#']).next().unwrap_or("").to_string();
    requests.lock().unwrap().push(RecordedRequest {
        method: method.clone(),
        host: host.clone(),
        path: path.clone(),
        body_bytes: body.len(),
        body: body.clone(),
        via_proxy,
    });
    if offline {
        return Ok(());
    }
    if host != own_host {
        write!(stream, "HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")?;
        return stream.flush();
    }
    let file = path.strip_prefix(SUB_PATH).map(|rel| {
        let rel = if rel.is_empty() { "index.html" } else { rel };
        root.join(rel)
    });
    match file.filter(|f| method == "GET" && !path.contains("..") && f.is_file()) {
        Some(file) => {
            let bytes = std::fs::read(&file)?;
            // Byte ranges, as static hosts serve them (media elements seek only with them).
            match range.as_deref().and_then(|r| byte_range(r, bytes.len())) {
                Some((start, end)) => {
                    write!(
                        stream,
                        "HTTP/1.1 206 Partial Content\r\nContent-Type: {}\r\nContent-Length: {}\r\nContent-Range: bytes {start}-{end}/{}\r\nAccept-Ranges: bytes\r\nCache-Control: no-store\r\nConnection: close\r\n\r\n",
                        content_type(&file),
                        end + 1 - start,
                        bytes.len()
                    )?;
                    stream.write_all(&bytes[start..=end])?;
                }
                None => {
                    write!(
                        stream,
                        "HTTP/1.1 200 OK\r\nContent-Type: {}\r\nContent-Length: {}\r\nAccept-Ranges: bytes\r\nCache-Control: no-store\r\nConnection: close\r\n\r\n",
                        content_type(&file),
                        bytes.len()
                    )?;
                    stream.write_all(&bytes)?;
                }
            }
        }
        None => {
            write!(stream, "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")?;
        }
    }
    stream.flush()
}

/// The inclusive byte range `bytes=a-b`, `bytes=a-` or `bytes=-n` asks for in a file of `len`
/// bytes, if it is one satisfiable range.
fn byte_range(header: &str, len: usize) -> Option<(usize, usize)> {
    let spec = header.strip_prefix("bytes=")?.trim();
    let (start, end) = spec.split_once('-')?;
    let last = len.checked_sub(1)?;
    let (start, end) = match (start.trim(), end.trim()) {
        ("", suffix) => (len.saturating_sub(suffix.parse().ok()?), last),
        (start, "") => (start.parse().ok()?, last),
        (start, end) => (start.parse().ok()?, end.parse::<usize>().ok()?.min(last)),
    };
    (start <= end).then_some((start, end))
}

/// Hosts of Chromium's own background services (component updates, network time, the default
/// search engine's preconnect). They are the browser's, not the page's, and cannot all be switched
/// off by flags; the privacy tests allow them but check they carry nothing of the dataset.
pub const BROWSER_SERVICE_DOMAINS: &[&str] = &["googleapis.com", "google.com", "gvt1.com", "duckduckgo.com"];

impl RecordedRequest {
    pub fn is_browser_service(&self) -> bool {
        let host = self.host.split(':').next().unwrap_or("");
        BROWSER_SERVICE_DOMAINS.iter().any(|d| host == *d || host.ends_with(&format!(".{d}")))
    }
}

impl StaticServer {
    pub fn start(root: PathBuf) -> StaticServer {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let requests = Arc::new(Mutex::new(Vec::new()));
        let offline = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let recorded = requests.clone();
        let offline_flag = offline.clone();
        let own_host = format!("127.0.0.1:{port}");
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let root = root.clone();
                let recorded = recorded.clone();
                let own_host = own_host.clone();
                let offline = offline_flag.load(std::sync::atomic::Ordering::SeqCst);
                std::thread::spawn(move || {
                    let _ = serve_one(stream, &root, &recorded, &own_host, offline);
                });
            }
        });
        StaticServer { port, requests, offline }
    }

    pub fn own_host(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }

    pub fn set_offline(&self, offline: bool) {
        self.offline.store(offline, std::sync::atomic::Ordering::SeqCst);
    }

    pub fn recorded(&self) -> Vec<RecordedRequest> {
        self.requests.lock().unwrap().clone()
    }

    pub fn url(&self, query: &str) -> String {
        format!("http://127.0.0.1:{}{SUB_PATH}{query}", self.port)
    }
}

/// A chromedriver process and a session in headless Chromium; both end when dropped.
pub struct Browser {
    pub client: Client,
    driver: Child,
    _profile: TempDir,
    /// Where downloads (report exports) land.
    pub downloads: TempDir,
}

pub struct TempDir(pub PathBuf);

impl TempDir {
    pub fn new(tag: &str) -> TempDir {
        let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_nanos();
        let dir = std::env::temp_dir().join(format!("episcope-{tag}-{}-{nanos}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        TempDir(dir)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

impl Browser {
    /// Starts Chromium with `server` as its proxy for every origin (loopback included), so the
    /// server sees every request the page, its workers and its service worker make.
    pub async fn start(server: &StaticServer) -> Browser {
        let chromedriver = std::env::var("CHROMEDRIVER").unwrap_or_else(|_| "/usr/bin/chromedriver".into());
        let port = free_port();
        let driver = Command::new(&chromedriver)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| {
                panic!("cannot start {chromedriver}: {e} (scripts/ensure-tools.sh --browser installs it)")
            });
        let profile = TempDir::new("chrome-profile");
        let args = serde_json::json!([
            "--headless=new",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--disable-dev-shm-usage",
            "--enable-unsafe-swiftshader",
            "--window-size=1280,1000",
            format!("--user-data-dir={}", profile.0.display()),
        ]);
        let downloads = TempDir::new("downloads");
        let prefs = serde_json::json!({
            "download.default_directory": downloads.0.display().to_string(),
            "download.prompt_for_download": false,
        });
        let mut caps = serde_json::Map::new();
        // ChromeDriver starts Chromium with --no-proxy-server unless the session asks for a proxy.
        caps.insert(
            "proxy".into(),
            serde_json::json!({ "proxyType": "manual", "httpProxy": format!("127.0.0.1:{}", server.port), "sslProxy": format!("127.0.0.1:{}", server.port), "noProxy": ["<-loopback>"] }),
        );
        caps.insert(
            "goog:chromeOptions".into(),
            serde_json::json!({ "binary": "/usr/bin/chromium", "args": args, "prefs": prefs }),
        );
        let url = format!("http://127.0.0.1:{port}");
        let deadline = Instant::now() + Duration::from_secs(30);
        let client = loop {
            let attempt = ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
                .capabilities(caps.clone())
                .connect(&url)
                .await;
            match attempt {
                Ok(client) => break client,
                Err(e) if Instant::now() < deadline => {
                    let _ = e;
                    tokio::time::sleep(Duration::from_millis(200)).await;
                }
                Err(e) => panic!("cannot start a Chromium session: {e}"),
            }
        };
        Browser { client, driver, _profile: profile, downloads }
    }

    /// Peak resident memory (VmHWM, bytes) of each Chromium renderer process of this session (the
    /// page and its workers run in one), found as descendants of this session's ChromeDriver.
    #[allow(dead_code)]
    pub fn renderer_peak_rss_bytes(&self) -> Vec<u64> {
        let driver = self.driver.id();
        let parent_of = |pid: u32| -> Option<u32> {
            let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
            stat.rsplit_once(')')?.1.split_whitespace().nth(1)?.parse().ok()
        };
        let mut peaks = Vec::new();
        for entry in std::fs::read_dir("/proc").into_iter().flatten().flatten() {
            let Some(pid) = entry.file_name().to_str().and_then(|n| n.parse::<u32>().ok()) else { continue };
            let cmdline = std::fs::read(format!("/proc/{pid}/cmdline")).unwrap_or_default();
            if !String::from_utf8_lossy(&cmdline).contains("--type=renderer") {
                continue;
            }
            let mut ancestor = parent_of(pid);
            let mut ours = false;
            for _ in 0..8 {
                match ancestor {
                    Some(p) if p == driver => {
                        ours = true;
                        break;
                    }
                    Some(p) if p > 1 => ancestor = parent_of(p),
                    _ => break,
                }
            }
            let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
            let peak_kib = status
                .lines()
                .find_map(|l| l.strip_prefix("VmHWM:"))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok());
            if let (true, Some(kib)) = (ours, peak_kib) {
                peaks.push(kib * 1024);
            }
        }
        peaks
    }

    /// Waits for a CSS selector to match, up to 30 s.
    pub async fn wait_for(&self, css: &str) -> fantoccini::elements::Element {
        self.client
            .wait()
            .at_most(Duration::from_secs(30))
            .for_element(Locator::Css(css))
            .await
            .unwrap_or_else(|e| panic!("`{css}` never appeared: {e}"))
    }

    /// Saves a PNG of the page to `$EPISCOPE_SCREENSHOTS/<name>.png` when that variable is set
    /// (for looking at what the tests saw).
    pub async fn screenshot(&self, name: &str) {
        if let Some(dir) = std::env::var_os("EPISCOPE_SCREENSHOTS") {
            let png = self.client.screenshot().await.expect("screenshot");
            std::fs::create_dir_all(&dir).unwrap();
            std::fs::write(PathBuf::from(dir).join(format!("{name}.png")), png).unwrap();
        }
    }

    /// Waits up to 20 s for a finished download named `name` and returns its bytes.
    /// The bytes of the download `name`, once it is there; the file is then removed, so a later
    /// download of the same name is saved under that name again.
    pub async fn downloaded(&self, name: &str) -> Vec<u8> {
        let path = self.downloads.0.join(name);
        let deadline = Instant::now() + Duration::from_secs(20);
        while Instant::now() < deadline {
            if let Ok(bytes) = std::fs::read(&path) {
                if !bytes.is_empty() {
                    let _ = std::fs::remove_file(&path);
                    return bytes;
                }
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("no download {name} in {}", self.downloads.0.display());
    }

    pub async fn close(mut self) {
        let _ = self.client.clone().close().await;
        let _ = self.driver.kill();
        let _ = self.driver.wait();
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        let _ = self.driver.kill();
    }
}
