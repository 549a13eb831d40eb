//! FindMatches over small worlds built by hand through the API: the partnership graph moves
//! otherwise identical offers up, every hard filter removes what it should, and the ranking is
//! explained and deterministic.

mod common;

use std::collections::BTreeSet;

use common::*;

const COMPONENTS: [&str; 6] = [
    "theme_coverage",
    "modality_coverage",
    "geography",
    "language",
    "level",
    "partnership_proximity",
];

/// Checks what holds for every candidate list: scores in [0, 1], best first, and each score the
/// weighted sum of its explained components.
#[track_caller]
fn assert_well_formed(candidates: &[MatchCandidate]) {
    for pair in candidates.windows(2) {
        assert!(
            pair[0].score >= pair[1].score,
            "not sorted by score: {} before {}",
            pair[0].score,
            pair[1].score
        );
    }
    for candidate in candidates {
        assert!(
            (0.0..=1.0).contains(&candidate.score),
            "score {} out of [0, 1]",
            candidate.score
        );
        let explanation = candidate.explanation.as_ref().expect("explained");
        assert!(!explanation.summary.is_empty(), "empty summary");
        for name in COMPONENTS {
            let c = component(candidate, name);
            assert!((0.0..=1.0).contains(&c.value), "{name} value {} out of [0, 1]", c.value);
            assert!(
                (c.contribution - c.value * c.weight).abs() < 1e-9,
                "{name}: contribution {} is not value {} x weight {}",
                c.contribution,
                c.value,
                c.weight
            );
            assert!(!c.detail.is_empty(), "{name} has no detail");
        }
        let weights: f64 = explanation.components.iter().map(|c| c.weight).sum();
        let contributions: f64 = explanation.components.iter().map(|c| c.contribution).sum();
        assert!(
            (candidate.score - contributions / weights).abs() < 1e-9,
            "score {} is not the weighted sum of its components ({contributions} / {weights})",
            candidate.score
        );
    }
}

#[tokio::test]
async fn a_direct_partners_offer_ranks_above_an_identical_one() {
    let dir = tempfile::tempdir().unwrap();
    let hub = TestHub::start(dir.path()).await;
    let requester = hub.register("Guatemala", ActorKind::NationalGovernment, "GTM").await;
    let partner = hub.register("Casa Alianza", ActorKind::CivilSociety, "MEX").await;
    let stranger = hub.register("Sin Fronteras", ActorKind::CivilSociety, "MEX").await;
    hub.partner(&requester.id, &partner.id, PartnershipKind::BilateralAgreement, 0.9)
        .await;

    let need = hub
        .submit(need_request(
            &requester.id,
            &[13],
            &[Modality::TechnicalAdvice],
            &["GTM"],
        ))
        .await;
    // The stranger registers first so that an id tie-break cannot explain the ranking.
    let strangers_offer = hub
        .offer(offer_request(
            &stranger.id,
            &[13],
            &[Modality::TechnicalAdvice],
            Coverage::Regions(vec!["central_america"]),
        ))
        .await;
    let partners_offer = hub
        .offer(offer_request(
            &partner.id,
            &[13],
            &[Modality::TechnicalAdvice],
            Coverage::Regions(vec!["central_america"]),
        ))
        .await;

    let candidates = hub.find_matches(&need.id).await;
    assert_well_formed(&candidates);
    assert_eq!(
        offer_ids(&candidates),
        [partners_offer.id.clone(), strangers_offer.id.clone()]
    );
    let (first, second) = (&candidates[0], &candidates[1]);
    assert_eq!(first.provider.as_ref().unwrap().id, partner.id);
    assert_eq!(second.provider.as_ref().unwrap().id, stranger.id);
    assert!(first.score > second.score, "{} vs {}", first.score, second.score);

    let proximity = component(first, "partnership_proximity");
    assert!(
        (proximity.value - 0.9).abs() < 1e-9,
        "direct trust 0.9, got {}",
        proximity.value
    );
    assert!(
        proximity.detail.contains("direct partner") && proximity.detail.contains("0.9"),
        "the detail names the direct partnership and its trust: {:?}",
        proximity.detail
    );
    assert!(
        first.explanation.as_ref().unwrap().summary.contains("direct partner"),
        "the summary says why: {:?}",
        first.explanation.as_ref().unwrap().summary
    );
    assert_eq!(component(second, "partnership_proximity").value, 0.0);

    // Everything else being equal, the gap is exactly the partnership's share of the score.
    let weights: f64 = first
        .explanation
        .as_ref()
        .unwrap()
        .components
        .iter()
        .map(|c| c.weight)
        .sum();
    assert!(
        (first.score - second.score - proximity.contribution / weights).abs() < 1e-9,
        "gap {} is not proximity's share {}",
        first.score - second.score,
        proximity.contribution / weights
    );
    for name in COMPONENTS.iter().filter(|&&n| n != "partnership_proximity") {
        assert_eq!(component(first, name).value, component(second, name).value, "{name}");
    }

    // Deterministic: the same question gets the same answer.
    let again = hub.find_matches(&need.id).await;
    assert_eq!(again, candidates);
}

