//! AdminService: backups from a running server.

use std::sync::Arc;

use tonic::{Request, Response, Status};

use super::auth::Caller;
use super::policy;
use crate::hub::Hub;
use crate::proto::admin_service_server::AdminService;
use crate::proto::{BackupChunk, BackupRequest};

/// Bytes per streamed backup chunk: well under the default 4 MiB message limit of clients.
const CHUNK_BYTES: usize = 1024 * 1024;

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
        let mut bytes = Vec::new();
        let summary = self.hub.backup(&mut bytes).await?;
        let count = bytes.len().div_ceil(CHUNK_BYTES);
        let chunks: Vec<Result<BackupChunk, Status>> = bytes
            .chunks(CHUNK_BYTES)
            .enumerate()
            .map(|(i, data)| {
                let entries = if i + 1 == count { summary.entries } else { 0 };
                Ok(BackupChunk {
                    data: data.to_vec(),
                    entries,
                })
            })
            .collect();
        Ok(Response::new(Box::pin(tokio_stream::iter(chunks))))
    }
}
