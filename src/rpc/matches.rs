//! MatchService: ranked candidates and the life of a match.

use std::sync::Arc;

use tonic::{Request, Response, Status};

use super::auth::Caller;
use super::blocking::{Weight, off_the_workers};
use super::{convert, policy};
use crate::domain::{Need, Offer, Violations};
use crate::hub::{Hub, MatchFilter, page_request};
use crate::metrics::Metrics;
use crate::proto::match_service_server::MatchService;
use crate::proto::{
    CompleteMatchRequest, ExplainMatchRequest, ExplainMatchResponse, FindBundlesRequest, FindBundlesResponse,
    FindMatchesRequest, FindMatchesResponse, FindNeedsRequest, FindNeedsResponse, FindRelatedRequest,
    FindRelatedResponse, GetMatchRequest, ListMatchesRequest, ListMatchesResponse, Match, PairPreference,
    ProposeMatchRequest, RespondToMatchRequest, RunAllocationRequest, RunAllocationResponse, SetPreferenceRequest,
    WatchMatchesRequest,
};

/// The MatchService implementation.
pub struct MatchApi {
    hub: Arc<Hub>,
    /// Where allocation runs are timed, if anywhere.
    metrics: Option<Metrics>,
}

impl MatchApi {
    /// The caller must act for `actor_id` and be a party to the match (or be the admin): a
    /// stranger's token is PERMISSION_DENIED before the hub looks at the answer. Returns the
    /// match as it was read for the check.
    fn act_as_party(&self, caller: &Caller, match_id: &str, actor_id: &str) -> Result<crate::domain::Match, Status> {
        let record = self.hub.record::<crate::domain::Match>("match_id", match_id)?;
        policy::act_for(caller, actor_id, "actor_id")?;
        policy::act_for_one_of(
            caller,
            &[&record.requester_id, &record.provider_id],
            "actor_id",
            &format!("match {match_id}"),
        )?;
        Ok(record)
    }

    /// Serves matches from `hub`.
    pub fn new(hub: Arc<Hub>) -> MatchApi {
        MatchApi { hub, metrics: None }
    }

    /// Times allocation runs in `metrics`, if given.
    pub fn with_metrics(self, metrics: Option<Metrics>) -> MatchApi {
        MatchApi { metrics, ..self }
    }
}

#[tonic::async_trait]
impl MatchService for MatchApi {
    async fn find_matches(
        &self,
        request: Request<FindMatchesRequest>,
    ) -> Result<Response<FindMatchesResponse>, Status> {
        let FindMatchesRequest { need_id, limit } = request.into_inner();
        let (candidates, expected) = off_the_workers("FindMatches", Weight::Light, &self.hub, move |hub| {
            Ok((
                hub.find_matches(&need_id, limit)?,
                hub.time_to_match_of("need_id", &need_id)?,
            ))
        })
        .await?;
        Ok(Response::new(FindMatchesResponse {
            candidates: candidates.iter().map(convert::candidate).collect(),
            expected_days_to_match: Some(convert::time_to_match(&expected)),
        }))
    }

    async fn find_bundles(
        &self,
        request: Request<FindBundlesRequest>,
    ) -> Result<Response<FindBundlesResponse>, Status> {
        let FindBundlesRequest { need_id, max_bundles } = request.into_inner();
        let solutions = off_the_workers("FindBundles", Weight::Heavy, &self.hub, move |hub| {
            hub.find_bundles(&need_id, max_bundles)
        })
        .await?;
        Ok(Response::new(FindBundlesResponse {
            bundles: solutions.iter().map(convert::bundle).collect(),
        }))
    }

    async fn propose_match(&self, request: Request<ProposeMatchRequest>) -> Result<Response<Match>, Status> {
        let caller = Caller::of(&request);
        let ProposeMatchRequest {
            need_id,
            offer_id,
            request_id,
        } = request.into_inner();
        let requester = self.hub.record::<Need>("need_id", &need_id)?.requester_id;
        let provider = self.hub.record::<Offer>("offer_id", &offer_id)?.provider_id;
        policy::act_for_one_of(
            &caller,
            &[&requester, &provider],
            "need_id and offer_id",
            &format!("need {need_id} or offer {offer_id}"),
        )?;
        let by = match &caller {
            Caller::Actor(id) => Some(id.as_str()),
            Caller::Admin | Caller::Anonymous => None,
        };
        let record = self.hub.propose_match(&need_id, &offer_id, &request_id, by).await?;
        Ok(Response::new(convert::match_record(&record)))
    }

    async fn respond_to_match(&self, request: Request<RespondToMatchRequest>) -> Result<Response<Match>, Status> {
        let caller = Caller::of(&request);
        let RespondToMatchRequest {
            match_id,
            actor_id,
            accept,
            reason,
        } = request.into_inner();
        self.act_as_party(&caller, &match_id, &actor_id)?;
        let record = self
            .hub
            .respond_to_match(&match_id, caller.acting_for(&actor_id), accept, &reason)
            .await?;
        Ok(Response::new(convert::match_record(&record)))
    }