#[tokio::test]
async fn members_of_one_regional_process_are_partners_of_partners() {
    let dir = tempfile::tempdir().unwrap();
    let hub = TestHub::start(dir.path()).await;
    let requester = hub.register("Guatemala", ActorKind::NationalGovernment, "GTM").await;
    let process = hub
        .register("Regional Conference on Migration", ActorKind::RegionalProcess, "")
        .await;
    let member = hub.register("Costa Rica", ActorKind::NationalGovernment, "CRI").await;
    let outsider = hub.register("Panama", ActorKind::NationalGovernment, "PAN").await;
    hub.partner(
        &requester.id,
        &process.id,
        PartnershipKind::RegionalProcessMembership,
        0.8,
    )
    .await;
    hub.partner(&member.id, &process.id, PartnershipKind::RegionalProcessMembership, 0.7)
        .await;

    let need = hub
        .submit(need_request(&requester.id, &[13, 7], &[Modality::PeerExchange], &[]))
        .await;
    assert_eq!(need.countries, ["GTM"], "countries default to the requester's");
    let outsiders_offer = hub
        .offer(offer_request(
            &outsider.id,
            &[13, 7],
            &[Modality::PeerExchange],
            Coverage::Worldwide,
        ))
        .await;
    let members_offer = hub
        .offer(offer_request(
            &member.id,
            &[13, 7],
            &[Modality::PeerExchange],
            Coverage::Worldwide,
        ))
        .await;

    let candidates = hub.find_matches(&need.id).await;
    assert_well_formed(&candidates);
    assert_eq!(
        offer_ids(&candidates),
        [members_offer.id.clone(), outsiders_offer.id.clone()]
    );
    let proximity = component(&candidates[0], "partnership_proximity");
    assert!(
        (proximity.value - 0.8 * 0.7).abs() < 1e-9,
        "proximity is the product of the trusts 0.8 x 0.7, got {}",
        proximity.value
    );
    assert!(
        proximity.detail.contains(&process.name),
        "the detail names the broker: {:?}",
        proximity.detail
    );
    assert!(
        proximity.detail.contains("0.8") && proximity.detail.contains("0.7"),
        "the detail gives both trusts: {:?}",
        proximity.detail
    );
    assert_eq!(component(&candidates[1], "partnership_proximity").value, 0.0);
}

