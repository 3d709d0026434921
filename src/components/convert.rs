//! The conversion panel: the open dataset (any LeRobot version) or recording converted to LeRobot
//! v3.0 by a conversion worker started for it (the writer is not part of the page's first load),
//! with progress (rate, time left), cancel, the checker's verdict on the output and the result
//! streamed into a folder the user picks (File System Access) or saved as one zip through a
//! `blob:` URL — nothing leaves the browser. A cancelled or failed conversion into a folder removes
//! the folder it was writing.

use std::rc::Rc;

use js_sys::{Promise, Reflect};
use leptos::prelude::*;
use leptos::task::spawn_local;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;

use crate::app::{query_param, AppState};
use crate::components::stats::{download_text, unexpected_answer, Job};
use crate::i18n::analysis::AnalysisText;
use crate::i18n::convert::{rate_and_time_left, ConvertSentence, ConvertText};
use crate::i18n::{t, use_lang, Text};
use crate::js::{error_message, error_name, object};
use crate::protocol::{converted_folder_name, ConversionSummary, ConvertLayout, Request, Response};
use crate::worker_client::{client, spawn_converter, WorkerClient, WorkerProgress};

/// A finished conversion: what the worker said, and the archive as a `blob:` URL (none when it
/// was written into a folder).
#[derive(Debug, Clone, PartialEq)]
struct Finished {
    summary: ConversionSummary,
    url: Option<String>,
}

/// Where the output goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Destination {
    Folder,
    Zip,
}

/// The dataset's folder being written: the folder the user picked and the name made in it.
#[derive(Clone)]
struct OutputFolder {
    parent: JsValue,
    name: String,
}

/// Calls `target.method(args…)` and awaits the promise it returns.
async fn call_async(target: &JsValue, method: &str, args: &[&JsValue]) -> Result<JsValue, JsValue> {
    let function: js_sys::Function = Reflect::get(target, &method.into())?.dyn_into()?;
    let promise: Promise = function.apply(target, &args.iter().copied().collect::<js_sys::Array>())?.dyn_into()?;
    JsFuture::from(promise).await
}

/// Whether this browser can write into a folder the user picks (File System Access).
fn can_pick_folder() -> bool {
    web_sys::window().is_some_and(|w| Reflect::has(&w, &"showDirectoryPicker".into()).unwrap_or(false))
}

/// Asks the user for a folder to write into; `None` when they close the picker.
async fn pick_folder() -> Result<Option<JsValue>, String> {
    let window: JsValue = web_sys::window().ok_or("no window")?.into();
    let picker_options = object(&[("mode", "readwrite".into()), ("id", "episcope-convert".into())]);
    match call_async(&window, "showDirectoryPicker", &[&picker_options]).await {
        Ok(handle) => Ok(Some(handle)),
        Err(e) if error_name(&e) == "AbortError" => Ok(None),
        Err(e) => Err(format!("cannot open the folder: {}", error_message(&e))),
    }
}

/// Makes the dataset's folder `name` in `parent`; refuses one that is already there (it is never
/// written over).
async fn make_output_folder(parent: &JsValue, name: &str) -> Result<JsValue, String> {
    match call_async(parent, "getDirectoryHandle", &[&name.into()]).await {
        Ok(_) => {
            return Err(format!(
                "a folder named {name} is already in the folder you picked: pick another folder, or move it away"
            ))
        }
        Err(e) if error_name(&e) == "NotFoundError" || error_name(&e) == "TypeMismatchError" => {}
        Err(e) => return Err(format!("cannot look into the folder you picked: {}", error_message(&e))),
    }
    call_async(parent, "getDirectoryHandle", &[&name.into(), &object(&[("create", true.into())])])
        .await
        .map_err(|e| format!("cannot make the folder {name}: {}", error_message(&e)))
}

async fn sleep_ms(ms: i32) {
    let promise = Promise::new(&mut |resolve, _| {
        if let Some(window) = web_sys::window() {
            let _ = window.set_timeout_with_callback_and_timeout_and_arguments_0(&resolve, ms);
        }
    });
    let _ = JsFuture::from(promise).await;
}

