//! ustar header blocks as pg_dump writes them (§6.2) and as pg_restore accepts them
//! (POSIX, GNU and old pg_dump magic; octal or GNU base-256 numbers).

use super::BLOCK;

/// A parsed member header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MemberHeader {
    pub name: String,
    pub size: u64,
}

/// Why a block is not a member header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HeaderProblem {
    /// All 512 bytes are zero (end-of-archive marker).
    Zero,
    BadChecksum {
        stored: Option<u64>,
        computed: u64,
    },
    BadMagic,
    BadSize,
}

/// Sum of the block with the checksum field counted as spaces.
pub fn checksum(block: &[u8; BLOCK]) -> u64 {
    block
        .iter()
        .enumerate()
        .map(|(i, &b)| {
            if (148..156).contains(&i) {
                32
            } else {
                u64::from(b)
            }
        })
        .sum()
}

/// An octal field (leading spaces, digits, terminated by space/NUL) or GNU base-256.
pub fn parse_number(field: &[u8]) -> Option<u64> {
    if field.first().is_some_and(|b| b & 0x80 != 0) {
        // Base-256: the remaining bits big-endian. Negative values (0xff) are rejected.
        if field[0] == 0xff {
            return None;
        }
        let mut v: u64 = u64::from(field[0] & 0x7f);
        for &b in &field[1..] {
            v = v.checked_mul(256)?.checked_add(u64::from(b))?;
        }
        return Some(v);
    }
    let s: Vec<u8> = field
        .iter()
        .copied()
        .skip_while(|&b| b == b' ')
        .take_while(|&b| b != b' ' && b != 0)
        .collect();
    if s.is_empty() {
        return Some(0);
    }
    let mut v: u64 = 0;
    for b in s {
        if !(b'0'..=b'7').contains(&b) {
            return None;
        }
        v = v.checked_mul(8)?.checked_add(u64::from(b - b'0'))?;
    }
    Some(v)
}

/// Parses a header block. `first` demands a recognised magic too (format detection).
pub fn parse(block: &[u8; BLOCK], first: bool) -> Result<MemberHeader, HeaderProblem> {
    if block.iter().all(|&b| b == 0) {
        return Err(HeaderProblem::Zero);
    }
    let computed = checksum(block);
    let stored = parse_number(&block[148..156]);
    if stored != Some(computed) {
        return Err(HeaderProblem::BadChecksum { stored, computed });
    }
    if first {
        let magic = &block[257..265];
        if magic != b"ustar\x0000" && magic != b"ustar  \x00" && magic != b"ustar00\x00" {
            return Err(HeaderProblem::BadMagic);
        }
    }
    let name_end = block[..100].iter().position(|&b| b == 0).unwrap_or(100);
    let name = String::from_utf8_lossy(&block[..name_end]).into_owned();
    let size = parse_number(&block[124..136]).ok_or(HeaderProblem::BadSize)?;
    Ok(MemberHeader { name, size })
}

fn octal(field: &mut [u8], v: u64) {
    // n−1 octal digits then a space, as pg_dump writes; base-256 when it does not fit.
    let digits = field.len() - 1;
    if digits < 22 && v >= 1u64 << (3 * digits) {
        field.fill(0);
        field[0] = 0x80;
        let mut x = v;
        for b in field[1..].iter_mut().rev() {
            *b = (x & 0xff) as u8;
            x >>= 8;
        }
        return;
    }
    let s = format!("{v:0digits$o} ");
    field.copy_from_slice(s.as_bytes());
}

/// Builds a header block for a regular file (pg_dump's field values, §6.2).
pub fn build(name: &str, size: u64, mtime: u64) -> Result<[u8; BLOCK], String> {
    if name.len() > 99 {
        return Err(format!(
            "tar member name \"{name}\" is longer than 99 bytes"
        ));
    }
    let mut h = [0u8; BLOCK];
    h[..name.len()].copy_from_slice(name.as_bytes());
    octal(&mut h[100..108], 0o600);
    octal(&mut h[108..116], 0o4000);
    octal(&mut h[116..124], 0o2000);
    octal(&mut h[124..136], size);
    octal(&mut h[136..148], mtime);
    h[156] = b'0';
    h[257..263].copy_from_slice(b"ustar\0");
    h[263..265].copy_from_slice(b"00");
    h[265..273].copy_from_slice(b"postgres");
    h[297..305].copy_from_slice(b"postgres");
    octal(&mut h[329..337], 0);
    octal(&mut h[337..345], 0);
    let sum = checksum(&h);
    octal(&mut h[148..156], sum);
    Ok(h)
}

/// Zero padding after `size` data bytes.
pub fn padding(size: u64) -> usize {
    ((BLOCK as u64 - size % BLOCK as u64) % BLOCK as u64) as usize
}
