//! Handshake output: what a driver has to say, written out before the
//! connection is handed to a [`WebSocket`](crate::WebSocket) (which has its
//! own vectored loop). Used by the server and client handshakes alike.

use crate::error::Error;
use std::future::poll_fn;
use tokio::io::{AsyncWrite, AsyncWriteExt};
use wsdriver::Driver;

/// Writes everything the driver has queued, then flushes.
pub(crate) async fn write_all<S: AsyncWrite + Unpin>(
    stream: &mut S,
    driver: &mut Driver,
) -> Result<(), Error> {
    while driver.has_output() {
        let chunk = driver.output_chunk();
        let written = stream.write(chunk).await?;
        if written == 0 {
            return Err(std::io::Error::from(std::io::ErrorKind::WriteZero).into());
        }
        driver.advance_output(written);
    }
    poll_fn(|cx| std::pin::Pin::new(&mut *stream).poll_flush(cx)).await?;
    Ok(())
}
