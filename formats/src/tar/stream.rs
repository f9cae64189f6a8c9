//! Reads a tar archive from a non-seekable stream (stdin), strictly forward as
//! pg_restore does: members are skipped until the requested one; a member already
//! passed cannot be read ("restoring data out of order is not supported"). One member
//! is open at a time; opening the next one invalidates the previous reader.

use std::collections::HashSet;
use std::io::{self, Read};
use std::sync::{Arc, Mutex, MutexGuard};

use super::header::{self, HeaderProblem};
use super::BLOCK;
use crate::archive::{Blob, DataReader, WithContext};
use crate::codec::{read_header, read_toc, ByteReader, ExtraKind};
use crate::error::{EntryRef, Error, Result};
use crate::model::{DataLocation, Desc, DumpId, FormatCode, Toc, TocEntry};
use crate::version::ArchiveVersion;

type Input = Box<dyn Read + Send>;

struct State {
    input: Input,
    pos: u64,
    /// Data bytes left in the current member, then its padding.
    left: u64,
    padding: u64,
    generation: u64,
    passed: HashSet<String>,
    /// A header read but not yet consumed (the member after a blob run).
    peeked: Option<(String, u64)>,
    at_end: bool,
    label: String,
}

fn lock(state: &Mutex<State>) -> MutexGuard<'_, State> {
    state.lock().unwrap_or_else(|p| p.into_inner())
}

impl State {
    fn read_exact(&mut self, buf: &mut [u8], what: &str) -> Result<bool> {
        let mut got = 0;
        while got < buf.len() {
            match self.input.read(&mut buf[got..]) {
                Ok(0) if got == 0 => return Ok(false),
                Ok(0) => {
                    return Err(Error::Truncated {
                        file: self.label.clone(),
                        offset: self.pos + got as u64,
                        what: what.into(),
                    })
                }
                Ok(n) => got += n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(Error::io(&self.label, e)),
            }
        }
        self.pos += buf.len() as u64;
        Ok(true)
    }

    fn skip(&mut self, mut n: u64, what: &str) -> Result<()> {
        let mut scratch = [0u8; 8192];
        while n > 0 {
            let k = n.min(scratch.len() as u64) as usize;
            if !self.read_exact(&mut scratch[..k], what)? {
                return Err(Error::Truncated {
                    file: self.label.clone(),
                    offset: self.pos,
                    what: what.into(),
                });
            }
            n -= k as u64;
        }
        Ok(())
    }

    /// Skips the rest of the current member and reads the next header.
    fn next_member(&mut self) -> Result<Option<(String, u64)>> {
        if let Some(p) = self.peeked.take() {
            return Ok(Some(p));
        }
        let rest = self.left + self.padding;
        self.left = 0;
        self.padding = 0;
        self.skip(rest, "tar member data")?;
        let first = self.pos == 0;
        loop {
            if self.at_end {
                return Ok(None);
            }
            let at = self.pos;
            let mut block = [0u8; BLOCK];
            if !self.read_exact(&mut block, "tar header")? {
                self.at_end = true;
                return Ok(None);
            }
            match header::parse(&block, first) {
                Ok(h) => {
                    self.left = h.size;
                    self.padding = header::padding(h.size) as u64;
                    return Ok(Some((h.name, h.size)));
                }
                Err(HeaderProblem::Zero) => continue,
                Err(_) if first => {
                    return Err(Error::BadMagic {
                        file: self.label.clone(),
                        detail: "input file does not appear to be a valid archive".into(),
                    })
                }
                Err(p) => {
                    return Err(Error::Corrupt {
                        file: self.label.clone(),
                        offset: at,
                        detail: format!("corrupt tar header found ({p:?})"),
                    })
                }
            }
        }
    }

    fn read_member(&mut self, buf: &mut [u8]) -> Result<usize> {
        let k = (buf.len() as u64).min(self.left) as usize;
        if k == 0 {
            return Ok(0);
        }
        if !self.read_exact(&mut buf[..k], "tar member data")? {
            return Err(Error::Truncated {
                file: self.label.clone(),
                offset: self.pos,
                what: "tar member data".into(),
            });
        }
        self.left -= k as u64;
        Ok(k)
    }
}

