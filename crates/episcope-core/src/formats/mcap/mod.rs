//! MCAP over a `ByteSource`, lazily: the `mcap` crate's sans-io summary reader finds channels,
//! schemas, statistics and chunk indexes from the end of the file; messages are read only from the
//! chunks holding a wanted channel (zstd and lz4 by pure-Rust decoders, so the browser reads them
//! too). A file without a summary is scanned linearly.

use std::collections::BTreeMap;
use std::io::{Read, SeekFrom};
use std::panic::{catch_unwind, AssertUnwindSafe};

use bytes::Bytes;
use mcap::sans_io::summary_reader::{SummaryReadEvent, SummaryReader, SummaryReaderOptions};

use crate::recording::{RawChannel, RawMessage};
use crate::source::{ByteSource, SourceError};

/// A record (or a decompressed chunk) larger than this is refused.
pub const MAX_RECORD_BYTES: u64 = 1 << 30;
const MAGIC: &[u8; 8] = b"\x89MCAP0\r\n";

#[derive(Debug, thiserror::Error)]
pub enum McapError {
    #[error("not an MCAP file (bad magic)")]
    BadMagic,
    #[error("summary: {reason}")]
    Summary { reason: String },
    #[error("record at byte {offset}: {reason}")]
    BadRecord { offset: u64, reason: String },
    #[error("chunk at byte {offset}: {reason}")]
    Chunk { offset: u64, reason: String },
    #[error("chunk at byte {offset} uses compression {compression:?} (zstd, lz4 and none are read)")]
    UnsupportedCompression { offset: u64, compression: String },
    #[error(transparent)]
    Source(#[from] SourceError),
}

/// One chunk's place and contents, from its chunk index.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct McapChunk {
    pub offset: u64,
    pub length: u64,
    pub compression: String,
    pub start_time_ns: u64,
    pub end_time_ns: u64,
    pub channels: Vec<u32>,
}

/// What opening reads: channels with their schemas, counts, time span and chunk indexes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct McapSummary {
    pub channels: Vec<RawChannel>,
    pub message_counts: BTreeMap<u32, u64>,
    pub start_time_ns: Option<u64>,
    pub end_time_ns: Option<u64>,
    pub chunks: Vec<McapChunk>,
    /// False when the file had no summary section and was scanned whole.
    pub indexed: bool,
    /// Where a file without the end magic (a recorder that stopped mid-write) stops holding whole
    /// records: what lies before it was read, the rest is lost.
    pub truncated_at_byte: Option<u64>,
}

/// Reads the summary section (a few small reads at the end of the file); scans the file when it
/// has none.
pub async fn read_mcap_summary(source: &dyn ByteSource) -> Result<McapSummary, McapError> {
    read_mcap_summary_with_progress(source, &mut |_, _| {}).await
}

