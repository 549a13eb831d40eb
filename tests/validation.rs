//! Malformed requests across every service are refused with the right code and a message naming
//! the field (or the id), and leave the store exactly as it was.

mod common;

use std::future::Future;
use std::pin::Pin;

use common::*;
use prost_types::FieldMask;
use tonic::Code::{AlreadyExists, InvalidArgument, NotFound};
use tonic::{Code, Status};
use tonic_types::StatusExt;

type Call = Pin<Box<dyn Future<Output = Result<(), Status>> + Send>>;

const MISSING_ACTOR: &str = "actor-999999";
const MISSING_NEED: &str = "need-999999";
const MISSING_OFFER: &str = "offer-999999";
const MISSING_MATCH: &str = "match-999999";

/// One malformed request and how the hub must refuse it.
struct Case {
    what: &'static str,
    code: Code,
    /// Must appear in the status message: the field's name, or the unknown id.
    needle: &'static str,
    call: Call,
}

/// The records the cases refer to.
struct World {
    requester: Actor,
    provider: Actor,
    bystander: Actor,
    need: Need,
    offer: Offer,
    proposed: Match,
    partnership: Partnership,
}

/// Builds the table: each row starts from a valid request and breaks one thing.
struct Table<'a> {
    hub: &'a TestHub,
    w: &'a World,
    cases: Vec<Case>,
}

impl Table<'_> {
    fn expect(&mut self, what: &'static str, code: Code, needle: &'static str, call: Call) {
        self.cases.push(Case {
            what,
            code,
            needle,
            call,
        });
    }

    /// SubmitNeed with a valid request edited by `edit` is INVALID_ARGUMENT naming `field`.
    fn need(&mut self, what: &'static str, field: &'static str, edit: impl FnOnce(&mut SubmitNeedRequest)) {
        let mut request = need_request(&self.w.requester.id, &[13], &[Modality::TechnicalAdvice], &["GTM"]);
        edit(&mut request);
        let mut client = self.hub.needs();
        self.expect(
            what,
            InvalidArgument,
            field,
            Box::pin(async move { client.submit_need(request).await.map(drop) }),
        );
    }

    fn offer(&mut self, what: &'static str, field: &'static str, edit: impl FnOnce(&mut RegisterOfferRequest)) {
        let mut request = offer_request(
            &self.w.provider.id,
            &[13],
            &[Modality::TechnicalAdvice],
            Coverage::Worldwide,
        );
        edit(&mut request);
        let mut client = self.hub.offers();
        let call = Box::pin(async move { client.register_offer(request).await.map(drop) });
        self.expect(what, InvalidArgument, field, call);
    }

    fn actor(&mut self, what: &'static str, field: &'static str, edit: impl FnOnce(&mut RegisterActorRequest)) {
        let mut request = RegisterActorRequest {
            name: "Ministry of Labour of Honduras".into(),
            kind: ActorKind::NationalGovernment as i32,
            country: "HND".into(),
            languages: vec!["es".into()],
            ..Default::default()
        };
        edit(&mut request);
        let mut client = self.hub.actors();
        let call = Box::pin(async move { client.register_actor(request).await.map(drop) });
        self.expect(what, InvalidArgument, field, call);
    }

    fn partnership(
        &mut self,
        what: &'static str,
        code: Code,
        needle: &'static str,
        edit: impl FnOnce(&mut AddPartnershipRequest),
    ) {
        let mut request = AddPartnershipRequest {
            actor_a: self.w.requester.id.clone(),
            actor_b: self.w.provider.id.clone(),
            kind: PartnershipKind::Memorandum as i32,
            trust: 0.5,
            ..Default::default()
        };
        edit(&mut request);
        let mut client = self.hub.partnerships();
        let call = Box::pin(async move { client.add_partnership(request).await.map(drop) });
        self.expect(what, code, needle, call);
    }

    fn propose(&mut self, what: &'static str, code: Code, needle: &'static str, need_id: &str, offer_id: &str) {
        let request = ProposeMatchRequest {
            need_id: need_id.into(),
            offer_id: offer_id.into(),
            ..Default::default()
        };
        let mut client = self.hub.matches();
        self.expect(
            what,
            code,
            needle,
            Box::pin(async move { client.propose_match(request).await.map(drop) }),
        );
    }

    fn respond(&mut self, what: &'static str, code: Code, needle: &'static str, request: RespondToMatchRequest) {
        let mut client = self.hub.matches();
        let call = Box::pin(async move { client.respond_to_match(request).await.map(drop) });
        self.expect(what, code, needle, call);
    }

    fn find_matches(&mut self, what: &'static str, code: Code, needle: &'static str, need_id: &str, limit: u32) {
        let request = FindMatchesRequest {
            need_id: need_id.into(),
            limit,
        };
        let mut client = self.hub.matches();
        self.expect(
            what,
            code,
            needle,
            Box::pin(async move { client.find_matches(request).await.map(drop) }),
        );
    }

    fn list_needs(&mut self, what: &'static str, field: &'static str, edit: impl FnOnce(&mut ListNeedsRequest)) {
        let mut request = ListNeedsRequest::default();
        edit(&mut request);
        let mut client = self.hub.needs();
        self.expect(
            what,
            InvalidArgument,
            field,
            Box::pin(async move { client.list_needs(request).await.map(drop) }),
        );
    }

    /// UpdateNeed of the world's need, edited by `edit`, with `paths` as the update mask.
    fn update_need(
        &mut self,
        what: &'static str,
        code: Code,
        needle: &'static str,
        paths: &[&str],
        edit: impl FnOnce(&mut Need),
    ) {
        let mut need = self.w.need.clone();
        edit(&mut need);
        let request = UpdateNeedRequest {
            need: Some(need),
            update_mask: Some(mask(paths)),
        };
        let mut client = self.hub.needs();
        self.expect(
            what,
            code,
            needle,
            Box::pin(async move { client.update_need(request).await.map(drop) }),
        );
    }

    fn update_offer(&mut self, what: &'static str, field: &'static str, paths: &[&str], edit: impl FnOnce(&mut Offer)) {
        let mut offer = self.w.offer.clone();
        edit(&mut offer);
        let request = UpdateOfferRequest {
            offer: Some(offer),
            update_mask: Some(mask(paths)),
        };
        let mut client = self.hub.offers();
        let call = Box::pin(async move { client.update_offer(request).await.map(drop) });
        self.expect(what, InvalidArgument, field, call);
    }
}

