//! A minimal, bounded, read-only SQLite 3 reader over a `ByteSource`: header, `sqlite_schema`, table B-trees, records, overflow chains (the WAL file, if any, is ignored: only checkpointed data is seen).

use std::cell::RefCell;
use std::collections::{HashSet, VecDeque};

use bytes::Bytes;

use crate::source::{ByteSource, SourceError};

/// The 16 bytes every SQLite 3 database starts with.
pub const MAGIC: &[u8; 16] = b"SQLite format 3\0";
/// Largest record payload assembled in memory (a single message blob).
pub const MAX_PAYLOAD: u64 = 512 << 20;
/// Deepest table B-tree followed (SQLite's own trees stay far below this).
pub const MAX_DEPTH: usize = 40;
/// Most columns decoded from one record.
pub const MAX_COLUMNS: usize = 2000;
/// Bytes read per request (whole pages), and how many such chunks are kept.
const CHUNK_BYTES: u64 = 256 << 10;
const CACHED_CHUNKS: usize = 4;

/// Why a SQLite file could not be read.
#[derive(Debug, Clone, thiserror::Error, PartialEq, Eq)]
pub enum SqliteError {
    #[error(transparent)]
    Source(#[from] SourceError),
    #[error("file is {size} bytes, too small for a SQLite header")]
    TooSmall { size: u64 },
    #[error("not a SQLite 3 file (bad magic)")]
    BadMagic,
    #[error("invalid page size {page_size}")]
    BadPageSize { page_size: u32 },
    #[error("{reserved} reserved bytes leave too little of a {page_size}-byte page")]
    BadReservedBytes { reserved: u8, page_size: u32 },
    #[error("unsupported text encoding {encoding}")]
    BadTextEncoding { encoding: u32 },
    #[error("file is truncated: header says {expected_pages} pages, file holds {actual_pages}")]
    Truncated { expected_pages: u32, actual_pages: u32 },
    #[error("page {page} is outside the file ({page_count} pages)")]
    PageOutOfRange { page: u32, page_count: u32 },
    #[error("page {page} has type {page_type:#04x}, expected a table B-tree page")]
    BadPageType { page: u32, page_type: u8 },
    #[error("page {page} is reached twice (cycle)")]
    PageCycle { page: u32 },
    #[error("B-tree deeper than {limit} at page {page}")]
    TooDeep { page: u32, limit: usize },
    #[error("page {page} is corrupt: {what}")]
    CorruptPage { page: u32, what: &'static str },
    #[error("record of row {rowid} is corrupt: {what}")]
    CorruptRecord { rowid: i64, what: &'static str },
    #[error("payload of {size} bytes exceeds the limit of {limit}")]
    PayloadTooLarge { size: u64, limit: u64 },
    #[error("no table named {name:?}")]
    TableNotFound { name: String },
}

/// One decoded column value.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Null,
    Int(i64),
    Float(f64),
    Text(String),
    Blob(Bytes),
}

impl Value {
    pub fn as_int(&self) -> Option<i64> {
        match self {
            Self::Int(v) => Some(*v),
            _ => None,
        }
    }
    pub fn as_text(&self) -> Option<&str> {
        match self {
            Self::Text(s) => Some(s),
            _ => None,
        }
    }
}

/// A table leaf cell: its rowid and the part of its payload stored on the leaf page.
#[derive(Debug, Clone)]
pub struct Cell {
    pub rowid: i64,
    pub payload_size: u64,
    local: Bytes,
    first_overflow: Option<u32>,
}

/// One `sqlite_schema` row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SchemaEntry {
    /// `table`, `index`, `view` or `trigger`.
    pub kind: String,
    pub name: String,
    pub root_page: u32,
    pub sql: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum TextEncoding {
    Utf8,
    Utf16Le,
    Utf16Be,
}

/// An open database: its header facts and a small cache of recently read chunks of pages.
pub struct SqliteFile<'a> {
    source: &'a dyn ByteSource,
    page_size: u32,
    usable: u32,
    page_count: u32,
    encoding: TextEncoding,
    chunk_pages: u32,
    cache: RefCell<VecDeque<(u32, Bytes)>>,
}

impl<'a> SqliteFile<'a> {
    /// Reads and checks the 100-byte header.
    pub async fn open(source: &'a dyn ByteSource) -> Result<Self, SqliteError> {
        let size = source.size();
        if size < 100 {
            return Err(SqliteError::TooSmall { size });
        }
        let h = source.read_range(0..100).await?;
        if &h[..16] != MAGIC {
            return Err(SqliteError::BadMagic);
        }
        let raw = u16::from_be_bytes([h[16], h[17]]) as u32;
        let page_size = if raw == 1 { 65536 } else { raw };
        if !(512..=65536).contains(&page_size) || !page_size.is_power_of_two() {
            return Err(SqliteError::BadPageSize { page_size });
        }
        let reserved = h[20];
        let usable = page_size - reserved as u32;
        if usable < 480 {
            return Err(SqliteError::BadReservedBytes { reserved, page_size });
        }
        let encoding = match be32(&h, 56) {
            0 | 1 => TextEncoding::Utf8,
            2 => TextEncoding::Utf16Le,
            3 => TextEncoding::Utf16Be,
            encoding => return Err(SqliteError::BadTextEncoding { encoding }),
        };
        let actual = size / page_size as u64;
        let actual_pages = u32::try_from(actual).unwrap_or(u32::MAX);
        let header_pages = be32(&h, 28);
        let header_valid = be32(&h, 24) == be32(&h, 92) && header_pages != 0;
        if header_valid && (header_pages > actual_pages || !size.is_multiple_of(page_size as u64)) {
            return Err(SqliteError::Truncated { expected_pages: header_pages, actual_pages });
        }
        if actual_pages == 0 {
            return Err(SqliteError::TooSmall { size });
        }
        let page_count = if header_valid { header_pages } else { actual_pages };
        let chunk_pages = (CHUNK_BYTES / page_size as u64).max(1) as u32;
        Ok(Self { source, page_size, usable, page_count, encoding, chunk_pages, cache: RefCell::new(VecDeque::new()) })
    }

