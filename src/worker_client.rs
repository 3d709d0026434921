//! The page's side of the worker protocol: spawns the parsing worker (and, only while converting,
//! the conversion worker), queues requests until it is ready, routes progress and answers to their
//! callers, and restarts the parsing worker if it dies.

use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::rc::{Rc, Weak};

use futures_channel::oneshot;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::{ErrorEvent, MessageEvent, Worker, WorkerOptions, WorkerType};

use crate::protocol::{unpack_episode_numbers, Request, Response};

/// Progress of one request, as the worker reports it.
#[derive(Debug, Clone, PartialEq)]
pub struct WorkerProgress {
    pub stage: String,
    pub done: u64,
    pub total: u64,
    pub bytes_read: u64,
}

struct Pending {
    on_progress: Box<dyn Fn(WorkerProgress)>,
    answer: oneshot::Sender<(Response, Option<JsValue>)>,
    last_stage: String,
    /// The file the worker was reading last (named if the worker dies).
    last_file: Option<String>,
}

/// A JS event callback kept alive as long as the worker it is attached to.
type EventHandler = Closure<dyn FnMut(JsValue)>;

/// A handle to a worker (the parsing worker, or a conversion worker).
pub struct WorkerClient {
    /// The worker's loader script, next to the page.
    script: &'static str,
    /// How many times a crashed worker is started again.
    max_restarts: u32,
    worker: RefCell<Option<Worker>>,
    ready: Cell<bool>,
    queue: RefCell<Vec<JsValue>>,
    pending: RefCell<HashMap<u32, Pending>>,
    next_id: Cell<u32>,
    restarts: Cell<u32>,
    handlers: RefCell<Vec<EventHandler>>,
    retired_handlers: RefCell<Vec<EventHandler>>,
}

const WORKER_SCRIPT: &str = "episcope-worker_loader.js";
/// The conversion worker: the parsing worker's readers plus the LeRobot v3.0 writer and the zip
/// writer, fetched only when the user converts (it is not part of the page's first load).
const CONVERT_WORKER_SCRIPT: &str = "episcope-convert-worker_loader.js";

fn worker_url(script: &str) -> Result<String, JsValue> {
    let document = web_sys::window().and_then(|w| w.document()).ok_or("no document")?;
    let base = document.base_uri()?.unwrap_or_default();
    Ok(web_sys::Url::new_with_base(script, &base)?.href())
}

/// A `performance.mark` on the page's timeline (benchmarks read them to see where time goes).
fn mark(name: &str) {
    if let Some(performance) = web_sys::window().and_then(|w| w.performance()) {
        let _ = performance.mark(name);
    }
}

thread_local! {
    static CLIENT: RefCell<Option<Rc<WorkerClient>>> = const { RefCell::new(None) };
}

/// The page's one worker client, spawned on first use.
pub fn client() -> Rc<WorkerClient> {
    CLIENT.with(|slot| slot.borrow_mut().get_or_insert_with(|| WorkerClient::start(WORKER_SCRIPT, 5)).clone())
}

/// A fresh conversion worker for one conversion; [`WorkerClient::terminate`] it when done, so the
/// memory the conversion used goes back to the system (a wasm heap never shrinks). It is not
/// restarted if it dies: the conversion fails with the reason instead.
pub fn spawn_converter() -> Rc<WorkerClient> {
    WorkerClient::start(CONVERT_WORKER_SCRIPT, 0)
}

impl WorkerClient {
    fn start(script: &'static str, max_restarts: u32) -> Rc<Self> {
        let client = Rc::new(WorkerClient {
            script,
            max_restarts,
            worker: RefCell::new(None),
            ready: Cell::new(false),
            queue: RefCell::new(Vec::new()),
            pending: RefCell::new(HashMap::new()),
            next_id: Cell::new(1),
            restarts: Cell::new(0),
            handlers: RefCell::new(Vec::new()),
            retired_handlers: RefCell::new(Vec::new()),
        });
        client.spawn();
        client
    }

    /// Stops the worker at once; requests in flight answer "stopped before it answered".
    pub fn terminate(&self) {
        if let Some(worker) = self.worker.borrow_mut().take() {
            worker.terminate();
        }
        self.ready.set(false);
        self.queue.borrow_mut().clear();
        self.pending.borrow_mut().clear();
    }

