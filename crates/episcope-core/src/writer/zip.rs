//! A written dataset as one zip archive (entries stored, not compressed: parquet and mp4 already
//! are) whose paths sit under one top folder. [`ZipLayout`] makes the archive's own records (local
//! headers, central directory, zip64 past 4 GiB) from each entry's size and CRC-32, so a page can
//! assemble the archive from file parts it never holds in memory together.

use std::collections::BTreeMap;

use bytes::Bytes;
/// The entries' CRC-32, for writers that make an archive from parts ([`ZipLayout::entry`]).
pub use crc32fast::Hasher as Crc32;

/// Stored entries, UTF-8 names (general purpose flag bit 11), a fixed time (1980-01-01 00:00).
const METHOD_STORED: u16 = 0;
const FLAG_UTF8: u16 = 1 << 11;
const DOS_TIME: u16 = 0;
const DOS_DATE: u16 = (1 << 5) | 1;
/// Version 2.0, or 4.5 when a zip64 record is used (APPNOTE 4.4.3).
const VERSION_PLAIN: u16 = 20;
const VERSION_ZIP64: u16 = 45;
const U32_MARK: u64 = 0xFFFF_FFFF;
const U16_MARK: u64 = 0xFFFF;

/// The records of an archive being written entry by entry: [`entry`](Self::entry) gives the local
/// header that goes right before an entry's bytes, [`finish`](Self::finish) the central directory
/// that ends the archive.
#[derive(Debug, Default)]
pub struct ZipLayout {
    /// Bytes of the archive so far (headers and entries).
    offset: u64,
    central: Vec<u8>,
    entries: u64,
}

fn push16(out: &mut Vec<u8>, v: u16) {
    out.extend_from_slice(&v.to_le_bytes());
}
fn push32(out: &mut Vec<u8>, v: u32) {
    out.extend_from_slice(&v.to_le_bytes());
}
fn push64(out: &mut Vec<u8>, v: u64) {
    out.extend_from_slice(&v.to_le_bytes());
}
/// `v`, or the zip64 marker when it does not fit 32 bits.
fn field32(v: u64) -> u32 {
    u32::try_from(v).ok().filter(|&v| u64::from(v) < U32_MARK).unwrap_or(u32::MAX)
}

impl ZipLayout {
    pub fn new() -> Self {
        Self::default()
    }

    /// The local header of the next entry, `name` holding `size` bytes whose CRC-32 is `crc32`. The
    /// entry's bytes must follow it in the archive.
    pub fn entry(&mut self, name: &str, crc32: u32, size: u64) -> Vec<u8> {
        let large = size >= U32_MARK;
        let version = if large || self.offset >= U32_MARK { VERSION_ZIP64 } else { VERSION_PLAIN };
        let mut local = Vec::with_capacity(30 + name.len() + 20);
        push32(&mut local, 0x0403_4b50);
        push16(&mut local, version);
        push16(&mut local, FLAG_UTF8);
        push16(&mut local, METHOD_STORED);
        push16(&mut local, DOS_TIME);
        push16(&mut local, DOS_DATE);
        push32(&mut local, crc32);
        push32(&mut local, field32(size));
        push32(&mut local, field32(size));
        push16(&mut local, name.len() as u16);
        push16(&mut local, if large { 20 } else { 0 });
        local.extend_from_slice(name.as_bytes());
        if large {
            push16(&mut local, 0x0001);
            push16(&mut local, 16);
            push64(&mut local, size);
            push64(&mut local, size);
        }
        // The central record's zip64 extra holds, in order, the fields that overflowed.
        let mut extra = Vec::new();
        if large {
            push64(&mut extra, size);
            push64(&mut extra, size);
        }
        if self.offset >= U32_MARK {
            push64(&mut extra, self.offset);
        }
        let c = &mut self.central;
        push32(c, 0x0201_4b50);
        push16(c, version);
        push16(c, version);
        push16(c, FLAG_UTF8);
        push16(c, METHOD_STORED);
        push16(c, DOS_TIME);
        push16(c, DOS_DATE);
        push32(c, crc32);
        push32(c, field32(size));
        push32(c, field32(size));
        push16(c, name.len() as u16);
        push16(c, if extra.is_empty() { 0 } else { extra.len() as u16 + 4 });
        push16(c, 0); // comment
        push16(c, 0); // disk
        push16(c, 0); // internal attributes
        push32(c, 0); // external attributes
        push32(c, field32(self.offset));
        c.extend_from_slice(name.as_bytes());
        if !extra.is_empty() {
            push16(c, 0x0001);
            push16(c, extra.len() as u16);
            c.extend_from_slice(&extra);
        }
        self.offset += local.len() as u64 + size;
        self.entries += 1;
        local
    }

