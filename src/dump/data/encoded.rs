//! Table data converted into the dump's client encoding on its way to a
//! [`DataSink`] (see `dump::encoding`).

use std::future::Future;

use bytes::Bytes;

use super::DataSink;
use crate::dump::encoding::Converter;
use crate::Result;

/// A [`DataSink`] converting table data (COPY text or INSERT statements) on its way
/// to `inner`.
pub struct EncodingSink<'a, S> {
    inner: &'a mut S,
    converter: Converter,
}

impl<'a, S: DataSink + Send> EncodingSink<'a, S> {
    pub fn new(inner: &'a mut S, converter: Converter) -> Self {
        EncodingSink { inner, converter }
    }

    /// Checks the data did not end inside a character.
    pub fn finish(self) -> Result<()> {
        self.converter.finish()
    }
}

impl<S: DataSink + Send> DataSink for EncodingSink<'_, S> {
    fn write(&mut self, bytes: Bytes) -> impl Future<Output = Result<()>> + Send {
        let converted = self.converter.push(&bytes).map(Bytes::from);
        async move {
            match converted {
                Ok(b) if b.is_empty() => Ok(()),
                Ok(b) => self.inner.write(b).await,
                Err(e) => Err(e),
            }
        }
    }
    fn start_lo(&mut self, oid: u32) -> impl Future<Output = Result<()>> + Send {
        self.inner.start_lo(oid)
    }
    fn end_lo(&mut self) -> impl Future<Output = Result<()>> + Send {
        self.inner.end_lo()
    }
}
