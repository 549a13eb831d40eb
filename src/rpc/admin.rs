//! AdminService: backups from a running server.

use std::sync::Arc;

use tokio::sync::mpsc;
use tokio_stream::wrappers::ReceiverStream;
use tonic::{Request, Response, Status};

use super::auth::Caller;
use super::policy;
use crate::hub::Hub;
use crate::proto::admin_service_server::AdminService;
use crate::proto::{BackupChunk, BackupRequest};

/// Bytes per streamed backup chunk: well under the default 4 MiB message limit of clients, and
/// small, since every chunk is memory of its own until the client has it.
const CHUNK_BYTES: usize = 64 * 1024;
/// Chunks written but not yet sent to the client, at most.
const CHUNKS_AHEAD: usize = 2;
/// How long a backup waits for its client to take the next chunk. Writes wait while a backup
/// runs, so a client that stops reading (yet keeps its connection) ends its backup, UNAVAILABLE,
/// rather than holding every write back.
const CHUNK_TAKEN_WITHIN: std::time::Duration = std::time::Duration::from_secs(30);

/// The AdminService implementation.
pub struct AdminApi {
    hub: Arc<Hub>,
}

impl AdminApi {
    /// Serves administration of `hub`.
    pub fn new(hub: Arc<Hub>) -> AdminApi {
        AdminApi { hub }
    }
}

/// The stream of a backup.
pub type BackupStream = std::pin::Pin<Box<dyn tokio_stream::Stream<Item = Result<BackupChunk, Status>> + Send>>;

#[tonic::async_trait]
impl AdminService for AdminApi {
    type BackupStream = BackupStream;

    async fn backup(&self, request: Request<BackupRequest>) -> Result<Response<BackupStream>, Status> {
        policy::admin_only(&Caller::of(&request), "taking a backup")?;
        let BackupRequest {} = request.into_inner();
        let (sender, receiver) = mpsc::channel(CHUNKS_AHEAD);
        let hub = Arc::clone(&self.hub);
        tokio::spawn(async move {
            let last = match hub.backup(Chunks::new(sender.clone())).await {
                Ok((summary, chunks)) => Ok(BackupChunk {
                    data: chunks.buffer,
                    entries: summary.entries,
                }),
                Err(error) => Err(Status::from(error)),
            };
            // A client that went away reads no last chunk.
            let _ = sender.send(last).await;
        });
        Ok(Response::new(Box::pin(ReceiverStream::new(receiver))))
    }
}

/// The backup cut into chunks as it is written, each handed to the stream. The stream holds at
/// most [`CHUNKS_AHEAD`] chunks, so whatever the backup's size its chunks hold well under a MiB
/// of the server's memory: a slow client slows the walk instead.
struct Chunks {
    buffer: Vec<u8>,
    sender: mpsc::Sender<Result<BackupChunk, Status>>,
    /// The server's runtime, to wait for the client with a deadline from the blocking walk.
    runtime: tokio::runtime::Handle,
}

impl Chunks {
    fn new(sender: mpsc::Sender<Result<BackupChunk, Status>>) -> Chunks {
        Chunks {
            buffer: Vec::with_capacity(CHUNK_BYTES),
            sender,
            runtime: tokio::runtime::Handle::current(),
        }
    }

    /// Hands a full chunk to the stream, waiting for room there.
    fn send(&mut self, data: Vec<u8>) -> std::io::Result<()> {
        let chunk = BackupChunk { data, entries: 0 };
        // Called on the blocking pool (Hub::backup), where blocking on the stream is allowed.
        let taken = self
            .runtime
            .block_on(self.sender.send_timeout(Ok(chunk), CHUNK_TAKEN_WITHIN));
        taken.map_err(|error| {
            let why = match error {
                mpsc::error::SendTimeoutError::Timeout(_) => {
                    format!("the client took no chunk for {} s", CHUNK_TAKEN_WITHIN.as_secs())
                }
                mpsc::error::SendTimeoutError::Closed(_) => "the client stopped reading the backup".into(),
            };
            std::io::Error::new(std::io::ErrorKind::BrokenPipe, why)
        })
    }
}

impl std::io::Write for Chunks {
    /// Fills the chunk being written to exactly [`CHUNK_BYTES`], its size from the start, and
    /// sends it: a buffer allowed to grow past that size doubles, and new memory is what a
    /// backup's growth of the server is made of.
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        let mut rest = bytes;
        while !rest.is_empty() {
            let room = CHUNK_BYTES - self.buffer.len();
            let (now, later) = rest.split_at(room.min(rest.len()));
            self.buffer.extend_from_slice(now);
            rest = later;
            if self.buffer.len() == CHUNK_BYTES {
                let data = std::mem::replace(&mut self.buffer, Vec::with_capacity(CHUNK_BYTES));
                self.send(data)?;
            }
        }
        Ok(bytes.len())
    }

    /// The last chunk goes out with the entry count, once the backup is complete.
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use std::io::Write;

    use super::*;

    /// Writes of every size around a chunk's come out as the same bytes, in order, in chunks of
    /// exactly [`CHUNK_BYTES`] but the last, which stays with the writer for the entry count.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn writes_come_out_whole_in_chunks_of_their_size() {
        let sizes = [
            1,
            CHUNK_BYTES - 1,
            CHUNK_BYTES + 1,
            3 * CHUNK_BYTES + 7,
            CHUNK_BYTES,
            0,
            5,
        ];
        let written: Vec<u8> = sizes
            .iter()
            .enumerate()
            .flat_map(|(at, &size)| (0..size).map(move |i| (at * 31 + i % 251) as u8))
            .collect();
        let (sender, mut receiver) = mpsc::channel(CHUNKS_AHEAD);
        let mut chunks = Chunks::new(sender);
        let writer = tokio::task::spawn_blocking(move || {
            for (at, &size) in sizes.iter().enumerate() {
                let bytes: Vec<u8> = (0..size).map(|i| (at * 31 + i % 251) as u8).collect();
                assert_eq!(chunks.write(&bytes).unwrap(), size);
            }
            chunks.buffer
        });
        let mut sent = Vec::new();
        while let Some(chunk) = receiver.recv().await {
            let chunk = chunk.unwrap();
            assert_eq!(chunk.data.len(), CHUNK_BYTES);
            assert_eq!(chunk.entries, 0);
            sent.extend_from_slice(&chunk.data);
        }
        let last = writer.await.unwrap();
        assert!(last.len() < CHUNK_BYTES);
        assert_eq!(sent.len() + last.len(), written.len());
        sent.extend_from_slice(&last);
        assert_eq!(sent, written);
    }
}
