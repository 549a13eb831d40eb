//! SearchService: search over needs, offers, practices and actors, open to everyone.

use std::sync::Arc;

use tonic::{Request, Response, Status};

use super::convert;
use crate::hub::Hub;
use crate::proto::search_service_server::SearchService;
use crate::proto::{SearchRequest, SearchResponse};

/// The SearchService implementation.
pub struct SearchApi {
    hub: Arc<Hub>,
}

impl SearchApi {
    /// Searches `hub`.
    pub fn new(hub: Arc<Hub>) -> SearchApi {
        SearchApi { hub }
    }
}

#[tonic::async_trait]
impl SearchService for SearchApi {
    async fn search(&self, request: Request<SearchRequest>) -> Result<Response<SearchResponse>, Status> {
        let search = convert::search(request.into_inner())?;
        let page = self.hub.search(&search).await?;
        Ok(Response::new(convert::search_response(page)))
    }
}
