//! Chunk decompression (`none`, `bz2`, `lz4` frame), never producing more than the chunk declares.

use std::io::Read;

use bytes::Bytes;

use super::BagError;

/// The first allocation for a decompressed chunk is at most this; the buffer grows (doubling) only
/// as real output arrives, so a header declaring a big `size` costs nothing by itself.
const INITIAL_CAPACITY_LIMIT: u64 = 16 << 20;

/// Decompresses one chunk's data to exactly `size` bytes (the chunk header's `size`, already
/// checked against the caller's limit).
pub(super) fn decompress(compression: &str, data: Bytes, size: u64, chunk_offset: u64) -> Result<Bytes, BagError> {
    let fail = |reason: String| BagError::Decompress { chunk_offset, reason };
    match compression {
        "none" => {
            if data.len() as u64 != size {
                return Err(fail(format!("uncompressed chunk holds {} bytes, its header says {size}", data.len())));
            }
            Ok(data)
        }
        "bz2" => read_bounded(bzip2::read::BzDecoder::new(&data[..]), size, data.len()).map_err(fail),
        "lz4" => read_bounded(lz4_flex::frame::FrameDecoder::new(&data[..]), size, data.len()).map_err(fail),
        other => Err(BagError::UnsupportedCompression { chunk_offset, compression: other.to_owned() }),
    }
}

/// Reads `reader` to its end, but at most `size + 1` bytes; the output must be exactly `size`.
fn read_bounded(reader: impl Read, size: u64, compressed_len: usize) -> Result<Bytes, String> {
    let initial = size.min(INITIAL_CAPACITY_LIMIT).min((compressed_len as u64).saturating_mul(4).saturating_add(4096));
    let mut out = Vec::with_capacity(initial as usize);
    reader.take(size.saturating_add(1)).read_to_end(&mut out).map_err(|e| e.to_string())?;
    let got = out.len() as u64;
    if got > size {
        return Err(format!("decompresses to more than the {size} bytes its header declares"));
    }
    if got < size {
        return Err(format!("decompresses to {got} bytes, its header declares {size}"));
    }
    Ok(Bytes::from(out))
}