/// [`read_mcap_summary`], calling `progress(bytes_scanned, file_bytes)` as a file without a
/// summary is scanned (after each read window); a file with a summary reports nothing.
pub async fn read_mcap_summary_with_progress(
    source: &dyn ByteSource,
    progress: &mut dyn FnMut(u64, u64),
) -> Result<McapSummary, McapError> {
    let size = source.size();
    if size < 16 || source.read_range(0..8).await?.as_ref() != MAGIC {
        return Err(McapError::BadMagic);
    }
    if source.read_range(size - 8..size).await?.as_ref() != MAGIC {
        // No footer: recover what was written, as `mcap recover` does.
        return Ok(scan(source, &|_| false, progress).await?.0);
    }
    let options =
        SummaryReaderOptions::default().with_file_size(size).with_record_length_limit(MAX_RECORD_BYTES as usize);
    let mut reader = SummaryReader::new_with_options(options);
    let mut pos = 0u64;
    // The reader asks for a record at a time; serve those from read-ahead blocks so the summary
    // of a large file is a few requests (each costs a round trip in the browser), not one per record.
    let mut ahead = ReadAhead::default();
    loop {
        // The `mcap` crate's record parser panics on some malformed records (an attachment shorter
        // than its header, mcap 0.26 `read.rs:176`, found by fuzzing): contained where panics unwind.
        let guard = crate::parquet_io::contained_scope();
        let next = catch_unwind(AssertUnwindSafe(|| reader.next_event()));
        drop(guard);
        let event = match next {
            Ok(Some(event)) => event,
            Ok(None) => break,
            Err(_) => {
                return Err(McapError::Summary { reason: "a malformed record in the summary section".into() });
            }
        };
        match event.map_err(|e| McapError::Summary { reason: e.to_string() })? {
            SummaryReadEvent::ReadRequest(need) => {
                let end = pos.saturating_add(need as u64);
                if end > size {
                    // A record the summary points at runs past the end of the file; asking again
                    // would return nothing forever.
                    return Err(McapError::Summary {
                        reason: format!("a summary record at byte {pos} needs {need} bytes past the end of the file"),
                    });
                }
                let bytes = ahead.read(source, pos..end).await?;
                let buf = reader.insert(bytes.len());
                buf.copy_from_slice(&bytes);
                reader.notify_read(bytes.len());
                pos = end;
            }
            SummaryReadEvent::SeekRequest(to) => {
                let target = match to {
                    SeekFrom::Start(p) => Some(p),
                    SeekFrom::End(d) => size.checked_add_signed(d),
                    SeekFrom::Current(d) => pos.checked_add_signed(d),
                };
                // An offset (from the footer or a summary offset record) outside the file: seeking
                // to the end instead would make the reader ask again forever.
                pos = target.filter(|&p| p <= size).ok_or_else(|| McapError::Summary {
                    reason: format!("an offset in the summary points outside the file ({to:?}, {size} bytes)"),
                })?;
                reader.notify_seeked(pos);
            }
        }
    }
    let Some(summary) = reader.finish() else {
        return scan(source, &|_| false, progress).await.map(|(summary, _)| summary);
    };
    let mut channels: Vec<RawChannel> = summary
        .channels
        .values()
        .map(|c| RawChannel {
            id: u32::from(c.id),
            topic: c.topic.clone(),
            message_type: c.schema.as_ref().map(|s| s.name.clone()).unwrap_or_default(),
            message_encoding: c.message_encoding.clone(),
            schema_encoding: c.schema.as_ref().map(|s| s.encoding.clone()).unwrap_or_default(),
            schema_text: c.schema.as_ref().map(|s| String::from_utf8_lossy(&s.data).into_owned()).unwrap_or_default(),
        })
        .collect();
    channels.sort_by_key(|c| c.id);
    let mut message_counts: BTreeMap<u32, u64> = channels.iter().map(|c| (c.id, 0)).collect();
    let (mut start, mut end) = (None, None);
    if let Some(stats) = &summary.stats {
        for (id, count) in &stats.channel_message_counts {
            message_counts.insert(u32::from(*id), *count);
        }
        if stats.message_count > 0 {
            start = Some(stats.message_start_time);
            end = Some(stats.message_end_time);
        }
    }
    let chunks: Vec<McapChunk> = summary
        .chunk_indexes
        .iter()
        .map(|c| McapChunk {
            offset: c.chunk_start_offset,
            length: c.chunk_length,
            compression: c.compression.clone(),
            start_time_ns: c.message_start_time,
            end_time_ns: c.message_end_time,
            channels: c.message_index_offsets.keys().map(|&k| u32::from(k)).collect(),
        })
        .collect();
    if summary.stats.is_none() && !chunks.is_empty() {
        start = chunks.iter().map(|c| c.start_time_ns).min();
        end = chunks.iter().map(|c| c.end_time_ns).max();
    }
    Ok(McapSummary {
        channels,
        message_counts,
        start_time_ns: start,
        end_time_ns: end,
        chunks,
        indexed: true,
        truncated_at_byte: None,
    })
}

