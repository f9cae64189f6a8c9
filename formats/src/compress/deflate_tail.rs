//! Makes a complete raw deflate stream (RFC 1951, as libdeflate writes it) into a
//! sync-flushed piece that concatenates with others into one stream: the block walk
//! finds the final block, its BFINAL bit is cleared and the piece ends in an empty
//! stored block, exactly what zlib's `Z_SYNC_FLUSH` leaves.
//!
//! libdeflate compresses a whole buffer at once and always ends with a final block; it
//! has no flush modes. Finding that block means decoding the Huffman symbols of every
//! block before it, without producing output: a small fraction of compression's cost.

use std::sync::OnceLock;

/// Why a stream could not be walked; libdeflate's output never triggers it.
#[derive(Debug)]
pub struct MalformedDeflate(&'static str);

impl std::fmt::Display for MalformedDeflate {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "malformed deflate stream: {}", self.0)
    }
}

impl std::error::Error for MalformedDeflate {}

type Walk<T> = std::result::Result<T, MalformedDeflate>;

/// The empty stored block a sync flush writes, after its 3 header bits and the padding.
const STORED_EMPTY_LEN: [u8; 4] = [0x00, 0x00, 0xff, 0xff];

/// A sync-flushed piece for empty input: an empty non-final stored block.
pub const EMPTY_PIECE: [u8; 5] = [0x00, 0x00, 0x00, 0xff, 0xff];

/// Rewrites `stream`, one complete deflate stream, into a non-final, byte-aligned piece.
pub fn unfinalize(stream: &mut Vec<u8>) -> Walk<()> {
    let (final_header, end) = final_block(stream)?;
    stream[final_header >> 3] &= !(1u8 << (final_header & 7));
    // The empty stored block's 3 header bits (all zero) follow the final block's last
    // bit; zero padding up to the byte boundary, then LEN and NLEN.
    let header_end = end + 3;
    stream.truncate(end.div_ceil(8));
    if end & 7 != 0 {
        if let Some(last) = stream.last_mut() {
            *last &= (1u8 << (end & 7)) - 1;
        }
    }
    stream.resize(header_end.div_ceil(8), 0);
    stream.extend_from_slice(&STORED_EMPTY_LEN);
    Ok(())
}

/// Bit positions of the final block's header and of the stream's end.
fn final_block(data: &[u8]) -> Walk<(usize, usize)> {
    let mut bits = Bits::new(data);
    loop {
        let header = bits.pos();
        let is_final = bits.take(1)? == 1;
        match bits.take(2)? {
            0 => {
                bits.align();
                let len = bits.take(16)?;
                let nlen = bits.take(16)?;
                if len != !nlen & 0xffff {
                    return Err(MalformedDeflate("stored block length check"));
                }
                bits.skip_bytes(len as usize)?;
            }
            1 => {
                let (lit, dist) = fixed_codes()?;
                skip_symbols(&mut bits, lit, dist)?;
            }
            2 => {
                let (lit, dist) = dynamic_codes(&mut bits)?;
                skip_symbols(&mut bits, &lit, &dist)?;
            }
            _ => return Err(MalformedDeflate("reserved block type")),
        }
        if is_final {
            return Ok((header, bits.pos()));
        }
    }
}

/// Least-significant-bit-first reader (deflate's bit order) over a 64-bit buffer;
/// bits past the end read as zeros, and consuming them is an error.
struct Bits<'a> {
    data: &'a [u8],
    /// The next byte to load into `buf`.
    next: usize,
    buf: u64,
    /// Valid bits in `buf`.
    count: u32,
}

impl<'a> Bits<'a> {
    fn new(data: &'a [u8]) -> Self {
        Bits {
            data,
            next: 0,
            buf: 0,
            count: 0,
        }
    }

    /// Bit position of the next unread bit.
    fn pos(&self) -> usize {
        self.next * 8 - self.count as usize
    }

    /// Tops the buffer up to at least 56 bits (zeros past the end).
    #[inline]
    fn refill(&mut self) {
        if let Some(eight) = self.data.get(self.next..self.next + 8) {
            let mut b = [0u8; 8];
            b.copy_from_slice(eight);
            self.buf |= u64::from_le_bytes(b) << self.count;
            self.next += ((63 - self.count) >> 3) as usize;
            self.count |= 56;
        } else {
            while self.count < 56 {
                let byte = self.data.get(self.next).copied().unwrap_or(0);
                self.buf |= u64::from(byte) << self.count;
                self.next += 1;
                self.count += 8;
            }
        }
    }

    /// The next `n` (≤ 56) bits, not consumed; call after `refill`.
    #[inline]
    fn peek(&self, n: u32) -> u32 {
        (self.buf & ((1u64 << n) - 1)) as u32
    }

    /// Consumes `n` bits that are in the buffer.
    #[inline]
    fn consume(&mut self, n: u32) {
        self.buf >>= n;
        self.count -= n;
    }

    /// Takes `n` (≤ 32) bits.
    #[inline]
    fn take(&mut self, n: u32) -> Walk<u32> {
        if self.count < n {
            self.refill();
        }
        let v = self.peek(n);
        self.consume(n);
        self.check()?;
        Ok(v)
    }

