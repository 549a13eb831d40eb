//! What the graph and insight RPCs return, not only that they answer: FindBundles, FindPath,
//! SuggestPartners, ExportGraph and GetStats, each on a small world built through the API where
//! the right answer follows from what the test recorded (the trusts it gave, the offers it
//! registered, the matches it made), by the rules the README and the protos state.

mod common;

use std::collections::{BTreeMap, BTreeSet};

use common::*;
use insight_service_client::InsightServiceClient;

const EPSILON: f64 = 1e-9;

#[track_caller]
fn assert_close(got: f64, expected: f64, what: &str) {
    assert!(
        (got - expected).abs() < EPSILON,
        "{what}: got {got}, expected {expected}"
    );
}

/// A body that works in Spanish and English, of `kind`, in `country` (empty: none).
async fn actor(hub: &TestHub, name: &str, kind: ActorKind, country: &str) -> Actor {
    hub.register(name, kind, country).await
}

/// "0.80", as the hub writes a trust in words.
fn words(trust: f64) -> String {
    format!("{trust:.2}")
}

fn offer_id(member: &BundleMember) -> String {
    member.offer.as_ref().expect("a member's offer").id.clone()
}

fn cells(cells: &[Cell]) -> Vec<(u32, i32)> {
    cells.iter().map(|cell| (cell.theme, cell.modality)).collect()
}

// ---- FindBundles -----------------------------------------------------------------------------

