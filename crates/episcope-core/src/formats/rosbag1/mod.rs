//! ROS 1 bag (v2.0) reader: connections and chunk index from the summary, messages from chunks read on demand.
//!
//! # Layout and what is read
//!
//! A bag is `#ROSBAG V2.0\n`, a bag header record (`index_pos`, `conn_count`, `chunk_count`), then
//! chunk records (each holding connection and message records, possibly bz2- or lz4-compressed)
//! each followed by index-data records, and at `index_pos` the summary: one connection record per
//! connection and one chunk-info record per chunk (its position, time range and per-connection
//! message counts).
//!
//! [`read_summary`] reads the magic, the bag header and the summary (`index_pos..end`, one range)
//! and no chunk. [`read_messages`] then reads only the chunks whose chunk info lists a wanted
//! connection. A bag whose `index_pos` is 0 (never closed: recording was interrupted, or written
//! unindexed) is summarised by a linear scan of its records instead, which reads and decompresses
//! every chunk once to find the connections and counts (see `scan_summary`).
//!
//! # Bounds
//!
//! Every length read from the file is checked against the file size before anything is read or
//! allocated: record headers at most [`MAX_RECORD_HEADER_BYTES`], the summary at most
//! [`MAX_SUMMARY_BYTES`], a chunk's compressed data and declared decompressed `size` at most
//! [`MAX_CHUNK_BYTES`]. Decompression stops one byte past the declared size (and the output must
//! match it exactly); its first buffer is small and grows only with real output. Loops advance by at
//! least 8 bytes per record, so the number of records is bounded by the bytes present.

mod chunk;
mod record;

use std::collections::BTreeMap;

use bytes::Bytes;

use crate::recording::{RawChannel, RawMessage};
use crate::source::{ByteSource, SourceError};

use record::{record_at, Fields, OP_BAG_HEADER, OP_CHUNK, OP_CHUNK_INFO, OP_CONNECTION, OP_MSG_DATA};

/// The file's first bytes.
pub const MAGIC: &[u8; 13] = b"#ROSBAG V2.0\n";
/// Largest record header accepted (connection headers carry message definitions, a few KiB).
pub const MAX_RECORD_HEADER_BYTES: u64 = 16 << 20;
/// Largest summary (connection + chunk-info records at `index_pos..end`) read in one go.
pub const MAX_SUMMARY_BYTES: u64 = 256 << 20;
/// Largest chunk, compressed or decompressed (ROS writes 768 KiB chunks by default).
pub const MAX_CHUNK_BYTES: u64 = 1 << 30;

/// The first read of a record also fetches this many bytes, so a record's header (and a small
/// record's data) costs one request. Covers the 4 KiB padded bag header of most writers.
const RECORD_PREFIX_BYTES: u64 = 4096 + 256;

/// Why a bag could not be read. Offsets are bytes from the start of the file; the caller adds the
/// file name.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BagError {
    #[error("not a ROS 1 bag: the file does not start with `#ROSBAG V2.0`")]
    BadMagic,
    #[error("ROS 1 bag version {version} is not supported (only 2.0)")]
    UnsupportedVersion { version: String },
    #[error("truncated: the record at byte {offset} needs {needed} bytes, past the end of the file")]
    Truncated { offset: u64, needed: u64 },
    #[error("bad record at byte {offset}: {reason}")]
    BadRecord { offset: u64, reason: String },
    #[error("bad record at byte {offset} of the decompressed chunk at byte {chunk_offset}: {reason}")]
    BadChunkRecord { chunk_offset: u64, offset: u64, reason: String },
    #[error("cannot decompress the chunk at byte {chunk_offset}: {reason}")]
    Decompress { chunk_offset: u64, reason: String },
    #[error("the chunk at byte {chunk_offset} uses compression {compression:?} (supported: none, bz2, lz4)")]
    UnsupportedCompression { chunk_offset: u64, compression: String },
    #[error("{what} at byte {offset} is {size} bytes, over the limit of {limit}")]
    TooLarge { offset: u64, what: &'static str, size: u64, limit: u64 },
    #[error(transparent)]
    Source(#[from] SourceError),
}

/// One chunk as its chunk-info record (or, for an unindexed bag, the scan) describes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChunkInfo {
    /// Offset of the chunk record in the file.
    pub chunk_pos: u64,
    pub start_time_ns: u64,
    pub end_time_ns: u64,
    /// Messages in this chunk per connection id.
    pub message_counts: BTreeMap<u32, u64>,
}

