//! Who may call what, black-box: every RPC of every hub service against the README's table
//! ("## Who may call what"), with no token, another actor's token, the owner's token and the
//! admin token, plus a malformed header and an unknown token. Each row builds its own records
//! through the API (as the admin), so one row's success never changes another's precondition.

mod common;

use std::collections::BTreeSet;
use std::sync::Arc;

use capacity_hub::hub::{Hub, HubSettings};
use capacity_hub::proto::admin_service_client::AdminServiceClient;
use capacity_hub::proto::insight_service_client::InsightServiceClient;
use capacity_hub::rpc::policy::Registration;
use capacity_hub::server::{ServerOptions, serve_with};
use common::*;
use prost_types::FieldMask;
use tonic::metadata::{Ascii, MetadataValue};
use tonic::service::Interceptor;
use tonic::service::interceptor::InterceptedService;
use tonic::transport::Channel;
use tonic::{Code, Request, Status};

// ---- callers ---------------------------------------------------------------------------------

/// Who calls, as the request's `authorization` header says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Who {
    /// No header.
    Anonymous,
    /// A valid token of an actor that the record does not belong to.
    Other,
    /// The token of the actor the record belongs to (for registration and backup: any actor).
    Owner,
    Admin,
    /// `authorization: Basic xyz`.
    Malformed,
    /// `authorization: Bearer <a token this hub never issued>`.
    Unknown,
}

impl Who {
    fn label(self) -> &'static str {
        match self {
            Who::Anonymous => "no token",
            Who::Other => "another actor's token",
            Who::Owner => "the owner's token",
            Who::Admin => "the admin token",
            Who::Malformed => "'authorization: Basic xyz'",
            Who::Unknown => "an unknown bearer token",
        }
    }
}

/// Sends the `authorization` header it holds, if any.
#[derive(Clone)]
struct Credential(Option<MetadataValue<Ascii>>);

impl Interceptor for Credential {
    fn call(&mut self, mut request: Request<()>) -> Result<Request<()>, Status> {
        if let Some(value) = &self.0 {
            request.metadata_mut().insert("authorization", value.clone());
        }
        Ok(request)
    }
}

type Authed = InterceptedService<Transport, Credential>;

/// A registered actor and its token.
#[derive(Debug, Clone)]
struct Party {
    id: String,
    token: String,
}

// ---- the RPCs --------------------------------------------------------------------------------

/// One way of calling one RPC. Calls whose rules depend on the side (requester or provider) are
/// walked from both sides.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Rpc {
    RegisterActorOpen,
    RegisterActorAdminOnly,
    UpdateActor,
    WhoAmI,
    SubmitNeed,
    UpdateNeed,
    WithdrawNeed,
    ConfirmNeedStillCurrent,
    RegisterOffer,
    UpdateOffer,
    WithdrawOffer,
    ConfirmOfferStillCurrent,
    AddPartnership,
    RemovePartnership,
    ProposeMatchAsRequester,
    ProposeMatchAsProvider,
    SetPreferenceAsRequester,
    SetPreferenceAsProvider,
    RespondToMatchAsRequester,
    RespondToMatchAsProvider,
    CompleteMatchAsRequester,
    CompleteMatchAsProvider,
    WatchMatches,
    RunAllocation,
    Backup,
    SubmitPractice,
    UpdatePractice,
    WithdrawPractice,
    // Open reads.
    GetActor,
    ListActors,
    GetNeed,
    ListNeeds,
    WatchNeeds,
    GetOffer,
    ListOffers,
    ListPartnerships,
    FindPath,
    SuggestPartners,
    ExportGraph,
    FindMatches,
    FindBundles,
    GetMatch,
    ListMatches,
    GetStats,
    ExportOpenData,
    FindRelated,
    FindNeeds,
    ExplainMatch,
    GetPractice,
    ListPractices,
    Search,
}

