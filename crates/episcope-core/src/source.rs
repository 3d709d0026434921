//! The one byte-range abstraction every reader works over: a size and an async "read this range".
//!
//! Implementations: [`MemorySource`] (bytes in memory), [`NativeFileSource`] (a local file, feature
//! `native`), and in the web app a browser `File`/`Blob` read through `Blob.slice`. Readers never
//! see paths or `std::fs`; they ask for exactly the ranges they need.

use std::future::Future;
use std::ops::Range;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use bytes::Bytes;

/// A boxed future that need not be `Send` (browser futures are not).
pub type LocalBoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + 'a>>;

/// Why a range could not be read.
#[derive(Debug, Clone, thiserror::Error, PartialEq, Eq)]
pub enum SourceError {
    #[error("range {start}..{end} is outside the file ({size} bytes)")]
    OutOfBounds { start: u64, end: u64, size: u64 },
    #[error("read failed: {reason}")]
    Io { reason: String },
}

/// Something with a known size whose byte ranges can be read asynchronously.
pub trait ByteSource {
    /// Size in bytes.
    fn size(&self) -> u64;
    /// Read exactly `range` (end exclusive). Fails if the range is outside the source.
    fn read_range(&self, range: Range<u64>) -> LocalBoxFuture<'_, Result<Bytes, SourceError>>;
    /// What one request costs beyond its bytes, counted in bytes: readers fetch a gap between two
    /// wanted ranges rather than make a second request when the gap is at most this (see
    /// `parquet_io::coalesce_for_source`). 0 (the default) for memory and local files; browser
    /// `File`s, where every `Blob.slice` read is a round trip to the browser process, say more.
    fn request_cost_bytes(&self) -> u64 {
        0
    }
}

/// Checks a requested range against a source size.
pub fn check_range(range: &Range<u64>, size: u64) -> Result<(), SourceError> {
    if range.start > range.end || range.end > size {
        return Err(SourceError::OutOfBounds { start: range.start, end: range.end, size });
    }
    Ok(())
}

/// Bytes held in memory.
#[derive(Debug, Clone)]
pub struct MemorySource {
    bytes: Bytes,
}

impl MemorySource {
    pub fn new(bytes: impl Into<Bytes>) -> Self {
        Self { bytes: bytes.into() }
    }
}

impl ByteSource for MemorySource {
    fn size(&self) -> u64 {
        self.bytes.len() as u64
    }

    fn read_range(&self, range: Range<u64>) -> LocalBoxFuture<'_, Result<Bytes, SourceError>> {
        let result =
            check_range(&range, self.size()).map(|()| self.bytes.slice(range.start as usize..range.end as usize));
        Box::pin(std::future::ready(result))
    }
}

/// Counts the bytes and requests read through it, shared by every file of a dataset.
#[derive(Debug, Default)]
pub struct IoCounter {
    bytes: AtomicU64,
    requests: AtomicU64,
}

impl IoCounter {
    pub fn record(&self, bytes: u64) {
        self.bytes.fetch_add(bytes, Ordering::Relaxed);
        self.requests.fetch_add(1, Ordering::Relaxed);
    }
    pub fn bytes_read(&self) -> u64 {
        self.bytes.load(Ordering::Relaxed)
    }
    pub fn requests(&self) -> u64 {
        self.requests.load(Ordering::Relaxed)
    }
}

/// Wraps a source and records every read in an [`IoCounter`].
pub struct CountingSource {
    inner: Arc<dyn ByteSource>,
    counter: Arc<IoCounter>,
}

impl CountingSource {
    pub fn new(inner: Arc<dyn ByteSource>, counter: Arc<IoCounter>) -> Self {
        Self { inner, counter }
    }
}

impl ByteSource for CountingSource {
    fn size(&self) -> u64 {
        self.inner.size()
    }

    fn read_range(&self, range: Range<u64>) -> LocalBoxFuture<'_, Result<Bytes, SourceError>> {
        self.counter.record(range.end.saturating_sub(range.start));
        self.inner.read_range(range)
    }

    fn request_cost_bytes(&self) -> u64 {
        self.inner.request_cost_bytes()
    }
}

#[cfg(feature = "native")]
pub use native::NativeFileSource;

#[cfg(feature = "native")]
mod native {
    use super::*;
    use std::fs::File;
    use std::io::{Read, Seek, SeekFrom};
    use std::path::Path;
    use std::sync::Mutex;

    /// A local file, read by positioned reads (the file is opened once and never read whole).
    pub struct NativeFileSource {
        file: Mutex<File>,
        size: u64,
    }

    impl NativeFileSource {
        pub fn open(path: &Path) -> std::io::Result<Self> {
            let file = File::open(path)?;
            let size = file.metadata()?.len();
            Ok(Self { file: Mutex::new(file), size })
        }
    }

    impl ByteSource for NativeFileSource {
        fn size(&self) -> u64 {
            self.size
        }

        fn read_range(&self, range: Range<u64>) -> LocalBoxFuture<'_, Result<Bytes, SourceError>> {
            let result = check_range(&range, self.size).and_then(|()| {
                let io = |e: std::io::Error| SourceError::Io { reason: e.to_string() };
                let mut file = self.file.lock().map_err(|_| SourceError::Io { reason: "file lock poisoned".into() })?;
                file.seek(SeekFrom::Start(range.start)).map_err(io)?;
                let mut buf = vec![0u8; (range.end - range.start) as usize];
                file.read_exact(&mut buf).map_err(io)?;
                Ok(Bytes::from(buf))
            });
            Box::pin(std::future::ready(result))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn memory_source_reads_ranges_and_rejects_out_of_bounds() {
        let source = MemorySource::new(b"0123456789".to_vec());
        assert_eq!(source.size(), 10);
        let got = pollster::block_on(source.read_range(2..5)).unwrap();
        assert_eq!(&got[..], b"234");
        let err = pollster::block_on(source.read_range(8..11)).unwrap_err();
        assert_eq!(err, SourceError::OutOfBounds { start: 8, end: 11, size: 10 });
    }

    #[test]
    fn counting_source_counts_bytes_and_requests() {
        let counter = Arc::new(IoCounter::default());
        let source = CountingSource::new(Arc::new(MemorySource::new(vec![0u8; 100])), counter.clone());
        pollster::block_on(source.read_range(0..10)).unwrap();
        pollster::block_on(source.read_range(50..100)).unwrap();
        assert_eq!(counter.bytes_read(), 60);
        assert_eq!(counter.requests(), 2);
    }

    #[cfg(feature = "native")]
    #[test]
    fn native_file_source_reads_a_range_without_reading_the_rest() {
        let dir = std::env::temp_dir().join(format!("episcope-src-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("f.bin");
        std::fs::write(&path, (0u8..=255).collect::<Vec<_>>()).unwrap();
        let source = NativeFileSource::open(&path).unwrap();
        assert_eq!(source.size(), 256);
        let got = pollster::block_on(source.read_range(250..256)).unwrap();
        assert_eq!(&got[..], &[250, 251, 252, 253, 254, 255]);
        assert!(pollster::block_on(source.read_range(250..257)).is_err());
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