/// A need for training on objectives 7 and 15 in Guatemala. Three offers pass its filters: X
/// (objective 7) and Y (objective 15) of two providers who are partners at trust 0.8, and Z
/// (objective 7) of a third provider who knows no one. No single offer covers both cells, so
/// every bundle needs Y and one offer on 7; X wins over Z because a partner of the members
/// already chosen wins among offers covering as many new cells (README, "Integrated
/// solutions"). So: two bundles, {X, Y} first (cohesion 0.8) and {Z, Y} (cohesion 0), each
/// covering both cells, each scored 0.8 x coverage + 0.15 x cohesion + 0.05 x mean member
/// score (proto), each member scored as FindMatches scores its offer.
#[tokio::test]
async fn find_bundles_covers_two_objectives_with_two_providers_partners_first() {
    let dir = tempfile::tempdir().unwrap();
    let hub = TestHub::start(dir.path()).await;
    let requester = actor(&hub, "Government of Guatemala", ActorKind::NationalGovernment, "GTM").await;
    let one = actor(&hub, "Consular Trainers", ActorKind::CivilSociety, "MEX").await;
    let two = actor(&hub, "Border Academy", ActorKind::Academia, "CRI").await;
    let three = actor(&hub, "Lone Advisers", ActorKind::PrivateSector, "COL").await;
    hub.partner(&one.id, &two.id, PartnershipKind::JointProgramme, 0.8)
        .await;
    let training = [Modality::Training];
    let need = hub
        .submit(need_request(&requester.id, &[7, 15], &training, &["GTM"]))
        .await;
    let here = || Coverage::Countries(vec!["GTM"]);
    let x = hub.offer(offer_request(&one.id, &[7], &training, here())).await;
    let y = hub.offer(offer_request(&two.id, &[15], &training, here())).await;
    let z = hub.offer(offer_request(&three.id, &[7], &training, here())).await;

    let scores: BTreeMap<String, f64> = hub
        .find_matches(&need.id)
        .await
        .iter()
        .map(|c| (c.offer.as_ref().unwrap().id.clone(), c.score))
        .collect();
    assert_eq!(
        scores.keys().cloned().collect::<BTreeSet<_>>(),
        BTreeSet::from([x.id.clone(), y.id.clone(), z.id.clone()]),
        "the three offers are the need's candidates"
    );

    let bundles = hub
        .matches()
        .find_bundles(FindBundlesRequest {
            need_id: need.id.clone(),
            max_bundles: 0,
        })
        .await
        .unwrap()
        .into_inner()
        .bundles;
    let members = |bundle: &Bundle| bundle.members.iter().map(offer_id).collect::<BTreeSet<_>>();
    assert_eq!(
        bundles.iter().map(members).collect::<Vec<_>>(),
        vec![
            BTreeSet::from([x.id.clone(), y.id.clone()]),
            BTreeSet::from([z.id.clone(), y.id.clone()])
        ],
        "partners' bundle first, then the other; no third: every bundle needs Y"
    );
    let training = Modality::Training as i32;
    let provider_of = BTreeMap::from([(&x.id, &one), (&y.id, &two), (&z.id, &three)]);
    for (bundle, cohesion) in bundles.iter().zip([0.8, 0.0]) {
        assert_close(bundle.coverage, 1.0, "both cells are covered");
        assert!(bundle.uncovered.is_empty(), "{:?}", bundle.uncovered);
        assert_close(bundle.cohesion, cohesion, "cohesion: the members' partnership trust");
        for member in &bundle.members {
            let id = offer_id(member);
            let theme = if id == y.id { 15 } else { 7 };
            assert_eq!(cells(&member.cells), vec![(theme, training)], "the cell {id} covers");
            assert_eq!(member.provider.as_ref().unwrap().id, provider_of[&id].id);
            assert_close(member.score, scores[&id], "a member's score is its FindMatches score");
        }
        let mean = bundle.members.iter().map(|m| m.score).sum::<f64>() / bundle.members.len() as f64;
        assert_close(bundle.score, 0.8 + 0.15 * cohesion + 0.05 * mean, "bundle score");
        assert!(
            bundle.explanation.starts_with("covers 2 of 2 cells"),
            "{}",
            bundle.explanation
        );
        assert!(
            bundle
                .explanation
                .contains(&format!("{} brings training on 15", two.name)),
            "{}",
            bundle.explanation
        );
    }
    let partners = format!("{} and {} are partners (trust 0.80)", one.name, two.name);
    let (first, second) = (&bundles[0].explanation, &bundles[1].explanation);
    assert!(
        first.contains(&partners)
            || first.contains(&format!("{} and {} are partners (trust 0.80)", two.name, one.name)),
        "{first}"
    );
    assert!(!second.contains("are partners"), "{second}");

    let only_best = hub
        .matches()
        .find_bundles(FindBundlesRequest {
            need_id: need.id.clone(),
            max_bundles: 1,
        })
        .await
        .unwrap()
        .into_inner()
        .bundles;
    assert_eq!(only_best, bundles[..1], "max_bundles 1 keeps the best");

    // A third objective no offer gives stays uncovered, in every bundle.
    let wider = hub
        .submit(need_request(
            &requester.id,
            &[7, 15, 19],
            &[Modality::Training],
            &["GTM"],
        ))
        .await;
    let bundles = hub
        .matches()
        .find_bundles(FindBundlesRequest {
            need_id: wider.id.clone(),
            max_bundles: 0,
        })
        .await
        .unwrap()
        .into_inner()
        .bundles;
    assert_eq!(bundles.len(), 2, "{bundles:?}");
    assert_eq!(members(&bundles[0]), BTreeSet::from([x.id.clone(), y.id.clone()]));
    for bundle in &bundles {
        assert_close(bundle.coverage, 2.0 / 3.0, "two of three cells");
        assert_eq!(cells(&bundle.uncovered), vec![(19, training)]);
        assert!(
            bundle.explanation.starts_with("covers 2 of 3 cells"),
            "{}",
            bundle.explanation
        );
        assert!(
            bundle.explanation.ends_with("still uncovered: training on 19"),
            "{}",
            bundle.explanation
        );
    }
}

// ---- FindPath --------------------------------------------------------------------------------