impl Rpc {
    /// The gRPC method this row calls.
    fn method(self) -> &'static str {
        match self {
            Rpc::RegisterActorOpen | Rpc::RegisterActorAdminOnly => "RegisterActor",
            Rpc::UpdateActor => "UpdateActor",
            Rpc::WhoAmI => "WhoAmI",
            Rpc::SubmitNeed => "SubmitNeed",
            Rpc::UpdateNeed => "UpdateNeed",
            Rpc::WithdrawNeed => "WithdrawNeed",
            Rpc::RegisterOffer => "RegisterOffer",
            Rpc::UpdateOffer => "UpdateOffer",
            Rpc::WithdrawOffer => "WithdrawOffer",
            Rpc::ConfirmNeedStillCurrent | Rpc::ConfirmOfferStillCurrent => "ConfirmStillCurrent",
            Rpc::AddPartnership => "AddPartnership",
            Rpc::RemovePartnership => "RemovePartnership",
            Rpc::ProposeMatchAsRequester | Rpc::ProposeMatchAsProvider => "ProposeMatch",
            Rpc::SetPreferenceAsRequester | Rpc::SetPreferenceAsProvider => "SetPreference",
            Rpc::RespondToMatchAsRequester | Rpc::RespondToMatchAsProvider => "RespondToMatch",
            Rpc::CompleteMatchAsRequester | Rpc::CompleteMatchAsProvider => "CompleteMatch",
            Rpc::WatchMatches => "WatchMatches",
            Rpc::RunAllocation => "RunAllocation",
            Rpc::Backup => "Backup",
            Rpc::GetActor => "GetActor",
            Rpc::ListActors => "ListActors",
            Rpc::GetNeed => "GetNeed",
            Rpc::ListNeeds => "ListNeeds",
            Rpc::WatchNeeds => "WatchNeeds",
            Rpc::GetOffer => "GetOffer",
            Rpc::ListOffers => "ListOffers",
            Rpc::ListPartnerships => "ListPartnerships",
            Rpc::FindPath => "FindPath",
            Rpc::SuggestPartners => "SuggestPartners",
            Rpc::ExportGraph => "ExportGraph",
            Rpc::FindMatches => "FindMatches",
            Rpc::FindBundles => "FindBundles",
            Rpc::GetMatch => "GetMatch",
            Rpc::ListMatches => "ListMatches",
            Rpc::GetStats => "GetStats",
            Rpc::ExportOpenData => "ExportOpenData",
            Rpc::SubmitPractice => "SubmitPractice",
            Rpc::UpdatePractice => "UpdatePractice",
            Rpc::WithdrawPractice => "WithdrawPractice",
            Rpc::FindRelated => "FindRelated",
            Rpc::FindNeeds => "FindNeeds",
            Rpc::ExplainMatch => "ExplainMatch",
            Rpc::GetPractice => "GetPractice",
            Rpc::ListPractices => "ListPractices",
            Rpc::Search => "Search",
        }
    }

    /// The method and, where it matters, the server or the side the owner is on.
    fn label(self) -> String {
        let how = match self {
            Rpc::RegisterActorOpen => " (--registration open)",
            Rpc::RegisterActorAdminOnly => " (--registration admin-only)",
            Rpc::ConfirmNeedStillCurrent => " (NeedService)",
            Rpc::ConfirmOfferStillCurrent => " (OfferService)",
            Rpc::ProposeMatchAsRequester
            | Rpc::SetPreferenceAsRequester
            | Rpc::RespondToMatchAsRequester
            | Rpc::CompleteMatchAsRequester => " (owner = requester)",
            Rpc::ProposeMatchAsProvider
            | Rpc::SetPreferenceAsProvider
            | Rpc::RespondToMatchAsProvider
            | Rpc::CompleteMatchAsProvider => " (owner = provider)",
            _ => "",
        };
        format!("{}{how}", self.method())
    }
}

/// One expectation of the README's table.
#[derive(Debug, Clone, Copy)]
struct Row {
    rpc: Rpc,
    who: Who,
    expected: Code,
}

/// The README's table, one line per RPC.
fn table() -> Vec<Row> {
    use Code::{InvalidArgument as INVALID, Ok as OK, PermissionDenied as DENIED, Unauthenticated as UNAUTHENTICATED};
    use Who::*;
    // Changes on behalf of an actor: the owner and the admin only.
    const OWNED: &[(Who, Code)] = &[(Anonymous, UNAUTHENTICATED), (Other, DENIED), (Owner, OK), (Admin, OK)];
    // For the admin alone (for these rows the "owner" is just some actor).
    const ADMIN: &[(Who, Code)] = &[(Anonymous, UNAUTHENTICATED), (Owner, DENIED), (Admin, OK)];
    // Open to everyone; a bad header is refused, never read as anonymous.
    const OPEN: &[(Who, Code)] = &[
        (Anonymous, OK),
        (Other, OK),
        (Owner, OK),
        (Admin, OK),
        (Malformed, UNAUTHENTICATED),
        (Unknown, UNAUTHENTICATED),
    ];
    let lines: &[(Rpc, &[(Who, Code)])] = &[
        (Rpc::RegisterActorOpen, OPEN),
        (
            Rpc::RegisterActorAdminOnly,
            &[
                (Anonymous, UNAUTHENTICATED),
                (Owner, DENIED),
                (Admin, OK),
                (Malformed, UNAUTHENTICATED),
                (Unknown, UNAUTHENTICATED),
            ],
        ),
        (Rpc::UpdateActor, OWNED),
        // Any token says whose it is; no token, nothing to say.
        (
            Rpc::WhoAmI,
            &[
                (Anonymous, UNAUTHENTICATED),
                (Other, OK),
                (Owner, OK),
                (Admin, OK),
                (Malformed, UNAUTHENTICATED),
                (Unknown, UNAUTHENTICATED),
            ],
        ),
        (Rpc::SubmitNeed, OWNED),
        (Rpc::UpdateNeed, OWNED),
        (Rpc::WithdrawNeed, OWNED),
        (Rpc::ConfirmNeedStillCurrent, OWNED),
        (Rpc::RegisterOffer, OWNED),
        (Rpc::UpdateOffer, OWNED),
        (Rpc::WithdrawOffer, OWNED),
        (Rpc::ConfirmOfferStillCurrent, OWNED),
        (Rpc::AddPartnership, OWNED),
        (Rpc::RemovePartnership, OWNED),
        (Rpc::ProposeMatchAsRequester, OWNED),
        (Rpc::ProposeMatchAsProvider, OWNED),
        // A party marks a pair as itself: "other" is an actor who is no party to it.
        (Rpc::SetPreferenceAsRequester, OWNED),
        (Rpc::SetPreferenceAsProvider, OWNED),
        (Rpc::RespondToMatchAsRequester, OWNED),
        (Rpc::RespondToMatchAsProvider, OWNED),
        (Rpc::CompleteMatchAsRequester, OWNED),
        // Only the requester rates an outcome: the provider's own token is refused, and the admin
        // naming the provider as actor_id is an invalid argument.
        (
            Rpc::CompleteMatchAsProvider,
            &[
                (Anonymous, UNAUTHENTICATED),
                (Other, DENIED),
                (Owner, DENIED),
                (Admin, INVALID),
            ],
        ),
        (Rpc::WatchMatches, OWNED),
        // Not in the README's table: "Admin only" says the proto, "allocation runs are for
        // admins" says policy.rs. The owner's token runs it over the owner's own needs.
        (Rpc::RunAllocation, ADMIN),
        (Rpc::Backup, ADMIN),
        // Practices are the author's: submitted for, updated and withdrawn by the author (a
        // partner named in partner_ids is "another actor") or the admin.
        (Rpc::SubmitPractice, OWNED),
        (Rpc::UpdatePractice, OWNED),
        (Rpc::WithdrawPractice, OWNED),
        (Rpc::GetActor, OPEN),
        (Rpc::ListActors, OPEN),
        (Rpc::GetNeed, OPEN),
        (Rpc::ListNeeds, OPEN),
        (Rpc::WatchNeeds, OPEN),
        (Rpc::GetOffer, OPEN),
        (Rpc::ListOffers, OPEN),
        (Rpc::ListPartnerships, OPEN),
        (Rpc::FindPath, OPEN),
        (Rpc::SuggestPartners, OPEN),
        (Rpc::ExportGraph, OPEN),
        (Rpc::FindMatches, OPEN),
        (Rpc::FindBundles, OPEN),
        (Rpc::GetMatch, OPEN),
        (Rpc::ListMatches, OPEN),
        (Rpc::GetStats, OPEN),
        (Rpc::ExportOpenData, OPEN),
        (Rpc::FindRelated, OPEN),
        (Rpc::FindNeeds, OPEN),
        (Rpc::ExplainMatch, OPEN),
        (Rpc::GetPractice, OPEN),
        (Rpc::ListPractices, OPEN),
        // Search is open to everyone, anonymous callers included.
        (Rpc::Search, OPEN),
    ];
    lines
        .iter()
        .flat_map(|&(rpc, callers)| callers.iter().map(move |&(who, expected)| Row { rpc, who, expected }))
        .collect()
}

