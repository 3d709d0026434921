//! rosbag2 sqlite3 storage (`.db3`): topics, message definitions and messages read through the bounded SQLite reader in [`sqlite`]; `metadata.yaml` in [`metadata`].

pub mod metadata;
pub mod sqlite;

use std::collections::{BTreeMap, HashMap};

use crate::recording::{RawChannel, RawMessage};
use crate::source::ByteSource;

pub use metadata::{parse_metadata, BagMetadata, MetadataError, TopicInfo};
use sqlite::{column_names, Cell, SchemaEntry, SqliteError, SqliteFile, Value};

/// Why a `.db3` bag could not be read (no paths: the caller adds them).
#[derive(Debug, Clone, thiserror::Error, PartialEq, Eq)]
pub enum Db3Error {
    #[error(transparent)]
    Sqlite(#[from] SqliteError),
    #[error("table {table} has no column {column}")]
    MissingColumn { table: &'static str, column: &'static str },
    #[error("row {rowid} of table {table}: column {column} is not {expected}")]
    BadValue { table: &'static str, rowid: i64, column: &'static str, expected: &'static str },
    #[error("row {rowid} of table {table}: {column} {value} is out of range")]
    OutOfRange { table: &'static str, rowid: i64, column: &'static str, value: i64 },
    #[error("topic id {id} appears twice in table topics")]
    DuplicateTopic { id: u32 },
}

/// What a `.db3` holds: its topics and, per topic id, how many messages and the time span.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Db3Summary {
    /// One per row of `topics`, by id.
    pub channels: Vec<RawChannel>,
    /// Messages per topic id (every topic listed, 0 when it has none).
    pub message_counts: BTreeMap<u32, u64>,
    pub start_time_ns: Option<u64>,
    pub end_time_ns: Option<u64>,
}

/// Where a table's needed columns sit in its records.
struct Columns {
    root: u32,
    index: Vec<usize>,
}

impl Columns {
    fn find(
        entry: &SchemaEntry,
        table: &'static str,
        wanted: &[&'static str],
        fallback: &[usize],
    ) -> Result<Self, Db3Error> {
        let names = column_names(&entry.sql);
        let index = if names.is_empty() {
            fallback.to_vec()
        } else {
            wanted
                .iter()
                .map(|w| {
                    names
                        .iter()
                        .position(|n| n.eq_ignore_ascii_case(w))
                        .ok_or(Db3Error::MissingColumn { table, column: w })
                })
                .collect::<Result<_, _>>()?
        };
        Ok(Self { root: entry.root_page, index })
    }

    fn last(&self) -> usize {
        self.index.iter().copied().max().unwrap_or(0)
    }
}

fn get(values: &[Value], i: usize) -> &Value {
    values.get(i).unwrap_or(&Value::Null)
}

/// An integer column; `INTEGER PRIMARY KEY` columns are stored as NULL and mean the rowid.
fn int(
    values: &[Value],
    i: usize,
    cell: &Cell,
    table: &'static str,
    column: &'static str,
    id: bool,
) -> Result<i64, Db3Error> {
    match get(values, i) {
        Value::Int(v) => Ok(*v),
        Value::Null if id => Ok(cell.rowid),
        _ => Err(Db3Error::BadValue { table, rowid: cell.rowid, column, expected: "an integer" }),
    }
}

fn text(
    values: &[Value],
    i: usize,
    cell: &Cell,
    table: &'static str,
    column: &'static str,
) -> Result<String, Db3Error> {
    match get(values, i) {
        Value::Text(s) => Ok(s.clone()),
        Value::Blob(b) => String::from_utf8(b.to_vec()).map_err(|_| Db3Error::BadValue {
            table,
            rowid: cell.rowid,
            column,
            expected: "text",
        }),
        Value::Null => Ok(String::new()),
        _ => Err(Db3Error::BadValue { table, rowid: cell.rowid, column, expected: "text" }),
    }
}

fn to_u32(v: i64, cell: &Cell, table: &'static str, column: &'static str) -> Result<u32, Db3Error> {
    u32::try_from(v).map_err(|_| Db3Error::OutOfRange { table, rowid: cell.rowid, column, value: v })
}

fn to_u64(v: i64, cell: &Cell, table: &'static str, column: &'static str) -> Result<u64, Db3Error> {
    u64::try_from(v).map_err(|_| Db3Error::OutOfRange { table, rowid: cell.rowid, column, value: v })
}

async fn messages_columns(file: &SqliteFile<'_>) -> Result<Columns, Db3Error> {
    let entry = file.table("messages").await?;
    Columns::find(&entry, "messages", &["topic_id", "timestamp", "data"], &[1, 2, 3])
}

/// Reads the topics (with their message definitions when the bag has them) and counts the
/// messages per topic, reading only the leading columns of each message row (blobs not kept).
/// Messages whose `topic_id` names no topic are ignored.
pub async fn read_db3_summary(source: &dyn ByteSource) -> Result<Db3Summary, Db3Error> {
    let file = SqliteFile::open(source).await?;
    let schema = file.schema().await?;
    let table = |name: &str| {
        schema
            .iter()
            .find(|e| e.kind == "table" && e.name.eq_ignore_ascii_case(name))
            .cloned()
            .ok_or_else(|| SqliteError::TableNotFound { name: name.to_string() })
    };

    // message_definitions (Iron and later): topic_type -> (encoding, text).
    let mut definitions: HashMap<String, (String, String)> = HashMap::new();
    if let Ok(entry) = table("message_definitions") {
        const T: &str = "message_definitions";
        let cols = Columns::find(&entry, T, &["topic_type", "encoding", "encoded_message_definition"], &[1, 2, 3])?;
        let mut cursor = file.cursor(cols.root);
        while let Some(cell) = cursor.next().await? {
            let v = file.record(&cell, Some(cols.last())).await?;
            let topic_type = text(&v, cols.index[0], &cell, T, "topic_type")?;
            let encoding = text(&v, cols.index[1], &cell, T, "encoding")?;
            let def = text(&v, cols.index[2], &cell, T, "encoded_message_definition")?;
            definitions.entry(topic_type).or_insert((encoding, def));
        }
    }

    const T: &str = "topics";
    let entry = table(T)?;
    let cols = Columns::find(&entry, T, &["id", "name", "type", "serialization_format"], &[0, 1, 2, 3])?;
    let mut channels = Vec::new();
    let mut cursor = file.cursor(cols.root);
    while let Some(cell) = cursor.next().await? {
        let v = file.record(&cell, Some(cols.last())).await?;
        let id = to_u32(int(&v, cols.index[0], &cell, T, "id", true)?, &cell, T, "id")?;
        let message_type = text(&v, cols.index[2], &cell, T, "type")?;
        let (schema_encoding, schema_text) = definitions.get(&message_type).cloned().unwrap_or_default();
        channels.push(RawChannel {
            id,
            topic: text(&v, cols.index[1], &cell, T, "name")?,
            message_type,
            message_encoding: text(&v, cols.index[3], &cell, T, "serialization_format")?,
            schema_encoding,
            schema_text,
        });
    }
    channels.sort_by_key(|c| c.id);
    if let Some(w) = channels.windows(2).find(|w| w[0].id == w[1].id) {
        return Err(Db3Error::DuplicateTopic { id: w[0].id });
    }

    const M: &str = "messages";
    let mut message_counts: BTreeMap<u32, u64> = channels.iter().map(|c| (c.id, 0)).collect();
    let (mut start, mut end): (Option<u64>, Option<u64>) = (None, None);
    let cols = messages_columns(&file).await?;
    // Only topic_id and timestamp: the data column is never decoded here.
    let last = cols.index[0].max(cols.index[1]);
    let mut cursor = file.cursor(cols.root);
    while let Some(cell) = cursor.next().await? {
        let v = file.record(&cell, Some(last)).await?;
        let topic = int(&v, cols.index[0], &cell, M, "topic_id", false)?;
        let Some(count) = u32::try_from(topic).ok().and_then(|t| message_counts.get_mut(&t)) else { continue };
        let time = to_u64(int(&v, cols.index[1], &cell, M, "timestamp", false)?, &cell, M, "timestamp")?;
        *count += 1;
        start = Some(start.map_or(time, |s| s.min(time)));
        end = Some(end.map_or(time, |e| e.max(time)));
    }
    Ok(Db3Summary { channels, message_counts, start_time_ns: start, end_time_ns: end })
}

/// Reads the messages of the summary's topics (only `channel_ids` when given), sorted by
/// timestamp (ties in row order). `log_time_ns` and `publish_time_ns` are both the row's timestamp.
pub async fn read_db3_messages(
    source: &dyn ByteSource,
    summary: &Db3Summary,
    channel_ids: Option<&[u32]>,
) -> Result<Vec<RawMessage>, Db3Error> {
    const M: &str = "messages";
    let file = SqliteFile::open(source).await?;
    let cols = messages_columns(&file).await?;
    let wanted =
        |id: u32| summary.channels.iter().any(|c| c.id == id) && channel_ids.is_none_or(|ids| ids.contains(&id));
    let head = cols.index[0].max(cols.index[1]);
    let mut out = Vec::new();
    let mut cursor = file.cursor(cols.root);
    while let Some(cell) = cursor.next().await? {
        // Decode the leading columns first so unwanted rows never pull their overflow pages.
        let v = file.record(&cell, Some(head)).await?;
        let topic = int(&v, cols.index[0], &cell, M, "topic_id", false)?;
        let Some(channel_id) = u32::try_from(topic).ok().filter(|&t| wanted(t)) else { continue };
        let time = to_u64(int(&v, cols.index[1], &cell, M, "timestamp", false)?, &cell, M, "timestamp")?;
        let v = file.record(&cell, Some(cols.last())).await?;
        let data = match get(&v, cols.index[2]) {
            Value::Blob(b) => b.clone(),
            Value::Text(s) => bytes::Bytes::from(s.clone().into_bytes()),
            Value::Null => bytes::Bytes::new(),
            _ => return Err(Db3Error::BadValue { table: M, rowid: cell.rowid, column: "data", expected: "a blob" }),
        };
        out.push(RawMessage { channel_id, log_time_ns: time, publish_time_ns: time, data });
    }
    out.sort_by_key(|m| m.log_time_ns);
    Ok(out)
}
