//! A `ByteSource` over only some byte ranges of a file: what one worker was handed.

use std::ops::Range;

use bytes::Bytes;
use episcope_core::source::{check_range, LocalBoxFuture};
use episcope_core::{ByteSource, SourceError};

use crate::BenchError;

/// The bytes of a file at `offset_bytes` onwards, for a file of known size.
#[derive(Debug, Clone)]
pub struct Piece {
    pub offset_bytes: u64,
    pub bytes: Bytes,
}

/// A file of `size` bytes of which only the pieces are present. Reads inside one piece are served
/// without copying; any other read fails.
#[derive(Debug, Clone)]
pub struct PiecesSource {
    size: u64,
    /// Sorted by offset.
    pieces: Vec<Piece>,
}

impl PiecesSource {
    /// Fails if a piece reaches past the end of the file.
    pub fn new(size: u64, mut pieces: Vec<Piece>, path: &str) -> Result<Self, BenchError> {
        for piece in &pieces {
            let len = piece.bytes.len() as u64;
            if piece.offset_bytes.checked_add(len).is_none_or(|end| end > size) {
                return Err(BenchError::PieceOutOfFile {
                    offset: piece.offset_bytes,
                    len,
                    size,
                    path: path.to_string(),
                });
            }
        }
        pieces.sort_by_key(|piece| piece.offset_bytes);
        Ok(Self { size, pieces })
    }

    /// The bytes held (what was copied to get here).
    pub fn held_bytes(&self) -> u64 {
        self.pieces.iter().map(|piece| piece.bytes.len() as u64).sum()
    }

    fn slice(&self, range: Range<u64>) -> Result<Bytes, SourceError> {
        check_range(&range, self.size)?;
        let not_held = || SourceError::Io {
            reason: format!("range {}..{} was not handed to this worker", range.start, range.end),
        };
        // The last piece starting at or before the range: the only one that can hold its start.
        let index = self.pieces.partition_point(|piece| piece.offset_bytes <= range.start);
        let piece = index.checked_sub(1).and_then(|i| self.pieces.get(i)).ok_or_else(not_held)?;
        let start = range.start - piece.offset_bytes;
        let end = range.end - piece.offset_bytes;
        if end > piece.bytes.len() as u64 {
            return Err(not_held());
        }
        Ok(piece.bytes.slice(start as usize..end as usize))
    }
}

impl ByteSource for PiecesSource {
    fn size(&self) -> u64 {
        self.size
    }

    fn read_range(&self, range: Range<u64>) -> LocalBoxFuture<'_, Result<Bytes, SourceError>> {
        Box::pin(std::future::ready(self.slice(range)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ready::now_or_never;

    fn piece(offset_bytes: u64, bytes: &'static [u8]) -> Piece {
        Piece { offset_bytes, bytes: Bytes::from_static(bytes) }
    }

    fn read(source: &PiecesSource, range: Range<u64>) -> Result<Bytes, SourceError> {
        now_or_never(source.read_range(range)).expect("in-memory reads are ready at once")
    }

    #[test]
    fn reads_inside_a_piece_succeed_and_others_fail() {
        let source = PiecesSource::new(100, vec![piece(90, b"0123456789"), piece(10, b"abcdef")], "f").unwrap();
        assert_eq!(source.held_bytes(), 16);
        assert_eq!(&read(&source, 11..14).unwrap()[..], b"bcd");
        assert_eq!(&read(&source, 90..100).unwrap()[..], b"0123456789");
        assert_eq!(&read(&source, 16..16).unwrap()[..], b"");
        // Starts in a piece but runs past it; starts in a gap; before every piece; past the file.
        assert!(matches!(read(&source, 14..17), Err(SourceError::Io { .. })));
        assert!(matches!(read(&source, 20..30), Err(SourceError::Io { .. })));
        assert!(matches!(read(&source, 0..5), Err(SourceError::Io { .. })));
        assert!(matches!(read(&source, 95..101), Err(SourceError::OutOfBounds { .. })));
    }

    #[test]
    fn a_piece_past_the_end_of_the_file_is_refused() {
        let err = PiecesSource::new(10, vec![piece(5, b"abcdef")], "f.parquet").unwrap_err();
        assert_eq!(err, BenchError::PieceOutOfFile { offset: 5, len: 6, size: 10, path: "f.parquet".into() });
        assert!(PiecesSource::new(10, vec![piece(u64::MAX, b"a")], "f").is_err());
    }
}