/// What a bag holds, without its messages.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BagSummary {
    /// One per connection, ordered by id.
    pub channels: Vec<RawChannel>,
    /// Ordered by position in the file.
    pub chunks: Vec<ChunkInfo>,
    /// Messages per connection id, summed over the chunks.
    pub message_counts: BTreeMap<u32, u64>,
    /// Earliest and latest message time over the chunks holding messages (`None` for an empty bag).
    pub start_time_ns: Option<u64>,
    pub end_time_ns: Option<u64>,
}

/// Reads a bag's connections and chunk index (the summary at its end); for a bag without index
/// (`index_pos` 0) scans its records instead.
pub async fn read_summary(source: &dyn ByteSource) -> Result<BagSummary, BagError> {
    let size = source.size();
    let magic = source.read_range(0..size.min(MAGIC.len() as u64)).await?;
    if magic[..] != MAGIC[..] {
        if MAGIC.starts_with(&magic) {
            return Err(BagError::Truncated { offset: 0, needed: MAGIC.len() as u64 });
        }
        if let Some(rest) = magic.strip_prefix(b"#ROSBAG V".as_slice()) {
            let version = String::from_utf8_lossy(rest.split(|&b| b == b'\n').next().unwrap_or_default());
            return Err(BagError::UnsupportedVersion { version: version.into_owned() });
        }
        return Err(BagError::BadMagic);
    }

    let header_pos = MAGIC.len() as u64;
    let head = read_record_head(source, header_pos, size).await?;
    let fields = Fields::parse(&head.header).map_err(bad_record(header_pos))?;
    let op = fields.op().map_err(bad_record(header_pos))?;
    if op != OP_BAG_HEADER {
        return Err(BagError::BadRecord {
            offset: header_pos,
            reason: format!("the first record is op {op:#04x}, not the bag header"),
        });
    }
    let index_pos = fields.u64("index_pos").map_err(bad_record(header_pos))?;
    let conn_count = fields.u32("conn_count").map_err(bad_record(header_pos))?;
    let chunk_count = fields.u32("chunk_count").map_err(bad_record(header_pos))?;
    let first_record = head.end;

    if index_pos == 0 {
        return scan_summary(source, first_record, size).await;
    }
    if index_pos < first_record {
        return Err(BagError::BadRecord {
            offset: header_pos,
            reason: format!("index_pos {index_pos} points inside the bag header (which ends at {first_record})"),
        });
    }
    if index_pos > size {
        return Err(BagError::Truncated { offset: index_pos, needed: 8 });
    }
    let summary_len = size - index_pos;
    if summary_len > MAX_SUMMARY_BYTES {
        return Err(BagError::TooLarge {
            offset: index_pos,
            what: "summary",
            size: summary_len,
            limit: MAX_SUMMARY_BYTES,
        });
    }
    let tail = source.read_range(index_pos..size).await?;

    let mut channels = BTreeMap::new();
    let mut chunks = Vec::new();
    let mut pos = 0usize;
    while pos < tail.len() {
        let offset = index_pos + pos as u64;
        let rec = record_at(&tail, pos).map_err(|cut| BagError::Truncated { offset, needed: cut.needed })?;
        let fields = Fields::parse(&tail[rec.header.clone()]).map_err(bad_record(offset))?;
        let data = &tail[rec.data.clone()];
        match fields.op().map_err(bad_record(offset))? {
            OP_CONNECTION => {
                let channel = parse_connection(&fields, data).map_err(bad_record(offset))?;
                channels.insert(channel.id, channel);
            }
            OP_CHUNK_INFO => {
                let info = parse_chunk_info(&fields, data).map_err(bad_record(offset))?;
                if info.chunk_pos < first_record || info.chunk_pos >= index_pos {
                    return Err(BagError::BadRecord {
                        offset,
                        reason: format!(
                            "chunk info points at byte {}, outside the chunks ({first_record}..{index_pos})",
                            info.chunk_pos
                        ),
                    });
                }
                chunks.push(info);
            }
            // Other records (index data 0x04, ...) do not belong in the summary: skipped.
            _ => {}
        }
        pos = rec.end;
    }
    // Fewer records than the bag header declares means the summary was cut at a record boundary.
    if (channels.len() as u64) < u64::from(conn_count) || (chunks.len() as u64) < u64::from(chunk_count) {
        return Err(BagError::BadRecord {
            offset: index_pos,
            reason: format!(
                "the summary holds {} connections and {} chunk infos; \
                 the bag header declares {conn_count} and {chunk_count}",
                channels.len(),
                chunks.len()
            ),
        });
    }
    chunks.sort_by_key(|c: &ChunkInfo| c.chunk_pos);
    if let Some(pair) = chunks.windows(2).find(|w| w[0].chunk_pos == w[1].chunk_pos) {
        return Err(BagError::BadRecord {
            offset: index_pos,
            reason: format!("two chunk infos describe the chunk at byte {}", pair[0].chunk_pos),
        });
    }
    Ok(build_summary(channels, chunks))
}