/// Partnerships A-B 0.8, B-C 0.6 (the best way from A to C, 0.48), A-D 0.5 and D-C 0.5 (a
/// worse way, 0.25), C-E 0.9 and E-F 0.9. FindPath gives the best trust path of at most three
/// hops: A to B directly, A to C through B, A to E in three hops, and nothing from A to F (four
/// hops); each hop names its actors and its partnership, and the trust is the product.
#[tokio::test]
async fn find_path_returns_the_best_path_and_its_hops() {
    let dir = tempfile::tempdir().unwrap();
    let hub = TestHub::start(dir.path()).await;
    let a = actor(&hub, "Government of Guatemala", ActorKind::NationalGovernment, "GTM").await;
    let b = actor(&hub, "Puebla Process", ActorKind::RegionalProcess, "").await;
    let c = actor(&hub, "Government of Costa Rica", ActorKind::NationalGovernment, "CRI").await;
    let d = actor(&hub, "Government of Mexico", ActorKind::NationalGovernment, "MEX").await;
    let e = actor(&hub, "Migration Research Centre", ActorKind::Academia, "CRI").await;
    let f = actor(&hub, "Diaspora Network", ActorKind::DiasporaOrganization, "USA").await;
    let ab = hub.partner(&a.id, &b.id, PartnershipKind::JointProgramme, 0.8).await;
    let bc = hub
        .partner(&b.id, &c.id, PartnershipKind::RegionalProcessMembership, 0.6)
        .await;
    hub.partner(&a.id, &d.id, PartnershipKind::BilateralAgreement, 0.5)
        .await;
    hub.partner(&d.id, &c.id, PartnershipKind::BilateralAgreement, 0.5)
        .await;
    let ce = hub.partner(&c.id, &e.id, PartnershipKind::Memorandum, 0.9).await;
    hub.partner(&e.id, &f.id, PartnershipKind::NetworkMembership, 0.9).await;

    let path = |from: &Actor, to: &Actor| {
        let mut partnerships = hub.partnerships();
        let request = FindPathRequest {
            from_actor_id: from.id.clone(),
            to_actor_id: to.id.clone(),
        };
        async move { partnerships.find_path(request).await.unwrap().into_inner() }
    };
    // Each hop as (from, to, partnership, kind, trust).
    let hops = |response: &FindPathResponse| {
        response
            .hops
            .iter()
            .map(|hop| {
                let (from, to) = (hop.from.as_ref().unwrap(), hop.to.as_ref().unwrap());
                (
                    from.id.clone(),
                    to.id.clone(),
                    hop.partnership_id.clone(),
                    hop.kind,
                    hop.trust,
                )
            })
            .collect::<Vec<_>>()
    };
    let hop = |from: &Actor, to: &Actor, partnership: &Partnership| {
        (
            from.id.clone(),
            to.id.clone(),
            partnership.id.clone(),
            partnership.kind,
            partnership.trust,
        )
    };

    let direct = path(&a, &b).await;
    assert_eq!(hops(&direct), vec![hop(&a, &b, &ab)]);
    assert_close(direct.trust, 0.8, "a direct partnership's trust");
    assert_eq!(direct.summary, "direct partner (joint programme, trust 0.80)");

    let two = path(&a, &c).await;
    assert_eq!(hops(&two), vec![hop(&a, &b, &ab), hop(&b, &c, &bc)], "through B, not D");
    assert_close(two.trust, 0.8 * 0.6, "the product of the hops' trusts");
    assert_eq!(
        two.summary,
        format!(
            "partner of your partner {} (trust {} x {})",
            b.name,
            words(0.8),
            words(0.6)
        )
    );
    let middle = two.hops[0].to.as_ref().unwrap();
    assert_eq!(
        (middle.name.as_str(), middle.kind),
        (b.name.as_str(), ActorKind::RegionalProcess as i32),
        "hops name their actors"
    );

    let back = path(&c, &a).await;
    assert_eq!(
        hops(&back),
        vec![hop(&c, &b, &bc), hop(&b, &a, &ab)],
        "the same path walked back"
    );
    assert_close(back.trust, two.trust, "trust is the same both ways");

    let three = path(&a, &e).await;
    assert_eq!(hops(&three), vec![hop(&a, &b, &ab), hop(&b, &c, &bc), hop(&c, &e, &ce)]);
    assert_close(three.trust, 0.8 * 0.6 * 0.9, "three hops");
    assert_eq!(
        three.summary,
        format!(
            "three steps away through {} and {} (trust 0.80 x 0.60 x 0.90)",
            b.name, c.name
        )
    );

    let too_far = path(&a, &f).await;
    assert!(too_far.hops.is_empty(), "F is four hops from A: {too_far:?}");
    assert_eq!((too_far.trust, too_far.summary.as_str()), (0.0, ""));
}