    async fn complete_match(&self, request: Request<CompleteMatchRequest>) -> Result<Response<Match>, Status> {
        let caller = Caller::of(&request);
        let (match_id, actor_id, report) = convert::complete_match(request.into_inner())?;
        let record = self.act_as_party(&caller, &match_id, &actor_id)?;
        if caller != Caller::Admin {
            // Only the requester rates the engagement; the hub refuses a provider's rating too.
            policy::act_for(&caller, &record.requester_id, "actor_id")?;
        }
        let record = self
            .hub
            .complete_match(&match_id, caller.acting_for(&actor_id), report)
            .await?;
        Ok(Response::new(convert::match_record(&record)))
    }

    type WatchMatchesStream = convert::EventStream;

    async fn watch_matches(
        &self,
        request: Request<WatchMatchesRequest>,
    ) -> Result<Response<Self::WatchMatchesStream>, Status> {
        let caller = Caller::of(&request);
        let WatchMatchesRequest {
            actor_id,
            after_sequence,
        } = request.into_inner();
        policy::act_for(&caller, &actor_id, "actor_id")?;
        let events = self.hub.watch_matches(&actor_id, after_sequence)?;
        Ok(Response::new(convert::event_stream(events)))
    }

    async fn get_match(&self, request: Request<GetMatchRequest>) -> Result<Response<Match>, Status> {
        let GetMatchRequest { id } = request.into_inner();
        Ok(Response::new(convert::match_record(&self.hub.get_match(&id)?)))
    }

    async fn list_matches(
        &self,
        request: Request<ListMatchesRequest>,
    ) -> Result<Response<ListMatchesResponse>, Status> {
        let ListMatchesRequest {
            need_id,
            offer_id,
            actor_id,
            status,
            page_size,
            page_token,
        } = request.into_inner();
        let mut violations = Violations::default();
        let filter = MatchFilter {
            need_id: convert::id_filter(need_id),
            offer_id: convert::id_filter(offer_id),
            actor_id: convert::id_filter(actor_id),
            status: convert::optional_enum("status", status, &mut violations),
        };
        violations.into_result()?;
        let page = self
            .hub
            .list_matches(&filter, &page_request(page_size, convert::id_filter(page_token))?)?;
        let matches = page.records.iter().map(convert::match_record).collect();
        Ok(Response::new(ListMatchesResponse {
            matches,
            next_page_token: page.next_after.unwrap_or_default(),
        }))
    }

    async fn find_related(
        &self,
        request: Request<FindRelatedRequest>,
    ) -> Result<Response<FindRelatedResponse>, Status> {
        let FindRelatedRequest { need_id, limit } = request.into_inner();
        let limit = usize::try_from(limit).unwrap_or(usize::MAX);
        let items = self.hub.find_related(&need_id, limit).await?;
        Ok(Response::new(FindRelatedResponse {
            items: items.into_iter().map(convert::related_item).collect(),
        }))
    }

    async fn find_needs(&self, request: Request<FindNeedsRequest>) -> Result<Response<FindNeedsResponse>, Status> {
        let FindNeedsRequest {
            offer_id,
            limit,
            page_token,
        } = request.into_inner();
        let offset = convert::needs_page_offset(&offer_id, &page_token)?;
        let (page, offer_id) = off_the_workers("FindNeeds", Weight::Heavy, &self.hub, move |hub| {
            Ok((hub.find_needs(&offer_id, limit, offset)?, offer_id))
        })
        .await?;
        Ok(Response::new(FindNeedsResponse {
            needs: page.needs.iter().map(convert::need_candidate).collect(),
            next_page_token: page
                .next_offset
                .map(|offset| convert::needs_page_token(&offer_id, offset))
                .unwrap_or_default(),
        }))
    }

    async fn explain_match(
        &self,
        request: Request<ExplainMatchRequest>,
    ) -> Result<Response<ExplainMatchResponse>, Status> {
        let ExplainMatchRequest { need_id, offer_id } = request.into_inner();
        // A candidate's rank ranks every candidate of the need.
        let explained = off_the_workers("ExplainMatch", Weight::Light, &self.hub, move |hub| {
            hub.explain_match(&need_id, &offer_id)
        })
        .await?;
        Ok(Response::new(convert::pair_explanation(&explained)))
    }

    async fn set_preference(&self, request: Request<SetPreferenceRequest>) -> Result<Response<PairPreference>, Status> {
        let caller = Caller::of(&request);
        let change = convert::set_preference(request.into_inner())?;
        let requester = self.hub.record::<Need>("need_id", &change.need_id)?.requester_id;
        let provider = self.hub.record::<Offer>("offer_id", &change.offer_id)?.provider_id;
        policy::act_for(&caller, &change.actor_id, "actor_id")?;
        policy::act_for_one_of(
            &caller,
            &[&requester, &provider],
            "actor_id",
            &format!("need {} or offer {}", change.need_id, change.offer_id),
        )?;
        let mark = self.hub.set_preference(&change).await?;
        Ok(Response::new(convert::pair_preference(&mark)))
    }

    async fn run_allocation(
        &self,
        request: Request<RunAllocationRequest>,
    ) -> Result<Response<RunAllocationResponse>, Status> {
        policy::admin_only(&Caller::of(&request), "running an allocation")?;
        let allocation = convert::run_allocation(request.into_inner())?;
        let (mode, dry_run, started) = (allocation.mode, allocation.dry_run, std::time::Instant::now());
        let outcome = self.hub.run_allocation(allocation).await?;
        if let Some(metrics) = &self.metrics {
            metrics.record_allocation(mode, dry_run, started.elapsed());
        }
        Ok(Response::new(convert::allocation_outcome(&outcome)))
    }
}