fn mask(paths: &[&str]) -> FieldMask {
    FieldMask {
        paths: paths.iter().map(|p| p.to_string()).collect(),
    }
}

fn long(chars: usize) -> String {
    "x".repeat(chars)
}

fn window(start: &str, end: &str) -> Option<DateWindow> {
    Some(DateWindow {
        start_date: start.into(),
        end_date: end.into(),
    })
}

fn cases(hub: &TestHub, w: &World) -> Vec<Case> {
    let mut t = Table {
        hub,
        w,
        cases: Vec::new(),
    };

    // NeedService.SubmitNeed
    t.need("objective 0", "themes[0]", |r| r.themes = vec![0]);
    t.need("objective 24", "themes[1]", |r| r.themes = vec![13, 24]);
    t.need("no objective", "themes", |r| r.themes.clear());
    t.need("no modality", "modalities", |r| r.modalities.clear());
    t.need("unknown modality 99", "modalities[0]", |r| r.modalities = vec![99]);
    t.need("unspecified modality", "modalities[0]", |r| r.modalities = vec![0]);
    t.need("unspecified level", "level", |r| r.level = 0);
    t.need("unknown urgency 99", "urgency", |r| r.urgency = 99);
    t.need("empty title", "title", |r| r.title.clear());
    t.need("title of 201 chars", "title", |r| r.title = long(201));
    t.need("description of 4001 chars", "description", |r| {
        r.description = long(4001)
    });
    t.need("unknown country", "countries[0]", |r| r.countries = vec!["XXX".into()]);
    t.need("lower-case country", "countries[1]", |r| {
        r.countries = vec!["GTM".into(), "hnd".into()]
    });
    t.need("101 countries", "countries", |r| r.countries = vec!["GTM".into(); 101]);
    t.need("bad language code", "languages[0]", |r| {
        r.languages = vec!["spanish".into()]
    });
    t.need("17 languages", "languages", |r| r.languages = vec!["es".into(); 17]);
    t.need("a code that names no language", "languages[1]", |r| {
        r.languages = vec!["es".into(), "zz".into()]
    });
    t.need("negative budget", "budget_usd", |r| r.budget_usd = Some(-5));
    t.need("bad start date", "window.start_date", |r| {
        r.window = window("2026-13-45", "")
    });
    t.need("end before start", "window.end_date", |r| {
        r.window = window("2026-06-01", "2026-05-31")
    });
    t.need("objective twice", "themes[1]", |r| r.themes = vec![13, 13]);
    t.need("modality twice", "modalities[1]", |r| r.modalities = vec![1, 1]);
    t.need("country twice", "countries[1]", |r| {
        r.countries = vec!["GTM".into(), "GTM".into()]
    });
    t.need("bad end date", "window.end_date", |r| {
        r.window = window("", "2026-02-30")
    });
    t.need("no requester", "requester_id", |r| r.requester_id.clear());
    t.need("unknown level 99", "level", |r| r.level = 99);
    t.need("control character in the title", "title", |r| {
        r.title = "Border\u{7}training".into()
    });
    let mut client = hub.needs();
    let request = SubmitNeedRequest {
        requester_id: MISSING_ACTOR.into(),
        ..need_request(&w.requester.id, &[13], &[Modality::TechnicalAdvice], &["GTM"])
    };
    t.expect(
        "unknown requester",
        NotFound,
        MISSING_ACTOR,
        Box::pin(async move { client.submit_need(request).await.map(drop) }),
    );

    // OfferService.RegisterOffer
    t.offer("capacity 0", "capacity", |r| r.capacity = 0);
    t.offer("capacity 10001", "capacity", |r| r.capacity = 10_001);
    t.offer("offer objective 24", "themes[0]", |r| r.themes = vec![24]);
    t.offer("offer without modality", "modalities", |r| r.modalities.clear());
    t.offer("offer modality 99", "modalities[1]", |r| r.modalities = vec![1, 99]);
    t.offer("unknown level 7", "levels[0]", |r| r.levels = vec![7]);
    t.offer("bad region slug", "regions[0]", |r| {
        (r.worldwide, r.regions) = (false, vec!["atlantis".into()])
    });
    t.offer("17 regions", "regions", |r| {
        (r.worldwide, r.regions) = (false, vec!["africa".into(); 17])
    });
    t.offer("no coverage at all", "countries", |r| r.worldwide = false);
    t.offer("offer description of 4001 chars", "description", |r| {
        r.description = long(4001)
    });
    t.offer("negative funding", "funding_usd", |r| r.funding_usd = Some(-1));
    t.offer("funding without the funding modality", "funding_usd", |r| {
        r.funding_usd = Some(10_000)
    });
    t.offer("empty offer title", "title", |r| r.title.clear());
    t.offer("offer title of 201 chars", "title", |r| r.title = long(201));
    t.offer("offer without objective", "themes", |r| r.themes.clear());
    t.offer("offer objective twice", "themes[1]", |r| r.themes = vec![13, 13]);
    t.offer("offer modality twice", "modalities[1]", |r| r.modalities = vec![1, 1]);
    t.offer("level twice", "levels[1]", |r| r.levels = vec![1, 1]);
    t.offer("unknown offer country", "countries[0]", |r| {
        (r.worldwide, r.countries) = (false, vec!["XXX".into()])
    });
    t.offer("bad offer language", "languages[0]", |r| {
        r.languages = vec!["english".into()]
    });
    t.offer("offer ends before it starts", "window.end_date", |r| {
        r.window = window("2026-06-01", "2026-05-31")
    });
    t.offer("offer starts on no day", "window.start_date", |r| {
        r.window = window("2026-02-30", "")
    });
    t.offer("no provider", "provider_id", |r| r.provider_id.clear());
    t.offer("unspecified level", "levels[0]", |r| r.levels = vec![0]);
    t.offer("101 offer countries", "countries", |r| {
        (r.worldwide, r.countries) = (false, vec!["GTM".into(); 101])
    });
    t.offer("an offer language code that names none", "languages[0]", |r| {
        r.languages = vec!["qq".into()]
    });
    t.offer("17 offer languages", "languages", |r| {
        r.languages = vec!["es".into(); 17]
    });
    t.offer("control character in the description", "description", |r| {
        r.description = "Training\u{0}".into()
    });
    let mut client = hub.offers();
    let request = RegisterOfferRequest {
        provider_id: MISSING_ACTOR.into(),
        ..offer_request(&w.provider.id, &[13], &[Modality::TechnicalAdvice], Coverage::Worldwide)
    };
    t.expect(
        "unknown provider",
        NotFound,
        MISSING_ACTOR,
        Box::pin(async move { client.register_offer(request).await.map(drop) }),
    );

    // ActorService.RegisterActor
    t.actor("unspecified actor kind", "kind", |r| r.kind = 0);
    t.actor("unknown actor kind 99", "kind", |r| r.kind = 99);
    t.actor("empty name", "name", |r| r.name.clear());
    t.actor("name of 201 chars", "name", |r| r.name = long(201));
    t.actor("actor country XXX", "country", |r| r.country = "XXX".into());
    t.actor("upper-case language", "languages[0]", |r| {
        r.languages = vec!["EN".into()]
    });
    t.actor("contact of 1001 chars", "contact", |r| r.contact = long(1001));

    // PartnershipService.AddPartnership
    t.partnership("trust 0", InvalidArgument, "trust", |r| r.trust = 0.0);
    t.partnership("trust 1.5", InvalidArgument, "trust", |r| r.trust = 1.5);
    t.partnership("partnership with itself", InvalidArgument, "actor_b", |r| {
        r.actor_b = r.actor_a.clone()
    });
    t.partnership("unspecified partnership kind", InvalidArgument, "kind", |r| r.kind = 0);
    t.partnership("bad since date", InvalidArgument, "since", |r| {
        r.since = "last spring".into()
    });
    t.partnership("note of 1001 chars", InvalidArgument, "note", |r| r.note = long(1001));
    t.partnership("unknown partner", NotFound, MISSING_ACTOR, |r| {
        r.actor_b = MISSING_ACTOR.into()
    });
    let (a, b, kind) = (&w.partnership.actor_a, &w.partnership.actor_b, w.partnership.kind);
    t.partnership("same pair and kind again, reversed", AlreadyExists, "", |r| {
        (r.actor_a, r.actor_b, r.kind, r.trust) = (b.clone(), a.clone(), kind, 0.3);
    });

    // MatchService
    t.propose(
        "propose for an unknown need",
        NotFound,
        MISSING_NEED,
        MISSING_NEED,
        &w.offer.id,
    );
    t.propose(
        "propose an unknown offer",
        NotFound,
        MISSING_OFFER,
        &w.need.id,
        MISSING_OFFER,
    );
    t.propose(
        "a second live match for the pair",
        AlreadyExists,
        "",
        &w.need.id,
        &w.offer.id,
    );
    let requester = &w.requester.id;
    t.respond(
        "respond to an unknown match",
        NotFound,
        MISSING_MATCH,
        respond_request(MISSING_MATCH, requester, true),
    );
    t.respond(
        "respond by a non-party",
        InvalidArgument,
        "actor_id",
        respond_request(&w.proposed.id, &w.bystander.id, true),
    );
    let request = RespondToMatchRequest {
        reason: long(1001),
        ..respond_request(&w.proposed.id, requester, false)
    };
    t.respond("reason of 1001 chars", InvalidArgument, "reason", request);
    t.find_matches("FindMatches limit 101", InvalidArgument, "limit", &w.need.id, 101);
    t.find_matches(
        "FindMatches for an unknown need",
        NotFound,
        MISSING_NEED,
        MISSING_NEED,
        10,
    );
    let mut client = hub.matches();
    let request = GetMatchRequest {
        id: MISSING_MATCH.into(),
    };
    t.expect(
        "GetMatch unknown",
        NotFound,
        MISSING_MATCH,
        Box::pin(async move { client.get_match(request).await.map(drop) }),
    );

    // Get, List, Update and Withdraw
    let mut client = hub.needs();
    let request = GetNeedRequest {
        id: MISSING_NEED.into(),
    };
    t.expect(
        "GetNeed unknown",
        NotFound,
        MISSING_NEED,
        Box::pin(async move { client.get_need(request).await.map(drop) }),
    );
    let mut client = hub.actors();
    let request = GetActorRequest {
        id: MISSING_ACTOR.into(),
    };
    t.expect(
        "GetActor unknown",
        NotFound,
        MISSING_ACTOR,
        Box::pin(async move { client.get_actor(request).await.map(drop) }),
    );
    let mut client = hub.offers();
    let request = WithdrawOfferRequest {
        id: MISSING_OFFER.into(),
        reason: String::new(),
    };
    t.expect(
        "WithdrawOffer unknown",
        NotFound,
        MISSING_OFFER,
        Box::pin(async move { client.withdraw_offer(request).await.map(drop) }),
    );
    t.list_needs("page_size 501", "page_size", |r| r.page_size = 501);
    t.list_needs("list filter by a bad region", "region", |r| {
        r.region = "atlantis".into()
    });
    t.list_needs("list filter by objective 24", "theme", |r| r.theme = 24);
    let mut client = hub.actors();
    let request = ListActorsRequest {
        page_size: -1,
        ..Default::default()
    };
    t.expect(
        "page_size -1",
        InvalidArgument,
        "page_size",
        Box::pin(async move { client.list_actors(request).await.map(drop) }),
    );
    let mut client = hub.offers();
    let request = ListOffersRequest {
        page_token: "not-a-token!".into(),
        ..Default::default()
    };
    t.expect(
        "garbage page_token",
        InvalidArgument,
        "page_token",
        Box::pin(async move { client.list_offers(request).await.map(drop) }),
    );
    let mut client = hub.matches();
    let request = ListMatchesRequest {
        status: 99,
        ..Default::default()
    };
    t.expect(
        "list filter by status 99",
        InvalidArgument,
        "status",
        Box::pin(async move { client.list_matches(request).await.map(drop) }),
    );
    t.update_need(
        "update_mask with an unknown path",
        InvalidArgument,
        "update_mask.paths[1]",
        &["title", "colour"],
        |n| n.title = "Renamed".into(),
    );
    t.update_need(
        "update to an empty title",
        InvalidArgument,
        "need.title",
        &["title"],
        |n| n.title.clear(),
    );
    t.update_need(
        "update to objective 24",
        InvalidArgument,
        "need.themes[0]",
        &["themes"],
        |n| n.themes = vec![24],
    );
    t.update_need("update an unknown need", NotFound, MISSING_NEED, &["title"], |n| {
        n.id = MISSING_NEED.into()
    });
    t.update_offer("update capacity to 0", "offer.capacity", &["capacity"], |o| {
        o.capacity = 0
    });
    t.cases
}

