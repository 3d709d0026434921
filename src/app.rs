//! The app shell: state, opening datasets through the worker, and the page switch between the home
//! page, a dataset's overview and one episode's plots.

use episcope_core::check::Report;
use episcope_core::lerobot::overview::Overview;
use episcope_core::recording::Recording;
use leptos::prelude::*;
use leptos::task::spawn_local;
use wasm_bindgen::JsCast;

use crate::components::compare::ComparePage;
use crate::components::episode::EpisodePage;
use crate::components::home::HomePage;
use crate::components::lang_switch::LangSwitch;
use crate::components::overview::OverviewPage;
use crate::components::recording::RecordingPage;
use crate::components::recording_episode::RecordingEpisodePage;
use crate::components::report::ReportPage;
use crate::components::rules::RulesPage;
use crate::components::status::{ErrorBanner, ProgressPanel};
use crate::deep_link::{format_time_param, DeepLink};
use crate::i18n::analysis::AnalysisText;
use crate::i18n::common::{CommonSentence, CommonText};
use crate::i18n::{document_lang, provide_lang, t, Text};
use crate::protocol::{Example, Request, Response};
use crate::view_model::name_picked_folder;
use crate::worker_client::{client, WorkerProgress};

/// What the user sees while a dataset loads.
#[derive(Debug, Clone, PartialEq)]
pub struct LoadProgress {
    pub stage: String,
    pub done: u64,
    pub total: u64,
    pub bytes_read: u64,
}

impl From<WorkerProgress> for LoadProgress {
    fn from(p: WorkerProgress) -> Self {
        Self { stage: p.stage, done: p.done, total: p.total, bytes_read: p.bytes_read }
    }
}

/// An error shown to the user, with the file at fault when known.
#[derive(Debug, Clone, PartialEq)]
pub struct UserError {
    pub message: String,
    pub path: Option<String>,
}

/// The app's state, shared by context (all fields are `Copy` signals).
#[derive(Clone, Copy)]
pub struct AppState {
    pub overview: RwSignal<Option<Overview>>,
    /// Recording files opened instead of a dataset: (name, total size in bytes, what they hold).
    pub recording: RwSignal<Option<(String, u64, Recording)>>,
    pub progress: RwSignal<Option<LoadProgress>>,
    pub error: RwSignal<Option<UserError>>,
    /// Bundled example id when the open dataset is one (for deep links).
    pub example_id: RwSignal<Option<String>>,
    /// The conformance report of the open dataset, once checked.
    pub report: RwSignal<Option<Report>>,
    pub checking: RwSignal<bool>,
    /// The episode a finding pointed at (highlighted in the episode list).
    pub focused_episode: RwSignal<Option<u64>>,
    /// The episode shown in the episode view (`None`: the overview).
    pub selected_episode: RwSignal<Option<u64>>,
    pub page: RwSignal<Page>,
    /// Episodes in the order the episode list shows them (filtered and sorted); the episode view's
    /// previous/next follow it.
    pub episode_order: RwSignal<Vec<u64>>,
    /// The files of the open local dataset, kept on the page only to play its videos through
    /// object URLs (`relative path`, `File`).
    pub local_files: StoredValue<Vec<(String, web_sys::File)>, LocalStorage>,
    /// How the open dataset or recording was opened, so a conversion worker can open it again.
    pub opened_from: StoredValue<Option<OpenedFrom>>,
    /// A deep link's episode and time, applied once the dataset it names has opened.
    pub pending_link: StoredValue<Option<DeepLink>>,
    /// The episode and time a deep link opened, for the episode view to start at.
    pub linked_time: StoredValue<Option<(u64, f64)>>,
    /// Bytes read from the open dataset so far (shown for the curious, measured by benchmarks).
    pub bytes_read: RwSignal<u64>,
    /// The worker's own time for the last open or episode read, in ms (`data-worker-ms`, for benchmarks).
    pub worker_ms: RwSignal<f64>,
}

