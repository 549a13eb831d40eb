//! NeedService: submitting, reading, editing and withdrawing needs.

use std::sync::Arc;

use tonic::{Request, Response, Status};

use super::auth::Caller;
use super::{convert, policy};
use crate::domain::Violations;
use crate::hub::{Hub, NeedFilter, page_request};
use crate::proto::need_service_server::NeedService;
use crate::proto::{
    ConfirmNeedStillCurrentRequest, GetNeedRequest, ListNeedsRequest, ListNeedsResponse, Need, SubmitNeedRequest,
    UpdateNeedRequest, WatchNeedsRequest, WithdrawNeedRequest,
};

/// The NeedService implementation.
pub struct NeedApi {
    hub: Arc<Hub>,
}

impl NeedApi {
    /// Serves needs from `hub`.
    pub fn new(hub: Arc<Hub>) -> NeedApi {
        NeedApi { hub }
    }

    /// A need as replies show it: stale or not now.
    fn shown(&self, need: &crate::domain::Need) -> Need {
        convert::need(need, self.hub.need_staleness(need))
    }

    /// A need as GetNeed and SubmitNeed show it: with its expected time to match.
    fn with_time_to_match(&self, need: &crate::domain::Need) -> Need {
        Need {
            expected_days_to_match: Some(convert::time_to_match(&self.hub.time_to_match(need))),
            ..self.shown(need)
        }
    }
}

#[tonic::async_trait]
impl NeedService for NeedApi {
    async fn submit_need(&self, request: Request<SubmitNeedRequest>) -> Result<Response<Need>, Status> {
        let caller = Caller::of(&request);
        let (requester_id, spec, request_id) = convert::submit_need(request.into_inner())?;
        policy::act_for(&caller, &requester_id, "requester_id")?;
        let (need, related) = self
            .hub
            .submit_need_counting_related(caller.acting_for(&requester_id), spec, &request_id)
            .await?;
        let similar_need_ids = self.hub.similar_needs_of_requester(&need)?;
        let related_count = u32::try_from(related).unwrap_or(u32::MAX);
        Ok(Response::new(Need {
            similar_need_ids,
            related_count,
            ..self.with_time_to_match(&need)
        }))
    }

    type WatchNeedsStream = convert::EventStream;

    async fn watch_needs(
        &self,
        request: Request<WatchNeedsRequest>,
    ) -> Result<Response<Self::WatchNeedsStream>, Status> {
        let (interest, for_offer, after_sequence) = convert::watch_needs(request.into_inner())?;
        let events = self.hub.watch_needs(interest, for_offer, after_sequence)?;
        Ok(Response::new(convert::event_stream(events)))
    }

    async fn get_need(&self, request: Request<GetNeedRequest>) -> Result<Response<Need>, Status> {
        let GetNeedRequest { id } = request.into_inner();
        Ok(Response::new(self.with_time_to_match(&self.hub.get_need(&id)?)))
    }

    async fn list_needs(&self, request: Request<ListNeedsRequest>) -> Result<Response<ListNeedsResponse>, Status> {
        let ListNeedsRequest {
            requester_id,
            status,
            theme,
            country,
            region,
            page_size,
            page_token,
        } = request.into_inner();
        let mut violations = Violations::default();
        let filter = NeedFilter {
            requester_id: convert::id_filter(requester_id),
            status: convert::optional_enum("status", status, &mut violations),
            theme: convert::objective_filter("theme", theme, &mut violations),
            country: convert::id_filter(country),
            area: convert::id_filter(region),
        };
        violations.into_result()?;
        let page = self
            .hub
            .list_needs(&filter, &page_request(page_size, convert::id_filter(page_token))?)?;
        let needs = page.records.iter().map(|need| self.shown(need)).collect();
        Ok(Response::new(ListNeedsResponse {
            needs,
            next_page_token: page.next_after.unwrap_or_default(),
        }))
    }

    async fn update_need(&self, request: Request<UpdateNeedRequest>) -> Result<Response<Need>, Status> {
        let caller = Caller::of(&request);
        let (id, edit) = convert::update_need(request.into_inner())?;
        policy::act_for(
            &caller,
            &self.hub.record::<crate::domain::Need>("need.id", &id)?.requester_id,
            "need.id",
        )?;
        Ok(Response::new(
            self.shown(&self.hub.update_need(&id, |spec| edit.apply(spec)).await?),
        ))
    }

    async fn withdraw_need(&self, request: Request<WithdrawNeedRequest>) -> Result<Response<Need>, Status> {
        let caller = Caller::of(&request);
        let WithdrawNeedRequest { id, reason } = request.into_inner();
        policy::act_for(&caller, &self.hub.get_need(&id)?.requester_id, "id")?;
        let withdrawn = match caller {
            Caller::Admin => self.hub.withdraw_need_by_admin(&id, &reason).await?,
            Caller::Actor(_) | Caller::Anonymous => self.hub.withdraw_need(&id, &reason).await?,
        };
        Ok(Response::new(self.shown(&withdrawn)))
    }

    async fn confirm_still_current(
        &self,
        request: Request<ConfirmNeedStillCurrentRequest>,
    ) -> Result<Response<Need>, Status> {
        let caller = Caller::of(&request);
        let ConfirmNeedStillCurrentRequest { id } = request.into_inner();
        policy::act_for(&caller, &self.hub.get_need(&id)?.requester_id, "id")?;
        Ok(Response::new(
            self.shown(&self.hub.confirm_need_still_current(&id).await?),
        ))
    }
}