#[tokio::test]
async fn malformed_requests_are_refused_naming_the_field_and_change_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let hub = TestHub::start(dir.path()).await;
    let requester = hub.register("Guatemala", ActorKind::NationalGovernment, "GTM").await;
    let provider = hub.register("IOM", ActorKind::UnEntity, "").await;
    let bystander = hub.register("Honduras", ActorKind::NationalGovernment, "HND").await;
    let partnership = hub
        .partner(&requester.id, &bystander.id, PartnershipKind::Memorandum, 0.5)
        .await;
    let need = hub
        .submit(need_request(
            &requester.id,
            &[13],
            &[Modality::TechnicalAdvice],
            &["GTM"],
        ))
        .await;
    let offer = hub
        .offer(offer_request(
            &provider.id,
            &[13],
            &[Modality::TechnicalAdvice],
            Coverage::Worldwide,
        ))
        .await;
    let proposed = hub.propose(&need.id, &offer.id).await;
    let world = World {
        requester,
        provider,
        bystander,
        need,
        offer,
        proposed,
        partnership,
    };

    let counts_before = hub.counts().await;
    let need_before = hub.all_needs(ListNeedsRequest::default()).await;
    let offers_before = hub.all_offers(ListOffersRequest::default()).await;
    let matches_before = hub.all_matches(ListMatchesRequest::default()).await;

    let cases = cases(&hub, &world);
    assert_eq!(cases.len(), 95, "rows in the table: a row lost is a rule unchecked");
    let mut failures = Vec::new();
    for Case {
        what,
        code,
        needle,
        call,
    } in cases
    {
        match call.await {
            Ok(()) => failures.push(format!("{what}: expected {code:?} naming {needle:?}, but it succeeded")),
            Err(status) if status.code() != code || !status.message().contains(needle) => failures.push(format!(
                "{what}: expected {code:?} naming {needle:?}, got {:?}: {}",
                status.code(),
                status.message()
            )),
            Err(status) => {
                if let Err(problem) = readable_details(&status, needle) {
                    failures.push(format!("{what}: {problem}"));
                }
                // A field rule's violation names exactly the field the row broke.
                let fields: Vec<String> = status
                    .get_details_bad_request()
                    .map(|bad| bad.field_violations.into_iter().map(|v| v.field).collect())
                    .unwrap_or_default();
                if code == InvalidArgument && !fields.iter().any(|field| field == needle) {
                    failures.push(format!("{what}: no violation of field {needle:?}, only {fields:?}"));
                }
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} cases failed:\n{}",
        failures.len(),
        failures.join("\n")
    );

    assert_eq!(hub.counts().await, counts_before, "a refused request changed the store");
    assert_eq!(hub.all_needs(ListNeedsRequest::default()).await, need_before);
    assert_eq!(hub.all_offers(ListOffersRequest::default()).await, offers_before);
    assert_eq!(hub.all_matches(ListMatchesRequest::default()).await, matches_before);
}

