//! Datasets written into a folder: the [`DatasetSink`] of `generate` and `convert`.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use anyhow::{bail, Context};
use episcope_core::writer::DatasetSink;

/// Buffer of each file writer.
const WRITE_BUFFER_BYTES: usize = 1 << 20;

/// Files under a folder, their parents created on demand.
pub struct DirSink {
    pub root: PathBuf,
}

impl DatasetSink for DirSink {
    fn create(&mut self, path: &str) -> std::io::Result<Box<dyn Write + Send>> {
        let full = self.root.join(path);
        if let Some(parent) = full.parent() {
            std::fs::create_dir_all(parent)?;
        }
        Ok(Box::new(BufWriter::with_capacity(WRITE_BUFFER_BYTES, File::create(full)?)))
    }
}

/// Refuses an output folder that exists and holds anything.
pub fn refuse_used_folder(out: &Path) -> anyhow::Result<()> {
    if out.exists() {
        let mut entries = std::fs::read_dir(out).with_context(|| format!("not a folder: {}", out.display()))?;
        if entries.next().is_some() {
            bail!("the output folder is not empty: {}", out.display());
        }
    }
    Ok(())
}