/// Messages of the wanted channels (all when None), sorted by log time. Indexed files read only
/// the chunks that hold a wanted channel.
pub async fn read_mcap_messages(
    source: &dyn ByteSource,
    summary: &McapSummary,
    channel_ids: Option<&[u32]>,
) -> Result<Vec<RawMessage>, McapError> {
    let wanted = |id: u32| channel_ids.is_none_or(|ids| ids.contains(&id));
    let mut messages = Vec::new();
    if summary.indexed && !summary.chunks.is_empty() {
        for chunk in &summary.chunks {
            if !chunk.channels.iter().any(|&c| wanted(c)) {
                continue;
            }
            let end =
                chunk.offset.checked_add(chunk.length).filter(|&e| e <= source.size()).ok_or(McapError::Chunk {
                    offset: chunk.offset,
                    reason: format!("{} bytes past the end of the file", chunk.length),
                })?;
            let record = source.read_range(chunk.offset..end).await?;
            let mut sink = RecordSink { want: &wanted, messages: &mut messages, channels: None };
            parse_records(&record, chunk.offset, &mut sink)?;
        }
    } else {
        let (_, wanted_messages) = scan(source, &wanted, &mut |_, _| {}).await?;
        messages = wanted_messages;
    }
    messages.sort_by_key(|m| m.log_time_ns);
    Ok(messages)
}

/// Bytes fetched ahead of the summary reader's requests.
#[derive(Default)]
struct ReadAhead {
    start: u64,
    bytes: Bytes,
}

impl ReadAhead {
    /// Read-ahead block; a request larger than this is fetched as it is.
    const BLOCK_BYTES: u64 = 256 * 1024;

    async fn read(&mut self, source: &dyn ByteSource, range: std::ops::Range<u64>) -> Result<Bytes, McapError> {
        let held = self.start..self.start + self.bytes.len() as u64;
        if range.start < held.start || range.end > held.end {
            let end = range.end.max(range.start.saturating_add(Self::BLOCK_BYTES)).min(source.size());
            self.bytes = source.read_range(range.start..end).await?;
            self.start = range.start;
            if (self.bytes.len() as u64) < range.end - range.start {
                return Err(McapError::Summary { reason: "the source returned fewer bytes than asked".into() });
            }
        }
        let from = (range.start - self.start) as usize;
        Ok(self.bytes.slice(from..from + (range.end - range.start) as usize))
    }
}

struct RecordSink<'a> {
    want: &'a dyn Fn(u32) -> bool,
    messages: &'a mut Vec<RawMessage>,
    /// During a linear scan: schemas (id → name, encoding, text) and channels met.
    channels: Option<&'a mut ScanState>,
}

#[derive(Default)]
struct ScanState {
    schemas: BTreeMap<u16, (String, String, String)>,
    channels: BTreeMap<u16, (u16, String, String)>,
    /// Every message met (wanted or not): count per channel and the log-time span.
    message_counts: BTreeMap<u32, u64>,
    start_time_ns: Option<u64>,
    end_time_ns: Option<u64>,
}

struct Reader<'a> {
    bytes: &'a [u8],
    pos: usize,
    base: u64,
}

impl<'a> Reader<'a> {
    fn err(&self, reason: &str) -> McapError {
        McapError::BadRecord { offset: self.base + self.pos as u64, reason: reason.to_string() }
    }
    fn take(&mut self, n: u64) -> Result<&'a [u8], McapError> {
        let end = (self.pos as u64)
            .checked_add(n)
            .filter(|&e| e <= self.bytes.len() as u64)
            .ok_or_else(|| self.err("truncated"))?;
        let s = &self.bytes[self.pos..end as usize];
        self.pos = end as usize;
        Ok(s)
    }
    fn u16(&mut self) -> Result<u16, McapError> {
        let b = self.take(2)?;
        Ok(u16::from_le_bytes([b[0], b[1]]))
    }
    fn u32(&mut self) -> Result<u32, McapError> {
        let b = self.take(4)?;
        Ok(u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
    }
    fn u64(&mut self) -> Result<u64, McapError> {
        let b = self.take(8)?;
        let mut a = [0u8; 8];
        a.copy_from_slice(b);
        Ok(u64::from_le_bytes(a))
    }
    fn string(&mut self) -> Result<String, McapError> {
        let n = self.u32()?;
        Ok(String::from_utf8_lossy(self.take(u64::from(n))?).into_owned())
    }
}

