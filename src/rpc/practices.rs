//! PracticeService: the repository of practices. Reads are open to everyone; a practice is
//! submitted, edited and withdrawn by its author (or the admin).

use std::sync::Arc;

use tonic::{Request, Response, Status};

use super::auth::Caller;
use super::{convert, policy};
use crate::hub::{Hub, page_request};
use crate::proto::practice_service_server::PracticeService;
use crate::proto::{
    GetPracticeRequest, ListPracticesRequest, ListPracticesResponse, Practice, SubmitPracticeRequest,
    UpdatePracticeRequest, WithdrawPracticeRequest,
};

/// The PracticeService implementation.
pub struct PracticeApi {
    hub: Arc<Hub>,
}

impl PracticeApi {
    /// Serves practices from `hub`.
    pub fn new(hub: Arc<Hub>) -> PracticeApi {
        PracticeApi { hub }
    }
}

#[tonic::async_trait]
impl PracticeService for PracticeApi {
    async fn submit_practice(&self, request: Request<SubmitPracticeRequest>) -> Result<Response<Practice>, Status> {
        let caller = Caller::of(&request);
        let (author_id, spec, request_id) = convert::submit_practice(request.into_inner())?;
        policy::act_for(&caller, &author_id, "author_id")?;
        let practice = self
            .hub
            .submit_practice(caller.acting_for(&author_id), spec, &request_id)
            .await?;
        Ok(Response::new(convert::practice(&practice)))
    }

    async fn get_practice(&self, request: Request<GetPracticeRequest>) -> Result<Response<Practice>, Status> {
        let GetPracticeRequest { id } = request.into_inner();
        Ok(Response::new(convert::practice(&self.hub.get_practice(&id)?)))
    }

    async fn list_practices(
        &self,
        request: Request<ListPracticesRequest>,
    ) -> Result<Response<ListPracticesResponse>, Status> {
        let (filter, page_size, page_token) = convert::list_practices(request.into_inner())?;
        let page = self
            .hub
            .list_practices(&filter, &page_request(page_size, page_token)?)?;
        Ok(Response::new(ListPracticesResponse {
            practices: page.records.iter().map(convert::practice).collect(),
            next_page_token: page.next_after.unwrap_or_default(),
        }))
    }

    async fn update_practice(&self, request: Request<UpdatePracticeRequest>) -> Result<Response<Practice>, Status> {
        let caller = Caller::of(&request);
        let (id, edit) = convert::update_practice(request.into_inner())?;
        let author = self
            .hub
            .record::<crate::domain::Practice>("practice.id", &id)?
            .author_id;
        policy::act_for(&caller, &author, "practice.id")?;
        Ok(Response::new(convert::practice(
            &self.hub.update_practice(&id, |spec| edit.apply(spec)).await?,
        )))
    }

    async fn withdraw_practice(&self, request: Request<WithdrawPracticeRequest>) -> Result<Response<Practice>, Status> {
        let caller = Caller::of(&request);
        let WithdrawPracticeRequest { id, reason } = request.into_inner();
        let author = self.hub.get_practice(&id)?.author_id;
        policy::act_for(&caller, &author, "id")?;
        Ok(Response::new(convert::practice(
            &self
                .hub
                .withdraw_practice(&id, caller.acting_for(&author), &reason)
                .await?,
        )))
    }
}
