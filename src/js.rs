//! Small helpers over JavaScript values, shared by the page and its workers.

use wasm_bindgen::{JsCast, JsValue};

/// What a thrown value says: an `Error`'s message, a thrown string, or its debug form.
pub fn error_message(error: &JsValue) -> String {
    error
        .dyn_ref::<js_sys::Error>()
        .map(|e| String::from(e.message()))
        .or_else(|| error.as_string())
        .unwrap_or_else(|| format!("{error:?}"))
}

/// An `Error`'s name (`AbortError`, `NotFoundError` …); empty for anything else.
pub fn error_name(error: &JsValue) -> String {
    error.dyn_ref::<js_sys::Error>().map(|e| String::from(e.name())).unwrap_or_default()
}

/// `name: message` of a thrown value (the name only when it has one).
pub fn error_text(error: &JsValue) -> String {
    match error_name(error) {
        name if name.is_empty() => error_message(error),
        name => format!("{name}: {}", error_message(error)),
    }
}

/// A plain object of `pairs` (options for DOM calls).
pub fn object(pairs: &[(&str, JsValue)]) -> js_sys::Object {
    let object = js_sys::Object::new();
    for (key, value) in pairs {
        let _ = js_sys::Reflect::set(&object, &JsValue::from_str(key), value);
    }
    object
}
