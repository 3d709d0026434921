//! A bounded MP4 (ISO-BMFF) header reader over a [`ByteSource`]: the movie and track headers a
//! checker needs (codec, size, frame count, frame rate, duration), never the media data.
//!
//! Top-level boxes are walked by reading their headers only (16 bytes each); `mdat` is skipped
//! wherever it is, and the `moov` box is read whole but only up to [`MAX_MOOV_BYTES`]. Every size and
//! count read from the file is checked against the bytes that are actually there before it is used,
//! so a hostile or truncated file yields an [`Mp4Error`], never a panic or a huge allocation.

use crate::source::{ByteSource, SourceError};

/// A `moov` box larger than this is refused (real ones are KiBs; hours of video are a few MiB).
pub const MAX_MOOV_BYTES: u64 = 64 * 1024 * 1024;
/// At most this many top-level boxes are walked (fragmented files have one `moof`+`mdat` pair per
/// fragment; LeRobot's writers produce a handful of boxes).
pub const MAX_TOP_LEVEL_BOXES: u64 = 10_000;

/// Box types a file may start with (ISO/IEC 14496-12 puts `ftyp` first; QuickTime files may start
/// with `wide`, `free`, `mdat` or `moov`).
const FIRST_BOXES: [&[u8; 4]; 8] = [b"ftyp", b"styp", b"moov", b"mdat", b"free", b"skip", b"wide", b"pdin"];

/// The video track of a file.
#[derive(Debug, Clone, PartialEq)]
pub struct VideoTrack {
    /// The first sample entry's four-character code (`av01`, `avc1`, `hvc1`, `vp09` …).
    pub codec: String,
    /// Pixels, from the visual sample entry (the track header's size when the entry has none).
    pub width: u32,
    pub height: u32,
    /// Samples in the time-to-sample table.
    pub frames: u64,
    /// Average frame rate: timescale × samples / sum of sample durations (0 when undefined).
    pub fps: f64,
    /// The media duration (`mdhd`), or the sum of sample durations when that is not set.
    pub duration_secs: f64,
}

/// What the headers of an MP4 file say.
#[derive(Debug, Clone, PartialEq)]
pub struct Mp4Info {
    /// The movie duration (`mvhd`), or the longest track's when the movie header has none.
    pub duration_secs: f64,
    /// The first track whose handler is `vide`.
    pub video: Option<VideoTrack>,
    /// Whether some track's handler is `soun`.
    pub has_audio: bool,
}

impl Mp4Info {
    /// The video track, or [`Mp4Error::NoVideoTrack`] when the file has none.
    pub fn require_video(&self, path: &str) -> Result<&VideoTrack, Mp4Error> {
        self.video.as_ref().ok_or_else(|| Mp4Error::NoVideoTrack {
            found: if self.has_audio { "only an audio track".into() } else { "no audio or video track".into() },
            path: path.to_string(),
        })
    }
}

/// Why the headers of an MP4 file could not be read.
#[derive(Debug, Clone, thiserror::Error, PartialEq, Eq)]
pub enum Mp4Error {
    #[error("not an MP4 file: expected an ISO-BMFF box such as `ftyp` at byte 0, found {found}: {path}")]
    NotMp4 { found: String, path: String },
    #[error("the `{kind}` box at byte {offset} declares {size} bytes, less than its own {header}-byte header: {path}")]
    BoxTooSmall { kind: String, offset: u64, size: u64, header: u64, path: String },
    #[error(
        "the file is truncated: the `{kind}` box at byte {offset} declares {size} bytes, but only {available} \
         bytes are left in the file: {path}"
    )]
    Truncated { kind: String, offset: u64, size: u64, available: u64, path: String },
    #[error("the file is truncated: it ends {available} bytes into the box header at byte {offset}: {path}")]
    TruncatedHeader { offset: u64, available: u64, path: String },
    #[error("the `{kind}` box is {size} bytes, more than the {limit}-byte limit: {path}")]
    BoxTooLarge { kind: String, size: u64, limit: u64, path: String },
    #[error("malformed `{kind}` box: {reason}: {path}")]
    Malformed { kind: String, reason: String, path: String },
    #[error("the video track has no `{kind}` box in its `{parent}` box: {path}")]
    MissingBox { kind: String, parent: String, path: String },
    #[error("no `moov` box (the movie header with the track tables) among the file's {boxes} top-level boxes: {path}")]
    NoMovie { boxes: u64, path: String },
    #[error("no `moov` box among the first {limit} top-level boxes: {path}")]
    TooManyBoxes { limit: u64, path: String },
    #[error("no video track (found {found}): {path}")]
    NoVideoTrack { found: String, path: String },
    #[error("{source}: {path}")]
    Source { source: SourceError, path: String },
}