    /// Skips to the next byte boundary.
    fn align(&mut self) {
        let n = self.count & 7;
        self.consume(n);
    }

    /// Skips `n` whole bytes at a byte boundary.
    fn skip_bytes(&mut self, n: usize) -> Walk<()> {
        let target = self.pos() + n * 8;
        self.buf = 0;
        self.count = 0;
        self.next = target / 8;
        self.check()
    }

    /// Whether everything consumed so far lies inside the data.
    #[inline]
    fn check(&self) -> Walk<()> {
        if self.pos() > self.data.len() * 8 {
            return Err(MalformedDeflate("stream ends inside a block"));
        }
        Ok(())
    }
}

/// Bits the first-level table of a [`Code`] looks at.
const PRIMARY_BITS: u32 = 10;
/// A [`Code`] entry pointing at a second-level table (the rest holds its offset).
const SUBTABLE: u32 = 0x80;

/// A canonical Huffman code as lookup tables: the first level indexed by the next
/// [`PRIMARY_BITS`] bits, second levels for longer codes (small tables keep building
/// them per block cheap). Entries are `symbol << 8 | length` (0 = no code) or
/// `offset << 8 | SUBTABLE`.
struct Code {
    table: Vec<u32>,
    primary_bits: u32,
    sub_bits: u32,
}

impl Code {
    fn new(lengths: &[u8]) -> Walk<Code> {
        let max_len = u32::from(lengths.iter().copied().max().unwrap_or(0));
        if max_len > 15 {
            return Err(MalformedDeflate("code length above 15"));
        }
        let primary_bits = max_len.min(PRIMARY_BITS);
        let sub_bits = max_len - primary_bits;
        let mut count = [0u16; 16];
        for &l in lengths {
            count[usize::from(l)] += 1;
        }
        count[0] = 0;
        let mut next = [0u32; 16];
        let mut code = 0u32;
        for len in 1..16 {
            code = (code + u32::from(count[len - 1])) << 1;
            next[len] = code;
        }
        let mut table = vec![0u32; 1usize << primary_bits];
        for (symbol, &len) in lengths.iter().enumerate() {
            if len == 0 {
                continue;
            }
            let len = u32::from(len);
            let c = next[len as usize];
            next[len as usize] += 1;
            if c >= 1 << len {
                return Err(MalformedDeflate("over-subscribed Huffman code"));
            }
            let reversed = (c.reverse_bits() >> (32 - len)) as usize;
            let entry = (symbol as u32) << 8 | len;
            let (start, stride, end) = if len <= primary_bits {
                (reversed, 1usize << len, 1usize << primary_bits)
            } else {
                let prefix = reversed & ((1 << primary_bits) - 1);
                if table[prefix] & SUBTABLE == 0 {
                    table[prefix] = (table.len() as u32) << 8 | SUBTABLE;
                    table.resize(table.len() + (1 << sub_bits), 0);
                }
                let base = (table[prefix] >> 8) as usize;
                (
                    base + (reversed >> primary_bits),
                    1usize << (len - primary_bits),
                    base + (1 << sub_bits),
                )
            };
            let mut i = start;
            while i < end {
                table[i] = entry;
                i += stride;
            }
        }
        Ok(Code {
            table,
            primary_bits,
            sub_bits,
        })
    }

    /// Decodes one symbol; the buffer must hold at least 15 bits.
    #[inline]
    fn decode(&self, bits: &mut Bits<'_>) -> Walk<u16> {
        let mut entry = self.table[bits.peek(self.primary_bits) as usize];
        if entry & SUBTABLE != 0 {
            let rest = (bits.buf >> self.primary_bits) as usize & ((1 << self.sub_bits) - 1);
            entry = self.table[(entry >> 8) as usize + rest];
        }
        let len = entry & 0xff;
        if len == 0 {
            return Err(MalformedDeflate("invalid Huffman code"));
        }
        bits.consume(len);
        Ok((entry >> 8) as u16)
    }
}

fn fixed_codes() -> Walk<(&'static Code, &'static Code)> {
    static FIXED: OnceLock<Option<(Code, Code)>> = OnceLock::new();
    FIXED
        .get_or_init(|| {
            let mut lit = [8u8; 288];
            lit[144..256].fill(9);
            lit[256..280].fill(7);
            Some((Code::new(&lit).ok()?, Code::new(&[5u8; 32]).ok()?))
        })
        .as_ref()
        .map(|(lit, dist)| (lit, dist))
        .ok_or(MalformedDeflate("fixed Huffman codes"))
}

