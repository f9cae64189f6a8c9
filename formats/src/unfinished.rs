//! Output files and directories being written, process-wide, so that a process ended by
//! a signal can remove them: a writer's own `Drop` never runs then.
//!
//! Writers create their temporary files ([`create_temp`]) and directory archives' files
//! ([`create_in_directory`]) through this module and rename finished files into place
//! with [`rename_into_place`]; all three hold the registry's lock, so [`remove_all`]
//! (called once, by the binary's signal handling) never misses a file created at the
//! same moment, never removes a file renamed into place, and after it no new file is
//! created or renamed.

use std::fs::{self, File};
use std::io;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard};

/// Something that must not outlive an interrupted process.
enum Unfinished {
    /// A temporary file (renamed into place when complete).
    File(PathBuf),
    /// A directory archive being written: every file in it is the writer's (it started
    /// empty); the directory itself too when the writer created it.
    Directory { dir: PathBuf, created: bool },
}

struct Registry {
    next_id: u64,
    entries: Vec<(u64, Unfinished)>,
    /// Set by [`Outputs::remove_all`]: the process is ending, nothing more is written.
    closed: bool,
}

impl Registry {
    fn add(&mut self, what: Unfinished) -> u64 {
        self.next_id += 1;
        self.entries.push((self.next_id, what));
        self.next_id
    }

    fn forget(&mut self, id: u64) {
        self.entries.retain(|(i, _)| *i != id);
    }
}

/// A registry of unfinished outputs; the process has one, [`OUTPUTS`] (tests make
/// their own).
pub struct Outputs {
    registry: Mutex<Registry>,
}

/// The process's unfinished outputs, which the functions of this module use.
pub static OUTPUTS: Outputs = Outputs::new();

fn terminating() -> io::Error {
    io::Error::other("the process is being terminated")
}

/// An output registered for removal on interruption; dropping it unregisters it (the
/// writer has finished, or removed the output itself).
pub struct Registration {
    id: u64,
    outputs: &'static Outputs,
}

impl std::fmt::Debug for Registration {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Registration({})", self.id)
    }
}

impl Drop for Registration {
    fn drop(&mut self) {
        self.outputs.lock().forget(self.id);
    }
}

impl Outputs {
    pub const fn new() -> Self {
        Outputs {
            registry: Mutex::new(Registry {
                next_id: 0,
                entries: Vec::new(),
                closed: false,
            }),
        }
    }

    fn lock(&self) -> MutexGuard<'_, Registry> {
        // A panic elsewhere while holding the lock leaves the list itself intact.
        self.registry.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Creates (truncating) the temporary file `path` and registers it.
    pub fn create_temp(&'static self, path: &Path) -> io::Result<(File, Registration)> {
        let mut reg = self.lock();
        if reg.closed {
            return Err(terminating());
        }
        let file = File::create(path)?;
        let id = reg.add(Unfinished::File(path.to_path_buf()));
        Ok((file, Registration { id, outputs: self }))
    }

    /// Registers a directory archive being written into `dir` (`created`: by this
    /// writer, rather than found existing and empty).
    pub fn register_directory(
        &'static self,
        dir: &Path,
        created: bool,
    ) -> io::Result<Registration> {
        let mut reg = self.lock();
        if reg.closed {
            return Err(terminating());
        }
        let id = reg.add(Unfinished::Directory {
            dir: dir.to_path_buf(),
            created,
        });
        Ok(Registration { id, outputs: self })
    }

    /// Creates (truncating) a file inside a registered directory archive.
    pub fn create_in_directory(&self, path: &Path) -> io::Result<File> {
        let reg = self.lock();
        if reg.closed {
            return Err(terminating());
        }
        File::create(path)
    }

