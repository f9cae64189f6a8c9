//! Custom and tar archives hold data in TOC order, but jobs finish in any order (largest
//! first, several at once). Each entry's compressed members wait here until the writer
//! reaches the entry: in memory while all entries together hold less than the cap,
//! beyond it appended to one unlinked temporary file beside the output (so the dump's
//! memory stays bounded and no worker ever waits for the writer, which could otherwise
//! deadlock: the writer waiting for an entry no worker is free to produce).

use std::fs::File;
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use pgark_formats::compress::member::{CompressedMember, MemberShape};
use tokio::sync::mpsc;

use crate::{Error, Result};

/// Compressed bytes all entries may hold in memory together.
pub const MEMORY_CAP: usize = 32 << 20;

/// One held member.
enum Held {
    Memory(CompressedMember),
    Spilled {
        shape: MemberShape,
        offset: u64,
        len: usize,
    },
}

/// What an entry's channel carries: members, then `End` once the job finished.
enum Message {
    Member(Held),
    End,
}

/// The spill file, created on first use.
struct SpillFile {
    file: File,
    len: u64,
}

/// State shared by every entry's writer and reader.
pub struct Spools {
    dir: PathBuf,
    in_memory: AtomicUsize,
    spill: Mutex<Option<SpillFile>>,
}

impl Spools {
    /// Spill files go in `dir` (the output's directory).
    pub fn new(dir: &Path) -> Arc<Self> {
        Arc::new(Spools {
            dir: dir.to_path_buf(),
            in_memory: AtomicUsize::new(0),
            spill: Mutex::new(None),
        })
    }

    /// A connected writer (for the job) and reader (for the archive writer).
    pub fn entry(self: &Arc<Self>) -> (SpoolWriter, SpoolReader) {
        let (tx, rx) = mpsc::unbounded_channel();
        (
            SpoolWriter {
                spools: self.clone(),
                tx,
            },
            SpoolReader {
                spools: self.clone(),
                rx,
            },
        )
    }

    fn spill_error(&self, e: std::io::Error) -> Error {
        Error::Io {
            path: format!("temporary spool file in {}", self.dir.display()),
            source: e,
        }
    }

    fn spill(&self, member: CompressedMember) -> Result<Held> {
        let (shape, bytes) = member.into_parts();
        let mut guard = self.spill.lock().unwrap_or_else(|p| p.into_inner());
        if guard.is_none() {
            let file = tempfile::tempfile_in(&self.dir).map_err(|e| self.spill_error(e))?;
            *guard = Some(SpillFile { file, len: 0 });
        }
        let Some(spill) = guard.as_mut() else {
            return Err(self.spill_error(std::io::Error::other("spool file missing")));
        };
        let offset = spill.len;
        spill
            .file
            .write_all_at(&bytes, offset)
            .map_err(|e| self.spill_error(e))?;
        spill.len += bytes.len() as u64;
        Ok(Held::Spilled {
            shape,
            offset,
            len: bytes.len(),
        })
    }

    fn unspill(&self, shape: MemberShape, offset: u64, len: usize) -> Result<CompressedMember> {
        let guard = self.spill.lock().unwrap_or_else(|p| p.into_inner());
        let Some(spill) = guard.as_ref() else {
            return Err(self.spill_error(std::io::Error::other("spool file missing")));
        };
        let mut bytes = vec![0u8; len];
        spill
            .file
            .read_exact_at(&mut bytes, offset)
            .map_err(|e| self.spill_error(e))?;
        Ok(shape.rejoin(bytes))
    }
}

/// The job's end of an entry.
pub struct SpoolWriter {
    spools: Arc<Spools>,
    tx: mpsc::UnboundedSender<Message>,
}

impl SpoolWriter {
    pub fn push(&mut self, member: CompressedMember) -> Result<()> {
        let len = member.compressed_len();
        let previous = self.spools.in_memory.fetch_add(len, Ordering::SeqCst);
        let held = if previous + len <= MEMORY_CAP {
            Held::Memory(member)
        } else {
            self.spools.in_memory.fetch_sub(len, Ordering::SeqCst);
            self.spools.spill(member)?
        };
        // A closed channel means the writer gave up (it reports why).
        let _ = self.tx.send(Message::Member(held));
        Ok(())
    }

    pub fn finish(self) -> Result<()> {
        let _ = self.tx.send(Message::End);
        Ok(())
    }
}

/// The archive writer's end of an entry.
pub struct SpoolReader {
    spools: Arc<Spools>,
    rx: mpsc::UnboundedReceiver<Message>,
}

impl SpoolReader {
    /// The next member in order; `None` after the last. A job that ended without
    /// finishing the entry is an error (its own error is reported by the dump).
    pub async fn next(&mut self) -> Result<Option<CompressedMember>> {
        match self.rx.recv().await {
            Some(Message::Member(Held::Memory(m))) => {
                self.spools
                    .in_memory
                    .fetch_sub(m.compressed_len(), Ordering::SeqCst);
                Ok(Some(m))
            }
            Some(Message::Member(Held::Spilled { shape, offset, len })) => {
                self.spools.unspill(shape, offset, len).map(Some)
            }
            Some(Message::End) => Ok(None),
            None => Err(Error::Io {
                path: "table data".into(),
                source: std::io::Error::other("the job producing an entry's data stopped"),
            }),
        }
    }
}