pub struct TarStreamReader {
    label: String,
    toc: Toc,
    state: Arc<Mutex<State>>,
}

impl TarStreamReader {
    /// Reads forward to `toc.dat` and parses it.
    pub fn new(input: Input, label: impl Into<String>) -> Result<Self> {
        let label = label.into();
        let mut st = State {
            input,
            pos: 0,
            left: 0,
            padding: 0,
            generation: 0,
            passed: HashSet::new(),
            peeked: None,
            at_end: false,
            label: label.clone(),
        };
        loop {
            match st.next_member()? {
                None => {
                    return Err(Error::BadMagic {
                        file: label,
                        detail: "could not find header for file \"toc.dat\" in tar archive".into(),
                    })
                }
                Some((name, size)) if name == "toc.dat" => {
                    let mut toc_bytes = Vec::with_capacity(size.min(1 << 20) as usize);
                    let mut buf = [0u8; 8192];
                    loop {
                        let n = st.read_member(&mut buf)?;
                        if n == 0 {
                            break;
                        }
                        toc_bytes.extend_from_slice(&buf[..n]);
                    }
                    st.passed.insert(name);
                    let toc_label = format!("{label}:toc.dat");
                    let mut r = ByteReader::new(
                        &toc_bytes[..],
                        toc_label.clone(),
                        0,
                        Some(toc_bytes.len() as u64),
                    );
                    let header = read_header(&mut r)?;
                    if header.format != FormatCode::Tar {
                        return Err(Error::Corrupt {
                            file: toc_label,
                            offset: 10,
                            detail: format!(
                                "expected format (3) differs from format found in file ({})",
                                header.format.to_byte()
                            ),
                        });
                    }
                    let entries = read_toc(&mut r, ExtraKind::FileName)?;
                    return Ok(TarStreamReader {
                        label,
                        toc: Toc { header, entries },
                        state: Arc::new(Mutex::new(st)),
                    });
                }
                Some((name, _)) => {
                    st.passed.insert(name);
                }
            }
        }
    }

    pub fn toc(&self) -> &Toc {
        &self.toc
    }

    fn entry(&self, dump_id: DumpId) -> Result<&TocEntry> {
        self.toc
            .entries
            .iter()
            .find(|e| e.dump_id == dump_id)
            .ok_or_else(|| Error::NoSuchEntry {
                file: self.label.clone(),
                dump_id,
            })
    }

    /// Moves forward to the member `name` (or, with `prefix`, to the first member whose
    /// name starts with it).
    fn seek_member(
        &self,
        st: &mut State,
        name: &str,
        prefix: bool,
        entry: &TocEntry,
    ) -> Result<Option<String>> {
        st.generation += 1;
        if !prefix && st.passed.contains(name) {
            return Err(Error::OutOfOrder {
                file: self.label.clone(),
                member: name.into(),
                entry: EntryRef::of(entry),
            });
        }
        loop {
            match st.next_member()? {
                None => return Ok(None),
                Some((m, _)) if (prefix && m.starts_with(name)) || m == name => {
                    st.passed.insert(m.clone());
                    return Ok(Some(m));
                }
                Some((m, _)) => {
                    st.passed.insert(m);
                }
            }
        }
    }