/// Reads the messages of the connections `channel_ids` (all when `None`), sorted by log time
/// (ties in file order). Only chunks whose chunk info counts a wanted connection are read.
pub async fn read_messages(
    source: &dyn ByteSource,
    summary: &BagSummary,
    channel_ids: Option<&[u32]>,
) -> Result<Vec<RawMessage>, BagError> {
    let wanted = |id: u32| channel_ids.is_none_or(|ids| ids.contains(&id));
    let size = source.size();
    let mut messages = Vec::new();
    for info in &summary.chunks {
        if !info.message_counts.iter().any(|(&id, &n)| n > 0 && wanted(id)) {
            continue;
        }
        let chunk_pos = info.chunk_pos;
        let head = read_record_head(source, chunk_pos, size).await?;
        let fields = Fields::parse(&head.header).map_err(bad_record(chunk_pos))?;
        let op = fields.op().map_err(bad_record(chunk_pos))?;
        if op != OP_CHUNK {
            return Err(BagError::BadRecord {
                offset: chunk_pos,
                reason: format!("a chunk info points here, but this record is op {op:#04x}, not a chunk"),
            });
        }
        let chunk = load_chunk(source, &head, &fields).await?;
        // When only some connections are wanted, copy their bytes so the chunk's buffer is freed.
        let copy = channel_ids.is_some();
        for_each_chunk_record(&chunk, chunk_pos, |op, fields, data| {
            if op == OP_MSG_DATA {
                let channel_id = fields.u32("conn")?;
                if wanted(channel_id) {
                    let time = fields.time_ns("time")?;
                    let data = if copy { Bytes::copy_from_slice(&chunk[data]) } else { chunk.slice(data) };
                    messages.push(RawMessage { channel_id, log_time_ns: time, publish_time_ns: time, data });
                }
            }
            Ok(())
        })?;
    }
    messages.sort_by_key(|m| m.log_time_ns);
    Ok(messages)
}

