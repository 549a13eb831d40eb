//! PartnershipService: the partnership graph's edges.

use std::sync::Arc;

use tonic::{Request, Response, Status};

use super::convert;
use crate::hub::{Hub, page_request};
use crate::proto::partnership_service_server::PartnershipService;
use crate::proto::{
    AddPartnershipRequest, ListPartnershipsRequest, ListPartnershipsResponse, Partnership, RemovePartnershipRequest,
    RemovePartnershipResponse,
};

/// The PartnershipService implementation.
pub struct PartnershipApi {
    hub: Arc<Hub>,
}

impl PartnershipApi {
    /// Serves partnerships from `hub`.
    pub fn new(hub: Arc<Hub>) -> PartnershipApi {
        PartnershipApi { hub }
    }
}

#[tonic::async_trait]
impl PartnershipService for PartnershipApi {
    async fn add_partnership(&self, request: Request<AddPartnershipRequest>) -> Result<Response<Partnership>, Status> {
        let (spec, request_id) = convert::add_partnership(request.into_inner())?;
        let partnership = self.hub.add_partnership(spec, &request_id).await?;
        Ok(Response::new(convert::partnership(&partnership)))
    }

    async fn list_partnerships(
        &self,
        request: Request<ListPartnershipsRequest>,
    ) -> Result<Response<ListPartnershipsResponse>, Status> {
        let ListPartnershipsRequest {
            actor_id,
            page_size,
            page_token,
        } = request.into_inner();
        let page = page_request(page_size, convert::id_filter(page_token))?;
        let page = self
            .hub
            .list_partnerships(convert::id_filter(actor_id).as_deref(), &page)?;
        let partnerships = page.records.iter().map(convert::partnership).collect();
        Ok(Response::new(ListPartnershipsResponse {
            partnerships,
            next_page_token: page.next_after.unwrap_or_default(),
        }))
    }

    async fn remove_partnership(
        &self,
        request: Request<RemovePartnershipRequest>,
    ) -> Result<Response<RemovePartnershipResponse>, Status> {
        let RemovePartnershipRequest { id } = request.into_inner();
        let partnership = self.hub.remove_partnership(&id).await?;
        Ok(Response::new(RemovePartnershipResponse {
            partnership: Some(convert::partnership(&partnership)),
        }))
    }
}