    pub fn page_size(&self) -> u32 {
        self.page_size
    }

    pub fn page_count(&self) -> u32 {
        self.page_count
    }

    /// Page `page` (1-based), whole.
    pub async fn page(&self, page: u32) -> Result<Bytes, SqliteError> {
        if page == 0 || page > self.page_count {
            return Err(SqliteError::PageOutOfRange { page, page_count: self.page_count });
        }
        let chunk = (page - 1) / self.chunk_pages;
        let first = chunk * self.chunk_pages + 1;
        let ps = self.page_size as usize;
        let off = (page - first) as usize * ps;
        if let Some((_, bytes)) = self.cache.borrow().iter().find(|(c, _)| *c == chunk) {
            return Ok(bytes.slice(off..off + ps));
        }
        let last = (first + self.chunk_pages - 1).min(self.page_count);
        let start = (first as u64 - 1) * self.page_size as u64;
        let end = last as u64 * self.page_size as u64;
        let bytes = self.source.read_range(start..end).await?;
        if bytes.len() < off + ps {
            return Err(SqliteError::PageOutOfRange { page, page_count: self.page_count });
        }
        let out = bytes.slice(off..off + ps);
        let mut cache = self.cache.borrow_mut();
        if cache.len() >= CACHED_CHUNKS {
            cache.pop_front();
        }
        cache.push_back((chunk, bytes));
        Ok(out)
    }

    /// The rows of `sqlite_schema` (page 1).
    pub async fn schema(&self) -> Result<Vec<SchemaEntry>, SqliteError> {
        let mut cursor = self.cursor(1);
        let mut out = Vec::new();
        while let Some(cell) = cursor.next().await? {
            let values = self.record(&cell, None).await?;
            let text = |i: usize| values.get(i).and_then(Value::as_text).unwrap_or_default().to_string();
            let root = values.get(3).and_then(Value::as_int).unwrap_or(0);
            out.push(SchemaEntry {
                kind: text(0),
                name: text(1),
                root_page: u32::try_from(root).unwrap_or(0),
                sql: text(4),
            });
        }
        Ok(out)
    }

    /// The schema row of the table `name` (case-insensitive, as SQLite compares names).
    pub async fn table(&self, name: &str) -> Result<SchemaEntry, SqliteError> {
        self.schema()
            .await?
            .into_iter()
            .find(|e| e.kind == "table" && e.name.eq_ignore_ascii_case(name))
            .ok_or_else(|| SqliteError::TableNotFound { name: name.to_string() })
    }