/// The summary of a bag without index: every top-level record from `pos` on, in order. Chunks are
/// read and decompressed to find their connection records and count their messages; connection
/// records outside chunks are taken too; index-data and chunk-info records are skipped. A record
/// cut by the end of the file is an error, as everywhere else.
async fn scan_summary(source: &dyn ByteSource, mut pos: u64, size: u64) -> Result<BagSummary, BagError> {
    let mut channels = BTreeMap::new();
    let mut chunks = Vec::new();
    while pos < size {
        let head = read_record_head(source, pos, size).await?;
        let fields = Fields::parse(&head.header).map_err(bad_record(pos))?;
        match fields.op().map_err(bad_record(pos))? {
            OP_CHUNK => {
                let chunk = load_chunk(source, &head, &fields).await?;
                let mut info = ChunkInfo {
                    chunk_pos: pos,
                    start_time_ns: u64::MAX,
                    end_time_ns: 0,
                    message_counts: BTreeMap::new(),
                };
                for_each_chunk_record(&chunk, pos, |op, fields, data| {
                    match op {
                        OP_MSG_DATA => {
                            let id = fields.u32("conn")?;
                            let time = fields.time_ns("time")?;
                            *info.message_counts.entry(id).or_insert(0) += 1;
                            info.start_time_ns = info.start_time_ns.min(time);
                            info.end_time_ns = info.end_time_ns.max(time);
                        }
                        OP_CONNECTION => {
                            let channel = parse_connection(fields, &chunk[data])?;
                            channels.entry(channel.id).or_insert(channel);
                        }
                        _ => {}
                    }
                    Ok(())
                })?;
                if info.message_counts.is_empty() {
                    info.start_time_ns = 0;
                }
                chunks.push(info);
            }
            OP_CONNECTION => {
                let data = read_record_data(source, &head, MAX_RECORD_HEADER_BYTES, "connection record").await?;
                let channel = parse_connection(&fields, &data).map_err(bad_record(pos))?;
                channels.entry(channel.id).or_insert(channel);
            }
            _ => {}
        }
        pos = head.end;
    }
    Ok(build_summary(channels, chunks))
}

fn build_summary(channels: BTreeMap<u32, RawChannel>, chunks: Vec<ChunkInfo>) -> BagSummary {
    let mut message_counts = BTreeMap::new();
    let (mut start, mut end) = (None::<u64>, None::<u64>);
    for info in &chunks {
        let mut any = false;
        for (&id, &n) in &info.message_counts {
            if n > 0 {
                any = true;
                let total: &mut u64 = message_counts.entry(id).or_insert(0);
                *total = total.saturating_add(n);
            }
        }
        if any {
            start = Some(start.map_or(info.start_time_ns, |s| s.min(info.start_time_ns)));
            end = Some(end.map_or(info.end_time_ns, |e| e.max(info.end_time_ns)));
        }
    }
    BagSummary {
        channels: channels.into_values().collect(),
        chunks,
        message_counts,
        start_time_ns: start,
        end_time_ns: end,
    }
}

fn parse_connection(fields: &Fields<'_>, data: &[u8]) -> Result<RawChannel, String> {
    let id = fields.u32("conn")?;
    let topic = fields.string("topic")?;
    let connection = Fields::parse(data).map_err(|e| format!("connection header: {e}"))?;
    let message_type = connection.string("type").map_err(|e| format!("connection header: {e}"))?;
    let schema_text = connection.opt_string("message_definition");
    let schema_encoding = if schema_text.is_empty() { "" } else { "ros1msg" };
    Ok(RawChannel {
        id,
        topic,
        message_type,
        message_encoding: "ros1".to_owned(),
        schema_encoding: schema_encoding.to_owned(),
        schema_text,
    })
}

fn parse_chunk_info(fields: &Fields<'_>, data: &[u8]) -> Result<ChunkInfo, String> {
    let version = fields.u32("ver")?;
    if version != 1 {
        return Err(format!("chunk info version {version} (only 1 is known)"));
    }
    let chunk_pos = fields.u64("chunk_pos")?;
    let start_time_ns = fields.time_ns("start_time")?;
    let end_time_ns = fields.time_ns("end_time")?;
    let count = fields.u32("count")?;
    if data.len() as u64 != u64::from(count) * 8 {
        return Err(format!("chunk info declares {count} connections but holds {} bytes", data.len()));
    }
    let mut message_counts = BTreeMap::new();
    for entry in data.chunks_exact(8) {
        let id = record::le_u32(entry, 0).unwrap_or_default();
        let n = record::le_u32(entry, 4).unwrap_or_default();
        *message_counts.entry(id).or_insert(0u64) += u64::from(n);
    }
    Ok(ChunkInfo { chunk_pos, start_time_ns, end_time_ns, message_counts })
}