/// A four-character code as text: printable ASCII as is, other bytes as `\xNN`.
pub fn fourcc_text(code: &[u8]) -> String {
    code.iter()
        .map(|&b| if b.is_ascii_graphic() || b == b' ' { char::from(b).to_string() } else { format!("\\x{b:02x}") })
        .collect()
}

/// What the first bytes of a non-MP4 file look like, for an error message.
fn describe_start(head: &[u8], file_size: u64) -> String {
    if file_size == 0 {
        return "an empty file".to_string();
    }
    let shown = &head[..head.len().min(16)];
    let more = if (shown.len() as u64) < file_size { "…" } else { "" };
    if shown.iter().all(|&b| b.is_ascii_graphic() || b.is_ascii_whitespace()) {
        let text: String = shown.iter().map(|&b| char::from(b)).collect();
        format!("text {text:?}{more} ({file_size} bytes)")
    } else {
        let hex: Vec<String> = shown.iter().map(|b| format!("{b:02x}")).collect();
        format!("bytes {}{more} ({file_size} bytes)", hex.join(" "))
    }
}

fn be_u32(bytes: &[u8]) -> u32 {
    let mut out = [0u8; 4];
    out.copy_from_slice(&bytes[..4]);
    u32::from_be_bytes(out)
}

fn be_u64(bytes: &[u8]) -> u64 {
    let mut out = [0u8; 8];
    out.copy_from_slice(&bytes[..8]);
    u64::from_be_bytes(out)
}

/// Reads the headers of the MP4 file in `source`. `path` only names the file in errors.
pub async fn read_mp4_info(source: &dyn ByteSource, path: &str) -> Result<Mp4Info, Mp4Error> {
    let file_size = source.size();
    let read_err = |source: SourceError| Mp4Error::Source { source, path: path.to_string() };
    let mut offset = 0u64;
    let mut boxes = 0u64;
    let mut moov: Option<bytes::Bytes> = None;
    if file_size == 0 {
        return Err(Mp4Error::NotMp4 { found: describe_start(&[], 0), path: path.to_string() });
    }
    while offset < file_size {
        if boxes == MAX_TOP_LEVEL_BOXES {
            if moov.is_some() {
                break;
            }
            return Err(Mp4Error::TooManyBoxes { limit: MAX_TOP_LEVEL_BOXES, path: path.to_string() });
        }
        boxes += 1;
        let available = file_size - offset;
        let head = source.read_range(offset..offset + available.min(16)).await.map_err(read_err)?;
        if offset == 0 {
            let plausible = head.len() >= 8 && FIRST_BOXES.iter().any(|k| &head[4..8] == k.as_slice());
            if !plausible {
                return Err(Mp4Error::NotMp4 { found: describe_start(&head, file_size), path: path.to_string() });
            }
        }
        if head.len() < 8 {
            return Err(Mp4Error::TruncatedHeader { offset, available, path: path.to_string() });
        }
        let kind = fourcc_text(&head[4..8]);
        let (header, size) = match be_u32(&head) {
            0 => (8, available),
            1 if head.len() < 16 => {
                return Err(Mp4Error::TruncatedHeader { offset, available, path: path.to_string() });
            }
            1 => (16, be_u64(&head[8..16])),
            n => (8, u64::from(n)),
        };
        if size < header {
            return Err(Mp4Error::BoxTooSmall { kind, offset, size, header, path: path.to_string() });
        }
        if size > available {
            return Err(Mp4Error::Truncated { kind, offset, size, available, path: path.to_string() });
        }
        if &head[4..8] == b"moov" && moov.is_none() {
            if size > MAX_MOOV_BYTES {
                return Err(Mp4Error::BoxTooLarge { kind, size, limit: MAX_MOOV_BYTES, path: path.to_string() });
            }
            moov = Some(source.read_range(offset + header..offset + size).await.map_err(read_err)?);
        }
        offset += size;
    }
    let Some(moov) = moov else { return Err(Mp4Error::NoMovie { boxes, path: path.to_string() }) };
    parse_moov(&moov).map_err(|fault| fault.with_path(path))
}

/// A defect inside `moov`, before the path is attached.
enum Fault {
    Malformed { kind: String, reason: String },
    Missing { kind: &'static str, parent: &'static str },
}

impl Fault {
    fn malformed(kind: &str, reason: impl Into<String>) -> Self {
        Fault::Malformed { kind: kind.to_string(), reason: reason.into() }
    }

    fn with_path(self, path: &str) -> Mp4Error {
        match self {
            Fault::Malformed { kind, reason } => Mp4Error::Malformed { kind, reason, path: path.to_string() },
            Fault::Missing { kind, parent } => {
                Mp4Error::MissingBox { kind: kind.to_string(), parent: parent.to_string(), path: path.to_string() }
            }
        }
    }
}

/// The child boxes of a container's body: `(type, body)` pairs, each checked to fit its parent.
struct Children<'a> {
    data: &'a [u8],
    pos: usize,
    parent: &'static str,
}