#[tokio::test]
async fn proximity_takes_the_best_path_and_stops_after_three_hops() {
    let dir = tempfile::tempdir().unwrap();
    let hub = TestHub::start(dir.path()).await;
    let requester = hub.register("Guatemala", ActorKind::NationalGovernment, "GTM").await;
    let a = hub.register("Broker A", ActorKind::UnEntity, "").await;
    let b = hub.register("Broker B", ActorKind::CivilSociety, "MEX").await;
    let c = hub.register("Broker C", ActorKind::CivilSociety, "HND").await;
    let three_away = hub.register("Three Hops Away", ActorKind::Academia, "CRI").await;
    let four_away = hub.register("Four Hops Away", ActorKind::Academia, "PAN").await;
    let joint = PartnershipKind::JointProgramme;
    hub.partner(&requester.id, &a.id, joint, 0.9).await;
    hub.partner(&a.id, &b.id, joint, 0.8).await;
    hub.partner(&b.id, &three_away.id, joint, 0.7).await;
    hub.partner(&b.id, &c.id, joint, 1.0).await;
    hub.partner(&c.id, &four_away.id, joint, 1.0).await;
    // A weaker two-hop path to `b` exists too: the stronger three-hop one must win for b's offer.
    let weak = hub.register("Weak Broker", ActorKind::CivilSociety, "SLV").await;
    hub.partner(&requester.id, &weak.id, joint, 0.5).await;
    hub.partner(&weak.id, &b.id, joint, 0.5).await;

    let need = hub
        .submit(need_request(&requester.id, &[2], &[Modality::Research], &["GTM"]))
        .await;
    let offer = |provider: &Actor| offer_request(&provider.id, &[2], &[Modality::Research], Coverage::Worldwide);
    let three = hub.offer(offer(&three_away)).await;
    let four = hub.offer(offer(&four_away)).await;
    let via_b = hub.offer(offer(&b)).await;

    let candidates = hub.find_matches(&need.id).await;
    assert_well_formed(&candidates);
    let proximity_of = |offer_id: &str| {
        let candidate = candidates
            .iter()
            .find(|c| c.offer.as_ref().unwrap().id == offer_id)
            .unwrap_or_else(|| panic!("{offer_id} is a candidate"));
        component(candidate, "partnership_proximity").value
    };
    assert!(
        (proximity_of(&via_b.id) - 0.9 * 0.8).abs() < 1e-9,
        "best of 0.72 and 0.25"
    );
    // requester -> a -> b -> three_away: 0.9 x 0.8 x 0.7, beating requester -> weak -> b -> ...
    assert!((proximity_of(&three.id) - 0.9 * 0.8 * 0.7).abs() < 1e-9);
    // requester -> a -> b -> c -> four_away is four hops: out of reach.
    assert_eq!(proximity_of(&four.id), 0.0);
}