    /// A cursor over the rows of the table B-tree rooted at `root`, in rowid order.
    pub fn cursor(&self, root: u32) -> TableCursor<'_, 'a> {
        TableCursor { file: self, root: Some(root), stack: Vec::new(), leaf: None, visited: HashSet::new() }
    }

    /// Decodes a cell's record: every column, or columns `0..=last` when `last` is given (then the
    /// overflow chain is only followed if those columns reach past the leaf page).
    pub async fn record(&self, cell: &Cell, last: Option<usize>) -> Result<Vec<Value>, SqliteError> {
        let rowid = cell.rowid;
        let bad = |what| SqliteError::CorruptRecord { rowid, what };
        let (header_len, mut pos) = varint(&cell.local, 0).ok_or_else(|| bad("header size"))?;
        let header_len = usize::try_from(header_len).map_err(|_| bad("header size"))?;
        if header_len > cell.local.len() || header_len < pos {
            return Err(bad("header size"));
        }
        let mut types = Vec::new();
        while pos < header_len {
            if last.is_some_and(|l| types.len() > l) {
                break;
            }
            if types.len() >= MAX_COLUMNS {
                return Err(bad("too many columns"));
            }
            let (t, next) = varint(&cell.local, pos).ok_or_else(|| bad("serial type"))?;
            if next > header_len {
                return Err(bad("serial type"));
            }
            types.push(t);
            pos = next;
        }
        let end = types.iter().try_fold(header_len as u64, |acc, &t| {
            let len = serial_len(t).ok_or_else(|| bad("reserved serial type"))?;
            Ok::<u64, SqliteError>(acc.saturating_add(len))
        })?;
        if end > cell.payload_size {
            return Err(bad("columns exceed the payload"));
        }
        let payload = if end <= cell.local.len() as u64 { cell.local.clone() } else { self.payload(cell).await? };
        let mut values = Vec::with_capacity(types.len());
        let mut off = header_len;
        for t in types {
            let len = serial_len(t).unwrap_or(0) as usize;
            let bytes = payload.get(off..off + len).ok_or_else(|| bad("column past payload"))?;
            values.push(self.value(t, bytes, &payload, off).map_err(|()| bad("text is not valid"))?);
            off += len;
        }
        Ok(values)
    }

    fn value(&self, t: u64, b: &[u8], payload: &Bytes, off: usize) -> Result<Value, ()> {
        Ok(match t {
            0 => Value::Null,
            1..=6 => {
                let mut v: i64 = if b[0] & 0x80 != 0 { -1 } else { 0 };
                for &x in b {
                    v = (v << 8) | x as i64;
                }
                Value::Int(v)
            }
            7 => {
                let mut a = [0u8; 8];
                a.copy_from_slice(b);
                Value::Float(f64::from_be_bytes(a))
            }
            8 => Value::Int(0),
            9 => Value::Int(1),
            t if t.is_multiple_of(2) => Value::Blob(payload.slice(off..off + b.len())),
            _ => Value::Text(self.decode_text(b)?),
        })
    }

    fn decode_text(&self, b: &[u8]) -> Result<String, ()> {
        let units = |le: bool| {
            b.chunks_exact(2)
                .map(move |c| if le { u16::from_le_bytes([c[0], c[1]]) } else { u16::from_be_bytes([c[0], c[1]]) })
        };
        match self.encoding {
            TextEncoding::Utf8 => String::from_utf8(b.to_vec()).map_err(|_| ()),
            TextEncoding::Utf16Le => String::from_utf16(&units(true).collect::<Vec<_>>()).map_err(|_| ()),
            TextEncoding::Utf16Be => String::from_utf16(&units(false).collect::<Vec<_>>()).map_err(|_| ()),
        }
    }