// ---- the world the rows run in ---------------------------------------------------------------

/// Records the open reads look at, made once (reads change nothing).
struct Published {
    owner: Party,
    partner: Party,
    need_id: String,
    offer_id: String,
    match_id: String,
}

struct World {
    /// The harness server: open registration, admin token [`ADMIN_TOKEN`].
    hub: TestHub,
    /// How the rows reach the harness server: gRPC, or gRPC-Web as a browser does.
    transport: Transport,
    /// A second server with `Registration::AdminOnly` and the same admin token, reached the
    /// same way.
    admin_only: Transport,
    /// An actor of the admin-only server (registered by the admin there).
    admin_only_actor: Party,
    /// An actor of the harness server who owns none of the records the rows touch.
    outsider: Party,
    published: Published,
}

fn registration(name: &str, country: &str, kind: ActorKind) -> RegisterActorRequest {
    RegisterActorRequest {
        name: name.into(),
        kind: kind as i32,
        country: country.into(),
        languages: vec!["es".into(), "en".into()],
        contact: format!("{}@example.org", name.to_lowercase().replace(' ', ".")),
        ..Default::default()
    }
}

fn party(reply: RegisterActorResponse) -> Party {
    Party {
        id: reply.actor.expect("RegisterActor returns the actor").id,
        token: reply.api_token,
    }
}

fn mask(paths: &[&str]) -> FieldMask {
    FieldMask {
        paths: paths.iter().map(|p| p.to_string()).collect(),
    }
}

fn need_of(requester: &Party) -> SubmitNeedRequest {
    need_request(&requester.id, &[13], &[Modality::TechnicalAdvice], &["GTM"])
}

fn practice_of(author: &Party, partner: &Party) -> SubmitPracticeRequest {
    SubmitPracticeRequest {
        partner_ids: vec![partner.id.clone()],
        ..practice_request(&author.id, &[13], &["GTM"])
    }
}

/// A practice the admin publishes for a row to act on. A failure here is the row's setup failing,
/// reported as INTERNAL (which no row expects) rather than aborting the whole table.
async fn published_practice(hub: &TestHub, author: &Party, partner: &Party) -> Result<Practice, Status> {
    hub.practices()
        .submit_practice(practice_of(author, partner))
        .await
        .map(tonic::Response::into_inner)
        .map_err(|status| Status::internal(format!("setup: the admin's SubmitPractice failed: {status:?}")))
}

fn offer_of(provider: &Party) -> RegisterOfferRequest {
    offer_request(
        &provider.id,
        &[13],
        &[Modality::TechnicalAdvice],
        Coverage::Regions(vec!["central_america"]),
    )
}

/// A server with `Registration::AdminOnly`, over `dir`; it runs until the test's runtime ends.
async fn start_admin_only(dir: &std::path::Path, web: bool) -> Transport {
    let hub = Arc::new(Hub::open(dir, HubSettings::default()).expect("the hub opens"));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind 127.0.0.1:0");
    let addr = listener.local_addr().expect("local address");
    let options = ServerOptions {
        admin_token: Some(ADMIN_TOKEN.to_string()),
        registration: Registration::AdminOnly,
        ..ServerOptions::default()
    };
    tokio::spawn(async move {
        serve_with(listener, hub, options, std::future::pending())
            .await
            .expect("the admin-only server runs");
    });
    if web {
        return Transport::grpc_web(addr);
    }
    let channel = Channel::from_shared(format!("http://{addr}"))
        .expect("a valid uri")
        .connect()
        .await
        .expect("connect to the admin-only server");
    Transport::Grpc(channel)
}