    fn spawn(self: &Rc<Self>) {
        let options = WorkerOptions::new();
        options.set_type(WorkerType::Classic);
        let worker = match worker_url(self.script).and_then(|url| Worker::new_with_options(&url, &options)) {
            Ok(worker) => worker,
            Err(e) => {
                web_sys::console::error_2(&format!("cannot start the worker {}", self.script).into(), &e);
                return;
            }
        };
        let weak: Weak<Self> = Rc::downgrade(self);
        let on_message = Closure::<dyn FnMut(JsValue)>::new({
            let weak = weak.clone();
            move |event: JsValue| {
                let Some(this) = weak.upgrade() else { return };
                // A plain JSON string, or `{json, binary}` when an answer carries bytes (images) or a `Blob`.
                let data = event.unchecked_into::<MessageEvent>().data();
                let (text, binary) = match data.as_string() {
                    Some(text) => (text, None),
                    None => (
                        js_sys::Reflect::get(&data, &"json".into())
                            .ok()
                            .and_then(|v| v.as_string())
                            .unwrap_or_default(),
                        js_sys::Reflect::get(&data, &"binary".into()).ok().filter(|v| !v.is_undefined()),
                    ),
                };
                match serde_json::from_str::<Response>(&text) {
                    Ok(response) => this.on_response(response, binary),
                    Err(e) => web_sys::console::error_1(&format!("malformed worker message: {e}").into()),
                }
            }
        });
        let on_error = Closure::<dyn FnMut(JsValue)>::new(move |event: JsValue| {
            let Some(this) = weak.upgrade() else { return };
            let detail = event.dyn_ref::<ErrorEvent>().map(|e| e.message()).unwrap_or_default();
            this.on_crash(&detail);
        });
        worker.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
        worker.set_onerror(Some(on_error.as_ref().unchecked_ref()));
        // The old handlers may be running right now (a crash is reported from inside one): keep
        // them alive instead of dropping them; restarts are bounded, so this stays small.
        let old = std::mem::replace(&mut *self.handlers.borrow_mut(), vec![on_message, on_error]);
        self.retired_handlers.borrow_mut().extend(old);
        self.ready.set(false);
        *self.worker.borrow_mut() = Some(worker);
    }

    fn on_response(self: &Rc<Self>, response: Response, binary: Option<JsValue>) {
        if !matches!(response, Response::Progress { .. } | Response::Reading { .. }) {
            mark("episcope:answer");
        }
        match response {
            Response::Crashed { message } => self.on_crash(&message),
            Response::Ready => {
                self.ready.set(true);
                let queued: Vec<JsValue> = self.queue.borrow_mut().drain(..).collect();
                for message in queued {
                    self.post_now(&message);
                }
            }
            Response::Reading { request_id, path } => {
                if let Some(pending) = self.pending.borrow_mut().get_mut(&request_id) {
                    pending.last_file = Some(path);
                }
            }
            Response::Progress { request_id, stage, done, total, bytes_read } => {
                mark(&format!("episcope:progress:{stage}:{done}/{total}"));
                if let Some(pending) = self.pending.borrow_mut().get_mut(&request_id) {
                    pending.last_stage = stage.clone();
                    (pending.on_progress)(WorkerProgress { stage, done, total, bytes_read });
                }
            }
            Response::Episode {
                request_id,
                mut frames,
                packed: Some(layout),
                videos,
                image_features,
                bytes_read,
                worker_ms,
            } => {
                // Put the episode's numbers (a transferred Float64Array) back in place.
                // Each dimension is copied straight out of the buffer (one copy, no whole-array Vec).
                let numbers = binary
                    .as_ref()
                    .and_then(|v| v.dyn_ref::<js_sys::ArrayBuffer>())
                    .map(|buffer| js_sys::Float64Array::new(buffer));
                let numbers_len = numbers.as_ref().map_or(0, |n| n.length() as usize);
                let read = |r: std::ops::Range<usize>| {
                    numbers.as_ref().map(|n| n.subarray(r.start as u32, r.end as u32).to_vec()).unwrap_or_default()
                };
                let answer = match unpack_episode_numbers(&mut frames, &layout, numbers_len, read) {
                    Ok(()) => Response::Episode {
                        request_id,
                        frames,
                        packed: None,
                        videos,
                        image_features,
                        bytes_read,
                        worker_ms,
                    },
                    Err(e) => Response::Failed { request_id, message: e.to_string(), path: None },
                };
                if let Some(pending) = self.pending.borrow_mut().remove(&request_id) {
                    let _ = pending.answer.send((answer, None));
                }
            }
            other => {
                let Some(id) = other.request_id() else { return };
                if let Some(pending) = self.pending.borrow_mut().remove(&id) {
                    let _ = pending.answer.send((other, binary));
                }
            }
        }
    }