    /// The whole payload of a cell, following its overflow chain (bounded, cycle-checked).
    pub async fn payload(&self, cell: &Cell) -> Result<Bytes, SqliteError> {
        let total = cell.payload_size;
        if total > MAX_PAYLOAD {
            return Err(SqliteError::PayloadTooLarge { size: total, limit: MAX_PAYLOAD });
        }
        let Some(mut next) = cell.first_overflow else {
            return Ok(cell.local.clone());
        };
        let per_page = self.usable as u64 - 4;
        let remaining = total.saturating_sub(cell.local.len() as u64);
        if remaining.div_ceil(per_page) > self.page_count as u64 {
            return Err(SqliteError::PayloadTooLarge { size: total, limit: self.page_count as u64 * per_page });
        }
        let mut out = Vec::with_capacity(total as usize);
        out.extend_from_slice(&cell.local);
        let mut seen = HashSet::new();
        while (out.len() as u64) < total {
            if next == 0 {
                return Err(SqliteError::CorruptRecord { rowid: cell.rowid, what: "overflow chain ends early" });
            }
            if !seen.insert(next) {
                return Err(SqliteError::PageCycle { page: next });
            }
            let page = self.page(next).await?;
            let take = (total - out.len() as u64).min(per_page) as usize;
            out.extend_from_slice(&page[4..4 + take]);
            next = be32(&page, 0);
        }
        Ok(Bytes::from(out))
    }

    /// How much of a table-leaf payload of `p` bytes is stored on the page.
    fn local_size(&self, p: u64) -> u64 {
        let u = self.usable as u64;
        let x = u - 35;
        if p <= x {
            return p;
        }
        let m = ((u - 12) * 32 / 255) - 23;
        let k = m + ((p - m) % (u - 4));
        if k <= x {
            k
        } else {
            m
        }
    }
}

struct Interior {
    page: u32,
    data: Bytes,
    /// Offset of the B-tree page header (100 on page 1).
    hdr: usize,
    cells: usize,
    next: usize,
    right: u32,
}

struct Leaf {
    page: u32,
    data: Bytes,
    hdr: usize,
    cells: usize,
    next: usize,
}

/// Walks a table B-tree depth-first; every page is visited at most once.
pub struct TableCursor<'f, 'a> {
    file: &'f SqliteFile<'a>,
    root: Option<u32>,
    stack: Vec<Interior>,
    leaf: Option<Leaf>,
    visited: HashSet<u32>,
}

impl TableCursor<'_, '_> {
    /// The next row, or `None` after the last.
    pub async fn next(&mut self) -> Result<Option<Cell>, SqliteError> {
        loop {
            if let Some(leaf) = &mut self.leaf {
                if leaf.next < leaf.cells {
                    let i = leaf.next;
                    leaf.next += 1;
                    let (page, data, hdr) = (leaf.page, leaf.data.clone(), leaf.hdr);
                    return self.leaf_cell(page, &data, hdr, i).map(Some);
                }
                self.leaf = None;
            }
            let child = if let Some(root) = self.root.take() {
                root
            } else {
                let Some(top) = self.stack.last_mut() else { return Ok(None) };
                if top.next < top.cells {
                    let ptr = cell_ptr(&top.data, top.page, top.hdr + 12, top.next)?;
                    top.next += 1;
                    if ptr + 4 > top.data.len() {
                        return Err(SqliteError::CorruptPage { page: top.page, what: "cell past page end" });
                    }
                    be32(&top.data, ptr)
                } else if top.next == top.cells {
                    top.next += 1;
                    top.right
                } else {
                    self.stack.pop();
                    continue;
                }
            };
            self.descend(child).await?;
        }
    }

    async fn descend(&mut self, page: u32) -> Result<(), SqliteError> {
        if self.stack.len() >= MAX_DEPTH {
            return Err(SqliteError::TooDeep { page, limit: MAX_DEPTH });
        }
        if !self.visited.insert(page) {
            return Err(SqliteError::PageCycle { page });
        }
        let data = self.file.page(page).await?;
        let hdr = if page == 1 { 100 } else { 0 };
        let page_type = data[hdr];
        let corrupt = |what| SqliteError::CorruptPage { page, what };
        let cells = u16::from_be_bytes([data[hdr + 3], data[hdr + 4]]) as usize;
        match page_type {
            0x05 => {
                if cells * 2 + hdr + 12 > data.len() {
                    return Err(corrupt("cell count"));
                }
                let right = be32(&data, hdr + 8);
                self.stack.push(Interior { page, data, hdr, cells, next: 0, right });
            }
            0x0D => {
                if cells * 2 + hdr + 8 > data.len() {
                    return Err(corrupt("cell count"));
                }
                self.leaf = Some(Leaf { page, data, hdr, cells, next: 0 });
            }
            page_type => return Err(SqliteError::BadPageType { page, page_type }),
        }
        Ok(())
    }