// ---- SuggestPartners -------------------------------------------------------------------------

/// A's partners are B (0.9), F (0.5) and E (0.7, with an offer). B's partners are A, C (0.8)
/// and D (0.7); F's are A, C (0.5) and G (0.6). C and G have active offers, D has none. So A is
/// introduced to C, through B and F, and to G, through F: not to D (nothing to offer), not to E
/// (already a partner). A broker counts trust_to_actor x trust_to_provider / ln(1 + its partner
/// count), and B and F have three partners each.
#[tokio::test]
async fn suggest_partners_introduces_partners_of_partners() {
    let dir = tempfile::tempdir().unwrap();
    let hub = TestHub::start(dir.path()).await;
    let a = actor(&hub, "Government of Guatemala", ActorKind::NationalGovernment, "GTM").await;
    let b = actor(&hub, "Puebla Process", ActorKind::RegionalProcess, "").await;
    let f = actor(&hub, "Central American Parliament", ActorKind::Parliament, "SLV").await;
    let c = actor(&hub, "Consular Trainers", ActorKind::CivilSociety, "MEX").await;
    let d = actor(&hub, "Government of Honduras", ActorKind::NationalGovernment, "HND").await;
    let g = actor(&hub, "Labour Rights Institute", ActorKind::Academia, "CRI").await;
    let e = actor(&hub, "Government of Mexico", ActorKind::NationalGovernment, "MEX").await;
    let kind = PartnershipKind::JointProgramme;
    for (x, y, trust) in [
        (&a, &b, 0.9),
        (&a, &f, 0.5),
        (&a, &e, 0.7),
        (&b, &c, 0.8),
        (&b, &d, 0.7),
        (&f, &c, 0.5),
        (&f, &g, 0.6),
    ] {
        hub.partner(&x.id, &y.id, kind, trust).await;
    }
    let here = || Coverage::Countries(vec!["GTM"]);
    let training = [Modality::Training];
    let offer_c = hub.offer(offer_request(&c.id, &[7], &training, here())).await;
    let offer_g = hub.offer(offer_request(&g.id, &[15], &training, here())).await;
    hub.offer(offer_request(&e.id, &[7], &training, here())).await;

    let suggest = |need_id: &str, limit: u32| {
        let mut partnerships = hub.partnerships();
        let request = SuggestPartnersRequest {
            actor_id: a.id.clone(),
            need_id: need_id.into(),
            limit,
        };
        async move {
            partnerships
                .suggest_partners(request)
                .await
                .unwrap()
                .into_inner()
                .suggestions
        }
    };
    let selectivity = (1.0f64 + 3.0).ln();
    let suggestions = suggest("", 0).await;
    let providers: Vec<&str> = suggestions
        .iter()
        .map(|s| s.provider.as_ref().unwrap().id.as_str())
        .collect();
    assert_eq!(
        providers,
        vec![c.id.as_str(), g.id.as_str()],
        "C first, then G; not D, not E"
    );
    let (to_c, to_g) = (&suggestions[0], &suggestions[1]);
    assert_close(to_c.score, (0.9 * 0.8 + 0.5 * 0.5) / selectivity, "C's score");
    assert_close(to_g.score, 0.5 * 0.6 / selectivity, "G's score");
    let brokers = |suggestion: &PartnerSuggestion| {
        suggestion
            .brokers
            .iter()
            .map(|broker| {
                (
                    broker.actor.as_ref().unwrap().id.clone(),
                    words(broker.trust_to_actor),
                    words(broker.trust_to_provider),
                )
            })
            .collect::<Vec<_>>()
    };
    assert_eq!(
        brokers(to_c),
        vec![
            (b.id.clone(), words(0.9), words(0.8)),
            (f.id.clone(), words(0.5), words(0.5))
        ],
        "C's brokers, strongest introduction first"
    );
    assert_eq!(brokers(to_g), vec![(f.id.clone(), words(0.5), words(0.6))]);
    assert_eq!(to_c.offer_ids, vec![offer_c.id.clone()]);
    assert_eq!(to_g.offer_ids, vec![offer_g.id.clone()]);
    assert_eq!(to_c.provider.as_ref().unwrap().name, c.name);

    let first = suggest("", 1).await;
    assert_eq!(first, suggestions[..1], "limit 1 keeps the best");

    // For a need on objective 7, only C's offer passes the filters: G's gives objective 15.
    let need = hub.submit(need_request(&a.id, &[7], &training, &["GTM"])).await;
    let for_need = suggest(&need.id, 0).await;
    assert_eq!(for_need.len(), 1, "{for_need:?}");
    assert_eq!(for_need[0].provider.as_ref().unwrap().id, c.id);
    assert_eq!(for_need[0].offer_ids, vec![offer_c.id.clone()]);
}

