//! Watch streams over gRPC: a watcher that reconnects with its last sequence receives exactly
//! the events it missed, and a watcher that stops reading never holds up writes.

mod common;

use std::time::Duration;

use common::*;
use tokio_stream::StreamExt;

/// Liveness guard only (no timing is asserted): a hub that blocked writes on a stalled watcher
/// would hang here instead of finishing.
const DEADLOCK_GUARD: Duration = Duration::from_secs(120);

async fn next_event(stream: &mut tonic::Streaming<Event>) -> Event {
    tokio::time::timeout(DEADLOCK_GUARD, stream.next())
        .await
        .expect("an event arrives")
        .expect("the stream is open")
        .expect("a valid event")
}

/// A requester in Guatemala, a provider in Costa Rica, and the provider's worldwide offer of
/// peer exchange on objective 7.
async fn requester_provider_and_offer(hub: &TestHub) -> (Actor, Actor, Offer) {
    let requester = hub
        .register("Government of Guatemala", ActorKind::NationalGovernment, "GTM")
        .await;
    let provider = hub
        .register("Government of Costa Rica", ActorKind::NationalGovernment, "CRI")
        .await;
    let offer = hub
        .offer(offer_request(
            &provider.id,
            &[7],
            &[Modality::PeerExchange],
            Coverage::Worldwide,
        ))
        .await;
    (requester, provider, offer)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reconnecting_watcher_receives_exactly_the_missed_events() {
    let dir = tempfile::tempdir().unwrap();
    let hub = TestHub::start(dir.path()).await;
    let (requester, provider, offer) = requester_provider_and_offer(&hub).await;
    let first_need = hub
        .submit(need_request(&requester.id, &[7], &[Modality::PeerExchange], &[]))
        .await;
    let second_need = hub
        .submit(need_request(&requester.id, &[7], &[Modality::PeerExchange], &["GTM"]))
        .await;

    let watch = WatchMatchesRequest {
        actor_id: requester.id.clone(),
        after_sequence: 0,
    };
    let mut stream = hub.matches().watch_matches(watch.clone()).await.unwrap().into_inner();
    let first = hub.propose(&first_need.id, &offer.id).await;
    let proposed = next_event(&mut stream).await;
    assert_eq!(
        (proposed.kind, proposed.match_id.as_str()),
        (EventKind::MatchProposed as i32, first.id.as_str())
    );
    drop(stream);

    let second = hub.propose(&second_need.id, &offer.id).await;
    hub.respond(&first.id, &requester.id, true).await;
    hub.respond(&first.id, &provider.id, true).await;

    let resumed = WatchMatchesRequest {
        after_sequence: proposed.sequence,
        ..watch
    };
    let mut stream = hub.matches().watch_matches(resumed).await.unwrap().into_inner();
    let mut missed = Vec::new();
    for _ in 0..3 {
        let event = next_event(&mut stream).await;
        missed.push((EventKind::try_from(event.kind).unwrap(), event.match_id, event.sequence));
    }
    let kinds: Vec<(EventKind, &str)> = missed.iter().map(|(kind, id, _)| (*kind, id.as_str())).collect();
    assert_eq!(
        kinds,
        [
            (EventKind::MatchProposed, second.id.as_str()),
            (EventKind::MatchAccepted, first.id.as_str()),
            (EventKind::MatchConfirmed, first.id.as_str()),
        ]
    );
    assert!(
        missed.windows(2).all(|pair| pair[0].2 < pair[1].2),
        "events come in log order: {missed:?}"
    );
    let nothing_more = tokio::time::timeout(Duration::from_millis(300), stream.next()).await;
    assert!(
        nothing_more.is_err(),
        "no event is delivered twice or invented: {nothing_more:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stalled_watcher_never_holds_up_submissions_and_loses_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let hub = TestHub::start(dir.path()).await;
    let requester = hub.register("State of Roraima", ActorKind::LocalAuthority, "BRA").await;
    let watch = WatchNeedsRequest {
        themes: vec![15],
        ..WatchNeedsRequest::default()
    };
    let mut stalled = hub.needs().watch_needs(watch).await.unwrap().into_inner();
    // A provider's watcher scores every new need for its offer: it stalls too, and must not
    // slow the writes either.
    let provider = hub.register("Cities Alliance", ActorKind::CivilSociety, "BEL").await;
    let offer = hub
        .offer(offer_request(
            &provider.id,
            &[15],
            &[Modality::Training],
            Coverage::Worldwide,
        ))
        .await;
    let for_offer = WatchNeedsRequest {
        offer_id: offer.id.clone(),
        ..WatchNeedsRequest::default()
    };
    let mut stalled_scoring = hub.needs().watch_needs(for_offer).await.unwrap().into_inner();

    const SUBMITTERS: usize = 8;
    const EACH: usize = 75;
    const NEEDS: usize = SUBMITTERS * EACH;
    let mut submitters = Vec::new();
    for s in 0..SUBMITTERS {
        let (mut needs, requester) = (hub.needs(), requester.id.clone());
        submitters.push(tokio::spawn(async move {
            for n in 0..EACH {
                let mut request = need_request(&requester, &[15], &[Modality::Training], &[]);
                request.title = format!("Reception capacity, municipality {s}-{n}");
                needs
                    .submit_need(request)
                    .await
                    .expect("submissions go on while a watcher stalls");
            }
        }));
    }
    for submitter in submitters {
        tokio::time::timeout(DEADLOCK_GUARD, submitter)
            .await
            .expect("a stalled watcher must not block writes")
            .unwrap();
    }

    let mut delivered = 0;
    let mut last = 0;
    while delivered < NEEDS {
        let event = next_event(&mut stalled).await;
        assert!(event.sequence > last, "in order");
        assert_eq!(event.kind, EventKind::NeedSubmitted as i32);
        last = event.sequence;
        delivered += 1;
    }
    assert_eq!(delivered, NEEDS, "the stalled watcher, once it reads, gets every event");
    let mut scored = 0;
    let mut last = 0;
    while scored < NEEDS {
        let event = next_event(&mut stalled_scoring).await;
        assert!(event.sequence > last, "in order");
        assert!(event.score > 0.0 && event.explanation.is_some(), "scored: {event:?}");
        last = event.sequence;
        scored += 1;
    }
}

/// Protects: WatchNeeds without an offer leaves out a need that is no longer open when its
/// event is sent (withdrawn, matched), as it does with one.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_need_watcher_leaves_out_needs_no_longer_open() {
    let dir = tempfile::tempdir().unwrap();
    let hub = TestHub::start(dir.path()).await;
    let (requester, provider, offer) = requester_provider_and_offer(&hub).await;
    let need = || need_request(&requester.id, &[7], &[Modality::PeerExchange], &["GTM"]);
    let withdrawn = hub.submit(need()).await;
    hub.needs()
        .withdraw_need(WithdrawNeedRequest {
            id: withdrawn.id.clone(),
            reason: "funded elsewhere".into(),
        })
        .await
        .unwrap();
    let matched = hub.submit(need()).await;
    let proposed = hub.propose(&matched.id, &offer.id).await;
    hub.respond(&proposed.id, &requester.id, true).await;
    hub.respond(&proposed.id, &provider.id, true).await;
    let open = hub.submit(need()).await;

    let watch = WatchNeedsRequest {
        themes: vec![7],
        ..WatchNeedsRequest::default()
    };
    let mut stream = hub.needs().watch_needs(watch).await.unwrap().into_inner();
    let first = next_event(&mut stream).await;
    assert_eq!(
        first.need_id, open.id,
        "the withdrawn {} and the matched {} come first in the log, and are left out",
        withdrawn.id, matched.id
    );
    // The admin submitted it for the requester: it acts as no actor, and the summary says so.
    assert_eq!(first.by, "");
    assert!(
        first
            .summary
            .starts_with(&format!("the admin for {} submitted need", requester.id)),
        "{}",
        first.summary
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shutdown_ends_open_watch_streams() {
    let dir = tempfile::tempdir().unwrap();
    let mut hub = TestHub::start(dir.path()).await;
    let watch = WatchNeedsRequest::default();
    let mut stream = hub.needs().watch_needs(watch).await.unwrap().into_inner();
    tokio::time::timeout(DEADLOCK_GUARD, hub.shutdown())
        .await
        .expect("an open watch must not hold the server up");
    let ended = tokio::time::timeout(DEADLOCK_GUARD, stream.next())
        .await
        .expect("the stream ends");
    assert!(!matches!(ended, Some(Ok(_))), "no event after shutdown: {ended:?}");
}

/// A proposal's event names the actor who proposed it; one by the admin (or an allocation run)
/// names no one.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_proposal_event_names_who_proposed() {
    let dir = tempfile::tempdir().unwrap();
    let hub = TestHub::start(dir.path()).await;
    let registered = hub
        .register_with(RegisterActorRequest {
            name: "Government of Honduras".into(),
            kind: ActorKind::NationalGovernment as i32,
            country: "HND".into(),
            ..Default::default()
        })
        .await;
    let requester = registered.actor.clone().expect("the registered actor");
    let provider = hub
        .register_with(RegisterActorRequest {
            name: "Casa Alianza".into(),
            kind: ActorKind::CivilSociety as i32,
            country: "HND".into(),
            ..Default::default()
        })
        .await;
    let provider_id = provider.actor.expect("the registered actor").id;
    let offer = hub
        .offer(offer_request(
            &provider_id,
            &[7],
            &[Modality::Training],
            Coverage::Worldwide,
        ))
        .await;
    let by_provider = hub
        .submit(need_request(&requester.id, &[7], &[Modality::Training], &["HND"]))
        .await;
    let by_admin = hub
        .submit(need_request(&requester.id, &[7], &[Modality::Training], &["GTM"]))
        .await;
    let watch = WatchMatchesRequest {
        actor_id: requester.id.clone(),
        after_sequence: 0,
    };
    let mut stream = hub.matches().watch_matches(watch).await.unwrap().into_inner();

    let mut as_provider = MatchServiceClient::new(hub.channel_as(&provider.api_token));
    let proposed = as_provider
        .propose_match(ProposeMatchRequest {
            need_id: by_provider.id.clone(),
            offer_id: offer.id.clone(),
            request_id: String::new(),
        })
        .await
        .expect("the provider proposes its own offer")
        .into_inner();
    let event = next_event(&mut stream).await;
    assert_eq!(
        (event.kind, event.match_id.as_str()),
        (EventKind::MatchProposed as i32, proposed.id.as_str())
    );
    assert_eq!(event.by, provider_id);
    let by_the_provider = proposed;

    let proposed = hub.propose(&by_admin.id, &offer.id).await;
    let event = next_event(&mut stream).await;
    assert_eq!(event.match_id, proposed.id);
    assert_eq!(event.by, "", "the admin acts as no actor");

    // The admin answering and completing for the parties acts as no actor either, and says so.
    hub.respond(&proposed.id, &requester.id, true).await;
    hub.respond(&proposed.id, &provider_id, true).await;
    hub.matches()
        .complete_match(CompleteMatchRequest {
            match_id: proposed.id.clone(),
            actor_id: requester.id.clone(),
            rating: 5,
            lessons_learned: "Weekly calls with the shelter staff kept the training on track.".into(),
            ..CompleteMatchRequest::default()
        })
        .await
        .expect("the admin completes for the requester");
    for (kind, party) in [
        (EventKind::MatchAccepted, &requester.id),
        (EventKind::MatchConfirmed, &provider_id),
        (EventKind::MatchCompleted, &requester.id),
    ] {
        let event = next_event(&mut stream).await;
        assert_eq!((event.kind, event.by.as_str()), (kind as i32, ""), "{event:?}");
        assert!(
            event.summary.starts_with(&format!("the admin for {party} ")),
            "{}",
            event.summary
        );
    }
    // The requester answering with its own token is named.
    let mut as_requester = MatchServiceClient::new(hub.channel_as(&registered.api_token));
    as_requester
        .respond_to_match(respond_request(&by_the_provider.id, &requester.id, false))
        .await
        .expect("the requester declines with its own token");
    let event = next_event(&mut stream).await;
    assert_eq!(
        (event.kind, event.by),
        (EventKind::MatchDeclined as i32, requester.id.clone())
    );
}

/// Each proposal a withdrawal cancels says what caused it, with the reason the requester gave
/// (the provider reads it in the cancellation).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_withdrawal_keeps_its_reason_and_its_cancellations_say_why() {
    let dir = tempfile::tempdir().unwrap();
    let hub = TestHub::start(dir.path()).await;
    let requester = hub
        .register("Government of Honduras", ActorKind::NationalGovernment, "HND")
        .await;
    let provider = hub
        .register("Government of Costa Rica", ActorKind::NationalGovernment, "CRI")
        .await;
    let offer = hub
        .offer(offer_request(
            &provider.id,
            &[7],
            &[Modality::Training],
            Coverage::Worldwide,
        ))
        .await;
    let need = hub
        .submit(need_request(&requester.id, &[7], &[Modality::Training], &["HND"]))
        .await;
    let proposed = hub.propose(&need.id, &offer.id).await;
    let watch = WatchMatchesRequest {
        actor_id: requester.id.clone(),
        after_sequence: 0,
    };
    let mut stream = hub.matches().watch_matches(watch).await.unwrap().into_inner();
    let reason = "A regional programme now funds this training";
    hub.needs()
        .withdraw_need(WithdrawNeedRequest {
            id: need.id.clone(),
            reason: reason.into(),
        })
        .await
        .expect("the requester withdraws the need");
    let cancelled = loop {
        let event = next_event(&mut stream).await;
        if event.kind == EventKind::MatchCancelled as i32 {
            break event;
        }
    };
    assert_eq!(cancelled.match_id, proposed.id);
    let said = format!("{} was withdrawn: {reason}", need.id);
    assert!(cancelled.summary.ends_with(&said), "{}", cancelled.summary);

    let too_long = "x".repeat(1_001);
    let refused = hub
        .needs()
        .withdraw_need(WithdrawNeedRequest {
            id: need.id.clone(),
            reason: too_long,
        })
        .await
        .unwrap_err();
    assert_eq!(refused.code(), tonic::Code::InvalidArgument);
    assert!(refused.message().starts_with("reason:"), "{}", refused.message());
}
