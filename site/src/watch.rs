//! Following the edits under `content/` and `templates/` for `serve`,
//! also when a folder is replaced as a whole, as a restore or a `git
//! checkout` of another branch does it: the old folder renamed away, a new
//! one renamed into place.
//!
//! A watch follows the folder it was set on, not its name: after such a
//! replacement it would follow the old folder wherever it went, and the
//! new one not at all. So the folder above them is watched too (without
//! what is in it), and when `content` or `templates` appears, disappears
//! or is renamed there, that folder is watched again by its name and the
//! whole site is built again.

use std::path::{Path, PathBuf};
use std::sync::mpsc::{channel, Receiver, RecvTimeoutError};
use std::time::Duration;

use notify::event::ModifyKind;
use notify::{Event, EventKind, RecommendedWatcher, RecursiveMode, Watcher as _};

use crate::Project;

/// What changed in one burst of events.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Change {
    /// These files (and nothing else that matters).
    Paths(Vec<PathBuf>),
    /// Build it all: a folder was replaced, or the watcher lost track.
    Everything,
}

/// The watcher could not be set up.
#[derive(Debug, thiserror::Error)]
#[error("{what} volgen lukt niet: {source}")]
pub struct WatchError {
    what: String,
    #[source]
    source: notify::Error,
}

/// The watches on a site's folders.
pub struct SiteWatcher {
    watcher: RecommendedWatcher,
    events: Receiver<notify::Result<Event>>,
    /// `content/` and `templates/`, watched with all they hold.
    folders: Vec<PathBuf>,
}

/// How long a burst of events may pause before it counts as one change:
/// editors save in bursts (temporary file, rename, touch).
const QUIET: Duration = Duration::from_millis(30);

impl SiteWatcher {
    /// Watches `project`'s `content/` and `templates/`, and the folders
    /// that hold them.
    pub fn new(project: &Project) -> Result<SiteWatcher, WatchError> {
        let (tx, events) = channel();
        let mut watcher = notify::recommended_watcher(tx).map_err(|source| WatchError {
            what: "bestanden".into(),
            source,
        })?;
        let folders: Vec<PathBuf> = [&project.content, &project.templates]
            .into_iter()
            .map(|dir| absolute(dir))
            .collect();
        let mut parents: Vec<&Path> = folders.iter().filter_map(|f| f.parent()).collect();
        parents.sort();
        parents.dedup();
        for parent in parents {
            watcher
                .watch(parent, RecursiveMode::NonRecursive)
                .map_err(|source| WatchError {
                    what: parent.display().to_string(),
                    source,
                })?;
        }
        for folder in &folders {
            watcher
                .watch(folder, RecursiveMode::Recursive)
                .map_err(|source| WatchError {
                    what: folder.display().to_string(),
                    source,
                })?;
        }
        Ok(SiteWatcher {
            watcher,
            events,
            folders,
        })
    }

    /// Waits for the next change; `None` when the watcher has stopped.
    pub fn wait(&mut self) -> Option<Change> {
        loop {
            let first = self.events.recv().ok()?;
            if let Some(change) = self.burst(first) {
                return Some(change);
            }
        }
    }

    /// Waits at most `timeout` for the next change.
    pub fn wait_within(&mut self, timeout: Duration) -> Option<Change> {
        let deadline = std::time::Instant::now() + timeout;
        loop {
            let left = deadline.saturating_duration_since(std::time::Instant::now());
            let first = match self.events.recv_timeout(left) {
                Ok(event) => event,
                Err(RecvTimeoutError::Timeout | RecvTimeoutError::Disconnected) => return None,
            };
            if let Some(change) = self.burst(first) {
                return Some(change);
            }
        }
    }

    /// The change that `first` and the events right after it make, if
    /// any matters.
    fn burst(&mut self, first: notify::Result<Event>) -> Option<Change> {
        let mut events = vec![first];
        while let Ok(event) = self.events.recv_timeout(QUIET) {
            events.push(event);
        }
        let mut paths = Vec::new();
        let mut everything = false;
        for event in events {
            match event {
                // Reading a file (the build does) changes nothing.
                Ok(event) if matches!(event.kind, EventKind::Access(_)) => {}
                Ok(event) => {
                    if self.replaces_a_folder(&event) {
                        everything = true;
                    }
                    paths.extend(
                        event
                            .paths
                            .into_iter()
                            .filter(|p| self.is_inside(p) && !is_scratch(p)),
                    );
                }
                // The watcher lost track (its queue overflowed, say).
                Err(_) => everything = true,
            }
        }
        if everything {
            self.watch_again();
            return Some(Change::Everything);
        }
        paths.sort();
        paths.dedup();
        (!paths.is_empty()).then_some(Change::Paths(paths))
    }

    /// Whether `event` makes, removes or renames one of the folders
    /// itself (an event of the folder above it, or of its own watch).
    fn replaces_a_folder(&self, event: &Event) -> bool {
        let renames = matches!(
            event.kind,
            EventKind::Create(_) | EventKind::Remove(_) | EventKind::Modify(ModifyKind::Name(_))
        );
        renames && event.paths.iter().any(|p| self.folders.contains(p))
    }

    fn is_inside(&self, path: &Path) -> bool {
        self.folders
            .iter()
            .any(|folder| path.starts_with(folder) && path != folder)
    }

    /// Watches every folder again by its name: the old watch follows the
    /// folder that was moved away, or is gone with it. A folder that is not
    /// there (yet) is watched once it appears in the folder above it.
    fn watch_again(&mut self) {
        for folder in &self.folders {
            // Not watched any more is fine: it was removed.
            let _ = self.watcher.unwatch(folder);
            if folder.is_dir() {
                if let Err(e) = self.watcher.watch(folder, RecursiveMode::Recursive) {
                    eprintln!("{} opnieuw volgen lukt niet: {e}", folder.display());
                }
            }
        }
    }
}

/// `dir` from the root of the file system, links resolved where it exists,
/// as the events name it.
fn absolute(dir: &Path) -> PathBuf {
    if let Ok(canonical) = std::fs::canonicalize(dir) {
        return canonical;
    }
    let absolute = std::path::absolute(dir).unwrap_or_else(|_| dir.to_path_buf());
    match (absolute.parent(), absolute.file_name()) {
        (Some(parent), Some(name)) => std::fs::canonicalize(parent)
            .map(|p| p.join(name))
            .unwrap_or(absolute),
        _ => absolute,
    }
}

/// Editors' temporary files: never content.
fn is_scratch(path: &Path) -> bool {
    path.file_name().is_some_and(|n| {
        let n = n.to_string_lossy();
        n.starts_with('.') || n.ends_with('~') || n.ends_with(".swp") || n.contains(".tmp")
    })
}
