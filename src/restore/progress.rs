//! The restore progress line on stderr: entries and bytes restored, rate and ETA,
//! drawn at the first event and redrawn at most five times a second, only when stderr is a terminal (and not
//! with `--no-progress`). Messages printed through it clear the line first.

use std::io::{IsTerminal, Write};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

const REDRAW: Duration = Duration::from_millis(200);

#[derive(Clone)]
pub struct Progress {
    inner: Arc<Inner>,
}

struct Inner {
    enabled: bool,
    total_entries: u64,
    total_bytes: u64,
    entries: AtomicU64,
    /// Data bytes sent to the server (decompressed).
    bytes: AtomicU64,
    /// Stored (archive) bytes of the data entries finished so far: the ETA's measure,
    /// comparable with `total_bytes`.
    stored_done: AtomicU64,
    started: Instant,
    /// When the line was last drawn; `None` when nothing is on screen.
    drawn: Mutex<Option<Instant>>,
}

impl Progress {
    /// A progress line for `total_entries` entries and about `total_bytes` bytes of
    /// (stored) data; shown only when `show` and stderr is a terminal.
    pub fn new(total_entries: u64, total_bytes: u64) -> Progress {
        Progress::with_display(total_entries, total_bytes, std::io::stderr().is_terminal())
    }

    pub fn with_display(total_entries: u64, total_bytes: u64, enabled: bool) -> Progress {
        Progress {
            inner: Arc::new(Inner {
                enabled,
                total_entries,
                total_bytes,
                entries: AtomicU64::new(0),
                bytes: AtomicU64::new(0),
                stored_done: AtomicU64::new(0),
                started: Instant::now(),
                drawn: Mutex::new(None),
            }),
        }
    }

    /// No progress line at all (`--no-progress`).
    pub fn disabled() -> Progress {
        Progress::with_display(0, 0, false)
    }

    pub fn entry_done(&self) {
        self.inner.entries.fetch_add(1, Ordering::Relaxed);
        self.maybe_draw(false);
    }

    /// A data entry of `stored` archive bytes is done.
    pub fn data_entry_done(&self, stored: u64) {
        self.inner.stored_done.fetch_add(stored, Ordering::Relaxed);
    }

    pub fn add_bytes(&self, n: u64) {
        self.inner.bytes.fetch_add(n, Ordering::Relaxed);
        self.maybe_draw(false);
    }

    /// Prints a message line (clearing the progress line first).
    pub fn println(&self, msg: &str) {
        let mut stderr = std::io::stderr().lock();
        if self.inner.enabled {
            if let Ok(mut drawn) = self.inner.drawn.lock() {
                if drawn.take().is_some() {
                    let _ = stderr.write_all(b"\r\x1b[2K");
                }
            }
        }
        let _ = writeln!(stderr, "{msg}");
    }

    /// Removes the line at the end.
    pub fn finish(&self) {
        if !self.inner.enabled {
            return;
        }
        if let Ok(mut drawn) = self.inner.drawn.lock() {
            if drawn.take().is_some() {
                let _ = std::io::stderr().write_all(b"\r\x1b[2K");
            }
        }
    }

    fn maybe_draw(&self, force: bool) {
        if !self.inner.enabled {
            return;
        }
        let Ok(mut drawn) = self.inner.drawn.lock() else { return };
        let now = Instant::now();
        // The first event draws at once, so even a short restore shows the line.
        if !force && drawn.is_some_and(|t| now.duration_since(t) < REDRAW) {
            return;
        }
        let line = self.line(now);
        let _ = write!(std::io::stderr(), "\r\x1b[2K{line}");
        *drawn = Some(now);
    }

    fn line(&self, now: Instant) -> String {
        let entries = self.inner.entries.load(Ordering::Relaxed);
        let bytes = self.inner.bytes.load(Ordering::Relaxed);
        let stored = self.inner.stored_done.load(Ordering::Relaxed);
        let elapsed = now.duration_since(self.inner.started).as_secs_f64();
        let total = self.inner.total_bytes;
        let share = match (stored.min(total) * 100).checked_div(total) {
            Some(percent) => format!(" ({percent}% of archive data)"),
            None => String::new(),
        };
        let eta = if stored > 0 && total > stored && elapsed > 0.0 {
            let rate = stored as f64 / elapsed;
            format!(", ETA {}", human_duration((total - stored) as f64 / rate))
        } else {
            String::new()
        };
        format!("restoring: {entries}/{} entries, {} of data sent{share}{eta}", self.inner.total_entries, human_bytes(bytes))
    }
}

pub(crate) fn human_bytes(n: u64) -> String {
    const UNITS: [&str; 5] = ["B", "kB", "MB", "GB", "TB"];
    let mut v = n as f64;
    let mut unit = 0;
    while v >= 1024.0 && unit + 1 < UNITS.len() {
        v /= 1024.0;
        unit += 1;
    }
    if unit == 0 {
        format!("{n} B")
    } else {
        format!("{v:.1} {}", UNITS[unit])
    }
}

pub(crate) fn human_duration(secs: f64) -> String {
    let s = secs.round() as u64;
    if s >= 3600 {
        format!("{}h{:02}m", s / 3600, (s % 3600) / 60)
    } else if s >= 60 {
        format!("{}m{:02}s", s / 60, s % 60)
    } else {
        format!("{s}s")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_shows_entries_bytes_and_eta() {
        let p = Progress::with_display(10, 2048, false);
        p.entry_done();
        p.add_bytes(4096);
        p.data_entry_done(1024);
        let later = p.inner.started + Duration::from_secs(2);
        assert_eq!(p.line(later), "restoring: 1/10 entries, 4.0 kB of data sent (50% of archive data), ETA 2s");
    }
}
