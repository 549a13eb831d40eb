//! PartnershipService: the partnership graph's edges.

use std::sync::Arc;

use tonic::{Request, Response, Status};

use super::auth::Caller;

use super::blocking::{Weight, off_the_workers};
use super::{convert, policy};
use crate::domain::Violations;
use crate::hub::{GraphFormat, Hub, page_request};
use crate::proto::partnership_service_server::PartnershipService;
use crate::proto::{
    self, AddPartnershipRequest, Broker, ExportGraphRequest, ExportGraphResponse, FindPathRequest, FindPathResponse,
    ListPartnershipsRequest, ListPartnershipsResponse, PartnerSuggestion, Partnership, PathHop,
    RemovePartnershipRequest, RemovePartnershipResponse, SuggestPartnersRequest, SuggestPartnersResponse,
};

/// The most partnerships one export holds for anyone but the admin.
const MAX_OPEN_EXPORT: usize = 20_000;

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
        let caller = Caller::of(&request);
        let (mut spec, request_id) = convert::add_partnership(request.into_inner())?;
        let what = "a partnership between two other actors (ask the admin)";
        policy::act_for_one_of(&caller, &[&spec.actor_a, &spec.actor_b], "actor_a and actor_b", what)?;
        if let Caller::Actor(claimant) = &caller {
            spec.claimed_by = Some(claimant.clone());
        }
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
        let caller = Caller::of(&request);
        let RemovePartnershipRequest { id } = request.into_inner();
        let parties = self.hub.get_partnership(&id)?.spec;
        policy::act_for_one_of(
            &caller,
            &[&parties.actor_a, &parties.actor_b],
            "id",
            &format!("partnership {id}"),
        )?;
        let partnership = self.hub.remove_partnership(&id).await?;
        Ok(Response::new(RemovePartnershipResponse {
            partnership: Some(convert::partnership(&partnership)),
        }))
    }

    async fn find_path(&self, request: Request<FindPathRequest>) -> Result<Response<FindPathResponse>, Status> {
        let FindPathRequest {
            from_actor_id,
            to_actor_id,
        } = request.into_inner();
        let found = off_the_workers("FindPath", Weight::Heavy, &self.hub, move |hub| {
            hub.find_path(&from_actor_id, &to_actor_id)
        });
        let Some(named) = found.await? else {
            return Ok(Response::new(FindPathResponse::default()));
        };
        let actor = |id: &str| named.actors.get(id).map(convert::actor_ref);
        let hops = named
            .path
            .hops
            .iter()
            .map(|hop| PathHop {
                from: actor(&hop.from),
                to: actor(&hop.to),
                partnership_id: hop.partnership_id.clone(),
                kind: convert::ProtoEnum::wire(hop.kind),
                trust: hop.trust,
            })
            .collect();
        Ok(Response::new(FindPathResponse {
            hops,
            trust: named.path.trust(),
            summary: named.summary,
        }))
    }

    async fn suggest_partners(
        &self,
        request: Request<SuggestPartnersRequest>,
    ) -> Result<Response<SuggestPartnersResponse>, Status> {
        let SuggestPartnersRequest {
            actor_id,
            need_id,
            limit,
        } = request.into_inner();
        let suggestions = off_the_workers("SuggestPartners", Weight::Heavy, &self.hub, move |hub| {
            hub.suggest_partners(&actor_id, convert::id_filter(need_id).as_deref(), limit)
        })
        .await?;
        let suggestions = suggestions
            .into_iter()
            .map(|suggestion| PartnerSuggestion {
                provider: Some(convert::actor_ref(&suggestion.provider)),
                brokers: suggestion
                    .brokers
                    .iter()
                    .map(|(broker, link)| Broker {
                        actor: Some(convert::actor_ref(broker)),
                        trust_to_actor: link.trust_to_actor,
                        trust_to_provider: link.trust_to_provider,
                    })
                    .collect(),
                score: suggestion.score,
                offer_ids: suggestion.offer_ids,
            })
            .collect();
        Ok(Response::new(SuggestPartnersResponse { suggestions }))
    }

    async fn export_graph(
        &self,
        request: Request<ExportGraphRequest>,
    ) -> Result<Response<ExportGraphResponse>, Status> {
        let caller = Caller::of(&request);
        let ExportGraphRequest {
            format,
            around_actor_id,
            depth,
        } = request.into_inner();
        let format = match proto::GraphFormat::try_from(format) {
            Ok(proto::GraphFormat::Unspecified | proto::GraphFormat::Dot) => GraphFormat::Dot,
            Ok(proto::GraphFormat::Json) => GraphFormat::Json,
            Err(_) => return Err(Violations::single("format", format!("{format} is not a graph format")).into()),
        };
        let around = convert::id_filter(around_actor_id);
        // Only the admin may export a part of any size (the whole graph at tier L is a million
        // partnerships); everyone else gets at most MAX_OPEN_EXPORT.
        let most = (caller != Caller::Admin).then_some(MAX_OPEN_EXPORT);
        let (content, part) = off_the_workers("ExportGraph", Weight::Heavy, &self.hub, move |hub| {
            hub.export_graph(format, around.as_deref(), depth, most)
        })
        .await?;
        let format = match format {
            GraphFormat::Dot => proto::GraphFormat::Dot,
            GraphFormat::Json => proto::GraphFormat::Json,
        };
        Ok(Response::new(ExportGraphResponse {
            format: format as i32,
            content,
            actors: u32::try_from(part.actors.len()).unwrap_or(u32::MAX),
            partnerships: u32::try_from(part.links.len()).unwrap_or(u32::MAX),
        }))
    }
}
