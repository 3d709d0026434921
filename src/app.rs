//! The app shell: state, opening datasets through the worker, and the page switch between the home
//! page, a dataset's overview and one episode's plots.

use episcope_core::check::Report;
use episcope_core::lerobot::overview::Overview;
use leptos::prelude::*;
use leptos::task::spawn_local;
use wasm_bindgen::JsCast;

use crate::components::episode::EpisodePage;
use crate::components::home::HomePage;
use crate::components::overview::OverviewPage;
use crate::components::rules::RulesPage;
use crate::components::status::{ErrorBanner, ProgressPanel};
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
}

/// Which page is shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Page {
    /// Home, or the open dataset.
    Main,
    /// The rule catalogue.
    Rules,
}

/// Datasets up to this size are checked as soon as they open; larger ones on request.
const AUTO_CHECK_MAX_BYTES: u64 = 256 * 1024 * 1024;

impl AppState {
    fn new() -> Self {
        Self {
            overview: RwSignal::new(None),
            progress: RwSignal::new(None),
            error: RwSignal::new(None),
            example_id: RwSignal::new(None),
            report: RwSignal::new(None),
            checking: RwSignal::new(false),
            focused_episode: RwSignal::new(None),
            selected_episode: RwSignal::new(None),
            page: RwSignal::new(Page::Main),
        }
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
        self.selected_episode.set(None);
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
        self.report.set(None);
        self.focused_episode.set(None);
        self.selected_episode.set(None);
        self.page.set(Page::Main);
        self.example_id.set(None);
        self.error.set(None);
        set_query(None);
    }

    async fn run_open(self, request: Request, files: js_sys::Array) {
        self.error.set(None);
        self.progress.set(Some(LoadProgress { stage: "info".into(), done: 0, total: 1, bytes_read: 0 }));
        let answer = client().request(request, files, move |p| self.progress.set(Some(p.into()))).await;
        self.progress.set(None);
        match answer {
            Response::Opened { overview, .. } => {
                let auto_check = overview.total_size_bytes <= AUTO_CHECK_MAX_BYTES;
                self.report.set(None);
                self.focused_episode.set(None);
                self.selected_episode.set(None);
                self.overview.set(Some(*overview));
                if auto_check {
                    self.run_check();
                }
            }
            Response::Failed { message, path, .. } => self.error.set(Some(UserError { message, path })),
            other => self
                .error
                .set(Some(UserError { message: format!("unexpected answer from the reader: {other:?}"), path: None })),
        }
    }

    /// Opens files the user picked or dropped: `(relative path, File)` pairs. Only `File` handles go
    /// to the worker, which reads them lazily; nothing is uploaded anywhere.
    pub fn open_local(self, files: Vec<(String, web_sys::File)>) {
        if files.is_empty() {
            self.error.set(Some(UserError { message: "The folder is empty.".into(), path: None }));
            return;
        }
        let paths: Vec<String> = files.iter().map(|(p, _)| p.clone()).collect();
        let name = name_picked_folder(&paths);
        let array = js_sys::Array::new();
        for (_, file) in &files {
            array.push(file);
        }
        let request = Request::OpenLocal {
            request_id: client().next_request_id(),
            name,
            paths,
            debug_panic_on: query_param("debug-panic-on"),
        };
        self.example_id.set(None);
        set_query(None);
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
            base_url,
            files: example.files.clone(),
        };
        self.example_id.set(Some(example.id.clone()));
        set_query(Some(&example.id));
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

fn set_query(example: Option<&str>) {
    let Some(window) = web_sys::window() else { return };
    let Ok(href) = window.location().href() else { return };
    let Ok(url) = web_sys::Url::new(&href) else { return };
    match example {
        Some(id) => url.search_params().set("example", id),
        None => url.search_params().delete("example"),
    }
    if let Ok(history) = window.history() {
        let _ = history.replace_state_with_url(&wasm_bindgen::JsValue::NULL, "", Some(&url.href()));
    }
}

#[component]
pub fn App() -> impl IntoView {
    let state = AppState::new();
    provide_context(state);
    view! {
        <header class="topbar">
            <a class="brand" href="./" on:click=move |ev| { ev.prevent_default(); state.close(); }>
                <img src="icons/episcope.svg" alt="" width="28" height="28"/>
                <span>"Episcope"</span>
            </a>
            <nav class="topnav">
                <button class="navlink" data-testid="nav-rules" on:click=move |_| state.page.set(Page::Rules)>"Rules"</button>
                <span class="privacy-pill" title="Files are read inside this browser tab. Nothing is uploaded.">
                    "Local only · nothing leaves this browser"
                </span>
            </nav>
        </header>
        <main>
            <ErrorBanner/>
            <ProgressPanel/>
            <Show when=move || state.page.get() == Page::Rules>
                <button class="secondary" on:click=move |_| state.page.set(Page::Main)>"← Back"</button>
                <RulesPage/>
            </Show>
            <Show when=move || state.page.get() == Page::Main>
                <Show when=move || state.overview.with(Option::is_some) fallback=|| view! { <HomePage/> }>
                    {move || match state.selected_episode.get() {
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
