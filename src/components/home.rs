//! The home page: what Episcope is, the no-upload promise, the folder picker, the drop zone and
//! the bundled examples.

use leptos::prelude::*;
use leptos::task::spawn_local;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;
use web_sys::{DragEvent, HtmlInputElement};

use crate::app::{base_url, query_example, AppState, UserError};
use crate::dropped::{collect_files, entries_of, plain_files_of};
use crate::i18n::common::CommonSentence;
use crate::i18n::home::{HomeSentence, HomeText};
use crate::i18n::recording::RecordingText;
use crate::i18n::{t, use_lang, Text};
use crate::protocol::ExampleIndex;

/// Why the list of bundled examples could not be loaded.
#[derive(Debug, Clone, thiserror::Error)]
#[error("could not load the bundled examples: {reason}")]
pub struct ExamplesError {
    reason: String,
}

impl ExamplesError {
    fn text(&self, lang: crate::i18n::Lang) -> String {
        HomeSentence::ExamplesUnavailable { reason: self.reason.clone() }.text(lang)
    }
}

async fn fetch_examples() -> Result<ExampleIndex, ExamplesError> {
    let err = |reason: String| ExamplesError { reason };
    let url = base_url("examples/index.json").map_err(err)?;
    let window = web_sys::window().ok_or_else(|| err("no window".into()))?;
    let response: web_sys::Response =
        JsFuture::from(window.fetch_with_str(&url)).await.map_err(|e| err(format!("{e:?}")))?.unchecked_into();
    if !response.ok() {
        return Err(err(format!("HTTP {}", response.status())));
    }
    let text = JsFuture::from(response.text().map_err(|e| err(format!("{e:?}")))?)
        .await
        .map_err(|e| err(format!("{e:?}")))?
        .as_string()
        .unwrap_or_default();
    serde_json::from_str(&text).map_err(|e| err(e.to_string()))
}

fn picked_files(input: &HtmlInputElement) -> Vec<(String, web_sys::File)> {
    let Some(list) = input.files() else { return Vec::new() };
    (0..list.length())
        .filter_map(|i| list.get(i))
        .map(|file| {
            // `webkitRelativePath` is not in web-sys' `File`; read the property directly.
            let relative = js_sys::Reflect::get(&file, &"webkitRelativePath".into())
                .ok()
                .and_then(|v| v.as_string())
                .unwrap_or_default();
            let path = if relative.is_empty() { file.name() } else { relative };
            (path, file)
        })
        .collect()
}

#[component]
pub fn HomePage() -> impl IntoView {
    let state = expect_context::<AppState>();
    let lang = use_lang();
    let dragging = RwSignal::new(false);
    let examples = LocalResource::new(fetch_examples);
    let deep_link_done = StoredValue::new(false);
    Effect::new(move || {
        if let Some(Ok(index)) = examples.get() {
            if !deep_link_done.get_value() {
                deep_link_done.set_value(true);
                if let Some(id) = query_example() {
                    match index.examples.iter().find(|e| e.id == id) {
                        Some(example) => state.open_example(example.clone()),
                        None => state.error.set(Some(UserError {
                            message: CommonSentence::NoSuchExample { id }.text(lang.get_untracked()),
                            path: None,
                        })),
                    }
                }
            }
        }
    });

    let on_pick = move |ev: leptos::ev::Event| {
        let input: HtmlInputElement = event_target(&ev);
        let files = picked_files(&input);
        state.open_local(files);
        // Let the same folder be picked again.
        input.set_value("");
    };
    let on_drop = move |ev: DragEvent| {
        ev.prevent_default();
        dragging.set(false);
        let Some(transfer) = ev.data_transfer() else { return };
        let entries = entries_of(&transfer);
        let plain = if entries.is_empty() { plain_files_of(&transfer) } else { Vec::new() };
        spawn_local(async move {
            if !plain.is_empty() {
                state.open_local(plain);
                return;
            }
            match collect_files(entries).await {
                Ok(files) => state.open_local(files),
                Err(e) => state.error.set(Some(UserError {
                    message: CommonSentence::DropUnreadable { reason: format!("{e:?}") }.text(lang.get_untracked()),
                    path: None,
                })),
            }
        });
    };

    view! {
        <section class="hero">
            <h1 data-testid="home-title">{t(HomeText::Title)}</h1>
            <p class="lede">{t(HomeText::Lede)}</p>
            <p class="promise" data-testid="privacy-promise">{t(HomeText::Promise)}</p>
            <details class="privacy-how" data-testid="privacy-how">
                <summary>{t(HomeText::HowEnforced)}</summary>
                <ul>
                    <li>{t(HomeText::HowCsp)}</li>
                    <li>{t(HomeText::HowFileApi)}</li>
                    <li>{t(HomeText::HowExports)}</li>
                    <li>{t(HomeText::HowTests)}</li>
                    <li>{t(HomeText::HowNoThirdParty)}</li>
                </ul>
            </details>
        </section>
        <section
            class="dropzone"
            class:dragging=move || dragging.get()
            on:dragover=move |ev: DragEvent| { ev.prevent_default(); dragging.set(true); }
            on:dragleave=move |_| dragging.set(false)
            on:drop=on_drop
            data-testid="drop-zone"
        >
            <h2>{t(HomeText::OpenFolder)}</h2>
            <p>{t(HomeText::ChooseFolderBefore)}<code>"meta/info.json"</code>{t(HomeText::ChooseFolderAfter)}</p>
            <label class="picker">
                <span class="visually-hidden">{t(HomeText::FolderLabel)}</span>
                <input type="file" prop:webkitdirectory=true multiple=true data-testid="open-folder" on:change=on_pick/>
            </label>
            <h3>{t(RecordingText::OpenRecording)}</h3>
            <p class="muted">{t(RecordingText::OpenRecordingHint)}</p>
            <label class="picker">
                <span class="visually-hidden">{t(RecordingText::RecordingLabel)}</span>
                <input type="file" multiple=true accept=".mcap,.db3,.yaml,.bag,.hdf5,.h5" data-testid="open-recording" on:change=on_pick/>
            </label>
        </section>
        <section class="examples">
            <h2 data-testid="examples-title">{t(HomeText::TryExample)}</h2>
            <Transition fallback=|| view! { <p class="muted">{t(HomeText::LoadingExamples)}</p> }>
                <ErrorBoundary fallback=move |errors| view! {
                    <p class="error" data-testid="error">
                        {move || errors.get().into_iter().map(|(_, e)| match e.downcast_ref::<ExamplesError>() {
                            Some(e) => e.text(lang.get()),
                            None => e.to_string(),
                        }).collect::<Vec<_>>().join("; ")}
                    </p>
                }>
                    {move || Suspend::new(async move {
                        examples.await.map(|index| {
                            index.examples.into_iter().map(|example| {
                                let open = example.clone();
                                let files = example.files.len() as u64;
                                let size: u64 = example.files.iter().map(|f| f.size_bytes).sum();
                                view! {
                                    <button class="example-card" data-testid="example" data-example=example.id.clone()
                                        on:click=move |_| state.open_example(open.clone())>
                                        <span class="badge">{example.version.clone()}</span>
                                        <span class="example-title">{example.title.clone()}</span>
                                        <span class="muted">{move || HomeSentence::ExampleSize { files, size_bytes: size }.text(lang.get())}</span>
                                    </button>
                                }
                            }).collect_view()
                        })
                    })}
                </ErrorBoundary>
            </Transition>
        </section>
    }
}