impl World {
    /// The world, its rows sent over gRPC-Web when `web`.
    async fn new(dir: &std::path::Path, admin_only_dir: &std::path::Path, web: bool) -> World {
        let hub = TestHub::start(dir).await;
        let transport = if web {
            Transport::grpc_web(hub.addr)
        } else {
            Transport::Grpc(hub.channel())
        };
        let admin_only = start_admin_only(admin_only_dir, web).await;
        let admin_only_actor = party(
            ActorServiceClient::new(authed(&admin_only, bearer(ADMIN_TOKEN)))
                .register_actor(registration("Admitted", "CRI", ActorKind::NationalGovernment))
                .await
                .expect("the admin registers actors on an admin-only hub")
                .into_inner(),
        );
        let outsider = party(
            hub.register_with(registration("Outsider", "PAN", ActorKind::CivilSociety))
                .await,
        );
        let owner = party(
            hub.register_with(registration("Guatemala", "GTM", ActorKind::NationalGovernment))
                .await,
        );
        let partner = party(
            hub.register_with(registration("Casa Alianza", "MEX", ActorKind::CivilSociety))
                .await,
        );
        hub.partner(&owner.id, &partner.id, PartnershipKind::BilateralAgreement, 0.8)
            .await;
        let need = hub.submit(need_of(&owner)).await;
        let offer = hub.offer(offer_of(&partner)).await;
        let proposed = hub.propose(&need.id, &offer.id).await;
        World {
            hub,
            transport,
            admin_only,
            admin_only_actor,
            outsider,
            published: Published {
                owner,
                partner,
                need_id: need.id,
                offer_id: offer.id,
                match_id: proposed.id,
            },
        }
    }

    /// A fresh actor of the harness server, registered by the admin.
    async fn fresh(&self, name: &str, country: &str, kind: ActorKind) -> Party {
        party(self.hub.register_with(registration(name, country, kind)).await)
    }

    /// A need of `requester` and an offer of `provider` that fit each other.
    async fn pair(&self, requester: &Party, provider: &Party) -> (String, String) {
        let need = self.hub.submit(need_of(requester)).await;
        let offer = self.hub.offer(offer_of(provider)).await;
        (need.id, offer.id)
    }

    /// A match both parties accepted, ready to complete.
    async fn confirmed(&self, requester: &Party, provider: &Party) -> String {
        let (need_id, offer_id) = self.pair(requester, provider).await;
        let proposed = self.hub.propose(&need_id, &offer_id).await;
        self.hub.respond(&proposed.id, &requester.id, true).await;
        let confirmed = self.hub.respond(&proposed.id, &provider.id, true).await;
        assert_eq!(confirmed.status, MatchStatus::Confirmed as i32, "{confirmed:?}");
        proposed.id
    }
}

/// `transport`, every request carrying `header` as its `authorization` (none when `None`).
fn authed(transport: &Transport, header: Option<String>) -> Authed {
    let header = header.map(|h| h.parse().expect("an ASCII header"));
    InterceptedService::new(transport.clone(), Credential(header))
}

fn bearer(token: &str) -> Option<String> {
    Some(format!("Bearer {token}"))
}

/// The header `who` sends when the record belongs to `owner` and `other` is someone else.
fn header(who: Who, owner: &Party, other: &Party) -> Option<String> {
    match who {
        Who::Anonymous => None,
        Who::Other => bearer(&other.token),
        Who::Owner => bearer(&owner.token),
        Who::Admin => bearer(ADMIN_TOKEN),
        Who::Malformed => Some("Basic xyz".to_string()),
        Who::Unknown => bearer("not-a-token-this-hub-issued-0123456789"),
    }
}

