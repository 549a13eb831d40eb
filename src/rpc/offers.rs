//! OfferService: registering, reading, editing and withdrawing offers.

use std::sync::Arc;

use tonic::{Request, Response, Status};

use super::auth::Caller;
use super::{convert, policy};
use crate::domain::Violations;
use crate::hub::{Hub, OfferFilter, page_request};
use crate::proto::offer_service_server::OfferService;
use crate::proto::{
    ConfirmOfferStillCurrentRequest, GetOfferRequest, ListOffersRequest, ListOffersResponse, Offer,
    RegisterOfferRequest, UpdateOfferRequest, WithdrawOfferRequest,
};

/// The OfferService implementation.
pub struct OfferApi {
    hub: Arc<Hub>,
}

impl OfferApi {
    /// Serves offers from `hub`.
    pub fn new(hub: Arc<Hub>) -> OfferApi {
        OfferApi { hub }
    }

    /// An offer as replies show it: stale or not now.
    fn shown(&self, offer: &crate::domain::Offer) -> Offer {
        convert::offer(offer, self.hub.offer_staleness(offer))
    }
}

#[tonic::async_trait]
impl OfferService for OfferApi {
    async fn register_offer(&self, request: Request<RegisterOfferRequest>) -> Result<Response<Offer>, Status> {
        let caller = Caller::of(&request);
        let (provider_id, spec, request_id) = convert::register_offer(request.into_inner())?;
        policy::act_for(&caller, &provider_id, "provider_id")?;
        let offer = self.hub.register_offer(&provider_id, spec, &request_id).await?;
        Ok(Response::new(self.shown(&offer)))
    }

    async fn get_offer(&self, request: Request<GetOfferRequest>) -> Result<Response<Offer>, Status> {
        let GetOfferRequest { id } = request.into_inner();
        Ok(Response::new(self.shown(&self.hub.get_offer(&id)?)))
    }

    async fn list_offers(&self, request: Request<ListOffersRequest>) -> Result<Response<ListOffersResponse>, Status> {
        let ListOffersRequest {
            provider_id,
            status,
            theme,
            modality,
            page_size,
            page_token,
        } = request.into_inner();
        let mut violations = Violations::default();
        let filter = OfferFilter {
            provider_id: convert::id_filter(provider_id),
            status: convert::optional_enum("status", status, &mut violations),
            theme: convert::objective_filter("theme", theme, &mut violations),
            modality: convert::optional_enum("modality", modality, &mut violations),
        };
        violations.into_result()?;
        let page = self
            .hub
            .list_offers(&filter, &page_request(page_size, convert::id_filter(page_token))?)?;
        let offers = page.records.iter().map(|offer| self.shown(offer)).collect();
        Ok(Response::new(ListOffersResponse {
            offers,
            next_page_token: page.next_after.unwrap_or_default(),
        }))
    }

    async fn update_offer(&self, request: Request<UpdateOfferRequest>) -> Result<Response<Offer>, Status> {
        let caller = Caller::of(&request);
        let (id, edit) = convert::update_offer(request.into_inner())?;
        policy::act_for(
            &caller,
            &self.hub.record::<crate::domain::Offer>("offer.id", &id)?.provider_id,
            "offer.id",
        )?;
        Ok(Response::new(
            self.shown(&self.hub.update_offer(&id, |spec| edit.apply(spec)).await?),
        ))
    }

    async fn withdraw_offer(&self, request: Request<WithdrawOfferRequest>) -> Result<Response<Offer>, Status> {
        let caller = Caller::of(&request);
        let WithdrawOfferRequest { id, reason } = request.into_inner();
        policy::act_for(&caller, &self.hub.get_offer(&id)?.provider_id, "id")?;
        let withdrawn = match caller {
            Caller::Admin => self.hub.withdraw_offer_by_admin(&id, &reason).await?,
            Caller::Actor(_) | Caller::Anonymous => self.hub.withdraw_offer(&id, &reason).await?,
        };
        Ok(Response::new(self.shown(&withdrawn)))
    }

    async fn confirm_still_current(
        &self,
        request: Request<ConfirmOfferStillCurrentRequest>,
    ) -> Result<Response<Offer>, Status> {
        let caller = Caller::of(&request);
        let ConfirmOfferStillCurrentRequest { id } = request.into_inner();
        policy::act_for(&caller, &self.hub.get_offer(&id)?.provider_id, "id")?;
        Ok(Response::new(
            self.shown(&self.hub.confirm_offer_still_current(&id).await?),
        ))
    }
}
