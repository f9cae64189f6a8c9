//! Compression off the COPY path: a job's byte stream is cut into blocks, each block is
//! compressed on the rayon pool as an independent [`CompressedMember`] (see
//! `pgark_formats::compress::member` for why stock pg_restore reads the stitched
//! result), and members are delivered in stream order to the entry's destination.
//!
//! Memory is bounded: a job holds one filling block plus at most [`MAX_PENDING`]
//! blocks being compressed or waiting for delivery, and all jobs together hold at most
//! `2 × rayon threads` blocks in compression ([`Compressor`]'s permits). A job waits
//! for a permit only when every compression thread is busy, i.e. when the machine
//! cannot compress faster anyway.

use std::collections::VecDeque;
use std::sync::Arc;

use bytes::Bytes;
use pgark_formats::compress::member::CompressedMember;
use pgark_formats::compress::{CompressionAlgorithm, Container};
use pgark_formats::directory::DirectoryDataFile;
use pgark_formats::CompressionSpec;
use tokio::sync::{oneshot, Semaphore};

use super::spool::SpoolWriter;
use super::DataSink;
use crate::{Error, Result};

/// Raw bytes per member. Each member restarts the deflate dictionary, which costs
/// well under 1% of compressed size at this length.
pub const BLOCK_BYTES: usize = 1 << 20;

/// Members of one job in compression or awaiting delivery before the job waits.
pub const MAX_PENDING: usize = 4;

/// The shared compression settings and the global limit on blocks in compression.
pub struct Compressor {
    spec: CompressionSpec,
    container: Container,
    permits: Arc<Semaphore>,
}

impl Compressor {
    pub fn new(spec: CompressionSpec, container: Container) -> Self {
        let threads = rayon::current_num_threads().max(1);
        Compressor {
            spec,
            container,
            permits: Arc::new(Semaphore::new(2 * threads)),
        }
    }
}

/// Where one entry's members go, in order.
pub enum Delivery {
    /// A directory archive's data file, written by the job itself.
    File(Box<DirectoryDataFile>),
    /// A custom or tar archive's entry, held until the writer reaches it.
    Spool(SpoolWriter),
}

impl Delivery {
    fn deliver(&mut self, member: CompressedMember) -> Result<()> {
        match self {
            Delivery::File(f) => Ok(f.write_compressed_member(&member)?),
            Delivery::Spool(s) => s.push(member),
        }
    }
    fn finish(self) -> Result<()> {
        match self {
            Delivery::File(f) => Ok((*f).finish()?),
            Delivery::Spool(s) => s.finish(),
        }
    }
}

type Pending = oneshot::Receiver<Result<CompressedMember>>;

/// A [`DataSink`] compressing one entry's stream in parallel blocks.
pub struct MemberPipe<'a> {
    compressor: &'a Compressor,
    block: Vec<u8>,
    pending: VecDeque<Pending>,
    delivery: Delivery,
}

impl<'a> MemberPipe<'a> {
    pub fn new(compressor: &'a Compressor, delivery: Delivery) -> Self {
        MemberPipe {
            compressor,
            block: Vec::new(),
            pending: VecDeque::new(),
            delivery,
        }
    }

    /// Hands the filled block to the compression pool.
    async fn submit(&mut self) -> Result<()> {
        let block = std::mem::take(&mut self.block);
        let (spec, container) = (self.compressor.spec, self.compressor.container);
        let (tx, rx) = oneshot::channel();
        if spec.algorithm == CompressionAlgorithm::None {
            let _ = tx.send(
                CompressedMember::compress_owned(&spec, container, block).map_err(Error::from),
            );
        } else {
            let permit = self
                .compressor
                .permits
                .clone()
                .acquire_owned()
                .await
                .map_err(|_| compression_gone())?;
            rayon::spawn(move || {
                let member =
                    CompressedMember::compress_owned(&spec, container, block).map_err(Error::from);
                drop(permit);
                let _ = tx.send(member);
            });
        }
        self.pending.push_back(rx);
        self.deliver_ready().await
    }

    /// Delivers finished members at the front; waits while too many are pending.
    async fn deliver_ready(&mut self) -> Result<()> {
        loop {
            let too_many = self.pending.len() > MAX_PENDING;
            let Some(front) = self.pending.front_mut() else {
                break;
            };
            let member = if too_many {
                front.await.map_err(|_| compression_gone())?
            } else {
                match front.try_recv() {
                    Ok(m) => m,
                    Err(oneshot::error::TryRecvError::Empty) => break,
                    Err(oneshot::error::TryRecvError::Closed) => return Err(compression_gone()),
                }
            };
            self.pending.pop_front();
            self.delivery.deliver(member?)?;
        }
        Ok(())
    }

    /// Compresses the rest, delivers every member in order and ends the entry.
    pub async fn finish(mut self) -> Result<()> {
        if !self.block.is_empty() {
            self.submit().await?;
        }
        while let Some(front) = self.pending.pop_front() {
            let member = front.await.map_err(|_| compression_gone())??;
            self.delivery.deliver(member)?;
        }
        self.delivery.finish()
    }
}

fn compression_gone() -> Error {
    Error::Io {
        path: "compression thread pool".into(),
        source: std::io::Error::other("a compression task ended without a result"),
    }
}

impl DataSink for MemberPipe<'_> {
    async fn write(&mut self, bytes: Bytes) -> Result<()> {
        if self.block.capacity() == 0 {
            self.block.reserve(BLOCK_BYTES + (64 << 10));
        }
        self.block.extend_from_slice(&bytes);
        if self.block.len() >= BLOCK_BYTES {
            self.submit().await?;
        }
        Ok(())
    }
    async fn start_lo(&mut self, _oid: u32) -> Result<()> {
        Err(Error::Usage(
            "internal: large objects are not written through a member pipe".into(),
        ))
    }
    async fn end_lo(&mut self) -> Result<()> {
        Err(Error::Usage(
            "internal: large objects are not written through a member pipe".into(),
        ))
    }
}