fn children<'a>(data: &'a [u8], parent: &'static str) -> Children<'a> {
    Children { data, pos: 0, parent }
}

impl<'a> Iterator for Children<'a> {
    type Item = Result<([u8; 4], &'a [u8]), Fault>;

    fn next(&mut self) -> Option<Self::Item> {
        let rest = &self.data[self.pos..];
        // Fewer than 8 bytes cannot hold a box: QuickTime ends some lists with a 4-byte 0 terminator.
        if rest.len() < 8 {
            self.pos = self.data.len();
            return None;
        }
        let mut kind = [0u8; 4];
        kind.copy_from_slice(&rest[4..8]);
        let left = rest.len() as u64;
        let (header, size) = match be_u32(rest) {
            0 => (8u64, left),
            1 if rest.len() < 16 => {
                self.pos = self.data.len();
                return Some(Err(Fault::malformed(&fourcc_text(&kind), "its 64-bit size is cut off")));
            }
            1 => (16, be_u64(&rest[8..16])),
            n => (8, u64::from(n)),
        };
        if size < header || size > left {
            self.pos = self.data.len();
            let reason = if size < header {
                format!("declares {size} bytes, less than its own {header}-byte header")
            } else {
                format!("declares {size} bytes, but only {left} are left in its `{}` box", self.parent)
            };
            return Some(Err(Fault::malformed(&fourcc_text(&kind), reason)));
        }
        // Both fit in `rest`, whose length is a usize.
        let (header, size) = (header as usize, size as usize);
        self.pos += size;
        Some(Ok((kind, &rest[header..size])))
    }
}

/// The first child of type `kind`, if any.
fn child<'a>(data: &'a [u8], parent: &'static str, kind: &[u8; 4]) -> Result<Option<&'a [u8]>, Fault> {
    for item in children(data, parent) {
        let (k, body) = item?;
        if &k == kind {
            return Ok(Some(body));
        }
    }
    Ok(None)
}

/// A cursor over a box body whose reads fail (instead of panicking) past the end.
struct Fields<'a> {
    data: &'a [u8],
    pos: usize,
    kind: &'static str,
}

impl<'a> Fields<'a> {
    fn new(data: &'a [u8], kind: &'static str) -> Self {
        Fields { data, pos: 0, kind }
    }

    fn take(&mut self, n: usize) -> Result<&'a [u8], Fault> {
        let end = self.pos.checked_add(n).filter(|&end| end <= self.data.len()).ok_or_else(|| {
            Fault::malformed(
                self.kind,
                format!("it is {} bytes, too short for its fields (needs at least {})", self.data.len(), self.pos + n),
            )
        })?;
        let out = &self.data[self.pos..end];
        self.pos = end;
        Ok(out)
    }

    fn u8(&mut self) -> Result<u8, Fault> {
        Ok(self.take(1)?[0])
    }
    fn u16(&mut self) -> Result<u16, Fault> {
        let b = self.take(2)?;
        Ok(u16::from_be_bytes([b[0], b[1]]))
    }
    fn u32(&mut self) -> Result<u32, Fault> {
        Ok(be_u32(self.take(4)?))
    }
    fn u64(&mut self) -> Result<u64, Fault> {
        Ok(be_u64(self.take(8)?))
    }
    fn skip(&mut self, n: usize) -> Result<(), Fault> {
        self.take(n).map(|_| ())
    }
    /// A full box's version (its flags are skipped).
    fn version(&mut self) -> Result<u8, Fault> {
        let version = self.u8()?;
        self.skip(3)?;
        Ok(version)
    }
}

/// `mvhd` and `mdhd` share their first fields: (timescale, duration). A duration of all ones means
/// "unknown" and becomes 0.
fn parse_time_header(body: &[u8], kind: &'static str) -> Result<(u32, u64), Fault> {
    let mut f = Fields::new(body, kind);
    let (timescale, duration) = match f.version()? {
        0 => {
            f.skip(8)?;
            let timescale = f.u32()?;
            let duration = f.u32()?;
            (timescale, if duration == u32::MAX { 0 } else { u64::from(duration) })
        }
        1 => {
            f.skip(16)?;
            let timescale = f.u32()?;
            let duration = f.u64()?;
            (timescale, if duration == u64::MAX { 0 } else { duration })
        }
        v => return Err(Fault::malformed(kind, format!("unknown version {v}"))),
    };
    if timescale == 0 {
        return Err(Fault::malformed(kind, "its timescale is 0"));
    }
    Ok((timescale, duration))
}

