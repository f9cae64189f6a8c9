//! Micro-benchmark of archive-data compressors: pgark's members (what `pgark dump`
//! produces today) against alternative encoders and stock pg_dump's shape (one stream
//! per entry), on COPY text saved from real tables (see `run.sh`).
//!
//! Every figure is single-threaded: raw MB per second of this thread's CPU time (the
//! machine is shared, so wall time would measure the neighbours) and the compressed
//! size as a percentage of the raw size.

use std::io::Write;
use std::time::Duration;

use pgark_formats::compress::member::CompressedMember;
use pgark_formats::compress::{CompressionAlgorithm, CompressionSpec, Container};

/// CPU time of the calling thread.
fn thread_cpu() -> Duration {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: clock_gettime writes one timespec into the pointer it is given.
    unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut ts) };
    Duration::new(ts.tv_sec as u64, ts.tv_nsec as u32)
}

struct Row {
    name: String,
    cpu: Duration,
    compressed: usize,
}

/// Runs `compress` over every block (it returns the compressed length) and times it.
fn measure(name: &str, blocks: &[&[u8]], mut compress: impl FnMut(&[u8]) -> usize) -> Row {
    // One warm-up block so allocators and lazy tables do not count.
    if let Some(first) = blocks.first() {
        compress(first);
    }
    let start = thread_cpu();
    let compressed = blocks.iter().map(|b| compress(b)).sum();
    Row {
        name: name.to_string(),
        cpu: thread_cpu() - start,
        compressed,
    }
}

fn spec(algorithm: CompressionAlgorithm, level: i32) -> CompressionSpec {
    CompressionSpec {
        level,
        ..CompressionSpec::default_for(algorithm)
    }
}

fn member(spec: CompressionSpec, container: Container) -> impl FnMut(&[u8]) -> usize {
    move |b| {
        CompressedMember::compress(&spec, container, b)
            .expect("compress member")
            .compressed_len()
    }
}

fn zlib_rs_sync_flushed(level: u32) -> impl FnMut(&[u8]) -> usize {
    move |b| {
        let mut c = flate2::Compress::new(flate2::Compression::new(level), false);
        let mut out = Vec::with_capacity(b.len() + 1024);
        c.compress_vec(b, &mut out, flate2::FlushCompress::Sync)
            .expect("deflate");
        out.len()
    }
}

fn libdeflate(level: i32) -> impl FnMut(&[u8]) -> usize {
    let mut c =
        libdeflater::Compressor::new(libdeflater::CompressionLvl::new(level).expect("level"));
    let mut out = Vec::new();
    move |b| {
        out.resize(c.deflate_compress_bound(b.len()), 0);
        c.deflate_compress(b, &mut out).expect("libdeflate")
    }
}

fn zstd_bulk(level: i32, checksum: bool) -> impl FnMut(&[u8]) -> usize {
    let mut c = zstd::bulk::Compressor::new(level).expect("zstd context");
    c.include_checksum(checksum).expect("checksum flag");
    let mut out = Vec::new();
    move |b| {
        out.clear();
        out.reserve(zstd::zstd_safe::compress_bound(b.len()));
        c.compress_to_buffer(b, &mut out).expect("zstd")
    }
}

fn lz4_block_frame() -> impl FnMut(&[u8]) -> usize {
    move |b| lz4_flex::frame::FrameEncoder::new(Vec::new()).pipe(b)
}

trait Pipe {
    fn pipe(self, b: &[u8]) -> usize;
}
impl Pipe for lz4_flex::frame::FrameEncoder<Vec<u8>> {
    fn pipe(mut self, b: &[u8]) -> usize {
        self.write_all(b).expect("lz4_flex");
        self.finish().expect("lz4_flex").len()
    }
}

/// Stock pg_dump's shape: the whole entry as one stream, fed in pieces like COPY rows.
fn one_stream(name: &str, data: &[u8], mut stream: impl FnMut(&[u8]) -> usize) -> Row {
    let start = thread_cpu();
    let compressed = stream(data);
    Row {
        name: name.to_string(),
        cpu: thread_cpu() - start,
        compressed,
    }
}