// ---- ExportGraph -----------------------------------------------------------------------------

/// The chain A-B-C-D and the pair E-F: six actors, four partnerships, each actor in at least
/// one. The whole graph has them all; around A, one hop holds A and B, two hops A, B and C.
#[tokio::test]
async fn export_graph_holds_what_was_recorded() {
    let dir = tempfile::tempdir().unwrap();
    let hub = TestHub::start(dir.path()).await;
    let mut actors = Vec::new();
    for (name, country) in [
        ("Government of Guatemala", "GTM"),
        ("Government of Costa Rica", "CRI"),
        ("Government of Mexico", "MEX"),
        ("Government of Honduras", "HND"),
        ("Government of Senegal", "SEN"),
        ("Government of Ghana", "GHA"),
    ] {
        actors.push(actor(&hub, name, ActorKind::NationalGovernment, country).await);
    }
    let [a, b, c, d, e, f] = &actors[..] else {
        unreachable!()
    };
    let recorded = [
        hub.partner(&a.id, &b.id, PartnershipKind::BilateralAgreement, 0.9)
            .await,
        hub.partner(&b.id, &c.id, PartnershipKind::JointProgramme, 0.7).await,
        hub.partner(&c.id, &d.id, PartnershipKind::Memorandum, 0.6).await,
        hub.partner(&e.id, &f.id, PartnershipKind::Funding, 0.5).await,
    ];
    let (ab, bc) = (&recorded[0], &recorded[1]);

    let export = |format: GraphFormat, around: &Actor, depth: u32| {
        let mut partnerships = hub.partnerships();
        let request = ExportGraphRequest {
            format: format as i32,
            around_actor_id: around.id.clone(),
            depth,
        };
        async move { partnerships.export_graph(request).await.unwrap().into_inner() }
    };
    let nobody = Actor::default();

    let whole = export(GraphFormat::Json, &nobody, 0).await;
    assert_eq!(whole.format, GraphFormat::Json as i32);
    assert_eq!((whole.actors, whole.partnerships), (6, 4));
    let (ids, edges) = read_json(&whole.content);
    assert_eq!(ids, actors.iter().map(|x| x.id.clone()).collect::<BTreeSet<_>>());
    assert_eq!(
        edges,
        recorded.iter().map(edge_of).collect::<BTreeSet<_>>(),
        "each partnership as recorded"
    );

    let dot = export(GraphFormat::Dot, &nobody, 0).await;
    assert_eq!(dot.format, GraphFormat::Dot as i32);
    assert_eq!((dot.actors, dot.partnerships), (6, 4));
    assert!(dot.content.starts_with("graph "), "{}", dot.content);
    assert_eq!(dot.content.lines().filter(|line| line.contains(" -- ")).count(), 4);
    for x in &actors {
        assert!(
            dot.content.contains(&format!("[label=\"{}\"]", x.name)),
            "{}",
            dot.content
        );
    }

    let one_hop = export(GraphFormat::Json, a, 1).await;
    assert_eq!((one_hop.actors, one_hop.partnerships), (2, 1));
    assert_eq!(
        read_json(&one_hop.content),
        (ids_of(&[a, b]), BTreeSet::from([edge_of(ab)]))
    );
    let two_hops = export(GraphFormat::Json, a, 2).await;
    assert_eq!((two_hops.actors, two_hops.partnerships), (3, 2));
    assert_eq!(
        read_json(&two_hops.content),
        (ids_of(&[a, b, c]), BTreeSet::from([edge_of(ab), edge_of(bc)]))
    );
    let default_depth = export(GraphFormat::Json, a, 0).await;
    assert_eq!(default_depth, two_hops, "depth 0 is the default, 2");
    let other_part = export(GraphFormat::Json, e, 4).await;
    assert_eq!((other_part.actors, other_part.partnerships), (2, 1));

    // A partnership removed leaves the export.
    hub.partnerships()
        .remove_partnership(RemovePartnershipRequest { id: bc.id.clone() })
        .await
        .unwrap();
    let after = export(GraphFormat::Json, &nobody, 0).await;
    assert_eq!(after.partnerships, 3);
    let expected: BTreeSet<_> = recorded.iter().filter(|p| p.id != bc.id).map(edge_of).collect();
    assert_eq!(read_json(&after.content).1, expected);
    let around_a = export(GraphFormat::Json, a, 2).await;
    assert_eq!(
        read_json(&around_a.content),
        (ids_of(&[a, b]), BTreeSet::from([edge_of(ab)]))
    );
}