/// `tkhd`: width and height (16.16 fixed point, integer part).
fn parse_tkhd(body: &[u8]) -> Result<(u32, u32), Fault> {
    let mut f = Fields::new(body, "tkhd");
    match f.version()? {
        0 => f.skip(20)?,
        1 => f.skip(32)?,
        v => return Err(Fault::malformed("tkhd", format!("unknown version {v}"))),
    }
    // reserved 8, layer 2, alternate group 2, volume 2, reserved 2, matrix 36.
    f.skip(52)?;
    Ok((f.u32()? >> 16, f.u32()? >> 16))
}

fn parse_hdlr(body: &[u8]) -> Result<[u8; 4], Fault> {
    let mut f = Fields::new(body, "hdlr");
    f.version()?;
    f.skip(4)?;
    let mut handler = [0u8; 4];
    handler.copy_from_slice(f.take(4)?);
    Ok(handler)
}

/// The first sample entry of a track.
#[derive(Clone, Copy)]
struct SampleEntry {
    codec: [u8; 4],
    /// Width and height of a visual sample entry.
    size: Option<(u32, u32)>,
}

/// `stsd`: the first sample entry's type and, for a visual entry, its width and height.
fn parse_stsd(body: &[u8], visual: bool) -> Result<SampleEntry, Fault> {
    let mut f = Fields::new(body, "stsd");
    f.version()?;
    let count = f.u32()?;
    if count == 0 {
        return Err(Fault::malformed("stsd", "it has no sample entry"));
    }
    let entries = &body[f.pos..];
    let Some(first) = children(entries, "stsd").next() else {
        return Err(Fault::malformed("stsd", format!("it declares {count} sample entries but holds none")));
    };
    let (kind, entry) = first?;
    if !visual {
        return Ok(SampleEntry { codec: kind, size: None });
    }
    // SampleEntry: reserved 6, data_reference_index 2; VisualSampleEntry: pre_defined 2,
    // reserved 2, pre_defined 12, then width and height.
    let entry_kind: &'static str = "visual sample entry";
    let mut e = Fields::new(entry, entry_kind);
    e.skip(24)?;
    let width = e.u16()?;
    let height = e.u16()?;
    Ok(SampleEntry { codec: kind, size: Some((u32::from(width), u32::from(height))) })
}

/// `stts`: (total samples, sum of sample durations). Entries are counted, never collected, and the
/// declared entry count must fit in the box.
fn parse_stts(body: &[u8]) -> Result<(u64, u128), Fault> {
    let mut f = Fields::new(body, "stts");
    f.version()?;
    let count = f.u32()?;
    let room = (body.len() - f.pos) / 8;
    if count as usize > room {
        return Err(Fault::malformed("stts", format!("it declares {count} entries, but has room for {room}")));
    }
    let mut samples = 0u64;
    let mut ticks = 0u128;
    for _ in 0..count {
        let n = f.u32()?;
        let delta = f.u32()?;
        samples += u64::from(n);
        ticks += u128::from(n) * u128::from(delta);
    }
    Ok((samples, ticks))
}

/// What one `trak` holds.
struct Track {
    handler: Option<[u8; 4]>,
    /// (timescale, duration) of the media header.
    media: Option<(u32, u64)>,
    header_size: Option<(u32, u32)>,
    entry: Option<SampleEntry>,
    stts: Option<(u64, u128)>,
}

fn parse_trak(body: &[u8]) -> Result<Track, Fault> {
    let mut track = Track { handler: None, media: None, header_size: None, entry: None, stts: None };
    if let Some(tkhd) = child(body, "trak", b"tkhd")? {
        track.header_size = Some(parse_tkhd(tkhd)?);
    }
    let Some(mdia) = child(body, "trak", b"mdia")? else { return Ok(track) };
    if let Some(mdhd) = child(mdia, "mdia", b"mdhd")? {
        track.media = Some(parse_time_header(mdhd, "mdhd")?);
    }
    if let Some(hdlr) = child(mdia, "mdia", b"hdlr")? {
        track.handler = Some(parse_hdlr(hdlr)?);
    }
    let Some(minf) = child(mdia, "mdia", b"minf")? else { return Ok(track) };
    let Some(stbl) = child(minf, "minf", b"stbl")? else { return Ok(track) };
    if let Some(stsd) = child(stbl, "stbl", b"stsd")? {
        track.entry = Some(parse_stsd(stsd, track.handler == Some(*b"vide"))?);
    }
    if let Some(stts) = child(stbl, "stbl", b"stts")? {
        track.stts = Some(parse_stts(stts)?);
    }
    Ok(track)
}