#[tokio::test]
async fn hard_filters_remove_what_cannot_serve_the_need() {
    let dir = tempfile::tempdir().unwrap();
    let hub = TestHub::start(dir.path()).await;
    let requester = hub.register("Guatemala", ActorKind::NationalGovernment, "GTM").await;
    let provider = hub.register("Mexico", ActorKind::NationalGovernment, "MEX").await;
    let mut need_req = need_request(
        &requester.id,
        &[13, 7],
        &[Modality::TechnicalAdvice, Modality::Training],
        &["GTM"],
    );
    need_req.window = Some(DateWindow {
        start_date: "2030-01-01".into(),
        end_date: "2030-06-30".into(),
    });
    let need = hub.submit(need_req).await;
    let ta = [Modality::TechnicalAdvice];
    let p = &provider.id;

    // Offers that serve the need.
    let by_country = hub
        .offer(offer_request(p, &[13], &ta, Coverage::Countries(vec!["GTM"])))
        .await;
    let by_sub_region = hub
        .offer(offer_request(p, &[13], &ta, Coverage::Regions(vec!["central_america"])))
        .await;
    let by_region = hub
        .offer(offer_request(
            p,
            &[7],
            &[Modality::Training],
            Coverage::Regions(vec!["americas"]),
        ))
        .await;
    let worldwide = hub.offer(offer_request(p, &[13], &ta, Coverage::Worldwide)).await;
    let mut overlapping = offer_request(p, &[13, 7], &ta, Coverage::Worldwide);
    overlapping.window = Some(DateWindow {
        start_date: "2030-06-30".into(),
        end_date: "2031-12-31".into(),
    });
    let overlapping = hub.offer(overlapping).await;
    let to_withdraw = hub.offer(offer_request(p, &[13], &ta, Coverage::Worldwide)).await;

    // Offers that do not.
    let no_objective = hub.offer(offer_request(p, &[5, 21], &ta, Coverage::Worldwide)).await;
    let no_modality = hub
        .offer(offer_request(p, &[13], &[Modality::Funding], Coverage::Worldwide))
        .await;
    let other_region = hub
        .offer(offer_request(
            p,
            &[13],
            &ta,
            Coverage::Regions(vec!["western_africa", "africa"]),
        ))
        .await;
    let other_country = hub
        .offer(offer_request(p, &[13], &ta, Coverage::Countries(vec!["SEN", "HND"])))
        .await;
    let own = hub
        .offer(offer_request(&requester.id, &[13], &ta, Coverage::Worldwide))
        .await;
    let mut later = offer_request(p, &[13], &ta, Coverage::Worldwide);
    later.window = Some(DateWindow {
        start_date: "2030-07-01".into(),
        end_date: String::new(),
    });
    let later = hub.offer(later).await;

    let serving: BTreeSet<String> = [
        &by_country,
        &by_sub_region,
        &by_region,
        &worldwide,
        &overlapping,
        &to_withdraw,
    ]
    .iter()
    .map(|o| o.id.clone())
    .collect();
    let candidates = hub.find_matches(&need.id).await;
    assert_well_formed(&candidates);
    let found: BTreeSet<String> = offer_ids(&candidates).into_iter().collect();
    assert_eq!(
        found.len(),
        candidates.len(),
        "an offer appears twice: {:?}",
        offer_ids(&candidates)
    );
    for (what, excluded) in [
        ("shares no objective", &no_objective),
        ("shares no modality", &no_modality),
        ("covers only another region", &other_region),
        ("covers only other countries", &other_country),
        ("is the requester's own", &own),
        ("starts after the need's window", &later),
    ] {
        assert!(!found.contains(&excluded.id), "{} {what} but was returned", excluded.id);
    }
    assert_eq!(found, serving);

    // Geography: country > sub-region > region > worldwide.
    let geography = |offer: &Offer| {
        let candidate = candidates
            .iter()
            .find(|c| c.offer.as_ref().unwrap().id == offer.id)
            .unwrap();
        component(candidate, "geography").value
    };
    assert!(geography(&by_country) > geography(&by_sub_region));
    assert!(geography(&by_sub_region) > geography(&by_region));
    assert!(geography(&by_region) > geography(&worldwide));

    // A withdrawn offer is never returned.
    let withdrawn = hub
        .offers()
        .withdraw_offer(WithdrawOfferRequest {
            id: to_withdraw.id.clone(),
            reason: "the team moved on".into(),
        })
        .await
        .expect("WithdrawOffer succeeds")
        .into_inner();
    assert_eq!(withdrawn.status(), OfferStatus::Withdrawn);
    let after: BTreeSet<String> = offer_ids(&hub.find_matches(&need.id).await).into_iter().collect();
    let mut expected = serving.clone();
    expected.remove(&to_withdraw.id);
    assert_eq!(after, expected);

    // The limit cuts the ranked list, keeping its head.
    let top_two = hub
        .matches()
        .find_matches(FindMatchesRequest {
            need_id: need.id.clone(),
            limit: 2,
        })
        .await
        .unwrap()
        .into_inner()
        .candidates;
    let full = hub.find_matches(&need.id).await;
    assert_eq!(top_two, full[..2]);
}

#[tokio::test]
async fn ranking_is_deterministic_including_ties() {
    let dir = tempfile::tempdir().unwrap();
    let hub = TestHub::start(dir.path()).await;
    let requester = hub.register("El Salvador", ActorKind::NationalGovernment, "SLV").await;
    let need = hub
        .submit(need_request(&requester.id, &[1, 17], &[Modality::Training], &["SLV"]))
        .await;
    let mut expected = Vec::new();
    for i in 0..6 {
        let provider = hub
            .register(&format!("Provider {i}"), ActorKind::CivilSociety, "MEX")
            .await;
        // Pairs of identical offers: three distinct scores, each tied twice.
        let themes: &[u32] = match i % 3 {
            0 => &[1, 17],
            1 => &[1],
            _ => &[17, 4],
        };
        expected.push(
            hub.offer(offer_request(
                &provider.id,
                themes,
                &[Modality::Training],
                Coverage::Worldwide,
            ))
            .await
            .id,
        );
    }
    let first = hub.find_matches(&need.id).await;
    assert_well_formed(&first);
    let found: BTreeSet<String> = offer_ids(&first).into_iter().collect();
    assert_eq!(found, expected.iter().cloned().collect());
    for _ in 0..3 {
        assert_eq!(hub.find_matches(&need.id).await, first);
    }
}