/// An exported or recorded edge: (partnership id, its two actors in order, kind code, trust
/// in hundredths).
type Edge = (String, BTreeSet<String>, String, i64);

fn edge_of(partnership: &Partnership) -> Edge {
    let kind = PartnershipKind::try_from(partnership.kind).unwrap();
    (
        partnership.id.clone(),
        BTreeSet::from([partnership.actor_a.clone(), partnership.actor_b.clone()]),
        kind.as_str_name()
            .trim_start_matches("PARTNERSHIP_KIND_")
            .to_ascii_lowercase(),
        (partnership.trust * 100.0).round() as i64,
    )
}

fn ids_of(actors: &[&Actor]) -> BTreeSet<String> {
    actors.iter().map(|actor| actor.id.clone()).collect()
}

/// The actor ids and the edges of an ExportGraph JSON document.
fn read_json(content: &str) -> (BTreeSet<String>, BTreeSet<Edge>) {
    let document: serde_json::Value = serde_json::from_str(content).expect("ExportGraph JSON parses");
    let text = |value: &serde_json::Value, key: &str| value[key].as_str().unwrap_or_default().to_string();
    let actors = document["actors"].as_array().expect("an actors array");
    let edges = document["partnerships"].as_array().expect("a partnerships array");
    (
        actors.iter().map(|actor| text(actor, "id")).collect(),
        edges
            .iter()
            .map(|edge| {
                (
                    text(edge, "id"),
                    BTreeSet::from([text(edge, "a"), text(edge, "b")]),
                    text(edge, "kind"),
                    (edge["trust"].as_f64().unwrap() * 100.0).round() as i64,
                )
            })
            .collect(),
    )
}

// ---- GetStats --------------------------------------------------------------------------------

