//! The bag's record layer: `<header_len u32><header><data_len u32><data>`, headers being a list of
//! `<field_len u32>name=value` fields. Everything here works on bytes already in memory and never
//! indexes past them: a length that does not fit is an error, not a panic.

use std::ops::Range;

/// Record opcodes (the `op` header field).
pub(super) const OP_MSG_DATA: u8 = 0x02;
pub(super) const OP_BAG_HEADER: u8 = 0x03;
pub(super) const OP_CHUNK: u8 = 0x05;
pub(super) const OP_CHUNK_INFO: u8 = 0x06;
pub(super) const OP_CONNECTION: u8 = 0x07;

/// Reads a little-endian u32 at `pos`, `None` when fewer than 4 bytes are left.
pub(super) fn le_u32(buf: &[u8], pos: usize) -> Option<u32> {
    let bytes: [u8; 4] = buf.get(pos..pos.checked_add(4)?)?.try_into().ok()?;
    Some(u32::from_le_bytes(bytes))
}

/// The parsed fields of one record header (or of a connection record's data, which has the same
/// layout). Holds slices of the header bytes; at most `len / 4` fields.
pub(super) struct Fields<'a> {
    fields: Vec<(&'a [u8], &'a [u8])>,
}

impl<'a> Fields<'a> {
    pub(super) fn parse(header: &'a [u8]) -> Result<Self, String> {
        let mut fields = Vec::new();
        let mut pos = 0usize;
        while pos < header.len() {
            let len = le_u32(header, pos)
                .ok_or_else(|| format!("header field length cut off at byte {pos} of the header"))?
                as usize;
            let body = header
                .get(pos + 4..)
                .and_then(|rest| rest.get(..len))
                .ok_or_else(|| format!("header field of {len} bytes at byte {pos} runs past the header"))?;
            let eq =
                body.iter().position(|&b| b == b'=').ok_or_else(|| format!("header field at byte {pos} has no '='"))?;
            fields.push((&body[..eq], &body[eq + 1..]));
            pos += 4 + len;
        }
        Ok(Self { fields })
    }

    /// The value of field `name` (the first one if repeated).
    pub(super) fn get(&self, name: &str) -> Option<&'a [u8]> {
        self.fields.iter().find(|(n, _)| *n == name.as_bytes()).map(|(_, v)| *v)
    }

    fn required(&self, name: &str) -> Result<&'a [u8], String> {
        self.get(name).ok_or_else(|| format!("header has no `{name}` field"))
    }

    fn fixed<const N: usize>(&self, name: &str) -> Result<[u8; N], String> {
        let value = self.required(name)?;
        value.try_into().map_err(|_| format!("`{name}` field has {} bytes, expected {N}", value.len()))
    }

    pub(super) fn op(&self) -> Result<u8, String> {
        Ok(self.fixed::<1>("op")?[0])
    }

    pub(super) fn u32(&self, name: &str) -> Result<u32, String> {
        self.fixed::<4>(name).map(u32::from_le_bytes)
    }

    pub(super) fn u64(&self, name: &str) -> Result<u64, String> {
        self.fixed::<8>(name).map(u64::from_le_bytes)
    }

    /// A ROS time (`sec u32, nsec u32`) in nanoseconds. Cannot overflow: at most ~4.3e18.
    pub(super) fn time_ns(&self, name: &str) -> Result<u64, String> {
        let bytes = self.fixed::<8>(name)?;
        let sec = u32::from_le_bytes([bytes[0], bytes[1], bytes[2], bytes[3]]);
        let nsec = u32::from_le_bytes([bytes[4], bytes[5], bytes[6], bytes[7]]);
        Ok(u64::from(sec) * 1_000_000_000 + u64::from(nsec))
    }

    pub(super) fn string(&self, name: &str) -> Result<String, String> {
        self.required(name).map(|v| String::from_utf8_lossy(v).into_owned())
    }

    pub(super) fn opt_string(&self, name: &str) -> String {
        self.get(name).map(|v| String::from_utf8_lossy(v).into_owned()).unwrap_or_default()
    }
}

/// One record inside a buffer: where its header and data are, and where the next one starts.
pub(super) struct BufRecord {
    pub(super) header: Range<usize>,
    pub(super) data: Range<usize>,
    pub(super) end: usize,
}

/// A record that runs past its buffer: it needs `needed` bytes counted from its start.
pub(super) struct Cut {
    pub(super) needed: u64,
}

/// The record starting at `pos` in `buf`.
pub(super) fn record_at(buf: &[u8], pos: usize) -> Result<BufRecord, Cut> {
    let header_len = le_u32(buf, pos).ok_or(Cut { needed: 4 })?;
    let header_start = pos + 4;
    let header_end = header_start.checked_add(header_len as usize).ok_or(Cut { needed: 8 + u64::from(header_len) })?;
    let data_len = le_u32(buf, header_end).ok_or(Cut { needed: 8 + u64::from(header_len) })?;
    let needed = 8 + u64::from(header_len) + u64::from(data_len);
    let data_start = header_end + 4;
    let data_end = data_start.checked_add(data_len as usize).ok_or(Cut { needed })?;
    if data_end > buf.len() {
        return Err(Cut { needed });
    }
    Ok(BufRecord { header: header_start..header_end, data: data_start..data_end, end: data_end })
}
