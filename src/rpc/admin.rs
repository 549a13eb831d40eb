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
/// small enough that the allocator reuses a sent chunk's memory for the next ones.
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
}

impl Chunks {
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
    /// Fills the chunk being written to exactly [`CHUNK_BYTES`] and sends it: a buffer that
    /// grew past its size doubled, and each such buffer was memory the server had not touched
    /// yet (a third of the pages a backup of tier L first touched).
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