/// Performs `rpc` as `who`; `Ok(())` when the server said OK.
async fn attempt(world: &World, rpc: Rpc, who: Who) -> Result<(), Status> {
    let hub = &world.hub;
    // The actor whose token "owner" rows present, and the other party of the record.
    let (owner, partner) = match rpc {
        Rpc::RegisterActorAdminOnly => (world.admin_only_actor.clone(), world.outsider.clone()),
        Rpc::GetActor
        | Rpc::ListActors
        | Rpc::GetNeed
        | Rpc::ListNeeds
        | Rpc::WatchNeeds
        | Rpc::GetOffer
        | Rpc::ListOffers
        | Rpc::ListPartnerships
        | Rpc::FindPath
        | Rpc::SuggestPartners
        | Rpc::ExportGraph
        | Rpc::FindMatches
        | Rpc::FindBundles
        | Rpc::GetMatch
        | Rpc::ListMatches
        | Rpc::GetStats
        | Rpc::ExportOpenData
        | Rpc::FindRelated
        | Rpc::FindNeeds
        | Rpc::ExplainMatch
        | Rpc::GetPractice
        | Rpc::ListPractices
        | Rpc::Search => (world.published.owner.clone(), world.published.partner.clone()),
        _ => (
            world.fresh("Owner", "GTM", ActorKind::NationalGovernment).await,
            world.fresh("Partner", "MEX", ActorKind::CivilSociety).await,
        ),
    };
    let server = if rpc == Rpc::RegisterActorAdminOnly {
        &world.admin_only
    } else {
        &world.transport
    };
    let channel = authed(server, header(who, &owner, &world.outsider));
    let mut actors = ActorServiceClient::new(channel.clone());
    let mut needs = NeedServiceClient::new(channel.clone());
    let mut offers = OfferServiceClient::new(channel.clone());
    let mut partnerships = PartnershipServiceClient::new(channel.clone());
    let mut matches = MatchServiceClient::new(channel.clone());
    let mut insights = InsightServiceClient::new(channel.clone());
    let mut practices = PracticeServiceClient::new(channel.clone());
    let mut search = SearchServiceClient::new(channel.clone());
    let published = &world.published;
    match rpc {
        Rpc::RegisterActorOpen | Rpc::RegisterActorAdminOnly => {
            let request = registration("Newcomer", "SLV", ActorKind::LocalAuthority);
            actors.register_actor(request).await.map(drop)
        }
        Rpc::WhoAmI => {
            let me = actors.who_am_i(WhoAmIRequest {}).await?.into_inner();
            let expected = match who {
                Who::Owner => Some(owner.id.as_str()),
                Who::Other => Some(world.outsider.id.as_str()),
                _ => None,
            };
            let said = me.actor.as_ref().map(|actor| actor.id.as_str());
            let right = said == expected && me.admin == (who == Who::Admin);
            // The actor itself sees its own contact.
            let contact_shown = me.actor.as_ref().is_none_or(|actor| !actor.contact.is_empty());
            if right && contact_shown {
                Ok(())
            } else {
                Err(Status::internal(format!("WhoAmI as {}: said {me:?}", who.label())))
            }
        }
        Rpc::UpdateActor => {
            let request = UpdateActorRequest {
                actor: Some(Actor {
                    id: owner.id.clone(),
                    description: "Ministry of Foreign Affairs, migration desk.".into(),
                    ..Default::default()
                }),
                update_mask: Some(mask(&["description"])),
            };
            actors.update_actor(request).await.map(drop)
        }
        Rpc::SubmitNeed => needs.submit_need(need_of(&owner)).await.map(drop),
        Rpc::UpdateNeed => {
            let need = hub.submit(need_of(&owner)).await;
            let request = UpdateNeedRequest {
                need: Some(Need {
                    id: need.id,
                    title: "Advice on regular pathways".into(),
                    ..Default::default()
                }),
                update_mask: Some(mask(&["title"])),
            };
            needs.update_need(request).await.map(drop)
        }
        Rpc::WithdrawNeed => {
            let need = hub.submit(need_of(&owner)).await;
            let request = WithdrawNeedRequest {
                id: need.id,
                reason: "met elsewhere".into(),
            };
            needs.withdraw_need(request).await.map(drop)
        }
        Rpc::ConfirmNeedStillCurrent => {
            let need = hub.submit(need_of(&owner)).await;
            let request = ConfirmNeedStillCurrentRequest { id: need.id };
            needs.confirm_still_current(request).await.map(drop)
        }
        Rpc::ConfirmOfferStillCurrent => {
            let offer = hub.offer(offer_of(&owner)).await;
            let request = ConfirmOfferStillCurrentRequest { id: offer.id };
            offers.confirm_still_current(request).await.map(drop)
        }
        Rpc::RegisterOffer => offers.register_offer(offer_of(&owner)).await.map(drop),
        Rpc::UpdateOffer => {
            let offer = hub.offer(offer_of(&owner)).await;
            let request = UpdateOfferRequest {
                offer: Some(Offer {
                    id: offer.id,
                    title: "Advisers on regular pathways".into(),
                    ..Default::default()
                }),
                update_mask: Some(mask(&["title"])),
            };
            offers.update_offer(request).await.map(drop)
        }
        Rpc::WithdrawOffer => {
            let offer = hub.offer(offer_of(&owner)).await;
            let request = WithdrawOfferRequest {
                id: offer.id,
                reason: "no trainers left".into(),
            };
            offers.withdraw_offer(request).await.map(drop)
        }
        Rpc::AddPartnership => {
            let request = AddPartnershipRequest {
                actor_a: owner.id.clone(),
                actor_b: partner.id.clone(),
                kind: PartnershipKind::BilateralAgreement as i32,
                trust: 0.8,
                ..Default::default()
            };
            partnerships.add_partnership(request).await.map(drop)
        }
        Rpc::RemovePartnership => {
            let link = hub
                .partner(&owner.id, &partner.id, PartnershipKind::Memorandum, 0.6)
                .await;
            let request = RemovePartnershipRequest { id: link.id };
            partnerships.remove_partnership(request).await.map(drop)
        }
        Rpc::ProposeMatchAsRequester | Rpc::ProposeMatchAsProvider => {
            let (need_id, offer_id) = if rpc == Rpc::ProposeMatchAsRequester {
                world.pair(&owner, &partner).await
            } else {
                world.pair(&partner, &owner).await
            };
            let request = ProposeMatchRequest {
                need_id,
                offer_id,
                ..Default::default()
            };
            matches.propose_match(request).await.map(drop)
        }
        Rpc::SetPreferenceAsRequester | Rpc::SetPreferenceAsProvider => {
            let (need_id, offer_id) = if rpc == Rpc::SetPreferenceAsRequester {
                world.pair(&owner, &partner).await
            } else {
                world.pair(&partner, &owner).await
            };
            let request = SetPreferenceRequest {
                need_id,
                offer_id,
                actor_id: owner.id.clone(),
                preference: Preference::Declined as i32,
                reason: "not this one".into(),
            };
            matches.set_preference(request).await.map(drop)
        }
        Rpc::RespondToMatchAsRequester | Rpc::RespondToMatchAsProvider => {
            let (need_id, offer_id) = if rpc == Rpc::RespondToMatchAsRequester {
                world.pair(&owner, &partner).await
            } else {
                world.pair(&partner, &owner).await
            };
            let proposed = hub.propose(&need_id, &offer_id).await;
            let request = respond_request(&proposed.id, &owner.id, true);
            matches.respond_to_match(request).await.map(drop)
        }
        Rpc::CompleteMatchAsRequester | Rpc::CompleteMatchAsProvider => {
            let match_id = if rpc == Rpc::CompleteMatchAsRequester {
                world.confirmed(&owner, &partner).await
            } else {
                world.confirmed(&partner, &owner).await
            };
            let request = CompleteMatchRequest {
                match_id,
                actor_id: owner.id.clone(),
                rating: 4,
                lessons_learned: "Twice-weekly calls kept it on track.".into(),
                ..Default::default()
            };
            matches.complete_match(request).await.map(drop)
        }
        Rpc::WatchMatches => {
            let request = WatchMatchesRequest {
                actor_id: owner.id.clone(),
                after_sequence: 0,
            };
            // Opening the stream is the call; it then waits for events, so drop it.
            matches.watch_matches(request).await.map(drop)
        }
        Rpc::RunAllocation => {
            // Over this row's own need and offer only, so that it cannot touch another row's.
            world.pair(&owner, &partner).await;
            let request = RunAllocationRequest {
                requester_id: owner.id.clone(),
                provider_id: partner.id.clone(),
                ..Default::default()
            };
            matches.run_allocation(request).await.map(drop)
        }
        Rpc::Backup => {
            let mut admin = AdminServiceClient::new(channel);
            let mut chunks = admin.backup(BackupRequest {}).await?.into_inner();
            while chunks.message().await?.is_some() {}
            Ok(())
        }
        Rpc::SubmitPractice => practices.submit_practice(practice_of(&owner, &partner)).await.map(drop),
        Rpc::UpdatePractice => {
            let practice = published_practice(hub, &owner, &partner).await?;
            let request = UpdatePracticeRequest {
                practice: Some(Practice {
                    id: practice.id,
                    title: "Alternatives to detention, second phase".into(),
                    ..Default::default()
                }),
                update_mask: Some(mask(&["title"])),
            };
            practices.update_practice(request).await.map(drop)
        }
        Rpc::WithdrawPractice => {
            let practice = published_practice(hub, &owner, &partner).await?;
            let request = WithdrawPracticeRequest {
                id: practice.id,
                reason: "superseded".into(),
            };
            practices.withdraw_practice(request).await.map(drop)
        }
        Rpc::GetActor => {
            let request = GetActorRequest {
                id: published.owner.id.clone(),
            };
            actors.get_actor(request).await.map(drop)
        }
        Rpc::ListActors => actors.list_actors(ListActorsRequest::default()).await.map(drop),
        Rpc::GetNeed => {
            let request = GetNeedRequest {
                id: published.need_id.clone(),
            };
            needs.get_need(request).await.map(drop)
        }
        Rpc::ListNeeds => {
            let request = ListNeedsRequest {
                requester_id: published.owner.id.clone(),
                ..Default::default()
            };
            needs.list_needs(request).await.map(drop)
        }
        Rpc::WatchNeeds => needs.watch_needs(WatchNeedsRequest::default()).await.map(drop),
        Rpc::GetOffer => {
            let request = GetOfferRequest {
                id: published.offer_id.clone(),
            };
            offers.get_offer(request).await.map(drop)
        }
        Rpc::ListOffers => offers.list_offers(ListOffersRequest::default()).await.map(drop),
        Rpc::ListPartnerships => {
            let request = ListPartnershipsRequest {
                actor_id: published.owner.id.clone(),
                ..Default::default()
            };
            partnerships.list_partnerships(request).await.map(drop)
        }
        Rpc::FindPath => {
            let request = FindPathRequest {
                from_actor_id: published.owner.id.clone(),
                to_actor_id: published.partner.id.clone(),
            };
            partnerships.find_path(request).await.map(drop)
        }
        Rpc::SuggestPartners => {
            let request = SuggestPartnersRequest {
                actor_id: published.owner.id.clone(),
                ..Default::default()
            };
            partnerships.suggest_partners(request).await.map(drop)
        }
        Rpc::ExportGraph => partnerships.export_graph(ExportGraphRequest::default()).await.map(drop),
        Rpc::FindMatches => {
            let request = FindMatchesRequest {
                need_id: published.need_id.clone(),
                limit: 10,
            };
            matches.find_matches(request).await.map(drop)
        }
        Rpc::FindBundles => {
            let request = FindBundlesRequest {
                need_id: published.need_id.clone(),
                max_bundles: 3,
            };
            matches.find_bundles(request).await.map(drop)
        }
        Rpc::GetMatch => {
            let request = GetMatchRequest {
                id: published.match_id.clone(),
            };
            matches.get_match(request).await.map(drop)
        }
        Rpc::ListMatches => {
            let request = ListMatchesRequest {
                actor_id: published.owner.id.clone(),
                ..Default::default()
            };
            matches.list_matches(request).await.map(drop)
        }
        Rpc::GetStats => insights.get_stats(GetStatsRequest {}).await.map(drop),
        Rpc::ExportOpenData => {
            let mut records = insights.export_open_data(ExportOpenDataRequest {}).await?.into_inner();
            while records.message().await?.is_some() {}
            Ok(())
        }
        Rpc::FindRelated => {
            let request = FindRelatedRequest {
                need_id: published.need_id.clone(),
                limit: 10,
            };
            matches.find_related(request).await.map(drop)
        }
        Rpc::FindNeeds => {
            let request = FindNeedsRequest {
                offer_id: published.offer_id.clone(),
                ..Default::default()
            };
            matches.find_needs(request).await.map(drop)
        }
        Rpc::ExplainMatch => {
            let request = ExplainMatchRequest {
                need_id: published.need_id.clone(),
                offer_id: published.offer_id.clone(),
            };
            matches.explain_match(request).await.map(drop)
        }
        Rpc::GetPractice => {
            // Published by the admin for this row; the row is the read.
            let practice = published_practice(hub, &published.owner, &published.partner).await?;
            practices
                .get_practice(GetPracticeRequest { id: practice.id })
                .await
                .map(drop)
        }
        Rpc::ListPractices => {
            let request = ListPracticesRequest {
                author_id: published.owner.id.clone(),
                ..Default::default()
            };
            practices.list_practices(request).await.map(drop)
        }
        Rpc::Search => search.search(search_request("detention")).await.map(drop),
    }
}

