//! LZ4 frame format (spec §7.2): written with liblz4's frame API and pg_dump's
//! preferences (64 KB linked blocks, no checksums: `04 22 4d 18 40 40 c0`), levels
//! honoured; read with lz4_flex, which accepts concatenated frames.

use std::io::{self, Read, Write};

use super::CompressionSpec;

pub fn encoder<W: Write>(spec: &CompressionSpec, w: W) -> io::Result<lz4::Encoder<W>> {
    lz4::EncoderBuilder::new()
        .level(spec.level.max(0) as u32)
        .block_size(lz4::BlockSize::Max64KB)
        .block_mode(lz4::BlockMode::Linked)
        .checksum(lz4::ContentChecksum::NoChecksum)
        .build(w)
}

pub fn decoder<R: Read>(r: R) -> lz4_flex::frame::FrameDecoder<R> {
    lz4_flex::frame::FrameDecoder::new(r)
}

/// One complete frame of `data` (a member for concatenation).
pub fn compress_frame(spec: &CompressionSpec, data: &[u8]) -> io::Result<Vec<u8>> {
    let mut e = encoder(spec, Vec::with_capacity(data.len() / 2 + 64))?;
    e.write_all(data)?;
    let (out, r) = e.finish();
    r.map(|()| out)
}