    /// The worker died (a panic in a parser, out of memory …): fail what was in flight, say where,
    /// and start a fresh worker so the page stays usable.
    fn on_crash(self: &Rc<Self>, detail: &str) {
        if let Some(worker) = self.worker.borrow_mut().take() {
            worker.terminate();
        }
        let in_flight: Vec<(u32, Pending)> = self.pending.borrow_mut().drain().collect();
        for (request_id, pending) in in_flight {
            let doing = match (&pending.last_file, pending.last_stage.is_empty()) {
                (Some(file), _) => format!("reading {file}"),
                (None, false) => format!("reading {}", pending.last_stage),
                (None, true) => "starting".to_string(),
            };
            let detail = if detail.is_empty() { "no detail" } else { detail };
            let message = if self.max_restarts == 0 {
                format!("The converter stopped unexpectedly while {doing} ({detail}). Nothing was saved; the rest of the page still works.")
            } else {
                format!("The file reader stopped unexpectedly while {doing} ({detail}). It has been restarted; the rest of the page still works.")
            };
            let _ = pending.answer.send((Response::Failed { request_id, message, path: pending.last_file }, None));
        }
        self.restarts.set(self.restarts.get() + 1);
        if self.restarts.get() <= self.max_restarts {
            self.spawn();
        }
    }

    fn post_now(&self, message: &JsValue) {
        if let Some(worker) = self.worker.borrow().as_ref() {
            if let Err(e) = worker.post_message(message) {
                web_sys::console::error_2(&"cannot post to the worker".into(), &e);
            }
        }
    }

    pub fn next_request_id(&self) -> u32 {
        let id = self.next_id.get();
        self.next_id.set(id.wrapping_add(1));
        id
    }

    /// Sends a request (with `File` handles for local datasets) and waits for its answer.
    pub async fn request(
        &self,
        request: Request,
        files: js_sys::Array,
        on_progress: impl Fn(WorkerProgress) + 'static,
    ) -> Response {
        self.request_with_binary(request, files, on_progress).await.0
    }

    /// [`Self::request`], keeping the bytes an answer carries beside its JSON (transferred, not copied).
    pub async fn request_with_binary(
        &self,
        request: Request,
        files: js_sys::Array,
        on_progress: impl Fn(WorkerProgress) + 'static,
    ) -> (Response, Option<js_sys::ArrayBuffer>) {
        let (answer, attached) = self.request_with_attachment(request, files, on_progress).await;
        (answer, attached.and_then(|v| v.dyn_into().ok()))
    }

    /// [`Self::request`], keeping the value an answer carries beside its JSON (a buffer or a `Blob`).
    pub async fn request_with_attachment(
        &self,
        request: Request,
        files: js_sys::Array,
        on_progress: impl Fn(WorkerProgress) + 'static,
    ) -> (Response, Option<JsValue>) {
        let request_id = request.request_id();
        let (sender, receiver) = oneshot::channel();
        self.pending.borrow_mut().insert(
            request_id,
            Pending { on_progress: Box::new(on_progress), answer: sender, last_stage: String::new(), last_file: None },
        );
        let message = js_sys::Object::new();
        let json = serde_json::to_string(&request).unwrap_or_default();
        let _ = js_sys::Reflect::set(&message, &"json".into(), &json.into());
        let _ = js_sys::Reflect::set(&message, &"files".into(), &files);
        if self.ready.get() {
            self.post_now(&message);
        } else {
            self.queue.borrow_mut().push(message.into());
        }
        receiver.await.unwrap_or((
            Response::Failed {
                request_id,
                message: "the file reader was stopped before it answered".into(),
                path: None,
            },
            None,
        ))
    }
}
