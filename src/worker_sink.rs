//! The conversion worker's [`DatasetSink`]: the output streamed into a folder the user picked (File
//! System Access: each file written through `createWritable` as the converter goes, so nothing of a
//! finished episode stays in the worker) or into one zip archive assembled from `Blob` parts (the
//! bytes go to the browser's blob store, which Chromium moves to disk past its memory limit, and
//! the archive is never one buffer). The converter settles the sink after every episode, so the
//! worker's heap holds about one episode of output.
//!
//! `createWritable` is still behind `web_sys_unstable_apis` in web-sys, so the handles' few members
//! are bound here directly.

use std::collections::HashMap;
use std::io;
use std::sync::Arc;

use episcope_core::source::{ByteSource, LocalBoxFuture};
use episcope_core::writer::zip::{entry_name, Crc32, ZipLayout};
use episcope_core::writer::{DatasetSink, StagedFiles};
use episcope_core::DatasetTree;
use js_sys::{Array, Object, Promise, Uint8Array};
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;
use web_sys::{Blob, BlobPropertyBag};

use super::BlobSource;
use crate::js::error_text as describe;

#[wasm_bindgen]
extern "C" {
    /// A `FileSystemDirectoryHandle` (from `showDirectoryPicker`, posted to the worker by the page).
    #[wasm_bindgen(js_name = FileSystemDirectoryHandle)]
    #[derive(Clone)]
    pub type DirectoryHandle;
    #[wasm_bindgen(method, catch, js_name = getDirectoryHandle)]
    fn get_directory_handle(this: &DirectoryHandle, name: &str, options: &Object) -> Result<Promise, JsValue>;
    #[wasm_bindgen(method, catch, js_name = getFileHandle)]
    fn get_file_handle(this: &DirectoryHandle, name: &str, options: &Object) -> Result<Promise, JsValue>;

    #[wasm_bindgen(js_name = FileSystemFileHandle)]
    type FileHandle;
    #[wasm_bindgen(method, catch, js_name = createWritable)]
    fn create_writable(this: &FileHandle) -> Result<Promise, JsValue>;
    #[wasm_bindgen(method, catch, js_name = getFile)]
    fn get_file(this: &FileHandle) -> Result<Promise, JsValue>;

    #[wasm_bindgen(js_name = FileSystemWritableFileStream)]
    type WritableFile;
    #[wasm_bindgen(method, catch)]
    fn write(this: &WritableFile, data: &JsValue) -> Result<Promise, JsValue>;
    #[wasm_bindgen(method, catch)]
    fn close(this: &WritableFile) -> Result<Promise, JsValue>;
}

async fn call(promise: Result<Promise, JsValue>) -> Result<JsValue, JsValue> {
    JsFuture::from(promise?).await
}

fn create_option(create: bool) -> Object {
    crate::js::object(&[("create", create.into())])
}

/// Where the converted files go.
enum Target {
    /// The dataset's folder (made by the page inside the one the user picked), with the
    /// sub-folders made so far by their path.
    Folder { root: DirectoryHandle, folders: HashMap<String, DirectoryHandle> },
    /// One archive (its top folder is named when it is assembled).
    Archive,
}

/// A file being written.
enum Writing {
    Folder(WritableFile),
    Archive { parts: Array, crc: Crc32 },
}

/// A finished file: its path, size and (archive) its bytes as a `Blob` outside the worker's heap
/// with their CRC-32.
struct Stored {
    path: String,
    bytes: u64,
    archived: Option<(Blob, u32)>,
}

/// The stored output: the files as a tree to check (read back from where they went), their total
/// size, and for an archive the `application/zip` blob to save.
pub(super) struct StoredOutput {
    pub tree: DatasetTree,
    pub files: u64,
    pub dataset_bytes: u64,
    /// The most output the worker held at once (between two settles), in bytes.
    pub peak_held_bytes: u64,
    pub archive: Option<Blob>,
}

pub(super) struct BrowserSink {
    staged: StagedFiles,
    target: Target,
    writing: HashMap<u64, (Writing, u64)>,
    stored: Vec<Stored>,
}

fn blob_of(parts: &Array, mime: Option<&str>) -> io::Result<Blob> {
    let options = BlobPropertyBag::new();
    if let Some(mime) = mime {
        options.set_type(mime);
    }
    Blob::new_with_blob_sequence_and_options(parts, &options)
        .map_err(|e| io::Error::other(format!("cannot hold the output: {}", describe(&e))))
}

fn bytes_blob(bytes: &[u8]) -> io::Result<Blob> {
    blob_of(&Array::of1(&Uint8Array::from(bytes)), None)
}

impl BrowserSink {
    /// Files go into `folder` (a handle to the dataset's own, empty folder).
    pub(super) fn into_folder(folder: DirectoryHandle) -> Self {
        Self::with(Target::Folder { root: folder, folders: HashMap::new() })
    }

    /// Files go into one archive.
    pub(super) fn into_archive() -> Self {
        Self::with(Target::Archive)
    }

    fn with(target: Target) -> Self {
        BrowserSink { staged: StagedFiles::default(), target, writing: HashMap::new(), stored: Vec::new() }
    }