/// The names of the methods of the hub's own services (not health or reflection).
fn hub_methods() -> BTreeSet<String> {
    let pool = prost_reflect::DescriptorPool::decode(capacity_hub::proto::FILE_DESCRIPTOR_SET)
        .expect("the descriptor set decodes");
    pool.services()
        .filter(|service| service.package_name() == "capacityhub.v1")
        .flat_map(|service| {
            service
                .methods()
                .map(|method| method.name().to_string())
                .collect::<Vec<_>>()
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_rpc_answers_each_caller_as_the_readme_table_says() {
    every_rpc_answers_each_caller_as_the_table_says(false).await;
}

/// A browser's calls (gRPC-Web over HTTP/1.1, unary and streaming) get exactly the codes a gRPC
/// client gets: same interceptor, same policy.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn over_grpc_web_every_rpc_answers_each_caller_as_over_grpc() {
    every_rpc_answers_each_caller_as_the_table_says(true).await;
}

async fn every_rpc_answers_each_caller_as_the_table_says(web: bool) {
    let dir = tempfile::tempdir().unwrap();
    let admin_only_dir = tempfile::tempdir().unwrap();
    let world = World::new(dir.path(), admin_only_dir.path(), web).await;
    let rows = table();

    // The table walks every method the hub serves.
    let walked: BTreeSet<String> = rows.iter().map(|row| row.rpc.method().to_string()).collect();
    let missing: Vec<_> = hub_methods().difference(&walked).cloned().collect();
    assert!(missing.is_empty(), "the table has no row for {missing:?}");

    // Rows are independent (each makes its own records), so they run at once: the store's group
    // commit then shares its flushes among them.
    let world = Arc::new(world);
    let mut calls = tokio::task::JoinSet::new();
    for (index, row) in rows.iter().copied().enumerate() {
        let world = Arc::clone(&world);
        calls.spawn(async move { (index, row, attempt(&world, row.rpc, row.who).await) });
    }
    let mut results = calls.join_all().await;
    results.sort_by_key(|(index, _, _)| *index);

    let mut mismatches = Vec::new();
    for (index, row, got) in results {
        let code = got.as_ref().err().map_or(Code::Ok, Status::code);
        if let Err(status) = &got
            && let Some(problem) = refusal_problem(row.who, status)
        {
            mismatches.push(format!(
                "row {index}: {} with {}: {problem}",
                row.rpc.label(),
                row.who.label()
            ));
        }
        if code != row.expected {
            let message = got
                .err()
                .map(|status| format!(" ({:?})", status.message()))
                .unwrap_or_default();
            mismatches.push(format!(
                "row {index}: {} with {}: expected {:?}, got {code:?}{message}",
                row.rpc.label(),
                row.who.label(),
                row.expected,
            ));
        }
    }
    assert!(
        mismatches.is_empty(),
        "{} of {} rows contradict the README's table:\n  {}",
        mismatches.len(),
        rows.len(),
        mismatches.join("\n  ")
    );
}

/// What is wrong with the details of a refusal to `who`, if anything: the reason must say why
/// this caller was refused (no token, a bad token, or a token that may not do this).
fn refusal_problem(who: Who, status: &Status) -> Option<String> {
    if let Err(problem) = readable_details(status, "") {
        return Some(problem);
    }
    let reason = reason_of(status);
    let expected: &[&str] = match (status.code(), who) {
        (Code::Unauthenticated, Who::Anonymous) => &["TOKEN_MISSING"],
        (Code::Unauthenticated, Who::Malformed | Who::Unknown) => &["TOKEN_INVALID"],
        (Code::PermissionDenied, _) => &["NOT_YOUR_RECORD", "NOT_A_PARTY", "ADMIN_ONLY"],
        _ => return None,
    };
    if !expected.contains(&reason.as_str()) {
        return Some(format!("reason {reason}, expected one of {expected:?}"));
    }
    // The README: a token acting for someone else, or for an actor who is not a party, is
    // refused naming the field.
    let names_a_field = status.message().split_once(": ").is_some_and(|(field, _)| {
        !field.is_empty()
            && field
                .chars()
                .all(|c| c.is_ascii_lowercase() || matches!(c, '_' | '.' | ' '))
    });
    (["NOT_YOUR_RECORD", "NOT_A_PARTY"].contains(&reason.as_str()) && !names_a_field)
        .then(|| format!("{reason} without the field it is about: {}", status.message()))
}

// ---- contacts ----------------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn contacts_are_shown_to_the_actor_itself_and_the_admin_only() {
    let dir = tempfile::tempdir().unwrap();
    let hub = TestHub::start(dir.path()).await;
    // Open registration: both register themselves, without a token, and see their own contact.
    let mut anonymous = ActorServiceClient::new(authed(&Transport::Grpc(hub.channel()), None));
    let mut parties = Vec::new();
    for (name, country) in [("Guatemala", "GTM"), ("Mexico", "MEX")] {
        let request = registration(name, country, ActorKind::NationalGovernment);
        let contact = request.contact.clone();
        let reply = anonymous
            .register_actor(request)
            .await
            .expect("open registration")
            .into_inner();
        let shown = reply.actor.as_ref().map(|actor| actor.contact.clone());
        assert_eq!(
            shown,
            Some(contact.clone()),
            "RegisterActor shows the registrant its contact"
        );
        parties.push((party(reply), contact));
    }
    let [(guatemala, _), (mexico, _)] = &parties[..] else {
        unreachable!("two actors")
    };
    let contact_of = |id: &str| {
        let (_, contact) = parties.iter().find(|(p, _)| p.id == id).expect("a registered actor");
        contact.clone()
    };

    // (viewer, its connection, the actor it is (None: anonymous or admin), whether it is the admin)
    let viewers = [
        ("no token", authed(&Transport::Grpc(hub.channel()), None), None, false),
        (
            "Mexico's token",
            authed(&Transport::Grpc(hub.channel()), bearer(&mexico.token)),
            Some(mexico.id.clone()),
            false,
        ),
        (
            "Guatemala's token",
            authed(&Transport::Grpc(hub.channel()), bearer(&guatemala.token)),
            Some(guatemala.id.clone()),
            false,
        ),
        (
            "the admin token",
            authed(&Transport::Grpc(hub.channel()), bearer(ADMIN_TOKEN)),
            None,
            true,
        ),
    ];
    let mut mismatches = Vec::new();
    for (viewer, channel, itself, admin) in viewers {
        let expected = |id: &str| {
            if admin || itself.as_deref() == Some(id) {
                contact_of(id)
            } else {
                String::new()
            }
        };
        let mut client = ActorServiceClient::new(channel);

        let got = client
            .get_actor(GetActorRequest {
                id: guatemala.id.clone(),
            })
            .await
            .expect("GetActor is open")
            .into_inner();
        if got.contact != expected(&guatemala.id) {
            mismatches.push(format!(
                "GetActor(Guatemala) with {viewer}: expected contact {:?}, got {:?}",
                expected(&guatemala.id),
                got.contact
            ));
        }

        let listed = client
            .list_actors(ListActorsRequest::default())
            .await
            .expect("ListActors is open")
            .into_inner()
            .actors;
        assert_eq!(listed.len(), 2, "{listed:?}");
        for actor in listed {
            if actor.contact != expected(&actor.id) {
                mismatches.push(format!(
                    "ListActors with {viewer}: {} expected contact {:?}, got {:?}",
                    actor.name,
                    expected(&actor.id),
                    actor.contact
                ));
            }
        }
    }
    assert!(
        mismatches.is_empty(),
        "contacts contradict the README's table:\n  {}",
        mismatches.join("\n  ")
    );
}

/// Protects: a record that does not exist is NOT_FOUND first, whatever token comes with the
/// call (ownership is checked on the record): an actor to update, a match to answer or
/// complete, with a stranger's token and with none.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_missing_record_is_not_found_before_the_token_is_judged() {
    let dir = tempfile::tempdir().unwrap();
    let hub = TestHub::start(dir.path()).await;
    let stranger = hub
        .register_with(registration("Mexico", "MEX", ActorKind::NationalGovernment))
        .await;
    let anonymous = Transport::Grpc(hub.channel());
    for header in [None, Some(format!("Bearer {}", stranger.api_token))] {
        let channel = authed(&anonymous, header.clone());
        let mut actors = ActorServiceClient::new(channel.clone());
        let update = actors
            .update_actor(UpdateActorRequest {
                actor: Some(Actor {
                    id: "actor-9999".into(),
                    name: "Nobody".into(),
                    ..Actor::default()
                }),
                update_mask: Some(FieldMask {
                    paths: vec!["name".into()],
                }),
            })
            .await
            .unwrap_err();
        let mut matches = MatchServiceClient::new(channel);
        let respond = matches
            .respond_to_match(respond_request("match-9999", "actor-0", true))
            .await
            .unwrap_err();
        let complete = matches
            .complete_match(CompleteMatchRequest {
                match_id: "match-9999".into(),
                actor_id: "actor-0".into(),
                rating: 4,
                ..CompleteMatchRequest::default()
            })
            .await
            .unwrap_err();
        for (rpc, status) in [
            ("UpdateActor", update),
            ("RespondToMatch", respond),
            ("CompleteMatch", complete),
        ] {
            assert_eq!(
                status.code(),
                Code::NotFound,
                "{rpc} with {}: {status:?}",
                if header.is_some() {
                    "a stranger's token"
                } else {
                    "no token"
                }
            );
        }
    }
}