/// Removes a folder an unfinished conversion was writing. The ended worker's open files may hold
/// it for a moment, so it tries again for about two seconds.
async fn remove_output_folder(folder: OutputFolder) {
    let recursive = object(&[("recursive", true.into())]);
    for _ in 0..10 {
        match call_async(&folder.parent, "removeEntry", &[&folder.name.as_str().into(), &recursive]).await {
            Ok(_) => return,
            Err(e) if error_name(&e) == "NotFoundError" => return,
            Err(_) => sleep_ms(200).await,
        }
    }
    web_sys::console::warn_1(&format!("could not remove the unfinished folder {}", folder.name).into());
}

fn now_ms() -> f64 {
    web_sys::window().and_then(|w| w.performance()).map(|p| p.now()).unwrap_or(0.0)
}

/// `recording`: whether the open thing is a recording (the intro says how it is mapped).
#[component]
pub fn ConvertPanel(recording: bool) -> impl IntoView {
    let lang = use_lang();
    let state = expect_context::<AppState>();
    let job = RwSignal::new(Job::Idle);
    // The conversion worker of the conversion in progress (ended when it is done or cancelled).
    let converter = StoredValue::new_local(None::<Rc<WorkerClient>>);
    let stop_converter = move || {
        if let Some(worker) = converter.try_update_value(Option::take).flatten() {
            worker.terminate();
        }
    };
    let progress = RwSignal::new(None::<(WorkerProgress, f64)>);
    let finished = RwSignal::new_local(None::<Finished>);
    let folder_possible = can_pick_folder();
    let destination = RwSignal::new(Destination::Zip);
    // The folder the running conversion writes into (removed if it does not finish).
    let writing_folder = StoredValue::new_local(None::<OutputFolder>);
    let drop_unfinished_folder = move || {
        if let Some(folder) = writing_folder.try_update_value(Option::take).flatten() {
            spawn_local(remove_output_folder(folder));
        }
    };
    let default = ConvertLayout::default();
    let file_size_mb = RwSignal::new(default.data_files_size_in_mb);
    let chunks_size = RwSignal::new(default.chunks_size);
    // A recording's mapping: the suggestion (from the parsing worker), then as the user edits it.
    let suggested = RwSignal::new(None::<Result<(String, Vec<String>), String>>);
    let mapping_text = RwSignal::new(String::new());
    if recording {
        spawn_local(async move {
            let request = Request::SuggestMapping { request_id: client().next_request_id() };
            let answer = match client().request(request, js_sys::Array::new(), |_| {}).await {
                Response::MappingSuggested { toml, notes, .. } => Ok((toml, notes)),
                Response::Failed { message, .. } => Err(message),
                other => Err(unexpected_answer(&other)),
            };
            if let Ok((toml, _)) = &answer {
                if mapping_text.try_get_untracked().is_some_and(|t| t.is_empty()) {
                    mapping_text.set(toml.clone());
                }
            }
            let _ = suggested.try_set(Some(answer));
        });
    }
    let mapping_file_name = move || {
        let name = state.recording.with_untracked(|r| r.as_ref().map(|(name, ..)| name.clone())).unwrap_or_default();
        // `run.mcap` → `run.mapping.toml`.
        let stem =
            [".mcap", ".db3", ".bag", ".hdf5", ".h5"].iter().find_map(|ext| name.strip_suffix(ext)).unwrap_or(&name);
        format!("{}.mapping.toml", crate::analysis::file_stem(stem))
    };
    let revoke = move || {
        if let Some(url) = finished.try_update(Option::take).flatten().and_then(|done| done.url) {
            let _ = web_sys::Url::revoke_object_url(&url);
        }
    };
    // Ending the worker stops the conversion at once and frees everything it held.
    let cancel = move || {
        if matches!(job.try_get_untracked(), Some(Job::Running { .. })) {
            job.set(Job::Cancelled);
        }
        stop_converter();
        drop_unfinished_folder();
    };
    // Leaving the page stops the conversion and lets the archive go.
    on_cleanup(move || {
        cancel();
        revoke();
    });
    // Converts into `folder` (the dataset's own, just made) or, without one, into a zip.
    let launch = move |folder: Option<(OutputFolder, JsValue)>| {
        let worker = spawn_converter();
        let open_id = worker.next_request_id();
        let Some((open, files)) = state.reopen_request(open_id) else {
            worker.terminate();
            job.set(Job::Failed(ConvertText::NothingOpen.str(lang.get_untracked()).into()));
            return;
        };
        let request_id = worker.next_request_id();
        converter.set_value(Some(worker.clone()));
        job.set(Job::Running { request_id });
        progress.set(None);
        let started_ms = now_ms();
        let layout = ConvertLayout {
            chunks_size: chunks_size.get_untracked().max(1),
            data_files_size_in_mb: file_size_mb.get_untracked().max(1),
        };
        // The mapping as shown (edited or not); before the suggestion arrives, the worker suggests.
        let mapping_toml = Some(mapping_text.get_untracked()).filter(|t| recording && !t.trim().is_empty());
        let attached = js_sys::Array::new();
        if let Some((output, handle)) = folder {
            attached.push(&handle);
            writing_folder.set_value(Some(output));
        }
        spawn_local(async move {
            let on_progress = move |p: WorkerProgress| {
                if job.try_get_untracked() == Some(Job::Running { request_id }) {
                    progress.set(Some((p, (now_ms() - started_ms) / 1000.0)));
                }
            };
            // The conversion worker opens the same files (lazily: metadata and footers), then converts.
            let answer = match worker.request(open, files, |_| {}).await {
                Response::Opened { .. } | Response::RecordingOpened { .. } => {
                    let debug_read_delay_ms = query_param("debug-convert-delay-ms").and_then(|v| v.parse().ok());
                    let request = Request::Convert { request_id, layout, mapping_toml, debug_read_delay_ms };
                    worker.request_with_attachment(request, attached, on_progress).await
                }
                other => (other, None),
            };
            worker.terminate();
            if job.try_get_untracked() != Some(Job::Running { request_id }) {
                return;
            }
            converter.set_value(None);
            progress.set(None);
            let archive_url = |attachment: Option<JsValue>| -> Result<Option<String>, String> {
                let Some(blob) = attachment.and_then(|v| v.dyn_into::<web_sys::Blob>().ok()) else { return Ok(None) };
                web_sys::Url::create_object_url_with_blob(&blob)
                    .map(Some)
                    .map_err(|e| format!("cannot offer the archive: {}", error_message(&e)))
            };
            match answer {
                (Response::Converted { summary, .. }, attachment) => match archive_url(attachment) {
                    Ok(url) if url.is_some() || summary.into_folder => {
                        // Finished: the folder is the user's now.
                        writing_folder.set_value(None);
                        finished.set(Some(Finished { summary: *summary, url }));
                        job.set(Job::Idle);
                    }
                    Ok(_) => job.set(Job::Failed("the conversion sent no archive".into())),
                    Err(message) => job.set(Job::Failed(message)),
                },
                (Response::Cancelled { .. }, _) => job.set(Job::Cancelled),
                (Response::Failed { message, .. }, _) => job.set(Job::Failed(message)),
                (other, _) => job.set(Job::Failed(unexpected_answer(&other))),
            }
            drop_unfinished_folder();
        });
    };
    let start = move || {
        if matches!(job.get_untracked(), Job::Running { .. }) {
            return;
        }
        revoke();
        if destination.get_untracked() == Destination::Zip {
            return launch(None);
        }
        // The name the conversion worker gives the output (a recording's as the page shows it).
        let recording_name = state.recording.with_untracked(|r| r.as_ref().map(|(name, ..)| name.clone()));
        let Some(name) = recording_name.filter(|_| recording).or_else(|| state.opened_name()) else {
            return job.set(Job::Failed(ConvertText::NothingOpen.str(lang.get_untracked()).into()));
        };
        let name = converted_folder_name(&name);
        // The picker needs the click's user activation: it is asked for at once.
        spawn_local(async move {
            let parent = match pick_folder().await {
                Ok(Some(parent)) => parent,
                Ok(None) => return,
                Err(message) => return job.set(Job::Failed(message)),
            };
            match make_output_folder(&parent, &name).await {
                Ok(handle) => launch(Some((OutputFolder { parent, name }, handle))),
                Err(message) => job.set(Job::Failed(message)),
            }
        });
    };
    let progress_text = move || {
        let lang = lang.get();
        match progress.get() {
            Some((p, elapsed_secs)) => {
                let (rate, left) = if p.stage == "convert" {
                    rate_and_time_left(p.done, p.total, p.bytes_read, elapsed_secs)
                } else {
                    (None, None)
                };
                ConvertSentence::Progress {
                    stage: p.stage,
                    done: p.done,
                    total: p.total,
                    rate_bytes_per_sec: rate,
                    left_secs: left,
                }
                .text(lang)
            }
            None => format!("{}…", ConvertText::Converting.str(lang)),
        }
    };
    let fraction = move || {
        progress.with(|p| match p {
            Some((p, _)) if p.stage == "convert" && p.total > 0 => (p.done as f64 / p.total as f64).min(1.0),
            Some(_) => 1.0,
            None => 0.0,
        })
    };
    let number_input = |signal: RwSignal<u64>, testid: &'static str| {
        view! {
            <input type="number" min="1" data-testid=testid prop:value=move || signal.get().to_string()
                on:input=move |ev| {
                    if let Ok(value) = event_target_value(&ev).trim().parse::<u64>() {
                        signal.set(value.max(1));
                    }
                }/>
        }
    };
    view! {
        <section class="card convert" data-testid="convert-panel">
            <h2>{t(ConvertText::Title)}</h2>
            <p class="muted">{if recording { t(ConvertText::IntroRecording) } else { t(ConvertText::IntroDataset) }}</p>
            <div class="convert-options">
                <label>{t(ConvertText::FileSize)} " " {number_input(file_size_mb, "convert-file-size")}</label>
                <label>{t(ConvertText::ChunkSize)} " " {number_input(chunks_size, "convert-chunks-size")}</label>
            </div>
            <fieldset class="convert-destination" data-testid="convert-destination">
                <legend>{t(ConvertText::Destination)}</legend>
                <label>
                    <input type="radio" name="convert-destination" data-testid="convert-into-folder"
                        disabled=!folder_possible
                        prop:checked=move || destination.get() == Destination::Folder
                        on:change=move |_| destination.set(Destination::Folder)/>
                    " " {t(ConvertText::IntoFolder)}
                    {(!folder_possible).then(|| view! { " " <span class="muted small">{t(ConvertText::NoFolderPicker)}</span> })}
                </label>
                <label>
                    <input type="radio" name="convert-destination" data-testid="convert-into-zip"
                        prop:checked=move || destination.get() == Destination::Zip
                        on:change=move |_| destination.set(Destination::Zip)/>
                    " " {t(ConvertText::IntoZip)}
                </label>
            </fieldset>
            {move || recording.then(|| view! {
                <details class="convert-mapping" open data-testid="convert-mapping-panel">
                    <summary>{t(ConvertText::Mapping)}</summary>
                    <p class="muted small">{t(ConvertText::MappingHelp)}</p>
                    {move || match suggested.get() {
                        None => view! { <p class="muted">{t(ConvertText::MappingLoading)}</p> }.into_any(),
                        Some(Err(message)) => view! { <p class="error" data-testid="convert-mapping-error">{message}</p> }.into_any(),
                        Some(Ok((toml, notes))) => {
                            let notes = notes.into_iter().map(|n| view! { <li>{n}</li> }).collect_view();
                            view! {
                                <textarea class="mapping-text" data-testid="convert-mapping" rows="18" spellcheck="false"
                                    prop:value=move || mapping_text.get()
                                    on:input=move |ev| mapping_text.set(event_target_value(&ev))></textarea>
                                <ul class="muted small" data-testid="convert-mapping-notes">{notes}</ul>
                                <button class="secondary" data-testid="convert-mapping-save"
                                    on:click=move |_| download_text(&mapping_file_name(), "application/toml", &mapping_text.get_untracked())>
                                    {t(ConvertText::MappingSave)}
                                </button>
                                " "
                                <button class="secondary" data-testid="convert-mapping-reset"
                                    disabled={
                                        let toml = toml.clone();
                                        move || mapping_text.with(|m| *m == toml)
                                    }
                                    on:click={
                                        let toml = toml.clone();
                                        move |_| mapping_text.set(toml.clone())
                                    }>
                                    {t(ConvertText::MappingReset)}
                                </button>
                            }.into_any()
                        }
                    }}
                </details>
            })}
            {move || match job.get() {
                Job::Running { .. } => view! {
                    <div class="job-progress" data-testid="convert-progress"
                        data-stage=move || progress.with(|p| p.as_ref().map(|(p, _)| p.stage.clone()).unwrap_or_default())>
                        <div class="job-progress-text">{progress_text}</div>
                        <progress max="1" value=move || fraction().to_string()></progress>
                        <button class="secondary" data-testid="convert-cancel" on:click=move |_| cancel()>{t(AnalysisText::Cancel)}</button>
                    </div>
                }.into_any(),
                Job::Cancelled => view! {
                    <p class="muted" data-testid="convert-cancelled">{t(ConvertText::Cancelled)}</p>
                    <button class="primary" data-testid="convert-start" on:click=move |_| start()>{t(ConvertText::Again)}</button>
                }.into_any(),
                Job::Failed(message) => view! {
                    <p class="error" data-testid="convert-error">{message}</p>
                    <button class="primary" data-testid="convert-start" on:click=move |_| start()>{t(ConvertText::Again)}</button>
                }.into_any(),
                Job::Idle => match finished.get() {
                    None => view! {
                        <button class="primary" data-testid="convert-start" on:click=move |_| start()>{t(ConvertText::Start)}</button>
                    }.into_any(),
                    Some(done) => {
                        let s = done.summary.clone();
                        let verdict = ConvertSentence::Verdict { errors: s.errors, warnings: s.warnings, infos: s.infos };
                        let written = ConvertSentence::Written {
                            source: s.source.clone(), episodes: s.episodes, frames: s.frames, files: s.files,
                            bytes: s.dataset_bytes, secs: s.worker_ms / 1000.0,
                        };
                        let memory = ConvertSentence::WorkerMemory {
                            start_bytes: s.worker_memory_start_bytes, peak_bytes: s.worker_memory_bytes,
                            held_bytes: s.output_peak_held_bytes,
                        };
                        let notes = s.notes.iter().map(|n| view! { <li>{n.clone()}</li> }).collect_view();
                        let class = if s.errors > 0 { "error" } else { "ok" };
                        let saved = match done.url.clone() {
                            Some(url) => view! {
                                <a class="button primary" data-testid="convert-download" href=url download=s.file_name.clone()>
                                    {t(ConvertText::Download)}
                                </a>
                            }.into_any(),
                            None => view! {
                                <p data-testid="convert-saved-folder">{t(ConvertText::SavedIntoFolder)} " " <code>{s.file_name.clone()}</code></p>
                            }.into_any(),
                        };
                        view! {
                            <div data-testid="convert-result" data-errors=s.errors.to_string() data-warnings=s.warnings.to_string()
                                data-infos=s.infos.to_string() data-episodes=s.episodes.to_string() data-frames=s.frames.to_string()
                                data-worker-memory-start=s.worker_memory_start_bytes.to_string()
                                data-worker-memory=s.worker_memory_bytes.to_string()
                                data-output-held=s.output_peak_held_bytes.to_string() data-dataset-bytes=s.dataset_bytes.to_string()
                                data-worker-ms=format!("{:.0}", s.worker_ms) data-written-ms=format!("{:.0}", s.written_ms)>
                                <p data-testid="convert-written">{move || written.text(lang.get())}</p>
                                <p class=class data-testid="convert-verdict">{move || verdict.text(lang.get())}</p>
                                <ul class="muted small" data-testid="convert-notes">{notes}</ul>
                                {saved}
                                " "
                                <button class="secondary" data-testid="convert-start" on:click=move |_| start()>{t(ConvertText::Again)}</button>
                                <p class="muted small" data-testid="convert-memory">{move || memory.text(lang.get())}</p>
                                <p class="muted small">{t(ConvertText::MemoryNote)}</p>
                            </div>
                        }.into_any()
                    }
                },
            }}
        </section>
    }
}