fn dynamic_codes(bits: &mut Bits<'_>) -> Walk<(Code, Code)> {
    const ORDER: [usize; 19] = [
        16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1, 15,
    ];
    let hlit = bits.take(5)? as usize + 257;
    let hdist = bits.take(5)? as usize + 1;
    let hclen = bits.take(4)? as usize + 4;
    let mut clen = [0u8; 19];
    for &i in &ORDER[..hclen] {
        clen[i] = bits.take(3)? as u8;
    }
    let clen_code = Code::new(&clen)?;
    let mut lengths = [0u8; 320];
    let mut n = 0;
    while n < hlit + hdist {
        bits.refill();
        let (value, repeat) = match clen_code.decode(bits)? {
            sym @ 0..=15 => (sym as u8, 1),
            16 => {
                let prev = match n.checked_sub(1) {
                    Some(p) => lengths[p],
                    None => return Err(MalformedDeflate("repeat with no previous length")),
                };
                (prev, 3 + bits.take(2)? as usize)
            }
            17 => (0, 3 + bits.take(3)? as usize),
            _ => (0, 11 + bits.take(7)? as usize),
        };
        if n + repeat > hlit + hdist {
            return Err(MalformedDeflate("code lengths overrun"));
        }
        lengths[n..n + repeat].fill(value);
        n += repeat;
    }
    Ok((
        Code::new(&lengths[..hlit])?,
        Code::new(&lengths[hlit..hlit + hdist])?,
    ))
}

/// Extra bits of length symbols 257..=285.
const LENGTH_EXTRA: [u8; 29] = [
    0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0,
];
/// Extra bits of distance symbols 0..=29.
const DIST_EXTRA: [u8; 30] = [
    0, 0, 0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7, 8, 8, 9, 9, 10, 10, 11, 11, 12, 12, 13,
    13,
];

/// Walks one block's symbols up to its end-of-block.
fn skip_symbols(bits: &mut Bits<'_>, lit: &Code, dist: &Code) -> Walk<()> {
    loop {
        // 56 bits hold a literal/length code (15), its extra bits (5), a distance
        // code (15) and its extra bits (13).
        bits.refill();
        bits.check()?;
        let symbol = lit.decode(bits)?;
        if symbol < 256 {
            continue;
        }
        if symbol == 256 {
            return bits.check();
        }
        let extra = LENGTH_EXTRA
            .get(usize::from(symbol) - 257)
            .ok_or(MalformedDeflate("invalid length symbol"))?;
        bits.consume(u32::from(*extra));
        let d = dist.decode(bits)?;
        let extra = DIST_EXTRA
            .get(usize::from(d))
            .ok_or(MalformedDeflate("invalid distance symbol"))?;
        bits.consume(u32::from(*extra));
        bits.check()?;
    }
}

#[cfg(test)]
mod tests {
    use std::io::Read;

    use super::*;

    /// Deterministic test data: text-like runs, incompressible bytes and long repeats,
    /// so libdeflate uses dynamic, fixed and stored blocks.
    fn sample(kind: u32, len: usize) -> Vec<u8> {
        let mut state = 0x9e37_79b9_u32.wrapping_mul(kind + 1);
        let mut next = || {
            state ^= state << 13;
            state ^= state >> 17;
            state ^= state << 5;
            state
        };
        (0..len)
            .map(|i| match kind {
                0 => b"lorem ipsum dolor sit amet 0123456789\t\\N\n"[(next() % 41) as usize],
                1 => next() as u8,
                2 => b' ',
                _ => {
                    if (i / 5000) % 2 == 0 {
                        next() as u8
                    } else {
                        b"row\t42\tvalue\n"[i % 13]
                    }
                }
            })
            .collect()
    }

    fn compress(level: i32, data: &[u8]) -> Vec<u8> {
        let mut c =
            libdeflater::Compressor::new(libdeflater::CompressionLvl::new(level).expect("level"));
        let mut out = vec![0u8; c.deflate_compress_bound(data.len())];
        let n = c.deflate_compress(data, &mut out).expect("compress");
        out.truncate(n);
        out
    }

    #[test]
    fn unfinalized_pieces_concatenate_into_one_stream() {
        for level in [1, 6, 12] {
            for kind in 0..4 {
                let mut raw = Vec::new();
                let mut stream = Vec::new();
                for len in [1usize, 7, 300, 70_000, 400_000] {
                    let data = sample(kind + len as u32, len);
                    let mut piece = compress(level, &data);
                    unfinalize(&mut piece).expect("walk");
                    assert_eq!(piece[piece.len() - 4..], STORED_EMPTY_LEN);
                    stream.extend_from_slice(&piece);
                    raw.extend_from_slice(&data);
                }
                stream.extend_from_slice(&[0x03, 0x00]);
                let mut back = Vec::new();
                flate2::read::DeflateDecoder::new(&stream[..])
                    .read_to_end(&mut back)
                    .expect("inflate");
                assert!(
                    back == raw,
                    "level {level}, kind {kind}: round trip differs"
                );
            }
        }
    }

    #[test]
    fn empty_piece_is_a_sync_flush() {
        let mut stream = EMPTY_PIECE.to_vec();
        stream.extend_from_slice(&[0x03, 0x00]);
        let mut back = Vec::new();
        flate2::read::DeflateDecoder::new(&stream[..])
            .read_to_end(&mut back)
            .expect("inflate");
        assert!(back.is_empty());
    }

    #[test]
    fn truncated_stream_is_an_error() {
        let data = sample(0, 100_000);
        let mut piece = compress(6, &data);
        piece.truncate(piece.len() / 2);
        assert!(unfinalize(&mut piece).is_err());
    }
}