fn main() {
    let mut args: Vec<String> = std::env::args().skip(1).collect();
    let mut block = 1usize << 20;
    if let Some(i) = args.iter().position(|a| a == "--block") {
        block = args
            .get(i + 1)
            .and_then(|v| v.parse().ok())
            .expect("--block BYTES");
        args.drain(i..=i + 1);
    }
    let only: Option<String> = std::env::var("ONLY").ok();
    for path in &args {
        let data = std::fs::read(path).expect("read sample");
        let blocks: Vec<&[u8]> = data.chunks(block).collect();
        println!(
            "\n== {path}: {:.0} MB raw, {} blocks of {} KiB; MB/s = raw MB per CPU second of one thread",
            data.len() as f64 / 1e6,
            blocks.len(),
            block >> 10
        );
        println!(
            "{:<46} {:>8} {:>8} {:>8}",
            "compressor", "cpu_s", "MB/s", "size_%"
        );
        let mut rows = Vec::new();
        let mut run = |name: &str, f: &mut dyn FnMut() -> Row| {
            if only.as_deref().is_none_or(|o| name.contains(o)) {
                let r = f();
                println!(
                    "{:<46} {:>8.2} {:>8.0} {:>8.2}",
                    r.name,
                    r.cpu.as_secs_f64(),
                    data.len() as f64 / 1e6 / r.cpu.as_secs_f64().max(1e-9),
                    100.0 * r.compressed as f64 / data.len() as f64
                );
                rows.push(r);
            }
        };
        use CompressionAlgorithm::*;
        use Container::*;
        run("gzip stock shape: zlib-rs L6 one stream", &mut || {
            one_stream("gzip stock shape: zlib-rs L6 one stream", &data, |d| {
                let mut e =
                    flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::new(6));
                for piece in d.chunks(8192) {
                    e.write_all(piece).expect("zlib");
                }
                e.finish().expect("zlib").len()
            })
        });
        run("gzip pgark member (custom)", &mut || {
            measure(
                "gzip pgark member (custom)",
                &blocks,
                member(spec(Gzip, -1), CustomStream),
            )
        });
        run("gzip pgark member (directory)", &mut || {
            measure(
                "gzip pgark member (directory)",
                &blocks,
                member(spec(Gzip, -1), DirectoryFile),
            )
        });
        for level in [1, 4, 5, 9] {
            let n = format!("gzip pgark member (custom) -Z {level}");
            run(&n.clone(), &mut || {
                measure(&n, &blocks, member(spec(Gzip, level), CustomStream))
            });
        }
        for level in [1, 2, 3, 4, 5, 6] {
            let n = format!("gzip zlib-rs L{level} sync-flushed raw");
            run(&n.clone(), &mut || {
                measure(&n, &blocks, zlib_rs_sync_flushed(level))
            });
        }
        for level in [1, 2, 3, 4, 5, 6, 9] {
            let n = format!("gzip libdeflate L{level} raw");
            run(&n.clone(), &mut || measure(&n, &blocks, libdeflate(level)));
        }
        run("gzip libdeflate L6 + unfinalize", &mut || {
            let mut c =
                libdeflater::Compressor::new(libdeflater::CompressionLvl::new(6).expect("level"));
            measure("gzip libdeflate L6 + unfinalize", &blocks, move |b| {
                let mut out = vec![0u8; c.deflate_compress_bound(b.len())];
                let n = c.deflate_compress(b, &mut out).expect("libdeflate");
                out.truncate(n);
                pgark_formats::compress::deflate_tail::unfinalize(&mut out).expect("walk");
                out.len()
            })
        });
        run("gzip walk only (unfinalize of libdeflate L6)", &mut || {
            let mut c =
                libdeflater::Compressor::new(libdeflater::CompressionLvl::new(6).expect("level"));
            let streams: Vec<Vec<u8>> = blocks
                .iter()
                .map(|b| {
                    let mut out = vec![0u8; c.deflate_compress_bound(b.len())];
                    let n = c.deflate_compress(b, &mut out).expect("libdeflate");
                    out.truncate(n);
                    out
                })
                .collect();
            let mut i = 0;
            measure("gzip walk only (unfinalize of libdeflate L6)", &blocks, move |_| {
                let mut s = streams[i % streams.len()].clone();
                i += 1;
                pgark_formats::compress::deflate_tail::unfinalize(&mut s).expect("walk");
                s.len()
            })
        });
        run("zstd stock shape: L3 one stream", &mut || {
            one_stream("zstd stock shape: L3 one stream", &data, |d| {
                let mut e = zstd::stream::write::Encoder::new(Vec::new(), 3).expect("zstd");
                for piece in d.chunks(8192) {
                    e.write_all(piece).expect("zstd");
                }
                e.finish().expect("zstd").len()
            })
        });
        run("zstd pgark member", &mut || {
            measure(
                "zstd pgark member",
                &blocks,
                member(spec(Zstd, 3), CustomStream),
            )
        });
        for (level, checksum) in [(3, false), (3, true), (1, false)] {
            let n = format!("zstd bulk reused ctx L{level} checksum={checksum}");
            run(&n.clone(), &mut || {
                measure(&n, &blocks, zstd_bulk(level, checksum))
            });
        }
        run("lz4 pgark member", &mut || {
            measure(
                "lz4 pgark member",
                &blocks,
                member(spec(Lz4, 0), CustomStream),
            )
        });
        run("lz4 lz4_flex frame", &mut || {
            measure("lz4 lz4_flex frame", &blocks, lz4_block_frame())
        });
        let _ = rows;
    }
}
