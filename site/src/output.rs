//! Where built files go: a folder (`build`), memory (`serve`), or nowhere
//! (`check`). The build is the same in all three.

use std::collections::HashMap;
use std::fs;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

/// Receives the built files, by path under the site root (`de-regeling/index.html`).
pub trait Sink: Sync {
    fn put(&self, path: &str, bytes: Vec<u8>) -> io::Result<()>;
    /// Copies a file that is published as it is.
    fn copy(&self, source: &Path, path: &str) -> io::Result<()> {
        self.put(path, fs::read(source)?)
    }
}

/// Writes into a folder, only where the content changed, so that an
/// unchanged site does not touch the disk (and file times stay meaningful).
pub struct DirSink {
    root: PathBuf,
}

impl DirSink {
    pub fn new(root: impl Into<PathBuf>) -> DirSink {
        DirSink { root: root.into() }
    }

    /// Removes files under the folder that this build did not produce: a page
    /// that was deleted or renamed must not stay online.
    pub fn remove_stale(&self, produced: &std::collections::HashSet<String>) -> io::Result<usize> {
        let mut removed = 0;
        if !self.root.exists() {
            return Ok(0);
        }
        for entry in walkdir::WalkDir::new(&self.root).contents_first(true) {
            let entry = entry.map_err(io::Error::other)?;
            let rel = entry
                .path()
                .strip_prefix(&self.root)
                .unwrap_or(entry.path())
                .to_string_lossy()
                .replace('\\', "/");
            if entry.file_type().is_file() && !produced.contains(&rel) {
                fs::remove_file(entry.path())?;
                removed += 1;
            } else if entry.file_type().is_dir() && entry.depth() > 0 {
                // Only succeeds when empty, which is what we want.
                let _ = fs::remove_dir(entry.path());
            }
        }
        Ok(removed)
    }
}

impl Sink for DirSink {
    fn put(&self, path: &str, bytes: Vec<u8>) -> io::Result<()> {
        let target = self.root.join(path);
        if fs::read(&target).is_ok_and(|old| old == bytes) {
            return Ok(());
        }
        if let Some(dir) = target.parent() {
            fs::create_dir_all(dir)?;
        }
        fs::write(&target, bytes)
    }

    fn copy(&self, source: &Path, path: &str) -> io::Result<()> {
        let target = self.root.join(path);
        if let Some(dir) = target.parent() {
            fs::create_dir_all(dir)?;
        }
        fs::copy(source, target).map(|_| ())
    }
}

/// Keeps the site in memory: `serve` answers from it.
#[derive(Default, Clone)]
pub struct MemorySink {
    pub files: Arc<Mutex<HashMap<String, Arc<Vec<u8>>>>>,
}

impl Sink for MemorySink {
    fn put(&self, path: &str, bytes: Vec<u8>) -> io::Result<()> {
        self.files
            .lock()
            .map_err(|_| io::Error::other("site in memory is poisoned"))?
            .insert(path.to_string(), Arc::new(bytes));
        Ok(())
    }
}

/// Discards everything: `check`.
pub struct NullSink;

impl Sink for NullSink {
    fn put(&self, _path: &str, _bytes: Vec<u8>) -> io::Result<()> {
        Ok(())
    }
    fn copy(&self, source: &Path, _path: &str) -> io::Result<()> {
        // Still prove the file can be read, as a real build would.
        fs::metadata(source).map(|_| ())
    }
}