fn video_track(track: &Track) -> Result<VideoTrack, Fault> {
    let (timescale, duration) = track.media.ok_or(Fault::Missing { kind: "mdhd", parent: "mdia" })?;
    let SampleEntry { codec, size: entry_size } = track.entry.ok_or(Fault::Missing { kind: "stsd", parent: "stbl" })?;
    let (frames, ticks) = track.stts.ok_or(Fault::Missing { kind: "stts", parent: "stbl" })?;
    let (width, height) = match (entry_size, track.header_size) {
        (Some((w, h)), _) if w > 0 && h > 0 => (w, h),
        (_, Some(size)) => size,
        (Some(size), None) => size,
        (None, None) => (0, 0),
    };
    let timescale = f64::from(timescale);
    let fps = if ticks > 0 { timescale * frames as f64 / ticks as f64 } else { 0.0 };
    let duration_secs = if duration > 0 { duration as f64 / timescale } else { ticks as f64 / timescale };
    Ok(VideoTrack { codec: fourcc_text(&codec), width, height, frames, fps, duration_secs })
}

fn parse_moov(moov: &[u8]) -> Result<Mp4Info, Fault> {
    let mut movie_duration = None;
    let mut video = None;
    let mut has_audio = false;
    let mut longest_track = 0.0f64;
    for item in children(moov, "moov") {
        let (kind, body) = item?;
        match &kind {
            b"mvhd" => {
                let (timescale, duration) = parse_time_header(body, "mvhd")?;
                movie_duration = Some(duration as f64 / f64::from(timescale));
            }
            b"trak" => {
                let track = parse_trak(body)?;
                if let Some((timescale, duration)) = track.media {
                    longest_track = longest_track.max(duration as f64 / f64::from(timescale));
                }
                match track.handler.as_ref() {
                    Some(b"vide") if video.is_none() => video = Some(video_track(&track)?),
                    Some(b"soun") => has_audio = true,
                    _ => {}
                }
            }
            _ => {}
        }
    }
    let duration_secs = movie_duration.filter(|d| *d > 0.0).unwrap_or(longest_track);
    Ok(Mp4Info { duration_secs, video, has_audio })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::{LocalBoxFuture, MemorySource};
    use crate::tree::DatasetTree;
    use bytes::Bytes;
    use std::ops::Range;

    // --- a small box writer ---

    fn bx(kind: &[u8; 4], body: &[u8]) -> Vec<u8> {
        let mut out = ((body.len() + 8) as u32).to_be_bytes().to_vec();
        out.extend_from_slice(kind);
        out.extend_from_slice(body);
        out
    }

    /// A box with a 64-bit `largesize`.
    fn bx64(kind: &[u8; 4], body: &[u8]) -> Vec<u8> {
        let mut out = 1u32.to_be_bytes().to_vec();
        out.extend_from_slice(kind);
        out.extend_from_slice(&((body.len() + 16) as u64).to_be_bytes());
        out.extend_from_slice(body);
        out
    }

    fn full(kind: &[u8; 4], version: u8, fields: &[u8]) -> Vec<u8> {
        let mut body = vec![version, 0, 0, 0];
        body.extend_from_slice(fields);
        bx(kind, &body)
    }

    fn cat(parts: &[Vec<u8>]) -> Vec<u8> {
        parts.concat()
    }

    fn time_header(kind: &[u8; 4], version: u8, timescale: u32, duration: u64) -> Vec<u8> {
        let mut f = Vec::new();
        if version == 0 {
            f.extend_from_slice(&[0; 8]);
            f.extend_from_slice(&timescale.to_be_bytes());
            f.extend_from_slice(&(duration as u32).to_be_bytes());
        } else {
            f.extend_from_slice(&[0; 16]);
            f.extend_from_slice(&timescale.to_be_bytes());
            f.extend_from_slice(&duration.to_be_bytes());
        }
        f.extend_from_slice(&[0; 20]); // language, rate, volume … (unused)
        full(kind, version, &f)
    }

    fn tkhd(version: u8, width: u32, height: u32) -> Vec<u8> {
        let mut f = vec![0; if version == 0 { 20 } else { 32 } + 52];
        f.extend_from_slice(&(width << 16).to_be_bytes());
        f.extend_from_slice(&(height << 16).to_be_bytes());
        full(b"tkhd", version, &f)
    }

    fn hdlr(handler: &[u8; 4]) -> Vec<u8> {
        let mut f = vec![0; 4];
        f.extend_from_slice(handler);
        f.extend_from_slice(&[0; 13]);
        full(b"hdlr", 0, &f)
    }

    fn stsd(codec: &[u8; 4], width: u16, height: u16) -> Vec<u8> {
        let mut entry = vec![0; 6];
        entry.extend_from_slice(&1u16.to_be_bytes());
        entry.extend_from_slice(&[0; 16]);
        entry.extend_from_slice(&width.to_be_bytes());
        entry.extend_from_slice(&height.to_be_bytes());
        entry.extend_from_slice(&[0; 50]);
        let mut f = 1u32.to_be_bytes().to_vec();
        f.extend_from_slice(&bx(codec, &entry));
        full(b"stsd", 0, &f)
    }

    fn stts_declaring(count: u32, entries: &[(u32, u32)]) -> Vec<u8> {
        let mut f = count.to_be_bytes().to_vec();
        for (n, delta) in entries {
            f.extend_from_slice(&n.to_be_bytes());
            f.extend_from_slice(&delta.to_be_bytes());
        }
        full(b"stts", 0, &f)
    }

    fn stts(entries: &[(u32, u32)]) -> Vec<u8> {
        stts_declaring(entries.len() as u32, entries)
    }

    fn trak(handler: &[u8; 4], codec: &[u8; 4], size: (u16, u16), timescale: u32, stts: Vec<u8>) -> Vec<u8> {
        let stbl = bx(b"stbl", &cat(&[stsd(codec, size.0, size.1), stts]));
        let minf = bx(b"minf", &stbl);
        let mdia = bx(b"mdia", &cat(&[time_header(b"mdhd", 0, timescale, 0), hdlr(handler), minf]));
        bx(b"trak", &cat(&[tkhd(0, u32::from(size.0), u32::from(size.1)), mdia]))
    }

    /// A 640x480 H.264 track of 120 frames at 30 fps (timescale 15360, 512 ticks per frame).
    fn video_trak() -> Vec<u8> {
        trak(b"vide", b"avc1", (640, 480), 15360, stts(&[(120, 512)]))
    }

    fn moov(tracks: &[Vec<u8>]) -> Vec<u8> {
        let mut body = time_header(b"mvhd", 0, 1000, 4000);
        for t in tracks {
            body.extend_from_slice(t);
        }
        bx(b"moov", &body)
    }

    fn ftyp() -> Vec<u8> {
        bx(b"ftyp", b"isom\0\0\x02\0isomavc1")
    }

    fn read(bytes: Vec<u8>) -> Result<Mp4Info, Mp4Error> {
        pollster::block_on(read_mp4_info(&MemorySource::new(bytes), "v.mp4"))
    }

    fn expected_video() -> VideoTrack {
        VideoTrack { codec: "avc1".into(), width: 640, height: 480, frames: 120, fps: 30.0, duration_secs: 4.0 }
    }

    #[test]
    fn moov_before_mdat() {
        let info = read(cat(&[ftyp(), moov(&[video_trak()]), bx(b"mdat", &[7; 1000])])).unwrap();
        assert_eq!(info, Mp4Info { duration_secs: 4.0, video: Some(expected_video()), has_audio: false });
    }

    #[test]
    fn moov_after_mdat_is_found_without_reading_mdat() {
        let bytes = cat(&[ftyp(), bx(b"free", &[]), bx(b"mdat", &[7; 100_000]), moov(&[video_trak()])]);
        let moov_len = moov(&[video_trak()]).len() as u64;
        let tree = DatasetTree::from_memory([("v.mp4", Bytes::from(bytes))]).unwrap();
        let source = tree.get("v.mp4").unwrap().source.clone();
        let info = pollster::block_on(read_mp4_info(source.as_ref(), "v.mp4")).unwrap();
        assert_eq!(info.video, Some(expected_video()));
        // Four 16-byte header reads and the moov body, nothing of mdat.
        assert_eq!(tree.io().requests(), 5);
        assert!(tree.io().bytes_read() <= 4 * 16 + moov_len, "read {} bytes", tree.io().bytes_read());
    }

    #[test]
    fn sixty_four_bit_box_sizes_and_size_zero() {
        let moov64 = bx64(b"moov", &moov(&[video_trak()])[8..]);
        let info = read(cat(&[ftyp(), bx64(b"mdat", &[1; 300]), moov64.clone()])).unwrap();
        assert_eq!(info.video, Some(expected_video()));
        // size 0: the last box runs to the end of the file.
        let mut mdat_to_end = bx(b"mdat", &[1; 300]);
        mdat_to_end[..4].copy_from_slice(&0u32.to_be_bytes());
        let info = read(cat(&[ftyp(), moov64, mdat_to_end])).unwrap();
        assert_eq!(info.video, Some(expected_video()));
    }

    #[test]
    fn version_1_headers() {
        let stbl = bx(b"stbl", &cat(&[stsd(b"av01", 128, 96), stts(&[(60, 1000), (30, 2000)])]));
        let mdia = bx(b"mdia", &cat(&[time_header(b"mdhd", 1, 30_000, 120_000), hdlr(b"vide"), bx(b"minf", &stbl)]));
        let trak = bx(b"trak", &cat(&[tkhd(1, 128, 96), mdia]));
        let movie = bx(b"moov", &cat(&[time_header(b"mvhd", 1, 600, 2400), trak]));
        let info = read(cat(&[ftyp(), movie])).unwrap();
        assert_eq!(info.duration_secs, 4.0);
        let video = info.video.unwrap();
        assert_eq!((video.codec.as_str(), video.width, video.height, video.frames), ("av01", 128, 96, 90));
        assert_eq!(video.duration_secs, 4.0);
        assert_eq!(video.fps, 30_000.0 * 90.0 / 120_000.0);
    }

    #[test]
    fn truncated_files() {
        // Cut inside a trailing moov.
        let mut bytes = cat(&[ftyp(), bx(b"mdat", &[0; 500]), moov(&[video_trak()])]);
        let moov_at = bytes.len() - moov(&[video_trak()]).len();
        bytes.truncate(bytes.len() - 100);
        let err = read(bytes).unwrap_err();
        assert!(
            matches!(&err, Mp4Error::Truncated { kind, offset, .. } if kind == "moov" && *offset == moov_at as u64)
        );
        // Cut inside a trailing mdat.
        let mut bytes = cat(&[ftyp(), moov(&[video_trak()]), bx(b"mdat", &[0; 500])]);
        bytes.truncate(bytes.len() - 1);
        let err = read(bytes).unwrap_err();
        assert!(matches!(&err, Mp4Error::Truncated { kind, size: 508, available: 507, .. } if kind == "mdat"));
        assert!(err.to_string().ends_with("declares 508 bytes, but only 507 bytes are left in the file: v.mp4"));
        // Cut inside a box header.
        let mut bytes = cat(&[ftyp(), moov(&[video_trak()]), bx(b"mdat", &[0; 500])]);
        bytes.truncate(bytes.len() - 505);
        assert!(matches!(read(bytes).unwrap_err(), Mp4Error::TruncatedHeader { available: 3, .. }));
    }

    #[test]
    fn box_sizes_that_run_past_their_end_or_undercut_their_header() {
        // A top-level box declaring more bytes than the file has.
        let mut free = bx(b"free", &[0; 16]);
        free[..4].copy_from_slice(&1_000_000u32.to_be_bytes());
        let err = read(cat(&[ftyp(), moov(&[video_trak()]), free])).unwrap_err();
        assert!(matches!(&err, Mp4Error::Truncated { kind, size: 1_000_000, available: 24, .. } if kind == "free"));
        // A 64-bit size near u64::MAX must not overflow.
        let mut huge = bx64(b"mdat", &[0; 8]);
        huge[8..16].copy_from_slice(&u64::MAX.to_be_bytes());
        assert!(matches!(read(cat(&[ftyp(), huge])).unwrap_err(), Mp4Error::Truncated { size: u64::MAX, .. }));
        // A child box running past its parent.
        let mut bad_stts = stts(&[(120, 512)]);
        bad_stts[..4].copy_from_slice(&4096u32.to_be_bytes());
        let track = trak(b"vide", b"avc1", (640, 480), 15360, bad_stts);
        let err = read(cat(&[ftyp(), moov(&[track])])).unwrap_err();
        assert_eq!(
            err,
            Mp4Error::Malformed {
                kind: "stts".into(),
                reason: "declares 4096 bytes, but only 24 are left in its `stbl` box".into(),
                path: "v.mp4".into()
            }
        );
        // A size smaller than the header.
        let mut tiny = bx(b"free", &[]);
        tiny[..4].copy_from_slice(&4u32.to_be_bytes());
        assert!(matches!(
            read(cat(&[ftyp(), tiny])).unwrap_err(),
            Mp4Error::BoxTooSmall { size: 4, header: 8, offset: 24, .. }
        ));
    }

    #[test]
    fn a_huge_declared_stts_entry_count_is_refused_without_allocating() {
        let track = trak(b"vide", b"avc1", (640, 480), 15360, stts_declaring(u32::MAX, &[(120, 512)]));
        let err = read(cat(&[ftyp(), moov(&[track])])).unwrap_err();
        assert_eq!(err.to_string(), "malformed `stts` box: it declares 4294967295 entries, but has room for 1: v.mp4");
    }

    #[test]
    fn no_video_track() {
        let audio = trak(b"soun", b"mp4a", (0, 0), 48_000, stts(&[(100, 1024)]));
        let info = read(cat(&[ftyp(), moov(&[audio]), bx(b"mdat", &[])])).unwrap();
        assert_eq!(info.video, None);
        assert!(info.has_audio);
        assert_eq!(
            info.require_video("a.mp4").unwrap_err().to_string(),
            "no video track (found only an audio track): a.mp4"
        );
        let err = read(cat(&[ftyp(), bx(b"mdat", &[0; 10])])).unwrap_err();
        assert_eq!(err, Mp4Error::NoMovie { boxes: 2, path: "v.mp4".into() });
    }

    #[test]
    fn video_track_without_a_sample_table() {
        let mdia = bx(b"mdia", &cat(&[time_header(b"mdhd", 0, 15360, 0), hdlr(b"vide")]));
        let err = read(cat(&[ftyp(), moov(&[bx(b"trak", &mdia)])])).unwrap_err();
        assert_eq!(err.to_string(), "the video track has no `stsd` box in its `stbl` box: v.mp4");
    }

    #[test]
    fn not_mp4_files() {
        let err = read(b"version https://git-lfs.github.com/spec/v1\noid sha256:abc\n".to_vec()).unwrap_err();
        assert_eq!(
            err.to_string(),
            "not an MP4 file: expected an ISO-BMFF box such as `ftyp` at byte 0, found text \"version https://\"… \
             (58 bytes): v.mp4"
        );
        assert!(matches!(read(Vec::new()).unwrap_err(), Mp4Error::NotMp4 { found, .. } if found == "an empty file"));
        let err = read(vec![0x1a, 0x45, 0xdf, 0xa3, 0, 0, 0, 0, 0]).unwrap_err();
        assert!(matches!(err, Mp4Error::NotMp4 { found, .. } if found == "bytes 1a 45 df a3 00 00 00 00 00 (9 bytes)"));
    }

    #[test]
    fn every_prefix_and_byte_corruption_returns_without_panicking() {
        let audio = trak(b"soun", b"mp4a", (0, 0), 48_000, stts(&[(100, 1024)]));
        let head = cat(&[ftyp(), moov(&[audio, video_trak()])]);
        let bytes = cat(&[head.clone(), bx(b"mdat", &[0; 64])]);
        for len in 0..bytes.len() {
            // Cut exactly after `moov`, the file is well-formed (it just has no media data).
            assert_eq!(read(bytes[..len].to_vec()).is_ok(), len == head.len(), "prefix of {len} bytes");
        }
        for at in 0..bytes.len() {
            for value in [0x00, 0x01, 0x7f, 0xff] {
                let mut corrupt = bytes.clone();
                corrupt[at] = value;
                let _ = read(corrupt);
            }
        }
    }

    /// Declares a huge size but serves only its first bytes (nothing else may be read).
    struct Sparse {
        head: Vec<u8>,
        size: u64,
    }

    impl ByteSource for Sparse {
        fn size(&self) -> u64 {
            self.size
        }
        fn read_range(&self, range: Range<u64>) -> LocalBoxFuture<'_, Result<Bytes, SourceError>> {
            let result = if range.end <= self.head.len() as u64 {
                Ok(Bytes::copy_from_slice(&self.head[range.start as usize..range.end as usize]))
            } else {
                Err(SourceError::Io { reason: format!("test source: unexpected read {range:?}") })
            };
            Box::pin(std::future::ready(result))
        }
    }

    #[test]
    fn a_moov_over_the_limit_is_refused_unread() {
        let mut head = ftyp();
        let moov_size = MAX_MOOV_BYTES + 9;
        head.extend_from_slice(&(moov_size as u32).to_be_bytes());
        head.extend_from_slice(b"moov");
        head.extend_from_slice(&[0; 8]);
        let source = Sparse { head, size: 32 + moov_size };
        let err = pollster::block_on(read_mp4_info(&source, "big.mp4")).unwrap_err();
        assert_eq!(
            err,
            Mp4Error::BoxTooLarge {
                kind: "moov".into(),
                size: moov_size,
                limit: MAX_MOOV_BYTES,
                path: "big.mp4".into()
            }
        );
    }

    #[cfg(feature = "native")]
    mod real_files {
        use super::*;
        use crate::source::NativeFileSource;
        use std::path::PathBuf;

        fn shared(rel: &str) -> PathBuf {
            let dir = match std::env::var_os("EPISCOPE_SHARED_DATASETS") {
                Some(dir) => PathBuf::from(dir),
                None => PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/datasets"),
            };
            let path = dir.join(rel);
            assert!(path.is_file(), "shared example dataset file missing: {}", path.display());
            path
        }

        fn read_file(rel: &str) -> Mp4Info {
            let source = NativeFileSource::open(&shared(rel)).unwrap();
            pollster::block_on(read_mp4_info(&source, rel)).unwrap()
        }

        // Figures checked independently by walking the boxes with a Python script: AV1, 128x96,
        // timescale 15360, 512 ticks per frame (moov after mdat in v2.1, before it in v3.0).
        #[test]
        fn v21_episode_file() {
            let info = read_file("v21_so101_video/videos/chunk-000/observation.images.front/episode_000000.mp4");
            let expected =
                VideoTrack { codec: "av01".into(), width: 128, height: 96, frames: 120, fps: 30.0, duration_secs: 4.0 };
            assert_eq!(info, Mp4Info { duration_secs: 4.0, video: Some(expected), has_audio: false });
        }

        #[test]
        fn v30_concatenated_file() {
            let info = read_file("v30_so101_video/videos/observation.images.front/chunk-000/file-000.mp4");
            let expected = VideoTrack {
                codec: "av01".into(),
                width: 128,
                height: 96,
                frames: 990,
                fps: 30.0,
                duration_secs: 33.0,
            };
            assert_eq!(info, Mp4Info { duration_secs: 33.0, video: Some(expected), has_audio: false });
        }
    }
}