/// Where the open dataset or recording came from (its `File` handles stay in
/// [`AppState::local_files`]).
#[derive(Debug, Clone, PartialEq)]
pub enum OpenedFrom {
    /// A folder or files the user picked or dropped.
    Local { name: String },
    /// A bundled example on the app's own origin.
    Bundled { name: String, base_url: String, files: Vec<crate::protocol::BundledFile> },
}

/// Which page is shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Page {
    /// Home, or the open dataset.
    Main,
    /// The rule catalogue.
    Rules,
    /// The open dataset's plain-language report.
    Report,
    /// Datasets side by side from their reports.
    Compare,
}

/// Datasets up to this size are checked as soon as they open; larger ones on request.
/// (Checking reads every data file: on larger datasets it would compete with the first episode's
/// read for the worker and the disk, so the user starts it.)
const AUTO_CHECK_MAX_BYTES: u64 = 64 * 1024 * 1024;

impl AppState {
    fn new() -> Self {
        Self {
            overview: RwSignal::new(None),
            recording: RwSignal::new(None),
            progress: RwSignal::new(None),
            error: RwSignal::new(None),
            example_id: RwSignal::new(None),
            report: RwSignal::new(None),
            checking: RwSignal::new(false),
            focused_episode: RwSignal::new(None),
            selected_episode: RwSignal::new(None),
            page: RwSignal::new(Page::Main),
            episode_order: RwSignal::new(Vec::new()),
            local_files: StoredValue::new_local(Vec::new()),
            opened_from: StoredValue::new(None),
            pending_link: StoredValue::new(Some(current_link())),
            linked_time: StoredValue::new(None),
            bytes_read: RwSignal::new(0),
            worker_ms: RwSignal::new(0.0),
        }
    }

    /// Opens an episode (or the overview with `None`) and puts it in the URL.
    pub fn select_episode(self, episode: Option<u64>) {
        self.selected_episode.set(episode);
        update_link(|link| {
            link.episode = episode;
            link.time_secs = None;
        });
    }

    /// The URL to use for a video or image file of the open dataset: an object URL of the local
    /// file (the caller revokes it), or the bundled example's same-origin URL. Matched by the path
    /// relative to the dataset root (`videos/…/episode_000001.mp4`).
    pub fn file_url(self, dataset_path: &str) -> Option<(String, bool)> {
        if let Some(example) = self.example_id.get_untracked() {
            return base_url(&format!("examples/{example}/{dataset_path}")).ok().map(|url| (url, false));
        }
        let suffix = format!("/{dataset_path}");
        self.local_files.with_value(|files| {
            let (_, file) = files.iter().find(|(path, _)| path == dataset_path || path.ends_with(&suffix))?;
            web_sys::Url::create_object_url_with_blob(file).ok().map(|url| (url, true))
        })
    }

    /// Runs the checker in the worker over the open dataset.
    pub fn run_check(self) {
        if self.checking.get_untracked() {
            return;
        }
        self.checking.set(true);
        spawn_local(async move {
            let request = Request::Check { request_id: client().next_request_id() };
            let answer =
                client().request(request, js_sys::Array::new(), move |p| self.progress.set(Some(p.into()))).await;
            self.progress.set(None);
            self.checking.set(false);
            match answer {
                Response::Checked { report, .. } => self.report.set(Some(*report)),
                Response::Failed { message, path, .. } => self.error.set(Some(UserError { message, path })),
                _ => {}
            }
        });
    }

    /// Scrolls to an episode named by a finding and highlights it.
    pub fn focus_episode(self, episode: u64) {
        self.select_episode(None);
        self.focused_episode.set(Some(episode));
        if let Some(row) = web_sys::window()
            .and_then(|w| w.document())
            .and_then(|d| d.get_element_by_id(&format!("episode-{episode}")))
        {
            row.scroll_into_view();
        }
    }