    /// Renames the finished `from` to `to` and unregisters `registration` (the
    /// temporary file, or the whole directory archive once its `toc.dat` is in place).
    pub fn rename_into_place(
        &self,
        registration: Registration,
        from: &Path,
        to: &Path,
    ) -> io::Result<()> {
        let mut reg = self.lock();
        if reg.closed {
            return Err(terminating());
        }
        fs::rename(from, to)?;
        reg.forget(registration.id);
        drop(reg);
        // Already forgotten: its `Drop` finds nothing.
        drop(registration);
        Ok(())
    }

    /// Removes every registered output (temporary files; directory archives' files,
    /// and the directories this process created) and refuses any later creation or
    /// rename. For a process ending on a signal; errors are ignored (nothing more can
    /// be done then).
    pub fn remove_all(&self) {
        let mut reg = self.lock();
        reg.closed = true;
        for (_, what) in reg.entries.drain(..) {
            match what {
                Unfinished::File(path) => {
                    let _ = fs::remove_file(path);
                }
                Unfinished::Directory { dir, created } => {
                    if let Ok(listing) = fs::read_dir(&dir) {
                        for entry in listing.flatten() {
                            let _ = fs::remove_file(entry.path());
                        }
                    }
                    if created {
                        let _ = fs::remove_dir(&dir);
                    }
                }
            }
        }
    }
}

impl Default for Outputs {
    fn default() -> Self {
        Outputs::new()
    }
}

/// [`Outputs::create_temp`] on the process's registry.
pub fn create_temp(path: &Path) -> io::Result<(File, Registration)> {
    OUTPUTS.create_temp(path)
}

/// [`Outputs::register_directory`] on the process's registry.
pub fn register_directory(dir: &Path, created: bool) -> io::Result<Registration> {
    OUTPUTS.register_directory(dir, created)
}

/// [`Outputs::create_in_directory`] on the process's registry.
pub fn create_in_directory(path: &Path) -> io::Result<File> {
    OUTPUTS.create_in_directory(path)
}

/// [`Outputs::rename_into_place`] on the process's registry.
pub fn rename_into_place(registration: Registration, from: &Path, to: &Path) -> io::Result<()> {
    OUTPUTS.rename_into_place(registration, from, to)
}

/// [`Outputs::remove_all`] on the process's registry: for the binary's signal handling.
pub fn remove_all() {
    OUTPUTS.remove_all()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn remove_all_removes_registered_outputs_and_refuses_new_ones() {
        let outputs: &'static Outputs = Box::leak(Box::new(Outputs::new()));
        let scratch = tempfile::tempdir().expect("scratch dir");
        let finished = scratch.path().join("finished.dump");
        let tmp_done = scratch.path().join("finished.dump.tmp");
        let (_, done) = outputs.create_temp(&tmp_done).expect("create temp");
        outputs
            .rename_into_place(done, &tmp_done, &finished)
            .expect("rename");

        let tmp = scratch.path().join("partial.dump.tmp");
        let (_, partial) = outputs.create_temp(&tmp).expect("create temp");
        let dir = scratch.path().join("dir-archive");
        fs::create_dir(&dir).expect("mkdir");
        let in_dir = outputs
            .register_directory(&dir, true)
            .expect("register dir");
        outputs
            .create_in_directory(&dir.join("3.dat.gz"))
            .expect("data file");
        let kept = scratch.path().join("kept-dir");
        fs::create_dir(&kept).expect("mkdir");
        let in_kept = outputs
            .register_directory(&kept, false)
            .expect("register dir");
        outputs
            .create_in_directory(&kept.join("toc.dat.tmp"))
            .expect("toc file");

        outputs.remove_all();
        assert!(finished.exists(), "a renamed file was removed");
        assert!(!tmp.exists(), "temporary file left");
        assert!(!dir.exists(), "created directory left");
        assert!(kept.is_dir(), "a directory found existing was removed");
        assert_eq!(fs::read_dir(&kept).expect("read dir").count(), 0);
        assert!(outputs
            .create_temp(&scratch.path().join("late.tmp"))
            .is_err());
        assert!(outputs
            .create_in_directory(&scratch.path().join("late.dat"))
            .is_err());
        drop((partial, in_dir, in_kept));
    }
}