    /// The central directory and end records, the archive's last bytes.
    pub fn finish(self) -> Vec<u8> {
        let ZipLayout { offset: central_offset, mut central, entries } = self;
        let central_size = central.len() as u64;
        let zip64 = entries >= U16_MARK || central_size >= U32_MARK || central_offset >= U32_MARK;
        let end = &mut central;
        if zip64 {
            let record_offset = central_offset + central_size;
            push32(end, 0x0606_4b50);
            push64(end, 44);
            push16(end, VERSION_ZIP64);
            push16(end, VERSION_ZIP64);
            push32(end, 0);
            push32(end, 0);
            push64(end, entries);
            push64(end, entries);
            push64(end, central_size);
            push64(end, central_offset);
            push32(end, 0x0706_4b50);
            push32(end, 0);
            push64(end, record_offset);
            push32(end, 1);
        }
        let entries16 = if entries >= U16_MARK { u16::MAX } else { entries as u16 };
        push32(end, 0x0605_4b50);
        push16(end, 0);
        push16(end, 0);
        push16(end, entries16);
        push16(end, entries16);
        push32(end, field32(central_size));
        push32(end, field32(central_offset));
        push16(end, 0);
        central
    }
}

/// The name of `path` inside an archive whose top folder is `folder` (none when empty).
pub fn entry_name(folder: &str, path: &str) -> String {
    if folder.is_empty() {
        path.to_string()
    } else {
        format!("{folder}/{path}")
    }
}

/// The files (by `/`-separated path) as one zip archive whose entries sit under `folder/`.
pub fn zip_folder(files: &BTreeMap<String, Bytes>, folder: &str) -> Vec<u8> {
    let total: usize = files.values().map(Bytes::len).sum();
    let mut archive = Vec::with_capacity(total + 128 * files.len() + 1024);
    let mut layout = ZipLayout::new();
    for (path, bytes) in files {
        archive.extend(layout.entry(&entry_name(folder, path), crc32fast::hash(bytes), bytes.len() as u64));
        archive.extend_from_slice(bytes);
    }
    archive.extend(layout.finish());
    archive
}

#[cfg(test)]
mod tests {
    use std::io::{Cursor, Read, Seek, SeekFrom};

    use super::*;

    fn read_back(archive: impl Read + Seek) -> BTreeMap<String, Vec<u8>> {
        let mut archive = zip::ZipArchive::new(archive).expect("the zip crate reads it back");
        let mut files = BTreeMap::new();
        for i in 0..archive.len() {
            let mut entry = archive.by_index(i).expect("entry");
            assert_eq!(entry.compression(), zip::CompressionMethod::Stored);
            let name = entry.name().expect("name").to_string();
            let mut bytes = Vec::new();
            // Reading to the end checks the CRC-32 too.
            entry.read_to_end(&mut bytes).expect("reads, CRC-32 matches");
            files.insert(name, bytes);
        }
        files
    }