    /// Back to the home page.
    pub fn close(self) {
        self.overview.set(None);
        self.recording.set(None);
        self.report.set(None);
        self.focused_episode.set(None);
        self.selected_episode.set(None);
        self.page.set(Page::Main);
        self.example_id.set(None);
        self.error.set(None);
        self.local_files.set_value(Vec::new());
        self.opened_from.set_value(None);
        update_link(|link| *link = DeepLink::default());
    }

    /// The request (and `File` handles) that opens the open dataset or recording again, in another
    /// worker (the conversion worker), with `request_id`.
    /// The name the open dataset or recording was opened under.
    pub fn opened_name(self) -> Option<String> {
        self.opened_from.with_value(|from| match from.as_ref()? {
            OpenedFrom::Local { name } | OpenedFrom::Bundled { name, .. } => Some(name.clone()),
        })
    }

    pub fn reopen_request(self, request_id: u32) -> Option<(Request, js_sys::Array)> {
        let files = js_sys::Array::new();
        let request = match self.opened_from.get_value()? {
            OpenedFrom::Local { name } => {
                let paths = self.local_files.with_value(|local| {
                    local
                        .iter()
                        .map(|(path, file)| {
                            files.push(file);
                            path.clone()
                        })
                        .collect()
                });
                Request::OpenLocal { request_id, name, paths, debug_panic_on: None }
            }
            OpenedFrom::Bundled { name, base_url, files } => Request::OpenBundled { request_id, name, base_url, files },
        };
        Some((request, files))
    }

    async fn run_open(self, request: Request, files: js_sys::Array) {
        self.error.set(None);
        self.progress.set(Some(LoadProgress { stage: "info".into(), done: 0, total: 1, bytes_read: 0 }));
        let answer = client().request(request, files, move |p| self.progress.set(Some(p.into()))).await;
        self.progress.set(None);
        match answer {
            Response::RecordingOpened { name, recording, size_bytes, bytes_read, worker_ms, .. } => {
                self.bytes_read.set(bytes_read);
                self.worker_ms.set(worker_ms);
                self.report.set(None);
                self.overview.set(None);
                self.selected_episode.set(None);
                self.recording.set(Some((name, size_bytes, *recording)));
                if size_bytes <= AUTO_CHECK_MAX_BYTES {
                    self.run_check();
                }
            }
            Response::Opened { overview, bytes_read, worker_ms, .. } => {
                self.recording.set(None);
                self.bytes_read.set(bytes_read);
                self.worker_ms.set(worker_ms);
                let auto_check = overview.total_size_bytes <= AUTO_CHECK_MAX_BYTES;
                self.report.set(None);
                self.focused_episode.set(None);
                self.selected_episode.set(None);
                let link = self.pending_link.try_update_value(|l| l.take()).flatten();
                let linked_time = link.as_ref().and_then(|l| l.time_secs);
                let linked_episode =
                    link.and_then(|l| l.episode).filter(|e| overview.episode_list.iter().any(|x| x.index == *e));
                self.linked_time.set_value(linked_episode.zip(linked_time));
                self.episode_order.set(overview.episode_list.iter().map(|e| e.index).collect());
                self.overview.set(Some(*overview));
                if let Some(episode) = linked_episode {
                    self.selected_episode.set(Some(episode));
                    update_link(|l| {
                        l.episode = Some(episode);
                        l.time_secs = linked_time;
                    });
                }
                if auto_check {
                    self.run_check();
                }
            }
            Response::Failed { message, path, .. } => self.error.set(Some(UserError { message, path })),
            other => self.error.set(Some(UserError {
                message: CommonSentence::UnexpectedAnswer { answer: format!("{other:?}") }.text(document_lang()),
                path: None,
            })),
        }
    }