/// Walks records in `bytes` (which start at file offset `base`), descending into chunks.
fn parse_records(bytes: &[u8], base: u64, sink: &mut RecordSink<'_>) -> Result<(), McapError> {
    let mut r = Reader { bytes, pos: 0, base };
    while r.pos < bytes.len() {
        let record_offset = base + r.pos as u64;
        let op = r.take(1)?[0];
        let len = r.u64()?;
        let body = r.take(len)?;
        let mut b = Reader { bytes: body, pos: 0, base: record_offset + 9 };
        match op {
            0x03 if sink.channels.is_some() => {
                let id = b.u16()?;
                let name = b.string()?;
                let encoding = b.string()?;
                let n = b.u32()?;
                let text = String::from_utf8_lossy(b.take(u64::from(n))?).into_owned();
                if let Some(state) = sink.channels.as_deref_mut() {
                    state.schemas.insert(id, (name, encoding, text));
                }
            }
            0x04 if sink.channels.is_some() => {
                let id = b.u16()?;
                let schema_id = b.u16()?;
                let topic = b.string()?;
                let encoding = b.string()?;
                if let Some(state) = sink.channels.as_deref_mut() {
                    state.channels.insert(id, (schema_id, topic, encoding));
                }
            }
            0x05 => {
                let channel_id = u32::from(b.u16()?);
                let _sequence = b.u32()?;
                let log_time_ns = b.u64()?;
                let publish_time_ns = b.u64()?;
                if let Some(state) = sink.channels.as_deref_mut() {
                    *state.message_counts.entry(channel_id).or_default() += 1;
                    state.start_time_ns = Some(state.start_time_ns.map_or(log_time_ns, |t| t.min(log_time_ns)));
                    state.end_time_ns = Some(state.end_time_ns.map_or(log_time_ns, |t| t.max(log_time_ns)));
                }
                if (sink.want)(channel_id) {
                    let data = Bytes::copy_from_slice(&body[b.pos..]);
                    sink.messages.push(RawMessage { channel_id, log_time_ns, publish_time_ns, data });
                }
            }
            0x06 => {
                let _start = b.u64()?;
                let _end = b.u64()?;
                let uncompressed_size = b.u64()?;
                let crc = b.u32()?;
                let compression = b.string()?;
                let compressed_size = b.u64()?;
                let data = b.take(compressed_size)?;
                if uncompressed_size > MAX_RECORD_BYTES {
                    return Err(McapError::Chunk {
                        offset: record_offset,
                        reason: format!("declares {uncompressed_size} bytes"),
                    });
                }
                let records = decompress(&compression, data, uncompressed_size, record_offset)?;
                if records.len() as u64 != uncompressed_size {
                    return Err(McapError::Chunk {
                        offset: record_offset,
                        reason: format!("holds {} bytes, its header says {uncompressed_size}", records.len()),
                    });
                }
                // CRC 0 means "not computed" (MCAP spec).
                let actual = crc32fast::hash(&records);
                if crc != 0 && actual != crc {
                    return Err(McapError::Chunk {
                        offset: record_offset,
                        reason: format!("CRC-32 of its records is {actual:#010x}, its header says {crc:#010x}"),
                    });
                }
                parse_records(&records, record_offset, sink)?;
            }
            _ => {}
        }
    }
    Ok(())
}

fn decompress(compression: &str, data: &[u8], size: u64, offset: u64) -> Result<Vec<u8>, McapError> {
    let chunk_err = |reason: String| McapError::Chunk { offset, reason };
    let mut out = Vec::with_capacity(size.min(16 << 20) as usize);
    match compression {
        "" => return Ok(data.to_vec()),
        "zstd" => {
            let decoder = ruzstd::decoding::StreamingDecoder::new(data).map_err(|e| chunk_err(e.to_string()))?;
            decoder.take(size + 1).read_to_end(&mut out).map_err(|e| chunk_err(e.to_string()))?;
        }
        "lz4" => {
            lz4_flex::frame::FrameDecoder::new(data)
                .take(size + 1)
                .read_to_end(&mut out)
                .map_err(|e| chunk_err(e.to_string()))?;
        }
        other => return Err(McapError::UnsupportedCompression { offset, compression: other.to_string() }),
    }
    if out.len() as u64 != size {
        return Err(chunk_err(format!("decompressed to {} bytes, declared {size}", out.len())));
    }
    Ok(out)
}

