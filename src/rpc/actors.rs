//! ActorService: registering actors and reading their public profiles.

use std::sync::Arc;

use tonic::{Request, Response, Status};

use super::auth::Caller;
use super::convert::{self, ContactVisibility};
use super::policy::{self, Registration};

/// Contacts are shown to the actor itself and the admin only.
fn visibility(caller: &Caller, actor_id: &str) -> ContactVisibility {
    if policy::sees_contact(caller, actor_id) {
        ContactVisibility::Shown
    } else {
        ContactVisibility::Hidden
    }
}
use crate::domain::Violations;
use crate::hub::{ActorFilter, Hub, page_request};
use crate::proto::actor_service_server::ActorService;
use crate::proto::{
    Actor, GetActorRequest, ListActorsRequest, ListActorsResponse, RegisterActorRequest, RegisterActorResponse,
    UpdateActorRequest, WhoAmIRequest, WhoAmIResponse,
};

/// The ActorService implementation.
pub struct ActorApi {
    hub: Arc<Hub>,
    registration: Registration,
}

impl ActorApi {
    /// Serves actors from `hub`.
    pub fn new(hub: Arc<Hub>, registration: Registration) -> ActorApi {
        ActorApi { hub, registration }
    }
}

#[tonic::async_trait]
impl ActorService for ActorApi {
    async fn register_actor(
        &self,
        request: Request<RegisterActorRequest>,
    ) -> Result<Response<RegisterActorResponse>, Status> {
        let caller = Caller::of(&request);
        policy::register(&caller, self.registration)?;
        let (profile, request_id) = convert::register_actor(request.into_inner())?;
        let (actor, api_token) = self.hub.register_actor(profile, &request_id).await?;
        // A new registration shows the registrant what it sent; a replay is like any other read.
        let contact = if api_token.is_some() {
            ContactVisibility::Shown
        } else {
            visibility(&caller, &actor.id)
        };
        let actor = Some(convert::actor(&actor, contact));
        Ok(Response::new(RegisterActorResponse {
            actor,
            api_token: api_token.unwrap_or_default(),
        }))
    }

    async fn get_actor(&self, request: Request<GetActorRequest>) -> Result<Response<Actor>, Status> {
        let caller = Caller::of(&request);
        let GetActorRequest { id } = request.into_inner();
        let actor = self.hub.get_actor(&id)?;
        Ok(Response::new(convert::actor(&actor, visibility(&caller, &actor.id))))
    }

    async fn list_actors(&self, request: Request<ListActorsRequest>) -> Result<Response<ListActorsResponse>, Status> {
        let caller = Caller::of(&request);
        let ListActorsRequest {
            kind,
            country,
            page_size,
            page_token,
        } = request.into_inner();
        let mut violations = Violations::default();
        let filter = ActorFilter {
            kind: convert::optional_enum("kind", kind, &mut violations),
            country: convert::id_filter(country),
        };
        violations.into_result()?;
        let page = self
            .hub
            .list_actors(&filter, &page_request(page_size, convert::id_filter(page_token))?)?;
        let actors = page
            .records
            .iter()
            .map(|actor| convert::actor(actor, visibility(&caller, &actor.id)))
            .collect();
        Ok(Response::new(ListActorsResponse {
            actors,
            next_page_token: page.next_after.unwrap_or_default(),
        }))
    }

    async fn update_actor(&self, request: Request<UpdateActorRequest>) -> Result<Response<Actor>, Status> {
        let caller = Caller::of(&request);
        let (id, edit) = convert::update_actor(request.into_inner())?;
        // A record that does not exist is NOT_FOUND first: ownership is checked on the record.
        self.hub.record::<crate::domain::Actor>("actor.id", &id)?;
        policy::act_for(&caller, &id, "actor.id")?;
        let actor = self.hub.update_actor(&id, |profile| edit.apply(profile)).await?;
        Ok(Response::new(convert::actor(&actor, ContactVisibility::Shown)))
    }

    async fn who_am_i(&self, request: Request<WhoAmIRequest>) -> Result<Response<WhoAmIResponse>, Status> {
        let caller = Caller::of(&request);
        policy::signed_in(&caller, "WhoAmI")?;
        let WhoAmIRequest {} = request.into_inner();
        let reply = match &caller {
            Caller::Actor(id) => WhoAmIResponse {
                actor: Some(convert::actor(&self.hub.get_actor(id)?, ContactVisibility::Shown)),
                admin: false,
            },
            Caller::Admin | Caller::Anonymous => WhoAmIResponse {
                actor: None,
                admin: matches!(caller, Caller::Admin),
            },
        };
        Ok(Response::new(reply))
    }
}