    /// Opens files the user picked or dropped: `(relative path, File)` pairs. Only `File` handles go
    /// to the worker, which reads them lazily; nothing is uploaded anywhere.
    pub fn open_local(self, files: Vec<(String, web_sys::File)>) {
        if files.is_empty() {
            self.error
                .set(Some(UserError { message: CommonText::EmptyFolder.str(document_lang()).into(), path: None }));
            return;
        }
        let paths: Vec<String> = files.iter().map(|(p, _)| p.clone()).collect();
        let name = name_picked_folder(&paths);
        let array = js_sys::Array::new();
        for (_, file) in &files {
            array.push(file);
        }
        self.local_files.set_value(files);
        self.opened_from.set_value(Some(OpenedFrom::Local { name: name.clone() }));
        // A deep link names an example; it does not apply to a folder opened by hand.
        self.pending_link.set_value(None);
        let request = Request::OpenLocal {
            request_id: client().next_request_id(),
            name,
            paths,
            debug_panic_on: query_param("debug-panic-on"),
        };
        self.example_id.set(None);
        update_link(|link| *link = DeepLink::default());
        spawn_local(self.run_open(request, array));
    }

    /// Opens a bundled example, fetched from the app's own origin.
    pub fn open_example(self, example: Example) {
        let base_url = match base_url(&format!("examples/{}/", example.id)) {
            Ok(url) => url,
            Err(message) => {
                self.error.set(Some(UserError { message, path: None }));
                return;
            }
        };
        let request = Request::OpenBundled {
            request_id: client().next_request_id(),
            name: example.title.clone(),
            base_url: base_url.clone(),
            files: example.files.clone(),
        };
        self.example_id.set(Some(example.id.clone()));
        self.local_files.set_value(Vec::new());
        self.opened_from.set_value(Some(OpenedFrom::Bundled {
            name: example.title.clone(),
            base_url,
            files: example.files.clone(),
        }));
        // Keep a deep link's episode and time only when it names this example.
        self.pending_link.update_value(|l| {
            if l.as_ref().is_some_and(|l| l.example.as_deref() != Some(example.id.as_str())) {
                *l = None;
            }
        });
        let id = example.id.clone();
        update_link(move |link| *link = DeepLink { example: Some(id), ..DeepLink::default() });
        spawn_local(self.run_open(request, js_sys::Array::new()));
    }
}

/// Resolves a path against the document's base URL (the app may be served from any sub-path).
pub fn base_url(relative: &str) -> Result<String, String> {
    let document = web_sys::window().and_then(|w| w.document()).ok_or("no document")?;
    let base = document.base_uri().ok().flatten().unwrap_or_default();
    web_sys::Url::new_with_base(relative, &base).map(|u| u.href()).map_err(|_| format!("cannot resolve {relative}"))
}

/// A query parameter of the current URL.
pub fn query_param(name: &str) -> Option<String> {
    let search = web_sys::window()?.location().search().ok()?;
    let params = web_sys::UrlSearchParams::new_with_str(&search).ok()?;
    params.get(name).filter(|s| !s.is_empty())
}

/// The `?example=` query parameter of the current URL.
pub fn query_example() -> Option<String> {
    query_param("example")
}

/// The deep link in the current URL.
pub fn current_link() -> DeepLink {
    let pairs: Vec<(String, String)> = ["example", "episode", "t"]
        .into_iter()
        .filter_map(|key| query_param(key).map(|value| (key.to_string(), value)))
        .collect();
    DeepLink::from_pairs(pairs.iter().map(|(k, v)| (k.as_str(), v.as_str())))
}

/// Rewrites the URL's deep link in place (no navigation, no history entry).
pub fn update_link(change: impl FnOnce(&mut DeepLink)) {
    let Some(window) = web_sys::window() else { return };
    let Ok(href) = window.location().href() else { return };
    let Ok(url) = web_sys::Url::new(&href) else { return };
    let mut link = current_link();
    change(&mut link);
    for (key, value) in link.to_pairs() {
        match value {
            Some(value) => url.search_params().set(key, &value),
            None => url.search_params().delete(key),
        }
    }
    if url.href() != href {
        if let Ok(history) = window.history() {
            let _ = history.replace_state_with_url(&wasm_bindgen::JsValue::NULL, "", Some(&url.href()));
        }
    }
}