    #[test]
    fn the_archive_lists_every_file_under_the_folder_with_its_bytes() {
        let files: BTreeMap<String, Bytes> = [
            ("meta/info.json".to_string(), Bytes::from_static(b"{\"codebase_version\": \"v3.0\"}")),
            ("data/chunk-000/file-000.parquet".to_string(), Bytes::from(vec![7u8; 100_000])),
            ("meta/tâches.json".to_string(), Bytes::new()),
        ]
        .into_iter()
        .collect();
        let bytes = zip_folder(&files, "converted");
        assert_eq!(&bytes[..4], b"PK\x03\x04");
        let back = read_back(Cursor::new(bytes));
        let expected: BTreeMap<String, Vec<u8>> =
            files.iter().map(|(p, b)| (format!("converted/{p}"), b.to_vec())).collect();
        assert_eq!(back, expected);
    }

    #[test]
    fn more_than_65535_entries_use_the_zip64_end_records() {
        let files: BTreeMap<String, Bytes> =
            (0..70_000).map(|i| (format!("f/{i:05}"), Bytes::from(format!("{i}")))).collect();
        let back = read_back(Cursor::new(zip_folder(&files, "")));
        assert_eq!(back.len(), 70_000);
        assert_eq!(back["f/69999"], b"69999");
    }

    /// An archive whose entries' bytes are zeros that are never held: headers in memory, the rest
    /// made up as it is read.
    struct Sparse {
        /// (start, headers) pieces; the bytes between pieces are zeros.
        pieces: Vec<(u64, Vec<u8>)>,
        len: u64,
        at: u64,
    }

    impl Read for Sparse {
        fn read(&mut self, out: &mut [u8]) -> std::io::Result<usize> {
            let n = (out.len() as u64).min(self.len - self.at) as usize;
            out[..n].fill(0);
            for (start, bytes) in &self.pieces {
                let end = start + bytes.len() as u64;
                let (from, to) = (self.at.max(*start), (self.at + n as u64).min(end));
                if from < to {
                    out[(from - self.at) as usize..(to - self.at) as usize]
                        .copy_from_slice(&bytes[(from - start) as usize..(to - start) as usize]);
                }
            }
            self.at += n as u64;
            Ok(n)
        }
    }

    impl Seek for Sparse {
        fn seek(&mut self, to: SeekFrom) -> std::io::Result<u64> {
            self.at = match to {
                SeekFrom::Start(at) => at,
                SeekFrom::End(back) => self.len.checked_add_signed(back).ok_or(std::io::ErrorKind::InvalidInput)?,
                SeekFrom::Current(by) => self.at.checked_add_signed(by).ok_or(std::io::ErrorKind::InvalidInput)?,
            };
            Ok(self.at)
        }
    }

    #[test]
    fn an_entry_past_4_gib_and_one_after_it_use_zip64_sizes_and_offsets() {
        let big = (4u64 << 30) + 3;
        let mut layout = ZipLayout::new();
        let mut pieces = Vec::new();
        let zeros_crc = {
            let mut crc = crc32fast::Hasher::new();
            let block = vec![0u8; 1 << 20];
            let mut left = big;
            while left > 0 {
                let n = left.min(block.len() as u64) as usize;
                crc.update(&block[..n]);
                left -= n as u64;
            }
            crc.finalize()
        };
        let header = layout.entry("d/big.mp4", zeros_crc, big);
        let mut at = header.len() as u64 + big;
        pieces.push((0, header));
        let small = b"after the big one".to_vec();
        let mut header = layout.entry("d/meta/info.json", crc32fast::hash(&small), small.len() as u64);
        header.extend_from_slice(&small);
        pieces.push((at, header.clone()));
        at += header.len() as u64;
        let end = layout.finish();
        let len = at + end.len() as u64;
        pieces.push((at, end));
        let mut archive = zip::ZipArchive::new(Sparse { pieces, len, at: 0 }).expect("reads the zip64 archive");
        assert_eq!(archive.len(), 2);
        assert_eq!(archive.by_name("d/big.mp4").expect("big").size(), big);
        let mut after = Vec::new();
        archive.by_name("d/meta/info.json").expect("after").read_to_end(&mut after).expect("reads");
        assert_eq!(after, small);
    }
}