/// The length of the whole top-level records at the start of `bytes` (each is an opcode, a u64
/// length and that many bytes).
fn whole_records_len(bytes: &[u8]) -> usize {
    let mut pos = 0usize;
    while let Some(size) = record_size_at(bytes, pos) {
        match usize::try_from(size).ok().and_then(|n| pos.checked_add(n)) {
            Some(end) if end <= bytes.len() => pos = end,
            _ => break,
        }
    }
    pos
}

/// The size (opcode, length and body) of the record whose header starts at `pos`, when the
/// header is there.
fn record_size_at(bytes: &[u8], pos: usize) -> Option<u64> {
    let header: [u8; 8] = bytes.get(pos.checked_add(1)?..pos.checked_add(9)?)?.try_into().ok()?;
    u64::from_le_bytes(header).checked_add(9)
}

/// A linear scan reads the file in windows of this size (a larger record is read on its own).
const SCAN_WINDOW_BYTES: u64 = 8 << 20;

/// Reads the whole file record by record, window by window (files without a summary, or cut
/// short), keeping the messages of the `wanted` channels and counting all of them; calls
/// `progress(bytes_scanned, file_bytes)` after each window.
async fn scan(
    source: &dyn ByteSource,
    wanted: &dyn Fn(u32) -> bool,
    progress: &mut dyn FnMut(u64, u64),
) -> Result<(McapSummary, Vec<RawMessage>), McapError> {
    let size = source.size();
    if size < 8 || source.read_range(0..8).await?.as_ref() != MAGIC {
        return Err(McapError::BadMagic);
    }
    // Records run from after the magic up to the footer/end magic; in a file cut short (no end
    // magic), up to the last whole top-level record.
    let complete = size >= 16 && source.read_range(size - 8..size).await?.as_ref() == MAGIC;
    let body_end = if complete { size - 8 } else { size };
    let mut state = ScanState::default();
    let mut messages = Vec::new();
    let mut pos = MAGIC.len() as u64;
    while pos < body_end {
        let window = source.read_range(pos..body_end.min(pos.saturating_add(SCAN_WINDOW_BYTES))).await?;
        let whole = whole_records_len(&window);
        let mut sink = RecordSink { want: wanted, messages: &mut messages, channels: Some(&mut state) };
        if whole > 0 {
            parse_records(&window[..whole], pos, &mut sink)?;
            pos += whole as u64;
        } else {
            // The next record does not fit in a window: read it alone, if the file holds it whole.
            let record_end = record_size_at(&window, 0).and_then(|n| pos.checked_add(n)).filter(|&end| end <= body_end);
            match record_end {
                Some(end) if end - pos <= MAX_RECORD_BYTES => {
                    let record = source.read_range(pos..end).await?;
                    parse_records(&record, pos, &mut sink)?;
                    pos = end;
                }
                Some(end) => {
                    return Err(McapError::BadRecord {
                        offset: pos,
                        reason: format!("declares {} bytes (more than {MAX_RECORD_BYTES} are refused)", end - pos - 9),
                    })
                }
                None if complete => return Err(McapError::BadRecord { offset: pos, reason: "truncated".into() }),
                None => break,
            }
        }
        progress(pos, size);
    }
    let truncated_at_byte = (!complete).then_some(pos);
    let channels: Vec<RawChannel> = state
        .channels
        .iter()
        .map(|(&id, (schema_id, topic, encoding))| {
            let schema = state.schemas.get(schema_id);
            RawChannel {
                id: u32::from(id),
                topic: topic.clone(),
                message_type: schema.map(|s| s.0.clone()).unwrap_or_default(),
                message_encoding: encoding.clone(),
                schema_encoding: schema.map(|s| s.1.clone()).unwrap_or_default(),
                schema_text: schema.map(|s| s.2.clone()).unwrap_or_default(),
            }
        })
        .collect();
    let mut message_counts: BTreeMap<u32, u64> = channels.iter().map(|c| (c.id, 0)).collect();
    message_counts.extend(state.message_counts);
    let summary = McapSummary {
        channels,
        message_counts,
        start_time_ns: state.start_time_ns,
        end_time_ns: state.end_time_ns,
        chunks: Vec::new(),
        indexed: false,
        truncated_at_byte,
    };
    Ok((summary, messages))
}