/// Puts the cursor time in the URL (`t`), so a copied link reopens the same moment.
pub fn update_link_time(time_secs: Option<f64>) {
    let formatted = time_secs.map(format_time_param);
    update_link(|link| link.time_secs = formatted.and_then(|t| t.parse().ok()));
}

#[component]
pub fn App() -> impl IntoView {
    let state = AppState::new();
    provide_context(state);
    provide_lang();
    crate::components::stats::provide_analysis(state);
    // Start the parsing worker once the home page has painted, not when a folder is chosen: its
    // wasm compiles while the user looks for the folder (≈ 75 ms of the 1M-frame open path).
    request_animation_frame(|| {
        let _ = client();
    });
    view! {
        <header class="topbar">
            <a class="brand" href="./" on:click=move |ev| { ev.prevent_default(); state.close(); }>
                <img src="icons/episcope.svg" alt="" width="28" height="28"/>
                <span>"Episcope"</span>
            </a>
            <nav class="topnav">
                <button class="navlink" data-testid="nav-rules" on:click=move |_| state.page.set(Page::Rules)>{t(CommonText::NavRules)}</button>
                <button class="navlink" data-testid="nav-compare" on:click=move |_| state.page.set(Page::Compare)>
                    {t(AnalysisText::NavCompare)}
                </button>
                <span class="privacy-pill" title=t(CommonText::PrivacyHint)>{t(CommonText::PrivacyPill)}</span>
                <LangSwitch/>
            </nav>
        </header>
        <main>
            <ErrorBanner/>
            <ProgressPanel/>
            <Show when=move || state.page.get() == Page::Report>
                <ReportPage/>
            </Show>
            <Show when=move || state.page.get() == Page::Compare>
                <ComparePage/>
            </Show>
            <Show when=move || state.page.get() == Page::Rules>
                <button class="secondary" on:click=move |_| state.page.set(Page::Main)>{t(CommonText::Back)}</button>
                <RulesPage/>
            </Show>
            <Show when=move || state.page.get() == Page::Main>
                <Show when=move || state.overview.with(Option::is_some) || state.recording.with(Option::is_some) fallback=|| view! { <HomePage/> }>
                    {move || match state.selected_episode.get() {
                        Some(episode) if state.recording.with(Option::is_some) => view! { <RecordingEpisodePage episode/> }.into_any(),
                        _ if state.recording.with(Option::is_some) => view! { <RecordingPage/> }.into_any(),
                        Some(episode) => view! { <EpisodePage episode/> }.into_any(),
                        None => view! { <OverviewPage/> }.into_any(),
                    }}
                </Show>
            </Show>
        </main>
    }
}

/// Mounts the app on `<body>`.
pub fn mount() {
    console_error_panic_hook::set_once();
    // Drop the static "loading" placeholder once the app runs.
    if let Some(placeholder) = web_sys::window()
        .and_then(|w| w.document())
        .and_then(|d| d.get_element_by_id("boot"))
        .and_then(|e| e.dyn_into::<web_sys::HtmlElement>().ok())
    {
        placeholder.remove();
    }
    register_service_worker();
    leptos::mount::mount_to_body(App);
}

/// Registers `sw.js`, which caches the app shell and bundled examples so the page works offline
/// after the first visit. It never sees local datasets (they are read from `File` objects).
fn register_service_worker() {
    let Some(window) = web_sys::window() else { return };
    let container = window.navigator().service_worker();
    if let Ok(url) = base_url("sw.js") {
        let _ = container.register(&url);
    }
}