    pub fn open_data(&self, dump_id: DumpId) -> Result<DataReader> {
        let entry = self.entry(dump_id)?;
        if entry.desc == Desc::Blobs {
            return Err(Error::Unsupported(format!(
                "{}: large objects are read with open_blobs",
                EntryRef::of(entry)
            )));
        }
        let name = match &entry.data_location {
            DataLocation::File(n) if n.is_empty() => return Ok(Box::new(io::empty())),
            DataLocation::File(n) => String::from_utf8_lossy(n).into_owned(),
            DataLocation::Custom(_) => {
                return Err(Error::Unsupported(format!(
                    "{}: not a tar-format entry",
                    EntryRef::of(entry)
                )))
            }
        };
        let mut st = lock(&self.state);
        if self.seek_member(&mut st, &name, false, entry)?.is_none() {
            return Err(Error::MissingMember {
                file: self.label.clone(),
                member: name,
                entry: EntryRef::of(entry),
            });
        }
        let r = StreamMember {
            state: self.state.clone(),
            generation: st.generation,
            entry: EntryRef::of(entry),
        };
        Ok(Box::new(WithContext::new(
            r,
            format!("{}:{name}", self.label),
            EntryRef::of(entry),
        )))
    }

    /// Large objects: 1.16 from `blob_<first OID of the tag>.dat`, older archives from the
    /// next `blob_` member; then every directly following `blob_` member.
    pub fn open_blobs(&self, dump_id: DumpId) -> Result<TarStreamBlobs> {
        let entry = self.entry(dump_id)?;
        let mut st = lock(&self.state);
        let (start, prefix) = if self.toc.header.version >= ArchiveVersion::V1_16 {
            let tag =
                String::from_utf8_lossy(entry.tag.as_deref().unwrap_or_default()).into_owned();
            let first: String = tag.chars().take_while(char::is_ascii_digit).collect();
            (format!("blob_{first}.dat"), false)
        } else {
            ("blob_".to_string(), true)
        };
        let Some(found) = self.seek_member(&mut st, &start, prefix, entry)? else {
            return Err(Error::MissingMember {
                file: self.label.clone(),
                member: start,
                entry: EntryRef::of(entry),
            });
        };
        Ok(TarStreamBlobs {
            state: self.state.clone(),
            generation: st.generation,
            first: Some(found),
            entry: EntryRef::of(entry),
            label: self.label.clone(),
        })
    }
}

struct StreamMember {
    state: Arc<Mutex<State>>,
    generation: u64,
    entry: EntryRef,
}

impl Read for StreamMember {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let mut st = lock(&self.state);
        if st.generation != self.generation {
            return Err(Error::Unsupported(format!(
                "{}: its member was closed by opening another entry (the input cannot seek)",
                self.entry
            ))
            .into_io());
        }
        st.read_member(buf).map_err(Error::into_io)
    }
}

/// Large objects of a tar archive read from a stream.
pub struct TarStreamBlobs {
    state: Arc<Mutex<State>>,
    generation: u64,
    /// The first large object's member, already positioned at.
    first: Option<String>,
    entry: EntryRef,
    label: String,
}

impl TarStreamBlobs {
    pub fn next_blob(&mut self) -> Result<Option<Blob<'_>>> {
        let mut st = lock(&self.state);
        if st.generation != self.generation {
            return Err(Error::Unsupported(format!(
                "{}: closed by opening another entry (the input cannot seek)",
                self.entry
            )));
        }
        let name = match self.first.take() {
            Some(n) => n,
            None => match st.next_member()? {
                Some((n, _)) if n.starts_with("blob_") => {
                    st.passed.insert(n.clone());
                    n
                }
                Some(other) => {
                    // Not a large object: leave it for the next open.
                    st.peeked = Some(other);
                    st.generation += 1;
                    return Ok(None);
                }
                None => return Ok(None),
            },
        };
        let digits: String = name
            .trim_start_matches("blob_")
            .chars()
            .take_while(char::is_ascii_digit)
            .collect();
        let oid: u32 = digits.parse().map_err(|_| Error::Corrupt {
            file: self.label.clone(),
            offset: st.pos,
            detail: format!(
                "{}: invalid large object member name \"{name}\"",
                self.entry
            ),
        })?;
        drop(st);
        let r = StreamMember {
            state: self.state.clone(),
            generation: self.generation,
            entry: self.entry.clone(),
        };
        Ok(Some(Blob {
            oid,
            data: Box::new(WithContext::new(
                r,
                format!("{}:{name}", self.label),
                self.entry.clone(),
            )),
        }))
    }
}
