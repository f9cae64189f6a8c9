//! LZ4 frame format (spec §7.2): written with liblz4's frame API and pg_dump's
//! preferences (64 KB linked blocks, no checksums: `04 22 4d 18 40 40 c0`), levels
//! honoured; read by a small frame parser over lz4_flex's block decoder that accepts
//! concatenated and skippable frames (as liblz4's `LZ4F_decompress` does) and treats a
//! stream ending inside a frame as an error.

use std::io::{self, Read, Write};

use super::CompressionSpec;

pub fn encoder<W: Write>(spec: &CompressionSpec, w: W) -> io::Result<lz4::Encoder<W>> {
    lz4::EncoderBuilder::new()
        .level(spec.level.max(0) as u32)
        .block_size(lz4::BlockSize::Max64KB)
        .block_mode(lz4::BlockMode::Linked)
        .checksum(lz4::ContentChecksum::NoChecksum)
        .block_checksum(lz4::liblz4::BlockChecksum::NoBlockChecksum)
        .build(w)
}

pub fn decoder<R: Read>(r: R) -> FrameReader<R> {
    FrameReader {
        r,
        frame: None,
        out: Vec::new(),
        pos: 0,
        window: Vec::new(),
        block: Vec::new(),
    }
}

const MAGIC: u32 = 0x184D_2204;
const WINDOW: usize = 64 * 1024;

#[derive(Clone, Copy)]
struct Frame {
    linked: bool,
    block_checksum: bool,
    content_checksum: bool,
    max_block: usize,
}

/// LZ4 frame decoder; memory is bounded by the frame's maximum block size (≤ 4 MiB).
pub struct FrameReader<R> {
    r: R,
    frame: Option<Frame>,
    out: Vec<u8>,
    pos: usize,
    /// Last 64 KiB of output, the dictionary of linked blocks.
    window: Vec<u8>,
    block: Vec<u8>,
}

fn corrupt(what: &str) -> io::Error {
    io::Error::new(
        io::ErrorKind::InvalidData,
        format!("corrupt LZ4 frame: {what}"),
    )
}

fn truncated() -> io::Error {
    io::Error::new(
        io::ErrorKind::UnexpectedEof,
        "LZ4 stream ends inside a frame",
    )
}

impl<R: Read> FrameReader<R> {
    fn read_exact_or_truncated(&mut self, n: usize) -> io::Result<()> {
        self.block.resize(n, 0);
        self.r.read_exact(&mut self.block).map_err(|e| {
            if e.kind() == io::ErrorKind::UnexpectedEof {
                truncated()
            } else {
                e
            }
        })
    }

    /// Reads a frame header; `false` at a clean end of input.
    fn start_frame(&mut self) -> io::Result<bool> {
        let mut magic = [0u8; 4];
        let mut got = 0;
        while got < 4 {
            match self.r.read(&mut magic[got..]) {
                Ok(0) if got == 0 => return Ok(false),
                Ok(0) => return Err(truncated()),
                Ok(n) => got += n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
        let magic = u32::from_le_bytes(magic);
        if magic & 0xFFFF_FFF0 == 0x184D_2A50 {
            self.read_exact_or_truncated(4)?;
            let len =
                u32::from_le_bytes([self.block[0], self.block[1], self.block[2], self.block[3]]);
            let skipped = io::copy(&mut (&mut self.r).take(u64::from(len)), &mut io::sink())?;
            if skipped != u64::from(len) {
                return Err(truncated());
            }
            return self.start_frame();
        }
        if magic != MAGIC {
            return Err(corrupt(&format!("bad magic number {magic:#010x}")));
        }
        self.read_exact_or_truncated(2)?;
        let (flg, bd) = (self.block[0], self.block[1]);
        if flg >> 6 != 1 {
            return Err(corrupt("unsupported frame version"));
        }
        if flg & 0x01 != 0 {
            return Err(corrupt("dictionary IDs are not supported"));
        }
        let max_block = match (bd >> 4) & 7 {
            4 => 64 * 1024,
            5 => 256 * 1024,
            6 => 1024 * 1024,
            7 => 4 * 1024 * 1024,
            _ => return Err(corrupt("invalid maximum block size")),
        };
        let extra = if flg & 0x08 != 0 { 8 } else { 0 } + 1; // content size, header checksum
        self.read_exact_or_truncated(extra)?;
        self.frame = Some(Frame {
            linked: flg & 0x20 == 0,
            block_checksum: flg & 0x10 != 0,
            content_checksum: flg & 0x04 != 0,
            max_block,
        });
        self.window.clear();
        Ok(true)
    }

    /// Decodes the next block into `out`; `false` at a frame's end mark.
    fn next_block(&mut self, frame: Frame) -> io::Result<bool> {
        self.read_exact_or_truncated(4)?;
        let word = u32::from_le_bytes([self.block[0], self.block[1], self.block[2], self.block[3]]);
        if word == 0 {
            if frame.content_checksum {
                self.read_exact_or_truncated(4)?;
            }
            self.frame = None;
            return Ok(false);
        }
        let len = (word & 0x7FFF_FFFF) as usize;
        if len > frame.max_block {
            return Err(corrupt("block larger than the frame's maximum"));
        }
        self.read_exact_or_truncated(len)?;
        let data = std::mem::take(&mut self.block);
        if word & 0x8000_0000 != 0 {
            self.out.clear();
            self.out.extend_from_slice(&data);
        } else {
            self.out.resize(frame.max_block, 0);
            let n = if frame.linked && !self.window.is_empty() {
                lz4_flex::block::decompress_into_with_dict(&data, &mut self.out, &self.window)
            } else {
                lz4_flex::block::decompress_into(&data, &mut self.out)
            }
            .map_err(|e| corrupt(&e.to_string()))?;
            self.out.truncate(n);
        }
        self.block = data;
        if frame.block_checksum {
            self.read_exact_or_truncated(4)?;
        }
        if frame.linked {
            self.window.extend_from_slice(&self.out);
            if self.window.len() > WINDOW {
                let cut = self.window.len() - WINDOW;
                self.window.drain(..cut);
            }
        }
        self.pos = 0;
        Ok(true)
    }
}

impl<R: Read> Read for FrameReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        loop {
            if self.pos < self.out.len() {
                let n = buf.len().min(self.out.len() - self.pos);
                buf[..n].copy_from_slice(&self.out[self.pos..self.pos + n]);
                self.pos += n;
                return Ok(n);
            }
            if buf.is_empty() {
                return Ok(0);
            }
            match self.frame {
                None => {
                    if !self.start_frame()? {
                        return Ok(0);
                    }
                }
                Some(frame) => {
                    self.out.clear();
                    self.pos = 0;
                    self.next_block(frame)?;
                }
            }
        }
    }
}

/// One complete frame of `data` (a member for concatenation).
pub fn compress_frame(spec: &CompressionSpec, data: &[u8]) -> io::Result<Vec<u8>> {
    let mut e = encoder(spec, Vec::with_capacity(data.len() / 2 + 64))?;
    e.write_all(data)?;
    let (out, r) = e.finish();
    r.map(|()| out)
}
