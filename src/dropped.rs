//! Collects the files of folders dropped on the page (the File and Directory Entries API), with
//! their paths relative to the drop, without reading any file's content.

use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;
use web_sys::{DataTransfer, File, FileSystemDirectoryEntry, FileSystemEntry, FileSystemFileEntry};

/// Entries must be taken from the `DataTransfer` synchronously, inside the drop handler.
pub fn entries_of(transfer: &DataTransfer) -> Vec<FileSystemEntry> {
    let items = transfer.items();
    (0..items.length())
        .filter_map(|i| items.get(i))
        .filter_map(|item| item.webkit_get_as_entry().ok().flatten())
        .collect()
}

/// The dropped files themselves, named by their file names, for a drop that carries no entries
/// (a page script's `DataTransfer`, browsers without the Entries API): files, never folders.
pub fn plain_files_of(transfer: &DataTransfer) -> Vec<(String, File)> {
    let Some(list) = transfer.files() else { return Vec::new() };
    (0..list.length()).filter_map(|i| list.get(i)).map(|file| (file.name(), file)).collect()
}

/// Largest number of files taken from one drop (a guard against dropping a home folder).
const MAX_DROPPED_FILES: usize = 2_000_000;

/// Walks the dropped entries; returns `(path, File)` with paths like `folder/meta/info.json`.
pub async fn collect_files(entries: Vec<FileSystemEntry>) -> Result<Vec<(String, File)>, JsValue> {
    let mut out = Vec::new();
    let mut stack = entries;
    while let Some(entry) = stack.pop() {
        if out.len() >= MAX_DROPPED_FILES {
            break;
        }
        let path = entry.full_path().trim_start_matches('/').to_string();
        if entry.is_directory() {
            let reader = entry.unchecked_into::<FileSystemDirectoryEntry>().create_reader();
            loop {
                // readEntries answers in batches; an empty batch means the folder is done.
                let batch = JsFuture::from(js_sys::Promise::new(&mut |resolve, reject| {
                    let _ = reader.read_entries_with_callback_and_callback(&resolve, &reject);
                }))
                .await?;
                let batch: js_sys::Array = batch.unchecked_into();
                if batch.length() == 0 {
                    break;
                }
                stack.extend(batch.iter().map(|e| e.unchecked_into::<FileSystemEntry>()));
            }
        } else if entry.is_file() {
            let file_entry = entry.unchecked_into::<FileSystemFileEntry>();
            let file = JsFuture::from(js_sys::Promise::new(&mut |resolve, reject| {
                file_entry.file_with_callback_and_callback(&resolve, &reject);
            }))
            .await?;
            out.push((path, file.unchecked_into::<File>()));
        }
    }
    Ok(out)
}
