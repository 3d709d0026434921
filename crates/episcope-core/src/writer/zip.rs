//! A written dataset as one zip archive (entries stored, not compressed: parquet and mp4 already
//! are), for the page's download; paths are kept under one top folder named after the dataset.

use std::collections::BTreeMap;
use std::io::{Cursor, Write};

use bytes::Bytes;
use zip::write::SimpleFileOptions;
use zip::{CompressionMethod, ZipWriter};

/// Why an archive could not be made.
#[derive(Debug, thiserror::Error)]
pub enum ZipError {
    #[error("cannot add {path} to the archive: {reason}")]
    Entry { reason: String, path: String },
    #[error("cannot finish the archive: {reason}")]
    Finish { reason: String },
}

/// The files (by `/`-separated path) as a zip archive whose entries sit under `folder/`. Sizes
/// past 4 GiB use the zip64 records.
pub fn zip_folder(files: &BTreeMap<String, Bytes>, folder: &str) -> Result<Vec<u8>, ZipError> {
    let total: usize = files.values().map(Bytes::len).sum();
    let mut archive = ZipWriter::new(Cursor::new(Vec::with_capacity(total + 128 * files.len() + 1024)));
    for (path, bytes) in files {
        let name = if folder.is_empty() { path.clone() } else { format!("{folder}/{path}") };
        let options = SimpleFileOptions::default()
            .compression_method(CompressionMethod::Stored)
            .large_file(bytes.len() as u64 >= u64::from(u32::MAX));
        let entry = |e: &dyn std::fmt::Display| ZipError::Entry { reason: e.to_string(), path: path.clone() };
        archive.start_file(name.as_str(), options).map_err(|e| entry(&e))?;
        archive.write_all(bytes).map_err(|e| entry(&e))?;
    }
    let cursor = archive.finish().map_err(|e| ZipError::Finish { reason: e.to_string() })?;
    Ok(cursor.into_inner())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_archive_lists_every_file_under_the_folder_with_its_bytes() {
        let files: BTreeMap<String, Bytes> = [
            ("meta/info.json".to_string(), Bytes::from_static(b"{\"codebase_version\": \"v3.0\"}")),
            ("data/chunk-000/file-000.parquet".to_string(), Bytes::from(vec![7u8; 100_000])),
        ]
        .into_iter()
        .collect();
        let bytes = zip_folder(&files, "converted").expect("zips");
        assert_eq!(&bytes[..4], b"PK\x03\x04");
        let mut archive = zip::ZipArchive::new(Cursor::new(bytes)).expect("reads back");
        let mut names: Vec<String> = archive.file_names().map(|n| n.expect("name").into_owned()).collect();
        names.sort();
        assert_eq!(names, ["converted/data/chunk-000/file-000.parquet", "converted/meta/info.json"]);
        for (path, expected) in &files {
            let mut entry = archive.by_name(&format!("converted/{path}")).expect("entry");
            assert_eq!(entry.compression(), CompressionMethod::Stored);
            let mut read = Vec::new();
            std::io::Read::read_to_end(&mut entry, &mut read).expect("reads");
            assert_eq!(&read[..], &expected[..], "{path}");
        }
    }
}