/// Four actors, one partnership; five needs, three offers, three matches:
/// - need 1 (objective 7) confirmed with offer 1 (capacity 2), which keeps a place;
/// - need 2 (objective 15) confirmed with offer 2 (capacity 1) and completed, rated 4 for the
///   wellbeing of migrants: fulfilled, the place back, a past collaboration recorded;
/// - need 3 (objective 19, in Sierra Leone) that no offer serves;
/// - need 4 (objective 7) proposed to offer 1, unanswered;
/// - need 5 and offer 3 withdrawn.
#[tokio::test]
async fn stats_count_the_needs_offers_and_matches_made() {
    let dir = tempfile::tempdir().unwrap();
    let hub = TestHub::start(dir.path()).await;
    let guatemala = actor(&hub, "Government of Guatemala", ActorKind::NationalGovernment, "GTM").await;
    let sierra_leone = actor(&hub, "Government of Sierra Leone", ActorKind::NationalGovernment, "SLE").await;
    let trainers = actor(&hub, "Consular Trainers", ActorKind::CivilSociety, "MEX").await;
    let academy = actor(&hub, "Border Academy", ActorKind::Academia, "CRI").await;
    hub.partner(&trainers.id, &academy.id, PartnershipKind::JointProgramme, 0.8)
        .await;
    let training = [Modality::Training];
    let here = || Coverage::Countries(vec!["GTM"]);
    let need_1 = hub.submit(need_request(&guatemala.id, &[7], &training, &[])).await;
    let need_2 = hub.submit(need_request(&guatemala.id, &[15], &training, &[])).await;
    hub.submit(need_request(&sierra_leone.id, &[19], &training, &[])).await;
    let need_4 = hub
        .submit(need_request(&sierra_leone.id, &[7], &training, &["GTM"]))
        .await;
    let need_5 = hub.submit(need_request(&guatemala.id, &[16], &training, &[])).await;
    let offer_1 = hub
        .offer(RegisterOfferRequest {
            capacity: 2,
            ..offer_request(&trainers.id, &[7], &training, here())
        })
        .await;
    let offer_2 = hub
        .offer(RegisterOfferRequest {
            capacity: 1,
            ..offer_request(&academy.id, &[15], &training, here())
        })
        .await;
    let offer_3 = hub.offer(offer_request(&academy.id, &[16], &training, here())).await;

    let first = hub.propose(&need_1.id, &offer_1.id).await;
    hub.respond(&first.id, &guatemala.id, true).await;
    let first = hub.respond(&first.id, &trainers.id, true).await;
    assert_eq!(first.status, MatchStatus::Confirmed as i32);
    let second = hub.propose(&need_2.id, &offer_2.id).await;
    hub.respond(&second.id, &academy.id, true).await;
    hub.respond(&second.id, &guatemala.id, true).await;
    let second = hub.complete(&second.id, &guatemala.id, 4, "").await;
    assert_eq!(second.status, MatchStatus::Completed as i32);
    hub.propose(&need_4.id, &offer_1.id).await;
    hub.needs()
        .withdraw_need(WithdrawNeedRequest {
            id: need_5.id.clone(),
            ..Default::default()
        })
        .await
        .unwrap();
    hub.offers()
        .withdraw_offer(WithdrawOfferRequest {
            id: offer_3.id.clone(),
            ..Default::default()
        })
        .await
        .unwrap();

    let stats = InsightServiceClient::new(hub.channel())
        .get_stats(GetStatsRequest {})
        .await
        .unwrap()
        .into_inner();
    assert_eq!(stats.actors, 4);
    assert_eq!(stats.needs_submitted, 5);
    assert_eq!(
        stats.open_needs, 2,
        "needs 3 and 4: 1 is matched, 2 fulfilled, 5 withdrawn"
    );
    assert_eq!(stats.active_offers, 2, "offers 1 (a place left) and 2 (its place back)");
    assert_eq!(
        stats.partnerships, 2,
        "the one recorded and the past collaboration the completion recorded"
    );
    assert_eq!((stats.confirmed_matches, stats.completed_matches), (1, 1));
    assert_close(stats.match_rate, 2.0 / 5.0, "needs 1 and 2 were engaged, of five");
    assert_close(stats.mean_rating, 4.0, "one outcome, rated 4");
    assert_eq!(
        stats.outcomes_by_mgi_dimension,
        vec![DimensionOutcome {
            dimension: MgiDimension::WellbeingOfMigrants as i32,
            outcomes: 1,
            mean_rating: 4.0,
        }]
    );
    let active: Vec<(String, String, u32, f64)> = stats
        .most_active_partnerships
        .iter()
        .map(|pair| {
            (
                pair.requester.as_ref().unwrap().id.clone(),
                pair.provider.as_ref().unwrap().id.clone(),
                pair.completed_matches,
                pair.mean_rating,
            )
        })
        .collect();
    assert_eq!(active, vec![(guatemala.id.clone(), academy.id.clone(), 1, 4.0)]);
    assert_eq!(
        stats.unmet_demand,
        vec![UnmetDemand {
            theme: 19,
            region: "africa".into(),
            needs_without_offer: 1,
        }],
        "need 3: Sierra Leone is in Africa; need 4 has offer 1"
    );
    assert!(
        (0.0..1.0).contains(&stats.median_hours_to_match),
        "both engagements were confirmed within the test: {}",
        stats.median_hours_to_match
    );
    assert!(
        (0.0..1.0).contains(&stats.median_open_need_age_days),
        "{}",
        stats.median_open_need_age_days
    );
}