/// Calls `f(op, fields, data range)` for each record of a decompressed chunk, in order.
fn for_each_chunk_record(
    chunk: &Bytes,
    chunk_offset: u64,
    mut f: impl FnMut(u8, &Fields<'_>, std::ops::Range<usize>) -> Result<(), String>,
) -> Result<(), BagError> {
    let mut pos = 0usize;
    while pos < chunk.len() {
        let bad = |reason: String| BagError::BadChunkRecord { chunk_offset, offset: pos as u64, reason };
        let rec = record_at(chunk, pos).map_err(|cut| {
            bad(format!("a record of {} bytes runs past the chunk's {} bytes", cut.needed, chunk.len()))
        })?;
        let fields = Fields::parse(&chunk[rec.header.clone()]).map_err(bad)?;
        let op = fields.op().map_err(bad)?;
        f(op, &fields, rec.data.clone()).map_err(bad)?;
        pos = rec.end;
    }
    Ok(())
}

/// A top-level record whose header has been read (and, when small, its data too).
struct RecordHead {
    offset: u64,
    header: Bytes,
    data_start: u64,
    data_len: u64,
    /// Where the next record starts (checked to be within the file).
    end: u64,
    /// The bytes read from `offset` on.
    prefix: Bytes,
}

/// Reads the header of the record at `offset`, checking both lengths against the file size.
async fn read_record_head(source: &dyn ByteSource, offset: u64, size: u64) -> Result<RecordHead, BagError> {
    if offset.checked_add(4).is_none_or(|end| end > size) {
        return Err(BagError::Truncated { offset, needed: 4 });
    }
    let prefix = source.read_range(offset..offset.saturating_add(RECORD_PREFIX_BYTES).min(size)).await?;
    let header_len = u64::from(record::le_u32(&prefix, 0).ok_or(BagError::Truncated { offset, needed: 4 })?);
    if header_len > MAX_RECORD_HEADER_BYTES {
        return Err(BagError::TooLarge {
            offset,
            what: "record header",
            size: header_len,
            limit: MAX_RECORD_HEADER_BYTES,
        });
    }
    let head_len = 8 + header_len;
    if offset.saturating_add(head_len) > size {
        return Err(BagError::Truncated { offset, needed: head_len });
    }
    let head = if head_len <= prefix.len() as u64 {
        prefix.slice(4..head_len as usize)
    } else {
        source.read_range(offset + 4..offset + head_len).await?
    };
    let header = head.slice(..header_len as usize);
    let data_len =
        u64::from(record::le_u32(&head, header_len as usize).ok_or(BagError::Truncated { offset, needed: head_len })?);
    let end = offset + head_len + data_len;
    if end > size {
        return Err(BagError::Truncated { offset, needed: head_len + data_len });
    }
    Ok(RecordHead { offset, header, data_start: offset + head_len, data_len, end, prefix })
}

/// Reads a record's data (from the first read when it covered it), refusing more than `limit` bytes.
async fn read_record_data(
    source: &dyn ByteSource,
    head: &RecordHead,
    limit: u64,
    what: &'static str,
) -> Result<Bytes, BagError> {
    if head.data_len > limit {
        return Err(BagError::TooLarge { offset: head.offset, what, size: head.data_len, limit });
    }
    let (start, end) = (head.data_start - head.offset, head.end - head.offset);
    if end <= head.prefix.len() as u64 {
        return Ok(head.prefix.slice(start as usize..end as usize));
    }
    Ok(source.read_range(head.data_start..head.end).await?)
}

/// Reads and decompresses the chunk whose header is `head`/`fields`.
async fn load_chunk(source: &dyn ByteSource, head: &RecordHead, fields: &Fields<'_>) -> Result<Bytes, BagError> {
    let offset = head.offset;
    let compression = fields.string("compression").map_err(bad_record(offset))?;
    let size = u64::from(fields.u32("size").map_err(bad_record(offset))?);
    if size > MAX_CHUNK_BYTES {
        return Err(BagError::TooLarge { offset, what: "decompressed chunk", size, limit: MAX_CHUNK_BYTES });
    }
    let data = read_record_data(source, head, MAX_CHUNK_BYTES, "compressed chunk").await?;
    chunk::decompress(&compression, data, size, offset)
}

fn bad_record(offset: u64) -> impl Fn(String) -> BagError {
    move |reason| BagError::BadRecord { offset, reason }
}
