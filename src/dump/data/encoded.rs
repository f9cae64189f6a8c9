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

    /// Writes what the converter held back (a multi-byte encoding's last lines); fails
    /// if the data ended inside a character.
    pub async fn finish(self) -> Result<()> {
        let rest = self.converter.finish().await?;
        if rest.is_empty() {
            Ok(())
        } else {
            self.inner.write(Bytes::from(rest)).await
        }
    }
}

impl<S: DataSink + Send> DataSink for EncodingSink<'_, S> {
    async fn write(&mut self, bytes: Bytes) -> Result<()> {
        let converted = self.converter.push(&bytes).await?;
        if converted.is_empty() {
            Ok(())
        } else {
            self.inner.write(Bytes::from(converted)).await
        }
    }
    fn start_lo(&mut self, oid: u32) -> impl Future<Output = Result<()>> + Send {
        self.inner.start_lo(oid)
    }
    fn end_lo(&mut self) -> impl Future<Output = Result<()>> + Send {
        self.inner.end_lo()
    }
}