#[tokio::test]
async fn error_messages_state_the_rule() {
    let dir = tempfile::tempdir().unwrap();
    let hub = TestHub::start(dir.path()).await;
    let requester = hub.register("Guatemala", ActorKind::NationalGovernment, "GTM").await;
    let base = need_request(&requester.id, &[13], &[Modality::TechnicalAdvice], &["GTM"]);

    let status = assert_status(
        hub.needs()
            .submit_need(SubmitNeedRequest {
                themes: vec![24],
                ..base.clone()
            })
            .await,
        Code::InvalidArgument,
        "themes[0]",
    );
    assert!(
        status.message().contains("24 is not a GCM objective (1-23)"),
        "{}",
        status.message()
    );

    let status = assert_status(
        hub.needs()
            .submit_need(SubmitNeedRequest {
                budget_usd: Some(-5),
                ..base.clone()
            })
            .await,
        Code::InvalidArgument,
        "budget_usd",
    );
    assert!(status.message().contains("-5"), "{}", status.message());

    let status = assert_status(
        hub.needs()
            .submit_need(SubmitNeedRequest {
                countries: vec!["XXX".into()],
                ..base.clone()
            })
            .await,
        Code::InvalidArgument,
        "countries[0]",
    );
    assert!(status.message().contains("'XXX'"), "{}", status.message());

    let status = assert_status(
        hub.needs()
            .submit_need(SubmitNeedRequest {
                title: String::new(),
                ..base
            })
            .await,
        Code::InvalidArgument,
        "title: must not be empty",
    );
    assert!(
        !status.message().contains("themes"),
        "only the broken field: {}",
        status.message()
    );

    let status = assert_status(
        hub.partnerships()
            .add_partnership(AddPartnershipRequest {
                actor_a: requester.id.clone(),
                actor_b: requester.id.clone(),
                kind: PartnershipKind::Memorandum as i32,
                trust: 1.5,
                ..Default::default()
            })
            .await,
        Code::InvalidArgument,
        "trust: 1.5 must be in (0, 1]",
    );
    assert!(status.message().contains("actor_b"), "{}", status.message());
    assert_eq!(hub.counts().await.needs, 0);
}