    /// Opens `path` in the folder for writing, making its sub-folders.
    async fn open_in_folder(&mut self, path: &str) -> Result<WritableFile, JsValue> {
        let Target::Folder { root, folders } = &mut self.target else {
            return Err("not writing into a folder".into());
        };
        let (dirs, name) = path.rsplit_once('/').unwrap_or(("", path));
        let mut folder = root.clone();
        let mut at = String::new();
        for part in dirs.split('/').filter(|p| !p.is_empty()) {
            at = if at.is_empty() { part.to_string() } else { format!("{at}/{part}") };
            folder = match folders.get(&at) {
                Some(known) => known.clone(),
                None => {
                    let made: DirectoryHandle =
                        call(folder.get_directory_handle(part, &create_option(true))).await?.unchecked_into();
                    folders.insert(at.clone(), made.clone());
                    made
                }
            };
        }
        let file: FileHandle = call(folder.get_file_handle(name, &create_option(true))).await?.unchecked_into();
        Ok(call(file.create_writable()).await?.unchecked_into())
    }

    /// Stores what the converter wrote since the last call; closes the files it is done with.
    async fn store_staged(&mut self) -> io::Result<()> {
        for chunk in self.staged.drain() {
            let failed =
                |what: &str, e: JsValue| io::Error::other(format!("cannot {what} {} ({})", chunk.path, describe(&e)));
            if !self.writing.contains_key(&chunk.file) {
                let writing = match &self.target {
                    Target::Folder { .. } => {
                        Writing::Folder(self.open_in_folder(&chunk.path).await.map_err(|e| failed("create", e))?)
                    }
                    Target::Archive => Writing::Archive { parts: Array::new(), crc: Crc32::new() },
                };
                self.writing.insert(chunk.file, (writing, 0));
            }
            let Some((writing, size)) = self.writing.get_mut(&chunk.file) else { continue };
            if !chunk.bytes.is_empty() {
                *size += chunk.bytes.len() as u64;
                match writing {
                    Writing::Folder(file) => {
                        let bytes: JsValue = Uint8Array::from(chunk.bytes.as_slice()).into();
                        call(file.write(&bytes)).await.map_err(|e| failed("write", e))?;
                    }
                    Writing::Archive { parts, crc } => {
                        crc.update(&chunk.bytes);
                        let part = bytes_blob(&chunk.bytes)?;
                        parts.push(&part);
                    }
                }
            }
            if chunk.closed {
                let Some((writing, bytes)) = self.writing.remove(&chunk.file) else { continue };
                let archived = match writing {
                    Writing::Folder(file) => {
                        // Chromium writes into a swap file and puts it in place on close: a file
                        // not closed (an interrupted conversion) never appears.
                        call(file.close()).await.map_err(|e| failed("finish", e))?;
                        None
                    }
                    Writing::Archive { parts, crc } => Some((blob_of(&parts, None)?, crc.finalize())),
                };
                self.stored.push(Stored { path: chunk.path, bytes, archived });
            }
        }
        Ok(())
    }
}

impl BrowserSink {
    /// Stores the rest (every writer must be done) and reads the output back: from the folder, or
    /// from the archive's parts, which are then assembled into the archive under `archive_top/`.
    pub(super) async fn finish(mut self, archive_top: &str) -> io::Result<StoredOutput> {
        self.store_staged().await?;
        if self.staged.open_files() > 0 || !self.writing.is_empty() {
            return Err(io::Error::other("the converter left files unfinished"));
        }
        let dataset_bytes = self.stored.iter().map(|s| s.bytes).sum();
        let files = self.stored.len() as u64;
        let peak_held_bytes = self.staged.peak_drained_bytes();
        let mut tree = DatasetTree::new();
        let mut insert = |path: &str, blob: Blob| {
            let source: Arc<dyn ByteSource> = Arc::new(BlobSource::new(blob, path));
            tree.insert(path, source).map_err(|e| io::Error::other(e.to_string()))
        };
        match self.target {
            Target::Folder { root, folders } => {
                for stored in &self.stored {
                    let (dirs, name) = stored.path.rsplit_once('/').unwrap_or(("", &stored.path));
                    let folder = if dirs.is_empty() { Some(&root) } else { folders.get(dirs) };
                    let missing =
                        |e: JsValue| io::Error::other(format!("cannot read back {} ({})", stored.path, describe(&e)));
                    let folder = folder.ok_or_else(|| missing("its folder was not made".into()))?;
                    let file: FileHandle = call(folder.get_file_handle(name, &create_option(false)))
                        .await
                        .map_err(missing)?
                        .unchecked_into();
                    let blob: Blob = call(file.get_file()).await.map_err(missing)?.unchecked_into();
                    insert(&stored.path, blob)?;
                }
                Ok(StoredOutput { tree, files, dataset_bytes, peak_held_bytes, archive: None })
            }
            Target::Archive => {
                let mut layout = ZipLayout::new();
                let parts = Array::new();
                for stored in self.stored {
                    let Some((blob, crc)) = stored.archived else { continue };
                    let header = layout.entry(&entry_name(archive_top, &stored.path), crc, stored.bytes);
                    parts.push(&Uint8Array::from(header.as_slice()));
                    parts.push(&blob);
                    insert(&stored.path, blob)?;
                }
                parts.push(&Uint8Array::from(layout.finish().as_slice()));
                let archive = blob_of(&parts, Some("application/zip"))?;
                Ok(StoredOutput { tree, files, dataset_bytes, peak_held_bytes, archive: Some(archive) })
            }
        }
    }
}

impl DatasetSink for BrowserSink {
    fn create(&mut self, path: &str) -> io::Result<Box<dyn io::Write + Send>> {
        Ok(self.staged.create(path))
    }

    fn settle(&mut self) -> LocalBoxFuture<'_, io::Result<()>> {
        Box::pin(self.store_staged())
    }
}