    fn leaf_cell(&self, page: u32, data: &Bytes, hdr: usize, i: usize) -> Result<Cell, SqliteError> {
        let corrupt = |what| SqliteError::CorruptPage { page, what };
        let usable = self.file.usable as usize;
        let ptr = cell_ptr(data, page, hdr + 8, i)?;
        let (payload_size, pos) = varint(data, ptr).ok_or_else(|| corrupt("payload size"))?;
        let (rowid, pos) = varint(data, pos).ok_or_else(|| corrupt("rowid"))?;
        let local = self.file.local_size(payload_size) as usize;
        let end = pos.checked_add(local).ok_or_else(|| corrupt("cell size"))?;
        if end > usable {
            return Err(corrupt("cell past page end"));
        }
        let first_overflow = if (local as u64) < payload_size {
            if end + 4 > usable {
                return Err(corrupt("overflow pointer past page end"));
            }
            Some(be32(data, end))
        } else {
            None
        };
        Ok(Cell { rowid: rowid as i64, payload_size, local: data.slice(pos..end), first_overflow })
    }
}

/// The `i`th cell pointer of a page whose pointer array starts at `array`.
fn cell_ptr(data: &[u8], page: u32, array: usize, i: usize) -> Result<usize, SqliteError> {
    let at = array + 2 * i;
    let b = data.get(at..at + 2).ok_or(SqliteError::CorruptPage { page, what: "cell pointer array" })?;
    let ptr = u16::from_be_bytes([b[0], b[1]]) as usize;
    if ptr < array || ptr >= data.len() {
        return Err(SqliteError::CorruptPage { page, what: "cell pointer" });
    }
    Ok(ptr)
}

/// Big-endian u32 at `at` (0 when out of bounds; callers check bounds first).
fn be32(b: &[u8], at: usize) -> u32 {
    b.get(at..at + 4).map_or(0, |s| u32::from_be_bytes([s[0], s[1], s[2], s[3]]))
}

/// A SQLite varint (1-9 bytes, big-endian, 7 bits per byte, the 9th byte whole) at `pos`.
pub fn varint(b: &[u8], pos: usize) -> Option<(u64, usize)> {
    let mut v: u64 = 0;
    for i in 0..9 {
        let x = *b.get(pos + i)?;
        if i == 8 {
            return Some(((v << 8) | x as u64, pos + 9));
        }
        v = (v << 7) | (x & 0x7f) as u64;
        if x & 0x80 == 0 {
            return Some((v, pos + i + 1));
        }
    }
    None
}

/// Byte length of a column of serial type `t` (None for the reserved types 10 and 11).
fn serial_len(t: u64) -> Option<u64> {
    Some(match t {
        0 | 8 | 9 => 0,
        1 => 1,
        2 => 2,
        3 => 3,
        4 => 4,
        5 => 6,
        6 | 7 => 8,
        10 | 11 => return None,
        t => (t - 12) / 2,
    })
}

/// Column names of a `CREATE TABLE` statement, in order (table constraints skipped).
pub fn column_names(sql: &str) -> Vec<String> {
    let (Some(open), Some(close)) = (sql.find('('), sql.rfind(')')) else { return Vec::new() };
    if close <= open {
        return Vec::new();
    }
    let body = &sql[open + 1..close];
    let mut parts = Vec::new();
    let (mut depth, mut start) = (0usize, 0usize);
    for (i, c) in body.char_indices() {
        match c {
            '(' => depth += 1,
            ')' => depth = depth.saturating_sub(1),
            ',' if depth == 0 => {
                parts.push(&body[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    parts.push(&body[start..]);
    parts
        .into_iter()
        .filter_map(|p| {
            let name = p.split_whitespace().next()?.trim_matches(|c| matches!(c, '"' | '`' | '[' | ']' | '\''));
            let upper = name.to_ascii_uppercase();
            (!matches!(upper.as_str(), "CONSTRAINT" | "PRIMARY" | "UNIQUE" | "CHECK" | "FOREIGN"))
                .then(|| name.to_string())
        })
        .collect()
}
